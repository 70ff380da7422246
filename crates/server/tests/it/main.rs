//! Integration tests: the real server on a free port, called over the network with the
//! generated clients (and raw HTTP/1.1 for gRPC-Web).

mod auth;
mod bots;
mod harness;
mod market;
mod orders;
mod rest;
mod risk;
mod storage;
mod transport;

//! The Aetherion server: gRPC and gRPC-Web on one port (plain or TLS), authentication, and the
//! wiring of storage and services.
//!
//! Entry point: [`Server::build`] prepares everything from a [`Config`]; [`Server::serve`] runs
//! on a listener until a shutdown future resolves, so that tests can bind `127.0.0.1:0` and run
//! side by side.

pub mod auth;
pub mod clock;
pub mod config;
pub mod error;
pub mod market;
pub mod rest;
mod server;
pub mod services;
pub mod state;
pub mod tls;

pub use config::{Config, TlsMode};
pub use server::Server;

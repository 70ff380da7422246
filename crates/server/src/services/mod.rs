//! The gRPC services: thin adapters from protobuf messages to the server's logic.

pub mod auth;
pub mod pending;
pub mod trading;

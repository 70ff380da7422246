//! The gRPC services: thin adapters from protobuf messages to the server's logic.

pub mod auth;
pub mod bots;
pub mod orders;
pub mod portfolio;
pub mod risk;
pub mod time;
pub mod trading;

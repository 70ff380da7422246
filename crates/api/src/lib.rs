//! The wire contract: Rust types, tonic clients and servers generated from
//! `protos/trading_api.proto`, and the encoded descriptor for server reflection.
//!
//! Architecture invariant: generated code only, plus conversions that need nothing but the
//! generated types. Business rules live in the domain crates and the server.

#[allow(clippy::all, clippy::pedantic, missing_docs)]
pub mod v1 {
    tonic::include_proto!("aetherion.v1");
}

/// The encoded `FileDescriptorSet` of the contract (with its imports), for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/aetherion_descriptor.bin"));

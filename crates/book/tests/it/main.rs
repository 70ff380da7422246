//! Tests of the matching engine through its public API.

mod differential;
mod streams;
mod props;
mod reference;
mod scripted;

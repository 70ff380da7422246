//! Tests of the matching engine through its public API.

mod differential;
mod props;
mod reference;
mod scripted;
mod streams;

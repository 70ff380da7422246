//! Domain vocabulary shared by every Aetherion crate: exact amounts, roles, sides and ids.
//!
//! Architecture invariant: this crate does no IO, never reads a clock and depends on nothing
//! but `thiserror`. Everything here is plain data with exact arithmetic.

mod amount;
mod role;
mod side;
mod symbol;
mod time;

pub use amount::{Amount, AmountError};
pub use role::{Role, UnknownRole};
pub use side::Side;
pub use symbol::{Grid, GridError};
pub use time::{UnixMicros, civil_from_days, days_from_civil};

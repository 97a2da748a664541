//! One module per command group.

pub mod sim;
pub mod wallet;

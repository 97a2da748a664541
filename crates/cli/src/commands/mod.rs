//! One module per command group.

pub mod bench;
pub mod model;
pub mod sim;
pub mod wallet;

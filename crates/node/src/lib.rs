//! # rustensor-node: the block-producing node
//!
//! Status: foundation of issue #5 (work in progress).
//!
//! - [`block`]: header and block, SCALE codec, block hash and transaction root, and the
//!   commonware traits consensus needs;
//! - [`store`]: the redb state database with a jmt state root, committed atomically per block;
pub mod application;
pub mod block;
pub mod chain_adapter;
pub mod dev;
pub mod engine;
pub mod exec;
pub mod mempool;
pub mod node;
pub mod state_machine;
pub mod store;
#[cfg(any(test, feature = "test-utils"))]
pub mod testing;
#[cfg(test)]
mod tests;

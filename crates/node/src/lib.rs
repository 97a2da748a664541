//! # rustensor-node: the block-producing node
//!
//! Status: working. Consensus, blocks, the state database, the mempool, the `chain` adapter,
//! a single-authority dev chain, several authorities and full nodes over authenticated p2p
//! with transaction gossip, and Prometheus metrics; tested on the deterministic runtime (1 and
//! 4 authorities, crash, partition, equivocation, restart) and, through the CLI, with real
//! processes. The JSON-RPC server is the `rpc` crate. Not yet: jmt pruning, authority set
//! changes. See `docs/node.md` and `docs/network.md`.
//!
//! - [`block`]: header and block, SCALE codec, blake2b-256 block hash, transaction root, and
//!   the commonware traits marshal and simplex need;
//! - [`store`]: the redb state database with a jmt state root; a block's changes, tree nodes,
//!   root and indexes commit in one write transaction;
//! - [`state_machine`]: the [`state_machine::StateMachine`] boundary (genesis, execute,
//!   door check, nonce) the node runs;
//! - [`chain_adapter`]: `rustensor-chain` behind that boundary;
//! - [`exec`]: execution on top of finalized and unfinalized blocks, finalization;
//! - [`mempool`]: per-account nonce order, tip priority, replacement, bounds, typed errors;
//! - [`application`]: the commonware application (propose, verify) and marshal's reporter;
//! - [`engine`]: simplex (ed25519) + marshal + buffered broadcast wiring;
//! - [`dev`]: a single-authority chain (same engine, one participant); [`solo`] is its
//!   network of one;
//! - [`network`]: several authorities and full nodes on real sockets (commonware-p2p
//!   `authenticated::lookup`), transaction gossip;
//! - [`node`]: the [`node::Node`] handle for the RPC layer (heads, blocks, state, submit,
//!   subscriptions);
//! - [`metrics`]: Prometheus metrics (heights, mempool, finalized transactions and their rate,
//!   block execution and commit times) and their `/metrics` endpoint;
//! - [`spec`]: the files a node runs from: chain spec, node config, identity key;
//! - [`launch`]: one node assembled and run in this process (state, engine, network, API
//!   server, metrics, stop signal), from a config file or as a dev chain;
//! - `testing` (feature `test-utils`): an ed25519 transfer stand-in state machine.

#![forbid(unsafe_code)]

pub mod application;
pub mod block;
pub mod chain_adapter;
pub mod dev;
pub mod engine;
pub mod exec;
pub mod launch;
pub mod mempool;
pub mod metrics;
pub mod network;
pub mod node;
pub mod solo;
pub mod spec;
pub mod state_machine;
pub mod store;

#[cfg(any(test, feature = "test-utils"))]
pub mod testing;

#[cfg(test)]
mod tests;

pub use exec::NodeError;
pub use node::{BlockRef, ChainHead, Node, NodeConfig};
pub use state_machine::StateMachine;
pub use store::StateDb;

//! # rustensor-rpc: the JSON-RPC API
//!
//! Status: issue #5. The API definition ([`api::RustensorApi`], one jsonrpsee trait: chain
//! heads and blocks, subscriptions, submission and watching, accounts, subnets, metagraphs,
//! stake, dry runs), its JSON view types ([`views`]), its error codes ([`error`]), and with the
//! default `server` feature the server over a [`node::Node`] (HTTP and WebSocket on one port).
//! Method names and payloads are documented in `docs/rpc.md`.
//!
//! Clients (`rustensor-client`) depend on this crate with `default-features = false`: they get
//! the generated `RustensorApiClient` trait and the views without the node.

#![forbid(unsafe_code)]

pub mod api;
pub mod error;
pub mod views;

#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
mod snapshot;

pub use api::RustensorApiClient;
#[cfg(feature = "server")]
pub use api::RustensorApiServer;
pub use error::RpcError;
pub use views::*;

/// Most transactions in one `author_submitExtrinsics` call.
pub const MAX_BATCH: usize = 4096;

/// The default RPC port (as Subtensor's).
pub const DEFAULT_PORT: u16 = 9944;

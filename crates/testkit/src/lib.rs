//! # rustensor-testkit: what the integration tests of the `rustensor` binary share
//!
//! A dev-dependency only. Tests pass the binary in (`env!("CARGO_BIN_EXE_rustensor")`) and
//! drive it as a user does; nothing here links the node or the CLI.
//!
//! - [`ports`]: free loopback ports (bind port 0, hold the listener until use).
//! - [`process`]: [`Proc`], a child process with stdout and stderr captured to files, stopped
//!   on drop (SIGKILL, or Ctrl-C with a grace period), its logs printed when the test fails.
//! - [`dev_node`]: [`DevNode`], `rustensor node --dev` on a port it picks, awaited until it
//!   answers.
//! - [`network`]: authorities and full nodes from `rustensor node init-network`, each its own
//!   process to crash and restart.
//! - [`localnet`]: [`Localnet`], `rustensor localnet` awaited through the files it writes.
//! - [`rpc`]: [`Rpc`], JSON-RPC through `rustensor-client` (any method, malformed input too).
//! - [`cli`]: [`Cli`], commands with a wallet folder and a node, their JSON and their refusals.
//! - [`wallets`], [`http`], [`rng`] (one seeded generator), [`wait`], [`dirs`] (a temporary
//!   folder kept when the test fails).
//!
//! Every call returns [`Result`]; an error's `Debug` form carries a hint, so a test's
//! `.unwrap()` says what to look at.

// Only a test that sets an environment variable (unsafe since edition 2024) allows it.
#![deny(unsafe_code)]

pub mod cli;
pub mod dev_node;
pub mod dirs;
mod error;
pub mod http;
pub mod localnet;
pub mod network;
pub mod ports;
pub mod process;
pub mod rng;
pub mod rpc;
pub mod wait;
pub mod wallets;

pub use cli::{Cli, Ran};
pub use dev_node::{DevNode, DevNodeOptions};
pub use dirs::KeptOnFailure;
pub use error::{Result, TestkitError};
pub use localnet::Localnet;
pub use network::{NetworkNode, init_network};
pub use ports::{PortReservation, free_port};
pub use process::{Proc, Stop};
pub use rpc::Rpc;
pub use wait::wait_until;

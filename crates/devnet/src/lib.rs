//! # rustensor-devnet: development networks on one machine
//!
//! Status: working; used by the `rustensor` CLI (`node init-network`, `node run-network`,
//! `localnet`, `bench`) and usable from tests. Everything here runs the real `rustensor`
//! binary as child processes (its path is a parameter: the CLI passes its own,
//! tests pass `env!("CARGO_BIN_EXE_rustensor")`), so what it starts is what users run.
//!
//! - [`network`]: a loopback network of authority and full node processes from generated
//!   keys, chain spec and node configs (the formats of `node::spec`), and its supervision;
//! - [`localnet`]: the whole network (a dev node or such a network, two subnets, miners,
//!   validators, gateway): start, chain setup, readiness, live summary, stop on drop;
//! - [`load`]: the chain load generator (funding, signing, batched submission, finalized
//!   transactions per second) behind `bench transfers|weights|metagraph` and the
//!   `network_load` example;
//! - [`child_axon`]: axons in child processes for `bench axon`: ours, and a Python bittensor
//!   one from a venv made with pip (tooling kept out of the protocol crate `neuron`);
//! - [`stop`]: stopping on Ctrl-C or SIGTERM; [`ports`]: free loopback ports;
//! - [`error`]: [`DevnetError`], each with a hint.
// Process groups and parent-death signals need libc in `pre_exec`; each use says why it is
// sound.
#![deny(unsafe_code)]

pub mod child_axon;
pub mod error;
pub mod load;
pub mod localnet;
pub mod network;
pub mod ports;
#[cfg(unix)]
pub mod signals;
pub mod stop;

pub use error::{DevnetError, Result};
pub use stop::Stop;

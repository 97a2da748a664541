//! # rustensor-neuron
//!
//! The Bittensor Synapse protocol, wire-compatible with the Python SDK (bittensor 10.x):
//! an [`Axon`] (axum HTTP server) that answers typed [`Synapse`]s, and a [`Dendrite`]
//! (reqwest client) that queries axons. Epistula v2 signing is offered as an alternative.
//! The wire format, our deliberate deviations from the reference (verify before blacklist,
//! 400 on a body-hash mismatch, signed responses) and the nonce window are in
//! `docs/protocol.md`.
//!
//! Modules:
//! * [`synapse`]: the [`Synapse`] trait and the JSON envelope ([`SynapseBody`]);
//! * [`body_hash`]: the body hash, built on Python `str()` formatting of serde values;
//! * [`headers`], [`terminal`]: `bt_header_*` headers and [`TerminalInfo`], [`AxonInfo`];
//! * [`signing`]: request/response messages and Epistula v2;
//! * [`nonce`]: the bounded, atomic replay store;
//! * [`policy`]: stake blacklist ([`Blacklist`], [`StakeView`]) and the priority gate;
//! * [`axon`], [`dendrite`]: server and client; [`bench`](mod@bench): the load tool;
//! * [`metrics`]: [`AxonStats`] as a prometheus-client collector;
//! * [`error`]: one error enum per domain.
//!
//! Status: request/response synapses interoperate with bittensor 10.5.0 in both directions
//! (see `tests/`), streaming synapses included. Not yet: metagraph sync (the blacklist takes any
//! [`StakeView`]), external-IP discovery.

#![forbid(unsafe_code)]

pub mod axon;
pub mod bench;
pub mod body_hash;
pub mod dendrite;
pub mod error;
pub mod headers;
pub mod metrics;
pub mod nonce;
pub mod policy;
mod py_printable;
pub mod signing;
pub mod synapse;
pub mod terminal;

pub use axon::{
    Axon, AxonConfig, AxonStats, Caller, IntoForward, PROTOCOL_VERSION, RequestOutcome,
    RouteOptions, RunningAxon, SignatureScheme,
};
pub use dendrite::{Dendrite, DendriteConfig, Response, ResponseAuth, StreamResponse};
pub use error::{AxonError, Error, ForwardError, VerifyError};
pub use nonce::{NonceConfig, NonceStore};
pub use policy::{Blacklist, StakeView};
pub use synapse::{Ping, Synapse, SynapseBody};
pub use terminal::{AxonInfo, TerminalInfo};

//! Core rustensor types shared by every other crate.
//!
//! - [`NetUid`] and [`Uid`]: subnet and neuron identifiers (`NetUid::ROOT` is the root network).
//! - [`BlockNumber`]: a block height.
//! - [`TaoBalance`] and [`AlphaBalance`]: amounts in rao (1 TAO = 10^9 rao) with checked and
//!   saturating arithmetic only, displayed the way btcli shows them (`τ1.500000000`) and parsed
//!   from decimal strings exactly, without floats.
//! - [`AccountId`]: a 32-byte public key, shown as an SS58 address with Bittensor's prefix 42.
//!
//! Everything here is SCALE-encodable (parity-scale-codec) and serde-serialisable. The crate does
//! no I/O and never panics: the workspace's strict lint set is enforced here.

// The strict set: this crate never panics and stays deterministic, so it also denies indexing,
// unchecked arithmetic and floats (the workspace baseline covers unwrap, expect and panic).
#![forbid(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::float_arithmetic
)]
#![warn(missing_docs, clippy::as_conversions)]

mod account;
mod balance;
mod error;
mod ids;

pub use account::{AccountId, SS58_PREFIX};
pub use balance::{AlphaBalance, RAO_PER_TAO, TaoBalance};
pub use error::Error;
pub use ids::{BlockNumber, NetUid, Uid};

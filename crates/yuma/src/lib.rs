//! # rustensor-yuma: the Yuma Consensus epoch as a pure function
//!
//! [`epoch()`] takes a subnet's hyperparameters ([`EpochParams`]), one epoch's inputs
//! ([`EpochInput`]: stake, weights, activity and registration blocks, emission) and the state
//! carried from the previous epoch ([`EpochState`]: bonds and validator permits), and returns
//! everything the chain stores and pays ([`EpochOutput`]): active flags, stake weights, new
//! permits, consensus, validator trust, incentive, dividends, the bonds to store, and server,
//! validator and combined emission.
//!
//! It reproduces the reference chain's sparse epoch (opentensor/subtensor `epoch_mechanism`, see
//! `spec/yuma.md`) bit for bit: substrate-fixed 0.6.0 `I32F32`/`I64F64`/`I96F32` arithmetic with
//! the same truncations, `safe_div` giving 0 on a zero divisor or overflow, the same
//! weighted-median pivots and tie rules, the same u16 conversions. Both variants are covered:
//! classic Yuma and Yuma3 (with or without liquid alpha), with bonds penalty, activity cutoff,
//! stake threshold, owner exceptions, and the outdated-weights, commit-reveal, last-tempo and
//! permit masks.
//!
//! The crate has no floats, no I/O and no panics (the lints at the top of this file deny `unwrap`,
//! indexing and unchecked arithmetic). Matrices are sparse rows of `(uid, value)`; only validators' rows
//! are non-empty, so the cost grows with validators × uids rather than uids².
//!
//! ```
//! use yuma::{EpochInput, EpochParams, EpochState, epoch};
//!
//! // uid 0 validates (it already holds a permit), uids 1 and 2 serve.
//! let params = EpochParams { max_allowed_validators: 1, ..EpochParams::default() };
//! let input = EpochInput {
//!     n: 3,
//!     current_block: 100,
//!     alpha_stake: vec![1_000_000_000, 0, 0],
//!     last_update: vec![99, 0, 0],
//!     block_at_registration: vec![0, 0, 0],
//!     weights: vec![vec![(1, 65535), (2, 21845)], vec![], vec![]],
//!     rao_emission: 1_000_000_000,
//!     ..EpochInput::default()
//! };
//! let mut state = EpochState::empty(3);
//! state.validator_permits[0] = true;
//! let out = epoch(&params, &input, &state)?;
//! assert_eq!(out.incentive, vec![0, 49151, 16383]); // 3 : 1, as u16
//! assert_eq!(out.dividends[0], 65535);
//! let next = out.next_state(); // bonds and permits for the next epoch
//! # let _ = next;
//! # Ok::<(), yuma::YumaError>(())
//! ```
//!
//! Status: complete for the epoch; conformance-tested on every file of `shared/vectors/yuma`.
//!
//! Modules: [`fixed`] (types, `safe_div`, conversions), [`vector`] and [`sparse`] (vector and
//! row/column operations), [`median`] (weighted median), [`liquid_alpha`], [`mod@epoch`] (the
//! step-by-step epoch), [`scenario`] (JSON scenarios for `rustensor sim epoch`), [`error`].

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

mod bonds;
pub mod epoch;
pub mod error;
pub mod fixed;
pub mod liquid_alpha;
pub mod median;
pub mod scenario;
pub mod sparse;
pub mod vector;

pub use epoch::{
    EpochInput, EpochOutput, EpochParams, EpochState, EpochTrace, FixedTerms, epoch, epoch_traced,
};
pub use error::YumaError;
pub use liquid_alpha::LiquidAlphaParams;
pub use scenario::{Scenario, ScenarioOptions, run_scenario_json, run_scenario_json_with};

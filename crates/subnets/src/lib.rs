//! # rustensor-subnets
//!
//! Incentive mechanisms on the Synapse protocol (`neuron`): a small miner/validator
//! framework and two subnets.
//!
//! * [`metagraph`]: [`MetagraphView`], what a validator or gateway needs to know about the
//!   subnet's neurons (uid, hotkey, axon, stake, validator permit, incentive), with an
//!   in-memory implementation; the chain sync implements it later.
//! * [`weights`]: [`WeightSink`] (where weights go: `set_weights` on chain later, in memory
//!   now) and the conversion of scores to normalised u16 weights.
//! * [`ema`]: per-uid moving averages of scores ([`ScoreBook`]).
//! * [`validator`]: the [`Subnet`] trait (challenge + score) and the generic [`Validator`]
//!   loop: sample miners, query them concurrently with a timeout, score, update the EMA, set
//!   weights every tempo under a rate limit, stop on a cancellation token.
//! * [`onchain`]: the same on a real chain: [`ChainMetagraph`] (synced from a node, following
//!   finalized blocks), [`ChainWeightSink`] (`set_weights`, or commit then reveal), and
//!   [`serve_axon`] for miners.
//! * [`metrics`]: Prometheus metrics (prometheus-client) and their `/metrics` route.
//! * [`forecast`]: the forecasting subnet (seeded synthetic series, naive / moving-average /
//!   AR(p) miners, error-based scoring with delayed truth).
//! * [`text`]: the text-generation subnet (OpenAI-style synapse, [`text::Backend`]s for the
//!   embedded model and any OpenAI-compatible endpoint, quality knobs for localnet miners,
//!   reference-and-check scoring with latency and copy penalties).
//!
//! * [`tiers`]: the `--quality 1..4` ranks of localnet miners for both subnets.
//!
//! Status: working in process and against a dev node (see `tests/`); `rustensor miner`,
//! `validator` and `gateway` run it. `docs/subnets.md` explains the scoring and the tiers.

#![forbid(unsafe_code)]

pub mod ema;
pub mod error;
pub mod forecast;
pub mod metagraph;
pub mod metrics;
pub mod onchain;
pub mod text;
pub mod tiers;
pub mod validator;
pub mod weights;

pub use ema::ScoreBook;
pub use error::{BackendError, Error};
pub use metagraph::{InMemoryMetagraph, MetagraphView, NeuronInfo};
pub use metrics::Metrics;
pub use onchain::{ChainMetagraph, ChainWeightSink, serve_axon};
pub use tokio_util::sync::CancellationToken;
pub use validator::{
    Answer, ChallengeFuture, RoundReport, Subnet, Validator, ValidatorConfig, WeightsOutcome,
};
pub use weights::{InMemoryWeightSink, WeightSink, WeightSubmission, to_u16_weights};

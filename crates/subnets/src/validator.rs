//! The generic validator: a [`Subnet`] supplies challenges and scores; [`Validator`] does the
//! rest (sampling, concurrent queries with a timeout, EMA, weights every tempo under a rate
//! limit, cancellation).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use neuron::{Dendrite, Response, Synapse};
use rand::SeedableRng as _;
use rand::rngs::StdRng;
use rand::seq::SliceRandom as _;
use tokio_util::sync::CancellationToken;
use types::AccountId;

use crate::ema::ScoreBook;
use crate::error::Error;
use crate::metagraph::MetagraphView;
use crate::metrics::Metrics;
use crate::weights::{WeightSink, to_u16_weights};

/// One miner's answer in a round.
#[derive(Debug, Clone)]
pub struct Answer<S> {
    /// Miner uid.
    pub uid: u16,
    /// Its hotkey.
    pub hotkey: AccountId,
    /// What the dendrite got back (status in `response.dendrite.status_code`).
    pub response: Response<S>,
    /// Wall time of the call as the validator saw it.
    pub latency: Duration,
}

impl<S> Answer<S> {
    /// The miner answered 200.
    pub fn ok(&self) -> bool {
        self.response.is_success()
    }
}

/// What [`Subnet::challenge`] returns: the synapse to send and the private part.
pub type ChallengeFuture<'a, S, C> = BoxFuture<'a, Result<(S, C), Error>>;

/// An incentive mechanism, seen from the validator.
pub trait Subnet: Send + Sync + 'static {
    /// What is sent to miners.
    type Synapse: Synapse;
    /// What the scorer keeps from the challenge (the expected answer, a reference, ...).
    type Challenge: Send + 'static;

    /// The challenge of round `round`: the synapse to send, and the private part.
    fn challenge(&self, round: u64) -> ChallengeFuture<'_, Self::Synapse, Self::Challenge>;

    /// Score the answers of round `round`, each in 0..=1. May return scores for uids of
    /// earlier rounds (forecasts are scored when their truth arrives) and omit uids of this
    /// round; uids not returned keep their moving average.
    fn score<'a>(
        &'a self,
        round: u64,
        challenge: Self::Challenge,
        answers: &'a [Answer<Self::Synapse>],
    ) -> BoxFuture<'a, Vec<(u16, AccountId, f64)>>;
}

/// Validator settings.
#[derive(Debug, Clone)]
pub struct ValidatorConfig {
    /// Miners queried per round (0 = all).
    pub sample_size: usize,
    /// Timeout of each query.
    pub query_timeout: Duration,
    /// EMA smoothing, (0, 1].
    pub alpha: f64,
    /// Pause between rounds in [`Validator::run`].
    pub round_interval: Duration,
    /// Set weights every this many rounds (the subnet's tempo, in rounds).
    pub tempo_rounds: u64,
    /// Never set weights more often than this (the chain's `weights_rate_limit`).
    pub min_weights_interval: Duration,
    /// Seed of the miner sampling (None: from the OS).
    pub seed: Option<u64>,
}

impl Default for ValidatorConfig {
    fn default() -> Self {
        ValidatorConfig {
            sample_size: 16,
            query_timeout: Duration::from_secs(12),
            alpha: 0.1,
            round_interval: Duration::from_secs(12),
            tempo_rounds: 10,
            min_weights_interval: Duration::from_secs(100 * 12),
            seed: None,
        }
    }
}

impl ValidatorConfig {
    /// Check ranges.
    pub fn validate(&self) -> Result<(), Error> {
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return Err(Error::Config(format!(
                "alpha must be in (0, 1], got {}",
                self.alpha
            )));
        }
        if self.query_timeout.is_zero() {
            return Err(Error::Config("query_timeout must be > 0".into()));
        }
        if self.tempo_rounds == 0 {
            return Err(Error::Config("tempo_rounds must be >= 1".into()));
        }
        Ok(())
    }
}

/// What one round did.
#[derive(Debug, Clone)]
pub struct RoundReport {
    /// Round number (from 0).
    pub round: u64,
    /// Uids queried.
    pub queried: Vec<u16>,
    /// Scores folded into the EMA this round.
    pub scores: Vec<(u16, f64)>,
    /// Queries that did not return 200.
    pub failures: usize,
}

/// Whether weights went out.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsOutcome {
    /// Submitted.
    Set {
        /// Uids.
        uids: Vec<u16>,
        /// Weights.
        weights: Vec<u16>,
    },
    /// Skipped: too soon since the last submission.
    RateLimited {
        /// Time left.
        remaining: Duration,
    },
    /// Skipped: no miner has a positive score yet.
    Empty,
}

/// A validator for subnet `S`.
pub struct Validator<S: Subnet> {
    subnet: Arc<S>,
    metagraph: Arc<dyn MetagraphView>,
    sink: Arc<dyn WeightSink>,
    dendrite: Dendrite,
    config: ValidatorConfig,
    book: ScoreBook,
    round: u64,
    last_weights: Option<Instant>,
    metrics: Arc<Metrics>,
    rng: StdRng,
}

impl<S: Subnet> Validator<S> {
    /// A validator querying with `dendrite` (whose hotkey is excluded from the miners).
    pub fn new(
        subnet: Arc<S>,
        metagraph: Arc<dyn MetagraphView>,
        sink: Arc<dyn WeightSink>,
        dendrite: Dendrite,
        config: ValidatorConfig,
    ) -> Result<Self, Error> {
        config.validate()?;
        let rng = match config.seed {
            Some(s) => StdRng::seed_from_u64(s),
            None => StdRng::from_entropy(),
        };
        Ok(Validator {
            subnet,
            metagraph,
            sink,
            dendrite,
            book: ScoreBook::new(config.alpha),
            config,
            round: 0,
            last_weights: None,
            metrics: Arc::new(Metrics::default()),
            rng,
        })
    }

    /// The counters.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// The moving averages.
    pub fn scores(&self) -> &ScoreBook {
        &self.book
    }

    /// The next round's number.
    pub fn round(&self) -> u64 {
        self.round
    }

    /// One round: challenge, query a sample of miners concurrently, score, update the EMA.
    pub async fn run_round(&mut self) -> Result<RoundReport, Error> {
        let round = self.round;
        self.round = self.round.saturating_add(1);
        let result = self.round_inner(round).await;
        match &result {
            Ok(_) => Metrics::inc(&self.metrics.rounds),
            Err(e) => {
                Metrics::inc(&self.metrics.round_errors);
                tracing::warn!(round, error = %e, "validator round failed");
            }
        }
        result
    }

    async fn round_inner(&mut self, round: u64) -> Result<RoundReport, Error> {
        let neurons = self.metagraph.neurons();
        let registered: Vec<(u16, AccountId)> = neurons.iter().map(|n| (n.uid, n.hotkey)).collect();
        self.book.retain_registered(&registered);
        let me = self.dendrite.hotkey().to_string();
        let mut miners: Vec<_> = neurons
            .into_iter()
            .filter(|n| n.axon.is_some() && n.hotkey.to_ss58() != me)
            .collect();
        if miners.is_empty() {
            return Err(Error::NoMiners);
        }
        miners.shuffle(&mut self.rng);
        if self.config.sample_size > 0 {
            miners.truncate(self.config.sample_size);
        }
        miners.sort_by_key(|n| n.uid);

        let (synapse, challenge) = self.subnet.challenge(round).await?;
        let timeout = self.config.query_timeout;
        let dendrite = &self.dendrite;
        let calls = miners.iter().filter_map(|n| {
            let axon = n.axon.clone()?;
            let syn = synapse.clone();
            let (uid, hotkey) = (n.uid, n.hotkey);
            Some(async move {
                let start = Instant::now();
                let response = dendrite.call(&axon, syn, timeout).await;
                Answer {
                    uid,
                    hotkey,
                    response,
                    latency: start.elapsed(),
                }
            })
        });
        let answers: Vec<Answer<S::Synapse>> = futures::future::join_all(calls).await;
        let mut failures = 0;
        for a in &answers {
            Metrics::inc(&self.metrics.queries);
            if !a.ok() {
                failures += 1;
                Metrics::inc(&self.metrics.query_failures);
                if a.response.is_timeout() {
                    Metrics::inc(&self.metrics.query_timeouts);
                }
            }
        }
        let scored = self.subnet.score(round, challenge, &answers).await;
        let mut scores = Vec::with_capacity(scored.len());
        for (uid, hotkey, s) in scored {
            self.book.update(uid, hotkey, s);
            scores.push((uid, s));
        }
        tracing::debug!(round, ?scores, failures, "validator round done");
        Ok(RoundReport {
            round,
            queried: answers.iter().map(|a| a.uid).collect(),
            scores,
            failures,
        })
    }

    /// The weights the EMA implies now: `(uids, u16 weights)`, max = 65535.
    pub fn weights(&self) -> (Vec<u16>, Vec<u16>) {
        to_u16_weights(&self.book.scores())
    }

    /// Submit [`weights`](Self::weights) unless the rate limit forbids it.
    pub async fn set_weights(&mut self) -> Result<WeightsOutcome, Error> {
        if let Some(last) = self.last_weights {
            let since = last.elapsed();
            if since < self.config.min_weights_interval {
                Metrics::inc(&self.metrics.weight_sets_rate_limited);
                return Ok(WeightsOutcome::RateLimited {
                    remaining: self.config.min_weights_interval.saturating_sub(since),
                });
            }
        }
        let (uids, weights) = self.weights();
        if uids.is_empty() {
            return Ok(WeightsOutcome::Empty);
        }
        let netuid = self.metagraph.netuid();
        match self.sink.set_weights(netuid, &uids, &weights).await {
            Ok(()) => {
                Metrics::inc(&self.metrics.weight_sets);
                self.last_weights = Some(Instant::now());
                tracing::info!(netuid, ?uids, ?weights, "weights set");
                Ok(WeightsOutcome::Set { uids, weights })
            }
            Err(Error::WeightsTooSoon { wait, .. }) => {
                Metrics::inc(&self.metrics.weight_sets_rate_limited);
                Ok(WeightsOutcome::RateLimited { remaining: wait })
            }
            Err(e) => {
                Metrics::inc(&self.metrics.weight_set_errors);
                Err(e)
            }
        }
    }

    /// Rounds until `cancel` fires: a round every `round_interval`, weights after every
    /// `tempo_rounds` rounds. Round and weight errors are logged, not fatal. Returns the
    /// validator so its state can be inspected or persisted.
    pub async fn run(mut self, cancel: CancellationToken) -> Self {
        loop {
            if cancel.is_cancelled() {
                break;
            }
            let started = Instant::now();
            tokio::select! {
                _ = cancel.cancelled() => break,
                r = self.run_round() => { let _ = r; }
            }
            if self.round.is_multiple_of(self.config.tempo_rounds)
                && let Err(e) = self.set_weights().await
            {
                tracing::warn!(error = %e, hint = ?e.hint(), "set_weights failed");
            }
            let pause = self.config.round_interval.saturating_sub(started.elapsed());
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = tokio::time::sleep(pause) => {}
            }
        }
        tracing::info!(rounds = self.round, "validator stopped");
        self
    }
}

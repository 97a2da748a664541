//! [`ChainWeightSink`]: weights to the chain, directly or by commit-reveal.
//!
//! The chain's rules (`crates/chain/src/weights.rs`, chain.md): `set_weights` is refused on a
//! commit-reveal subnet and within `weights_set_rate_limit` blocks of the neuron's last update
//! (the first set is free). `commit_weights` stores `blake2_256(SCALE(hotkey, netuid, uids,
//! values, salt, version_key))` tagged with the subnet's epoch and is rate-limited the same way;
//! `reveal_weights` is accepted only in epoch `commit_epoch + reveal_period_epochs` (earlier:
//! `RevealTooEarly`, later: expired). The sink commits, then a background task dry-runs the
//! reveal as epochs pass and sends it in the reveal epoch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chain::{Call, ChainError};
use client::views::BlockId;
use client::{Client, RustensorApiClient as _};
use futures::future::BoxFuture;
use keys::Keypair;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;
use types::{NetUid, TaoBalance};

use crate::error::Error;
use crate::onchain::{refusal, send_checked};
use crate::weights::WeightSink;

/// What [`ChainWeightSink::submit`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeightsReceipt {
    /// `set_weights` finalized in `block`.
    Set {
        /// Block height.
        block: u64,
    },
    /// `commit_weights` finalized in `block`; the reveal is sent in the background.
    Committed {
        /// Block height.
        block: u64,
        /// The commit hash.
        hash: [u8; 32],
    },
}

struct Inner {
    client: Arc<Client>,
    hotkey: Keypair,
    version_key: u64,
    /// One transaction at a time from this hotkey (nonces).
    send_lock: Mutex<()>,
    pending_reveals: AtomicU64,
    revealed: AtomicU64,
    failed_reveals: AtomicU64,
    poll: Duration,
    cancel: CancellationToken,
}

/// Sends a validator's weights to the chain, signed by its hotkey (see the module doc).
/// Cloning shares the state; dropping the last clone stops pending reveals.
#[derive(Clone)]
pub struct ChainWeightSink {
    inner: Arc<Inner>,
    _guard: Arc<tokio_util::sync::DropGuard>,
}

impl std::fmt::Debug for ChainWeightSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChainWeightSink")
            .field("hotkey", &self.inner.hotkey.account_id().to_ss58())
            .field("node", &self.inner.client.url())
            .finish()
    }
}

impl ChainWeightSink {
    /// A sink signing with `hotkey`, version key 0, checking pending reveals every second.
    pub fn new(client: Arc<Client>, hotkey: Keypair) -> Self {
        Self::with_options(client, hotkey, 0, Duration::from_secs(1))
    }

    /// A sink with a weights version key and the poll interval of pending reveals (use about
    /// one block time).
    pub fn with_options(
        client: Arc<Client>,
        hotkey: Keypair,
        version_key: u64,
        poll: Duration,
    ) -> Self {
        let cancel = CancellationToken::new();
        ChainWeightSink {
            _guard: Arc::new(cancel.clone().drop_guard()),
            inner: Arc::new(Inner {
                client,
                hotkey,
                version_key,
                send_lock: Mutex::new(()),
                pending_reveals: AtomicU64::new(0),
                revealed: AtomicU64::new(0),
                failed_reveals: AtomicU64::new(0),
                poll: poll.max(Duration::from_millis(50)),
                cancel,
            }),
        }
    }

    /// Commits waiting for their reveal epoch.
    pub fn pending_reveals(&self) -> u64 {
        self.inner.pending_reveals.load(Ordering::Relaxed)
    }

    /// Reveals that landed.
    pub fn revealed(&self) -> u64 {
        self.inner.revealed.load(Ordering::Relaxed)
    }

    /// Reveals given up (expired, refused).
    pub fn failed_reveals(&self) -> u64 {
        self.inner.failed_reveals.load(Ordering::Relaxed)
    }

    /// Set (or commit) `weights` for `uids` on `netuid` now and wait for finality. Refusals
    /// are typed: [`Error::WeightsTooSoon`] for the rate limit, [`Error::NotRegistered`],
    /// [`Error::Rejected`] for anything else the chain's dry run refuses (nothing is sent).
    pub async fn submit(
        &self,
        netuid: u16,
        uids: &[u16],
        weights: &[u16],
    ) -> Result<WeightsReceipt, Error> {
        if uids.len() != weights.len() {
            return Err(Error::Weights(format!(
                "{} uids but {} weights",
                uids.len(),
                weights.len()
            )));
        }
        let inner = &self.inner;
        let id = NetUid(netuid);
        let subnet = inner
            .client
            .call(|c| async move { c.subnet(id).await })
            .await?
            .ok_or(Error::SubnetNotFound(netuid))?;
        let me = inner.hotkey.account_id();
        let _lock = inner.send_lock.lock().await;
        if !subnet.hyperparams.commit_reveal_enabled {
            let call = Call::SetWeights {
                netuid: id,
                dests: uids.to_vec(),
                weights: weights.to_vec(),
                version_key: inner.version_key,
            };
            let inc = self.send(netuid, call).await?;
            return Ok(WeightsReceipt::Set { block: inc.height });
        }
        let salt: Vec<u16> = (0..8).map(|_| rand::random::<u16>()).collect();
        let hash = chain::weights::commit_hash(&me, id, uids, weights, &salt, inner.version_key);
        let inc = self
            .send(
                netuid,
                Call::CommitWeights {
                    netuid: id,
                    commit_hash: hash,
                },
            )
            .await?;
        let reveal = Call::RevealWeights {
            netuid: id,
            uids: uids.to_vec(),
            values: weights.to_vec(),
            salt,
            version_key: inner.version_key,
        };
        inner.pending_reveals.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(reveal_later(inner.clone(), netuid, reveal));
        tracing::info!(
            netuid,
            block = inc.height,
            "weights committed; reveal pending"
        );
        Ok(WeightsReceipt::Committed {
            block: inc.height,
            hash,
        })
    }

    /// `send_checked`, with the rate-limit refusals turned into [`Error::WeightsTooSoon`] and
    /// an unregistered hotkey into [`Error::NotRegistered`].
    async fn send(&self, netuid: u16, call: Call) -> Result<client::views::TxInclusion, Error> {
        let inner = &self.inner;
        match send_checked(&inner.client, &inner.hotkey, call).await {
            Err(Error::Rejected {
                error:
                    ChainError::SettingWeightsTooFast(at) | ChainError::CommittingWeightsTooFast(at),
                ..
            }) => {
                let now = inner
                    .client
                    .call(|c| async move { c.head().await })
                    .await?
                    .finalized
                    .height;
                let blocks = at.saturating_sub(now);
                let per_block = block_time(&inner.client, now).await;
                Err(Error::WeightsTooSoon {
                    next_block: at,
                    now,
                    wait: per_block.saturating_mul(u32::try_from(blocks).unwrap_or(u32::MAX)),
                })
            }
            Err(Error::Rejected {
                error: ChainError::HotKeyNotRegisteredInNetwork(_),
                ..
            }) => Err(Error::NotRegistered {
                netuid,
                hotkey: inner.hotkey.account_id().to_ss58(),
            }),
            other => other,
        }
    }
}

/// The chain's mean block time over the last (up to) 20 finalized blocks; 12 s if unknown.
pub async fn measured_block_time(client: &Client) -> Duration {
    match client.call(|c| async move { c.head().await }).await {
        Ok(h) => block_time(client, h.finalized.height).await,
        Err(_) => Duration::from_secs(12),
    }
}

/// The mean block time over the last (up to) 20 blocks before `now` (block 0 has no real
/// timestamp); 12 s if unknown.
async fn block_time(client: &Client, now: u64) -> Duration {
    let from = now.saturating_sub(20).max(1);
    let ts = |h: u64| async move {
        client
            .call(|c| async move { c.block(BlockId::Height(h)).await })
            .await
            .ok()
            .flatten()
            .map(|b| b.timestamp_ms)
    };
    match (ts(now).await, ts(from).await) {
        (Some(a), Some(b)) if now > from && a > b => Duration::from_millis(
            a.saturating_sub(b)
                .checked_div(now.saturating_sub(from))
                .unwrap_or(12_000),
        ),
        _ => Duration::from_secs(12),
    }
}

/// Dry-run the reveal every `poll` until the chain would take it, then send it. Gives up when
/// the commit expired or the chain refuses for another reason.
async fn reveal_later(inner: Arc<Inner>, netuid: u16, call: Call) {
    let me = inner.hotkey.account_id();
    let mut transient = 0u32;
    let outcome = loop {
        tokio::select! {
            _ = inner.cancel.cancelled() => break "cancelled",
            _ = tokio::time::sleep(inner.poll) => {}
        }
        let dry = inner.client.dry_run(&me, &call, TaoBalance::ZERO).await;
        let dry = match dry {
            Ok(d) => d,
            Err(e) => {
                transient = transient.saturating_add(1);
                tracing::warn!(netuid, error = %e, "reveal: dry run failed; retrying");
                if transient > 600 {
                    break "node unreachable";
                }
                continue;
            }
        };
        match refusal(&dry.outcome) {
            Some(ChainError::RevealTooEarly(_)) => continue,
            Some(e) => {
                tracing::warn!(netuid, error = %e, hint = e.hint(), "reveal refused; giving up");
                break "refused";
            }
            None => {}
        }
        let _lock = inner.send_lock.lock().await;
        match send_checked(&inner.client, &inner.hotkey, call.clone()).await {
            Ok(inc) => {
                tracing::info!(netuid, block = inc.height, "weights revealed");
                inner.revealed.fetch_add(1, Ordering::Relaxed);
                inner.pending_reveals.fetch_sub(1, Ordering::Relaxed);
                return;
            }
            // Included one block too early (the dry run runs before the block's epoch).
            Err(Error::Rejected {
                error: ChainError::RevealTooEarly(_),
                ..
            }) => continue,
            Err(e) => {
                tracing::warn!(netuid, error = %e, hint = ?e.hint(), "reveal failed");
                transient = transient.saturating_add(1);
                if transient > 600 || matches!(e, Error::Rejected { .. }) {
                    break "failed";
                }
            }
        }
    };
    tracing::debug!(netuid, outcome, "reveal task ended");
    inner.pending_reveals.fetch_sub(1, Ordering::Relaxed);
    if outcome != "cancelled" {
        inner.failed_reveals.fetch_add(1, Ordering::Relaxed);
    }
}

impl WeightSink for ChainWeightSink {
    fn set_weights<'a>(
        &'a self,
        netuid: u16,
        uids: &'a [u16],
        weights: &'a [u16],
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move { self.submit(netuid, uids, weights).await.map(|_| ()) })
    }
}

//! The chain load generator behind `rustensor bench transfers|weights|metagraph` and the
//! `network_load` example: deterministic bench keys, funding, signing on every core, batched
//! `author_submitExtrinsics` over concurrent WebSocket connections, and [`measure`], which
//! counts **finalized** transactions per second from the first submission to the finalization
//! of the block holding the last one (only transactions whose receipt says applied count as
//! applied; every signature is checked by the node, once, at its door).
//!
//! - [`session`]: the node to load, given or a dev node spawned for the run;
//! - [`bench`]: the three benchmarks as functions that return their reports.

pub mod bench;
pub mod session;

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chain::{Call, ChainId, Transaction, TxOutcome};
use client::views::{BlockId, encode_hex};
use client::{Client, ClientError, RustensorApiClient};
use keys::Keypair;
use parity_scale_codec::Encode;
use types::{AccountId, TaoBalance};

use crate::error::{DevnetError, Result};

/// Where a progress note goes (the CLI prints it on stderr).
pub type Notes<'a> = &'a dyn Fn(&str);

/// `what` failed talking to the node.
fn rpc(what: &'static str) -> impl Fn(ClientError) -> DevnetError {
    move |source| DevnetError::Rpc { what, source }
}

fn load_error(text: impl Into<String>) -> DevnetError {
    DevnetError::Load(text.into())
}

/// A signed transaction: its hex (as submitted) and its hash.
#[derive(Debug, Clone)]
pub struct Signed {
    /// SCALE bytes as `0x` hex.
    pub hex: String,
    /// Its hash.
    pub hash: [u8; 32],
}

/// A deterministic bench key (`tag`, `i`); not a secret.
pub fn bench_key(tag: &str, i: usize) -> Result<Keypair> {
    let mut seed_input = format!("rustensor-bench/{tag}/").into_bytes();
    seed_input.extend_from_slice(&u64::try_from(i).unwrap_or(u64::MAX).to_le_bytes());
    Ok(Keypair::from_seed(&node::block::blake2_256(&seed_input))?)
}

/// A dev account's key (`//NAME`).
pub fn dev_key(name: &str) -> Result<Keypair> {
    Ok(Keypair::from_uri(&format!("//{name}"))?)
}

/// Signs `n` transactions on every core; `make(k)` builds transaction `k`.
pub fn sign_all(n: usize, make: impl Fn(usize) -> Transaction + Sync) -> Vec<Signed> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let chunk = n.div_ceil(threads).max(1);
    let make = &make;
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|from| {
                s.spawn(move || {
                    (from..from.saturating_add(chunk).min(n))
                        .map(|k| {
                            let bytes = make(k).encode();
                            Signed {
                                hex: encode_hex(&bytes),
                                hash: node::block::tx_hash(&bytes),
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

/// Next nonces of `accounts`.
pub async fn next_nonces(client: &Client, accounts: &[AccountId]) -> Result<Vec<u64>> {
    let mut out = Vec::with_capacity(accounts.len());
    for who in accounts {
        let who = *who;
        out.push(
            client
                .call(|c| async move { c.account_next_index(who).await })
                .await
                .map_err(rpc("reading a nonce"))?,
        );
    }
    Ok(out)
}

/// Counts of a submission run.
#[derive(Debug, Clone, Default)]
pub struct Submitted {
    /// Accepted into the pool.
    pub accepted: usize,
    /// Refused (not counting pool-full refusals, which are retried).
    pub refused: usize,
    /// The first refusal's message.
    pub first_refusal: Option<String>,
}

/// Submits `txs` to `url` over `connections` connections in batches of `batch`; pool-full
/// refusals are retried after a pause (backpressure, not failure).
pub async fn submit_all(
    url: &str,
    txs: Arc<Vec<String>>,
    connections: usize,
    batch: usize,
) -> Result<Submitted> {
    let batch = batch.max(1);
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let refusals = Arc::new(Mutex::new((0usize, None::<String>)));
    let mut tasks = Vec::new();
    for _ in 0..connections.max(1) {
        let client = Client::connect(url).await.map_err(rpc("connecting"))?;
        let (txs, next, accepted, refusals) = (
            txs.clone(),
            next.clone(),
            accepted.clone(),
            refusals.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let from = next.fetch_add(1, Ordering::Relaxed).saturating_mul(batch);
                let Some(part) = txs.get(from..from.saturating_add(batch).min(txs.len())) else {
                    return Ok::<(), DevnetError>(());
                };
                if part.is_empty() {
                    return Ok(());
                }
                let mut pending: Vec<String> = part.to_vec();
                let mut pauses = 0u32;
                while !pending.is_empty() {
                    let results = client
                        .call(|c| {
                            let p = pending.clone();
                            async move { c.submit_extrinsics(p).await }
                        })
                        .await
                        .map_err(rpc("submitting"))?;
                    let mut retry = Vec::new();
                    for (tx, r) in pending.into_iter().zip(results) {
                        match r.error {
                            None => {
                                accepted.fetch_add(1, Ordering::Relaxed);
                            }
                            Some(e)
                                if e.code == rpc::error::code::POOL
                                    && e.message.contains("full") =>
                            {
                                retry.push(tx)
                            }
                            Some(e) => {
                                let mut r = refusals.lock().unwrap_or_else(|p| p.into_inner());
                                r.0 += 1;
                                r.1.get_or_insert(e.message);
                            }
                        }
                    }
                    if !retry.is_empty() {
                        pauses += 1;
                        if pauses > 3_000 {
                            return Err(load_error("the pool stayed full for a minute"));
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    pending = retry;
                }
            }
        }));
    }
    for t in tasks {
        t.await
            .map_err(|e| load_error(format!("submitter failed: {e}")))??;
    }
    let (refused, first_refusal) = refusals.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(Submitted {
        accepted: accepted.load(Ordering::Relaxed),
        refused,
        first_refusal,
    })
}

/// Waits until the pool is empty and everything proposed is finalized; returns that height.
pub async fn wait_drained(client: &Client, timeout: Duration) -> Result<u64> {
    let deadline = Instant::now() + timeout;
    loop {
        let h = client
            .call(|c| async move { c.health().await })
            .await
            .map_err(rpc("reading health"))?;
        if let Some(reason) = h.halted {
            return Err(load_error(format!("the node halted: {reason}")));
        }
        if h.pending == 0 && h.finalized >= h.best {
            return Ok(h.finalized);
        }
        if Instant::now() > deadline {
            return Err(load_error(format!(
                "{} transactions still pooled after {timeout:?}",
                h.pending
            )));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `who`'s state nonce reaches `nonce` (its transactions are finalized).
pub async fn wait_nonce(client: &Client, who: AccountId, nonce: u64) -> Result {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let acc = client
            .call(|c| async move { c.account(who).await })
            .await
            .map_err(rpc("reading an account"))?;
        if acc.nonce >= nonce {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(load_error(format!(
                "{who}: nonce {} after 120 s, expected {nonce}",
                acc.nonce
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Funds `dests` with `amount` each from `funders` in turn (one batch over one connection to
/// `url`) and waits until every funding transfer is final.
pub async fn fund(
    client: &Client,
    url: &str,
    chain: &ChainId,
    funders: &[Keypair],
    dests: &[AccountId],
    amount: TaoBalance,
) -> Result {
    if funders.is_empty() {
        return Err(DevnetError::Bug("funding without funders"));
    }
    let funder_ids: Vec<AccountId> = funders.iter().map(Keypair::account_id).collect();
    let base = next_nonces(client, &funder_ids).await?;
    let mut sent_by = vec![0u64; funders.len()];
    let mut txs = Vec::with_capacity(dests.len());
    for (i, dest) in dests.iter().enumerate() {
        let f = i % funders.len();
        let (Some(funder), Some(nonce)) = (funders.get(f), base.get(f)) else {
            continue;
        };
        let tx = Transaction::sign(
            funder,
            nonce + sent_by[f],
            TaoBalance::ZERO,
            Call::TransferKeepAlive {
                dest: *dest,
                value: amount,
            },
            chain,
        );
        sent_by[f] += 1;
        txs.push(encode_hex(&tx.encode()));
    }
    let funded = submit_all(url, Arc::new(txs), 1, 512).await?;
    if funded.refused > 0 {
        return Err(load_error(format!(
            "funding refused: {}",
            funded.first_refusal.unwrap_or_default()
        )));
    }
    for ((who, nonce), sent) in funder_ids.iter().zip(&base).zip(&sent_by) {
        wait_nonce(client, *who, nonce + sent).await?;
    }
    Ok(())
}

/// The largest batch that stays under the node's 2 MiB request limit for transactions of
/// `tx_hex_len` hex characters (and at most `rpc::MAX_BATCH`).
pub fn capped_batch(batch: usize, tx_hex_len: usize) -> usize {
    batch
        .clamp(1, rpc::MAX_BATCH)
        .min((1_800_000 / (tx_hex_len + 4)).max(1))
}

/// One finalized block that carried load.
#[derive(Debug, Clone)]
pub struct LoadedBlock {
    /// Its height.
    pub height: u64,
    /// Our transactions in it.
    pub ours: usize,
    /// Its proposal timestamp (ms since the Unix epoch).
    pub timestamp_ms: u64,
    /// Proposal to the moment the measuring client heard it was finalized, ms.
    pub latency_ms: Option<f64>,
}

/// What [`measure`] saw.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Transactions sent.
    pub sent: usize,
    /// Accepted, refused, first refusal.
    pub submitted: Submitted,
    /// Seconds from the first submission to the last answer.
    pub submit_secs: f64,
    /// Wall clock of the first submission (ms since the Unix epoch).
    pub started_ms: u64,
    /// Ours that applied.
    pub applied: usize,
    /// Ours that were included but failed.
    pub failed: usize,
    /// The first failure.
    pub first_failure: Option<String>,
    /// Blocks holding ours, in height order.
    pub blocks: Vec<LoadedBlock>,
    /// First submission to the finalization of the block holding the last of ours, seconds.
    pub finalized_secs: f64,
}

impl Measured {
    /// Applied transactions per second, first submission to finalization.
    pub fn finalized_per_sec(&self) -> f64 {
        self.applied as f64 / self.finalized_secs.max(1e-9)
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Submits every part's transactions to its URL (all parts at once, `connections` each, in
/// batches of `batch`), follows finalized heads at `client`, waits for its pool to drain,
/// then reads the blocks and counts ours.
pub async fn measure(
    client: &Client,
    parts: Vec<(String, Vec<Signed>)>,
    connections: usize,
    batch: usize,
) -> Result<Measured> {
    submit_and_drain(client, parts, connections, batch)
        .await?
        .count(client)
        .await
}

/// A load submitted and drained, not yet counted (see [`measure`]).
#[derive(Debug)]
pub struct Drained {
    ours: HashSet<[u8; 32]>,
    /// Per finalized height: when the follower heard of it (instant and wall clock ms).
    heard: Arc<Mutex<BTreeMap<u64, (Instant, u64)>>>,
    t0: Instant,
    started_ms: u64,
    start_height: u64,
    end_height: u64,
    submitted: Submitted,
    submit_secs: f64,
}

/// The first half of [`measure`]: submit, follow finality, wait until the pool is empty.
pub async fn submit_and_drain(
    client: &Client,
    parts: Vec<(String, Vec<Signed>)>,
    connections: usize,
    batch: usize,
) -> Result<Drained> {
    let ours: HashSet<[u8; 32]> = parts
        .iter()
        .flat_map(|(_, signed)| signed.iter().map(|s| s.hash))
        .collect();
    // Finalization times, from the moment each head arrives.
    let rpc_conn = client.rpc().await.map_err(rpc("connecting"))?;
    let mut sub = rpc_conn
        .subscribe_finalized_heads()
        .await
        .map_err(|e| load_error(format!("subscribing to finalized heads: {e}")))?;
    let heard: Arc<Mutex<BTreeMap<u64, (Instant, u64)>>> = Arc::default();
    let follower = {
        let heard = heard.clone();
        tokio::spawn(async move {
            while let Some(Ok(head)) = sub.next().await {
                heard
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(head.height, (Instant::now(), now_ms()));
            }
        })
    };
    let start_height = client
        .call(|c| async move { c.head().await })
        .await
        .map_err(rpc("reading the head"))?
        .finalized
        .height;
    let t0 = Instant::now();
    let started_ms = now_ms();
    let submitters: Vec<_> = parts
        .into_iter()
        .map(|(url, signed)| {
            let txs = Arc::new(signed.into_iter().map(|s| s.hex).collect::<Vec<_>>());
            tokio::spawn(async move { submit_all(&url, txs, connections, batch).await })
        })
        .collect();
    let mut submitted = Submitted::default();
    for s in submitters {
        let part = s
            .await
            .map_err(|e| load_error(format!("submitter failed: {e}")))??;
        submitted.accepted += part.accepted;
        submitted.refused += part.refused;
        if submitted.first_refusal.is_none() {
            submitted.first_refusal = part.first_refusal;
        }
    }
    let submit_secs = t0.elapsed().as_secs_f64();
    let end_height = wait_drained(client, Duration::from_secs(300)).await;
    follower.abort();
    Ok(Drained {
        ours,
        heard,
        t0,
        started_ms,
        start_height,
        end_height: end_height?,
        submitted,
        submit_secs,
    })
}

impl Drained {
    /// The second half of [`measure`]: reads the finalized blocks and counts ours (not timed).
    pub async fn count(self, client: &Client) -> Result<Measured> {
        let (mut applied, mut failed, mut first_failure) = (0usize, 0usize, None);
        let mut blocks = Vec::new();
        for h in self.start_height.saturating_add(1)..=self.end_height {
            let Some(block) = client
                .call(|c| async move { c.block(BlockId::Height(h)).await })
                .await
                .map_err(rpc("reading a block"))?
            else {
                return Err(load_error(format!("finalized block {h} is missing")));
            };
            let mut n = 0;
            for x in block
                .extrinsics
                .iter()
                .filter(|x| self.ours.contains(&x.hash.0))
            {
                n += 1;
                match x.receipt.as_ref().map(|r| &r.outcome) {
                    Some(TxOutcome::Applied) => applied += 1,
                    other => {
                        failed += 1;
                        if first_failure.is_none() {
                            first_failure = Some(format!("{other:?}"));
                        }
                    }
                }
            }
            if n > 0 {
                let heard_ms = self.heard_at(h).map(|(_, ms)| ms);
                blocks.push(LoadedBlock {
                    height: h,
                    ours: n,
                    timestamp_ms: block.timestamp_ms,
                    latency_ms: heard_ms.map(|ms| ms.saturating_sub(block.timestamp_ms) as f64),
                });
            }
        }
        let last_height = blocks.last().map_or(self.start_height, |b| b.height);
        // The first finalization heard at or after the block holding the last of ours.
        let done_at = {
            let heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
            heard.range(last_height..).next().map(|(_, (at, _))| *at)
        }
        .unwrap_or_else(Instant::now);
        Ok(Measured {
            sent: self.ours.len(),
            submitted: self.submitted,
            submit_secs: self.submit_secs,
            started_ms: self.started_ms,
            applied,
            failed,
            first_failure,
            blocks,
            finalized_secs: done_at.saturating_duration_since(self.t0).as_secs_f64(),
        })
    }

    fn heard_at(&self, height: u64) -> Option<(Instant, u64)> {
        let heard = self.heard.lock().unwrap_or_else(|p| p.into_inner());
        heard.get(&height).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_keys_are_deterministic_and_distinct() {
        let a = bench_key("t", 0).unwrap().account_id();
        assert_eq!(a, bench_key("t", 0).unwrap().account_id());
        assert_ne!(a, bench_key("t", 1).unwrap().account_id());
        assert_ne!(a, bench_key("u", 0).unwrap().account_id());
    }

    #[test]
    fn signing_on_every_core_keeps_the_order() {
        let alice = dev_key("Alice").unwrap();
        let bob = dev_key("Bob").unwrap().account_id();
        let chain = ChainId {
            genesis_hash: [7; 32],
            spec_version: 1,
        };
        let make = |k: usize| {
            Transaction::sign(
                &alice,
                k as u64,
                TaoBalance::ZERO,
                Call::TransferKeepAlive {
                    dest: bob,
                    value: TaoBalance::from_rao(1),
                },
                &chain,
            )
        };
        let signed = sign_all(9, make);
        assert_eq!(signed.len(), 9);
        for (k, s) in signed.iter().enumerate() {
            // Signatures are randomized: check the decoded transaction and the hash.
            let bytes = client::views::decode_hex(&s.hex).unwrap();
            assert_eq!(s.hash, node::block::tx_hash(&bytes), "transaction {k}");
            let tx = <Transaction as parity_scale_codec::Decode>::decode(&mut &bytes[..]).unwrap();
            assert_eq!(tx.nonce, k as u64);
        }
    }

    #[test]
    fn batches_stay_under_the_request_limit() {
        assert_eq!(capped_batch(1024, 300), 1024);
        assert_eq!(capped_batch(100_000, 10), rpc::MAX_BATCH);
        assert_eq!(capped_batch(1024, 100_000), 17);
        assert_eq!(capped_batch(0, 300), 1);
    }
}

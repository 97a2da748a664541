//! `bench transfers` and `bench weights`: finalized transactions per second on a real node.
//!
//! 1. Target: `--network URL`, or a dev node spawned for the run (`rustensor node --dev --tmp`;
//!    then its start-to-first-finalized-block time and memory are measured too).
//! 2. Setup (not timed): fund the sending accounts from the dev accounts (transfers), or register
//!    the validator hotkeys (weights); read every sender's next nonce.
//! 3. Pre-sign every transaction on all cores (signing is the wallet's cost, not the node's).
//! 4. Submit over `--connections` WebSocket connections in `author_submitExtrinsics` batches of
//!    `--batch`, nonce-major so each account's transactions arrive roughly in order; a batch
//!    the pool refuses as full is retried after a pause (backpressure, not failure).
//! 5. Follow finalized heads (their arrival time is the finalization time), wait for the pool to
//!    drain, then read the blocks and count our transactions whose receipt says applied.
//!
//! Finalized/s = applied / (finalization of the block holding the last one − first submission).

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chain::hyperparams::HyperparamValue;
use chain::{Call, ChainId, Transaction, TxOutcome};
use clap::Args;
use client::{Client, RustensorApiClient, TxOptions};
use keys::Keypair;
use parity_scale_codec::Encode;
use rpc::views::{BlockId, encode_hex};
use serde::Serialize;
use types::{AccountId, NetUid, TaoBalance};

use crate::error::{CliError, CliResult};
use crate::output::Output;

/// Where to send the load, and how.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// Node to load (WebSocket JSON-RPC) [default: spawn a dev node for the run].
    #[arg(long, conflicts_with = "spawn_dev")]
    network: Option<String>,
    /// Spawn `rustensor node --dev --tmp` for the run (the default without --network).
    #[arg(long)]
    spawn_dev: bool,
    /// Concurrent WebSocket connections submitting.
    #[arg(long, default_value_t = 4)]
    connections: usize,
    /// Transactions per `author_submitExtrinsics` call (at most 4096; capped to stay under
    /// the node's 2 MiB request limit).
    #[arg(long, default_value_t = 1024)]
    batch: usize,
}

/// `bench transfers`.
#[derive(Debug, Args)]
pub struct TransfersArgs {
    #[command(flatten)]
    target: Target,
    /// Sending accounts (funded from //Alice, //Bob and //Charlie first).
    #[arg(long, default_value_t = 512)]
    accounts: usize,
    /// Transfers to send.
    #[arg(long, default_value_t = 100_000)]
    count: usize,
}

/// `bench weights`.
#[derive(Debug, Args)]
pub struct WeightsArgs {
    #[command(flatten)]
    target: Target,
    /// Validator hotkeys (registered on the subnet by //Alice first).
    #[arg(long, default_value_t = 64)]
    validators: usize,
    /// set_weights transactions to send.
    #[arg(long, default_value_t = 20_000)]
    count: usize,
    /// The subnet (//Alice must be sudo, as on a dev chain, to lift the registration limit).
    #[arg(long, default_value_t = 1)]
    netuid: u16,
}

/// `bench metagraph`.
#[derive(Debug, Args)]
pub struct MetagraphArgs {
    #[command(flatten)]
    target: Target,
    /// Neurons on the subnet (registered by //Alice; the uid limit is raised to this).
    #[arg(long, default_value_t = 256)]
    uids: u16,
    /// Of them, validators that set weights to every uid first (weight rows make the
    /// metagraph realistic).
    #[arg(long, default_value_t = 64)]
    validators: u16,
    /// Timed `neuronInfo_getMetagraph` calls.
    #[arg(long, default_value_t = 200)]
    requests: usize,
    /// The subnet (//Alice must be sudo, as on a dev chain).
    #[arg(long, default_value_t = 1)]
    netuid: u16,
}

/// What `bench metagraph` measured.
#[derive(Debug, Serialize)]
struct MetagraphReport {
    netuid: u16,
    uids: usize,
    weight_rows: usize,
    requests: usize,
    json_bytes: usize,
    mean_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

/// What a run measured.
#[derive(Debug, Serialize)]
struct Report {
    kind: &'static str,
    senders: usize,
    connections: usize,
    batch: usize,
    sent: usize,
    accepted: usize,
    refused: usize,
    first_refusal: Option<String>,
    submit_secs: f64,
    submitted_per_sec: f64,
    applied: usize,
    failed: usize,
    first_failure: Option<String>,
    blocks: usize,
    largest_block: usize,
    finalized_secs: f64,
    finalized_per_sec: f64,
    node: Option<NodeFigures>,
}

/// Figures of a spawned dev node.
#[derive(Debug, Serialize)]
struct NodeFigures {
    /// Process start to block 1 finalized (seen over RPC).
    start_to_first_block_ms: f64,
    /// Resident memory before the load.
    idle_rss_mib: f64,
    /// Resident memory after the load.
    loaded_rss_mib: f64,
}

fn err(what: &str) -> impl Fn(client::ClientError) -> CliError + '_ {
    move |e| {
        let hint = e.hint();
        let c = CliError::new(format!("{what}: {e}"));
        match hint {
            Some(h) => c.with_hint(h),
            None => c,
        }
    }
}

/// A dev node spawned for the run, killed on drop.
struct DevNode {
    child: Child,
    url: String,
    started: Instant,
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl DevNode {
    fn spawn() -> CliResult<Self> {
        let exe = std::env::current_exe()
            .map_err(|e| CliError::new(format!("cannot find this program's path: {e}")))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| CliError::new(format!("no free port: {e}")))?
            .port();
        let started = Instant::now();
        let mut child = Command::new(exe)
            .args(["node", "--dev", "--tmp", "--rpc-port", &port.to_string()])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| CliError::new(format!("cannot start a dev node: {e}")))?;
        let first = child.stdout.take().and_then(|out| {
            let mut lines = BufReader::new(out).lines();
            let first = lines.next().and_then(Result::ok);
            std::thread::spawn(move || for _ in lines {});
            first
        });
        let node = Self {
            child,
            url: format!("ws://127.0.0.1:{port}"),
            started,
        };
        match first {
            Some(line) if line.contains("JSON-RPC on") => Ok(node),
            other => Err(CliError::new(format!(
                "the dev node did not start: {}",
                other.unwrap_or_default()
            ))),
        }
    }

    fn rss_mib(&self) -> f64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("VmRSS:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    }
}

/// A deterministic bench key (`tag`, `i`); not a secret.
fn bench_key(tag: &str, i: usize) -> CliResult<Keypair> {
    let mut seed_input = format!("rustensor-bench/{tag}/").into_bytes();
    seed_input.extend_from_slice(&(i as u64).to_le_bytes());
    Keypair::from_seed(&node::block::blake2_256(&seed_input))
        .map_err(|e| CliError::new(format!("bench key: {e}")))
}

fn dev_key(name: &str) -> CliResult<Keypair> {
    Keypair::from_uri(&format!("//{name}")).map_err(|e| CliError::new(format!("//{name}: {e}")))
}

/// Signs `n` transactions on every core; `make(k)` builds transaction `k`.
fn sign_all(n: usize, make: impl Fn(usize) -> Transaction + Sync) -> Vec<(String, [u8; 32])> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    let chunk = n.div_ceil(threads).max(1);
    let make = &make;
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..n)
            .step_by(chunk)
            .map(|from| {
                s.spawn(move || {
                    (from..(from + chunk).min(n))
                        .map(|k| {
                            let bytes = make(k).encode();
                            (encode_hex(&bytes), node::block::tx_hash(&bytes))
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
async fn next_nonces(client: &Client, accounts: &[AccountId]) -> CliResult<Vec<u64>> {
    let mut out = Vec::with_capacity(accounts.len());
    for who in accounts {
        let who = *who;
        out.push(
            client
                .call(|c| async move { c.account_next_index(who).await })
                .await
                .map_err(err("reading a nonce"))?,
        );
    }
    Ok(out)
}

/// Counts of a submission run.
struct Submitted {
    accepted: usize,
    refused: usize,
    first_refusal: Option<String>,
}

/// Submits `txs` over `connections` connections in batches; pool-full refusals are retried.
async fn submit_all(
    url: &str,
    txs: Arc<Vec<String>>,
    connections: usize,
    batch: usize,
) -> CliResult<Submitted> {
    let next = Arc::new(AtomicUsize::new(0));
    let accepted = Arc::new(AtomicUsize::new(0));
    let refusals = Arc::new(Mutex::new((0usize, None::<String>)));
    let mut tasks = Vec::new();
    for _ in 0..connections.max(1) {
        let client = Client::connect(url).await.map_err(err("connecting"))?;
        let (txs, next, accepted, refusals) = (
            txs.clone(),
            next.clone(),
            accepted.clone(),
            refusals.clone(),
        );
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let from = i.saturating_mul(batch);
                if from >= txs.len() {
                    return Ok::<(), CliError>(());
                }
                let mut pending: Vec<String> = txs[from..(from + batch).min(txs.len())].to_vec();
                let mut pauses = 0u32;
                while !pending.is_empty() {
                    let results = client
                        .call(|c| {
                            let p = pending.clone();
                            async move { c.submit_extrinsics(p).await }
                        })
                        .await
                        .map_err(err("submitting"))?;
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
                            return Err(CliError::new("the pool stayed full for a minute"));
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
            .map_err(|e| CliError::new(format!("submitter failed: {e}")))??;
    }
    let (refused, first_refusal) = refusals.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(Submitted {
        accepted: accepted.load(Ordering::Relaxed),
        refused,
        first_refusal,
    })
}

/// Waits until the pool is empty and everything proposed is finalized; returns that height.
async fn wait_drained(client: &Client, timeout: Duration) -> CliResult<u64> {
    let deadline = Instant::now() + timeout;
    loop {
        let h = client
            .call(|c| async move { c.health().await })
            .await
            .map_err(err("reading health"))?;
        if let Some(reason) = h.halted {
            return Err(CliError::new(format!("the node halted: {reason}")));
        }
        if h.pending == 0 && h.finalized >= h.best {
            return Ok(h.finalized);
        }
        if Instant::now() > deadline {
            return Err(CliError::new(format!(
                "{} transactions still pooled after {timeout:?}",
                h.pending
            )));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until `who`'s state nonce reaches `nonce` (its transactions are finalized).
async fn wait_nonce(client: &Client, who: AccountId, nonce: u64) -> CliResult<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let acc = client
            .call(|c| async move { c.account(who).await })
            .await
            .map_err(err("reading an account"))?;
        if acc.nonce >= nonce {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(CliError::new(format!(
                "{who}: nonce {} after 120 s, expected {nonce}",
                acc.nonce
            )));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The node to load: connected, with the dev node (if spawned) and its figures so far.
struct Session {
    client: Client,
    url: String,
    chain: ChainId,
    dev: Option<DevNode>,
    first_block_ms: f64,
    idle_rss_mib: f64,
}

async fn session(target: &Target, out: &Output) -> CliResult<Session> {
    let (dev, url) = match &target.network {
        Some(url) if !target.spawn_dev => (None, url.clone()),
        _ => {
            out.note("Starting a dev node (rustensor node --dev --tmp)...");
            let dev = DevNode::spawn()?;
            let url = dev.url.clone();
            (Some(dev), url)
        }
    };
    let client = Client::connect(&url).await.map_err(err("connecting"))?;
    let mut first_block_ms = 0.0;
    let mut idle_rss_mib = 0.0;
    if let Some(dev) = &dev {
        loop {
            let h = client
                .call(|c| async move { c.health().await })
                .await
                .map_err(err("reading health"))?;
            if h.finalized >= 1 {
                first_block_ms = dev.started.elapsed().as_secs_f64() * 1e3;
                break;
            }
            if dev.started.elapsed() > Duration::from_secs(30) {
                return Err(CliError::new("the dev node finalized nothing in 30 s"));
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // Idle: a couple of seconds of empty blocks.
        tokio::time::sleep(Duration::from_secs(2)).await;
        idle_rss_mib = dev.rss_mib();
    }
    let chain = client
        .chain_id()
        .await
        .map_err(err("reading the chain id"))?
        .chain_id();
    Ok(Session {
        client,
        url,
        chain,
        dev,
        first_block_ms,
        idle_rss_mib,
    })
}

/// Submits the signed transactions, follows finality and counts what was applied.
async fn measure(
    s: &Session,
    kind: &'static str,
    senders: usize,
    signed: Vec<(String, [u8; 32])>,
    target: &Target,
    tx_hex_len: usize,
) -> CliResult<Report> {
    let ours: HashSet<[u8; 32]> = signed.iter().map(|(_, h)| *h).collect();
    let txs: Arc<Vec<String>> = Arc::new(signed.into_iter().map(|(x, _)| x).collect());
    // Stay under the node's 2 MiB request limit.
    let batch = target
        .batch
        .clamp(1, rpc::MAX_BATCH)
        .min((1_800_000 / (tx_hex_len + 4)).max(1));
    // Finalization times, from the moment each head arrives.
    let rpc_conn = s.client.rpc().await.map_err(err("connecting"))?;
    let mut sub = rpc_conn
        .subscribe_finalized_heads()
        .await
        .map_err(|e| CliError::new(format!("subscribing to finalized heads: {e}")))?;
    let times: Arc<Mutex<BTreeMap<u64, Instant>>> = Arc::default();
    let follower = {
        let times = times.clone();
        tokio::spawn(async move {
            while let Some(Ok(head)) = sub.next().await {
                times
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(head.height, Instant::now());
            }
        })
    };
    let start_height = s
        .client
        .call(|c| async move { c.head().await })
        .await
        .map_err(err("reading the head"))?
        .finalized
        .height;
    let t0 = Instant::now();
    let submitted = submit_all(&s.url, txs.clone(), target.connections, batch).await?;
    let submit_secs = t0.elapsed().as_secs_f64();
    let end_height = wait_drained(&s.client, Duration::from_secs(300)).await?;
    follower.abort();
    let loaded_rss = s.dev.as_ref().map(DevNode::rss_mib);

    // Count (not timed).
    let (mut applied, mut failed, mut first_failure) = (0usize, 0usize, None);
    let (mut blocks, mut largest, mut last_height) = (0usize, 0usize, start_height);
    for h in start_height.saturating_add(1)..=end_height {
        let Some(block) = s
            .client
            .call(|c| async move { c.block(BlockId::Height(h)).await })
            .await
            .map_err(err("reading a block"))?
        else {
            return Err(CliError::new(format!("finalized block {h} is missing")));
        };
        let mine = block.extrinsics.iter().filter(|x| ours.contains(&x.hash.0));
        let mut n = 0;
        for x in mine {
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
            blocks += 1;
            largest = largest.max(n);
            last_height = h;
        }
    }
    let done_at = {
        let t = times.lock().unwrap_or_else(|p| p.into_inner());
        t.range(last_height..).next().map(|(_, at)| *at)
    }
    .unwrap_or_else(Instant::now);
    let finalized_secs = done_at.saturating_duration_since(t0).as_secs_f64();
    Ok(Report {
        kind,
        senders,
        connections: target.connections,
        batch,
        sent: txs.len(),
        accepted: submitted.accepted,
        refused: submitted.refused,
        first_refusal: submitted.first_refusal,
        submit_secs,
        submitted_per_sec: submitted.accepted as f64 / submit_secs.max(1e-9),
        applied,
        failed,
        first_failure,
        blocks,
        largest_block: largest,
        finalized_secs,
        finalized_per_sec: applied as f64 / finalized_secs.max(1e-9),
        node: s.dev.as_ref().map(|_| NodeFigures {
            start_to_first_block_ms: s.first_block_ms,
            idle_rss_mib: s.idle_rss_mib,
            loaded_rss_mib: loaded_rss.unwrap_or(0.0),
        }),
    })
}

/// Sends a sudo hyperparameter change as //Alice and checks it applied.
async fn sudo_set(
    s: &Session,
    alice: &Keypair,
    netuid: NetUid,
    value: HyperparamValue,
) -> CliResult {
    let name = value.name();
    let r = s
        .client
        .send(
            alice,
            Call::SudoSetHyperparameter { netuid, value },
            TxOptions::default(),
        )
        .await
        .map_err(err(
            "a sudo call (needs //Alice as sudo, as on a dev chain)",
        ))?;
    if let Some(TxOutcome::Failed(e) | TxOutcome::Invalid(e)) =
        r.inclusion.and_then(|i| i.receipt).map(|r| r.outcome)
    {
        return Err(CliError::new(format!("setting {name} failed: {e}")));
    }
    Ok(())
}

/// A signed set_weights to every uid of `dests`, with pseudo-random weights varied by `seed`
/// (so repeated submissions differ).
fn set_weights(
    key: &Keypair,
    nonce: u64,
    netuid: NetUid,
    dests: &[u16],
    seed: u64,
    chain: &ChainId,
) -> Transaction {
    let weights = dests
        .iter()
        .map(|d| (((seed + 1) * 2_654_435_761 + u64::from(*d) * 40_503) % 65_535) as u16 + 1)
        .collect();
    Transaction::sign(
        key,
        nonce,
        TaoBalance::ZERO,
        Call::SetWeights {
            netuid,
            dests: dests.to_vec(),
            weights,
            version_key: u64::MAX,
        },
        chain,
    )
}

/// Sends one call per hotkey from `signer` (consecutive nonces, one batch) and waits until the
/// last is final.
async fn send_each(
    s: &Session,
    signer: &Keypair,
    hotkeys: &[AccountId],
    call: impl Fn(&AccountId) -> Call,
) -> CliResult {
    let who = signer.account_id();
    let base = s
        .client
        .call(|c| async move { c.account_next_index(who).await })
        .await
        .map_err(err("reading a nonce"))?;
    let txs: Vec<String> = hotkeys
        .iter()
        .enumerate()
        .map(|(i, hotkey)| {
            let tx = Transaction::sign(
                signer,
                base + i as u64,
                TaoBalance::ZERO,
                call(hotkey),
                &s.chain,
            );
            encode_hex(&tx.encode())
        })
        .collect();
    let n = txs.len() as u64;
    submit_all(&s.url, Arc::new(txs), 1, 512).await?;
    wait_nonce(&s.client, who, base + n).await
}

/// Gives `ids` validator permits: raises the subnet's validator limit to fit them beside the
/// owner, stakes 1 TAO on each from //Alice, and waits two epochs (permits go by stake at
/// each epoch).
async fn grant_permits(
    s: &Session,
    alice: &Keypair,
    netuid: NetUid,
    ids: &[AccountId],
    out: &Output,
) -> CliResult {
    let wanted = u16::try_from(ids.len() + 1).unwrap_or(u16::MAX);
    sudo_set(
        s,
        alice,
        netuid,
        HyperparamValue::MaxAllowedValidators(wanted),
    )
    .await?;
    out.note(format!(
        "Staking on {} hotkeys and waiting two epochs for their validator permits...",
        ids.len()
    ));
    send_each(s, alice, ids, |hotkey| Call::AddStake {
        hotkey: *hotkey,
        netuid,
        amount_staked: TaoBalance::from_rao(1_000_000_000),
    })
    .await?;
    let tempo = s
        .client
        .call(|c| async move { c.hyperparams(netuid).await })
        .await
        .map_err(err("reading the hyperparameters"))?
        .map_or(10, |h| u64::from(h.tempo));
    let head = || async {
        s.client
            .call(|c| async move { c.head().await })
            .await
            .map_err(err("reading the head"))
            .map(|h| h.finalized.height)
    };
    let start = head().await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while head().await? <= start + 2 * tempo + 1 {
        if Instant::now() > deadline {
            return Err(CliError::new("two epochs did not pass in 120 s"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// Registers every hotkey of `ids` missing from subnet `netuid` (burned registration paid by
/// //Alice, after lifting the per-block registration limit and, if given, raising the uid
/// limit); returns the metagraph with all of them.
async fn register_hotkeys(
    s: &Session,
    alice: &Keypair,
    netuid: NetUid,
    ids: &[AccountId],
    max_uids: Option<u16>,
    out: &Output,
) -> CliResult<rpc::views::MetagraphView> {
    // Lift the per-block registration limit so setup takes one block, not one per hotkey.
    sudo_set(
        s,
        alice,
        netuid,
        HyperparamValue::MaxRegistrationsPerBlock(u16::MAX),
    )
    .await?;
    if let Some(n) = max_uids {
        sudo_set(s, alice, netuid, HyperparamValue::MaxAllowedUids(n)).await?;
    }
    let meta = s
        .client
        .call(|c| async move { c.metagraph(netuid).await })
        .await
        .map_err(err("reading the metagraph"))?
        .ok_or_else(|| CliError::new(format!("subnet {} does not exist", netuid.0)))?;
    let registered: HashSet<AccountId> = meta.neurons.iter().map(|n| n.hotkey).collect();
    let missing: Vec<AccountId> = ids
        .iter()
        .filter(|h| !registered.contains(h))
        .copied()
        .collect();
    if !missing.is_empty() {
        out.note(format!(
            "Registering {} hotkeys on subnet {}...",
            missing.len(),
            netuid.0
        ));
        send_each(s, alice, &missing, |hotkey| Call::BurnedRegister {
            netuid,
            hotkey: *hotkey,
        })
        .await?;
    }
    let meta = s
        .client
        .call(|c| async move { c.metagraph(netuid).await })
        .await
        .map_err(err("reading the metagraph"))?
        .ok_or_else(|| CliError::new("the subnet vanished"))?;
    let now: HashSet<AccountId> = meta.neurons.iter().map(|n| n.hotkey).collect();
    if let Some(absent) = ids.iter().find(|h| !now.contains(h)) {
        return Err(CliError::new(format!(
            "hotkey {absent} did not register on subnet {}",
            netuid.0
        ))
        .with_hint("check the subnet's burn and registration settings"));
    }
    Ok(meta)
}

fn print(report: &Report, out: &Output) {
    if out.is_json() {
        out.json(report);
        return;
    }
    out.line(format!(
        "{}: {} sent from {} senders over {} connections in batches of {}",
        report.kind, report.sent, report.senders, report.connections, report.batch
    ));
    out.line(format!(
        "  submitted: {} accepted, {} refused in {:.2} s ({:.0}/s){}",
        report.accepted,
        report.refused,
        report.submit_secs,
        report.submitted_per_sec,
        report
            .first_refusal
            .as_ref()
            .map(|r| format!("; first refusal: {r}"))
            .unwrap_or_default()
    ));
    out.line(format!(
        "  finalized: {} applied, {} failed, in {} blocks (largest {}), {:.2} s after the first submission",
        report.applied, report.failed, report.blocks, report.largest_block, report.finalized_secs
    ));
    if let Some(f) = &report.first_failure {
        out.line(format!("  first failure: {f}"));
    }
    out.line(format!(
        "  => {:.0} finalized {}/s (every signature checked by the node)",
        report.finalized_per_sec, report.kind
    ));
    if let Some(n) = &report.node {
        out.line(format!(
            "  dev node: start to first finalized block {:.0} ms; RSS idle {:.1} MiB, after the load {:.1} MiB",
            n.start_to_first_block_ms, n.idle_rss_mib, n.loaded_rss_mib
        ));
    }
}

fn runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the async runtime: {e}")))
}

/// `bench metagraph`: a full subnet's metagraph over RPC, timed from the client.
pub fn metagraph(args: MetagraphArgs, out: &Output) -> CliResult {
    let uids = args.uids.max(1);
    let validators = args.validators.min(uids);
    let netuid = NetUid(args.netuid);
    runtime()?.block_on(async {
        let s = session(&args.target, out).await?;
        let alice = dev_key("Alice")?;
        let before = s
            .client
            .call(|c| async move { c.metagraph(netuid).await })
            .await
            .map_err(err("reading the metagraph"))?
            .ok_or_else(|| CliError::new(format!("subnet {} does not exist", netuid.0)))?;
        let wanted = usize::from(uids).saturating_sub(before.neurons.len());
        let hotkeys: Vec<Keypair> = (0..wanted)
            .map(|i| bench_key("metagraph", i))
            .collect::<CliResult<_>>()?;
        let ids: Vec<AccountId> = hotkeys.iter().map(Keypair::account_id).collect();
        let meta = register_hotkeys(&s, &alice, netuid, &ids, Some(uids), out).await?;
        let n = meta.neurons.len();
        // Weight rows from the first validators, to every uid.
        let setters: Vec<&Keypair> = hotkeys.iter().take(usize::from(validators)).collect();
        if !setters.is_empty() {
            let setter_ids: Vec<AccountId> = setters.iter().map(|k| k.account_id()).collect();
            grant_permits(&s, &alice, netuid, &setter_ids, out).await?;
            out.note(format!("Setting weights from {} hotkeys over {n} uids...", setters.len()));
            let nonces = next_nonces(&s.client, &setter_ids).await?;
            let dests: Vec<u16> = (0..n as u16).collect();
            let chain = s.chain;
            let signed: Vec<String> = setters
                .iter()
                .zip(&nonces)
                .enumerate()
                .map(|(k, (key, nonce))| {
                    encode_hex(&set_weights(key, *nonce, netuid, &dests, k as u64, &chain).encode())
                })
                .collect();
            submit_all(&s.url, Arc::new(signed), 1, 512).await?;
            if let (Some(last), Some(nonce)) = (setter_ids.last(), nonces.last()) {
                wait_nonce(&s.client, *last, nonce + 1).await?;
            }
        }
        let probe = s
            .client
            .call(|c| async move { c.metagraph(netuid).await })
            .await
            .map_err(err("reading the metagraph"))?
            .ok_or_else(|| CliError::new("the subnet vanished"))?;
        let weight_rows = probe.neurons.iter().filter(|n| !n.weights.is_empty()).count();
        let json_bytes = serde_json::to_vec(&probe).map(|v| v.len()).unwrap_or(0);
        out.note(format!(
            "Timing {} metagraph reads ({} uids, {weight_rows} weight rows, {json_bytes} bytes of JSON)...",
            args.requests,
            probe.neurons.len()
        ));
        let mut times = Vec::with_capacity(args.requests);
        for _ in 0..args.requests.max(1) {
            let t = Instant::now();
            let m = s
                .client
                .call(|c| async move { c.metagraph(netuid).await })
                .await
                .map_err(err("reading the metagraph"))?;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            if m.is_none() {
                return Err(CliError::new("the subnet vanished"));
            }
        }
        times.sort_by(f64::total_cmp);
        let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        let report = MetagraphReport {
            netuid: netuid.0,
            uids: probe.neurons.len(),
            weight_rows,
            requests: times.len(),
            json_bytes,
            mean_ms: times.iter().sum::<f64>() / times.len() as f64,
            p50_ms: pick(0.5),
            p99_ms: pick(0.99),
            max_ms: times.last().copied().unwrap_or(0.0),
        };
        if out.is_json() {
            out.json(&report);
        } else {
            out.line(format!(
                "metagraph of subnet {}: {} uids, {} weight rows, {} bytes of JSON",
                report.netuid, report.uids, report.weight_rows, report.json_bytes
            ));
            out.line(format!(
                "  {} reads over one WebSocket: mean {:.2} ms, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
                report.requests, report.mean_ms, report.p50_ms, report.p99_ms, report.max_ms
            ));
        }
        Ok(())
    })
}

/// `bench transfers`.
pub fn transfers(args: TransfersArgs, out: &Output) -> CliResult {
    let accounts = args.accounts.clamp(1, 3_000);
    let count = args.count.max(1);
    runtime()?.block_on(async {
        let s = session(&args.target, out).await?;
        let funders: Vec<Keypair> = ["Alice", "Bob", "Charlie"]
            .iter()
            .map(|n| dev_key(n))
            .collect::<CliResult<_>>()?;
        out.note(format!("Deriving {accounts} sending accounts..."));
        let senders: Vec<Keypair> = (0..accounts)
            .map(|i| bench_key("transfers", i))
            .collect::<CliResult<_>>()?;
        let ids: Vec<AccountId> = senders.iter().map(Keypair::account_id).collect();
        let value = TaoBalance::from_rao(1_000);
        let sample = Call::TransferKeepAlive {
            dest: ids[0],
            value,
        };
        let fee = s
            .client
            .dry_run(&funders[0].account_id(), &sample, TaoBalance::ZERO)
            .await
            .map_err(err("pricing a transfer"))?
            .fee;
        let per_account = count.div_ceil(accounts) as u64;
        let funding = TaoBalance::from_rao(
            per_account
                .saturating_mul(fee.rao().saturating_add(value.rao()))
                .saturating_add(1_000_000_000),
        );

        // Fund every sender (not timed).
        out.note(format!(
            "Funding {accounts} accounts with {funding} each from //Alice, //Bob, //Charlie..."
        ));
        let funder_ids: Vec<AccountId> = funders.iter().map(Keypair::account_id).collect();
        let base = next_nonces(&s.client, &funder_ids).await?;
        let mut sent_by = vec![0u64; funders.len()];
        let mut funding_txs = Vec::with_capacity(accounts);
        for (i, dest) in ids.iter().enumerate() {
            let f = i % funders.len();
            let tx = Transaction::sign(
                &funders[f],
                base[f] + sent_by[f],
                TaoBalance::ZERO,
                Call::TransferKeepAlive {
                    dest: *dest,
                    value: funding,
                },
                &s.chain,
            );
            sent_by[f] += 1;
            funding_txs.push(encode_hex(&tx.encode()));
        }
        let funded = submit_all(&s.url, Arc::new(funding_txs), 1, 512).await?;
        if funded.refused > 0 {
            return Err(CliError::new(format!(
                "funding refused: {}",
                funded.first_refusal.unwrap_or_default()
            )));
        }
        for (f, who) in funder_ids.iter().enumerate() {
            wait_nonce(&s.client, *who, base[f] + sent_by[f]).await?;
        }
        let nonces = next_nonces(&s.client, &ids).await?;

        out.note(format!("Signing {count} transfers..."));
        let chain = s.chain;
        let signed = sign_all(count, |k| {
            let i = k % accounts;
            let round = (k / accounts) as u64;
            Transaction::sign(
                &senders[i],
                nonces[i] + round,
                TaoBalance::ZERO,
                Call::TransferKeepAlive {
                    dest: ids[(i + 1) % accounts],
                    value,
                },
                &chain,
            )
        });
        let hex_len = signed.first().map_or(0, |(x, _)| x.len());
        out.note("Submitting...");
        let report = measure(&s, "transfers", accounts, signed, &args.target, hex_len).await?;
        print(&report, out);
        Ok(())
    })
}

/// `bench weights`.
pub fn weights(args: WeightsArgs, out: &Output) -> CliResult {
    let validators = args.validators.clamp(1, 250);
    let count = args.count.max(1);
    let netuid = NetUid(args.netuid);
    runtime()?.block_on(async {
        let s = session(&args.target, out).await?;
        let alice = dev_key("Alice")?;
        let hotkeys: Vec<Keypair> = (0..validators)
            .map(|i| bench_key("weights", i))
            .collect::<CliResult<_>>()?;
        let ids: Vec<AccountId> = hotkeys.iter().map(Keypair::account_id).collect();
        let meta = register_hotkeys(&s, &alice, netuid, &ids, None, out).await?;
        grant_permits(&s, &alice, netuid, &ids, out).await?;
        let uids = meta.neurons.len();
        let nonces = next_nonces(&s.client, &ids).await?;
        out.note(format!(
            "Signing {count} set_weights over {uids} uids from {validators} hotkeys..."
        ));
        let chain = s.chain;
        let dests: Vec<u16> = (0..uids as u16).collect();
        let signed = sign_all(count, |k| {
            let i = k % validators;
            let round = (k / validators) as u64;
            set_weights(
                &hotkeys[i],
                nonces[i] + round,
                netuid,
                &dests,
                k as u64,
                &chain,
            )
        });
        let hex_len = signed.first().map_or(0, |(x, _)| x.len());
        out.note("Submitting...");
        let report = measure(&s, "set_weights", validators, signed, &args.target, hex_len).await?;
        print(&report, out);
        Ok(())
    })
}

//! The benchmarks behind `rustensor bench transfers|weights|metagraph`, each a function from
//! options to a report:
//!
//! 1. Target: a node by URL, or a dev node spawned for the run ([`super::session`]).
//! 2. Setup (not timed): fund the sending accounts from the dev accounts (transfers), or register
//!    the validator hotkeys and give them permits (weights); read every sender's next nonce.
//! 3. Pre-sign every transaction on all cores (signing is the wallet's cost, not the node's).
//! 4. Submit nonce-major, so each account's transactions arrive roughly in order, and measure
//!    ([`super::measure`]).
//!
//! Finalized/s = applied / (finalization of the block holding the last one − first submission).
//! `metagraph` fills a subnet to 256 uids (with weight rows from 64 of them) and times
//! `neuronInfo_getMetagraph` over one WebSocket: mean, p50 and p99.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use chain::hyperparams::HyperparamValue;
use chain::{Call, ChainId, Transaction, TxOutcome};
use client::RustensorApiClient;
use client::views::MetagraphView;
use client::{TxOptions, views::encode_hex};
use keys::Keypair;
use parity_scale_codec::Encode;
use serde::Serialize;
use types::{AccountId, NetUid, TaoBalance};

use super::session::{NodeFigures, Session, Target};
use super::{
    Notes, Signed, bench_key, capped_batch, dev_key, fund, load_error, next_nonces, rpc, sign_all,
    submit_all, submit_and_drain, wait_nonce,
};
use crate::error::{DevnetError, Result};

/// `bench transfers`.
#[derive(Debug, Clone)]
pub struct TransfersOptions {
    /// Sending accounts (funded from //Alice, //Bob and //Charlie first; at most 3,000).
    pub accounts: usize,
    /// Transfers to send.
    pub count: usize,
}

/// `bench weights`.
#[derive(Debug, Clone)]
pub struct WeightsOptions {
    /// Validator hotkeys (registered on the subnet by //Alice first; at most 250).
    pub validators: usize,
    /// set_weights transactions to send.
    pub count: usize,
    /// The subnet (//Alice must be sudo, as on a dev chain).
    pub netuid: u16,
}

/// `bench metagraph`.
#[derive(Debug, Clone)]
pub struct MetagraphOptions {
    /// Neurons on the subnet (registered by //Alice; the uid limit is raised to this).
    pub uids: u16,
    /// Of them, validators that set weights to every uid first.
    pub validators: u16,
    /// Timed `neuronInfo_getMetagraph` calls.
    pub requests: usize,
    /// The subnet (//Alice must be sudo, as on a dev chain).
    pub netuid: u16,
}

/// What `bench metagraph` measured.
#[derive(Debug, Clone, Serialize)]
pub struct MetagraphReport {
    /// The subnet.
    pub netuid: u16,
    /// Its uids.
    pub uids: usize,
    /// Neurons with weights.
    pub weight_rows: usize,
    /// Timed reads.
    pub requests: usize,
    /// Size of one metagraph as JSON.
    pub json_bytes: usize,
    /// Mean read time.
    pub mean_ms: f64,
    /// Median read time.
    pub p50_ms: f64,
    /// 99th percentile read time.
    pub p99_ms: f64,
    /// Slowest read.
    pub max_ms: f64,
}

/// What a `bench transfers` or `bench weights` run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `transfers` or `set_weights`.
    pub kind: &'static str,
    /// Sending accounts.
    pub senders: usize,
    /// Submitting connections.
    pub connections: usize,
    /// Transactions per submission call.
    pub batch: usize,
    /// Transactions sent.
    pub sent: usize,
    /// Accepted into the pool.
    pub accepted: usize,
    /// Refused.
    pub refused: usize,
    /// The first refusal.
    pub first_refusal: Option<String>,
    /// Seconds to submit everything.
    pub submit_secs: f64,
    /// Accepted per second of submission.
    pub submitted_per_sec: f64,
    /// Applied in finalized blocks.
    pub applied: usize,
    /// Included but failed.
    pub failed: usize,
    /// The first failure.
    pub first_failure: Option<String>,
    /// Blocks holding ours.
    pub blocks: usize,
    /// Most of ours in one block.
    pub largest_block: usize,
    /// First submission to the finalization of the block holding the last one.
    pub finalized_secs: f64,
    /// Applied per second of that.
    pub finalized_per_sec: f64,
    /// Figures of a spawned dev node.
    pub node: Option<NodeFigures>,
}

/// Pre-signed transactions through [`super::measure`] into a [`Report`].
async fn measure(
    s: &Session,
    kind: &'static str,
    senders: usize,
    signed: Vec<Signed>,
    target: &Target,
) -> Result<Report> {
    let tx_hex_len = signed.first().map_or(0, |x| x.hex.len());
    let batch = capped_batch(target.batch, tx_hex_len);
    let parts = vec![(s.url.clone(), signed)];
    let drained = submit_and_drain(&s.client, parts, target.connections, batch).await?;
    let node = s.node_figures();
    let m = drained.count(&s.client).await?;
    Ok(Report {
        kind,
        senders,
        connections: target.connections,
        batch,
        sent: m.sent,
        accepted: m.submitted.accepted,
        refused: m.submitted.refused,
        first_refusal: m.submitted.first_refusal.clone(),
        submit_secs: m.submit_secs,
        submitted_per_sec: m.submitted.accepted as f64 / m.submit_secs.max(1e-9),
        applied: m.applied,
        failed: m.failed,
        first_failure: m.first_failure.clone(),
        blocks: m.blocks.len(),
        largest_block: m.blocks.iter().map(|b| b.ours).max().unwrap_or(0),
        finalized_secs: m.finalized_secs,
        finalized_per_sec: m.finalized_per_sec(),
        node,
    })
}

/// `bench transfers`: finalized transfers per second from many funded accounts.
pub async fn transfers(
    target: &Target,
    options: &TransfersOptions,
    notes: Notes<'_>,
) -> Result<Report> {
    let accounts = options.accounts.clamp(1, 3_000);
    let count = options.count.max(1);
    let s = Session::open(target, notes).await?;
    let funders: Vec<Keypair> = ["Alice", "Bob", "Charlie"]
        .iter()
        .map(|n| dev_key(n))
        .collect::<Result<_>>()?;
    notes(&format!("Deriving {accounts} sending accounts..."));
    let senders: Vec<Keypair> = (0..accounts)
        .map(|i| bench_key("transfers", i))
        .collect::<Result<_>>()?;
    let ids: Vec<AccountId> = senders.iter().map(Keypair::account_id).collect();
    let value = TaoBalance::from_rao(1_000);
    let (Some(first_id), Some(first_funder)) = (ids.first(), funders.first()) else {
        return Err(DevnetError::Bug("no sending accounts"));
    };
    let sample = Call::TransferKeepAlive {
        dest: *first_id,
        value,
    };
    let fee = s
        .client
        .dry_run(&first_funder.account_id(), &sample, TaoBalance::ZERO)
        .await
        .map_err(rpc("pricing a transfer"))?
        .fee;
    let per_account = count.div_ceil(accounts) as u64;
    let funding = TaoBalance::from_rao(
        per_account
            .saturating_mul(fee.rao().saturating_add(value.rao()))
            .saturating_add(1_000_000_000),
    );

    // Fund every sender (not timed).
    notes(&format!(
        "Funding {accounts} accounts with {funding} each from //Alice, //Bob, //Charlie..."
    ));
    fund(&s.client, &s.url, &s.chain, &funders, &ids, funding).await?;
    let nonces = next_nonces(&s.client, &ids).await?;

    notes(&format!("Signing {count} transfers..."));
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
    notes("Submitting...");
    measure(&s, "transfers", accounts, signed, target).await
}

/// `bench weights`: finalized set_weights per second from many registered validator hotkeys.
pub async fn weights(
    target: &Target,
    options: &WeightsOptions,
    notes: Notes<'_>,
) -> Result<Report> {
    let validators = options.validators.clamp(1, 250);
    let count = options.count.max(1);
    let netuid = NetUid(options.netuid);
    let s = Session::open(target, notes).await?;
    let alice = dev_key("Alice")?;
    let hotkeys: Vec<Keypair> = (0..validators)
        .map(|i| bench_key("weights", i))
        .collect::<Result<_>>()?;
    let ids: Vec<AccountId> = hotkeys.iter().map(Keypair::account_id).collect();
    let meta = register_hotkeys(&s, &alice, netuid, &ids, None, notes).await?;
    grant_permits(&s, &alice, netuid, &ids, notes).await?;
    let uids = meta.neurons.len();
    let nonces = next_nonces(&s.client, &ids).await?;
    notes(&format!(
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
    notes("Submitting...");
    measure(&s, "set_weights", validators, signed, target).await
}

/// `bench metagraph`: a full subnet's metagraph over RPC, timed from the client.
pub async fn metagraph(
    target: &Target,
    options: &MetagraphOptions,
    notes: Notes<'_>,
) -> Result<MetagraphReport> {
    let uids = options.uids.max(1);
    let validators = options.validators.min(uids);
    let netuid = NetUid(options.netuid);
    let s = Session::open(target, notes).await?;
    let alice = dev_key("Alice")?;
    let before = read_metagraph(&s, netuid).await?;
    let wanted = usize::from(uids).saturating_sub(before.neurons.len());
    let hotkeys: Vec<Keypair> = (0..wanted)
        .map(|i| bench_key("metagraph", i))
        .collect::<Result<_>>()?;
    let ids: Vec<AccountId> = hotkeys.iter().map(Keypair::account_id).collect();
    let meta = register_hotkeys(&s, &alice, netuid, &ids, Some(uids), notes).await?;
    let n = meta.neurons.len();
    // Weight rows from the first validators, to every uid.
    let setters: Vec<&Keypair> = hotkeys.iter().take(usize::from(validators)).collect();
    if !setters.is_empty() {
        let setter_ids: Vec<AccountId> = setters.iter().map(|k| k.account_id()).collect();
        grant_permits(&s, &alice, netuid, &setter_ids, notes).await?;
        notes(&format!(
            "Setting weights from {} hotkeys over {n} uids...",
            setters.len()
        ));
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
        submit_all(&s.url, std::sync::Arc::new(signed), 1, 512).await?;
        if let (Some(last), Some(nonce)) = (setter_ids.last(), nonces.last()) {
            wait_nonce(&s.client, *last, nonce + 1).await?;
        }
    }
    let probe = read_metagraph(&s, netuid).await?;
    let weight_rows = probe
        .neurons
        .iter()
        .filter(|n| !n.weights.is_empty())
        .count();
    let json_bytes = serde_json::to_vec(&probe).map(|v| v.len()).unwrap_or(0);
    notes(&format!(
        "Timing {} metagraph reads ({} uids, {weight_rows} weight rows, {json_bytes} bytes of JSON)...",
        options.requests,
        probe.neurons.len()
    ));
    let mut times = Vec::with_capacity(options.requests);
    for _ in 0..options.requests.max(1) {
        let t = Instant::now();
        read_metagraph(&s, netuid).await?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    Ok(MetagraphReport {
        netuid: netuid.0,
        uids: probe.neurons.len(),
        weight_rows,
        requests: times.len(),
        json_bytes,
        mean_ms: times.iter().sum::<f64>() / times.len() as f64,
        p50_ms: pick(0.5),
        p99_ms: pick(0.99),
        max_ms: times.last().copied().unwrap_or(0.0),
    })
}

async fn read_metagraph(s: &Session, netuid: NetUid) -> Result<MetagraphView> {
    s.client
        .call(|c| async move { c.metagraph(netuid).await })
        .await
        .map_err(rpc("reading the metagraph"))?
        .ok_or_else(|| load_error(format!("subnet {} does not exist", netuid.0)))
}

/// Sends a sudo hyperparameter change as //Alice and checks it applied.
async fn sudo_set(s: &Session, alice: &Keypair, netuid: NetUid, value: HyperparamValue) -> Result {
    let name = value.name();
    let r = s
        .client
        .send(
            alice,
            Call::SudoSetHyperparameter { netuid, value },
            TxOptions::default(),
        )
        .await
        .map_err(rpc(
            "a sudo call (needs //Alice as sudo, as on a dev chain)",
        ))?;
    if let Some(TxOutcome::Failed(e) | TxOutcome::Invalid(e)) =
        r.inclusion.and_then(|i| i.receipt).map(|r| r.outcome)
    {
        return Err(load_error(format!("setting {name} failed: {e}")));
    }
    Ok(())
}

/// A signed set_weights to every uid of `dests`, with pseudo-random weights varied by `seed`
/// (so repeated submissions differ).
pub fn set_weights(
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
) -> Result {
    let who = signer.account_id();
    let base = s
        .client
        .call(|c| async move { c.account_next_index(who).await })
        .await
        .map_err(rpc("reading a nonce"))?;
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
    submit_all(&s.url, std::sync::Arc::new(txs), 1, 512).await?;
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
    notes: Notes<'_>,
) -> Result {
    let wanted = u16::try_from(ids.len() + 1).unwrap_or(u16::MAX);
    let limit = HyperparamValue::MaxAllowedValidators(wanted);
    sudo_set(s, alice, netuid, limit).await?;
    notes(&format!(
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
        .map_err(rpc("reading the hyperparameters"))?
        .map_or(10, |h| u64::from(h.tempo));
    let head = || async {
        s.client
            .call(|c| async move { c.head().await })
            .await
            .map_err(rpc("reading the head"))
            .map(|h| h.finalized.height)
    };
    let start = head().await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    while head().await? <= start + 2 * tempo + 1 {
        if Instant::now() > deadline {
            return Err(load_error("two epochs did not pass in 120 s"));
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
    notes: Notes<'_>,
) -> Result<MetagraphView> {
    // Lift the per-block registration limit so setup takes one block, not one per hotkey.
    let unlimited = HyperparamValue::MaxRegistrationsPerBlock(u16::MAX);
    sudo_set(s, alice, netuid, unlimited).await?;
    if let Some(n) = max_uids {
        sudo_set(s, alice, netuid, HyperparamValue::MaxAllowedUids(n)).await?;
    }
    let meta = read_metagraph(s, netuid).await?;
    let registered: HashSet<AccountId> = meta.neurons.iter().map(|n| n.hotkey).collect();
    let missing: Vec<AccountId> = ids
        .iter()
        .filter(|h| !registered.contains(h))
        .copied()
        .collect();
    if !missing.is_empty() {
        notes(&format!(
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
    let meta = read_metagraph(s, netuid).await?;
    let now: HashSet<AccountId> = meta.neurons.iter().map(|n| n.hotkey).collect();
    if let Some(absent) = ids.iter().find(|h| !now.contains(h)) {
        return Err(DevnetError::NotRegistered {
            hotkey: absent.to_string(),
            netuid: netuid.0,
        });
    }
    Ok(meta)
}

//! Load tool for a loopback network of authorities run as real `rustensor node --config`
//! processes: block finalization latency, transaction latency, finalized transfers per second,
//! and how fast a restarted authority catches up.
//!
//! ```text
//! cargo build --release -p rustensor-cli --bin rustensor
//! cargo build --release -p rustensor-devnet --example network_load
//! target/release/examples/network_load --bin target/release/rustensor [--txs 20000]
//!     [--accounts 400] [--connections 4] [--batch 1024] [--catchup-blocks 10000]
//!     [--skip-load] [--skip-catchup]
//! ```
//!
//! The network comes from `devnet::network` (generated keys and configs, one process per
//! node) and the load from `devnet::load`, the generator behind `rustensor bench transfers`:
//! pre-signed sr25519 `transfer_keep_alive`s from freshly funded accounts, submitted in
//! `author_submitExtrinsics` batches to all authorities at once (each account to one
//! authority; gossip spreads them). Latency of a block is the time from its proposal timestamp
//! to the moment a client subscribed to finalized heads at authority 0 hears of it (same
//! machine clock).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chain::{Call, Transaction};
use client::views::BlockId;
use client::{Client, RustensorApiClient, TxOptions, Wait};
use devnet::load::{self, Signed};
use devnet::network::{self, LaunchOptions, Launched};
use types::TaoBalance;

struct Args {
    bin: PathBuf,
    dir: PathBuf,
    authorities: usize,
    txs: usize,
    accounts: usize,
    connections: usize,
    batch: usize,
    catchup_blocks: u64,
    skip_load: bool,
    skip_catchup: bool,
}

fn args() -> Args {
    let mut a = Args {
        bin: PathBuf::from("target/release/rustensor"),
        dir: std::env::temp_dir().join(format!("rustensor-load-{}", std::process::id())),
        authorities: 4,
        txs: 20_000,
        accounts: 400,
        connections: 4,
        batch: 1024,
        catchup_blocks: 10_000,
        skip_load: false,
        skip_catchup: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut v = || it.next().expect("a value");
        match k.as_str() {
            "--bin" => a.bin = PathBuf::from(v()),
            "--dir" => a.dir = PathBuf::from(v()),
            "--authorities" => a.authorities = v().parse().unwrap(),
            "--txs" => a.txs = v().parse().unwrap(),
            "--accounts" => a.accounts = v().parse().unwrap(),
            "--connections" => a.connections = v().parse().unwrap(),
            "--batch" => a.batch = v().parse().unwrap(),
            "--catchup-blocks" => a.catchup_blocks = v().parse().unwrap(),
            "--skip-load" => a.skip_load = true,
            "--skip-catchup" => a.skip_catchup = true,
            other => panic!("unknown argument {other}"),
        }
    }
    a
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Generates a network of `authorities` in `dir` and starts every node (stopped on drop).
fn start(a: &Args, dir: PathBuf, block_time_ms: u64) -> Launched {
    network::launch(&LaunchOptions {
        exe: a.bin.clone(),
        authorities: a.authorities,
        full_nodes: 0,
        base_path: dir,
        block_time_ms,
    })
    .unwrap()
}

async fn height(c: &Client) -> u64 {
    match c.rpc().await {
        Ok(r) => r.head().await.map(|h| h.finalized.height).unwrap_or(0),
        Err(_) => 0,
    }
}

async fn wait_height(c: &Client, target: u64, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if height(c).await >= target {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

fn summary(name: &str, mut v: Vec<f64>) {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "{name}: n={} p50={:.0} ms p90={:.0} ms max={:.0} ms",
        v.len(),
        percentile(&v, 0.5),
        percentile(&v, 0.9),
        v.last().copied().unwrap_or(f64::NAN)
    );
}

/// Block latencies (ms) of the next `n` finalized heads at `c`.
async fn block_latencies(c: &Client, n: usize) -> Vec<f64> {
    let rpc = c.rpc().await.unwrap();
    let mut sub = rpc.subscribe_finalized_heads().await.unwrap();
    let mut out = Vec::new();
    while out.len() < n {
        let Some(Ok(head)) = sub.next().await else {
            break;
        };
        out.push(now_ms().saturating_sub(head.timestamp_ms) as f64);
    }
    out
}

async fn load(a: &Args) {
    let net = start(a, a.dir.join("load"), 250);
    let mut clients = Vec::new();
    for n in &net.nodes {
        clients.push(Client::connect(&n.rpc).await.unwrap());
    }
    assert!(wait_height(&clients[0], 3, Duration::from_secs(60)).await);
    println!(
        "== {} authorities, 250 ms blocks, {} build",
        a.authorities,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );

    // Idle latencies.
    summary(
        "block proposal -> finalized (idle)",
        block_latencies(&clients[0], 40).await,
    );
    let alice = load::dev_key("Alice").unwrap();
    let bob = load::dev_key("Bob").unwrap().account_id();
    let mut tx_lat = Vec::new();
    for i in 0..10 {
        let c = &clients[i % clients.len()];
        let t = Instant::now();
        c.send(
            &alice,
            Call::TransferKeepAlive {
                dest: bob,
                value: TaoBalance::from_rao(1_000_000),
            },
            TxOptions {
                wait: Wait::Finalized,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        tx_lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    summary("transfer submit -> finalized (idle)", tx_lat);

    // Fund the load accounts.
    let chain_id = clients[0].chain_id().await.unwrap().chain_id();
    let accounts: Vec<keys::Keypair> = (0..a.accounts)
        .map(|i| load::bench_key("network-load", i).unwrap())
        .collect();
    let ids: Vec<_> = accounts.iter().map(keys::Keypair::account_id).collect();
    let amount = TaoBalance::from_rao(100_000_000_000);
    let url0 = net.nodes[0].rpc.clone();
    load::fund(&clients[0], &url0, &chain_id, &[alice], &ids, amount)
        .await
        .unwrap();
    println!("funded {} accounts", accounts.len());

    // Pre-sign the load, nonce-major so each account's transfers arrive roughly in order.
    let per = a.txs.div_ceil(accounts.len());
    let nonces = load::next_nonces(&clients[0], &ids).await.unwrap();
    let t = Instant::now();
    let total = per * accounts.len();
    let signed = load::sign_all(total, |k| {
        let i = k % accounts.len();
        Transaction::sign(
            &accounts[i],
            nonces[i] + (k / accounts.len()) as u64,
            TaoBalance::ZERO,
            Call::TransferKeepAlive {
                dest: bob,
                value: TaoBalance::from_rao(1_000_000),
            },
            &chain_id,
        )
    });
    println!(
        "signed {total} transfers in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Each account to one authority; submit to all at once, watch finality at authority 0.
    let mut parts: Vec<(String, Vec<Signed>)> = net
        .nodes
        .iter()
        .map(|n| (n.rpc.clone(), Vec::new()))
        .collect();
    for (k, tx) in signed.into_iter().enumerate() {
        let authority = (k % accounts.len()) % parts.len();
        parts[authority].1.push(tx);
    }
    let hex_len = parts[0].1.first().map_or(0, |s| s.hex.len());
    let batch = load::capped_batch(a.batch, hex_len);
    let m = load::measure(&clients[0], parts, a.connections, batch)
        .await
        .unwrap();
    println!(
        "submitted {total} over RPC in {:.1} s ({:.0}/s), {} rejected",
        m.submit_secs,
        total as f64 / m.submit_secs,
        m.submitted.refused
    );
    let included = m.applied + m.failed;
    println!(
        "finalized {included} transfers in {:.1} s from the first submission: {:.0} tx/s end to end",
        m.finalized_secs,
        included as f64 / m.finalized_secs
    );
    if let (Some(first), Some(last)) = (m.blocks.first(), m.blocks.last()) {
        let span = (last.timestamp_ms.saturating_sub(m.started_ms)) as f64 / 1000.0;
        println!(
            "{} blocks carried transfers (heights {}..={}, max {} per block); by block timestamps {:.0} tx/s",
            m.blocks.len(),
            first.height,
            last.height,
            m.blocks.iter().map(|b| b.ours).max().unwrap_or(0),
            included as f64 / span.max(0.001)
        );
    }
    summary(
        "block proposal -> finalized (under load)",
        m.blocks.iter().filter_map(|b| b.latency_ms).collect(),
    );
}

async fn catchup(a: &Args) {
    let dir = a.dir.join("catchup");
    // Blocks as fast as consensus allows, to reach many blocks quickly.
    let mut net = start(a, dir.clone(), 1);
    let c0 = Client::connect(&net.nodes[0].rpc).await.unwrap();
    assert!(wait_height(&c0, 3, Duration::from_secs(60)).await);
    let last = net.nodes.len() - 1;
    let _ = net.nodes[last].child.kill();
    let _ = net.nodes[last].child.wait();
    let from = height(&c0).await;
    let t = Instant::now();
    let target = from + a.catchup_blocks;
    println!(
        "== catch-up: authority {last} stopped at about {from}; producing {} blocks",
        a.catchup_blocks
    );
    let mut reached = true;
    while height(&c0).await < target {
        if t.elapsed() > Duration::from_secs(1800) {
            reached = false;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let produced = height(&c0).await - from;
    println!(
        "produced {produced} blocks in {:.1} s ({:.0} blocks/s){}",
        t.elapsed().as_secs_f64(),
        produced as f64 / t.elapsed().as_secs_f64(),
        if reached { "" } else { " (stopped early)" }
    );
    let target = height(&c0).await;
    let t = Instant::now();
    let name = net.nodes[last].name.clone();
    let config = dir.join(&name).join(node::spec::NODE_CONFIG);
    let log = dir.join(&name).join("node.log");
    net.nodes[last] = network::spawn_node(&a.bin, &config, &log).unwrap();
    let started = t.elapsed().as_secs_f64();
    let cl = Client::connect(&net.nodes[last].rpc).await.unwrap();
    let restarted_at = height(&cl).await;
    assert!(wait_height(&cl, target, Duration::from_secs(600)).await);
    let took = t.elapsed().as_secs_f64();
    let r0 = c0.rpc().await.unwrap();
    let rl = cl.rpc().await.unwrap();
    let b0 = r0.block(BlockId::Height(target)).await.unwrap().unwrap();
    let bl = rl.block(BlockId::Height(target)).await.unwrap().unwrap();
    assert_eq!(b0.hash, bl.hash);
    assert_eq!(b0.state_root, bl.state_root);
    println!(
        "restarted authority: process up in {started:.1} s at height {restarted_at}, caught up {} blocks to {target} in {took:.1} s ({:.0} blocks/s); same hash and state root",
        target - restarted_at,
        (target - restarted_at) as f64 / took
    );
}

fn main() {
    let a = args();
    std::fs::create_dir_all(&a.dir).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        if !a.skip_load {
            load(&a).await;
        }
        if !a.skip_catchup {
            catchup(&a).await;
        }
    });
    let _ = std::fs::remove_dir_all(&a.dir);
}

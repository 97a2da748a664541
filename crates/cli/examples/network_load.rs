//! Load tool for a loopback network of authorities run as real `rustensor node --config`
//! processes: block finalization latency, transaction latency, finalized transfers per second,
//! and how fast a restarted authority catches up.
//!
//! ```text
//! cargo build --release -p rustensor-cli --bin rustensor --example network_load
//! target/release/examples/network_load --bin target/release/rustensor [--txs 20000]
//!     [--accounts 400] [--catchup-blocks 10000] [--skip-load] [--skip-catchup]
//! ```
//!
//! Transfers are pre-signed sr25519 `transfer_keep_alive`s from freshly funded accounts,
//! submitted over WebSocket JSON-RPC to all authorities at once (each account to one
//! authority; gossip spreads them). Latency of a block is the time from its proposal timestamp
//! to the moment a client subscribed to finalized heads at authority 0 hears of it (same
//! machine clock).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chain::{Call, Transaction};
use client::{Client, RustensorApiClient, TxOptions, Wait};
use parity_scale_codec::Encode;
use rpc::views::{BlockId, encode_hex};
use serde_json::Value;
use types::TaoBalance;

struct Args {
    bin: PathBuf,
    dir: PathBuf,
    authorities: usize,
    txs: usize,
    accounts: usize,
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

/// A network's node processes (killed on drop).
struct Net {
    nodes: Vec<Node>,
    bin: PathBuf,
}

struct Node {
    config: PathBuf,
    rpc: String,
    child: Option<Child>,
}

impl Drop for Net {
    fn drop(&mut self) {
        for n in &mut self.nodes {
            n.kill();
        }
    }
}

impl Node {
    fn start(&mut self, bin: &Path) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.config.parent().unwrap().join("node.log"))
            .unwrap();
        let mut child = Command::new(bin)
            .args(["--json", "node", "--config"])
            .arg(&self.config)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        use std::io::BufRead as _;
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let info: Value = serde_json::from_str(&first).unwrap();
        self.rpc = info["rpc"].as_str().unwrap().to_owned();
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn init(bin: &Path, dir: &Path, authorities: usize, block_time_ms: u64) -> Net {
    let out = Command::new(bin)
        .args(["--json", "node", "init-network", "--authorities"])
        .arg(authorities.to_string())
        .arg("--block-time-ms")
        .arg(block_time_ms.to_string())
        .arg("--base-path")
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let nodes = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| Node {
            config: PathBuf::from(n["config"].as_str().unwrap()),
            rpc: n["rpc"].as_str().unwrap().to_owned(),
            child: None,
        })
        .collect();
    Net {
        nodes,
        bin: bin.to_path_buf(),
    }
}

impl Net {
    fn start_all(&mut self) {
        let bin = self.bin.clone();
        for n in &mut self.nodes {
            n.start(&bin);
        }
    }
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
    let dir = a.dir.join("load");
    let mut net = init(&a.bin, &dir, a.authorities, 250);
    net.start_all();
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
    let alice = keys::Keypair::from_uri("//Alice").unwrap();
    let bob = keys::Keypair::from_uri("//Bob").unwrap().account_id();
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
        .map(|i| {
            let mut seed = [7u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
            keys::Keypair::from_seed(&seed).unwrap()
        })
        .collect();
    let rpc0 = clients[0].rpc().await.unwrap();
    let mut nonce = rpc0.account_next_index(alice.account_id()).await.unwrap();
    let mut last = None;
    for acc in &accounts {
        let tx = Transaction::sign(
            &alice,
            nonce,
            TaoBalance::ZERO,
            Call::TransferKeepAlive {
                dest: acc.account_id(),
                value: TaoBalance::from_rao(100_000_000_000),
            },
            &chain_id,
        );
        nonce += 1;
        last = Some(
            rpc0.submit_extrinsic(encode_hex(&tx.encode()))
                .await
                .unwrap(),
        );
    }
    let last = last.unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while rpc0.transaction(last).await.unwrap().is_none() {
        assert!(Instant::now() < deadline, "funding did not finalize");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!("funded {} accounts", accounts.len());

    // Pre-sign the load.
    let per = a.txs.div_ceil(accounts.len());
    let t = Instant::now();
    let mut batches: Vec<Vec<String>> = vec![Vec::new(); clients.len()];
    for (i, acc) in accounts.iter().enumerate() {
        for n in 0..per as u64 {
            let tx = Transaction::sign(
                acc,
                n,
                TaoBalance::ZERO,
                Call::TransferKeepAlive {
                    dest: bob,
                    value: TaoBalance::from_rao(1_000_000),
                },
                &chain_id,
            );
            batches[i % clients.len()].push(encode_hex(&tx.encode()));
        }
    }
    let total: usize = batches.iter().map(Vec::len).sum();
    println!(
        "signed {total} transfers in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // Watch finalized blocks at authority 0.
    let watch_rpc = clients[0].rpc().await.unwrap();
    let mut sub = watch_rpc.subscribe_finalized_heads().await.unwrap();
    let start_height = height(&clients[0]).await;
    let counter = Arc::new(tokio::sync::Mutex::new(Vec::<(u64, u64, usize, f64)>::new()));
    let c2 = counter.clone();
    let watch_client = clients[0].rpc().await.unwrap();
    let watcher = tokio::spawn(async move {
        let mut seen = 0usize;
        while let Some(Ok(head)) = sub.next().await {
            let lat = now_ms().saturating_sub(head.timestamp_ms) as f64;
            if head.height <= start_height {
                continue;
            }
            let txs = watch_client
                .block(BlockId::Height(head.height))
                .await
                .ok()
                .flatten()
                .map_or(0, |b| b.extrinsics.len());
            seen += txs;
            c2.lock()
                .await
                .push((head.height, head.timestamp_ms, txs, lat));
            if seen >= total {
                break;
            }
        }
    });

    // Submit everything, to all authorities at once.
    let t0 = Instant::now();
    let t0_ms = now_ms();
    let mut tasks = Vec::new();
    for (c, batch) in clients.iter().zip(batches) {
        // 64 connections' worth of requests in flight per authority: 64 lanes, each in order.
        let rpc = c.rpc().await.unwrap();
        let mut lanes: Vec<Vec<String>> = vec![Vec::new(); 64];
        for (i, hex) in batch.into_iter().enumerate() {
            lanes[i % 64].push(hex);
        }
        for lane in lanes {
            let rpc = rpc.clone();
            tasks.push(tokio::spawn(async move {
                let mut rejected = 0usize;
                for hex in lane {
                    if rpc.submit_extrinsic(hex).await.is_err() {
                        rejected += 1;
                    }
                }
                rejected
            }));
        }
    }
    let mut rejected = 0;
    for t in tasks {
        rejected += t.await.unwrap();
    }
    let submitted = t0.elapsed().as_secs_f64();
    println!(
        "submitted {total} over RPC in {submitted:.1} s ({:.0}/s), {rejected} rejected",
        total as f64 / submitted
    );
    let _ = tokio::time::timeout(Duration::from_secs(300), watcher).await;
    let done = t0.elapsed().as_secs_f64();
    let blocks = counter.lock().await.clone();
    let included: usize = blocks.iter().map(|b| b.2).sum();
    println!(
        "finalized {included} transfers in {done:.1} s from the first submission: {:.0} tx/s end to end",
        included as f64 / done
    );
    let busy: Vec<_> = blocks.iter().filter(|b| b.2 > 0).collect();
    if let (Some(first), Some(last)) = (busy.first(), busy.last()) {
        let span = (last.1.saturating_sub(t0_ms)) as f64 / 1000.0;
        println!(
            "{} blocks carried transfers (heights {}..={}, max {} per block); by block timestamps {:.0} tx/s",
            busy.len(),
            first.0,
            last.0,
            busy.iter().map(|b| b.2).max().unwrap_or(0),
            included as f64 / span.max(0.001)
        );
    }
    summary(
        "block proposal -> finalized (under load)",
        busy.iter().map(|b| b.3).collect(),
    );
}

async fn catchup(a: &Args) {
    let dir = a.dir.join("catchup");
    // Blocks as fast as consensus allows, to reach many blocks quickly.
    let mut net = init(&a.bin, &dir, a.authorities, 1);
    net.start_all();
    let c0 = Client::connect(&net.nodes[0].rpc).await.unwrap();
    assert!(wait_height(&c0, 3, Duration::from_secs(60)).await);
    let last = net.nodes.len() - 1;
    net.nodes[last].kill();
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
    let bin = net.bin.clone();
    let t = Instant::now();
    net.nodes[last].start(&bin);
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

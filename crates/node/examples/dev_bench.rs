//! Measures a single-authority dev node on the tokio runtime: the door (check and pool) rate,
//! engine start to first finalized block, memory, and finalized transfers per second with every
//! signature checked (the pool is filled first, then the engine drains it).
//!
//! `cargo run --release -p rustensor-node --example dev_bench -- [machine] [txs] [block_ms]`
//! where machine is `chain` (rustensor-chain, sr25519; default) or `demo` (ed25519 stand-in).

// A benchmark harness, like a test: failing loudly is what it should do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use chain::{Call, GenesisConfig, Preset, Transaction};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_runtime::{Clock, Runner as _, Supervisor as _, tokio};
use node::chain_adapter::ChainMachine;
use node::dev::{open_state, runtime_config, start_engine as start_engine_fn};
use node::node::{Node, NodeConfig};
use node::state_machine::StateMachine;
use types::{AccountId, TaoBalance};

const SENDERS: usize = 256;

fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).cloned().unwrap_or_else(|| "chain".into());
    let txs: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let block_ms: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(250);
    let dir = std::env::temp_dir().join(format!("rustensor-bench-{}", std::process::id()));
    let config = NodeConfig {
        block_time: Duration::from_millis(block_ms),
        ..NodeConfig::dev()
    };
    let cfg = runtime_config(&dir);
    tokio::Runner::new(cfg).start(|context| async move {
        match which.as_str() {
            "demo" => {
                let machine = node::testing::Transfers::with_seeds(SENDERS as u64, u64::MAX / 1024);
                let keys: Vec<_> = (0..SENDERS as u64)
                    .map(ed25519::PrivateKey::from_seed)
                    .collect();
                let make = move |i: usize, nonce: u64| {
                    node::testing::Transfer::signed(&keys[i % SENDERS], nonce, 0, [0xEE; 32], 1)
                };
                run(context, &dir, machine, config, txs, make).await;
            }
            _ => {
                let mut genesis = GenesisConfig::dev(Preset::Fast).expect("genesis");
                let pairs: Vec<keys::Keypair> = (0..SENDERS)
                    .map(|i| {
                        let mut seed = [7u8; 32];
                        seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
                        keys::Keypair::from_seed(&seed).expect("key")
                    })
                    .collect();
                for p in &pairs {
                    genesis
                        .balances
                        .push((p.account_id(), TaoBalance::from_rao(1_000_000_000_000_000)));
                }
                let machine = ChainMachine::new(genesis).expect("machine");
                let chain_id = machine.chain_id();
                let dest = AccountId([0xEE; 32]);
                let make = move |i: usize, nonce: u64| {
                    let tx = Transaction::sign(
                        &pairs[i % SENDERS],
                        nonce,
                        TaoBalance::ZERO,
                        Call::TransferKeepAlive {
                            dest,
                            value: TaoBalance::from_rao(1_000_000_000),
                        },
                        &chain_id,
                    );
                    parity_scale_codec::Encode::encode(&tx)
                };
                run(context, &dir, machine, config, txs, make).await;
            }
        }
    });
    let _ = std::fs::remove_dir_all(
        std::env::temp_dir().join(format!("rustensor-bench-{}", std::process::id())),
    );
}

async fn run<SM: StateMachine>(
    context: tokio::Context,
    dir: &std::path::Path,
    machine: SM,
    config: NodeConfig,
    txs: usize,
    make: impl Fn(usize, u64) -> Vec<u8>,
) {
    // Sign before starting the clock: signing is the wallet's cost, not the node's.
    let signed: Vec<Vec<u8>> = (0..txs)
        .map(|k| make(k % SENDERS, (k / SENDERS) as u64))
        .collect();

    let start = Instant::now();
    let db = open_state(dir).expect("state");
    let node = Node::new(machine, db, config).expect("node");

    // Fill the pool before the engine starts, so block production sees a full backlog.
    let t0 = Instant::now();
    for tx in signed {
        node.submit(tx).expect("submit");
    }
    let door = t0.elapsed();
    println!(
        "door: {txs} transfers checked and pooled in {door:?} ({:.0}/s, signature + nonce + fee)",
        txs as f64 / door.as_secs_f64()
    );

    let start_engine = Instant::now();
    let signer = ed25519::PrivateKey::from_seed(1);
    let _engine = start_engine_fn(context.child("node"), &node, signer)
        .await
        .expect("start");
    wait_height(&context, &node, 1).await;
    println!(
        "engine start to first finalized block: {:?} (node open + genesis + pool fill excluded: {:?} total since open)",
        start_engine.elapsed(),
        start.elapsed()
    );
    while node.mempool_len() > 0 {
        context.sleep(Duration::from_millis(5)).await;
    }
    let target = node.head().best.height;
    wait_height(&context, &node, target).await;
    let elapsed = start_engine.elapsed();
    let to = node.head().finalized.height;
    let mut included = 0usize;
    let mut largest = 0usize;
    let mut first_ts = None;
    let mut last_ts = 0;
    for h in 1..=to {
        if let Some(b) = node.block_by_height(h).await.unwrap() {
            included += b.transactions.len();
            largest = largest.max(b.transactions.len());
            first_ts.get_or_insert(b.header.timestamp_ms);
            last_ts = b.header.timestamp_ms;
        }
    }
    println!(
        "finalized {included} transfers in {to} blocks (largest {largest}) within {elapsed:?} of engine start: {:.0} transfers/s",
        included as f64 / elapsed.as_secs_f64()
    );
    println!(
        "block timestamps span {} ms for {to} blocks",
        last_ts.saturating_sub(first_ts.unwrap_or(0))
    );
    println!("RSS after load: {:.1} MiB", rss_mib());
    // Idle: a few empty blocks later.
    wait_height(&context, &node, to + 8).await;
    println!("RSS idle after load: {:.1} MiB", rss_mib());
    if let Some(reason) = node.halted() {
        println!("HALTED: {reason}");
    }
}

async fn wait_height<SM: StateMachine>(context: &tokio::Context, node: &Node<SM>, height: u64) {
    while node.head().finalized.height < height {
        context.sleep(Duration::from_millis(2)).await;
    }
}

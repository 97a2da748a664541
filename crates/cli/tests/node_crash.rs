//! Crash safety of a real dev node process: under a stream of transfers it is killed with
//! SIGKILL several times at random moments (testkit's seeded RNG; the seed is printed, and
//! `RUSTENSOR_CRASH_SEED` replays one) and restarted on the same `--base-path`.
//!
//! After every restart the node must resume at or above the last block the client saw finalized,
//! with the same block hashes below it. At the end a never-killed twin (the node's own
//! `Executor` over an in-memory database, from the same genesis) re-executes every finalized
//! block fetched over `chain_getRawBlock` and must reach the same state root at every height and
//! the same balances and nonces; every transfer the client saw finalized before a kill must be
//! in its block, indexed, and reflected in its sender's nonce.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use chain::{Call, GenesisConfig, Preset, Transaction};
use client::{Client, RustensorApiClient};
use keys::Keypair;
use node::block::Block;
use node::chain_adapter::ChainMachine;
use node::exec::Executor;
use node::store::StateDb;
use parity_scale_codec::{DecodeAll, Encode};
use rand::Rng;
use rpc::views::{BlockId, Hash, encode_hex};
use testkit::{DevNode, DevNodeOptions};
use tokio::sync::Mutex;
use types::{AccountId, TaoBalance};

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");
const KILLS: usize = 5;
const SENDERS: [&str; 6] = ["Alice", "Bob", "Charlie", "Dave", "Eve", "Ferdie"];

/// Starts `rustensor node --dev` on `dir` (its logs there as `life-N.out` and `life-N.log`)
/// and waits until it serves.
fn start_node(dir: &Path, life: usize) -> DevNode {
    DevNode::start_with(
        Path::new(BIN),
        DevNodeOptions {
            base_path: Some(dir.to_path_buf()),
            log_dir: Some(dir.to_path_buf()),
            log_name: format!("life-{life}"),
            rust_log: Some("info".into()),
            ..Default::default()
        },
    )
    .expect("the node exited before serving")
}

/// What the client saw finalized: block hash per height, and the transfers in those blocks.
#[derive(Default)]
struct Seen {
    hashes: BTreeMap<u64, Hash>,
    txs: HashMap<Hash, u64>,
    /// Heights the head said were finalized but `chain_getBlock` did not return.
    missing: Vec<u64>,
}

/// Follows finalized heads, recording blocks, until `stop` (errors, e.g. once the node is
/// killed, are retried).
async fn follow(client: Arc<Client>, seen: Arc<Mutex<Seen>>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::Relaxed) {
        let _ = follow_once(&client, &seen).await;
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

async fn follow_once(client: &Client, seen: &Mutex<Seen>) -> Result<(), client::ClientError> {
    let head = client.call(|c| async move { c.head().await }).await?;
    let from = seen.lock().await.hashes.keys().last().map_or(1, |h| h + 1);
    for h in from..=head.finalized.height {
        let b = client
            .call(|c| async move { c.block(BlockId::Height(h)).await })
            .await?;
        let Some(b) = b else {
            seen.lock().await.missing.push(h);
            return Ok(());
        };
        let mut s = seen.lock().await;
        s.hashes.insert(h, b.hash);
        for x in b.extrinsics {
            s.txs.insert(x.hash, h);
        }
    }
    Ok(())
}

/// Submits transfers round-robin from the dev accounts until `stop` (errors are expected once
/// the node is killed).
async fn load(
    client: Arc<Client>,
    pairs: Arc<Vec<Keypair>>,
    dests: Arc<Vec<AccountId>>,
    stop: Arc<AtomicBool>,
    rng_seed: u64,
) -> usize {
    let chain = client.chain_id().await.unwrap().chain_id();
    let mut nonces = Vec::new();
    for p in pairs.iter() {
        let who = p.account_id();
        nonces.push(
            client
                .call(|c| async move { c.account_next_index(who).await })
                .await
                .unwrap(),
        );
    }
    let mut rng = testkit::rng::seeded(rng_seed);
    let mut sent = 0;
    while !stop.load(Ordering::Relaxed) {
        for (i, pair) in pairs.iter().enumerate() {
            let dest = dests[rng.gen_range(0..dests.len())];
            let value = TaoBalance::from_rao(rng.gen_range(1..1_000_000));
            let tx = Transaction::sign(
                pair,
                nonces[i],
                TaoBalance::ZERO,
                Call::TransferKeepAlive { dest, value },
                &chain,
            );
            let hex = encode_hex(&tx.encode());
            match client
                .call(|c| {
                    let hex = hex.clone();
                    async move { c.submit_extrinsic(hex).await }
                })
                .await
            {
                Ok(_) => {
                    nonces[i] += 1;
                    sent += 1;
                }
                Err(_) => return sent,
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sent
}

#[test]
fn node_survives_sigkill_under_load() {
    let seed = testkit::rng::seed_from_env("RUSTENSOR_CRASH_SEED");
    let mut rng = testkit::rng::seeded(seed);
    // Node data and logs (`life-N.out`, `life-N.log`) stay in the base path when the test
    // fails.
    let dir = testkit::KeptOnFailure::new().unwrap();
    let pairs: Arc<Vec<Keypair>> = Arc::new(
        SENDERS
            .iter()
            .map(|n| Keypair::from_uri(&format!("//{n}")).unwrap())
            .collect(),
    );
    let dests: Arc<Vec<AccountId>> = Arc::new(
        (0..8)
            .map(|i| AccountId([0x40 + i as u8; 32]))
            .chain(pairs.iter().map(Keypair::account_id))
            .collect(),
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seen = Arc::new(Mutex::new(Seen::default()));
    let started = Instant::now();
    let mut total_sent = 0;

    for life in 0..=KILLS {
        let mut node = start_node(dir.path(), life);
        let url = node.url().to_owned();
        let last_life = life == KILLS;
        let run_for = Duration::from_millis(rng.gen_range(300..2_500));
        let load_seed: u64 = rng.r#gen();
        let (sent, finalized) = rt.block_on(async {
            let client = Arc::new(Client::connect(&url).await.unwrap());
            // Resumed at (or past) everything the client saw finalized, on the same blocks.
            let head = client
                .call(|c| async move { c.head().await })
                .await
                .unwrap();
            let known: Vec<(u64, Hash)> = seen
                .lock()
                .await
                .hashes
                .iter()
                .map(|(h, x)| (*h, *x))
                .collect();
            if let Some((top, _)) = known.last() {
                assert!(
                    head.finalized.height >= *top,
                    "life {life}: node restarted at {} below the finalized {top} the client saw",
                    head.finalized.height
                );
            }
            for (h, hash) in known.iter().rev().take(32) {
                let got = client
                    .call(|c| {
                        let h = *h;
                        async move { c.block_hash(h).await }
                    })
                    .await
                    .unwrap();
                assert_eq!(got, Some(*hash), "life {life}: block {h} changed");
            }
            let stop = Arc::new(AtomicBool::new(false));
            let stop_follower = Arc::new(AtomicBool::new(false));
            let follower =
                tokio::spawn(follow(client.clone(), seen.clone(), stop_follower.clone()));
            let loader = tokio::spawn(load(
                client.clone(),
                pairs.clone(),
                dests.clone(),
                stop.clone(),
                load_seed,
            ));
            tokio::time::sleep(run_for).await;
            if last_life {
                // The last life is never killed: stop the load and let the pool drain.
                stop.store(true, Ordering::Relaxed);
                let sent = loader.await.unwrap();
                let deadline = Instant::now() + Duration::from_secs(20);
                loop {
                    let h = client
                        .call(|c| async move { c.health().await })
                        .await
                        .unwrap();
                    assert_eq!(h.halted, None);
                    if h.pending == 0 {
                        break;
                    }
                    assert!(Instant::now() < deadline, "pool did not drain: {h:?}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // One more block so the follower sees the last transfers finalized.
                let top = client
                    .call(|c| async move { c.head().await })
                    .await
                    .unwrap()
                    .finalized
                    .height;
                let deadline = Instant::now() + Duration::from_secs(20);
                while seen.lock().await.hashes.keys().last().copied().unwrap_or(0) < top + 1 {
                    assert!(
                        Instant::now() < deadline,
                        "the follower is stuck below {top}"
                    );
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                stop_follower.store(true, Ordering::Relaxed);
                let _ = follower.await;
                (sent, seen.lock().await.txs.len())
            } else {
                // SIGKILL mid-stream; whatever the client saw finalized so far must survive.
                node.kill();
                stop.store(true, Ordering::Relaxed);
                stop_follower.store(true, Ordering::Relaxed);
                let sent = loader.await.unwrap();
                let _ = follower.await;
                (sent, seen.lock().await.txs.len())
            }
        });
        total_sent += sent;
        println!(
            "life {life}: ran {run_for:?}, sent {sent} transfers; {finalized} seen finalized so far; {}",
            if last_life {
                "kept"
            } else {
                "killed (SIGKILL)"
            }
        );
        if last_life {
            rt.block_on(verify(&url, &seen, &pairs, &dests));
            node.kill();
        }
    }
    println!(
        "{KILLS} kills, {total_sent} transfers sent, in {:?}",
        started.elapsed()
    );
}

/// Re-executes the node's finalized chain in a never-killed twin and compares everything.
async fn verify(url: &str, seen: &Mutex<Seen>, pairs: &[Keypair], dests: &[AccountId]) {
    let client = Client::connect(url).await.unwrap();
    let seen = seen.lock().await;
    assert!(
        seen.missing.is_empty(),
        "finalized blocks missing over RPC: {:?}",
        seen.missing
    );
    let top = *seen.hashes.keys().last().unwrap();
    let machine = ChainMachine::new(GenesisConfig::dev(Preset::Fast).unwrap()).unwrap();
    let twin = Executor::new(Arc::new(machine.clone()), StateDb::in_memory().unwrap());
    let genesis = twin.init_genesis(0).unwrap();
    let node_genesis = client
        .call(|c| async move { c.block_hash(0).await })
        .await
        .unwrap();
    assert_eq!(node_genesis, Some(Hash(genesis.hash())), "genesis differs");
    let mut in_block: HashMap<Hash, (u64, AccountId, u64)> = HashMap::new();
    for h in 1..=top {
        let raw = client
            .call(|c| async move { c.raw_block(BlockId::Height(h)).await })
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("node has no block {h}"));
        let bytes = rpc::views::decode_hex(&raw).unwrap();
        let block = Block::decode_all(&mut bytes.as_slice()).unwrap();
        assert_eq!(block.header.height, h);
        assert_eq!(
            Some(&Hash(block.hash())),
            seen.hashes.get(&h),
            "block {h} differs from the one the client saw finalized"
        );
        // `finalize` re-executes and refuses a root that differs from the header's.
        let head = twin
            .finalize(&block)
            .unwrap_or_else(|e| panic!("twin at height {h}: {e}"))
            .unwrap();
        assert_eq!(head.state_root, block.header.state_root, "root at {h}");
        for bytes in &block.transactions {
            let tx = Transaction::decode_all(&mut bytes.as_slice()).unwrap();
            in_block.insert(Hash(node::block::tx_hash(bytes)), (h, tx.signer, tx.nonce));
        }
    }
    let node_top = client
        .call(|c| async move { c.block(BlockId::Height(top)).await })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        node_top.state_root.0,
        twin.db().head().unwrap().unwrap().state_root,
        "state root at {top}"
    );

    // Every transfer the client saw finalized is in its block, indexed by the node, and
    // counted in its sender's nonce.
    let snapshot = twin.db().snapshot().unwrap();
    for (tx, h) in &seen.txs {
        let (at, signer, nonce) = in_block
            .get(tx)
            .copied()
            .unwrap_or_else(|| panic!("finalized transfer {tx} lost"));
        assert_eq!(at, *h, "transfer {tx} moved");
        let inc = client
            .call(|c| {
                let tx = *tx;
                async move { c.transaction(tx).await }
            })
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("transfer {tx} not indexed"));
        assert_eq!(inc.height, *h);
        assert!(matches!(
            inc.receipt.map(|r| r.outcome),
            Some(chain::TxOutcome::Applied)
        ));
        let state_nonce = machine.account_info(&snapshot, &signer).unwrap().nonce;
        assert!(nonce < state_nonce, "{signer}: nonce {nonce} not counted");
    }
    // Balances and nonces: the node (no transfers after `top`) equals the twin.
    for who in pairs
        .iter()
        .map(Keypair::account_id)
        .chain(dests.iter().copied())
    {
        let ours = machine.account_info(&snapshot, &who).unwrap();
        let node = client
            .call(|c| async move { c.account(who).await })
            .await
            .unwrap();
        assert_eq!(node.free, ours.free, "balance of {who}");
        assert_eq!(node.nonce, ours.nonce, "nonce of {who}");
    }
    println!(
        "verified: {top} blocks re-executed by the twin with equal roots; {} finalized transfers all present",
        seen.txs.len()
    );
}

//! Four authorities and a full node as real processes on loopback, started from the configs
//! `rustensor node init-network` writes: crash one authority (finality continues), restart it
//! (it catches up to the same head and state root), crash two (finality stops, nothing
//! conflicting is finalized), start a full node late (it catches up and serves the same
//! metagraph), restart the two (finality resumes), and a transfer submitted to the full node
//! reaches the authorities by gossip and is finalized.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use chain::{Call, Transaction};
use parity_scale_codec::Encode;
use serde_json::{Value, json};
use testkit::{NetworkNode, init_network, wait_until};
use types::TaoBalance;

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

/// One JSON-RPC call's result; `None` while the node does not answer (it may be down).
fn call(node: &NetworkNode, method: &str, params: Value) -> Option<Value> {
    node.rpc().request(method, params).ok()
}

/// (finalized height, finalized hash, state root).
fn finalized(node: &NetworkNode) -> Option<(u64, String, String)> {
    let h = call(node, "chain_getHead", json!([]))?;
    Some((
        h["finalized"]["height"].as_u64()?,
        h["finalized"]["hash"].as_str()?.to_owned(),
        h["state_root"].as_str()?.to_owned(),
    ))
}

fn height(node: &NetworkNode) -> u64 {
    finalized(node).map_or(0, |f| f.0)
}

fn block_hash(node: &NetworkNode, height: u64) -> Option<String> {
    call(node, "chain_getBlockHash", json!([height]))?
        .as_str()
        .map(str::to_owned)
}

/// The state root in the header of the block at `height`.
fn state_root_at(node: &NetworkNode, height: u64) -> Option<String> {
    let b = call(node, "chain_getBlock", json!([height]))?;
    b["state_root"].as_str().map(str::to_owned)
}

/// Every height up to the lowest head among `nodes` has one hash across them.
fn assert_agree(nodes: &[&NetworkNode], from: u64) {
    let top = nodes.iter().map(|n| height(n)).min().unwrap();
    for h in from..=top {
        let hashes: std::collections::BTreeSet<_> =
            nodes.iter().map(|n| block_hash(n, h).unwrap()).collect();
        assert_eq!(
            hashes.len(),
            1,
            "conflicting blocks at height {h}: {hashes:?}"
        );
    }
}

#[test]
fn four_authorities_survive_crashes_and_a_late_full_node_catches_up() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut nodes = init_network(
        Path::new(BIN),
        dir.path(),
        &[
            "--authorities",
            "4",
            "--full-nodes",
            "1",
            "--block-time-ms",
            "250",
        ],
    )
    .unwrap();
    assert_eq!(nodes.len(), 5);
    let mut full = nodes.pop().unwrap();
    assert_eq!(full.name(), "full-0");
    for n in &mut nodes {
        n.start().unwrap();
    }

    // All four finalize.
    wait_until(
        "4 authorities to finalize 3 blocks",
        Duration::from_secs(30),
        || nodes.iter().all(|n| height(n) >= 3),
    )
    .unwrap();
    eprintln!("[{:?}] 4 authorities finalizing", started.elapsed());

    // One crashes: the other three keep finalizing and agree.
    nodes[3].kill();
    let at_crash = nodes[..3].iter().map(height).max().unwrap();
    wait_until(
        "3 authorities to finalize 8 more",
        Duration::from_secs(30),
        || nodes[..3].iter().all(|n| height(n) >= at_crash + 8),
    )
    .unwrap();
    assert_agree(&[&nodes[0], &nodes[1], &nodes[2]], 1);
    eprintln!("[{:?}] 3 of 4 kept finalizing", started.elapsed());

    // It restarts and catches up to the same head and state root.
    nodes[3].start().unwrap();
    let target = height(&nodes[0]);
    wait_until(
        "the restarted authority to catch up",
        Duration::from_secs(30),
        || height(&nodes[3]) >= target,
    )
    .unwrap();
    assert_eq!(block_hash(&nodes[3], target), block_hash(&nodes[0], target));
    assert_eq!(
        state_root_at(&nodes[3], target),
        state_root_at(&nodes[0], target)
    );
    assert!(state_root_at(&nodes[3], target).is_some());
    eprintln!(
        "[{:?}] restarted authority caught up to {target}",
        started.elapsed()
    );

    // Two crash: no quorum, so finality stops, and nothing conflicting is finalized.
    nodes[2].kill();
    nodes[3].kill();
    std::thread::sleep(Duration::from_secs(2));
    let frozen = nodes[..2].iter().map(height).max().unwrap();
    for _ in 0..4 {
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(
            nodes[..2].iter().map(height).max().unwrap(),
            frozen,
            "finalized without a quorum"
        );
    }
    assert_agree(&[&nodes[0], &nodes[1]], 1);
    eprintln!(
        "[{:?}] 2 of 4: finality stopped at {frozen}",
        started.elapsed()
    );

    // A full node started late catches up from the authorities and serves the same state.
    full.start().unwrap();
    wait_until("the full node to catch up", Duration::from_secs(30), || {
        height(&full) >= frozen
    })
    .unwrap();
    assert_eq!(finalized(&full), finalized(&nodes[0]));
    let metagraph = call(&full, "neuronInfo_getMetagraph", json!([1])).unwrap();
    assert!(!metagraph.is_null());
    assert_eq!(
        metagraph,
        call(&nodes[0], "neuronInfo_getMetagraph", json!([1])).unwrap()
    );
    eprintln!("[{:?}] late full node caught up", started.elapsed());

    // The two come back: finality resumes and everyone agrees.
    nodes[2].start().unwrap();
    nodes[3].start().unwrap();
    wait_until("finality to resume", Duration::from_secs(45), || {
        nodes.iter().all(|n| height(n) >= frozen + 5) && height(&full) >= frozen + 5
    })
    .unwrap();
    let all: Vec<&NetworkNode> = nodes.iter().chain([&full]).collect();
    assert_agree(&all, 1);
    eprintln!("[{:?}] finality resumed", started.elapsed());

    // A transfer submitted to the full node (which never proposes) reaches the authorities by
    // gossip and is finalized.
    let chain = full.rpc().chain_id().unwrap();
    let alice = keys::Keypair::from_uri("//Alice").unwrap();
    let bob = keys::Keypair::from_uri("//Bob").unwrap().account_id();
    let nonce = call(
        &full,
        "system_accountNextIndex",
        json!([alice.account_id().to_string()]),
    )
    .unwrap()
    .as_u64()
    .unwrap();
    let tx = Transaction::sign(
        &alice,
        nonce,
        TaoBalance::ZERO,
        Call::TransferKeepAlive {
            dest: bob,
            value: TaoBalance::from_rao(1_000_000_000),
        },
        &chain,
    );
    let hash = call(
        &full,
        "author_submitExtrinsic",
        json!([format!("0x{}", hex::encode(tx.encode()))]),
    )
    .unwrap();
    let hash = hash.as_str().expect("submitted").to_owned();
    wait_until(
        "the gossiped transfer to be final",
        Duration::from_secs(20),
        || call(&nodes[0], "author_getTransaction", json!([hash])).is_some_and(|v| !v.is_null()),
    )
    .unwrap();
    wait_until("the full node to see it", Duration::from_secs(10), || {
        call(&full, "author_getTransaction", json!([hash])).is_some_and(|v| !v.is_null())
    })
    .unwrap();
    eprintln!("[{:?}] gossiped transfer finalized", started.elapsed());
    for n in nodes.iter().chain([&full]) {
        assert!(n.is_running());
    }
}

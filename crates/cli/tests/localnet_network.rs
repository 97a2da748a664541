//! `rustensor localnet --authorities 4 --no-neurons`: four authority processes on loopback,
//! listed in `BASE/network.json` once all are up, agreeing on one chain that the localnet set
//! up (its subnets are on every node); Ctrl-C stops every node and removes the listing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::process::pid_alive;
use testkit::{Localnet, Rpc};

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

/// One JSON-RPC call's result; `None` while the node does not answer.
fn call(rpc: &Rpc, method: &str, params: Value) -> Option<Value> {
    rpc.request(method, params).ok()
}

fn finalized_height(rpc: &Rpc) -> u64 {
    call(rpc, "chain_getHead", json!([]))
        .and_then(|h| h["finalized"]["height"].as_u64())
        .unwrap_or(0)
}

fn alive(pid: u64) -> bool {
    u32::try_from(pid).is_ok_and(pid_alive)
}

#[test]
fn localnet_runs_four_authorities_and_lists_them_in_network_json() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    let mut ln = Localnet::start(
        Path::new(BIN),
        &base,
        &[
            "--authorities",
            "4",
            "--no-neurons",
            "--headless",
            "--rpc-port",
            "0",
            "--timeout",
            "120",
        ],
    )
    .unwrap();

    // network.json appears once all nodes answer; localnet.json once the chain is set up.
    let start = Instant::now();
    let listings = ln
        .wait_for_json(&["network.json", "localnet.json"], Duration::from_secs(120))
        .expect("localnet up in time");
    let (network, manifest) = (&listings[0], &listings[1]);
    eprintln!("up after {:.1?}: {network}", start.elapsed());
    let nodes = network["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 4, "{network}");
    let mut pids = Vec::new();
    let mut rpcs = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        assert_eq!(n["name"], format!("authority-{i}"), "{n}");
        assert_eq!(n["role"], "authority", "{n}");
        let pid = n["pid"].as_u64().unwrap();
        assert!(alive(pid), "{n}");
        pids.push(pid);
        rpcs.push(Rpc::new(n["rpc"].as_str().unwrap()).unwrap());
    }
    // localnet talks to the first authority, and lists every node among its processes.
    assert_eq!(manifest["rpc"], nodes[0]["rpc"]);
    let listed: Vec<u64> = manifest["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pid"].as_u64().unwrap())
        .collect();
    assert!(pids.iter().all(|p| listed.contains(p)), "{manifest}");

    // Every node finalizes the same chain, with the localnet's subnets on it.
    let target = finalized_height(&rpcs[0]) + 4;
    let deadline = Instant::now() + Duration::from_secs(60);
    while rpcs.iter().any(|r| finalized_height(r) < target) {
        assert!(
            Instant::now() < deadline,
            "the authorities stopped finalizing"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let hashes: Vec<Value> = rpcs
        .iter()
        .map(|r| call(r, "chain_getBlockHash", json!([target])).unwrap())
        .collect();
    assert!(hashes[0].is_string());
    assert!(hashes.iter().all(|h| *h == hashes[0]), "{hashes:?}");
    for r in &rpcs {
        let subnets = call(r, "subnetInfo_getSubnets", json!([])).unwrap();
        let netuids: Vec<u64> = subnets
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["netuid"].as_u64())
            .collect();
        assert!(
            netuids.contains(&2) && netuids.contains(&3),
            "{}: {netuids:?}",
            r.url()
        );
    }

    // Ctrl-C stops every node and removes both listings.
    ln.interrupt().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while ln.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "localnet did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(200));
    for pid in &pids {
        assert!(!alive(*pid), "node {pid} outlived localnet");
    }
    assert!(!base.join("network.json").exists());
    assert!(!base.join("localnet.json").exists());
}

//! `rustensor localnet --authorities 4 --no-neurons`: four authority processes on loopback,
//! listed in `BASE/network.json` once all are up, agreeing on one chain that the localnet set
//! up (its subnets are on every node); Ctrl-C stops every node and removes the listing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

/// One JSON-RPC call over HTTP to `ws://127.0.0.1:PORT` (the same port serves both).
fn call(rpc: &str, method: &str, params: Value) -> Option<Value> {
    let port: u16 = rpc.rsplit(':').next()?.parse().ok()?;
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        body
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    let v: Value = serde_json::from_str(resp.split("\r\n\r\n").nth(1)?).ok()?;
    Some(v["result"].clone())
}

fn finalized_height(rpc: &str) -> u64 {
    call(rpc, "chain_getHead", json!([]))
        .and_then(|h| h["finalized"]["height"].as_u64())
        .unwrap_or(0)
}

fn alive(pid: u64) -> bool {
    // SAFETY: kill(2) with signal 0 only checks that the process exists.
    unsafe { libc::kill(pid as i32, 0) == 0 }
}

/// Interrupts localnet on drop (and kills it if it does not stop); prints its logs on failure.
struct Localnet {
    child: Child,
    base: std::path::PathBuf,
}

impl Drop for Localnet {
    fn drop(&mut self) {
        if std::thread::panicking() {
            print_logs(&self.base.join("logs"));
        }
        // SAFETY: kill(2) has no memory-safety preconditions.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn print_logs(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let text = std::fs::read_to_string(e.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(20)..].join("\n");
        eprintln!("==== {} ====\n{tail}", e.path().display());
    }
}

#[test]
fn localnet_runs_four_authorities_and_lists_them_in_network_json() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    let child = Command::new(BIN)
        .args([
            "localnet",
            "--authorities",
            "4",
            "--no-neurons",
            "--headless",
        ])
        .arg("--base-path")
        .arg(&base)
        .args(["--rpc-port", "0", "--timeout", "120"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut ln = Localnet {
        child,
        base: base.clone(),
    };

    // network.json appears once all nodes answer; localnet.json once the chain is set up.
    let start = Instant::now();
    let (network, manifest) = loop {
        let read = |name: &str| {
            std::fs::read_to_string(base.join(name))
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        };
        if let (Some(n), Some(m)) = (read("network.json"), read("localnet.json")) {
            break (n, m);
        }
        if let Ok(Some(status)) = ln.child.try_wait() {
            panic!("localnet exited early: {status}");
        }
        assert!(start.elapsed() < Duration::from_secs(120), "not up in time");
        std::thread::sleep(Duration::from_millis(200));
    };
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
        rpcs.push(n["rpc"].as_str().unwrap().to_string());
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
            "{r}: {netuids:?}"
        );
    }

    // Ctrl-C stops every node and removes both listings.
    // SAFETY: kill(2) has no memory-safety preconditions.
    unsafe {
        libc::kill(ln.child.id() as i32, libc::SIGINT);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while ln.child.try_wait().unwrap().is_none() {
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

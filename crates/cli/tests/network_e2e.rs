//! Four authorities and a full node as real processes on loopback, started from the configs
//! `rustensor node init-network` writes: crash one authority (finality continues), restart it
//! (it catches up to the same head and state root), crash two (finality stops, nothing
//! conflicting is finalized), start a full node late (it catches up and serves the same
//! metagraph), restart the two (finality resumes), and a transfer submitted to the full node
//! reaches the authorities by gossip and is finalized.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chain::{Call, ChainId, Transaction};
use parity_scale_codec::Encode;
use serde_json::{Value, json};
use types::TaoBalance;

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

/// A node process from a config file, killed (SIGKILL: a crash) on drop.
struct Proc {
    name: String,
    config: PathBuf,
    log: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Proc {
    fn new(name: &str, config: &Path, rpc: &str) -> Self {
        let port = rpc.rsplit(':').next().unwrap().parse().unwrap();
        Self {
            name: name.to_owned(),
            config: config.to_path_buf(),
            log: config.parent().unwrap().join("node.log"),
            port,
            child: None,
        }
    }

    fn start(&mut self) {
        assert!(self.child.is_none(), "{} already runs", self.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let mut child = Command::new(BIN)
            .args(["--json", "node", "--config"])
            .arg(&self.config)
            .env("RUST_LOG", "warn,node=info")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let info: Value = serde_json::from_str(&first).unwrap();
        assert_eq!(info["name"], self.name.as_str(), "{first}");
        std::thread::spawn(move || for _ in lines {});
        self.child = Some(child);
    }

    /// SIGKILL: no chance to clean up, like a power cut.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn call(&self, method: &str, params: Value) -> Option<Value> {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let body = body.to_string();
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
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
        let body = resp.split("\r\n\r\n").nth(1)?;
        let v: Value = serde_json::from_str(body).ok()?;
        Some(v["result"].clone())
    }

    /// (finalized height, finalized hash, state root).
    fn finalized(&self) -> Option<(u64, String, String)> {
        let h = self.call("chain_getHead", json!([]))?;
        Some((
            h["finalized"]["height"].as_u64()?,
            h["finalized"]["hash"].as_str()?.to_owned(),
            h["state_root"].as_str()?.to_owned(),
        ))
    }

    fn height(&self) -> u64 {
        self.finalized().map_or(0, |f| f.0)
    }

    fn block_hash(&self, height: u64) -> Option<String> {
        self.call("chain_getBlockHash", json!([height]))?
            .as_str()
            .map(str::to_owned)
    }

    /// The state root in the header of the block at `height`.
    fn state_root_at(&self, height: u64) -> Option<String> {
        let b = self.call("chain_getBlock", json!([height]))?;
        b["state_root"].as_str().map(str::to_owned)
    }
}

fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every height up to the lowest head among `nodes` has one hash across them.
fn assert_agree(nodes: &[&Proc], from: u64) {
    let top = nodes.iter().map(|n| n.height()).min().unwrap();
    for h in from..=top {
        let hashes: std::collections::BTreeSet<_> =
            nodes.iter().map(|n| n.block_hash(h).unwrap()).collect();
        assert_eq!(
            hashes.len(),
            1,
            "conflicting blocks at height {h}: {hashes:?}"
        );
    }
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

#[test]
fn four_authorities_survive_crashes_and_a_late_full_node_catches_up() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .args(["--json", "node", "init-network", "--authorities", "4"])
        .args(["--full-nodes", "1", "--block-time-ms", "250", "--base-path"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let init: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut nodes: Vec<Proc> = init["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            Proc::new(
                n["name"].as_str().unwrap(),
                Path::new(n["config"].as_str().unwrap()),
                n["rpc"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(nodes.len(), 5);
    let mut full = nodes.pop().unwrap();
    assert_eq!(full.name, "full-0");
    for n in &mut nodes {
        n.start();
    }
    let _logs = LogsOnPanic(dir.path().to_path_buf());

    // All four finalize.
    wait_until(
        "4 authorities to finalize 3 blocks",
        Duration::from_secs(30),
        || nodes.iter().all(|n| n.height() >= 3),
    );
    eprintln!("[{:?}] 4 authorities finalizing", started.elapsed());

    // One crashes: the other three keep finalizing and agree.
    nodes[3].kill();
    let at_crash = nodes[..3].iter().map(Proc::height).max().unwrap();
    wait_until(
        "3 authorities to finalize 8 more",
        Duration::from_secs(30),
        || nodes[..3].iter().all(|n| n.height() >= at_crash + 8),
    );
    assert_agree(&[&nodes[0], &nodes[1], &nodes[2]], 1);
    eprintln!("[{:?}] 3 of 4 kept finalizing", started.elapsed());

    // It restarts and catches up to the same head and state root.
    nodes[3].start();
    let target = nodes[0].height();
    wait_until(
        "the restarted authority to catch up",
        Duration::from_secs(30),
        || nodes[3].height() >= target,
    );
    assert_eq!(nodes[3].block_hash(target), nodes[0].block_hash(target));
    assert_eq!(
        nodes[3].state_root_at(target),
        nodes[0].state_root_at(target)
    );
    assert!(nodes[3].state_root_at(target).is_some());
    eprintln!(
        "[{:?}] restarted authority caught up to {target}",
        started.elapsed()
    );

    // Two crash: no quorum, so finality stops, and nothing conflicting is finalized.
    nodes[2].kill();
    nodes[3].kill();
    std::thread::sleep(Duration::from_secs(2));
    let frozen = nodes[..2].iter().map(Proc::height).max().unwrap();
    for _ in 0..4 {
        std::thread::sleep(Duration::from_secs(1));
        assert_eq!(
            nodes[..2].iter().map(Proc::height).max().unwrap(),
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
    full.start();
    wait_until("the full node to catch up", Duration::from_secs(30), || {
        full.height() >= frozen
    });
    assert_eq!(full.finalized(), nodes[0].finalized());
    let metagraph = full.call("neuronInfo_getMetagraph", json!([1])).unwrap();
    assert!(!metagraph.is_null());
    assert_eq!(
        metagraph,
        nodes[0]
            .call("neuronInfo_getMetagraph", json!([1]))
            .unwrap()
    );
    eprintln!("[{:?}] late full node caught up", started.elapsed());

    // The two come back: finality resumes and everyone agrees.
    nodes[2].start();
    nodes[3].start();
    wait_until("finality to resume", Duration::from_secs(45), || {
        nodes.iter().all(|n| n.height() >= frozen + 5) && full.height() >= frozen + 5
    });
    let all: Vec<&Proc> = nodes.iter().chain([&full]).collect();
    assert_agree(&all, 1);
    eprintln!("[{:?}] finality resumed", started.elapsed());

    // A transfer submitted to the full node (which never proposes) reaches the authorities by
    // gossip and is finalized.
    let id = full.call("system_chainId", json!([])).unwrap();
    let chain = ChainId {
        genesis_hash: id["genesis_hash"]
            .as_str()
            .unwrap()
            .parse::<rpc::Hash>()
            .unwrap()
            .0,
        spec_version: id["spec_version"].as_u64().unwrap() as u32,
    };
    let alice = keys::Keypair::from_uri("//Alice").unwrap();
    let bob = keys::Keypair::from_uri("//Bob").unwrap().account_id();
    let nonce = full
        .call(
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
    let hash = full
        .call(
            "author_submitExtrinsic",
            json!([format!("0x{}", hex::encode(tx.encode()))]),
        )
        .unwrap();
    let hash = hash.as_str().expect("submitted").to_owned();
    wait_until(
        "the gossiped transfer to be final",
        Duration::from_secs(20),
        || {
            nodes[0]
                .call("author_getTransaction", json!([hash]))
                .is_some_and(|v| !v.is_null())
        },
    );
    wait_until("the full node to see it", Duration::from_secs(10), || {
        full.call("author_getTransaction", json!([hash]))
            .is_some_and(|v| !v.is_null())
    });
    eprintln!("[{:?}] gossiped transfer finalized", started.elapsed());
    for n in nodes.iter().chain([&full]) {
        assert!(n.child.is_some());
    }
}

/// Prints the tail of every node's log if the test fails.
struct LogsOnPanic(PathBuf);

impl Drop for LogsOnPanic {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let mut logs: Vec<PathBuf> = std::fs::read_dir(&self.0)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path().join("node.log"))
            .filter(|p| p.is_file())
            .collect();
        logs.sort();
        for log in logs {
            eprintln!("--- {}\n{}", log.display(), tail(&log));
        }
    }
}

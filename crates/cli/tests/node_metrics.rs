//! `rustensor node --dev --prometheus-port 0`: Prometheus metrics over HTTP that follow the
//! chain (heights, finalized transactions, mempool, block times) beside the engine's own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chain::{Call, ChainId, Transaction};
use parity_scale_codec::Encode;
use serde_json::{Value, json};
use types::TaoBalance;

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A plain HTTP request to 127.0.0.1; returns the body.
fn http(port: u16, request: &str) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.split_once("\r\n\r\n")
        .map(|x| x.1.to_string())
        .unwrap_or_default()
}

fn rpc(port: u16, method: &str, params: Value) -> Value {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    serde_json::from_str::<Value>(&http(port, &req)).unwrap()["result"].clone()
}

fn scrape(port: u16) -> String {
    http(
        port,
        "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    )
}

/// The value of a sample line `name value`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

fn port_of(url: &str) -> u16 {
    url.trim_end_matches("/metrics")
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn metrics_follow_the_chain() {
    let mut child = Command::new(BIN)
        .args(["--json", "node", "--dev", "--tmp", "--rpc-port", "0"])
        .args(["--prometheus-port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let _node = Killed(child);
    let first: Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    std::thread::spawn(move || for _ in lines {});
    let rpc_port = port_of(first["rpc"].as_str().unwrap());
    let metrics_port = port_of(first["metrics"].as_str().unwrap());

    // Two transfers from Alice; the metrics must count them once they are final.
    let id = rpc(rpc_port, "system_chainId", json!([]));
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
    for nonce in 0..2 {
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
        let hash = rpc(
            rpc_port,
            "author_submitExtrinsic",
            json!([format!("0x{}", hex::encode(tx.encode()))]),
        );
        assert!(hash.is_string(), "{hash}");
    }

    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = scrape(metrics_port);
        if sample(&text, "rustensor_node_finalized_transactions_total") == Some(2.0)
            && sample(&text, "rustensor_node_mempool_transactions") == Some(0.0)
        {
            break text;
        }
        assert!(
            Instant::now() < deadline,
            "metrics never counted the transfers:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    let head = rpc(rpc_port, "chain_getHead", json!([]));
    let finalized = sample(&text, "rustensor_node_finalized_height").unwrap();
    assert!(finalized >= 1.0 && finalized <= head["finalized"]["height"].as_f64().unwrap());
    assert!(sample(&text, "rustensor_node_best_height").unwrap() >= finalized);
    assert!(sample(&text, "rustensor_node_block_commit_seconds_count").unwrap() >= finalized);
    assert!(sample(&text, "rustensor_node_block_execution_seconds_count").unwrap() >= 1.0);
    assert!(sample(&text, "rustensor_node_transactions_per_second").is_some());
    // The engine's own metrics are served too.
    assert!(text.contains("# TYPE node_"), "no engine metrics:\n{text}");
}

//! `rustensor node --dev --prometheus-port 0`: Prometheus metrics over HTTP that follow the
//! chain (heights, finalized transactions, mempool, block times) beside the engine's own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use chain::{Call, Transaction};
use parity_scale_codec::Encode;
use serde_json::json;
use testkit::{DevNode, DevNodeOptions};
use types::TaoBalance;

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

fn scrape(url: &str) -> String {
    testkit::http::get(url, Duration::from_secs(10))
        .unwrap()
        .body
}

/// The value of a sample line `name value`.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

#[test]
fn metrics_follow_the_chain() {
    let node = DevNode::start_with(
        Path::new(BIN),
        DevNodeOptions {
            metrics: true,
            ..Default::default()
        },
    )
    .unwrap();
    let rpc = node.rpc();
    let metrics = node.metrics_url().expect("the node serves metrics");

    // Two transfers from Alice; the metrics must count them once they are final.
    let chain = rpc.chain_id().unwrap();
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
        let hash = rpc
            .request(
                "author_submitExtrinsic",
                json!([format!("0x{}", hex::encode(tx.encode()))]),
            )
            .unwrap();
        assert!(hash.is_string(), "{hash}");
    }

    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = scrape(metrics);
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
    let head = rpc.request("chain_getHead", json!([])).unwrap();
    let finalized = sample(&text, "rustensor_node_finalized_height").unwrap();
    assert!(finalized >= 1.0 && finalized <= head["finalized"]["height"].as_f64().unwrap());
    assert!(sample(&text, "rustensor_node_best_height").unwrap() >= finalized);
    assert!(sample(&text, "rustensor_node_block_commit_seconds_count").unwrap() >= finalized);
    assert!(sample(&text, "rustensor_node_block_execution_seconds_count").unwrap() >= 1.0);
    assert!(sample(&text, "rustensor_node_transactions_per_second").is_some());
    // The engine's own metrics are served too.
    assert!(text.contains("# TYPE node_"), "no engine metrics:\n{text}");
}

//! End to end with real processes: `rustensor localnet --headless --epochs 3 --json` starts a
//! dev node, two subnets with 2 validators and 4 miners of quality ranks 1..4 each, and the
//! gateway, all as child processes. While it runs, a chat completion through the gateway must
//! come from the embedded model (its greedy output for the same prompt, computed here with the
//! `model` crate). When it exits, the better miners of each subnet must hold strictly higher
//! incentive than the worse ones. On failure, localnet's output and the end of every child's log
//! are printed (testkit's `Localnet`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::Localnet;

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");
/// Upper bound for the whole run on a slow machine (it takes about a minute or two here).
const TIMEOUT: Duration = Duration::from_secs(420);
const PROMPT: &str = "What is the capital of France?";
const MAX_TOKENS: usize = 8;

/// The embedded model's greedy answers to the prompt (the default `Q4_1Fast` weights, as the
/// miners load them, and f32, which must agree), or `None` when the model cannot be fetched here.
fn references() -> Option<Vec<String>> {
    let path = match model::fetch::fetch(None, &mut |_| {}) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("SKIPPED: the embedded model cannot be fetched here: {e}");
            return None;
        }
    };
    let messages = [model::ChatMessage::user(PROMPT)];
    let mut out = Vec::new();
    for format in [model::WeightFormat::default(), model::WeightFormat::F32] {
        let mut m = model::TextModel::load_with(&path, format).unwrap();
        let g = m
            .generate(&messages, &model::SamplingParams::greedy(MAX_TOKENS))
            .unwrap();
        out.push(g.text);
    }
    Some(out)
}

/// Length in chars of the common prefix of two strings.
fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

fn chat(gateway: &str) -> (String, Option<String>) {
    let r = testkit::http::post_json(
        &format!("{gateway}/v1/chat/completions"),
        &json!({
            "model": "rustensor",
            "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": MAX_TOKENS,
            "temperature": 0,
        }),
        Duration::from_secs(90),
    )
    .unwrap();
    let status = r.status;
    let uid = r.header("x-rustensor-miner-uid").map(str::to_owned);
    let body: Value = r.json().unwrap();
    assert!(
        (200..300).contains(&status),
        "chat completion failed: {status} {body}"
    );
    let text = body["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_else(|| panic!("no content: {body}"))
        .to_string();
    (text, uid)
}

#[test]
fn localnet_headless_ranks_miners_and_serves_the_model_through_the_gateway() {
    let Some(refs) = references() else { return };
    eprintln!("greedy references: {refs:?}");
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().to_path_buf();
    let start = Instant::now();
    let timeout = TIMEOUT.as_secs().to_string();
    let mut ln = Localnet::start(
        Path::new(BIN),
        &base,
        &[
            "--headless",
            "--epochs",
            "3",
            "--json",
            "--rpc-port",
            "0",
            "--gateway-port",
            "0",
            "--timeout",
            &timeout,
        ],
    )
    .unwrap();

    // Ready: localnet.json appears.
    let manifest_path = base.join("localnet.json");
    let manifest: Value = ln
        .wait_for_json(&["localnet.json"], TIMEOUT)
        .expect("localnet ready in time")
        .remove(0);
    let ready = start.elapsed();
    eprintln!("localnet ready after {ready:.1?}");
    assert!(
        manifest["rpc"]
            .as_str()
            .unwrap()
            .starts_with("ws://127.0.0.1:")
    );
    let processes = manifest["processes"].as_array().unwrap();
    assert_eq!(processes.len(), 1 + 2 * 6 + 1, "node, 12 neurons, gateway");
    assert!(processes.iter().all(|p| p["pid"].as_u64().unwrap() > 0));
    assert_eq!(manifest["wallets"].as_array().unwrap().len(), 1 + 2 + 4);

    // A chat completion through the gateway comes from the embedded model: the miners answer
    // greedily (the lower ranks cut the answer short and pad it with filler words), so the
    // answer starts with the model's own greedy output for this prompt.
    let gateway = manifest["gateway"].as_str().unwrap().to_string();
    let (text, uid) = chat(&gateway);
    eprintln!("gateway answer from miner uid {uid:?}: {text:?}");
    let best = refs
        .iter()
        .map(|r| common_prefix(&text, r))
        .max()
        .unwrap_or(0);
    let shortest = refs.iter().map(|r| r.chars().count()).min().unwrap_or(0);
    assert!(
        best >= shortest.min(12) && best > 0,
        "the gateway's answer {text:?} does not start like the model's greedy output {refs:?}"
    );

    // The run ends by itself after 3 epochs with weights.
    let status = loop {
        if let Some(s) = ln.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < TIMEOUT + Duration::from_secs(30),
            "localnet did not finish its 3 epochs"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let stdout = ln.stdout().unwrap();
    assert!(status.success(), "localnet failed: {status}\n{stdout}");
    eprintln!("localnet finished after {:.1?}", start.elapsed());
    let summary: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("the summary is not JSON ({e}): {stdout}"));
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&summary["timings"]).unwrap()
    );
    assert!(
        !manifest_path.exists(),
        "localnet.json is removed when localnet stops"
    );

    let subnets = summary["subnets"].as_array().unwrap();
    assert_eq!(subnets.len(), 2);
    for s in subnets {
        let name = s["name"].as_str().unwrap();
        let neurons = s["neurons"].as_array().unwrap();
        for n in neurons {
            assert!(n["hotkey"].as_str().unwrap().starts_with('5'), "{n}");
            assert!(n["uid"].is_u64() && n["emission"].is_number(), "{n}");
        }
        let mut miners: Vec<&Value> = neurons.iter().filter(|n| n["role"] == "miner").collect();
        let validators: Vec<&Value> = neurons
            .iter()
            .filter(|n| n["role"] == "validator")
            .collect();
        assert_eq!((miners.len(), validators.len()), (4, 2), "{name}: {s}");
        miners.sort_by_key(|n| n["quality"].as_u64().unwrap());
        let incentives: Vec<f64> = miners
            .iter()
            .map(|n| n["incentive"].as_f64().unwrap())
            .collect();
        eprintln!("{name}: incentive by quality 1..4: {incentives:?}");
        for pair in incentives.windows(2) {
            assert!(
                pair[1] > pair[0],
                "{name}: a better miner must earn strictly more: {incentives:?}\n{s}"
            );
        }
        let dividends: f64 = validators
            .iter()
            .map(|n| n["dividends"].as_f64().unwrap())
            .sum();
        assert!(dividends > 0.0, "{name}: validators earn dividends: {s}");
    }
}

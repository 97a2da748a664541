//! End to end against a real node process on loopback: the whole subnet cycle through the CLI
//! (create, start, register a validator and two miners, stake, set weights, two epochs, the
//! metagraph), and bad input over JSON-RPC that must get errors while the node keeps serving.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chain::{Call, ChainId, Transaction};
use parity_scale_codec::{DecodeAll, Encode};
use serde_json::{Value, json};
use types::TaoBalance;

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

/// A dev node process, killed on drop.
struct NodeProc {
    child: Child,
    port: u16,
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_node() -> NodeProc {
    let port = free_port();
    let mut child = Command::new(BIN)
        .args(["node", "--dev", "--tmp", "--rpc-port", &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.contains("JSON-RPC on"), "{first}");
    // Keep draining so the node never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    NodeProc { child, port }
}

impl NodeProc {
    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// One JSON-RPC call over plain HTTP (same port as WebSocket).
    fn http(&self, body: &str) -> Value {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
            body.len(),
            body
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).unwrap();
        let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
        serde_json::from_str(body).unwrap_or_else(|_| json!({ "raw": resp }))
    }

    fn call(&self, method: &str, params: Value) -> Value {
        self.http(
            &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string(),
        )
    }
}

fn cli(wallets: &Path, node: &NodeProc, args: &[&str]) -> Value {
    let out = Command::new(BIN)
        .arg("--wallet-path")
        .arg(wallets)
        .args(args)
        .args(["--network", &node.url(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rustensor {args:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn regen(wallets: &Path, name: &str, cold: &str, hotkeys: &[(&str, &str)]) {
    let root = wallets.to_str().unwrap();
    let ok = Command::new(BIN)
        .args([
            "--wallet-path",
            root,
            "wallet",
            "regen-coldkey",
            "--name",
            name,
            "--uri",
            cold,
            "--no-password",
        ])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    for (hk, uri) in hotkeys {
        let ok = Command::new(BIN)
            .args([
                "--wallet-path",
                root,
                "wallet",
                "regen-hotkey",
                "--name",
                name,
                "--hotkey",
                hk,
                "--uri",
                uri,
            ])
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
    }
}

fn netuid_created(sent: &Value) -> u64 {
    sent["events"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|e| e.get("NetworkAdded").map(|n| n["netuid"].as_u64().unwrap()))
        .expect("NetworkAdded event")
}

#[test]
fn whole_subnet_cycle_through_the_cli() {
    let node = start_node();
    let dir = tempfile::tempdir().unwrap();
    let w: PathBuf = dir.path().to_path_buf();
    regen(
        &w,
        "owner",
        "//Alice",
        &[("owner", "//Alice//owner"), ("val", "//Alice//val")],
    );
    regen(&w, "m1", "//Bob", &[("default", "//Bob//miner")]);
    regen(&w, "m2", "//Charlie", &[("default", "//Charlie//miner")]);

    let head = cli(&w, &node, &["chain", "head"]);
    assert!(head["best"]["height"].is_u64() && head["finalized"]["hash"].is_string());
    assert!(head["state_root"].as_str().unwrap().starts_with("0x"));

    let sent = cli(
        &w,
        &node,
        &[
            "subnet", "create", "--name", "owner", "--hotkey", "owner", "-y",
        ],
    );
    let netuid = netuid_created(&sent).to_string();
    cli(
        &w,
        &node,
        &[
            "subnet", "start", "--netuid", &netuid, "--name", "owner", "-y",
        ],
    );
    cli(
        &w,
        &node,
        &[
            "subnet", "register", "--netuid", &netuid, "--name", "owner", "--hotkey", "val", "-y",
        ],
    );
    cli(
        &w,
        &node,
        &[
            "subnet", "register", "--netuid", &netuid, "--name", "m1", "-y",
        ],
    );
    cli(
        &w,
        &node,
        &[
            "subnet", "register", "--netuid", &netuid, "--name", "m2", "-y",
        ],
    );
    cli(
        &w,
        &node,
        &[
            "stake",
            "add",
            "--netuid",
            &netuid,
            "--amount",
            "50",
            "--name",
            "owner",
            "--hotkey",
            "val",
            "--tolerance",
            "10",
            "-y",
        ],
    );

    let mg = cli(&w, &node, &["metagraph", "--netuid", &netuid]);
    let neurons = mg["neurons"].as_array().unwrap();
    assert_eq!(neurons.len(), 4, "owner, validator, two miners");
    let uid_of = |hk: &str| -> u64 {
        let id = keys::Keypair::from_uri(hk)
            .unwrap()
            .account_id()
            .to_string();
        neurons.iter().find(|n| n["hotkey"] == id.as_str()).unwrap()["uid"]
            .as_u64()
            .unwrap()
    };
    let (v, m1, m2) = (
        uid_of("//Alice//val"),
        uid_of("//Bob//miner"),
        uid_of("//Charlie//miner"),
    );
    let uids = format!("{m1},{m2}");
    // Validator permits come with the next epoch after the stake.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let mg = cli(&w, &node, &["metagraph", "--netuid", &netuid]);
        let nv = mg["neurons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["uid"] == v)
            .unwrap()
            .clone();
        if nv["validator_permit"] == true {
            break;
        }
        assert!(Instant::now() < deadline, "no validator permit: {nv}");
        std::thread::sleep(Duration::from_millis(300));
    }
    cli(
        &w,
        &node,
        &[
            "weights",
            "set",
            "--netuid",
            &netuid,
            "--uids",
            &uids,
            "--weights",
            "1,2",
            "--name",
            "owner",
            "--hotkey",
            "val",
            "-y",
        ],
    );

    let start_epoch = mg["subnet"]["epoch_index"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mg = loop {
        let mg = cli(&w, &node, &["metagraph", "--netuid", &netuid]);
        if mg["subnet"]["epoch_index"].as_u64().unwrap() >= start_epoch + 2 {
            break mg;
        }
        assert!(Instant::now() < deadline, "two epochs did not pass");
        std::thread::sleep(Duration::from_millis(500));
    };
    let n = |uid: u64| {
        mg["neurons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["uid"] == uid)
            .unwrap()
            .clone()
    };
    let (nv, n1, n2) = (n(v), n(m1), n(m2));
    assert!(n1["incentive"].as_u64().unwrap() > 0, "{n1}");
    assert!(
        n2["incentive"].as_u64().unwrap() > n1["incentive"].as_u64().unwrap(),
        "{n1} {n2}"
    );
    assert!(nv["dividends"].as_u64().unwrap() > 0, "{nv}");
    assert!(n2["emission"].as_u64().unwrap() > 0 && nv["emission"].as_u64().unwrap() > 0);

    let bal = cli(&w, &node, &["wallet", "balance", "--name", "owner"]);
    assert!(bal["staked_tao_value"].as_u64().unwrap() > 0);
    let ov = cli(&w, &node, &["wallet", "overview", "--name", "owner"]);
    assert!(ov["registrations"].as_array().unwrap().len() >= 2);
}

fn error_code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error: {v}"))
}

fn healthy(node: &NodeProc) {
    let h = node.call("system_health", json!([]));
    assert!(h["result"]["finalized"].is_u64(), "{h}");
}

#[test]
fn bad_input_over_rpc_gets_errors_and_the_node_keeps_serving() {
    let node = start_node();
    let id = node.call("system_chainId", json!([]))["result"].clone();
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
    let transfer = Call::TransferKeepAlive {
        dest: bob,
        value: TaoBalance::from_rao(1_000_000_000),
    };
    let hex = |tx: &Transaction| format!("0x{}", hex::encode(tx.encode()));

    // garbage bytes
    assert_eq!(
        error_code(&node.call("author_submitExtrinsic", json!(["0xdeadbeef"]))),
        1010
    );
    healthy(&node);
    // not hex at all
    assert_eq!(
        error_code(&node.call("author_submitExtrinsic", json!(["zz"]))),
        -32602
    );
    // wrong signature (signed for another chain)
    let other = ChainId {
        genesis_hash: [9; 32],
        ..chain
    };
    let bad = Transaction::sign(&alice, 0, TaoBalance::ZERO, transfer.clone(), &other);
    let r = node.call("author_submitExtrinsic", json!([hex(&bad)]));
    assert_eq!(error_code(&r), 1010, "{r}");
    healthy(&node);
    // a good one, then the same nonce again after it is final
    let nonce = node.call(
        "system_accountNextIndex",
        json!([alice.account_id().to_string()]),
    )["result"]
        .as_u64()
        .unwrap();
    let good = Transaction::sign(&alice, nonce, TaoBalance::ZERO, transfer.clone(), &chain);
    let h = node.call("author_submitExtrinsic", json!([hex(&good)]));
    let hash = h["result"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while node.call("author_getTransaction", json!([hash]))["result"].is_null() {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(100));
    }
    let replay = Transaction::sign(
        &alice,
        nonce,
        TaoBalance::from_rao(1),
        transfer.clone(),
        &chain,
    );
    let r = node.call("author_submitExtrinsic", json!([hex(&replay)]));
    assert_eq!(error_code(&r), 1010, "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("nonce"),
        "{r}"
    );
    // oversized
    let big = format!("0x{}", "00".repeat(600 * 1024));
    assert_eq!(
        error_code(&node.call("author_submitExtrinsic", json!([big]))),
        1012
    );
    healthy(&node);
    // a batch: each transaction gets its own result, in order; one bad entry refuses only itself
    let next = node.call(
        "system_accountNextIndex",
        json!([alice.account_id().to_string()]),
    )["result"]
        .as_u64()
        .unwrap();
    let first = Transaction::sign(&alice, next, TaoBalance::ZERO, transfer.clone(), &chain);
    let second = Transaction::sign(&alice, next + 1, TaoBalance::ZERO, transfer.clone(), &chain);
    let r = node.call(
        "author_submitExtrinsics",
        json!([[hex(&first), "0xdeadbeef", "zz", hex(&bad), hex(&second)]]),
    );
    let results = r["result"].as_array().unwrap_or_else(|| panic!("{r}"));
    assert_eq!(results.len(), 5, "{r}");
    assert!(
        results[0]["hash"].is_string() && results[0]["error"].is_null(),
        "{r}"
    );
    assert_eq!(results[1]["error"]["code"], 1010, "{r}");
    assert_eq!(results[2]["error"]["code"], -32602, "{r}");
    assert_eq!(results[3]["error"]["code"], 1010, "{r}");
    assert!(
        !results[3]["error"]["hint"].as_str().unwrap().is_empty(),
        "{r}"
    );
    assert!(results[4]["hash"].is_string(), "{r}");
    let too_many: Vec<String> = vec!["0x00".into(); rpc::MAX_BATCH + 1];
    assert_eq!(
        error_code(&node.call("author_submitExtrinsics", json!([too_many]))),
        -32602
    );
    healthy(&node);
    // the raw block holding the earlier good transfer decodes to the block the node reports
    let at = node.call("author_getTransaction", json!([hash]))["result"].clone();
    let raw = node.call("chain_getRawBlock", json!([at["height"]]))["result"]
        .as_str()
        .unwrap()
        .to_string();
    let block = node::block::Block::decode_all(&mut &hex::decode(&raw[2..]).unwrap()[..]).unwrap();
    assert_eq!(
        format!("0x{}", hex::encode(block.hash())),
        at["block_hash"].as_str().unwrap()
    );
    assert!(block.transactions.iter().any(|t| *t == good.encode()));
    assert!(node.call("chain_getRawBlock", json!([1_000_000]))["result"].is_null());

    // unknown method
    assert_eq!(error_code(&node.call("nope_nothing", json!([]))), -32601);
    // malformed params: a string netuid, a bad address, missing params, not JSON at all
    assert_eq!(
        error_code(&node.call("neuronInfo_getMetagraph", json!(["one"]))),
        -32602
    );
    assert_eq!(
        error_code(&node.call("state_getAccount", json!(["5Grw"]))),
        -32602
    );
    assert_eq!(error_code(&node.call("chain_getBlock", json!([]))), -32602);
    assert_eq!(error_code(&node.http("{not json")), -32700);
    // unknown subnet is null, not an error
    assert!(node.call("neuronInfo_getMetagraph", json!([999]))["result"].is_null());
    healthy(&node);

    // a 256-uid-sized metagraph read stays fast (here: subnet 1, timing the RPC round trip)
    let t = Instant::now();
    let mg = node.call("neuronInfo_getMetagraph", json!([1]));
    assert!(mg["result"]["neurons"].is_array());
    eprintln!("metagraph of subnet 1 over HTTP: {:?}", t.elapsed());
}

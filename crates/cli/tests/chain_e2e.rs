//! End to end against a real node process on loopback: the whole subnet cycle through the CLI
//! (create, start, register a validator and two miners, stake, set weights, two epochs, the
//! metagraph), the other chain commands (transfer, stake moves, subnet settings, commit-reveal,
//! refusals and failures as the user sees them), and bad input over JSON-RPC that must get
//! errors while the node keeps serving.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chain::{Call, ChainId, Transaction};
use parity_scale_codec::{DecodeAll, Encode};
use serde_json::{Value, json};
use testkit::{Cli, DevNode, Proc, Rpc};
use types::TaoBalance;

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

fn start_node() -> DevNode {
    DevNode::start(Path::new(BIN)).unwrap()
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
    let cli = Cli::new(BIN, &w).on_network(node.url());
    cli.regen_wallet(
        "owner",
        "//Alice",
        &[("owner", "//Alice//owner"), ("val", "//Alice//val")],
    )
    .unwrap();
    cli.regen_wallet("m1", "//Bob", &[("default", "//Bob//miner")])
        .unwrap();
    cli.regen_wallet("m2", "//Charlie", &[("default", "//Charlie//miner")])
        .unwrap();

    let head = cli.json(&["chain", "head"]).unwrap();
    assert!(head["best"]["height"].is_u64() && head["finalized"]["hash"].is_string());
    assert!(head["state_root"].as_str().unwrap().starts_with("0x"));

    let sent = cli
        .json(&[
            "subnet", "create", "--name", "owner", "--hotkey", "owner", "-y",
        ])
        .unwrap();
    let netuid = netuid_created(&sent).to_string();
    cli.json(&[
        "subnet", "start", "--netuid", &netuid, "--name", "owner", "-y",
    ])
    .unwrap();
    cli.json(&[
        "subnet", "register", "--netuid", &netuid, "--name", "owner", "--hotkey", "val", "-y",
    ])
    .unwrap();
    cli.json(&[
        "subnet", "register", "--netuid", &netuid, "--name", "m1", "-y",
    ])
    .unwrap();
    cli.json(&[
        "subnet", "register", "--netuid", &netuid, "--name", "m2", "-y",
    ])
    .unwrap();
    cli.json(&[
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
    ])
    .unwrap();

    let mg = cli.json(&["metagraph", "--netuid", &netuid]).unwrap();
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
        let mg = cli.json(&["metagraph", "--netuid", &netuid]).unwrap();
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
    cli.json(&[
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
    ])
    .unwrap();

    let start_epoch = mg["subnet"]["epoch_index"].as_u64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mg = loop {
        let mg = cli.json(&["metagraph", "--netuid", &netuid]).unwrap();
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

    let bal = cli.json(&["wallet", "balance", "--name", "owner"]).unwrap();
    assert!(bal["staked_tao_value"].as_u64().unwrap() > 0);
    let ov = cli
        .json(&["wallet", "overview", "--name", "owner"])
        .unwrap();
    assert!(ov["registrations"].as_array().unwrap().len() >= 2);
}

fn error_code(v: &Value) -> i64 {
    v["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error: {v}"))
}

fn healthy(rpc: &Rpc) {
    let h = rpc.response("system_health", json!([]));
    assert!(h["result"]["finalized"].is_u64(), "{h}");
}

#[test]
fn bad_input_over_rpc_gets_errors_and_the_node_keeps_serving() {
    let node = start_node();
    let rpc = node.rpc();
    let chain = rpc.chain_id().unwrap();
    let alice = keys::Keypair::from_uri("//Alice").unwrap();
    let bob = keys::Keypair::from_uri("//Bob").unwrap().account_id();
    let transfer = Call::TransferKeepAlive {
        dest: bob,
        value: TaoBalance::from_rao(1_000_000_000),
    };
    let hex = |tx: &Transaction| format!("0x{}", hex::encode(tx.encode()));

    // garbage bytes
    assert_eq!(
        error_code(&rpc.response("author_submitExtrinsic", json!(["0xdeadbeef"]))),
        1010
    );
    healthy(rpc);
    // not hex at all
    assert_eq!(
        error_code(&rpc.response("author_submitExtrinsic", json!(["zz"]))),
        -32602
    );
    // wrong signature (signed for another chain)
    let other = ChainId {
        genesis_hash: [9; 32],
        ..chain
    };
    let bad = Transaction::sign(&alice, 0, TaoBalance::ZERO, transfer.clone(), &other);
    let r = rpc.response("author_submitExtrinsic", json!([hex(&bad)]));
    assert_eq!(error_code(&r), 1010, "{r}");
    healthy(rpc);
    // a good one, then the same nonce again after it is final
    let nonce = rpc.response(
        "system_accountNextIndex",
        json!([alice.account_id().to_string()]),
    )["result"]
        .as_u64()
        .unwrap();
    let good = Transaction::sign(&alice, nonce, TaoBalance::ZERO, transfer.clone(), &chain);
    let h = rpc.response("author_submitExtrinsic", json!([hex(&good)]));
    let hash = h["result"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while rpc.response("author_getTransaction", json!([hash]))["result"].is_null() {
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
    let r = rpc.response("author_submitExtrinsic", json!([hex(&replay)]));
    assert_eq!(error_code(&r), 1010, "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("nonce"),
        "{r}"
    );
    // oversized
    let big = format!("0x{}", "00".repeat(600 * 1024));
    assert_eq!(
        error_code(&rpc.response("author_submitExtrinsic", json!([big]))),
        1012
    );
    healthy(rpc);
    // a batch: each transaction gets its own result, in order; one bad entry refuses only itself
    let next = rpc.response(
        "system_accountNextIndex",
        json!([alice.account_id().to_string()]),
    )["result"]
        .as_u64()
        .unwrap();
    let first = Transaction::sign(&alice, next, TaoBalance::ZERO, transfer.clone(), &chain);
    let second = Transaction::sign(&alice, next + 1, TaoBalance::ZERO, transfer.clone(), &chain);
    let r = rpc.response(
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
        error_code(&rpc.response("author_submitExtrinsics", json!([too_many]))),
        -32602
    );
    healthy(rpc);
    // the raw block holding the earlier good transfer decodes to the block the node reports
    let at = rpc.response("author_getTransaction", json!([hash]))["result"].clone();
    let raw = rpc.response("chain_getRawBlock", json!([at["height"]]))["result"]
        .as_str()
        .unwrap()
        .to_string();
    let block = node::block::Block::decode_all(&mut &hex::decode(&raw[2..]).unwrap()[..]).unwrap();
    assert_eq!(
        format!("0x{}", hex::encode(block.hash())),
        at["block_hash"].as_str().unwrap()
    );
    assert!(block.transactions.iter().any(|t| *t == good.encode()));
    assert!(rpc.response("chain_getRawBlock", json!([1_000_000]))["result"].is_null());

    // unknown method
    assert_eq!(error_code(&rpc.response("nope_nothing", json!([]))), -32601);
    // malformed params: a string netuid, a bad address, missing params, not JSON at all
    assert_eq!(
        error_code(&rpc.response("neuronInfo_getMetagraph", json!(["one"]))),
        -32602
    );
    assert_eq!(
        error_code(&rpc.response("state_getAccount", json!(["5Grw"]))),
        -32602
    );
    assert_eq!(
        error_code(&rpc.response("chain_getBlock", json!([]))),
        -32602
    );
    assert_eq!(error_code(&rpc.raw("{not json").unwrap()), -32700);
    // unknown subnet is null, not an error
    assert!(rpc.response("neuronInfo_getMetagraph", json!([999]))["result"].is_null());
    healthy(rpc);

    // a 256-uid-sized metagraph read stays fast (here: subnet 1, timing the RPC round trip)
    let t = Instant::now();
    let mg = rpc.response("neuronInfo_getMetagraph", json!([1]));
    assert!(mg["result"]["neurons"].is_array());
    eprintln!("metagraph of subnet 1 over JSON-RPC: {:?}", t.elapsed());
}

fn ss58(uri: &str) -> String {
    keys::Keypair::from_uri(uri)
        .unwrap()
        .account_id()
        .to_string()
}

/// Free balance and nonce of an address.
fn account(cli: &Cli, addr: &str) -> (u64, u64) {
    let b = cli.json(&["wallet", "balance", "--ss58", addr]).unwrap();
    (b["free"].as_u64().unwrap(), b["nonce"].as_u64().unwrap())
}

/// Alpha of `coldkey` staked on `hotkey` in `netuid` (0 when none).
fn alpha_of(cli: &Cli, coldkey: &str, hotkey: &str, netuid: u64) -> u64 {
    cli.json(&["stake", "list", "--ss58", coldkey])
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["hotkey"] == hotkey && s["netuid"] == netuid)
        .map(|s| s["alpha"].as_u64().unwrap())
        .sum()
}

/// The commands the subnet cycle does not need, as a user runs them: `chain block`, `transfer`
/// (with the refusal without `-y` and a failing transfer's explanation), `stake
/// add|list|move|swap|transfer|remove` (with a swap price limit), `subnet
/// list|show|hyperparameters|set`, `weights commit|reveal`, the metagraph's axon column, and
/// a miner's `--min-stake` and axon counters in its `/metrics`.
#[test]
fn transfers_stake_moves_subnet_settings_and_commit_reveal_through_the_cli() {
    let started = Instant::now();
    let node = start_node();
    let dir = tempfile::tempdir().unwrap();
    let w: PathBuf = dir.path().to_path_buf();
    let cli = Cli::new(BIN, &w).on_network(node.url());
    cli.regen_wallet(
        "owner",
        "//Alice",
        &[
            ("owner", "//Alice//owner"),
            ("owner2", "//Alice//owner2"),
            ("stash", "//Alice//stash"),
        ],
    )
    .unwrap();
    cli.regen_wallet("m1", "//Bob", &[("default", "//Bob//miner")])
        .unwrap();
    cli.regen_wallet("fresh", "//Rustensor//fresh", &[])
        .unwrap();
    let alice = ss58("//Alice");
    let fresh = ss58("//Rustensor//fresh");
    let owner_hk = ss58("//Alice//owner");
    let stash = ss58("//Alice//stash");
    let miner_hk = ss58("//Bob//miner");
    const TAO: u64 = 1_000_000_000;

    // chain block: the finalized head's block, by height and by hash.
    let head = cli.json(&["chain", "head"]).unwrap();
    let fin = &head["finalized"];
    let h = fin["height"].as_u64().unwrap().to_string();
    let block = cli.json(&["chain", "block", &h]).unwrap();
    assert_eq!(block["height"], fin["height"], "{block}");
    assert_eq!(block["hash"], fin["hash"], "{block}");
    let by_hash = cli
        .json(&["chain", "block", fin["hash"].as_str().unwrap()])
        .unwrap();
    assert_eq!(by_hash["height"], fin["height"]);

    // transfer: the receiver gets exactly the amount, the sender pays it and the fee, and the
    // block lists the transaction.
    let (alice_before, _) = account(&cli, &alice);
    let sent = cli
        .json(&[
            "transfer", "--dest", &fresh, "--amount", "5", "--name", "owner", "-y",
        ])
        .unwrap();
    let (fresh_free, _) = account(&cli, &fresh);
    assert_eq!(fresh_free, 5 * TAO);
    let (alice_after, alice_nonce) = account(&cli, &alice);
    let paid = alice_before - alice_after;
    let fee = sent["fee"].as_u64().unwrap();
    assert!(fee > 0, "{sent}");
    // Fees go to the block author, which may be Alice's own account on a dev node.
    assert!(
        (5 * TAO..=5 * TAO + fee).contains(&paid),
        "paid {paid}, fee {fee}"
    );
    let b = cli
        .json(&[
            "chain",
            "block",
            &sent["block"].as_u64().unwrap().to_string(),
        ])
        .unwrap();
    let x = b["extrinsics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["hash"] == sent["hash"])
        .unwrap_or_else(|| panic!("transfer not in its block: {b}"));
    assert_eq!(x["call"], "transfer_keep_alive");
    assert_eq!(x["signer"], alice.as_str());

    // Without -y and without a terminal to ask on, nothing is sent.
    let err = cli
        .fails(&[
            "transfer", "--dest", &fresh, "--amount", "1", "--name", "owner",
        ])
        .unwrap();
    assert!(
        err.contains("Transfer τ1") && err.contains("not sent") && err.contains("-y"),
        "{err}"
    );
    assert_eq!(
        account(&cli, &alice).1,
        alice_nonce,
        "a transaction was sent"
    );
    assert_eq!(account(&cli, &fresh).0, 5 * TAO);

    // More than the balance: the dry run explains and hints, and nothing is sent.
    let err = cli
        .fails(&[
            "transfer", "--dest", &alice, "--amount", "1000", "--name", "fresh", "-y",
        ])
        .unwrap();
    assert!(
        err.contains("would fail: insufficient balance")
            && err.contains("hint: lower the amount or fund the account"),
        "{err}"
    );
    assert_eq!(account(&cli, &fresh), (5 * TAO, 0));

    // `weights set` takes no salt any more (a usage error, before any network use).
    let (code, _, err) = cli
        .run(&[
            "weights",
            "set",
            "--netuid",
            "1",
            "--uids",
            "0",
            "--weights",
            "1",
            "--salt",
            "1",
        ])
        .unwrap()
        .into_parts();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--salt"), "{err}");

    // Subnets A and B (started) and C, whose owner hotkey `stash` holds the stake moved
    // around below: it is not a neuron of A or B, so no emission changes those positions.
    let mut netuids = Vec::new();
    for hk in ["owner", "owner2", "stash"] {
        let sent = cli
            .json(&["subnet", "create", "--name", "owner", "--hotkey", hk, "-y"])
            .unwrap();
        netuids.push(netuid_created(&sent));
    }
    let (a, b) = (netuids[0], netuids[1]);
    let (sa, sb) = (a.to_string(), b.to_string());
    for n in [&sa, &sb] {
        cli.json(&["subnet", "start", "--netuid", n, "--name", "owner", "-y"])
            .unwrap();
    }
    cli.json(&["subnet", "register", "--netuid", &sa, "--name", "m1", "-y"])
        .unwrap();
    let list = cli.json(&["subnet", "list"]).unwrap();
    let listed: Vec<u64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["netuid"].as_u64().unwrap())
        .collect();
    assert!(listed.contains(&a) && listed.contains(&b), "{listed:?}");
    let show = cli.json(&["subnet", "show", "--netuid", &sa]).unwrap();
    assert_eq!(show["netuid"], a);
    assert_eq!(show["owner"], alice.as_str());
    assert_eq!(show["owner_hotkey"], owner_hk.as_str());
    assert_eq!(show["n"], 2, "owner and miner: {show}");
    assert_eq!(show["started"], true);

    let stake = |args: &[&str]| -> (Value, String) {
        let mut all = vec!["stake"];
        all.extend_from_slice(args);
        all.extend(["--name", "owner", "--hotkey", "stash", "-y"]);
        cli.json_and_stderr(&all).unwrap()
    };
    let moved_event = |sent: &Value| -> Value {
        sent["events"]
            .as_array()
            .unwrap()
            .iter()
            .find_map(|e| e.get("StakeMoved").cloned())
            .unwrap_or_else(|| panic!("no StakeMoved: {sent}"))
    };
    // Shares round by a rao or two.
    let close = |got: u64, want: u64| got.abs_diff(want) <= 2;

    // stake add, then list.
    let (_, preview) = stake(&["add", "--netuid", &sa, "--amount", "20"]);
    assert!(
        preview.contains("price: ") && preview.contains("you receive about"),
        "{preview}"
    );
    let staked = alpha_of(&cli, &alice, &stash, a);
    assert!(staked > 10 * TAO, "{staked}");

    // stake move: from stash on A to the miner's hotkey on B; the preview shows both prices
    // and what arrives.
    let (sent, preview) = stake(&[
        "move",
        "--origin-netuid",
        &sa,
        "--dest-netuid",
        &sb,
        "--dest-hotkey",
        &miner_hk,
        "--amount",
        "3",
    ]);
    assert!(
        preview.contains(&format!(" on subnet {a}, "))
            && preview.contains(&format!(" on subnet {b} (1 α of subnet {a} ≈"))
            && preview.contains("you receive about α"),
        "{preview}"
    );
    let ev = moved_event(&sent);
    assert!(close(alpha_of(&cli, &alice, &stash, a), staked - 3 * TAO));
    let arrived = alpha_of(&cli, &alice, &miner_hk, b);
    assert!(
        arrived > 0 && close(arrived, ev["alpha_in"].as_u64().unwrap()),
        "{arrived} {ev}"
    );

    // stake swap: a limit the price ratio cannot meet is refused with the chain's
    // explanation and nothing moves; with a tolerance it goes through as a limit order.
    let swap: [&str; 7] = [
        "swap",
        "--origin-netuid",
        &sa,
        "--dest-netuid",
        &sb,
        "--amount",
        "2",
    ];
    let mut strict = vec!["stake"];
    strict.extend(swap);
    strict.extend([
        "--limit-price",
        "1000",
        "--name",
        "owner",
        "--hotkey",
        "stash",
        "-y",
    ]);
    let err = cli.fails(&strict).unwrap();
    assert!(
        err.contains("limit: price ratio at least 1000.000000000")
            && err.contains("the limit price is on the wrong side of the current price")
            && err.contains("hint: set a limit price beyond the current price"),
        "{err}"
    );
    let mut tolerant = swap.to_vec();
    tolerant.extend(["--tolerance", "0.5"]);
    let (sent, preview) = stake(&tolerant);
    assert_eq!(sent["call"], "swap_stake_limit", "{sent}");
    assert!(
        preview.contains("limit: price ratio at least") && preview.contains("you receive about"),
        "{preview}"
    );
    let ev = moved_event(&sent);
    assert!(close(alpha_of(&cli, &alice, &stash, a), staked - 5 * TAO));
    assert!(close(
        alpha_of(&cli, &alice, &stash, b),
        ev["alpha_in"].as_u64().unwrap()
    ));

    // stake transfer: the fresh coldkey now owns stake on the stash hotkey.
    stake(&[
        "transfer",
        "--origin-netuid",
        &sa,
        "--dest-netuid",
        &sa,
        "--dest",
        &fresh,
        "--amount",
        "1",
    ]);
    assert!(close(alpha_of(&cli, &fresh, &stash, a), TAO));
    assert!(close(alpha_of(&cli, &alice, &stash, a), staked - 6 * TAO));

    // stake remove: alpha goes, TAO comes back.
    let (free_before, _) = account(&cli, &alice);
    let (sent, _) = stake(&[
        "remove",
        "--netuid",
        &sa,
        "--amount",
        "4",
        "--tolerance",
        "0.5",
    ]);
    assert_eq!(sent["call"], "remove_stake_limit", "{sent}");
    assert!(close(alpha_of(&cli, &alice, &stash, a), staked - 10 * TAO));
    assert!(account(&cli, &alice).0 > free_before + TAO);

    // subnet hyperparameters and set: turn on commit-reveal.
    let hp = cli
        .json(&["subnet", "hyperparameters", "--netuid", &sa])
        .unwrap();
    assert_eq!(hp["commit_reveal_enabled"], false, "{hp}");
    assert_eq!(hp["reveal_period_epochs"], 1, "{hp}");
    cli.json(&[
        "subnet",
        "set",
        "--netuid",
        &sa,
        "--param",
        "commit_reveal_weights_enabled",
        "--value",
        "true",
        "--name",
        "owner",
        "-y",
    ])
    .unwrap();
    let hp = cli
        .json(&["subnet", "hyperparameters", "--netuid", &sa])
        .unwrap();
    assert_eq!(hp["commit_reveal_enabled"], true, "{hp}");
    let (code, table, err) = cli
        .run(&["subnet", "hyperparameters", "--netuid", &sa])
        .unwrap()
        .into_parts();
    assert_eq!(code, 0, "{err}");
    assert!(
        table.contains("commit_reveal_enabled") && table.contains("burn_increase_mult"),
        "{table}"
    );

    // The miner serves an axon; the metagraph table shows it as ip:port, others as `-`.
    node.rpc()
        .send(
            &keys::Keypair::from_uri("//Bob//miner").unwrap(),
            Call::ServeAxon {
                netuid: types::NetUid(a as u16),
                version: 1,
                ip: u128::from(u32::from(std::net::Ipv4Addr::new(10, 1, 2, 3))),
                port: 8091,
                ip_type: 4,
                protocol: 4,
                placeholder1: 0,
                placeholder2: 0,
            },
            Duration::from_secs(30),
        )
        .unwrap();
    let (code, table, err) = cli
        .run(&["metagraph", "--netuid", &sa])
        .unwrap()
        .into_parts();
    assert_eq!(code, 0, "{err}");
    assert!(table.contains(" 10.1.2.3:8091 "), "{table}");
    assert!(table.contains(" - "), "{table}");
    assert!(!table.contains("AxonInfo"), "{table}");

    // weights commit, then reveal in the next epoch: early reveals are refused with the
    // reason; the reveal is accepted and the weights are on chain. A tempo of 30 blocks
    // (7.5 s) leaves a loaded machine time to reveal within its epoch.
    cli.json(&[
        "subnet", "set", "--netuid", &sa, "--param", "tempo", "--value", "30", "--name", "owner",
        "-y",
    ])
    .unwrap();
    let mg = cli.json(&["metagraph", "--netuid", &sa]).unwrap();
    let uid_of = |hk: &str| -> u64 {
        mg["neurons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["hotkey"] == hk)
            .unwrap()["uid"]
            .as_u64()
            .unwrap()
    };
    let (owner_uid, miner_uid) = (uid_of(&owner_hk), uid_of(&miner_hk));
    let uids = miner_uid.to_string();
    let weights: [&str; 10] = [
        "--netuid",
        &sa,
        "--uids",
        &uids,
        "--weights",
        "1",
        "--name",
        "owner",
        "--hotkey",
        "owner",
    ];
    let mut commit = vec!["weights", "commit"];
    commit.extend(weights);
    commit.extend(["--salt", "7,8,9", "-y"]);
    let c = cli.json(&commit).unwrap();
    assert_eq!(c["salt"], json!([7, 8, 9]));
    assert_eq!(c["sent"]["call"], "commit_weights");
    let mut reveal = vec!["weights", "reveal"];
    reveal.extend(weights);
    reveal.extend(["--salt", "7,8,9", "-y", "--json"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut early = 0;
    let revealed = loop {
        let (code, out, err) = cli.run(&reveal).unwrap().into_parts();
        if code == 0 {
            break serde_json::from_str::<Value>(&out).unwrap();
        }
        assert!(
            err.contains("too early to reveal") && err.contains("hint: wait for the reveal epoch"),
            "{err}"
        );
        early += 1;
        assert!(Instant::now() < deadline, "never revealed: {err}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(revealed["sent"]["call"], "reveal_weights");
    assert!(
        revealed["sent"]["events"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.get("WeightsSet").is_some()),
        "{revealed}"
    );
    let mg = cli.json(&["metagraph", "--netuid", &sa]).unwrap();
    let owner = mg["neurons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["uid"] == owner_uid)
        .unwrap();
    assert_eq!(owner["weights"], json!([[miner_uid, 65535]]), "{owner}");

    // The miner enforces --min-stake (here above any stake on A) and counts what it refused
    // in its /metrics.
    let mut miner = Proc::spawn(
        "miner",
        cli.command(&[
            "--json",
            "miner",
            "--netuid",
            &sa,
            "--subnet",
            "forecast",
            "--name",
            "m1",
            "--port",
            "0",
            "--min-stake",
            "1000",
            "--metrics-port",
            "0",
        ]),
        None,
    )
    .unwrap();
    let serving: Value = serde_json::from_str(
        &miner
            .first_line(Duration::from_secs(120))
            .expect("the miner printed nothing"),
    )
    .unwrap();
    assert_eq!(serving["event"], "serving", "{serving}");
    let axon: std::net::SocketAddr = serving["axon"].as_str().unwrap().parse().unwrap();
    let owner_key = keys::Keypair::from_uri("//Alice//owner").unwrap();
    let r = tokio::runtime::Runtime::new().unwrap().block_on(async {
        neuron::Dendrite::new(owner_key)
            .unwrap()
            .call(
                &neuron::AxonInfo::new("127.0.0.1", axon.port(), ss58_id("//Bob//miner")),
                neuron::Ping::default(),
                Duration::from_secs(10),
            )
            .await
    });
    assert!(r.is_blacklist(), "{:?}", r.dendrite);
    let msg = r.dendrite.status_message.clone().unwrap_or_default();
    assert!(msg.contains("below the minimum 1000000000000 rao"), "{msg}");
    let metrics_url = format!("http://{}/metrics", serving["metrics"].as_str().unwrap());
    let metrics = testkit::http::get(&metrics_url, Duration::from_secs(10))
        .unwrap()
        .body;
    assert!(
        metrics.contains("rustensor_miner_axon_requests_total{outcome=\"blacklisted\"} 1\n")
            && metrics.contains("rustensor_miner_axon_requests_total{outcome=\"served\"} 0\n")
            && metrics.contains("rustensor_miner_axon_rejected_total 1\n")
            && metrics.contains(
                "rustensor_miner_axon_request_seconds_count{outcome=\"blacklisted\"} 1\n"
            ),
        "{metrics}"
    );
    drop(miner);
    eprintln!(
        "commands test: {:?} ({early} early reveal attempts)",
        started.elapsed()
    );
}

fn ss58_id(uri: &str) -> types::AccountId {
    keys::Keypair::from_uri(uri).unwrap().account_id()
}

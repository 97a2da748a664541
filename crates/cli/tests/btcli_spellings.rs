//! A btcli user's habits work: the seed's hands-on commands (`wallet overview`, `subnets
//! register`, `stake add`, with `--wallet.name`, `--wallet.hotkey`, `--netuid`, `--amount`)
//! and the rest of a first session (`wallet create`, `wallet transfer`, `wallet balance`, `sudo
//! get`, `subnets list`, `stake list`), typed in btcli 9.23's spelling against a dev node. The
//! seed's `--subtensor.network test` is refused with a hint to pass a node address instead.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use serde_json::Value;
use testkit::{Cli, DevNode};

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");
const TAO: u64 = 1_000_000_000;

#[test]
fn the_seeds_hands_on_commands_in_btcli_spelling() {
    let node = DevNode::start(Path::new(BIN)).unwrap();
    let url = node.url();
    let wallets = tempfile::tempdir().unwrap();
    // No `--network` added for us: every command below names the node as btcli does.
    let btcli = Cli::new(BIN, wallets.path());
    btcli.regen_wallet("alice", "//Alice", &[]).unwrap();

    // btcli wallet create --wallet.name tao1 --wallet.hotkey miner1
    let created = btcli
        .json(&[
            "wallet",
            "create",
            "--wallet.name",
            "tao1",
            "--wallet.hotkey",
            "miner1",
            "--n-words",
            "12",
            "--no-use-password",
            "--json-output",
        ])
        .unwrap();
    let coldkey = created["coldkey"].as_str().unwrap().to_owned();
    let hotkey = created["hotkey"]["ss58"].as_str().unwrap().to_owned();
    assert!(wallets.path().join("tao1/hotkeys/miner1").is_file());

    // Test TAO for the new wallet: btcli wallet transfer --destination ... --amount ...
    btcli
        .json(&[
            "wallet",
            "transfer",
            "--wallet.name",
            "alice",
            "--destination",
            &coldkey,
            "--amount",
            "100",
            "--subtensor.chain_endpoint",
            url,
            "--no-prompt",
            "--json-output",
        ])
        .unwrap();
    let balance = btcli
        .json(&[
            "wallet",
            "balance",
            "--wallet.name",
            "tao1",
            "--subtensor.network",
            url,
            "--json-output",
        ])
        .unwrap();
    assert_eq!(
        balance["free"],
        100 * TAO,
        "the transfer arrived: {balance}"
    );

    // Seed: btcli wallet overview --wallet.name tao1
    let overview = btcli
        .json(&[
            "wallet",
            "overview",
            "--wallet.name",
            "tao1",
            "--subtensor.chain_endpoint",
            url,
        ])
        .unwrap();
    assert_eq!(overview["coldkey"], coldkey.as_str(), "{overview}");
    assert_eq!(overview["free"], 100 * TAO, "{overview}");
    assert_eq!(
        overview["registrations"],
        serde_json::json!([]),
        "{overview}"
    );

    // Seed: btcli subnet register --wallet.name tao1 --wallet.hotkey miner1
    //       --subtensor.network test --netuid 171
    // `test` is Bittensor's test network: refused, saying what to pass instead.
    let seed_as_typed = btcli
        .run(&[
            "subnets",
            "register",
            "--wallet.name",
            "tao1",
            "--wallet.hotkey",
            "miner1",
            "--subtensor.network",
            "test",
            "--netuid",
            "171",
        ])
        .unwrap();
    assert_eq!(seed_as_typed.code(), Some(2), "{}", seed_as_typed.stderr);
    assert!(
        seed_as_typed
            .stderr
            .contains("one of Bittensor's own networks")
            && seed_as_typed
                .stderr
                .contains("hint: pass a rustensor node's address"),
        "{}",
        seed_as_typed.stderr
    );
    // The same against our node (subnet 1 of the dev chain).
    btcli
        .json(&[
            "subnets",
            "register",
            "--wallet.name",
            "tao1",
            "--wallet.hotkey",
            "miner1",
            "--subtensor.network",
            url,
            "--netuid",
            "1",
            "--no-prompt",
        ])
        .unwrap();
    let overview = btcli
        .json(&[
            "wallet",
            "overview",
            "--wallet.name",
            "tao1",
            "--subtensor.chain_endpoint",
            url,
        ])
        .unwrap();
    let registered: Vec<&Value> = overview["registrations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["netuid"] == 1 && r["hotkey"] == hotkey.as_str())
        .collect();
    assert_eq!(
        registered.len(),
        1,
        "miner1 is a neuron of subnet 1: {overview}"
    );
    let free_before_stake = overview["free"].as_u64().unwrap();
    assert!(
        free_before_stake < 100 * TAO,
        "registration costs TAO: {overview}"
    );

    // Seed: btcli stake add --wallet.name tao1 --wallet.hotkey miner1 --amount 0.0050
    //       --subtensor.network test --netuid 171
    btcli
        .json(&[
            "stake",
            "add",
            "--wallet.name",
            "tao1",
            "--wallet.hotkey",
            "miner1",
            "--amount",
            "0.0050",
            "--subtensor.network",
            url,
            "--netuid",
            "1",
            "--no-prompt",
        ])
        .unwrap();
    let stakes = btcli
        .json(&[
            "stake",
            "list",
            "--wallet.name",
            "tao1",
            "--subtensor.chain_endpoint",
            url,
            "--json-output",
        ])
        .unwrap();
    let staked: u64 = stakes
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["netuid"] == 1 && s["hotkey"] == hotkey.as_str())
        .map(|s| s["alpha"].as_u64().unwrap())
        .sum();
    assert!(staked > 0, "stake on miner1 in subnet 1: {stakes}");
    let balance = btcli
        .json(&[
            "wallet",
            "balance",
            "--wallet_name",
            "tao1",
            "--subtensor.network",
            url,
        ])
        .unwrap();
    let spent = free_before_stake - balance["free"].as_u64().unwrap();
    assert!(
        spent >= 5_000_000,
        "0.005 TAO (and the fee) left the free balance: {balance}"
    );
    assert!(
        balance["staked_tao_value"].as_u64().unwrap() > 0,
        "{balance}"
    );

    // The rest of a first look around: btcli sudo get, btcli subnets list.
    let hyperparameters = btcli
        .json(&["sudo", "get", "--netuid", "1", "--subtensor.network", url])
        .unwrap();
    assert!(
        hyperparameters["tempo"].as_u64().unwrap() > 0,
        "{hyperparameters}"
    );
    let subnets = btcli
        .json(&["subnets", "list", "--subtensor.chain_endpoint", url])
        .unwrap();
    assert!(
        subnets
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["netuid"] == 1 && s["n"].as_u64().unwrap() >= 2),
        "{subnets}"
    );
}

//! `rustensor wallet` end to end: the real binary on real wallet folders, including one written by
//! the Python bittensor-wallet.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failures should be loud

use std::os::unix::fs::PermissionsExt;
use testkit::Cli;
use testkit::wallets::{
    VECTOR_COLDKEY, VECTOR_COLDKEY_PASSWORD, VECTOR_ENCRYPTED_HOTKEY, VECTOR_HOTKEY, snapshot,
    vector_wallet_root,
};

const BIN: &str = env!("CARGO_BIN_EXE_rustensor");

#[test]
fn lists_the_python_vector_wallet_without_a_password() {
    let root = vector_wallet_root().unwrap();
    let cli = Cli::new(BIN, root.path());
    let listed = cli
        .run(&["--json", "wallet", "list"])
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        listed,
        serde_json::json!([{
            "name": "vector_wallet",
            "coldkey": VECTOR_COLDKEY,
            "hotkeys": [
                {"name": "default", "ss58": VECTOR_HOTKEY},
                {"name": "encrypted_hotkey", "ss58": VECTOR_ENCRYPTED_HOTKEY},
            ],
        }])
    );
    let text = cli.run(&["wallet", "list"]).unwrap().stdout;
    assert!(
        text.contains("Coldkey vector_wallet") && text.contains(VECTOR_COLDKEY),
        "{text}"
    );
}

#[test]
fn inspect_decrypts_the_python_coldkey_and_a_wrong_password_fails_cleanly() {
    let root = vector_wallet_root().unwrap();
    let cli = Cli::new(BIN, root.path());
    let before = snapshot(root.path()).unwrap();

    let wrong = cli
        .run_with_password(
            "not-the-password",
            &["wallet", "inspect", "--name", "vector_wallet"],
        )
        .unwrap();
    assert_eq!(wrong.status.code(), Some(1));
    let message = wrong.stderr.to_lowercase();
    assert!(message.contains("password"), "{message}");
    assert!(
        !message.contains("not-the-password"),
        "the password leaked into the error"
    );
    assert_eq!(
        snapshot(root.path()).unwrap(),
        before,
        "a failed unlock must not touch any file"
    );

    let right = cli
        .run_with_password(
            VECTOR_COLDKEY_PASSWORD,
            &["--json", "wallet", "inspect", "--name", "vector_wallet"],
        )
        .unwrap();
    let view = right.json().unwrap();
    assert_eq!(view["ss58"], VECTOR_COLDKEY);
    assert_eq!(
        view["public_key"],
        "0xe07d4980fac1e249b6304431d831b95d267eea95cd500bdf7efc8fc15f2a2321"
    );
    assert!(
        view.get("secret").is_none(),
        "no secret without --show-secret"
    );
    assert_eq!(snapshot(root.path()).unwrap(), before);
}

#[test]
fn python_bt_pw_variable_unlocks_the_coldkey() {
    let root = vector_wallet_root().unwrap();
    let cli = Cli::new(BIN, root.path());
    // The variable the Python wallet reads for this keyfile, as `Keyfile.save_password_to_env`
    // writes it: base64(password XOR name).
    let given = format!("{}/vector_wallet/coldkey", root.path().display());
    let name = wallet::env_password::var_name(&given);
    let value = wallet::env_password::encode(&name, VECTOR_COLDKEY_PASSWORD);
    let unlocked = cli
        .run_with_env(
            &[(name.as_str(), value.as_str())],
            &["--json", "wallet", "inspect", "--name", "vector_wallet"],
        )
        .unwrap();
    assert_eq!(unlocked.json().unwrap()["ss58"], VECTOR_COLDKEY);

    let garbage = cli
        .run_with_env(
            &[(name.as_str(), "%%% not base64")],
            &["wallet", "inspect", "--name", "vector_wallet"],
        )
        .unwrap();
    assert_eq!(garbage.status.code(), Some(1));
    assert!(garbage.stderr.contains(&name), "{}", garbage.stderr);
}

#[test]
fn create_with_no_password_then_refuses_to_overwrite() {
    let root = tempfile::tempdir().unwrap();
    let cli = Cli::new(BIN, root.path());
    let created = cli
        .run(&[
            "--json",
            "wallet",
            "create",
            "--name",
            "alice",
            "--hotkey",
            "miner",
            "--no-password",
        ])
        .unwrap()
        .json()
        .unwrap();
    let coldkey = created["coldkey"].as_str().unwrap().to_owned();
    let words = created["coldkey_mnemonic"]
        .as_str()
        .unwrap()
        .split(' ')
        .count();
    assert_eq!(words, 12);

    for file in [
        "alice/coldkey",
        "alice/coldkeypub.txt",
        "alice/hotkeys/miner",
        "alice/hotkeys/minerpub.txt",
    ] {
        let mode = std::fs::metadata(root.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }

    let before = snapshot(root.path()).unwrap();
    let again = cli
        .run(&["wallet", "create", "--name", "alice", "--no-password"])
        .unwrap();
    assert_eq!(again.status.code(), Some(1));
    assert!(again.stderr.contains("--overwrite"), "{}", again.stderr);
    assert_eq!(
        snapshot(root.path()).unwrap(),
        before,
        "a refused overwrite must change nothing"
    );

    // The mnemonic restores the same coldkey.
    let mnemonic = created["coldkey_mnemonic"].as_str().unwrap();
    let restored = cli
        .run(&[
            "--json",
            "wallet",
            "regen-coldkey",
            "--name",
            "copy",
            "--mnemonic",
            mnemonic,
            "--no-password",
        ])
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(restored["coldkey"], coldkey.as_str());
}

#[test]
fn dev_accounts_are_one_command_away() {
    let root = tempfile::tempdir().unwrap();
    let cli = Cli::new(BIN, root.path());
    let alice = cli
        .run(&[
            "--json",
            "wallet",
            "regen-coldkey",
            "--name",
            "alice",
            "--uri",
            "//Alice",
            "--no-password",
        ])
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        alice["coldkey"],
        "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    );
    let bob = cli
        .run(&[
            "--json",
            "wallet",
            "regen-hotkey",
            "--name",
            "alice",
            "--hotkey",
            "bob",
            "--uri",
            "//Bob",
        ])
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        bob["hotkey"]["ss58"],
        "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
    );
    let pubonly = cli
        .run(&[
            "--json",
            "wallet",
            "regen-coldkeypub",
            "--name",
            "watch",
            "--ss58",
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
        ])
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        pubonly["coldkey"],
        "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    );
    let listed = cli
        .run(&["--json", "wallet", "list"])
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

#[test]
fn sign_and_verify_round_trip() {
    let root = vector_wallet_root().unwrap();
    let cli = Cli::new(BIN, root.path());
    let signed = cli
        .run(&[
            "--json",
            "wallet",
            "sign",
            "--name",
            "vector_wallet",
            "--hotkey",
            "default",
            "--message",
            "hello bittensor",
        ])
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(signed["signer"], VECTOR_HOTKEY);
    let signature = signed["signature"].as_str().unwrap();
    let ok = cli
        .run(&[
            "wallet",
            "verify",
            "--message",
            "hello bittensor",
            "--signature",
            signature,
            "--ss58",
            VECTOR_HOTKEY,
        ])
        .unwrap();
    assert!(ok.status.success());
    assert!(ok.stdout.contains("Signature is valid!"));
    let tampered = cli
        .run(&[
            "wallet",
            "verify",
            "--message",
            "hello bittensor!",
            "--signature",
            signature,
            "--ss58",
            VECTOR_HOTKEY,
        ])
        .unwrap();
    assert_eq!(tampered.status.code(), Some(1));
    assert!(tampered.stderr.contains("NOT valid"));
    // The signature btcli captured for the same key and message verifies too.
    let btcli = "a81586c91a4038b02c2ef3211aca92b60b9c31a158a889b646016bfc82934b24aa8c3059ccee2d09fe9e3edfe0d3a96ba27c937c51b515a128375b7211622580";
    let from_btcli = cli
        .run(&[
            "wallet",
            "verify",
            "--message",
            "hello bittensor",
            "--signature",
            btcli,
            "--ss58",
            VECTOR_HOTKEY,
        ])
        .unwrap();
    assert!(from_btcli.status.success(), "{}", from_btcli.stderr);
}

#[test]
fn bad_input_gets_a_clear_error_and_a_hint() {
    let root = tempfile::tempdir().unwrap();
    let cli = Cli::new(BIN, root.path());
    let cases: [&[&str]; 4] = [
        &[
            "wallet",
            "regen-coldkeypub",
            "--name",
            "x",
            "--ss58",
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQZ",
        ],
        &[
            "wallet",
            "regen-coldkey",
            "--name",
            "x",
            "--mnemonic",
            "not a real mnemonic at all",
            "--no-password",
        ],
        &[
            "wallet",
            "verify",
            "--message",
            "m",
            "--signature",
            "zz",
            "--ss58",
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
        ],
        &["wallet", "inspect", "--name", "missing"],
    ];
    for args in cases {
        let output = cli.run(args).unwrap();
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = output.stderr;
        assert!(
            err.starts_with("Error: ") && err.contains("hint: "),
            "{args:?}: {err}"
        );
    }
    assert!(
        snapshot(root.path()).unwrap().is_empty(),
        "failed commands must not create files"
    );
}

#[test]
fn encrypted_coldkey_round_trip_with_real_kdf() {
    let root = tempfile::tempdir().unwrap();
    let cli = Cli::new(BIN, root.path());
    let password_file = root.path().join("pw.txt");
    std::fs::write(&password_file, "a-long-enough-password\n").unwrap();
    let pw = password_file.to_str().unwrap();
    let created = cli
        .run(&[
            "--json",
            "--password-file",
            pw,
            "wallet",
            "new-coldkey",
            "--name",
            "enc",
            "--words",
            "24",
        ])
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(
        created["coldkey_mnemonic"]
            .as_str()
            .unwrap()
            .split(' ')
            .count(),
        24
    );
    let coldkey = std::fs::read(root.path().join("enc/coldkey")).unwrap();
    assert!(coldkey.starts_with(b"$NACL"));
    // Without any password source and no terminal, it says how to give one.
    let no_pw = cli.run(&["wallet", "inspect", "--name", "enc"]).unwrap();
    assert_eq!(no_pw.status.code(), Some(1));
    assert!(no_pw.stderr.contains("--password-file"), "{}", no_pw.stderr);
    let view = cli
        .run(&[
            "--json",
            "--password-file",
            pw,
            "wallet",
            "inspect",
            "--name",
            "enc",
        ])
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(view["ss58"], created["coldkey"]);
}

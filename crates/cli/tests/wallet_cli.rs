//! `rustensor wallet` end to end: the real binary on real wallet folders, including one written by
//! the Python bittensor-wallet.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failures should be loud

mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;

#[test]
fn lists_the_python_vector_wallet_without_a_password() {
    let root = vector_wallet_root();
    let listed = json(&run(root.path(), &["--json", "wallet", "list"]));
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
    let text = stdout(&run(root.path(), &["wallet", "list"]));
    assert!(
        text.contains("Coldkey vector_wallet") && text.contains(VECTOR_COLDKEY),
        "{text}"
    );
}

#[test]
fn inspect_decrypts_the_python_coldkey_and_a_wrong_password_fails_cleanly() {
    let root = vector_wallet_root();
    let before = snapshot(root.path());

    let wrong = run_with_password(
        root.path(),
        "not-the-password",
        &["wallet", "inspect", "--name", "vector_wallet"],
    );
    assert_eq!(wrong.status.code(), Some(1));
    let message = stderr(&wrong).to_lowercase();
    assert!(message.contains("password"), "{message}");
    assert!(
        !message.contains("not-the-password"),
        "the password leaked into the error"
    );
    assert_eq!(
        snapshot(root.path()),
        before,
        "a failed unlock must not touch any file"
    );

    let right = run_with_password(
        root.path(),
        VECTOR_COLDKEY_PASSWORD,
        &["--json", "wallet", "inspect", "--name", "vector_wallet"],
    );
    let view = json(&right);
    assert_eq!(view["ss58"], VECTOR_COLDKEY);
    assert_eq!(
        view["public_key"],
        "0xe07d4980fac1e249b6304431d831b95d267eea95cd500bdf7efc8fc15f2a2321"
    );
    assert!(
        view.get("secret").is_none(),
        "no secret without --show-secret"
    );
    assert_eq!(snapshot(root.path()), before);
}

#[test]
fn python_bt_pw_variable_unlocks_the_coldkey() {
    let root = vector_wallet_root();
    // The variable the Python wallet reads for this keyfile, as `Keyfile.save_password_to_env`
    // writes it: base64(password XOR name).
    let given = format!("{}/vector_wallet/coldkey", root.path().display());
    let name = wallet::env_password::var_name(&given);
    let value = wallet::env_password::encode(&name, VECTOR_COLDKEY_PASSWORD);
    let unlocked = rustensor(
        root.path(),
        &["--json", "wallet", "inspect", "--name", "vector_wallet"],
    )
    .env(&name, &value)
    .output()
    .unwrap();
    assert_eq!(json(&unlocked)["ss58"], VECTOR_COLDKEY);

    let garbage = rustensor(
        root.path(),
        &["wallet", "inspect", "--name", "vector_wallet"],
    )
    .env(&name, "%%% not base64")
    .output()
    .unwrap();
    assert_eq!(garbage.status.code(), Some(1));
    assert!(stderr(&garbage).contains(&name), "{}", stderr(&garbage));
}

#[test]
fn create_with_no_password_then_refuses_to_overwrite() {
    let root = tempfile::tempdir().unwrap();
    let created = json(&run(
        root.path(),
        &[
            "--json",
            "wallet",
            "create",
            "--name",
            "alice",
            "--hotkey",
            "miner",
            "--no-password",
        ],
    ));
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

    let before = snapshot(root.path());
    let again = run(
        root.path(),
        &["wallet", "create", "--name", "alice", "--no-password"],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("--overwrite"), "{}", stderr(&again));
    assert_eq!(
        snapshot(root.path()),
        before,
        "a refused overwrite must change nothing"
    );

    // The mnemonic restores the same coldkey.
    let mnemonic = created["coldkey_mnemonic"].as_str().unwrap();
    let restored = json(&run(
        root.path(),
        &[
            "--json",
            "wallet",
            "regen-coldkey",
            "--name",
            "copy",
            "--mnemonic",
            mnemonic,
            "--no-password",
        ],
    ));
    assert_eq!(restored["coldkey"], coldkey.as_str());
}

#[test]
fn dev_accounts_are_one_command_away() {
    let root = tempfile::tempdir().unwrap();
    let alice = json(&run(
        root.path(),
        &[
            "--json",
            "wallet",
            "regen-coldkey",
            "--name",
            "alice",
            "--uri",
            "//Alice",
            "--no-password",
        ],
    ));
    assert_eq!(
        alice["coldkey"],
        "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    );
    let bob = json(&run(
        root.path(),
        &[
            "--json",
            "wallet",
            "regen-hotkey",
            "--name",
            "alice",
            "--hotkey",
            "bob",
            "--uri",
            "//Bob",
        ],
    ));
    assert_eq!(
        bob["hotkey"]["ss58"],
        "5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty"
    );
    let pubonly = json(&run(
        root.path(),
        &[
            "--json",
            "wallet",
            "regen-coldkeypub",
            "--name",
            "watch",
            "--ss58",
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
        ],
    ));
    assert_eq!(
        pubonly["coldkey"],
        "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
    );
    let listed = json(&run(root.path(), &["--json", "wallet", "list"]));
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

#[test]
fn sign_and_verify_round_trip() {
    let root = vector_wallet_root();
    let signed = json(&run(
        root.path(),
        &[
            "--json",
            "wallet",
            "sign",
            "--name",
            "vector_wallet",
            "--hotkey",
            "default",
            "--message",
            "hello bittensor",
        ],
    ));
    assert_eq!(signed["signer"], VECTOR_HOTKEY);
    let signature = signed["signature"].as_str().unwrap();
    let ok = run(
        root.path(),
        &[
            "wallet",
            "verify",
            "--message",
            "hello bittensor",
            "--signature",
            signature,
            "--ss58",
            VECTOR_HOTKEY,
        ],
    );
    assert!(ok.status.success());
    assert!(stdout(&ok).contains("Signature is valid!"));
    let tampered = run(
        root.path(),
        &[
            "wallet",
            "verify",
            "--message",
            "hello bittensor!",
            "--signature",
            signature,
            "--ss58",
            VECTOR_HOTKEY,
        ],
    );
    assert_eq!(tampered.status.code(), Some(1));
    assert!(stderr(&tampered).contains("NOT valid"));
    // The signature btcli captured for the same key and message verifies too.
    let btcli = "a81586c91a4038b02c2ef3211aca92b60b9c31a158a889b646016bfc82934b24aa8c3059ccee2d09fe9e3edfe0d3a96ba27c937c51b515a128375b7211622580";
    let from_btcli = run(
        root.path(),
        &[
            "wallet",
            "verify",
            "--message",
            "hello bittensor",
            "--signature",
            btcli,
            "--ss58",
            VECTOR_HOTKEY,
        ],
    );
    assert!(from_btcli.status.success(), "{}", stderr(&from_btcli));
}

#[test]
fn bad_input_gets_a_clear_error_and_a_hint() {
    let root = tempfile::tempdir().unwrap();
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
        let output = run(root.path(), args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let err = stderr(&output);
        assert!(
            err.starts_with("Error: ") && err.contains("hint: "),
            "{args:?}: {err}"
        );
    }
    assert!(
        snapshot(root.path()).is_empty(),
        "failed commands must not create files"
    );
}

#[test]
fn encrypted_coldkey_round_trip_with_real_kdf() {
    let root = tempfile::tempdir().unwrap();
    let password_file = root.path().join("pw.txt");
    std::fs::write(&password_file, "a-long-enough-password\n").unwrap();
    let pw = password_file.to_str().unwrap();
    let created = json(&run(
        root.path(),
        &[
            "--json",
            "--password-file",
            pw,
            "wallet",
            "new-coldkey",
            "--name",
            "enc",
            "--words",
            "24",
        ],
    ));
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
    let no_pw = run(root.path(), &["wallet", "inspect", "--name", "enc"]);
    assert_eq!(no_pw.status.code(), Some(1));
    assert!(
        stderr(&no_pw).contains("--password-file"),
        "{}",
        stderr(&no_pw)
    );
    let view = json(&run(
        root.path(),
        &[
            "--json",
            "--password-file",
            pw,
            "wallet",
            "inspect",
            "--name",
            "enc",
        ],
    ));
    assert_eq!(view["ss58"], created["coldkey"]);
}

//! The real wallet folder written by Python `bittensor-wallet` 4.1.1
//! (`tests/data/vector_wallet`, passwords and the libsodium-derived key in
//! `tests/data/wallet_info.json`).
//!
//! Two tests here run the real Argon2i parameters (512 MiB, t=8), two derivations each.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use keys::Keypair;
use serde_json::Value;
use wallet::keyfile::{self, KdfParams, KeyfileFormat, MAC_LEN, NACL_PREFIX, NONCE_LEN};
use wallet::{Error, Wallet, list_wallets};

const FAST: KdfParams = KdfParams::INSECURE_FAST_FOR_TESTS;
const REAL: KdfParams = KdfParams::BITTENSOR;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn info() -> Value {
    serde_json::from_slice(&std::fs::read(data_dir().join("wallet_info.json")).unwrap()).unwrap()
}

fn wallet() -> Wallet {
    Wallet::new(data_dir(), "vector_wallet")
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("missing {k}"))
}

#[test]
fn bittensor_kdf_params_are_libsodium_sensitive() {
    let i = info();
    assert_eq!(REAL.t_cost as u64, i["kdf"]["opslimit"].as_u64().unwrap());
    assert_eq!(
        REAL.m_cost_kib as u64 * 1024,
        i["kdf"]["memlimit_bytes"].as_u64().unwrap()
    );
    assert_eq!(hex::encode(keyfile::NACL_SALT), s(&i["kdf"], "salt_hex"));
}

/// Key derivation equals libsodium's, and re-encrypting the decrypted coldkey with that key
/// and the file's nonce reproduces the SDK's file byte for byte: prefix, nonce, MAC first.
#[test]
fn real_kdf_matches_libsodium_and_nacl_layout_is_byte_identical() {
    let i = info();
    let file = std::fs::read(wallet().coldkey_path()).unwrap();

    let t = Instant::now();
    let key = keyfile::derive_key(s(&i, "coldkey_password"), REAL).unwrap();
    eprintln!("real Argon2i derivation: {:?}", t.elapsed());
    assert_eq!(hex::encode(*key), s(&i["kdf"], "key_hex"));

    // Layout: "$NACL" ‖ 24-byte nonce ‖ 16-byte MAC ‖ ciphertext (same length as the JSON).
    assert!(file.starts_with(NACL_PREFIX));
    assert_eq!(
        hex::encode(&file[5..5 + NONCE_LEN]),
        s(&i, "coldkey_nonce_hex")
    );
    let plain = keyfile::decrypt_with_key(&file, &key).unwrap();
    assert_eq!(
        file.len(),
        NACL_PREFIX.len() + NONCE_LEN + MAC_LEN + plain.len()
    );
    let json: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(json, i["coldkey_plaintext_json"]);

    let nonce: [u8; NONCE_LEN] = file[5..5 + NONCE_LEN].try_into().unwrap();
    let again = keyfile::encrypt_with_key(&plain, &key, &nonce).unwrap();
    assert_eq!(again, file, "our $NACL output differs from the SDK's");

    // A wrong password is a typed error, through the wallet API (second derivation).
    let t = Instant::now();
    let e = wallet()
        .load_coldkey(Some("correct-horse-battery-9"), REAL)
        .unwrap_err();
    eprintln!("wrong-password attempt: {:?}", t.elapsed());
    assert!(matches!(e, Error::WrongPassword { path: Some(_) }), "{e}");
    assert!(e.hint().is_some());
    assert!(!e.to_string().contains("correct-horse"));
}

#[test]
fn real_kdf_loads_encrypted_coldkey_and_hotkey() {
    let i = info();
    let w = wallet();
    let t = Instant::now();
    let cold = w
        .load_coldkey(Some(s(&i, "coldkey_password")), REAL)
        .unwrap();
    eprintln!("coldkey unlock: {:?}", t.elapsed());
    assert_eq!(cold.ss58(), s(&i, "coldkey_ss58"));
    assert_eq!(
        hex::encode(cold.public_key()),
        s(&i, "coldkey_public_key_hex")
    );
    assert_eq!(
        cold.mnemonic(),
        Some(s(&i["coldkey_plaintext_json"], "secretPhrase"))
    );

    let t = Instant::now();
    let hot = w
        .load_hotkey(
            "encrypted_hotkey",
            Some(s(&i, "encrypted_hotkey_password")),
            REAL,
        )
        .unwrap();
    eprintln!("hotkey unlock: {:?}", t.elapsed());
    assert_eq!(hot.ss58(), s(&i, "encrypted_hotkey_ss58"));
}

#[test]
fn plaintext_hotkey_and_pub_files_need_no_password() {
    let i = info();
    let w = wallet();
    let hot = w.load_hotkey("default", None, FAST).unwrap();
    assert_eq!(hot.ss58(), s(&i, "hotkey_ss58"));
    assert_eq!(
        hex::encode(hot.public_key()),
        s(&i, "hotkey_public_key_hex")
    );
    assert_eq!(
        hot.mnemonic(),
        Some(s(&i["hotkey_plaintext_json"], "secretPhrase"))
    );
    // Our JSON for that key has the SDK's fields and values.
    let ours: Value = serde_json::from_slice(&keyfile::keypair_to_json(&hot)).unwrap();
    assert_eq!(ours, i["hotkey_plaintext_json"]);
    // And our pub JSON equals the SDK's coldkeypub.txt as a map.
    let cold_pub = w.coldkeypub().unwrap();
    assert_eq!(cold_pub.to_ss58(), s(&i, "coldkeypub_ss58"));
    let ours: Value = serde_json::from_slice(&keyfile::public_to_json(&cold_pub)).unwrap();
    assert_eq!(ours, i["coldkeypub_txt"]);

    assert_eq!(
        w.hotkeypub("default").unwrap().to_ss58(),
        s(&i, "hotkey_ss58")
    );
    assert_eq!(
        w.hotkeypub("encrypted_hotkey").unwrap().to_ss58(),
        s(&i, "encrypted_hotkey_ss58")
    );
}

#[test]
fn encryption_is_detected_and_password_required() {
    let w = wallet();
    assert!(w.coldkey_is_encrypted().unwrap());
    assert_eq!(w.coldkey_format().unwrap(), KeyfileFormat::Nacl);
    assert!(w.hotkey_is_encrypted("encrypted_hotkey").unwrap());
    assert!(!w.hotkey_is_encrypted("default").unwrap());
    assert!(matches!(
        w.load_coldkey(None, REAL),
        Err(Error::PasswordRequired { path: Some(_) })
    ));
    assert!(matches!(
        w.load_hotkey("encrypted_hotkey", None, REAL),
        Err(Error::PasswordRequired { .. })
    ));
    // A pub file has no secret.
    let e = keyfile::read_keyfile(&std::fs::read(w.coldkeypub_path()).unwrap(), None, FAST)
        .unwrap()
        .into_keypair()
        .unwrap_err();
    assert!(matches!(e, Error::NoSecretKey { .. }));
}

#[test]
fn listing_the_vector_wallet() {
    let i = info();
    let wallets = list_wallets(&data_dir()).unwrap();
    assert_eq!(wallets.len(), 1);
    let w = &wallets[0];
    assert_eq!(w.name, "vector_wallet");
    assert_eq!(w.coldkey.as_deref(), Some(s(&i, "coldkey_ss58")));
    let hk: Vec<_> = w
        .hotkeys
        .iter()
        .map(|h| (h.name.as_str(), h.ss58.as_deref(), h.encrypted))
        .collect();
    assert_eq!(
        hk,
        vec![
            ("default", Some(s(&i, "hotkey_ss58")), false),
            (
                "encrypted_hotkey",
                Some(s(&i, "encrypted_hotkey_ss58")),
                true
            ),
        ]
    );
}

#[test]
fn sdk_and_our_keypair_agree_on_the_hotkey() {
    // The hotkey's mnemonic, re-derived by us, gives the SDK's private key bytes.
    let i = info();
    let hj = &i["hotkey_plaintext_json"];
    let p = Keypair::from_mnemonic(s(hj, "secretPhrase")).unwrap();
    assert_eq!(
        format!("0x{}", hex::encode(*p.private_key())),
        s(hj, "privateKey")
    );
    assert_eq!(
        format!("0x{}", hex::encode(p.mini_secret().unwrap())),
        s(hj, "secretSeed")
    );
}

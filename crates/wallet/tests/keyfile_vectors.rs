//! Keyfile JSON as the Python `bittensor-wallet` 4.1.1 writes it (`tests/data/keys.json`,
//! `tests/data/extra_vectors.json`, copies of `rustensor-keys`' vectors).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keys::Keypair;
use serde_json::Value;
use wallet::keyfile;

fn vectors(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("missing {k}"))
}

/// The SDK's own keyfile JSON loads to the same key, and ours has the same fields with the same
/// values (key order is random in the SDK, so compare as maps).
#[test]
fn mnemonic_keyfiles() {
    let v = vectors("keys.json");
    let list = v["mnemonic_keys"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    for k in list {
        let label = s(k, "label");
        let phrase = s(k, "mnemonic");
        let p = Keypair::from_mnemonic(phrase).unwrap();
        let sdk_json = k["unencrypted_keyfile_json"].to_string();
        let loaded = keyfile::parse_json(sdk_json.as_bytes())
            .unwrap()
            .into_keypair()
            .unwrap();
        assert_eq!(loaded, p, "{label}");
        assert_eq!(loaded.mnemonic(), Some(phrase));
        let ours: Value = serde_json::from_slice(&keyfile::keypair_to_json(&p)).unwrap();
        assert_eq!(ours, k["unencrypted_keyfile_json"], "{label}");
    }
}

/// 15–24 word mnemonics, made with the SDK by `rustensor-keys`' `gen_extra_vectors.py`.
#[test]
fn extra_mnemonic_keyfiles_of_every_length() {
    let v = vectors("extra_vectors.json");
    let list = v["mnemonics"].as_array().unwrap();
    let words: Vec<u64> = list.iter().map(|m| m["words"].as_u64().unwrap()).collect();
    assert_eq!(words, [15, 18, 21, 24]);
    for m in list {
        let p = Keypair::from_mnemonic(s(m, "mnemonic")).unwrap();
        let ours: Value = serde_json::from_slice(&keyfile::keypair_to_json(&p)).unwrap();
        assert_eq!(ours, m["keyfile_json"], "{}", s(m, "mnemonic"));
    }
}

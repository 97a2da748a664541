//! Conformance with keys made by the Python `bittensor-wallet` 4.1.1 (`tests/data/keys.json`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keys::{Keypair, Mnemonic, verify, verify_exact};
use serde_json::Value;

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/keys.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("missing {k}"))
}

#[test]
fn mnemonic_keys() {
    let v = vectors();
    let list = v["mnemonic_keys"].as_array().unwrap();
    assert_eq!(list.len(), 5);
    for k in list {
        let label = s(k, "label");
        let phrase = s(k, "mnemonic");
        let m = Mnemonic::parse(phrase).unwrap();
        assert_eq!(
            m.word_count() as u64,
            k["words"].as_u64().unwrap(),
            "{label}"
        );
        assert_eq!(hex::encode(&*m.entropy()), s(k, "entropy_hex"), "{label}");
        assert_eq!(
            hex::encode(*m.mini_secret("").unwrap()),
            s(k, "mini_secret_hex"),
            "{label}"
        );
        let p = Keypair::from_mnemonic(phrase).unwrap();
        assert_eq!(
            hex::encode(p.mini_secret().unwrap()),
            s(k, "mini_secret_hex")
        );
        assert_eq!(
            hex::encode(*p.private_key()),
            s(k, "private_key_hex_64"),
            "{label}"
        );
        assert_eq!(
            hex::encode(p.public_key()),
            s(k, "public_key_hex"),
            "{label}"
        );
        assert_eq!(p.ss58(), s(k, "ss58_address"), "{label}");
        assert_eq!(p.account_id().to_string(), s(k, "ss58_address"), "{label}");
        assert_eq!(p.mnemonic(), Some(phrase), "{label}");
    }
}

#[test]
fn uri_keys() {
    let v = vectors();
    let list = v["uri_keys"].as_array().unwrap();
    assert_eq!(list.len(), 9);
    for k in list {
        let uri = s(k, "uri");
        let p = Keypair::from_uri(uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
        assert_eq!(hex::encode(p.public_key()), s(k, "public_key_hex"), "{uri}");
        assert_eq!(p.ss58(), s(k, "ss58_address"), "{uri}");
    }
}

#[test]
fn signatures() {
    let v = vectors();
    let list = v["signatures"].as_array().unwrap();
    assert_eq!(list.len(), 15);
    for (i, k) in list.iter().enumerate() {
        let pk: [u8; 32] = hex::decode(s(k, "public_key_hex"))
            .unwrap()
            .try_into()
            .unwrap();
        let sig: [u8; 64] = hex::decode(s(k, "signature_hex"))
            .unwrap()
            .try_into()
            .unwrap();
        let msg = hex::decode(s(k, "message_hex")).unwrap();
        let expected = k["expected_verify"].as_bool().unwrap();
        assert_eq!(verify(&pk, &msg, &sig), expected, "signature {i}");
        // The account in the vector is the one the public key gives.
        assert_eq!(
            types::AccountId(pk).to_ss58(),
            s(k, "ss58_address"),
            "signature {i}"
        );
        let wrapped = k["note"].as_str().is_some_and(|n| n.contains("<Bytes>"));
        if wrapped {
            assert!(!verify_exact(&pk, &msg, &sig), "signature {i}");
        } else {
            assert_eq!(verify_exact(&pk, &msg, &sig), expected, "signature {i}");
        }
    }
}

#[test]
fn our_signatures_verify_for_every_vector_key() {
    let v = vectors();
    for k in v["mnemonic_keys"].as_array().unwrap() {
        let p = Keypair::from_mnemonic(s(k, "mnemonic")).unwrap();
        for msg in [&b""[..], b"hello bittensor", &[0u8, 1, 2, 255]] {
            let sig = p.sign(msg);
            assert!(verify(&p.public_key(), msg, &sig));
            assert!(verify_exact(&p.public_key(), msg, &sig));
            // Randomised: two signatures differ, both verify.
            assert_ne!(sig, p.sign(msg));
        }
    }
}

fn extra() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/extra_vectors.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// SURI edge cases (numeric junctions, long junctions, unicode, passwords with slashes, hex
/// seeds) and 15–24 word mnemonics, made with the SDK by `tests/data/gen_extra_vectors.py`.
#[test]
fn extra_uri_edge_cases() {
    let v = extra();
    for k in v["uris"].as_array().unwrap() {
        let uri = s(k, "uri");
        let p = Keypair::from_uri(uri).unwrap_or_else(|e| panic!("{uri:?}: {e}"));
        assert_eq!(
            hex::encode(p.public_key()),
            s(k, "public_key_hex"),
            "{uri:?}"
        );
        assert_eq!(p.ss58(), s(k, "ss58_address"), "{uri:?}");
        // Without a soft junction at the end the whole secret is deterministic.
        let last = uri.rsplit_once("///").map_or(uri, |(a, _)| a);
        let ends_soft = last
            .rfind('/')
            .is_some_and(|i| i == 0 || last.as_bytes()[i - 1] != b'/');
        if !ends_soft {
            assert_eq!(
                hex::encode(*p.private_key()),
                s(k, "private_key_hex"),
                "{uri:?}"
            );
        }
    }
    for k in v["invalid_uris"].as_array().unwrap() {
        let uri = s(k, "uri");
        assert!(!k["sdk_accepts"].as_bool().unwrap());
        assert!(
            Keypair::from_uri(uri).is_err(),
            "{uri:?} should be rejected"
        );
    }
}

#[test]
fn extra_mnemonics_of_every_length() {
    let v = extra();
    let list = v["mnemonics"].as_array().unwrap();
    let words: Vec<u64> = list.iter().map(|m| m["words"].as_u64().unwrap()).collect();
    assert_eq!(words, [15, 18, 21, 24]);
    for m in list {
        let phrase = s(m, "mnemonic");
        let p = Keypair::from_mnemonic(phrase).unwrap();
        // The SDK's keyfile JSON (checked field by field in `rustensor-wallet`) holds the keys
        // it derived from this phrase.
        let sdk = &m["keyfile_json"];
        assert_eq!(p.mnemonic(), Some(s(sdk, "secretPhrase")), "{phrase}");
        let seed = hex::encode(p.mini_secret().unwrap());
        assert_eq!(format!("0x{seed}"), s(sdk, "secretSeed"), "{phrase}");
        let private_key = hex::encode(*p.private_key());
        assert_eq!(format!("0x{private_key}"), s(sdk, "privateKey"), "{phrase}");
        let public_key = hex::encode(p.public_key());
        assert_eq!(format!("0x{public_key}"), s(sdk, "publicKey"), "{phrase}");
        assert_eq!(p.ss58(), s(sdk, "ss58Address"), "{phrase}");
    }
}

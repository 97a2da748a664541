//! Property tests: untrusted keyfile bytes never panic, and keyfile and `$NACL` round trips hold
//! for arbitrary keys and payloads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use keys::{Keypair, verify};
use proptest::prelude::*;
use wallet::keyfile::{self, KdfParams};

const FAST: KdfParams = KdfParams::INSECURE_FAST_FOR_TESTS;

fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("secretPhrase".to_string()),
        Just("secretSeed".to_string()),
        Just("privateKey".to_string()),
        Just("publicKey".to_string()),
        Just("accountId".to_string()),
        Just("ss58Address".to_string()),
        Just("cryptoType".to_string()),
        "[a-zA-Z]{0,12}",
    ]
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        "\\PC{0,80}".prop_map(serde_json::Value::from),
        "0x[0-9a-f]{0,130}".prop_map(serde_json::Value::from),
        prop::collection::vec(any::<u8>(), 32)
            .prop_map(|b| serde_json::Value::from(format!("0x{}", hex::encode(b)))),
        prop::collection::vec(any::<u8>(), 64)
            .prop_map(|b| serde_json::Value::from(format!("0x{}", hex::encode(b)))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..600)) {
        let _ = keyfile::detect_format(&data);
        let _ = keyfile::read_keyfile(&data, Some("pw"), FAST);
        let _ = keyfile::read_keyfile(&data, None, FAST);
        let _ = keyfile::read_public(&data);
        let _ = keyfile::parse_json(&data);
        let _ = keyfile::decrypt(&data, "pw", FAST);
        let _ = keyfile::decrypt_with_key(&data, &[0u8; 32]);
    }

    #[test]
    fn random_nacl_bodies_never_panic(body in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut data = b"$NACL".to_vec();
        data.extend_from_slice(&body);
        let r = keyfile::read_keyfile(&data, Some("pw"), FAST);
        let typed = matches!(
            r,
            Err(wallet::Error::CorruptKeyfile { .. } | wallet::Error::WrongPassword { .. })
        );
        prop_assert!(typed);
    }

    #[test]
    fn random_keyfile_json_never_panics(
        obj in prop::collection::btree_map(field(), json_value(), 0..6)
    ) {
        let text = serde_json::to_vec(&obj).unwrap();
        let _ = keyfile::parse_json(&text);
        let _ = keyfile::read_public(&text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_seed_round_trips_through_keyfiles(seed in prop::array::uniform32(any::<u8>())) {
        let p = Keypair::from_seed(&seed).unwrap();
        let json = keyfile::keypair_to_json(&p);
        let q = keyfile::parse_json(&json).unwrap().into_keypair().unwrap();
        prop_assert_eq!(&q, &p);
        prop_assert_eq!(q.mini_secret(), Some(&seed));
        let sig = p.sign(b"m");
        prop_assert!(verify(&q.public_key(), b"m", &sig));
    }

    #[test]
    fn nacl_round_trips(
        plain in prop::collection::vec(any::<u8>(), 0..300),
        pw in "\\PC{0,20}",
    ) {
        let enc = keyfile::encrypt(&plain, &pw, FAST).unwrap();
        prop_assert!(keyfile::is_encrypted(&enc));
        prop_assert_eq!(enc.len(), 5 + 24 + 16 + plain.len());
        let dec = keyfile::decrypt(&enc, &pw, FAST).unwrap();
        prop_assert_eq!(&dec[..], &plain[..]);
        let other = format!("{pw}x");
        let wrong = matches!(
            keyfile::decrypt(&enc, &other, FAST),
            Err(wallet::Error::WrongPassword { .. })
        );
        prop_assert!(wrong);
    }
}

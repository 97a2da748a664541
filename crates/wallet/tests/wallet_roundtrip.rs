//! Writing and reading wallets with tiny KDF parameters: round trips, file modes, no silent
//! overwrite, listing, and typed errors for damaged or foreign files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;

use keys::Keypair;
use wallet::keyfile::{self, KdfParams, KeyfileFormat};
use wallet::{Error, HotkeyEntry, Wallet, list_wallets};

const FAST: KdfParams = KdfParams::INSECURE_FAST_FOR_TESTS;

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn write_and_load_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let w = Wallet::new(dir.path(), "alice");
    let (cold, m) = Keypair::generate(12).unwrap();
    let (hot, _) = Keypair::generate(24).unwrap();
    let (hot2, _) = Keypair::generate(15).unwrap();

    w.write_coldkey(&cold, Some("s3cret-pass"), FAST, false)
        .unwrap();
    w.write_hotkey("default", &hot, None, FAST, false).unwrap();
    w.write_hotkey("locked", &hot2, Some("hk-pass"), FAST, false)
        .unwrap();

    // Files where bittensor-wallet puts them, mode 0600.
    for p in [
        w.coldkey_path(),
        w.coldkeypub_path(),
        w.hotkey_path("default"),
        w.hotkeypub_path("default"),
        w.hotkey_path("locked"),
        w.hotkeypub_path("locked"),
    ] {
        assert!(p.is_file(), "{}", p.display());
        #[cfg(unix)]
        assert_eq!(mode(&p), 0o600, "{}", p.display());
    }
    assert!(w.coldkey_is_encrypted().unwrap());
    assert!(!w.hotkey_is_encrypted("default").unwrap());
    assert!(w.hotkey_is_encrypted("locked").unwrap());

    let c = w.load_coldkey(Some("s3cret-pass"), FAST).unwrap();
    assert_eq!(c, cold);
    assert_eq!(c.mnemonic(), Some(m.as_str()));
    assert_eq!(c.mini_secret(), cold.mini_secret());
    assert_eq!(*c.private_key(), *cold.private_key());
    assert_eq!(w.load_hotkey("default", None, FAST).unwrap(), hot);
    assert_eq!(
        w.load_hotkey("locked", Some("hk-pass"), FAST).unwrap(),
        hot2
    );
    assert_eq!(w.coldkeypub().unwrap(), cold.account_id());
    assert_eq!(w.hotkeypub("locked").unwrap(), hot2.account_id());

    // Wrong password and missing password: typed, files untouched.
    let before = fs::read(w.coldkey_path()).unwrap();
    let e = w.load_coldkey(Some("s3cret-Pass"), FAST).unwrap_err();
    assert!(matches!(e, Error::WrongPassword { .. }), "{e}");
    assert!(matches!(
        w.load_coldkey(None, FAST),
        Err(Error::PasswordRequired { .. })
    ));
    assert_eq!(fs::read(w.coldkey_path()).unwrap(), before);

    // Signing with the loaded key verifies against the listed address.
    let sig = c.sign(b"msg");
    assert!(keys::verify(&w.coldkeypub().unwrap().0, b"msg", &sig));
}

#[test]
fn uri_keys_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let w = Wallet::new(dir.path(), "dev");
    for (i, uri) in [
        "//Alice".to_string(),
        "//Alice/soft".to_string(),
        "0x".to_string() + &"11".repeat(32),
    ]
    .iter()
    .enumerate()
    {
        let p = Keypair::from_uri(uri).unwrap();
        let name = format!("hk{i}");
        w.write_hotkey(&name, &p, None, FAST, false).unwrap();
        let q = w.load_hotkey(&name, None, FAST).unwrap();
        assert_eq!(q, p, "{uri}");
        assert_eq!(q.mini_secret(), p.mini_secret(), "{uri}");
    }
}

#[test]
fn never_overwrites_unless_told() {
    let dir = tempfile::tempdir().unwrap();
    let w = Wallet::new(dir.path(), "w");
    let a = Keypair::from_uri("//Alice").unwrap();
    let b = Keypair::from_uri("//Bob").unwrap();
    w.write_coldkey(&a, None, FAST, false).unwrap();
    w.write_hotkey("h", &a, None, FAST, false).unwrap();

    let e = w.write_coldkey(&b, None, FAST, false).unwrap_err();
    assert!(matches!(&e, Error::AlreadyExists { path } if path == &w.coldkey_path()));
    assert!(e.hint().is_some());
    assert!(matches!(
        w.write_coldkeypub(&b.account_id(), false),
        Err(Error::AlreadyExists { .. })
    ));
    assert!(matches!(
        w.write_hotkey("h", &b, None, FAST, false),
        Err(Error::AlreadyExists { .. })
    ));
    assert_eq!(w.load_coldkey(None, FAST).unwrap(), a);
    assert_eq!(w.coldkeypub().unwrap(), a.account_id());
    assert_eq!(w.load_hotkey("h", None, FAST).unwrap(), a);

    // A stray pub file alone also blocks a write (nothing half-written).
    fs::remove_file(w.hotkey_path("h")).unwrap();
    assert!(matches!(
        w.write_hotkey("h", &b, None, FAST, false),
        Err(Error::AlreadyExists { .. })
    ));
    assert!(!w.hotkey_path("h").exists());

    w.write_coldkey(&b, Some("pw"), FAST, true).unwrap();
    w.write_hotkey("h", &b, None, FAST, true).unwrap();
    assert_eq!(w.load_coldkey(Some("pw"), FAST).unwrap(), b);
    assert_eq!(w.coldkeypub().unwrap(), b.account_id());
    assert_eq!(w.hotkeypub("h").unwrap(), b.account_id());
    #[cfg(unix)]
    assert_eq!(mode(&w.coldkey_path()), 0o600);

    // No temporary files are left in the folders.
    for d in [w.path(), w.hotkeys_dir()] {
        for e in fs::read_dir(d).unwrap() {
            let n = e.unwrap().file_name().into_string().unwrap();
            assert!(!n.starts_with('.'), "{n}");
        }
    }
}

#[cfg(unix)]
#[test]
fn overwrite_fixes_loose_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let w = Wallet::new(dir.path(), "w");
    fs::create_dir_all(w.path()).unwrap();
    fs::write(w.coldkeypub_path(), b"{}").unwrap();
    fs::set_permissions(w.coldkeypub_path(), fs::Permissions::from_mode(0o644)).unwrap();
    let a = Keypair::from_uri("//Alice").unwrap();
    w.write_coldkeypub(&a.account_id(), true).unwrap();
    assert_eq!(mode(&w.coldkeypub_path()), 0o600);
}

#[test]
fn listing() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let a = Keypair::from_uri("//Alice").unwrap();
    let b = Keypair::from_uri("//Bob").unwrap();
    let c = Keypair::from_uri("//Charlie").unwrap();

    let zed = Wallet::new(root, "zed");
    zed.write_coldkey(&a, Some("pw"), FAST, false).unwrap();
    zed.write_hotkey("b-hot", &b, None, FAST, false).unwrap();
    zed.write_hotkey("a-hot", &c, None, FAST, false).unwrap();
    // Encrypted hotkey whose pub file is gone: listed as encrypted, no address.
    zed.write_hotkey("sealed", &c, Some("pw"), FAST, false)
        .unwrap();
    fs::remove_file(zed.hotkeypub_path("sealed")).unwrap();
    // Plaintext hotkey whose pub file is gone: address from the hotkey file.
    zed.write_hotkey("plain", &b, None, FAST, false).unwrap();
    fs::remove_file(zed.hotkeypub_path("plain")).unwrap();

    let amy = Wallet::new(root, "amy");
    amy.write_coldkeypub(&b.account_id(), false).unwrap();
    // A bare folder and a hidden one.
    fs::create_dir_all(root.join("empty")).unwrap();
    fs::create_dir_all(root.join(".cache")).unwrap();
    fs::write(root.join("not-a-wallet.txt"), b"x").unwrap();

    let ws = list_wallets(root).unwrap();
    let names: Vec<_> = ws.iter().map(|w| w.name.as_str()).collect();
    assert_eq!(names, ["amy", "empty", "zed"]);
    assert_eq!(ws[0].coldkey, Some(b.ss58()));
    assert!(ws[0].hotkeys.is_empty());
    assert_eq!(ws[1].coldkey, None);
    assert_eq!(ws[2].coldkey, Some(a.ss58()));
    let h = |name: &str, ss58: Option<String>, encrypted: bool| HotkeyEntry {
        name: name.into(),
        ss58,
        encrypted,
    };
    assert_eq!(
        ws[2].hotkeys,
        vec![
            h("a-hot", Some(c.ss58()), false),
            h("b-hot", Some(b.ss58()), false),
            h("plain", Some(b.ss58()), false),
            h("sealed", None, true),
        ]
    );
    assert_eq!(zed.list_hotkeys().unwrap(), ws[2].hotkeys);
    // Listing is serialisable for `--json`.
    let json = serde_json::to_value(&ws).unwrap();
    assert_eq!(json[2]["hotkeys"][3]["encrypted"], true);
    // The pub-less encrypted hotkey's address needs the password.
    assert!(matches!(
        zed.hotkeypub("sealed"),
        Err(Error::PasswordRequired { .. })
    ));
}

#[test]
fn damaged_and_foreign_files_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let w = Wallet::new(dir.path(), "w");
    let a = Keypair::from_uri("//Alice").unwrap();
    w.write_coldkey(&a, Some("pw"), FAST, false).unwrap();
    let good = fs::read(w.coldkey_path()).unwrap();

    let put = |bytes: &[u8]| fs::write(w.coldkey_path(), bytes).unwrap();

    // Truncated $NACL: before the nonce ends, inside the MAC, inside the body.
    for n in [5, 20, 5 + 24 + 3, good.len() - 1] {
        put(&good[..n]);
        let e = w.load_coldkey(Some("pw"), FAST).unwrap_err();
        assert!(
            matches!(
                e,
                Error::CorruptKeyfile { .. } | Error::WrongPassword { .. }
            ),
            "{n}: {e}"
        );
    }
    put(b"");
    assert!(matches!(
        w.load_coldkey(None, FAST),
        Err(Error::CorruptKeyfile { path: Some(_), .. })
    ));
    put(b"{\"secretPhrase\":\"not a valid phrase at all\"}");
    let e = w.load_coldkey(None, FAST).unwrap_err();
    assert!(matches!(e, Error::CorruptKeyfile { .. }), "{e}");
    assert!(!e.to_string().contains("not a valid phrase"), "{e}");
    put(b"\x00\x01garbage");
    assert!(matches!(
        w.load_coldkey(None, FAST),
        Err(Error::CorruptKeyfile { .. })
    ));

    put(b"$ANSIBLE_VAULT;1.1;AES256\n6162636465");
    assert_eq!(w.coldkey_format().unwrap(), KeyfileFormat::AnsibleVault);
    assert!(w.coldkey_is_encrypted().unwrap());
    let e = w.load_coldkey(Some("pw"), FAST).unwrap_err();
    assert!(
        matches!(
            e,
            Error::UnsupportedEncryption {
                format: "Ansible Vault",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.hint().unwrap().contains("mnemonic"));

    put(b"gAAAAABlegacyfernettoken==");
    let e = w.load_coldkey(Some("pw"), FAST).unwrap_err();
    assert!(matches!(
        e,
        Error::UnsupportedEncryption {
            format: "legacy Fernet",
            ..
        }
    ));

    // ed25519 keyfile (cryptoType 0).
    put(br#"{"cryptoType":0,"privateKey":"0x00"}"#);
    assert!(matches!(
        w.load_coldkey(None, FAST),
        Err(Error::UnsupportedCryptoType { crypto_type: 0, .. })
    ));

    // Public-only file in place of a secret key.
    put(&keyfile::public_to_json(&a.account_id()));
    assert!(matches!(
        w.load_coldkey(None, FAST),
        Err(Error::NoSecretKey { path: Some(_) })
    ));

    // Corrupt pub file.
    fs::write(w.coldkeypub_path(), b"{\"ss58Address\":\"5Grwva\"}").unwrap();
    assert!(matches!(w.coldkeypub(), Err(Error::CorruptKeyfile { .. })));
}

#[test]
fn secrets_never_reach_debug_or_errors() {
    let phrase = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";
    let p = Keypair::from_mnemonic(phrase).unwrap();
    let seed_hex = hex::encode(p.mini_secret().unwrap());
    let sk_hex = hex::encode(*p.private_key());
    let scalar_hex = &sk_hex[..64];
    let nonce_hex = &sk_hex[64..];
    let m = keys::Mnemonic::parse(phrase).unwrap();
    let uri = keys::SecretUri::parse(&format!("{phrase}//hard///pass-word-123")).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let w = Wallet::new(dir.path(), "w");
    w.write_coldkey(&p, Some("pass-word-123"), FAST, false)
        .unwrap();
    let wrong = w.load_coldkey(Some("pass-word-124"), FAST).unwrap_err();
    fs::create_dir_all(w.hotkeys_dir()).unwrap();
    fs::write(
        w.hotkey_path("x"),
        format!("{{\"secretPhrase\":\"{phrase} extra\",\"secretSeed\":\"0x{seed_hex}\"}}"),
    )
    .unwrap();
    let bad_phrase = w.load_hotkey("x", None, FAST).unwrap_err();
    fs::write(
        w.hotkey_path("x"),
        format!("{{\"privateKey\":\"0x{sk_hex}\",\"ss58Address\":5}}"),
    )
    .unwrap();
    let bad_type = w.load_hotkey("x", None, FAST).unwrap_err();
    fs::write(
        w.hotkey_path("x"),
        format!("{{\"privateKey\":\"0x{sk_hex}\""),
    )
    .unwrap();
    let truncated = w.load_hotkey("x", None, FAST).unwrap_err();
    let bad_mnemonic = Keypair::from_mnemonic(&phrase.replace("walk", "fit")).unwrap_err();
    let bad_uri = Keypair::from_uri(&format!("{phrase}-x//a")).unwrap_err();

    let texts = [
        format!("{p:?}"),
        format!("{m:?}"),
        format!("{uri:?}"),
        format!("{wrong} {wrong:?}"),
        format!("{bad_phrase} {bad_phrase:?}"),
        format!("{bad_type} {bad_type:?}"),
        format!("{truncated} {truncated:?}"),
        format!("{bad_mnemonic} {bad_mnemonic:?}"),
        format!("{bad_uri} {bad_uri:?}"),
    ];
    for t in &texts {
        for secret in [
            "bottom",
            "lonely",
            &seed_hex,
            &sk_hex,
            scalar_hex,
            nonce_hex,
            "pass-word",
        ] {
            assert!(!t.contains(secret), "{secret:?} leaked in {t:?}");
        }
    }
    assert!(matches!(wrong, Error::WrongPassword { .. }));
    assert!(matches!(bad_type, Error::CorruptKeyfile { .. }));
    assert!(matches!(truncated, Error::CorruptKeyfile { .. }));
}

#[test]
fn encrypted_output_layout() {
    let p = Keypair::from_uri("//Alice").unwrap();
    let json = keyfile::keypair_to_json(&p);
    let enc = keyfile::keypair_to_keyfile(&p, Some("pw"), FAST).unwrap();
    assert_eq!(&enc[..5], b"$NACL");
    assert_eq!(enc.len(), 5 + 24 + 16 + json.len());
    // Fresh nonce each time.
    let enc2 = keyfile::keypair_to_keyfile(&p, Some("pw"), FAST).unwrap();
    assert_ne!(enc[5..29], enc2[5..29]);
    // MAC first: with the same key and nonce, the tail after the MAC is the raw XSalsa20
    // stream XOR the JSON, so equal plaintext prefixes give equal ciphertext prefixes.
    let key = keyfile::derive_key("pw", FAST).unwrap();
    let nonce = [7u8; 24];
    let x = keyfile::encrypt_with_key(b"{\"a\":1}", &key, &nonce).unwrap();
    let y = keyfile::encrypt_with_key(b"{\"a\":2}", &key, &nonce).unwrap();
    assert_ne!(x[29..45], y[29..45], "the MAC must differ");
    assert_eq!(
        x[45..50],
        y[45..50],
        "ciphertext starts after the 16-byte MAC"
    );
    assert_ne!(x[50], y[50]);
}

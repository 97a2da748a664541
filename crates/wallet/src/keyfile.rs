//! Keyfiles exactly as `bittensor-wallet` 4.x writes them.
//!
//! **Plaintext** keyfiles are one compact JSON object with `secretPhrase`, `secretSeed`,
//! `privateKey`, `publicKey`, `accountId`, `ss58Address` and `cryptoType` (1 = sr25519); the
//! `*pub.txt` files carry only the public fields. Loading tries `secretPhrase`, then
//! `secretSeed`, then `privateKey` (32 bytes = mini secret, 64 = full secret), then the public
//! fields.
//!
//! **Encrypted** (`$NACL`) keyfiles are
//! `"$NACL"` ‖ nonce (24 bytes) ‖ `crypto_secretbox(json)` (XSalsa20-Poly1305, 16-byte MAC
//! first), with the key from libsodium's `crypto_pwhash` Argon2i v1.3 (opslimit 8, memlimit
//! 512 MiB, one lane, 32-byte output) over the UTF-8 password and a fixed global salt.
//!
//! `$ANSIBLE_VAULT` and legacy Fernet (`gAAAAA`) files are recognised and refused with
//! [`Error::UnsupportedEncryption`].

use std::fmt;

use crypto_secretbox::aead::{AeadInPlace, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use keys::{Keypair, Mnemonic};
use rand::RngCore;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::Error;

/// Prefix of a NaCl-encrypted keyfile.
pub const NACL_PREFIX: &[u8] = b"$NACL";
/// Prefix of an Ansible Vault keyfile (old bittensor).
pub const ANSIBLE_PREFIX: &[u8] = b"$ANSIBLE_VAULT";
/// Prefix of a legacy Fernet keyfile (old bittensor).
pub const LEGACY_PREFIX: &[u8] = b"gAAAAA";
/// Bittensor's fixed Argon2 salt, the same for every keyfile.
pub const NACL_SALT: [u8; 16] = [
    0x13, 0x71, 0x83, 0xdf, 0xf1, 0x5a, 0x09, 0xbc, 0x9c, 0x90, 0xb5, 0x51, 0x87, 0x39, 0xe9, 0xb1,
];
/// secretbox nonce length.
pub const NONCE_LEN: usize = 24;
/// Poly1305 MAC length (the MAC comes first in the box).
pub const MAC_LEN: usize = 16;
/// Length of the secretbox key.
pub const KEY_LEN: usize = 32;

/// The Argon2i cost parameters (lanes are always 1, output always 32 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Passes over memory (libsodium `opslimit`).
    pub t_cost: u32,
    /// Memory in KiB (libsodium `memlimit` / 1024).
    pub m_cost_kib: u32,
}

impl KdfParams {
    /// What Bittensor uses: `OPSLIMIT_SENSITIVE` = 8, `MEMLIMIT_SENSITIVE` = 512 MiB.
    pub const BITTENSOR: KdfParams = KdfParams {
        t_cost: 8,
        m_cost_kib: 512 * 1024,
    };
    /// The cheapest Argon2 allows. Files made with it are **not** readable by Bittensor and
    /// offer no protection: tests only.
    pub const INSECURE_FAST_FOR_TESTS: KdfParams = KdfParams {
        t_cost: 1,
        m_cost_kib: 8,
    };
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams::BITTENSOR
    }
}

/// What a keyfile's bytes are, judged by their prefix (as `bittensor-wallet` does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyfileFormat {
    /// Starts with `$NACL`.
    Nacl,
    /// Starts with `$ANSIBLE_VAULT` (not supported).
    AnsibleVault,
    /// Starts with `gAAAAA` (legacy Fernet, not supported).
    LegacyFernet,
    /// Anything else: expected to be plaintext JSON.
    Plaintext,
}

impl KeyfileFormat {
    /// A human name: `"NaCl"`, `"Ansible Vault"`, `"legacy Fernet"`, `"plaintext"`.
    pub fn name(self) -> &'static str {
        match self {
            KeyfileFormat::Nacl => "NaCl",
            KeyfileFormat::AnsibleVault => "Ansible Vault",
            KeyfileFormat::LegacyFernet => "legacy Fernet",
            KeyfileFormat::Plaintext => "plaintext",
        }
    }
}

impl fmt::Display for KeyfileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Detect the format of keyfile bytes.
pub fn detect_format(data: &[u8]) -> KeyfileFormat {
    if data.starts_with(NACL_PREFIX) {
        KeyfileFormat::Nacl
    } else if data.starts_with(ANSIBLE_PREFIX) {
        KeyfileFormat::AnsibleVault
    } else if data.starts_with(LEGACY_PREFIX) {
        KeyfileFormat::LegacyFernet
    } else {
        KeyfileFormat::Plaintext
    }
}

/// Whether keyfile bytes are encrypted in any known format (as `keyfile_data_is_encrypted`).
pub fn is_encrypted(data: &[u8]) -> bool {
    detect_format(data) != KeyfileFormat::Plaintext
}

/// Derive the 32-byte secretbox key from a password (Argon2i v1.3, fixed salt).
/// Takes about 3–5 s and 512 MiB with [`KdfParams::BITTENSOR`].
pub fn derive_key(password: &str, kdf: KdfParams) -> Result<Zeroizing<[u8; KEY_LEN]>, Error> {
    let params = argon2::Params::new(kdf.m_cost_kib, kdf.t_cost, 1, Some(KEY_LEN))
        .map_err(|e| Error::InvalidKdfParams(e.to_string()))?;
    let argon = argon2::Argon2::new(argon2::Algorithm::Argon2i, argon2::Version::V0x13, params);
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    argon
        .hash_password_into(password.as_bytes(), &NACL_SALT, key.as_mut_slice())
        .map_err(|e| Error::Kdf(e.to_string()))?;
    Ok(key)
}

/// Encrypt keyfile bytes to the `$NACL` format with a fresh random nonce.
pub fn encrypt(plaintext: &[u8], password: &str, kdf: KdfParams) -> Result<Vec<u8>, Error> {
    let key = derive_key(password, kdf)?;
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    encrypt_with_key(plaintext, &key, &nonce)
}

/// Encrypt with a given key and nonce (deterministic; for interop tests and re-encryption).
pub fn encrypt_with_key(
    plaintext: &[u8],
    key: &[u8; KEY_LEN],
    nonce: &[u8; NONCE_LEN],
) -> Result<Vec<u8>, Error> {
    let cipher = XSalsa20Poly1305::new(Key::from_slice(key));
    // The plaintext is copied once into a buffer sized for MAC + body and encrypted in place
    // there, so no clear copy is left behind by a reallocation.
    let mut body = Zeroizing::new(Vec::with_capacity(MAC_LEN + plaintext.len()));
    body.extend_from_slice(plaintext);
    cipher
        .encrypt_in_place(Nonce::from_slice(nonce), b"", &mut *body)
        .map_err(|_| Error::Encryption)?;
    let mut out = Vec::with_capacity(NACL_PREFIX.len() + NONCE_LEN + body.len());
    out.extend_from_slice(NACL_PREFIX);
    out.extend_from_slice(nonce);
    out.extend_from_slice(&body);
    Ok(out)
}

fn split_nacl(data: &[u8]) -> Result<(&[u8; NONCE_LEN], &[u8]), Error> {
    let rest = data
        .strip_prefix(NACL_PREFIX)
        .ok_or_else(|| Error::corrupt("not a $NACL keyfile"))?;
    if rest.len() < NONCE_LEN + MAC_LEN {
        return Err(Error::corrupt(format!(
            "truncated: {} bytes after $NACL, at least {} needed",
            rest.len(),
            NONCE_LEN + MAC_LEN
        )));
    }
    let (nonce, boxed) = rest.split_at(NONCE_LEN);
    let nonce = <&[u8; NONCE_LEN]>::try_from(nonce).map_err(|_| Error::corrupt("bad nonce"))?;
    Ok((nonce, boxed))
}

/// Open a `$NACL` keyfile with an already derived key.
pub fn decrypt_with_key(data: &[u8], key: &[u8; KEY_LEN]) -> Result<Zeroizing<Vec<u8>>, Error> {
    let (nonce, boxed) = split_nacl(data)?;
    let cipher = XSalsa20Poly1305::new(Key::from_slice(key));
    let mut buf = Zeroizing::new(Vec::with_capacity(boxed.len()));
    buf.extend_from_slice(boxed);
    cipher
        .decrypt_in_place(Nonce::from_slice(nonce), b"", &mut *buf)
        .map_err(|_| Error::WrongPassword { path: None })?;
    Ok(buf)
}

/// Decrypt keyfile bytes. `$NACL` only; other encrypted formats give
/// [`Error::UnsupportedEncryption`]. The length is checked before the (slow) key derivation.
/// A MAC failure is reported as [`Error::WrongPassword`].
pub fn decrypt(data: &[u8], password: &str, kdf: KdfParams) -> Result<Zeroizing<Vec<u8>>, Error> {
    match detect_format(data) {
        KeyfileFormat::Nacl => {
            split_nacl(data)?;
            let key = derive_key(password, kdf)?;
            decrypt_with_key(data, &key)
        }
        KeyfileFormat::Plaintext => Err(Error::corrupt("not encrypted")),
        f => Err(unsupported(f)),
    }
}

fn unsupported(f: KeyfileFormat) -> Error {
    Error::UnsupportedEncryption {
        format: f.name(),
        path: None,
    }
}

/// The contents of a keyfile: a full keypair, or (pub files) only a public key.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // a few hundred bytes, made once per file read
pub enum KeyfileContents {
    /// A secret key was present.
    Keypair(Keypair),
    /// Only public fields were present.
    PublicOnly(types::AccountId),
}

impl KeyfileContents {
    /// The account, whichever kind of file it was.
    pub fn account_id(&self) -> types::AccountId {
        match self {
            KeyfileContents::Keypair(p) => p.account_id(),
            KeyfileContents::PublicOnly(a) => *a,
        }
    }

    /// The keypair, or [`Error::NoSecretKey`].
    pub fn into_keypair(self) -> Result<Keypair, Error> {
        match self {
            KeyfileContents::Keypair(p) => Ok(p),
            KeyfileContents::PublicOnly(_) => Err(Error::NoSecretKey { path: None }),
        }
    }
}

/// Read keyfile bytes of any supported form: decrypt when `$NACL` (needs `password`), then
/// parse the JSON.
pub fn read_keyfile(
    data: &[u8],
    password: Option<&str>,
    kdf: KdfParams,
) -> Result<KeyfileContents, Error> {
    match detect_format(data) {
        KeyfileFormat::Plaintext => parse_json(data),
        KeyfileFormat::Nacl => {
            let pw = password.ok_or(Error::PasswordRequired { path: None })?;
            parse_json(&decrypt(data, pw, kdf)?)
        }
        f => Err(unsupported(f)),
    }
}

/// The public part of keyfile bytes without a password: from a plaintext keyfile's public
/// fields (or its secret when it has none). `Ok(None)` for an encrypted file.
pub fn read_public(data: &[u8]) -> Result<Option<types::AccountId>, Error> {
    match detect_format(data) {
        KeyfileFormat::Plaintext => {
            let json = parse_fields(data)?;
            match json.public_account()? {
                Some(a) => Ok(Some(a)),
                None => Ok(Some(json.into_contents()?.account_id())),
            }
        }
        _ => Ok(None),
    }
}

#[derive(Deserialize, Default)]
struct KeyfileJson {
    #[serde(rename = "secretPhrase")]
    secret_phrase: Option<Zeroizing<String>>,
    #[serde(rename = "secretSeed")]
    secret_seed: Option<Zeroizing<String>>,
    #[serde(rename = "privateKey")]
    private_key: Option<Zeroizing<String>>,
    #[serde(rename = "publicKey")]
    public_key: Option<String>,
    #[serde(rename = "accountId")]
    account_id: Option<String>,
    #[serde(rename = "ss58Address")]
    ss58_address: Option<String>,
    #[serde(rename = "cryptoType")]
    crypto_type: Option<serde_json::Value>,
}

fn parse_fields(data: &[u8]) -> Result<KeyfileJson, Error> {
    // The error message keeps only the position, never a snippet of the (secret) text.
    let json: KeyfileJson = serde_json::from_slice(data).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Data => "a field has the wrong type",
            serde_json::error::Category::Eof => "truncated JSON",
            _ => "not valid JSON",
        };
        Error::corrupt(format!("{what} (line {}, column {})", e.line(), e.column()))
    })?;
    match &json.crypto_type {
        None | Some(serde_json::Value::Null) => {}
        Some(v) => match v.as_i64() {
            Some(1) => {}
            Some(n) => {
                return Err(Error::UnsupportedCryptoType {
                    crypto_type: n,
                    path: None,
                });
            }
            None => return Err(Error::corrupt("cryptoType is not an integer")),
        },
    }
    Ok(json)
}

fn hex_field(s: &str) -> Option<Zeroizing<Vec<u8>>> {
    let h = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(h).ok().map(Zeroizing::new)
}

fn public_from_hex(s: &str, field: &str) -> Result<types::AccountId, Error> {
    let bytes = hex_field(s).ok_or_else(|| Error::corrupt(format!("{field} is not hex")))?;
    let arr = <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| Error::corrupt(format!("{field} is not 32 bytes")))?;
    Ok(types::AccountId(arr))
}

impl KeyfileJson {
    /// The public key from the public fields (ss58Address, then publicKey, then accountId),
    /// checking that those present agree.
    fn public_account(&self) -> Result<Option<types::AccountId>, Error> {
        let mut found: Option<types::AccountId> = None;
        let mut agree = |a: types::AccountId| -> Result<(), Error> {
            match found {
                Some(f) if f != a => Err(Error::corrupt(
                    "its ss58Address, publicKey and accountId disagree",
                )),
                _ => {
                    found = Some(a);
                    Ok(())
                }
            }
        };
        if let Some(s) = &self.ss58_address {
            let (a, _) = types::AccountId::from_ss58_any_prefix(s)
                .map_err(|_| Error::corrupt("ss58Address is not a valid SS58 address"))?;
            agree(a)?;
        }
        if let Some(s) = &self.public_key {
            agree(public_from_hex(s, "publicKey")?)?;
        }
        if let Some(s) = &self.account_id {
            agree(public_from_hex(s, "accountId")?)?;
        }
        Ok(found)
    }

    fn into_contents(self) -> Result<KeyfileContents, Error> {
        let public = self.public_account()?;
        let pair = if let Some(phrase) = &self.secret_phrase {
            let m = Mnemonic::parse(phrase)
                .map_err(|e| Error::corrupt(format!("secretPhrase: {e}")))?;
            Some(Keypair::from_mnemonic_phrase(&m)?)
        } else if let Some(seed) = &self.secret_seed {
            Some(seed_field(seed)?)
        } else if let Some(pk) = &self.private_key {
            let bytes = hex_field(pk).ok_or_else(|| Error::corrupt("privateKey is not hex"))?;
            Some(Keypair::from_seed_slice(&bytes).map_err(|_| {
                Error::corrupt("privateKey is not a 32-byte seed or 64-byte sr25519 secret")
            })?)
        } else {
            None
        };
        match (pair, public) {
            (Some(p), Some(a)) if p.account_id() != a => Err(Error::corrupt(
                "its public key does not match its secret key",
            )),
            (Some(p), _) => Ok(KeyfileContents::Keypair(p)),
            (None, Some(a)) => Ok(KeyfileContents::PublicOnly(a)),
            (None, None) => Err(Error::corrupt("it holds no key")),
        }
    }
}

fn seed_field(seed: &str) -> Result<Keypair, Error> {
    let err = || Error::corrupt("secretSeed is not a 32-byte (or 64-byte) hex seed");
    match hex_field(seed) {
        Some(bytes) => Keypair::from_seed_slice(&bytes).map_err(|_| err()),
        // bittensor-wallet quirk: seed bytes that happen to be valid UTF-8 are written raw
        // after "0x" instead of as hex.
        None => {
            let raw = seed.strip_prefix("0x").unwrap_or(seed).as_bytes();
            let arr = <&[u8; 32]>::try_from(raw).map_err(|_| err())?;
            Ok(Keypair::from_seed(arr)?)
        }
    }
}

/// Parse plaintext keyfile JSON.
pub fn parse_json(data: &[u8]) -> Result<KeyfileContents, Error> {
    parse_fields(data)?.into_contents()
}

fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                out.push(char::from(b"0123456789abcdef"[(c as usize) >> 4]));
                out.push(char::from(b"0123456789abcdef"[(c as usize) & 15]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_field(out: &mut String, name: &str, value: &str) {
    if out.len() > 1 {
        out.push(',');
    }
    push_json_str(out, name);
    out.push(':');
    push_json_str(out, value);
}

fn push_public(out: &mut String, account: &types::AccountId) {
    let hex = account.to_hex();
    push_field(out, "publicKey", &hex);
    push_field(out, "accountId", &hex);
    push_field(out, "ss58Address", &account.to_ss58());
    out.push_str(",\"cryptoType\":1");
}

/// The plaintext keyfile JSON of a keypair: `secretPhrase` and `secretSeed` when known,
/// `privateKey`, the public fields and `cryptoType` 1. Compact, as bittensor-wallet writes it.
pub fn keypair_to_json(pair: &Keypair) -> Zeroizing<Vec<u8>> {
    // Sized up front so the secret is never reallocated (no stray copies on the heap).
    let mut out = Zeroizing::new(String::with_capacity(2048));
    out.push('{');
    if let Some(m) = pair.mnemonic() {
        push_field(&mut out, "secretPhrase", m);
    }
    if let Some(seed) = pair.mini_secret() {
        let mut h = Zeroizing::new(String::with_capacity(2 + 64));
        h.push_str("0x");
        h.push_str(&Zeroizing::new(hex::encode(seed)));
        push_field(&mut out, "secretSeed", &h);
    }
    let mut h = Zeroizing::new(String::with_capacity(2 + 128));
    h.push_str("0x");
    h.push_str(&Zeroizing::new(hex::encode(*pair.private_key())));
    push_field(&mut out, "privateKey", &h);
    push_public(&mut out, &pair.account_id());
    out.push('}');
    let mut bytes = Zeroizing::new(Vec::with_capacity(out.len()));
    bytes.extend_from_slice(out.as_bytes());
    bytes
}

/// The public keyfile JSON (`coldkeypub.txt`, `*pub.txt`).
pub fn public_to_json(account: &types::AccountId) -> Vec<u8> {
    let mut out = String::with_capacity(256);
    out.push('{');
    push_public(&mut out, account);
    out.push('}');
    out.into_bytes()
}

/// Keyfile bytes for a keypair: plaintext JSON, or `$NACL`-encrypted when `password` is set.
pub fn keypair_to_keyfile(
    pair: &Keypair,
    password: Option<&str>,
    kdf: KdfParams,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    let json = keypair_to_json(pair);
    match password {
        None => Ok(json),
        Some(pw) => Ok(Zeroizing::new(encrypt(&json, pw, kdf)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams::INSECURE_FAST_FOR_TESTS;
    const DEV: &str = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

    #[test]
    fn formats_are_detected_by_prefix() {
        assert_eq!(detect_format(b"$NACLxxxx"), KeyfileFormat::Nacl);
        assert_eq!(
            detect_format(b"$ANSIBLE_VAULT;1.1"),
            KeyfileFormat::AnsibleVault
        );
        assert_eq!(detect_format(b"gAAAAABk"), KeyfileFormat::LegacyFernet);
        assert_eq!(detect_format(b"{}"), KeyfileFormat::Plaintext);
        assert!(is_encrypted(b"$NACL") && !is_encrypted(b"{\"a\":1}"));
        for data in [&b"$ANSIBLE_VAULT;1.1;AES256\n123"[..], b"gAAAAABkxyz"] {
            let e = read_keyfile(data, Some("pw"), FAST).unwrap_err();
            assert!(matches!(e, Error::UnsupportedEncryption { .. }), "{e}");
            assert!(e.hint().unwrap_or("").contains("mnemonic"));
        }
    }

    #[test]
    fn json_round_trip() {
        let p = Keypair::from_mnemonic(DEV).unwrap();
        let json = keypair_to_json(&p);
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["secretPhrase"], DEV);
        assert_eq!(
            v["ss58Address"],
            "5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV"
        );
        assert_eq!(v["cryptoType"], 1);
        assert!(!json.contains(&b' ') || v["secretPhrase"].is_string());
        match parse_json(&json).unwrap() {
            KeyfileContents::Keypair(q) => {
                assert_eq!(q, p);
                assert_eq!(q.mnemonic(), Some(DEV));
            }
            KeyfileContents::PublicOnly(_) => panic!("lost the secret"),
        }
        let pubjson = public_to_json(&p.account_id());
        assert!(matches!(
            parse_json(&pubjson).unwrap(),
            KeyfileContents::PublicOnly(a) if a == p.account_id()
        ));
        assert_eq!(read_public(&json).unwrap(), Some(p.account_id()));
    }

    #[test]
    fn load_order_and_fallbacks() {
        let p = Keypair::from_mnemonic(DEV).unwrap();
        let seed = format!("0x{}", hex::encode(p.mini_secret().unwrap()));
        let sk = format!("0x{}", hex::encode(*p.private_key()));
        let j = format!(r#"{{"secretSeed":"{seed}"}}"#);
        assert_eq!(parse_json(j.as_bytes()).unwrap().into_keypair().unwrap(), p);
        let j = format!(r#"{{"privateKey":"{sk}"}}"#);
        assert_eq!(parse_json(j.as_bytes()).unwrap().into_keypair().unwrap(), p);
        let j = format!(r#"{{"privateKey":"{seed}","cryptoType":1}}"#);
        assert_eq!(parse_json(j.as_bytes()).unwrap().into_keypair().unwrap(), p);
        // Null fields (older files) are ignored.
        let j = format!(r#"{{"secretPhrase":null,"secretSeed":"{seed}"}}"#);
        assert_eq!(parse_json(j.as_bytes()).unwrap().into_keypair().unwrap(), p);
        // Raw-UTF-8 seed quirk.
        let raw = "abcdefghijklmnopqrstuvwxyz012345";
        let j = format!(r#"{{"secretSeed":"0x{raw}"}}"#);
        let q = parse_json(j.as_bytes()).unwrap().into_keypair().unwrap();
        let mut arr = [0u8; 32];
        arr.copy_from_slice(raw.as_bytes());
        assert_eq!(q, Keypair::from_seed(&arr).unwrap());
    }

    #[test]
    fn bad_json_is_a_typed_error_without_secrets() {
        let cases: &[&[u8]] = &[
            b"",
            b"{",
            b"not json",
            b"{}",
            b"[]",
            b"{\"secretPhrase\": 5}",
            b"{\"secretPhrase\": \"hunter2 is my secret phrase\"}",
            b"{\"secretSeed\": \"0xdeadbeef\"}",
            b"{\"privateKey\": \"0xzz\"}",
            b"{\"ss58Address\": \"nope\"}",
            b"{\"publicKey\": \"0x00\"}",
            b"\xff\xfe",
        ];
        for c in cases {
            let e = parse_json(c).unwrap_err();
            assert!(matches!(e, Error::CorruptKeyfile { .. }), "{e}");
            let msg = e.to_string();
            assert!(
                !msg.contains("hunter2") && !msg.contains("deadbeef"),
                "{msg}"
            );
        }
        let e = parse_json(b"{\"cryptoType\":0,\"ss58Address\":\"x\"}").unwrap_err();
        assert!(matches!(
            e,
            Error::UnsupportedCryptoType { crypto_type: 0, .. }
        ));
        // A secret that does not match the stated public key.
        let p = Keypair::from_mnemonic(DEV).unwrap();
        let mut v: serde_json::Value = serde_json::from_slice(&keypair_to_json(&p)).unwrap();
        v["ss58Address"] = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into();
        let e = parse_json(v.to_string().as_bytes()).unwrap_err();
        assert!(matches!(e, Error::CorruptKeyfile { .. }));
    }

    #[test]
    fn nacl_round_trip_and_layout() {
        let msg = b"{\"hello\":\"world\"}";
        let enc = encrypt(msg, "pw", FAST).unwrap();
        assert!(enc.starts_with(NACL_PREFIX));
        assert_eq!(enc.len(), 5 + NONCE_LEN + MAC_LEN + msg.len());
        assert_eq!(&*decrypt(&enc, "pw", FAST).unwrap(), msg);
        assert!(matches!(
            decrypt(&enc, "pW", FAST),
            Err(Error::WrongPassword { .. })
        ));
        // Every truncation is a typed error.
        for n in 0..enc.len() {
            let e = decrypt(&enc[..n], "pw", FAST).unwrap_err();
            assert!(
                matches!(
                    e,
                    Error::CorruptKeyfile { .. } | Error::WrongPassword { .. }
                ),
                "{n}: {e}"
            );
        }
        // Flipping any byte of nonce, MAC or body breaks authentication.
        for i in 5..enc.len() {
            let mut bad = enc.clone();
            bad[i] ^= 1;
            assert!(matches!(
                decrypt(&bad, "pw", FAST),
                Err(Error::WrongPassword { .. })
            ));
        }
    }

    #[test]
    fn password_required() {
        let enc = encrypt(b"{}", "pw", FAST).unwrap();
        assert!(matches!(
            read_keyfile(&enc, None, FAST),
            Err(Error::PasswordRequired { .. })
        ));
        assert_eq!(read_public(&enc).unwrap(), None);
    }

    #[test]
    fn bad_kdf_params() {
        let e = derive_key(
            "x",
            KdfParams {
                t_cost: 0,
                m_cost_kib: 8,
            },
        )
        .unwrap_err();
        assert!(matches!(e, Error::InvalidKdfParams(_)));
    }
}

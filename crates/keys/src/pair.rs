//! sr25519 keypairs: creation from mnemonic, seed, private key or secret URI; signing and
//! verification with the Substrate signing context.

use std::fmt;

use schnorrkel::derive::{ChainCode, Derivation};
use schnorrkel::{ExpansionMode, MiniSecretKey, PublicKey, SecretKey, Signature, signing_context};
use zeroize::Zeroizing;

use crate::Error;
use crate::mnemonic::Mnemonic;
use crate::suri::{DeriveJunction, SecretUri};

/// The schnorrkel signing context Substrate (and Bittensor) use.
pub const SIGNING_CONTEXT: &[u8] = b"substrate";

/// An sr25519 keypair with the secrets it came from, when known (mnemonic, mini secret).
///
/// All secrets are zeroized on drop; `Debug` prints only the SS58 address.
#[derive(Clone)]
pub struct Keypair {
    inner: schnorrkel::Keypair,
    seed: Option<Zeroizing<[u8; 32]>>,
    mnemonic: Option<Mnemonic>,
}

impl Keypair {
    /// A new random keypair with a fresh `words`-word mnemonic (12, 15, 18, 21 or 24).
    pub fn generate(words: usize) -> Result<(Keypair, Mnemonic), Error> {
        let m = Mnemonic::generate(words)?;
        let pair = Keypair::from_parsed_mnemonic(m.clone(), "")?;
        Ok((pair, m))
    }

    /// The key of a BIP39 mnemonic (Substrate derivation, empty passphrase).
    pub fn from_mnemonic(phrase: &str) -> Result<Keypair, Error> {
        Keypair::from_parsed_mnemonic(Mnemonic::parse(phrase)?, "")
    }

    /// Same as [`Keypair::from_mnemonic`] for an already-parsed mnemonic.
    pub fn from_mnemonic_phrase(m: &Mnemonic) -> Result<Keypair, Error> {
        Keypair::from_parsed_mnemonic(m.clone(), "")
    }

    fn from_parsed_mnemonic(m: Mnemonic, passphrase: &str) -> Result<Keypair, Error> {
        let seed = m.mini_secret(passphrase)?;
        let mut pair = Keypair::from_seed(&seed)?;
        // Only an empty-passphrase key is "the key of this mnemonic" (what keyfiles store).
        if passphrase.is_empty() {
            pair.mnemonic = Some(m);
        }
        Ok(pair)
    }

    /// The key of a 32-byte mini secret (`secretSeed` in a keyfile).
    pub fn from_seed(seed: &[u8; 32]) -> Result<Keypair, Error> {
        let mini = MiniSecretKey::from_bytes(seed)
            .map_err(|_| Error::InvalidSecret("a mini secret must be 32 bytes"))?;
        Ok(Keypair {
            inner: mini.expand_to_keypair(ExpansionMode::Ed25519),
            seed: Some(Zeroizing::new(*seed)),
            mnemonic: None,
        })
    }

    /// The key of a 64-byte schnorrkel secret (32-byte scalar ‖ 32-byte nonce), as in a
    /// keyfile's `privateKey`.
    pub fn from_private_key(secret: &[u8; 64]) -> Result<Keypair, Error> {
        let sk = SecretKey::from_bytes(secret).map_err(|_| {
            Error::InvalidSecret("the private key's scalar is not canonical (not an sr25519 key)")
        })?;
        Ok(Keypair {
            inner: sk.to_keypair(),
            seed: None,
            mnemonic: None,
        })
    }

    /// sp-core's `from_seed_slice`: 32 bytes = mini secret, 64 bytes = full secret.
    pub fn from_seed_slice(bytes: &[u8]) -> Result<Keypair, Error> {
        if let Ok(seed) = <&[u8; 32]>::try_from(bytes) {
            Keypair::from_seed(seed)
        } else if let Ok(sk) = <&[u8; 64]>::try_from(bytes) {
            Keypair::from_private_key(sk)
        } else {
            Err(Error::InvalidSecret(
                "expected 32 bytes (mini secret) or 64 bytes (private key)",
            ))
        }
    }

    /// A key from a secret URI: `//Alice`, `PHRASE//hard/soft///password`, `0xSEED//path`.
    /// Matches sp-core `Pair::from_string` (and so `Keypair.create_from_uri`) exactly.
    ///
    /// The result knows its mini secret when the last step was a hard junction (or there was
    /// none), like sp-core; it carries the mnemonic only when the URI was a bare phrase.
    pub fn from_uri(suri: &str) -> Result<Keypair, Error> {
        let uri = SecretUri::parse(suri)?;
        let root = if let Some(hex_seed) = uri.phrase.strip_prefix("0x") {
            let bytes = Zeroizing::new(
                hex::decode(hex_seed).map_err(|_| Error::InvalidUri("the 0x seed is not hex"))?,
            );
            let seed = <&[u8; 32]>::try_from(bytes.as_slice())
                .map_err(|_| Error::InvalidUri("a 0x seed must be 32 bytes (64 hex characters)"))?;
            Keypair::from_seed(seed)?
        } else {
            let m = Mnemonic::parse(&uri.phrase)?;
            let pw = uri.password.as_deref().map(String::as_str).unwrap_or("");
            Keypair::from_parsed_mnemonic(m, pw)?
        };
        if uri.junctions.is_empty() && uri.password.is_none() {
            return Ok(root);
        }
        root.derive(&uri.junctions)
    }

    /// Derive along a path (sp-core's `Pair::derive`). The result keeps no mnemonic.
    pub fn derive(&self, path: &[DeriveJunction]) -> Result<Keypair, Error> {
        let mut secret = self.inner.secret.clone();
        let mut seed = self.seed.clone();
        for j in path {
            match j {
                DeriveJunction::Soft(cc) => {
                    secret = secret.derived_key_simple(ChainCode(*cc), []).0;
                    seed = None;
                }
                DeriveJunction::Hard(cc) => {
                    let mini = secret
                        .hard_derive_mini_secret_key(Some(ChainCode(*cc)), b"")
                        .0;
                    secret = mini.expand(ExpansionMode::Ed25519);
                    seed = Some(Zeroizing::new(mini.to_bytes()));
                }
            }
        }
        Ok(Keypair {
            inner: secret.to_keypair(),
            seed,
            mnemonic: None,
        })
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.inner.public.to_bytes()
    }

    /// The account id (= public key).
    pub fn account_id(&self) -> types::AccountId {
        types::AccountId(self.public_key())
    }

    /// The SS58 address (prefix 42).
    pub fn ss58(&self) -> String {
        self.account_id().to_ss58()
    }

    /// Sign `message` (sr25519, context `substrate`, randomised).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.inner
            .sign(signing_context(SIGNING_CONTEXT).bytes(message))
            .to_bytes()
    }

    /// Verify a signature by this key; see [`verify`].
    pub fn verify(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        verify(&self.public_key(), message, signature)
    }

    /// The mnemonic, when the key was made from one.
    pub fn mnemonic(&self) -> Option<&str> {
        self.mnemonic.as_ref().map(Mnemonic::as_str)
    }

    /// The 32-byte mini secret (`secretSeed`), when known.
    pub fn mini_secret(&self) -> Option<&[u8; 32]> {
        self.seed.as_deref()
    }

    /// The 64-byte schnorrkel secret (`privateKey`: scalar ‖ nonce).
    pub fn private_key(&self) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.inner.secret.to_bytes())
    }

    /// Forget the mnemonic and seed, keeping only the signing key.
    pub fn without_recovery_secrets(mut self) -> Keypair {
        self.mnemonic = None;
        self.seed = None;
        self
    }
}

impl PartialEq for Keypair {
    /// Keys are equal when their public keys are (the nonce of a soft-derived key is random).
    fn eq(&self, other: &Self) -> bool {
        self.public_key() == other.public_key()
    }
}
impl Eq for Keypair {}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keypair")
            .field("public", &hex::encode(self.public_key()))
            .field("secret", &"<redacted>")
            .field("has_mnemonic", &self.mnemonic.is_some())
            .field("has_seed", &self.seed.is_some())
            .finish()
    }
}

/// Verify an sr25519 signature the way the Bittensor SDK does: against `message`, and if that
/// fails, against `<Bytes>` ‖ message ‖ `</Bytes>` (the polkadot.js `signRaw` wrapping).
///
/// For transaction signatures, where no wrapping must be accepted, use [`verify_exact`].
pub fn verify(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let Some((pk, sig)) = parse(public_key, signature) else {
        return false;
    };
    verify_parsed(&pk, message, &sig) || {
        let mut wrapped = Vec::with_capacity(message.len().saturating_add(15));
        wrapped.extend_from_slice(b"<Bytes>");
        wrapped.extend_from_slice(message);
        wrapped.extend_from_slice(b"</Bytes>");
        verify_parsed(&pk, &wrapped, &sig)
    }
}

/// Verify an sr25519 signature over exactly `message` (Substrate runtime semantics, no
/// `<Bytes>` retry). Use this for transactions.
pub fn verify_exact(public_key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    match parse(public_key, signature) {
        Some((pk, sig)) => verify_parsed(&pk, message, &sig),
        None => false,
    }
}

/// Parse an account given as an SS58 address (any network prefix) or as `0x` + 64 hex
/// characters of public key.
pub fn parse_account(s: &str) -> Result<types::AccountId, Error> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        let bytes = hex::decode(h).map_err(|_| Error::InvalidPublicKey("not hex"))?;
        let arr = <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| Error::InvalidPublicKey("not 32 bytes"))?;
        return Ok(types::AccountId(arr));
    }
    types::AccountId::from_ss58_any_prefix(s)
        .map(|(a, _)| a)
        .map_err(|e| Error::InvalidSs58 {
            address: s.to_string(),
            reason: e.to_string(),
        })
}

/// Parse a 64-byte signature written as 128 hex characters, with or without `0x`.
pub fn parse_signature(s: &str) -> Result<[u8; 64], Error> {
    let s = s.trim();
    let h = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .unwrap_or(s);
    let bytes = hex::decode(h).map_err(|_| Error::InvalidSignature("not hex"))?;
    <[u8; 64]>::try_from(bytes.as_slice()).map_err(|_| Error::InvalidSignature("not 64 bytes"))
}

fn parse(public_key: &[u8; 32], signature: &[u8; 64]) -> Option<(PublicKey, Signature)> {
    Some((
        PublicKey::from_bytes(public_key).ok()?,
        Signature::from_bytes(signature).ok()?,
    ))
}

fn verify_parsed(pk: &PublicKey, message: &[u8], sig: &Signature) -> bool {
    pk.verify_simple(SIGNING_CONTEXT, message, sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: &str = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

    #[test]
    fn dev_phrase_keys() {
        let p = Keypair::from_mnemonic(DEV).unwrap();
        assert_eq!(
            hex::encode(p.public_key()),
            "46ebddef8cd9bb167dc30878d7113b7e168e6f0646beffd77d69d39bad76b47a"
        );
        assert_eq!(
            hex::encode(*p.private_key()),
            "05d65584630d16cd4af6d0bec10f34bb504a5dcb62dba2122d49f5a663763d0a\
             fd190cce74df356432b410bd64682309d6dedb27c76845daf388557cbac3ca34"
        );
        assert_eq!(p.mnemonic(), Some(DEV));
        assert_eq!(
            hex::encode(p.mini_secret().unwrap()),
            "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e"
        );
        // The same key through every door.
        assert_eq!(Keypair::from_uri(DEV).unwrap(), p);
        assert_eq!(Keypair::from_uri("").unwrap(), p);
        assert_eq!(Keypair::from_seed(p.mini_secret().unwrap()).unwrap(), p);
        assert_eq!(Keypair::from_private_key(&p.private_key()).unwrap(), p);
        assert_eq!(Keypair::from_seed_slice(&p.private_key()[..]).unwrap(), p);
    }

    #[test]
    fn alice() {
        let a = Keypair::from_uri("//Alice").unwrap();
        assert_eq!(
            hex::encode(a.public_key()),
            "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d"
        );
        assert!(a.mnemonic().is_none());
        // Hard-derived: the mini secret is known and reproduces the key.
        let seed = *a.mini_secret().unwrap();
        assert_eq!(Keypair::from_seed(&seed).unwrap(), a);
        let hexuri = format!("0x{}", hex::encode(seed));
        assert_eq!(Keypair::from_uri(&hexuri).unwrap(), a);
        // Soft-derived: no seed.
        assert!(
            Keypair::from_uri("//Alice/soft")
                .unwrap()
                .mini_secret()
                .is_none()
        );
    }

    #[test]
    fn sign_and_verify() {
        let a = Keypair::from_uri("//Alice").unwrap();
        let sig = a.sign(b"hello");
        assert!(verify(&a.public_key(), b"hello", &sig));
        assert!(verify_exact(&a.public_key(), b"hello", &sig));
        assert!(a.verify(b"hello", &sig));
        assert!(!verify(&a.public_key(), b"hellO", &sig));
        let bob = Keypair::from_uri("//Bob").unwrap();
        assert!(!verify(&bob.public_key(), b"hello", &sig));
        // <Bytes> wrapping is accepted by verify, not by verify_exact.
        let wrapped = a.sign(b"<Bytes>hello</Bytes>");
        assert!(verify(&a.public_key(), b"hello", &wrapped));
        assert!(!verify_exact(&a.public_key(), b"hello", &wrapped));
        // Garbage never panics.
        assert!(!verify(&[0xff; 32], b"x", &[0xff; 64]));
        assert!(!verify(&[0; 32], b"x", &[0; 64]));
    }

    #[test]
    fn bad_uris() {
        assert!(matches!(
            Keypair::from_uri("0x1234//a"),
            Err(Error::InvalidUri(_))
        ));
        assert!(matches!(
            Keypair::from_uri("0xzz"),
            Err(Error::InvalidUri(_))
        ));
        assert!(matches!(
            Keypair::from_uri("bottom drive obey//x"),
            Err(Error::InvalidWordCount(3))
        ));
        assert!(Keypair::from_seed_slice(&[1u8; 33]).is_err());
        assert!(Keypair::from_private_key(&[0xff; 64]).is_err());
    }

    #[test]
    fn parse_helpers() {
        let a = Keypair::from_uri("//Alice").unwrap();
        let id = a.account_id();
        assert_eq!(parse_account(&a.ss58()).unwrap(), id);
        assert_eq!(
            parse_account(&format!(" 0x{} ", hex::encode(id.0))).unwrap(),
            id
        );
        // Polkadot (prefix 0) address of the same key.
        assert_eq!(
            parse_account("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5").unwrap(),
            id
        );
        assert!(matches!(
            parse_account("5Grwva"),
            Err(Error::InvalidSs58 { .. })
        ));
        assert!(matches!(
            parse_account("0x12"),
            Err(Error::InvalidPublicKey(_))
        ));
        let sig = a.sign(b"m");
        assert_eq!(
            parse_signature(&format!("0x{}", hex::encode(sig))).unwrap(),
            sig
        );
        assert_eq!(parse_signature(&hex::encode(sig)).unwrap(), sig);
        assert!(matches!(
            parse_signature("0x00"),
            Err(Error::InvalidSignature(_))
        ));
    }

    #[test]
    fn debug_is_redacted() {
        let p = Keypair::from_mnemonic(DEV).unwrap();
        let d = format!("{p:?}");
        assert!(!d.contains("bottom"));
        assert!(!d.contains("fac7959d"));
        assert!(!d.contains("05d65584"));
    }

    #[test]
    fn generate() {
        let (p, m) = Keypair::generate(24).unwrap();
        assert_eq!(m.word_count(), 24);
        assert_eq!(p.mnemonic(), Some(m.as_str()));
        assert_eq!(Keypair::from_mnemonic(&m).unwrap(), p);
    }
}

//! Secret URIs (`SURI`), as sp-core's `Pair::from_string` reads them.
//!
//! ```text
//! PHRASE//hard/soft///password
//! ```
//!
//! * `PHRASE` is a BIP39 mnemonic, or `0x` + 64 hex characters (a raw 32-byte mini secret).
//!   When absent, the public Substrate dev phrase is used (so `//Alice` works).
//! * `//name` is a hard junction, `/name` a soft one. A junction that parses as a `u64`
//!   (Rust's `str::parse`, so `007` and `+7` are 7) is SCALE-encoded as a `u64` (8 bytes LE);
//!   anything else as a SCALE string (compact length + UTF-8 bytes). The encoding is
//!   zero-padded to 32 bytes, or blake2b-256 hashed when longer than 32 bytes: that is the
//!   chain code.
//! * `///password` is the BIP39 passphrase (`"mnemonic" + password` as the PBKDF2 salt); it
//!   is ignored for a `0x` seed, as in sp-core.
//!
//! The grammar is sp-core's regex
//! `^(?P<phrase>[\d\w ]+)?(?P<path>(//?[^/]+)*)(///(?P<password>.*))?$`, parsed by hand.

use std::fmt;

use blake2::Blake2b;
use blake2::digest::Digest;
use blake2::digest::consts::U32;
use zeroize::Zeroizing;

use crate::Error;

/// The Substrate development phrase, used when a URI has no phrase.
pub const DEV_PHRASE: &str =
    "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

/// One step of a derivation path: a 32-byte chain code, hard (`//`) or soft (`/`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeriveJunction {
    /// `/name`: soft (public) derivation.
    Soft([u8; 32]),
    /// `//name`: hard (secret) derivation.
    Hard([u8; 32]),
}

impl DeriveJunction {
    /// The junction for a path segment as written after the `/` or `//`.
    pub fn new(code: &str, hard: bool) -> DeriveJunction {
        let cc = match code.parse::<u64>() {
            Ok(n) => chain_code(&n.to_le_bytes()),
            Err(_) => {
                let bytes = code.as_bytes();
                let mut enc = compact_len(bytes.len());
                enc.extend_from_slice(bytes);
                chain_code(&enc)
            }
        };
        if hard {
            DeriveJunction::Hard(cc)
        } else {
            DeriveJunction::Soft(cc)
        }
    }

    /// The 32-byte chain code.
    pub fn chain_code(&self) -> &[u8; 32] {
        match self {
            DeriveJunction::Soft(c) | DeriveJunction::Hard(c) => c,
        }
    }

    /// Whether this is a hard junction.
    pub fn is_hard(&self) -> bool {
        matches!(self, DeriveJunction::Hard(_))
    }
}

impl fmt::Debug for DeriveJunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.is_hard() { "Hard" } else { "Soft" };
        write!(f, "{kind}(0x{})", hex::encode(self.chain_code()))
    }
}

fn chain_code(encoded: &[u8]) -> [u8; 32] {
    let mut cc = [0u8; 32];
    if encoded.len() > 32 {
        cc.copy_from_slice(&Blake2b::<U32>::digest(encoded));
    } else if let Some(dst) = cc.get_mut(..encoded.len()) {
        dst.copy_from_slice(encoded);
    }
    cc
}

/// SCALE compact encoding of a length.
fn compact_len(len: usize) -> Vec<u8> {
    let n = len as u64;
    if n < 1 << 6 {
        vec![(n as u8) << 2]
    } else if n < 1 << 14 {
        (((n as u16) << 2) | 0b01).to_le_bytes().to_vec()
    } else if n < 1 << 30 {
        (((n as u32) << 2) | 0b10).to_le_bytes().to_vec()
    } else {
        let bytes = n.to_le_bytes();
        let used = 8 - (n.leading_zeros() / 8) as usize;
        let mut v = vec![(((used - 4) as u8) << 2) | 0b11];
        v.extend_from_slice(bytes.get(..used).unwrap_or(&bytes));
        v
    }
}

/// A parsed secret URI. Holds secrets: zeroized on drop, redacted in `Debug`.
pub struct SecretUri {
    /// The phrase or `0x` seed (the dev phrase when the URI had none).
    pub phrase: Zeroizing<String>,
    /// The derivation path, in order.
    pub junctions: Vec<DeriveJunction>,
    /// The `///password`, if any.
    pub password: Option<Zeroizing<String>>,
}

impl fmt::Debug for SecretUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretUri")
            .field("phrase", &"<redacted>")
            .field("junctions", &self.junctions.len())
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn is_phrase_char(c: char) -> bool {
    // Rust regex `[\d\w ]`: Unicode word characters and the ASCII space.
    c == ' ' || c == '_' || c.is_alphanumeric()
}

impl SecretUri {
    /// Parse `PHRASE//hard/soft///password` exactly as sp-core does.
    pub fn parse(s: &str) -> Result<SecretUri, Error> {
        let split = s.find('/').unwrap_or(s.len());
        let (phrase, mut rest) = s.split_at(split);
        if !phrase.chars().all(is_phrase_char) {
            return Err(Error::InvalidUri(
                "the phrase may hold only letters, digits, `_` and spaces before the first `/`",
            ));
        }
        let phrase = if phrase.is_empty() {
            DEV_PHRASE
        } else {
            phrase
        };
        let mut junctions = Vec::new();
        let mut password = None;
        while !rest.is_empty() {
            if let Some(pw) = rest.strip_prefix("///") {
                password = Some(Zeroizing::new(pw.to_string()));
                break;
            }
            let (hard, body) = match rest.strip_prefix("//") {
                Some(b) => (true, b),
                None => (false, rest.get(1..).unwrap_or("")),
            };
            let end = body.find('/').unwrap_or(body.len());
            let (code, tail) = body.split_at(end);
            if code.is_empty() {
                return Err(Error::InvalidUri("empty derivation junction"));
            }
            junctions.push(DeriveJunction::new(code, hard));
            rest = tail;
        }
        Ok(SecretUri {
            phrase: Zeroizing::new(phrase.to_string()),
            junctions,
            password,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soft(s: &str) -> DeriveJunction {
        DeriveJunction::new(s, false)
    }
    fn hard(s: &str) -> DeriveJunction {
        DeriveJunction::new(s, true)
    }

    #[test]
    fn chain_codes_follow_scale() {
        // "Alice" = compact(5) = 0x14, then the bytes.
        let mut want = [0u8; 32];
        want[0] = 0x14;
        want[1..6].copy_from_slice(b"Alice");
        assert_eq!(hard("Alice"), DeriveJunction::Hard(want));
        // Numbers are u64 LE, with Rust's parser (leading zeros, '+').
        let mut one = [0u8; 32];
        one[0] = 1;
        assert_eq!(soft("1"), DeriveJunction::Soft(one));
        assert_eq!(soft("001"), DeriveJunction::Soft(one));
        assert_eq!(soft("+1"), DeriveJunction::Soft(one));
        assert_ne!(soft("-1"), DeriveJunction::Soft(one));
        // 18446744073709551616 overflows u64, so it is a string.
        let big = soft("18446744073709551616");
        assert_eq!(big.chain_code()[0], 20 << 2);
        // > 32 bytes encoded: blake2b-256.
        let long = "a".repeat(40);
        let mut enc = compact_len(40);
        enc.extend_from_slice(long.as_bytes());
        let h: [u8; 32] = Blake2b::<U32>::digest(&enc).into();
        assert_eq!(soft(&long), DeriveJunction::Soft(h));
        // 31 bytes + 1 length byte = 32: still padded, not hashed.
        let s31 = "b".repeat(31);
        assert_eq!(soft(&s31).chain_code()[0], 31 << 2);
    }

    #[test]
    fn compact_encoding() {
        assert_eq!(compact_len(0), vec![0]);
        assert_eq!(compact_len(63), vec![252]);
        assert_eq!(compact_len(64), vec![1, 1]);
        assert_eq!(compact_len(16383), vec![0xfd, 0xff]);
        assert_eq!(compact_len(16384), vec![2, 0, 1, 0]);
        assert_eq!(compact_len(1 << 30), vec![3, 0, 0, 0, 0x40]);
    }

    #[test]
    fn parses_like_sp_core() {
        let u = SecretUri::parse("//Alice").unwrap();
        assert_eq!(&*u.phrase, DEV_PHRASE);
        assert_eq!(u.junctions, vec![hard("Alice")]);
        assert!(u.password.is_none());

        let u = SecretUri::parse("foo bar//hard/soft///pass/word").unwrap();
        assert_eq!(&*u.phrase, "foo bar");
        assert_eq!(u.junctions, vec![hard("hard"), soft("soft")]);
        assert_eq!(u.password.as_deref().map(String::as_str), Some("pass/word"));

        let u = SecretUri::parse("///pw").unwrap();
        assert_eq!(&*u.phrase, DEV_PHRASE);
        assert!(u.junctions.is_empty());
        assert_eq!(u.password.as_deref().map(String::as_str), Some("pw"));

        let u = SecretUri::parse("x//a////pw").unwrap();
        assert_eq!(u.password.as_deref().map(String::as_str), Some("/pw"));

        let u = SecretUri::parse("").unwrap();
        assert_eq!(&*u.phrase, DEV_PHRASE);

        let u = SecretUri::parse("0xabcd/1").unwrap();
        assert_eq!(&*u.phrase, "0xabcd");

        for bad in ["foo-bar//a", "//", "/", "//a/", "a//b//", "phrase!"] {
            assert!(
                matches!(SecretUri::parse(bad), Err(Error::InvalidUri(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_redacts() {
        let u = SecretUri::parse("secretphrase//a///pw").unwrap();
        let d = format!("{u:?}");
        assert!(!d.contains("secretphrase") && !d.contains("pw\""), "{d}");
    }
}

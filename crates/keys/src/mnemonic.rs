//! BIP39 mnemonics (English) and the Substrate mini secret derived from them.
//!
//! Substrate does not use the BIP39 seed. It runs PBKDF2-HMAC-SHA512 over the *entropy* (not
//! the phrase) with salt `"mnemonic" + passphrase` and 2048 rounds, and keeps the first 32
//! bytes as the schnorrkel mini secret (`substrate-bip39`).

use std::fmt;
use std::ops::Deref;

use rand::RngCore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::Error;

/// Word counts a mnemonic may have.
pub const VALID_WORD_COUNTS: [usize; 5] = [12, 15, 18, 21, 24];

/// A checksum-valid BIP39 English mnemonic. The phrase is zeroized on drop and never printed
/// by `Debug`.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Mnemonic {
    phrase: String,
}

impl Mnemonic {
    /// A fresh random mnemonic of `words` words (12, 15, 18, 21 or 24), from the OS RNG.
    pub fn generate(words: usize) -> Result<Mnemonic, Error> {
        if !VALID_WORD_COUNTS.contains(&words) {
            return Err(Error::InvalidWordCount(words));
        }
        // 11 bits per word, of which 1 in 33 is checksum: 4 bytes of entropy per 3 words.
        let len = words / 3 * 4;
        let mut entropy = Zeroizing::new([0u8; 32]);
        let buf = entropy
            .get_mut(..len)
            .ok_or(Error::InvalidWordCount(words))?;
        rand::rngs::OsRng.fill_bytes(buf);
        let m = bip39::Mnemonic::from_entropy(buf)?;
        Ok(Mnemonic::from_bip39(&m))
    }

    /// Parse and validate a phrase: known English words, 12–24 words, correct checksum.
    /// Whitespace between words is normalised to single spaces.
    pub fn parse(phrase: &str) -> Result<Mnemonic, Error> {
        let m = bip39::Mnemonic::parse_in(bip39::Language::English, phrase)?;
        Ok(Mnemonic::from_bip39(&m))
    }

    /// Build from raw BIP39 entropy (16, 20, 24, 28 or 32 bytes).
    pub fn from_entropy(entropy: &[u8]) -> Result<Mnemonic, Error> {
        let m = bip39::Mnemonic::from_entropy(entropy)?;
        Ok(Mnemonic::from_bip39(&m))
    }

    fn from_bip39(m: &bip39::Mnemonic) -> Mnemonic {
        // Pre-size so the secret is written once and never reallocated (no stray copies).
        let mut phrase = String::with_capacity(24 * 9);
        for (i, w) in m.words().enumerate() {
            if i > 0 {
                phrase.push(' ');
            }
            phrase.push_str(w);
        }
        Mnemonic { phrase }
    }

    /// The phrase, words separated by single spaces.
    pub fn as_str(&self) -> &str {
        &self.phrase
    }

    /// Number of words.
    pub fn word_count(&self) -> usize {
        self.phrase.split(' ').count()
    }

    /// The BIP39 entropy bytes (16 bytes for 12 words ... 32 bytes for 24).
    pub fn entropy(&self) -> Zeroizing<Vec<u8>> {
        match bip39::Mnemonic::parse_in_normalized(bip39::Language::English, &self.phrase) {
            Ok(m) => {
                let (arr, len) = m.to_entropy_array();
                let arr = Zeroizing::new(arr);
                Zeroizing::new(arr.get(..len).unwrap_or_default().to_vec())
            }
            // Unreachable: the phrase was validated on construction.
            Err(_) => Zeroizing::new(Vec::new()),
        }
    }

    /// The Substrate mini secret: first 32 bytes of
    /// PBKDF2-HMAC-SHA512(entropy, "mnemonic" + passphrase, 2048).
    pub fn mini_secret(&self, passphrase: &str) -> Result<Zeroizing<[u8; 32]>, Error> {
        mini_secret_from_entropy(&self.entropy(), passphrase)
    }
}

/// The Substrate mini secret from BIP39 entropy and a passphrase (empty for wallets).
pub fn mini_secret_from_entropy(
    entropy: &[u8],
    passphrase: &str,
) -> Result<Zeroizing<[u8; 32]>, Error> {
    let seed = Zeroizing::new(
        substrate_bip39::seed_from_entropy(entropy, passphrase)
            .map_err(|_| Error::InvalidMnemonic("bad entropy length"))?,
    );
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(seed.get(..32).unwrap_or(&[0u8; 32]));
    Ok(out)
}

impl Deref for Mnemonic {
    type Target = str;
    fn deref(&self) -> &str {
        &self.phrase
    }
}

impl AsRef<str> for Mnemonic {
    fn as_ref(&self) -> &str {
        &self.phrase
    }
}

impl PartialEq for Mnemonic {
    fn eq(&self, other: &Self) -> bool {
        self.phrase == other.phrase
    }
}
impl Eq for Mnemonic {}

impl fmt::Debug for Mnemonic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mnemonic(<{} words, redacted>)", self.word_count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEV: &str = "bottom drive obey lake curtain smoke basket hold race lonely fit walk";

    #[test]
    fn generates_every_valid_length_and_rejects_others() {
        for n in VALID_WORD_COUNTS {
            let m = Mnemonic::generate(n).unwrap();
            assert_eq!(m.word_count(), n);
            assert_eq!(m.entropy().len(), n / 3 * 4);
            // Round trip through the parser (checksum valid).
            assert_eq!(Mnemonic::parse(m.as_str()).unwrap(), m);
        }
        for n in [0, 11, 13, 25, 27] {
            assert!(matches!(
                Mnemonic::generate(n),
                Err(Error::InvalidWordCount(x)) if x == n
            ));
        }
        assert_ne!(
            Mnemonic::generate(12).unwrap(),
            Mnemonic::generate(12).unwrap()
        );
    }

    #[test]
    fn dev_phrase_mini_secret() {
        let m = Mnemonic::parse(DEV).unwrap();
        assert_eq!(
            hex::encode(&*m.entropy()),
            "1a486a5fbe53639984cb64b070755f7b"
        );
        assert_eq!(
            hex::encode(*m.mini_secret("").unwrap()),
            "fac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e"
        );
    }

    #[test]
    fn parse_normalises_whitespace_and_checks_checksum() {
        let spaced = format!("  {}  ", DEV.replace(' ', "   "));
        assert_eq!(Mnemonic::parse(&spaced).unwrap().as_str(), DEV);
        let bad = DEV.replace("walk", "fit");
        assert!(matches!(
            Mnemonic::parse(&bad),
            Err(Error::InvalidMnemonicChecksum)
        ));
        let unknown = DEV.replace("lake", "lakes");
        assert!(matches!(
            Mnemonic::parse(&unknown),
            Err(Error::UnknownMnemonicWord { position: 4 })
        ));
        assert!(matches!(
            Mnemonic::parse("bottom drive obey"),
            Err(Error::InvalidWordCount(3))
        ));
    }

    #[test]
    fn debug_is_redacted() {
        let m = Mnemonic::parse(DEV).unwrap();
        let dbg = format!("{m:?}");
        assert!(!dbg.contains("bottom"), "{dbg}");
        assert!(dbg.contains("12 words"));
    }
}

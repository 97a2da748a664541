//! The one error type of this crate.
//!
//! Rule: no variant ever carries secret material. Mnemonic, seed and private-key problems are
//! described by kind and position only. Keyfile and wallet-folder errors live in
//! `rustensor-wallet`.

/// Everything that can go wrong with mnemonics, secret URIs, keys and signatures.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A mnemonic must have 12, 15, 18, 21 or 24 words.
    #[error("a mnemonic must have 12, 15, 18, 21 or 24 words, not {0}")]
    InvalidWordCount(usize),

    /// A word of the mnemonic is not in the BIP39 English word list.
    #[error("word {position} of the mnemonic is not in the BIP39 English word list")]
    UnknownMnemonicWord {
        /// 1-based position of the word in the phrase.
        position: usize,
    },

    /// The mnemonic's BIP39 checksum does not match.
    #[error("the mnemonic's checksum is wrong (a word is misspelled, missing or out of order)")]
    InvalidMnemonicChecksum,

    /// The mnemonic could not be parsed for another reason.
    #[error("invalid mnemonic: {0}")]
    InvalidMnemonic(&'static str),

    /// A secret URI (`PHRASE//hard/soft///password`) is malformed.
    #[error("invalid secret URI: {0}")]
    InvalidUri(&'static str),

    /// A seed or private key has the wrong length or is not valid hex.
    #[error("invalid secret seed or private key: {0}")]
    InvalidSecret(&'static str),

    /// A public key is not 32 bytes or not valid hex.
    #[error("invalid public key: {0}")]
    InvalidPublicKey(&'static str),

    /// A signature is not 64 bytes of hex.
    #[error("invalid signature: {0}")]
    InvalidSignature(&'static str),

    /// An SS58 address could not be decoded.
    #[error("invalid SS58 address {address:?}: {reason}")]
    InvalidSs58 {
        /// The address as given (public data).
        address: String,
        /// Why it was rejected.
        reason: String,
    },
}

impl Error {
    /// A short, actionable hint for the user, when there is one.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::InvalidWordCount(_) => "use a 12, 15, 18, 21 or 24 word BIP39 phrase",
            Error::UnknownMnemonicWord { .. } => {
                "check the spelling of that word; BIP39 words are lower-case English"
            }
            Error::InvalidMnemonicChecksum => {
                "check that every word is spelled right and in the original order"
            }
            Error::InvalidMnemonic(_) => "check the recovery phrase",
            Error::InvalidUri(_) => {
                "use the form `PHRASE//hard/soft///password`, `//Alice`, or `0x<64 hex seed>//path`"
            }
            Error::InvalidSecret(_) => {
                "a seed is 0x + 64 hex characters (32 bytes); a private key is 32 or 64 bytes"
            }
            Error::InvalidPublicKey(_) => "a public key is 0x + 64 hex characters (32 bytes)",
            Error::InvalidSignature(_) => "a signature is 0x + 128 hex characters (64 bytes)",
            Error::InvalidSs58 { .. } => "check the address; SS58 addresses usually start with 5",
        })
    }
}

impl From<bip39::Error> for Error {
    fn from(e: bip39::Error) -> Self {
        match e {
            bip39::Error::BadWordCount(n) => Error::InvalidWordCount(n),
            bip39::Error::UnknownWord(i) => Error::UnknownMnemonicWord {
                position: i.saturating_add(1),
            },
            bip39::Error::InvalidChecksum => Error::InvalidMnemonicChecksum,
            bip39::Error::BadEntropyBitCount(_) => Error::InvalidMnemonic("bad entropy length"),
            bip39::Error::AmbiguousLanguages(_) => Error::InvalidMnemonic("ambiguous language"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_has_a_message_and_a_hint() {
        let e = Error::InvalidSs58 {
            address: "5x".to_string(),
            reason: "too short".to_string(),
        };
        assert_eq!(e.to_string(), "invalid SS58 address \"5x\": too short");
        assert!(e.hint().unwrap_or("").contains("start with 5"));
        let all = [
            Error::InvalidWordCount(3),
            Error::UnknownMnemonicWord { position: 1 },
            Error::InvalidMnemonicChecksum,
            Error::InvalidMnemonic("x"),
            Error::InvalidUri("x"),
            Error::InvalidSecret("x"),
            Error::InvalidPublicKey("x"),
            Error::InvalidSignature("x"),
            e,
        ];
        for e in all {
            assert!(!e.to_string().is_empty());
            assert!(e.hint().is_some(), "{e}");
        }
    }

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static + std::error::Error>() {}
        check::<Error>();
    }

    #[test]
    fn bip39_errors_map_to_typed_variants() {
        assert!(matches!(
            Error::from(bip39::Error::BadWordCount(11)),
            Error::InvalidWordCount(11)
        ));
        assert!(matches!(
            Error::from(bip39::Error::UnknownWord(0)),
            Error::UnknownMnemonicWord { position: 1 }
        ));
    }
}

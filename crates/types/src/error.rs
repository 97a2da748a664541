//! The error enum of the `types` domain: parsing amounts and addresses.

/// Why an amount or an address could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The amount string was empty.
    #[error("the amount is empty")]
    EmptyAmount,
    /// The amount string is not a plain decimal number.
    #[error("'{input}' is not a decimal amount")]
    InvalidAmount {
        /// What was given.
        input: String,
    },
    /// More than 9 decimal places: finer than one rao.
    #[error(
        "'{input}' has {decimals} decimal places, but at most 9 are allowed (1 rao = 0.000000001)"
    )]
    TooManyDecimals {
        /// What was given.
        input: String,
        /// How many decimal places it had.
        decimals: usize,
    },
    /// The amount does not fit in a u64 of rao.
    #[error("'{input}' is too large for an amount (the maximum is 18446744073.709551615)")]
    AmountOverflow {
        /// What was given.
        input: String,
    },
    /// The address has characters outside the base58 alphabet.
    #[error("'{input}' is not a valid SS58 address: it is not base58")]
    Ss58NotBase58 {
        /// What was given.
        input: String,
    },
    /// The decoded address has the wrong number of bytes.
    #[error("'{input}' is not a valid SS58 address: it decodes to {len} bytes, expected 35 or 36")]
    Ss58Length {
        /// What was given.
        input: String,
        /// Decoded length in bytes.
        len: usize,
    },
    /// The address checksum does not match its content.
    #[error("'{input}' is not a valid SS58 address: the checksum does not match")]
    Ss58Checksum {
        /// What was given.
        input: String,
    },
    /// A well-formed address for another network.
    #[error(
        "'{input}' is an address for network prefix {found}, but Bittensor uses prefix {expected}"
    )]
    Ss58Prefix {
        /// What was given.
        input: String,
        /// The prefix the address carries.
        found: u16,
        /// The prefix we expected (42).
        expected: u16,
    },
}

impl Error {
    /// A short, actionable hint for a person who hit this error.
    pub fn hint(&self) -> &'static str {
        match self {
            Error::EmptyAmount | Error::InvalidAmount { .. } => {
                "write an amount in TAO as a decimal number, e.g. 1.5 or 0.000000500"
            }
            Error::TooManyDecimals { .. } => "round the amount to at most 9 decimal places",
            Error::AmountOverflow { .. } => "use a smaller amount",
            Error::Ss58NotBase58 { .. } | Error::Ss58Length { .. } | Error::Ss58Checksum { .. } => {
                "check for a typo: copy the address again from its source (`rustensor wallet list`)"
            }
            Error::Ss58Prefix { .. } => {
                "re-encode the public key for Bittensor (prefix 42); its addresses start with 5"
            }
        }
    }
}

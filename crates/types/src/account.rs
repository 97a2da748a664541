//! [`AccountId`]: a 32-byte sr25519 public key, written as an SS58 address.
//!
//! SS58 = base58(prefix ‖ key ‖ checksum), where the checksum is the first two bytes of
//! blake2b-512("SS58PRE" ‖ prefix ‖ key). Bittensor uses prefix 42, so its addresses start with 5.

use crate::Error;
use blake2::{Blake2b512, Digest};
use core::fmt;
use core::str::FromStr;
use parity_scale_codec::{Decode, Encode, MaxEncodedLen};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bittensor's SS58 address prefix.
pub const SS58_PREFIX: u16 = 42;

const CHECKSUM_LEN: usize = 2;
const KEY_LEN: usize = 32;

/// An account: the 32 bytes of an sr25519 public key (a coldkey or a hotkey).
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Encode, Decode, MaxEncodedLen,
)]
pub struct AccountId(pub [u8; 32]);

fn checksum(prefix: &[u8], key: &[u8]) -> [u8; CHECKSUM_LEN] {
    let mut hasher = Blake2b512::new();
    hasher.update(b"SS58PRE");
    hasher.update(prefix);
    hasher.update(key);
    let hash = hasher.finalize();
    let mut out = [0u8; CHECKSUM_LEN];
    out.copy_from_slice(hash.get(..CHECKSUM_LEN).unwrap_or(&[0; CHECKSUM_LEN]));
    out
}

impl AccountId {
    /// An account from its public key bytes.
    pub const fn new(public_key: [u8; 32]) -> Self {
        AccountId(public_key)
    }

    /// The public key bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The SS58 address with Bittensor's prefix 42.
    pub fn to_ss58(&self) -> String {
        // Prefixes below 64 take one byte.
        let prefix = [42u8];
        let mut data = Vec::with_capacity(1 + KEY_LEN + CHECKSUM_LEN);
        data.extend_from_slice(&prefix);
        data.extend_from_slice(&self.0);
        data.extend_from_slice(&checksum(&prefix, &self.0));
        bs58::encode(data).into_string()
    }

    /// Decodes an SS58 address of any network, verifying its checksum; returns the account and
    /// the network prefix it carries.
    pub fn from_ss58_any_prefix(address: &str) -> Result<(Self, u16), Error> {
        let data = bs58::decode(address)
            .into_vec()
            .map_err(|_| Error::Ss58NotBase58 {
                input: address.to_owned(),
            })?;
        let bad_length = || Error::Ss58Length {
            input: address.to_owned(),
            len: data.len(),
        };
        let first = *data.first().ok_or_else(bad_length)?;
        let (prefix_len, prefix): (usize, u16) = match first {
            0..=63 => (1, u16::from(first)),
            64..=127 => {
                // Two-byte prefixes pack 14 bits as sp-core does.
                let second = *data.get(1).ok_or_else(bad_length)?;
                let lower = (first << 2) | (second >> 6);
                let upper = second & 0b0011_1111;
                (2, u16::from(lower) | (u16::from(upper) << 8))
            }
            _ => return Err(bad_length()),
        };
        let expected_len = prefix_len.saturating_add(KEY_LEN + CHECKSUM_LEN);
        if data.len() != expected_len {
            return Err(bad_length());
        }
        let (prefix_bytes, rest) = data.split_at(prefix_len);
        let (key, sum) = rest.split_at(KEY_LEN);
        if checksum(prefix_bytes, key) != sum {
            return Err(Error::Ss58Checksum {
                input: address.to_owned(),
            });
        }
        let mut bytes = [0u8; KEY_LEN];
        bytes.copy_from_slice(key);
        Ok((AccountId(bytes), prefix))
    }

    /// Decodes a Bittensor SS58 address (prefix 42), verifying its checksum.
    pub fn from_ss58(address: &str) -> Result<Self, Error> {
        let (account, prefix) = Self::from_ss58_any_prefix(address)?;
        if prefix != SS58_PREFIX {
            return Err(Error::Ss58Prefix {
                input: address.to_owned(),
                found: prefix,
                expected: SS58_PREFIX,
            });
        }
        Ok(account)
    }

    /// The public key as `0x`-prefixed lowercase hex.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(2 + 2 * KEY_LEN);
        out.push_str("0x");
        for byte in self.0 {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_ss58())
    }
}

impl fmt::Debug for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccountId({})", self.to_ss58())
    }
}

impl FromStr for AccountId {
    type Err = Error;
    fn from_str(address: &str) -> Result<Self, Error> {
        Self::from_ss58(address.trim())
    }
}

impl From<[u8; 32]> for AccountId {
    fn from(bytes: [u8; 32]) -> Self {
        AccountId(bytes)
    }
}

impl Serialize for AccountId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_ss58())
    }
}

impl<'de> Deserialize<'de> for AccountId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let address = String::deserialize(deserializer)?;
        AccountId::from_ss58(&address).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALICE_HEX: &str = "d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d";
    const ALICE: &str = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";

    fn alice() -> AccountId {
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&ALICE_HEX[2 * i..2 * i + 2], 16).unwrap();
        }
        AccountId(bytes)
    }

    #[test]
    fn encodes_alice() {
        assert_eq!(alice().to_ss58(), ALICE);
        assert_eq!(alice().to_string(), ALICE);
        assert_eq!(alice().to_hex(), format!("0x{ALICE_HEX}"));
    }

    #[test]
    fn decodes_with_checksum() {
        assert_eq!(AccountId::from_ss58(ALICE), Ok(alice()));
        assert_eq!(ALICE.parse::<AccountId>(), Ok(alice()));
        // One changed character breaks the checksum (or the length).
        let typo = ALICE.replacen('G', "H", 1);
        assert!(matches!(
            AccountId::from_ss58(&typo),
            Err(Error::Ss58Checksum { .. } | Error::Ss58Length { .. })
        ));
        assert!(matches!(
            AccountId::from_ss58("0OIl"),
            Err(Error::Ss58NotBase58 { .. })
        ));
        assert!(matches!(
            AccountId::from_ss58("5Grwva"),
            Err(Error::Ss58Length { .. })
        ));
        assert!(matches!(
            AccountId::from_ss58(""),
            Err(Error::Ss58Length { .. })
        ));
    }

    #[test]
    fn rejects_other_networks() {
        // Alice on Polkadot (prefix 0) and Kusama (prefix 2).
        for (address, prefix) in [
            ("15oF4uVJwmo4TdGW7VfQxNLavjCXviqxT9S1MgbjMNHr6Sp5", 0),
            ("HNZata7iMYWmk5RvZRTiAsSDhV8366zq2YGb3tLH5Upf74F", 2),
        ] {
            assert_eq!(
                AccountId::from_ss58_any_prefix(address),
                Ok((alice(), prefix))
            );
            let err = AccountId::from_ss58(address).unwrap_err();
            assert!(
                matches!(err, Error::Ss58Prefix { found, expected: 42, .. } if found == prefix)
            );
            assert!(err.to_string().contains("prefix"));
        }
    }

    #[test]
    fn codecs() {
        assert_eq!(alice().encode(), alice().0.to_vec());
        assert_eq!(
            serde_json::to_string(&alice()).unwrap(),
            format!("\"{ALICE}\"")
        );
        let back: AccountId = serde_json::from_str(&format!("\"{ALICE}\"")).unwrap();
        assert_eq!(back, alice());
        assert!(serde_json::from_str::<AccountId>("\"5Grwva\"").is_err());
    }

    proptest! {
        #[test]
        fn round_trips(bytes in any::<[u8; 32]>()) {
            let account = AccountId(bytes);
            prop_assert_eq!(AccountId::from_ss58(&account.to_ss58()), Ok(account));
        }

        #[test]
        fn decoding_never_panics(s in "\\PC{0,60}") {
            let _ = AccountId::from_ss58(&s);
        }
    }
}

//! Identifiers: subnets, neurons and block numbers.

use core::fmt;
use parity_scale_codec::{Decode, Encode, MaxEncodedLen};
use serde::{Deserialize, Serialize};

/// A block height.
pub type BlockNumber = u64;

/// A subnet identifier. `NetUid::ROOT` (0) is the root network.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Encode,
    Decode,
    MaxEncodedLen,
    Serialize,
    Deserialize,
)]
#[serde(transparent)]
pub struct NetUid(pub u16);

impl NetUid {
    /// The root network.
    pub const ROOT: NetUid = NetUid(0);

    /// Whether this is the root network.
    pub fn is_root(self) -> bool {
        self == Self::ROOT
    }
}

impl fmt::Display for NetUid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<u16> for NetUid {
    fn from(value: u16) -> Self {
        NetUid(value)
    }
}

/// A neuron's position in a subnet (0-based, below the subnet's `max_allowed_uids`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    Encode,
    Decode,
    MaxEncodedLen,
    Serialize,
    Deserialize,
)]
#[serde(transparent)]
pub struct Uid(pub u16);

impl fmt::Display for Uid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<u16> for Uid {
    fn from(value: u16) -> Self {
        Uid(value)
    }
}

impl Uid {
    /// The uid as an index into per-uid vectors.
    pub fn index(self) -> usize {
        usize::from(self.0)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;

    #[test]
    fn scale_encoding_is_little_endian_u16() {
        assert_eq!(NetUid(0x0102).encode(), vec![0x02, 0x01]);
        assert_eq!(Uid::decode(&mut &[7u8, 0][..]).unwrap(), Uid(7));
        assert!(Uid::decode(&mut &[7u8][..]).is_err());
    }

    #[test]
    fn root_is_zero() {
        assert!(NetUid::ROOT.is_root());
        assert!(!NetUid(1).is_root());
        assert_eq!(serde_json::to_string(&NetUid(3)).unwrap(), "3");
    }
}

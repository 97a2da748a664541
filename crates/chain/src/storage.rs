//! Typed storage: each [`Item`] is a map from a SCALE-encoded key to a SCALE-encoded value under
//! a two-byte tag. Keys are fixed-width, so scanning by a leading part of a tuple key works.
//! The node persists exactly these bytes (and can build its state root over them).

use parity_scale_codec::{Decode, Encode};
use types::{AccountId, BlockNumber, NetUid, Uid};

use crate::params::Params;
use crate::schema::{
    AccountInfo, ColdkeyInfo, HotkeyInfo, Neuron, SharePool, Subnet, Totals, WeightCommit,
};

/// The storage format version written at genesis. Bump it (and migrate) when a record changes.
pub const STORAGE_VERSION: u32 = 1;

/// Fails unless the store holds this build's storage format (a node opening a database
/// written by another format must migrate first).
pub fn ensure_version(store: &dyn crate::store::StateStore) -> crate::error::Result<()> {
    let found = store
        .get(&Version::key(&()))?
        .and_then(|b| u32::decode(&mut &b[..]).ok());
    match found {
        Some(STORAGE_VERSION) => Ok(()),
        Some(v) => Err(crate::error::ChainError::Corrupt(format!(
            "storage version {v}, this build reads {STORAGE_VERSION}"
        ))),
        None => Err(crate::error::ChainError::Corrupt(
            "no storage version: not a chain state".into(),
        )),
    }
}

/// A typed map in the store.
pub trait Item {
    /// Two-byte prefix of every key of this item.
    const TAG: [u8; 2];
    /// Name for error messages.
    const NAME: &'static str;
    /// The key.
    type Key: Encode + Decode;
    /// The value.
    type Value: Encode + Decode;

    /// The full store key for `key`.
    fn key(key: &Self::Key) -> Vec<u8> {
        let mut out = Self::TAG.to_vec();
        key.encode_to(&mut out);
        out
    }
}

macro_rules! items {
    ($($(#[$doc:meta])* $name:ident = $tag:literal : $key:ty => $value:ty;)*) => {$(
        $(#[$doc])*
        pub struct $name;
        impl Item for $name {
            const TAG: [u8; 2] = *$tag;
            const NAME: &'static str = stringify!($name);
            type Key = $key;
            type Value = $value;
        }
    )*};
}

items! {
    /// The storage format version.
    Version = b"vr": () => u32;
    /// Chain-wide parameters.
    ParamsItem = b"pa": () => Params;
    /// Chain-wide counters.
    TotalsItem = b"to": () => Totals;
    /// TAO accounts.
    Accounts = b"ac": AccountId => AccountInfo;
    /// Subnets.
    Subnets = b"sn": NetUid => Subnet;
    /// Neurons by (subnet, uid).
    Neurons = b"ne": (NetUid, Uid) => Neuron;
    /// Uid of a hotkey on a subnet.
    Uids = b"ui": (NetUid, AccountId) => Uid;
    /// Hotkeys.
    Hotkeys = b"hk": AccountId => HotkeyInfo;
    /// Coldkeys' links.
    Coldkeys = b"ck": AccountId => ColdkeyInfo;
    /// A hotkey's share pool on a subnet.
    HotkeyPools = b"hp": (AccountId, NetUid) => SharePool;
    /// Shares of (hotkey, subnet, coldkey).
    StakeShares = b"st": (AccountId, NetUid, AccountId) => u128;
    /// Pending weight commits of (subnet, hotkey).
    WeightCommits = b"wc": (NetUid, AccountId) => Vec<WeightCommit>;
    /// Coldkey swaps due at a block: (block, old coldkey) → new coldkey.
    ColdkeySwapsDue = b"cs": (BlockNumber, AccountId) => AccountId;
    /// Children of (parent, subnet): (proportion u64-normalised, child).
    ChildKeys = b"cc": (AccountId, NetUid) => Vec<(u64, AccountId)>;
    /// Parents of (child, subnet): (proportion, parent).
    ParentKeys = b"cp": (AccountId, NetUid) => Vec<(u64, AccountId)>;
    /// Queued children of (subnet, parent): (children, block from which they may apply).
    PendingChildKeys = b"cq": (NetUid, AccountId) => (Vec<(u64, AccountId)>, BlockNumber);
    /// Childkey take of (hotkey, subnet): (take, block of the last increase).
    ChildkeyTakes = b"ct": (AccountId, NetUid) => (u16, BlockNumber);
    /// Last set_children of (parent, subnet).
    LastSetChildren = b"cl": (AccountId, NetUid) => BlockNumber;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_tag_then_scale() {
        let k = Neurons::key(&(NetUid(1), Uid(2)));
        assert_eq!(k, vec![b'n', b'e', 1, 0, 2, 0]);
    }

    #[test]
    fn version_is_checked() {
        let mut store = crate::store::MemoryStore::new();
        assert!(ensure_version(&store).is_err());
        crate::store::StateStore::put(&mut store, &Version::key(&()), 2u32.encode()).unwrap();
        assert!(ensure_version(&store).is_err());
        crate::store::StateStore::put(&mut store, &Version::key(&()), STORAGE_VERSION.encode())
            .unwrap();
        assert!(ensure_version(&store).is_ok());
    }

    #[test]
    fn tags_are_unique() {
        let tags = [
            Version::TAG,
            ParamsItem::TAG,
            TotalsItem::TAG,
            Accounts::TAG,
            Subnets::TAG,
            Neurons::TAG,
            Uids::TAG,
            Hotkeys::TAG,
            Coldkeys::TAG,
            HotkeyPools::TAG,
            StakeShares::TAG,
            WeightCommits::TAG,
            ColdkeySwapsDue::TAG,
            ChildKeys::TAG,
            ParentKeys::TAG,
            PendingChildKeys::TAG,
            ChildkeyTakes::TAG,
            LastSetChildren::TAG,
        ];
        let set: std::collections::BTreeSet<_> = tags.iter().collect();
        assert_eq!(set.len(), tags.len());
    }
}

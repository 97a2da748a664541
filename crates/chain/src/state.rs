//! [`State`]: typed access to the store during one block, plus the block's environment and the
//! events emitted so far. Every domain module works on a `State`; the runtime wraps each
//! transaction in its own overlay so a failing call leaves nothing behind.

use parity_scale_codec::{Decode, Encode};
use types::{AccountId, BlockNumber, NetUid};

use crate::error::{ChainError, Result};
use crate::events::Event;
use crate::params::Params;
use crate::schema::{AccountInfo, Subnet, Totals};
use crate::storage::{Accounts, Item, ParamsItem, Subnets, TotalsItem};
use crate::store::StateStore;

/// The block being built or applied.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub struct BlockEnv {
    /// Its height.
    pub number: BlockNumber,
    /// Its author (receives fees and tips); `None` recycles them.
    pub author: Option<AccountId>,
}

/// Typed state plus block environment and emitted events.
pub struct State<'a> {
    store: &'a mut dyn StateStore,
    env: BlockEnv,
    events: Vec<Event>,
}

impl<'a> State<'a> {
    /// A view over `store` for the block `env`.
    pub fn new(store: &'a mut dyn StateStore, env: BlockEnv) -> Self {
        Self {
            store,
            env,
            events: Vec::new(),
        }
    }

    /// The current block number.
    pub fn block(&self) -> BlockNumber {
        self.env.number
    }

    /// The block environment.
    pub fn env(&self) -> &BlockEnv {
        &self.env
    }

    /// Records an event.
    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    /// The events recorded so far, leaving none.
    pub fn take_events(&mut self) -> Vec<Event> {
        core::mem::take(&mut self.events)
    }

    /// Reads one value.
    pub fn get<I: Item>(&self, key: &I::Key) -> Result<Option<I::Value>> {
        match self.store.get(&I::key(key))? {
            None => Ok(None),
            Some(bytes) => I::Value::decode(&mut &bytes[..])
                .map(Some)
                .map_err(|_| ChainError::Corrupt(I::NAME.into())),
        }
    }

    /// Reads one value or its default.
    pub fn get_or_default<I: Item>(&self, key: &I::Key) -> Result<I::Value>
    where
        I::Value: Default,
    {
        Ok(self.get::<I>(key)?.unwrap_or_default())
    }

    /// Writes one value.
    pub fn put<I: Item>(&mut self, key: &I::Key, value: &I::Value) -> Result<()> {
        self.store.put(&I::key(key), value.encode())
    }

    /// Deletes one value.
    pub fn remove<I: Item>(&mut self, key: &I::Key) -> Result<()> {
        self.store.delete(&I::key(key))
    }

    /// Every entry of `I` whose key starts with the encoding of `prefix`, in key-byte order.
    pub fn scan<I: Item, P: Encode>(&self, prefix: &P) -> Result<Vec<(I::Key, I::Value)>> {
        let mut full = I::TAG.to_vec();
        prefix.encode_to(&mut full);
        let corrupt = || ChainError::Corrupt(I::NAME.into());
        self.store
            .scan_prefix(&full)?
            .into_iter()
            .map(|(k, v)| {
                let key_bytes = k.get(I::TAG.len()..).ok_or_else(corrupt)?;
                let key = I::Key::decode(&mut &key_bytes[..]).map_err(|_| corrupt())?;
                let value = I::Value::decode(&mut &v[..]).map_err(|_| corrupt())?;
                Ok((key, value))
            })
            .collect()
    }

    /// Chain-wide parameters.
    pub fn params(&self) -> Result<Params> {
        self.get::<ParamsItem>(&())?
            .ok_or_else(|| ChainError::Corrupt("Params missing".into()))
    }

    /// Stores chain-wide parameters.
    pub fn put_params(&mut self, p: &Params) -> Result<()> {
        self.put::<ParamsItem>(&(), p)
    }

    /// Chain-wide counters.
    pub fn totals(&self) -> Result<Totals> {
        self.get_or_default::<TotalsItem>(&())
    }

    /// Stores chain-wide counters.
    pub fn put_totals(&mut self, t: &Totals) -> Result<()> {
        self.put::<TotalsItem>(&(), t)
    }

    /// An account (an unknown account is empty).
    pub fn account(&self, who: &AccountId) -> Result<AccountInfo> {
        self.get_or_default::<Accounts>(who)
    }

    /// Stores an account; an empty account with nonce 0 is removed.
    pub fn put_account(&mut self, who: &AccountId, info: &AccountInfo) -> Result<()> {
        if *info == AccountInfo::default() {
            self.remove::<Accounts>(who)
        } else {
            self.put::<Accounts>(who, info)
        }
    }

    /// A subnet, or `SubnetNotExists`.
    pub fn subnet(&self, netuid: NetUid) -> Result<Subnet> {
        self.get::<Subnets>(&netuid)?
            .ok_or(ChainError::SubnetNotExists(netuid))
    }

    /// Whether a subnet exists.
    pub fn subnet_exists(&self, netuid: NetUid) -> Result<bool> {
        Ok(self.store.get(&Subnets::key(&netuid))?.is_some())
    }

    /// Stores a subnet.
    pub fn put_subnet(&mut self, subnet: &Subnet) -> Result<()> {
        self.put::<Subnets>(&subnet.netuid, subnet)
    }

    /// All subnets in netuid order.
    pub fn subnets(&self) -> Result<Vec<Subnet>> {
        let mut all: Vec<Subnet> = self
            .scan::<Subnets, ()>(&())?
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        all.sort_by_key(|s| s.netuid);
        Ok(all)
    }

    /// Fails unless `signer` is the sudo key.
    pub fn ensure_sudo(&self, signer: &AccountId) -> Result<()> {
        if self.params()?.sudo.as_ref() == Some(signer) {
            Ok(())
        } else {
            Err(ChainError::NotSudo)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Uids;
    use crate::store::MemoryStore;
    use types::Uid;

    #[test]
    fn typed_get_put_scan_and_account_reaping() {
        let mut store = MemoryStore::new();
        let mut st = State::new(&mut store, BlockEnv::default());
        let (a, b) = (AccountId::new([1; 32]), AccountId::new([2; 32]));
        st.put::<Uids>(&(NetUid(1), b), &Uid(5)).unwrap();
        st.put::<Uids>(&(NetUid(1), a), &Uid(4)).unwrap();
        st.put::<Uids>(&(NetUid(2), a), &Uid(9)).unwrap();
        let on1 = st.scan::<Uids, _>(&NetUid(1)).unwrap();
        assert_eq!(
            on1,
            vec![((NetUid(1), a), Uid(4)), ((NetUid(1), b), Uid(5))]
        );
        assert_eq!(st.get::<Uids>(&(NetUid(2), a)).unwrap(), Some(Uid(9)));
        st.remove::<Uids>(&(NetUid(2), a)).unwrap();
        assert_eq!(st.get::<Uids>(&(NetUid(2), a)).unwrap(), None);
        // an empty account with nonce 0 is not stored; one with a nonce is
        st.put_account(&a, &AccountInfo::default()).unwrap();
        assert!(st.get::<Accounts>(&a).unwrap().is_none());
        st.put_account(
            &a,
            &AccountInfo {
                nonce: 1,
                ..AccountInfo::default()
            },
        )
        .unwrap();
        assert_eq!(st.account(&a).unwrap().nonce, 1);
        assert_eq!(
            st.subnet(NetUid(3)).unwrap_err(),
            ChainError::SubnetNotExists(NetUid(3))
        );
        assert!(matches!(st.params(), Err(ChainError::Corrupt(_))));
    }

    #[test]
    fn corrupt_values_are_reported_not_panicked() {
        let mut store = MemoryStore::new();
        store
            .put(&Accounts::key(&AccountId::new([1; 32])), vec![1, 2])
            .unwrap();
        let st = State::new(&mut store, BlockEnv::default());
        assert_eq!(
            st.account(&AccountId::new([1; 32])).unwrap_err(),
            ChainError::Corrupt("Accounts".into())
        );
    }
}

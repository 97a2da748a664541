//! `chain::StateStore` over a node snapshot, so `chain::queries` read the finalized state.

use chain::store::{StateStore, storage_error};
use node::store::{Entries, Snapshot, StateRead};

/// A read-only store over the finalized state.
pub struct SnapshotStore(pub Snapshot);

impl StateStore for SnapshotStore {
    fn get(&self, key: &[u8]) -> chain::error::Result<Option<Vec<u8>>> {
        self.0.get(key).map_err(storage_error)
    }
    fn put(&mut self, _key: &[u8], _value: Vec<u8>) -> chain::error::Result<()> {
        Err(storage_error("the RPC's state view is read-only"))
    }
    fn delete(&mut self, _key: &[u8]) -> chain::error::Result<()> {
        Err(storage_error("the RPC's state view is read-only"))
    }
    fn scan_prefix(&self, prefix: &[u8]) -> chain::error::Result<Entries> {
        self.0.scan_prefix(prefix).map_err(storage_error)
    }
}

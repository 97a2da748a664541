//! Raw key-value state: the [`StateStore`] trait the node implements over its database, an
//! in-memory [`MemoryStore`], and an [`Overlay`] that buffers writes over any store so a block,
//! a transaction or a dry run can be committed or thrown away as a whole.
//!
//! Keys and values are SCALE bytes; the typed layer is `storage.rs`. Iteration is always in
//! key-byte order, so the state machine never depends on hash-map order.

use std::collections::BTreeMap;
use std::ops::Bound;

use crate::error::{ChainError, Result};

/// A byte-keyed store. The node implements this over redb; tests use [`MemoryStore`].
pub trait StateStore {
    /// The value at `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Writes `value` at `key`.
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<()>;
    /// Removes `key`.
    fn delete(&mut self, key: &[u8]) -> Result<()>;
    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;
}

/// An in-memory store (tests, benches, genesis building).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryStore {
    map: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// All entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Vec<u8>)> {
        self.map.iter()
    }
}

/// Keys from `prefix` onwards that still start with it.
fn prefix_range<'a, V>(
    map: &'a BTreeMap<Vec<u8>, V>,
    prefix: &'a [u8],
) -> impl Iterator<Item = (&'a Vec<u8>, &'a V)> + 'a {
    map.range::<[u8], _>((Bound::Included(prefix), Bound::Unbounded))
        .take_while(move |(k, _)| k.starts_with(prefix))
}

impl StateStore for MemoryStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.map.get(key).cloned())
    }
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<()> {
        self.map.insert(key.to_vec(), value);
        Ok(())
    }
    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.map.remove(key);
        Ok(())
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        Ok(prefix_range(&self.map, prefix)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }
}

/// Buffered changes: `Some(value)` is a write, `None` a deletion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeSet {
    changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl ChangeSet {
    /// The changes in key order (what the node writes to its database and state tree).
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Option<Vec<u8>>)> {
        self.changes.iter()
    }

    /// Number of changed keys.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The changes as a map (`Some` writes, `None` deletes).
    pub fn into_map(self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        self.changes
    }

    /// Changes from a map.
    pub fn from_map(changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Self {
        Self { changes }
    }

    /// Writes the changes into `store`.
    pub fn apply_to(self, store: &mut dyn StateStore) -> Result<()> {
        for (key, value) in self.changes {
            match value {
                Some(v) => store.put(&key, v)?,
                None => store.delete(&key)?,
            }
        }
        Ok(())
    }
}

/// Writes buffered over a read-only base. Reads see the buffered writes first.
pub struct Overlay<'a> {
    base: &'a dyn StateStore,
    changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a> Overlay<'a> {
    /// An empty overlay over `base`.
    pub fn new(base: &'a dyn StateStore) -> Self {
        Self {
            base,
            changes: BTreeMap::new(),
        }
    }

    /// The buffered changes, releasing the base.
    pub fn into_changes(self) -> ChangeSet {
        ChangeSet {
            changes: self.changes,
        }
    }
}

impl StateStore for Overlay<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.changes.get(key) {
            Some(change) => Ok(change.clone()),
            None => self.base.get(key),
        }
    }
    fn put(&mut self, key: &[u8], value: Vec<u8>) -> Result<()> {
        self.changes.insert(key.to_vec(), Some(value));
        Ok(())
    }
    fn delete(&mut self, key: &[u8]) -> Result<()> {
        self.changes.insert(key.to_vec(), None);
        Ok(())
    }
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.base.scan_prefix(prefix)?.into_iter().collect();
        for (key, change) in prefix_range(&self.changes, prefix) {
            match change {
                Some(v) => {
                    merged.insert(key.clone(), v.clone());
                }
                None => {
                    merged.remove(key);
                }
            }
        }
        Ok(merged.into_iter().collect())
    }
}

/// A store error from a database implementation.
pub fn storage_error(what: impl core::fmt::Display) -> ChainError {
    ChainError::Storage(what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_reads_its_writes_and_hides_deletes() {
        let mut base = MemoryStore::new();
        base.put(b"a1", vec![1]).unwrap();
        base.put(b"a2", vec![2]).unwrap();
        base.put(b"b1", vec![3]).unwrap();
        let mut ov = Overlay::new(&base);
        ov.put(b"a3", vec![4]).unwrap();
        ov.delete(b"a1").unwrap();
        assert_eq!(ov.get(b"a1").unwrap(), None);
        assert_eq!(ov.get(b"a2").unwrap(), Some(vec![2]));
        let keys: Vec<_> = ov
            .scan_prefix(b"a")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, vec![b"a2".to_vec(), b"a3".to_vec()]);
        // base unchanged until applied
        assert_eq!(base.get(b"a1").unwrap(), Some(vec![1]));
        let changes = ov.into_changes();
        assert_eq!(changes.len(), 2);
        changes.apply_to(&mut base).unwrap();
        assert_eq!(base.get(b"a1").unwrap(), None);
        assert_eq!(base.get(b"a3").unwrap(), Some(vec![4]));
    }

    #[test]
    fn nested_overlays_discard_cleanly() {
        let base = MemoryStore::new();
        let mut outer = Overlay::new(&base);
        outer.put(b"k", vec![1]).unwrap();
        {
            let mut inner = Overlay::new(&outer);
            inner.put(b"k", vec![2]).unwrap();
            assert_eq!(inner.get(b"k").unwrap(), Some(vec![2]));
            // dropped: discarded
        }
        assert_eq!(outer.get(b"k").unwrap(), Some(vec![1]));
        let mut inner = Overlay::new(&outer);
        inner.delete(b"k").unwrap();
        let changes = inner.into_changes();
        changes.apply_to(&mut outer).unwrap();
        assert_eq!(outer.get(b"k").unwrap(), None);
    }
}

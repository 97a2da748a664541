//! The state database: redb tables for the flat state, the jmt tree and the chain indexes.
//!
//! Committing a block writes its state changes, the new jmt nodes, the new root and the head
//! (height, hash) plus the block's indexes in ONE redb write transaction, so a crash leaves either
//! the whole block or nothing. Reads go through [`Snapshot`] (a redb read transaction), which sees
//! one committed block and never a half-written one.
//!
//! Blocks that are executed but not yet finalized live in memory as [`Layer`]s (their change set
//! and jmt nodes); [`LayeredState`] and [`LayeredTree`] read through a chain of them on top of a
//! snapshot, which is how a child of an unfinalized parent is executed and its root computed.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, Version};
use redb::{
    Database, Durability, ReadTransaction, ReadableDatabase, ReadableTable, TableDefinition,
    backends::InMemoryBackend,
};
use sha2::Sha256;

/// Key/value pairs in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Pending state changes: `Some(value)` writes, `None` deletes.
pub type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A 32-byte hash.
pub type Hash32 = [u8; 32];

/// The root of an empty jmt (the value jmt itself uses for an empty subtree).
pub const EMPTY_ROOT: Hash32 = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

const STATE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state");
const JMT_NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");
/// `key hash (32) ++ version (8, big endian)` → `0` (deleted) or `1 ++ value`.
const JMT_VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_values");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const BLOCK_HASHES: TableDefinition<u64, &[u8]> = TableDefinition::new("block_hash_by_height");
const BLOCK_HEIGHTS: TableDefinition<&[u8], u64> = TableDefinition::new("block_height_by_hash");
/// `tx hash` → `height (8) ++ index (4) ++ receipt bytes`.
const TXS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("tx_by_hash");

const META_HEAD: &str = "head";

/// Errors of the state database.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// redb failed (I/O, corruption, transaction error).
    #[error("state database: {0}")]
    Db(String),
    /// The jmt failed (a missing node means the database does not hold the parent's tree).
    #[error("state tree: {0}")]
    Tree(String),
    /// Stored bytes do not decode.
    #[error("corrupt state database: {0}")]
    Corrupt(String),
    /// A block was committed out of order.
    #[error("block {got} committed on top of head {head:?}: blocks must be committed in order")]
    OutOfOrder {
        /// The committed head height, if any.
        head: Option<u64>,
        /// The height being committed.
        got: u64,
    },
}

macro_rules! db_error {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(e.to_string())
            }
        }
    )*};
}
db_error!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    redb::SetDurabilityError
);

/// Read access to state, the view the state machine executes against.
pub trait StateRead {
    /// The value at `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StoreError>;
}

/// The last committed block.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, parity_scale_codec::Encode, parity_scale_codec::Decode,
)]
pub struct Head {
    /// Block height (0 = genesis).
    pub height: u64,
    /// Block hash.
    pub hash: Hash32,
    /// State root after the block.
    pub state_root: Hash32,
    /// The jmt version holding `state_root`; `None` while the tree is empty. Versions only
    /// advance on blocks that change state (jmt needs the previous version's root to exist).
    pub tree_version: Option<u64>,
}

/// A block's executed state, ready to commit or to build children on.
#[derive(Debug, Clone, Default)]
pub struct Layer {
    /// State changes of the block.
    pub changes: Arc<Changes>,
    /// jmt nodes and values written by the block (`None` if state did not change).
    pub nodes: Option<Arc<NodeBatch>>,
    /// State root after the block.
    pub state_root: Hash32,
    /// jmt version of `state_root`.
    pub tree_version: Option<u64>,
}

/// What to index for a committed block.
#[derive(Debug, Clone, Default)]
pub struct BlockIndex {
    /// Block height.
    pub height: u64,
    /// Block hash.
    pub hash: Hash32,
    /// `(tx hash, receipt bytes)` in block order.
    pub txs: Vec<(Hash32, Vec<u8>)>,
}

/// Where a transaction landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxLocation {
    /// Block height.
    pub height: u64,
    /// Index in the block.
    pub index: u32,
    /// The state machine's receipt bytes.
    pub receipt: Vec<u8>,
}

/// The redb state database. Cheap to clone.
#[derive(Clone)]
pub struct StateDb {
    db: Arc<Database>,
    durability: Durability,
}

impl std::fmt::Debug for StateDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StateDb").finish_non_exhaustive()
    }
}

impl StateDb {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let db = Database::create(path)?;
        Self::init(db)
    }

    /// An in-memory database (tests, benches, throwaway dev chains).
    pub fn in_memory() -> Result<Self, StoreError> {
        let db = Database::builder().create_with_backend(InMemoryBackend::new())?;
        Self::init(db)
    }

    fn init(db: Database) -> Result<Self, StoreError> {
        // Create every table up front so read transactions never see a missing table.
        let tx = db.begin_write()?;
        tx.open_table(STATE)?;
        tx.open_table(JMT_NODES)?;
        tx.open_table(JMT_VALUES)?;
        tx.open_table(META)?;
        tx.open_table(BLOCK_HASHES)?;
        tx.open_table(BLOCK_HEIGHTS)?;
        tx.open_table(TXS)?;
        tx.commit()?;
        Ok(Self {
            db: Arc::new(db),
            durability: Durability::Immediate,
        })
    }

    /// A consistent read view of the last committed block.
    pub fn snapshot(&self) -> Result<Snapshot, StoreError> {
        Ok(Snapshot {
            tx: Arc::new(self.db.begin_read()?),
        })
    }

    /// The last committed block, `None` before genesis.
    pub fn head(&self) -> Result<Option<Head>, StoreError> {
        self.snapshot()?.head()
    }

    /// Commits a block: its changes, tree nodes, head and indexes, atomically.
    ///
    /// `layer` must have been computed on top of the current head (or an empty database for
    /// genesis); the heights must follow each other.
    pub fn commit(&self, layer: &Layer, index: &BlockIndex) -> Result<Head, StoreError> {
        let mut tx = self.db.begin_write()?;
        tx.set_durability(self.durability)?;
        let head = {
            let meta = tx.open_table(META)?;
            let current = match meta.get(META_HEAD)? {
                Some(bytes) => Some(decode_head(bytes.value())?),
                None => None,
            };
            let expected = current.map_or(0, |h| h.height.saturating_add(1));
            if index.height != expected || (current.is_some() && index.height == 0) {
                return Err(StoreError::OutOfOrder {
                    head: current.map(|h| h.height),
                    got: index.height,
                });
            }
            Head {
                height: index.height,
                hash: index.hash,
                state_root: layer.state_root,
                tree_version: layer.tree_version,
            }
        };
        {
            let mut state = tx.open_table(STATE)?;
            for (key, value) in layer.changes.iter() {
                match value {
                    Some(v) => {
                        state.insert(key.as_slice(), v.as_slice())?;
                    }
                    None => {
                        state.remove(key.as_slice())?;
                    }
                }
            }
        }
        if let Some(batch) = &layer.nodes {
            let mut nodes = tx.open_table(JMT_NODES)?;
            for (key, node) in batch.nodes() {
                nodes.insert(
                    encode_borsh(key)?.as_slice(),
                    encode_borsh(node)?.as_slice(),
                )?;
            }
            let mut values = tx.open_table(JMT_VALUES)?;
            for ((version, key_hash), value) in batch.values() {
                let mut stored = Vec::with_capacity(value.as_ref().map_or(1, |v| v.len() + 1));
                match value {
                    Some(v) => {
                        stored.push(1);
                        stored.extend_from_slice(v);
                    }
                    None => stored.push(0),
                }
                values.insert(value_key(key_hash, *version).as_slice(), stored.as_slice())?;
            }
        }
        {
            let mut hashes = tx.open_table(BLOCK_HASHES)?;
            hashes.insert(index.height, index.hash.as_slice())?;
            let mut heights = tx.open_table(BLOCK_HEIGHTS)?;
            heights.insert(index.hash.as_slice(), index.height)?;
            let mut txs = tx.open_table(TXS)?;
            for (i, (hash, receipt)) in index.txs.iter().enumerate() {
                let mut v = Vec::with_capacity(12 + receipt.len());
                v.extend_from_slice(&index.height.to_be_bytes());
                v.extend_from_slice(&u32::try_from(i).unwrap_or(u32::MAX).to_be_bytes());
                v.extend_from_slice(receipt);
                txs.insert(hash.as_slice(), v.as_slice())?;
            }
        }
        {
            let mut meta = tx.open_table(META)?;
            let encoded = parity_scale_codec::Encode::encode(&head);
            meta.insert(META_HEAD, encoded.as_slice())?;
        }
        tx.commit()?;
        Ok(head)
    }
}

/// Computes the state root of `changes` applied on top of `tree` (whose root is at
/// `base_version`), returning the new layer.
pub fn compute_layer<R: TreeReader>(
    tree: &R,
    base_root: Hash32,
    base_version: Option<u64>,
    changes: Changes,
) -> Result<Layer, StoreError> {
    if changes.is_empty() {
        return Ok(Layer {
            changes: Arc::new(changes),
            nodes: None,
            state_root: base_root,
            tree_version: base_version,
        });
    }
    let version: Version = base_version.map_or(0, |v| v.saturating_add(1));
    let jmt = JellyfishMerkleTree::<R, Sha256>::new(tree);
    let set = changes
        .iter()
        .map(|(k, v)| (KeyHash::with::<Sha256>(k), v.clone()));
    let (root, batch) = jmt
        .put_value_set(set, version)
        .map_err(|e| StoreError::Tree(e.to_string()))?;
    Ok(Layer {
        changes: Arc::new(changes),
        nodes: Some(Arc::new(batch.node_batch)),
        state_root: root.0,
        tree_version: Some(version),
    })
}

fn value_key(key_hash: &KeyHash, version: Version) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..32].copy_from_slice(&key_hash.0);
    k[32..].copy_from_slice(&version.to_be_bytes());
    k
}

fn encode_borsh<T: borsh::BorshSerialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    borsh::to_vec(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode_head(bytes: &[u8]) -> Result<Head, StoreError> {
    <Head as parity_scale_codec::DecodeAll>::decode_all(&mut &bytes[..])
        .map_err(|e| StoreError::Corrupt(format!("head: {e}")))
}

/// A read view of one committed block (a redb read transaction). Cheap to clone.
#[derive(Clone)]
pub struct Snapshot {
    tx: Arc<ReadTransaction>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot").finish_non_exhaustive()
    }
}

impl Snapshot {
    /// The committed head this snapshot sees.
    pub fn head(&self) -> Result<Option<Head>, StoreError> {
        let meta = self.tx.open_table(META)?;
        match meta.get(META_HEAD)? {
            Some(bytes) => Ok(Some(decode_head(bytes.value())?)),
            None => Ok(None),
        }
    }

    /// The hash of the committed block at `height`.
    pub fn block_hash(&self, height: u64) -> Result<Option<Hash32>, StoreError> {
        let t = self.tx.open_table(BLOCK_HASHES)?;
        match t.get(height)? {
            Some(v) => Ok(Some(to_hash(v.value())?)),
            None => Ok(None),
        }
    }

    /// The height of the committed block with `hash`.
    pub fn block_height(&self, hash: &Hash32) -> Result<Option<u64>, StoreError> {
        let t = self.tx.open_table(BLOCK_HEIGHTS)?;
        Ok(t.get(hash.as_slice())?.map(|v| v.value()))
    }

    /// Where a committed transaction landed, with its receipt.
    pub fn transaction(&self, hash: &Hash32) -> Result<Option<TxLocation>, StoreError> {
        let t = self.tx.open_table(TXS)?;
        let Some(v) = t.get(hash.as_slice())? else {
            return Ok(None);
        };
        let v = v.value();
        let (h, rest) = v
            .split_first_chunk::<8>()
            .ok_or_else(|| StoreError::Corrupt("tx index".into()))?;
        let (i, receipt) = rest
            .split_first_chunk::<4>()
            .ok_or_else(|| StoreError::Corrupt("tx index".into()))?;
        Ok(Some(TxLocation {
            height: u64::from_be_bytes(*h),
            index: u32::from_be_bytes(*i),
            receipt: receipt.to_vec(),
        }))
    }
}

fn to_hash(bytes: &[u8]) -> Result<Hash32, StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("hash length".into()))
}

impl StateRead for Snapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let t = self.tx.open_table(STATE)?;
        Ok(t.get(key)?.map(|v| v.value().to_vec()))
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StoreError> {
        let t = self.tx.open_table(STATE)?;
        let mut out = Vec::new();
        for item in t.range(prefix..)? {
            let (k, v) = item?;
            if !k.value().starts_with(prefix) {
                break;
            }
            out.push((k.value().to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }
}

impl TreeReader for Snapshot {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow_result::Result<Option<Node>> {
        let t = self.tx.open_table(JMT_NODES).map_err(anyhow_result::err)?;
        let key = borsh::to_vec(node_key).map_err(anyhow_result::err)?;
        match t.get(key.as_slice()).map_err(anyhow_result::err)? {
            Some(v) => Ok(Some(
                borsh::from_slice(v.value()).map_err(anyhow_result::err)?,
            )),
            None => Ok(None),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow_result::Result<Option<OwnedValue>> {
        let t = self.tx.open_table(JMT_VALUES).map_err(anyhow_result::err)?;
        let lo = value_key(&key_hash, 0);
        let hi = value_key(&key_hash, max_version);
        let last = t
            .range(lo.as_slice()..=hi.as_slice())
            .map_err(anyhow_result::err)?
            .next_back();
        match last {
            Some(item) => {
                let (_, v) = item.map_err(anyhow_result::err)?;
                Ok(match v.value().split_first() {
                    Some((1, value)) => Some(value.to_vec()),
                    _ => None,
                })
            }
            None => Ok(None),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow_result::Result<Option<(NodeKey, LeafNode)>> {
        // Only used by jmt's restore (state sync), which the node does not use yet.
        Err(anyhow_result::err("get_rightmost_leaf is not supported"))
    }
}

/// jmt's reader traits return `anyhow::Result`.
mod anyhow_result {
    pub type Result<T> = anyhow::Result<T>;
    pub fn err(e: impl std::fmt::Display) -> anyhow::Error {
        anyhow::anyhow!("{e}")
    }
}

/// State as seen through unfinalized ancestors (oldest first) on top of a snapshot.
pub struct LayeredState<'a> {
    base: &'a Snapshot,
    layers: &'a [Layer],
}

impl<'a> LayeredState<'a> {
    /// Reads `layers` (oldest first) over `base`.
    pub fn new(base: &'a Snapshot, layers: &'a [Layer]) -> Self {
        Self { base, layers }
    }
}

impl StateRead for LayeredState<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        for layer in self.layers.iter().rev() {
            if let Some(v) = layer.changes.get(key) {
                return Ok(v.clone());
            }
        }
        self.base.get(key)
    }

    fn scan_prefix(&self, prefix: &[u8]) -> Result<Entries, StoreError> {
        if self.layers.is_empty() {
            return self.base.scan_prefix(prefix);
        }
        let mut merged: BTreeMap<Vec<u8>, Vec<u8>> =
            self.base.scan_prefix(prefix)?.into_iter().collect();
        for layer in self.layers {
            for (k, v) in layer
                .changes
                .range::<[u8], _>((
                    std::ops::Bound::Included(prefix),
                    std::ops::Bound::Unbounded,
                ))
                .take_while(|(k, _)| k.starts_with(prefix))
            {
                match v {
                    Some(v) => merged.insert(k.clone(), v.clone()),
                    None => merged.remove(k),
                };
            }
        }
        Ok(merged.into_iter().collect())
    }
}

/// The jmt as seen through unfinalized ancestors on top of a snapshot.
pub struct LayeredTree<'a> {
    base: &'a Snapshot,
    layers: &'a [Layer],
}

impl<'a> LayeredTree<'a> {
    /// Reads `layers` (oldest first) over `base`.
    pub fn new(base: &'a Snapshot, layers: &'a [Layer]) -> Self {
        Self { base, layers }
    }
}

impl TreeReader for LayeredTree<'_> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow_result::Result<Option<Node>> {
        for layer in self.layers.iter().rev() {
            if let Some(batch) = &layer.nodes
                && let Some(node) = batch.nodes().get(node_key)
            {
                return Ok(Some(node.clone()));
            }
        }
        self.base.get_node_option(node_key)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow_result::Result<Option<OwnedValue>> {
        for layer in self.layers.iter().rev() {
            if let Some(batch) = &layer.nodes {
                let newest = batch
                    .values()
                    .range((0, key_hash)..=(max_version, key_hash))
                    .rfind(|((_, k), _)| *k == key_hash);
                if let Some((_, v)) = newest {
                    return Ok(v.clone());
                }
            }
        }
        self.base.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow_result::Result<Option<(NodeKey, LeafNode)>> {
        Err(anyhow_result::err("get_rightmost_leaf is not supported"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changes(pairs: &[(&str, Option<&str>)]) -> Changes {
        pairs
            .iter()
            .map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec())))
            .collect()
    }

    /// Executes `c` on the committed head and commits it as block `height`.
    fn commit_block(db: &StateDb, height: u64, c: Changes) -> Head {
        let snap = db.snapshot().unwrap();
        let head = snap.head().unwrap();
        let base_root = head.map_or(EMPTY_ROOT, |h| h.state_root);
        let layer = compute_layer(&snap, base_root, head.and_then(|h| h.tree_version), c).unwrap();
        let index = BlockIndex {
            height,
            hash: [height as u8; 32],
            txs: vec![([height as u8 + 100; 32], vec![1, 2])],
        };
        db.commit(&layer, &index).unwrap()
    }

    #[test]
    fn commits_state_root_and_indexes() {
        let db = StateDb::in_memory().unwrap();
        assert_eq!(db.head().unwrap(), None);
        let h0 = commit_block(&db, 0, changes(&[("a", Some("1")), ("b", Some("2"))]));
        let h1 = commit_block(&db, 1, changes(&[("a", None), ("c", Some("3"))]));
        assert_ne!(h0.state_root, h1.state_root);
        let snap = db.snapshot().unwrap();
        assert_eq!(snap.head().unwrap(), Some(h1));
        assert_eq!(snap.get(b"a").unwrap(), None);
        assert_eq!(snap.get(b"c").unwrap(), Some(b"3".to_vec()));
        assert_eq!(snap.block_hash(1).unwrap(), Some([1; 32]));
        assert_eq!(snap.block_height(&[0; 32]).unwrap(), Some(0));
        let loc = snap.transaction(&[101; 32]).unwrap().unwrap();
        assert_eq!((loc.height, loc.index, loc.receipt), (1, 0, vec![1, 2]));
    }

    #[test]
    fn root_depends_only_on_state_not_history() {
        let a = StateDb::in_memory().unwrap();
        commit_block(&a, 0, changes(&[("x", Some("1"))]));
        let ha = commit_block(&a, 1, changes(&[("y", Some("2"))]));
        let b = StateDb::in_memory().unwrap();
        let hb = commit_block(&b, 0, changes(&[("y", Some("2")), ("x", Some("1"))]));
        assert_eq!(ha.state_root, hb.state_root);
    }

    #[test]
    fn empty_block_keeps_root_and_version() {
        let db = StateDb::in_memory().unwrap();
        let h0 = commit_block(&db, 0, changes(&[("x", Some("1"))]));
        let h1 = commit_block(&db, 1, Changes::new());
        assert_eq!(h0.state_root, h1.state_root);
        assert_eq!(h0.tree_version, h1.tree_version);
        let h2 = commit_block(&db, 2, changes(&[("x", Some("2"))]));
        assert_ne!(h2.state_root, h1.state_root);
    }

    #[test]
    fn layered_execution_matches_committed_execution() {
        // Two unfinalized blocks on top of a snapshot give the same root as committing them.
        let db = StateDb::in_memory().unwrap();
        let h0 = commit_block(&db, 0, changes(&[("a", Some("1"))]));
        let snap = db.snapshot().unwrap();
        let l1 = compute_layer(
            &snap,
            h0.state_root,
            h0.tree_version,
            changes(&[("b", Some("2"))]),
        )
        .unwrap();
        let layers = vec![l1.clone()];
        let l2 = compute_layer(
            &LayeredTree::new(&snap, &layers),
            l1.state_root,
            l1.tree_version,
            changes(&[("a", None), ("c", Some("3"))]),
        )
        .unwrap();
        let view = LayeredState::new(&snap, &layers);
        assert_eq!(view.get(b"b").unwrap(), Some(b"2".to_vec()));
        assert_eq!(view.scan_prefix(b"").unwrap().len(), 2);

        db.commit(
            &l1,
            &BlockIndex {
                height: 1,
                hash: [1; 32],
                txs: vec![],
            },
        )
        .unwrap();
        let h2 = db
            .commit(
                &l2,
                &BlockIndex {
                    height: 2,
                    hash: [2; 32],
                    txs: vec![],
                },
            )
            .unwrap();
        assert_eq!(h2.state_root, l2.state_root);

        let direct = StateDb::in_memory().unwrap();
        let d = commit_block(&direct, 0, changes(&[("b", Some("2")), ("c", Some("3"))]));
        assert_eq!(d.state_root, h2.state_root);
    }

    #[test]
    fn out_of_order_commit_is_rejected_and_changes_nothing() {
        let db = StateDb::in_memory().unwrap();
        let h0 = commit_block(&db, 0, changes(&[("a", Some("1"))]));
        let snap = db.snapshot().unwrap();
        let layer = compute_layer(
            &snap,
            h0.state_root,
            h0.tree_version,
            changes(&[("a", Some("9"))]),
        )
        .unwrap();
        let err = db
            .commit(
                &layer,
                &BlockIndex {
                    height: 5,
                    hash: [5; 32],
                    txs: vec![],
                },
            )
            .unwrap_err();
        assert!(matches!(
            err,
            StoreError::OutOfOrder {
                head: Some(0),
                got: 5
            }
        ));
        assert_eq!(db.head().unwrap(), Some(h0));
        assert_eq!(
            db.snapshot().unwrap().get(b"a").unwrap(),
            Some(b"1".to_vec())
        );
    }

    #[test]
    fn snapshot_is_isolated_from_later_commits() {
        let db = StateDb::in_memory().unwrap();
        commit_block(&db, 0, changes(&[("a", Some("1"))]));
        let old = db.snapshot().unwrap();
        commit_block(&db, 1, changes(&[("a", Some("2"))]));
        assert_eq!(old.get(b"a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(old.head().unwrap().unwrap().height, 0);
    }

    #[test]
    fn reopen_resumes_at_last_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let h1 = {
            let db = StateDb::open(&path).unwrap();
            commit_block(&db, 0, changes(&[("a", Some("1"))]));
            let h1 = commit_block(&db, 1, changes(&[("b", Some("2"))]));
            // A write transaction dropped without commit leaves nothing behind.
            {
                let tx = db.db.begin_write().unwrap();
                {
                    let mut t = tx.open_table(STATE).unwrap();
                    t.insert(b"zzz".as_slice(), b"half".as_slice()).unwrap();
                }
                drop(tx);
            }
            h1
        };
        let db = StateDb::open(&path).unwrap();
        assert_eq!(db.head().unwrap(), Some(h1));
        let snap = db.snapshot().unwrap();
        assert_eq!(snap.get(b"zzz").unwrap(), None);
        assert_eq!(snap.get(b"b").unwrap(), Some(b"2".to_vec()));
        // The tree survived too: the next block builds on the reopened root.
        let h2 = commit_block(&db, 2, changes(&[("c", Some("3"))]));
        let direct = StateDb::in_memory().unwrap();
        let d = commit_block(
            &direct,
            0,
            changes(&[("a", Some("1")), ("b", Some("2")), ("c", Some("3"))]),
        );
        assert_eq!(h2.state_root, d.state_root);
    }
}

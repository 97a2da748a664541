//! Execution on top of finalized and unfinalized blocks.
//!
//! Consensus asks for children of blocks that are not finalized yet. The executor keeps each
//! executed-but-unfinalized block as a [`Layer`] keyed by hash; executing a child reads the
//! committed snapshot through the chain of layers back to the committed head. Finalizing a block
//! commits its layer (re-executing it if it was never executed here, e.g. after a restart or
//! when backfilled), checks the root against the header, and drops layers at or below it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::block::{Block, Header};
use crate::state_machine::{BlockContext, ExecError, Executed, StateMachine, TxResult};
use crate::store::{
    BlockIndex, Changes, EMPTY_ROOT, Hash32, Head, Layer, LayeredState, LayeredTree, Snapshot,
    StateDb, StoreError, compute_layer,
};

/// Errors of execution and finalization.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The state machine failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// This node computed a different state root than the block's header: the node's state
    /// machine or database disagrees with the network, and it must stop rather than diverge.
    #[error(
        "state root mismatch at height {height}: block 0x{} says 0x{}, this node computed 0x{}",
        hex::encode(.block), hex::encode(.expected), hex::encode(.computed)
    )]
    StateRootMismatch {
        /// Height of the block.
        height: u64,
        /// The block's hash.
        block: Hash32,
        /// Root in the header.
        expected: Hash32,
        /// Root computed here.
        computed: Hash32,
    },
    /// A block's parent is neither the committed head nor an executed unfinalized block.
    #[error("unknown parent 0x{} for block at height {height}", hex::encode(.parent))]
    UnknownParent {
        /// The missing parent.
        parent: Hash32,
        /// The child's height.
        height: u64,
    },
    /// The genesis of the database differs from the configured one.
    #[error("database genesis 0x{} differs from the configured genesis 0x{}", hex::encode(.found), hex::encode(.expected))]
    GenesisMismatch {
        /// Genesis hash in the database.
        found: Hash32,
        /// Configured genesis hash.
        expected: Hash32,
    },
    /// The node stopped after a fatal error.
    #[error("node halted: {0}")]
    Halted(String),
}

/// An executed, unfinalized block.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Parent hash.
    pub parent: Hash32,
    /// Height.
    pub height: u64,
    /// Its state.
    pub layer: Layer,
    /// Its transaction results.
    pub results: Arc<Vec<TxResult>>,
}

/// The execution context of one parent: a snapshot plus the unfinalized layers above it.
pub struct ParentState {
    snapshot: Snapshot,
    layers: Vec<Layer>,
    root: Hash32,
    version: Option<u64>,
}

impl ParentState {
    /// A read view of the parent's state.
    pub fn state(&self) -> LayeredState<'_> {
        LayeredState::new(&self.snapshot, &self.layers)
    }
}

/// Executes blocks and commits finalized ones.
pub struct Executor<SM> {
    machine: Arc<SM>,
    db: StateDb,
    pending: Mutex<HashMap<Hash32, Pending>>,
}

impl<SM: StateMachine> Executor<SM> {
    /// An executor over `db`.
    pub fn new(machine: Arc<SM>, db: StateDb) -> Self {
        Self {
            machine,
            db,
            pending: Mutex::new(HashMap::new()),
        }
    }

    /// The state machine.
    pub fn machine(&self) -> &SM {
        &self.machine
    }

    /// The database.
    pub fn db(&self) -> &StateDb {
        &self.db
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Hash32, Pending>> {
        // A poisoned lock only means another thread panicked mid-update of this map; the map
        // holds whole entries, so keep using it.
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Writes genesis if the database is empty and returns the genesis block; checks it
    /// otherwise.
    pub fn init_genesis(&self, timestamp_ms: u64) -> Result<Block, NodeError> {
        let changes = self.machine.genesis()?;
        let snapshot = self.db.snapshot()?;
        let layer = compute_layer(&snapshot, EMPTY_ROOT, None, changes)?;
        let genesis = Block::genesis(layer.state_root, timestamp_ms);
        let hash = genesis.hash();
        match snapshot.block_hash(0)? {
            Some(found) if found != hash => Err(NodeError::GenesisMismatch {
                found,
                expected: hash,
            }),
            Some(_) => Ok(genesis),
            None => {
                self.db.commit(
                    &layer,
                    &BlockIndex {
                        height: 0,
                        hash,
                        txs: Vec::new(),
                    },
                )?;
                Ok(genesis)
            }
        }
    }

    /// Whether the state after `hash` is known (committed head or executed unfinalized).
    pub fn knows(&self, hash: &Hash32) -> Result<bool, NodeError> {
        if self.lock().contains_key(hash) {
            return Ok(true);
        }
        Ok(self.db.head()?.is_some_and(|h| h.hash == *hash))
    }

    /// The state after `parent`.
    pub fn parent_state(&self, parent: &Hash32, height: u64) -> Result<ParentState, NodeError> {
        let pending = self.lock();
        let snapshot = self.db.snapshot()?;
        let head = snapshot.head()?;
        let mut layers = Vec::new();
        let mut cursor = *parent;
        let (root, version) = loop {
            if let Some(h) = head.filter(|h| h.hash == cursor) {
                break (h.state_root, h.tree_version);
            }
            match pending.get(&cursor) {
                Some(p) if head.is_none_or(|h| p.height > h.height) => {
                    layers.push(p.layer.clone());
                    cursor = p.parent;
                }
                _ => {
                    return Err(NodeError::UnknownParent {
                        parent: *parent,
                        height,
                    });
                }
            }
        };
        // The layer nearest the parent holds the parent's root.
        let (root, version) = layers
            .first()
            .map_or((root, version), |l| (l.state_root, l.tree_version));
        layers.reverse();
        Ok(ParentState {
            snapshot,
            layers,
            root,
            version,
        })
    }

    /// Executes `txs` as the block described by `ctx` on top of `parent`.
    pub fn execute(
        &self,
        parent: &ParentState,
        ctx: &BlockContext,
        txs: &[Vec<u8>],
    ) -> Result<(Layer, Vec<TxResult>), NodeError> {
        let Executed { changes, results } = self.machine.execute(&parent.state(), ctx, txs)?;
        let layer = self.layer(parent, changes)?;
        Ok((layer, results))
    }

    fn layer(&self, parent: &ParentState, changes: Changes) -> Result<Layer, NodeError> {
        let tree = LayeredTree::new(&parent.snapshot, &parent.layers);
        Ok(compute_layer(&tree, parent.root, parent.version, changes)?)
    }

    /// Remembers an executed block so children can build on it.
    pub fn remember(&self, hash: Hash32, pending: Pending) {
        self.lock().insert(hash, pending);
    }

    /// Executes `block` on its parent, checks its state root, and remembers it.
    pub fn verify_block(&self, block: &Block) -> Result<(), NodeError> {
        let hash = block.hash();
        if self.lock().contains_key(&hash) {
            return Ok(());
        }
        let h = &block.header;
        let parent = self.parent_state(&h.parent, h.height)?;
        let (layer, results) = self.execute(&parent, &context_of(h), &block.transactions)?;
        if layer.state_root != h.state_root {
            return Err(NodeError::StateRootMismatch {
                height: h.height,
                block: hash,
                expected: h.state_root,
                computed: layer.state_root,
            });
        }
        self.remember(
            hash,
            Pending {
                parent: h.parent,
                height: h.height,
                layer,
                results: Arc::new(results),
            },
        );
        Ok(())
    }

    /// Commits a finalized block. Blocks at or below the committed head are skipped (marshal
    /// may deliver a block twice across a restart). Returns the new head, or `None` if skipped.
    pub fn finalize(&self, block: &Block) -> Result<Option<Head>, NodeError> {
        let hash = block.hash();
        let h = &block.header;
        if let Some(head) = self.db.head()?
            && h.height <= head.height
        {
            return Ok(None);
        }
        let cached = self.lock().get(&hash).cloned();
        let pending = match cached {
            Some(p) => p,
            None => {
                self.verify_block(block)?;
                self.lock()
                    .get(&hash)
                    .cloned()
                    .ok_or_else(|| NodeError::Halted("executed block vanished".into()))?
            }
        };
        if pending.layer.state_root != h.state_root {
            return Err(NodeError::StateRootMismatch {
                height: h.height,
                block: hash,
                expected: h.state_root,
                computed: pending.layer.state_root,
            });
        }
        let index = BlockIndex {
            height: h.height,
            hash,
            txs: pending
                .results
                .iter()
                .map(|r| (r.hash, r.receipt.clone()))
                .collect(),
        };
        let mut map = self.lock();
        let head = self.db.commit(&pending.layer, &index)?;
        map.retain(|_, p| p.height > head.height);
        Ok(Some(head))
    }

    /// Highest executed block (finalized or not).
    pub fn best(&self) -> Option<(u64, Hash32)> {
        self.lock().iter().map(|(hash, p)| (p.height, *hash)).max()
    }
}

/// The execution context of a header.
pub fn context_of(h: &Header) -> BlockContext {
    BlockContext {
        height: h.height,
        timestamp_ms: h.timestamp_ms,
        proposer: h.proposer,
        parent: h.parent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::tx_root;
    use crate::testing::{Transfer, Transfers};
    use commonware_cryptography::{Signer as _, ed25519};

    fn executor() -> Executor<Transfers> {
        Executor::new(
            Arc::new(Transfers::with_seeds(2, 1_000)),
            StateDb::in_memory().unwrap(),
        )
    }

    /// Builds a valid child of `parent` carrying `txs`.
    fn child(ex: &Executor<Transfers>, parent: &Block, txs: Vec<Vec<u8>>) -> Block {
        let mut header = Header {
            parent: parent.hash(),
            height: parent.header.height + 1,
            timestamp_ms: parent.header.timestamp_ms + 1,
            proposer: [3; 32],
            state_root: [0; 32],
            tx_root: tx_root(&txs),
        };
        let ps = ex.parent_state(&header.parent, header.height).unwrap();
        let (layer, _) = ex.execute(&ps, &context_of(&header), &txs).unwrap();
        header.state_root = layer.state_root;
        Block {
            header,
            transactions: txs,
        }
    }

    fn transfer(seed: u64, nonce: u64) -> Vec<u8> {
        Transfer::signed(&ed25519::PrivateKey::from_seed(seed), nonce, 0, [9; 32], 5)
    }

    #[test]
    fn genesis_is_written_once_and_checked() {
        let db = StateDb::in_memory().unwrap();
        let a = Executor::new(Arc::new(Transfers::with_seeds(2, 1_000)), db.clone());
        let g1 = a.init_genesis(0).unwrap();
        let g2 = a.init_genesis(0).unwrap();
        assert_eq!(g1, g2);
        let other = Executor::new(Arc::new(Transfers::with_seeds(3, 1_000)), db);
        assert!(matches!(
            other.init_genesis(0),
            Err(NodeError::GenesisMismatch { .. })
        ));
    }

    #[test]
    fn unfinalized_chain_then_finalize_in_order() {
        let ex = executor();
        let g = ex.init_genesis(0).unwrap();
        let b1 = child(&ex, &g, vec![transfer(0, 0)]);
        ex.verify_block(&b1).unwrap();
        // b2 builds on b1 before b1 is finalized.
        let b2 = child(&ex, &b1, vec![transfer(0, 1), transfer(1, 0)]);
        ex.verify_block(&b2).unwrap();
        assert_eq!(ex.best(), Some((2, b2.hash())));
        assert_eq!(ex.finalize(&b1).unwrap().unwrap().height, 1);
        let head = ex.finalize(&b2).unwrap().unwrap();
        assert_eq!((head.height, head.state_root), (2, b2.header.state_root));
        // Redelivery after a restart is a no-op.
        assert_eq!(ex.finalize(&b2).unwrap(), None);
        let snap = ex.db().snapshot().unwrap();
        let sink = crate::testing::account(&snap, &[9; 32]).unwrap();
        assert_eq!(sink.balance, 15);
    }

    #[test]
    fn finalize_executes_blocks_it_never_saw() {
        // A block built elsewhere (or before a restart) is executed on commit.
        let builder = executor();
        let g = builder.init_genesis(0).unwrap();
        let b1 = child(&builder, &g, vec![transfer(1, 0)]);
        let ex = executor();
        ex.init_genesis(0).unwrap();
        let head = ex.finalize(&b1).unwrap().unwrap();
        assert_eq!(head.state_root, b1.header.state_root);
    }

    #[test]
    fn wrong_state_root_is_rejected_and_nothing_is_committed() {
        let ex = executor();
        let g = ex.init_genesis(0).unwrap();
        let mut bad = child(&ex, &g, vec![transfer(0, 0)]);
        bad.header.state_root = [0xAB; 32];
        assert!(matches!(
            ex.verify_block(&bad),
            Err(NodeError::StateRootMismatch { height: 1, .. })
        ));
        let err = ex.finalize(&bad).unwrap_err();
        assert!(err.to_string().contains("state root mismatch at height 1"));
        assert_eq!(ex.db().head().unwrap().unwrap().height, 0);
    }

    #[test]
    fn unknown_parent_is_reported() {
        let ex = executor();
        ex.init_genesis(0).unwrap();
        assert!(matches!(
            ex.parent_state(&[5; 32], 7),
            Err(NodeError::UnknownParent { height: 7, .. })
        ));
    }
}

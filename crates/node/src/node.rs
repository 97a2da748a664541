//! The node's shared state and the [`Node`] handle the RPC layer uses: head, blocks, state
//! snapshots, transaction submission and head subscriptions.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use commonware_consensus::marshal::{Identifier, core::Mailbox, standard::Standard};
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_consensus::types::Height;
use tokio::sync::broadcast;

use crate::block::{Block, BlockLimits, Digest};
use crate::exec::{Executor, NodeError};
use crate::mempool::{Mempool, MempoolConfig, MempoolError};
use crate::state_machine::{StateMachine, TxCheckError, TxMeta};
use crate::store::{Hash32, Head, Snapshot, StateDb, TxLocation};

/// Node settings that do not depend on the network.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Target time between blocks (12 s on the reference chain; 250 ms to 1 s for `--dev`).
    pub block_time: Duration,
    /// Genesis timestamp, ms since the Unix epoch (part of the genesis hash).
    pub genesis_timestamp_ms: u64,
    /// Most transactions in a block.
    pub max_block_txs: usize,
    /// Block decoding limits; proposals stay under them.
    pub limits: BlockLimits,
    /// Mempool bounds.
    pub mempool: MempoolConfig,
    /// How far in the future a block's timestamp may be before verifiers wait for it.
    pub max_clock_drift: Duration,
    /// Time budget for executing a proposal; the proposer sizes blocks to fit it from the
    /// measured cost per transaction (consensus timeouts leave room for it).
    pub max_build_time: Duration,
}

impl NodeConfig {
    /// Reference defaults: 12 s blocks.
    pub fn reference() -> Self {
        Self {
            block_time: Duration::from_secs(12),
            genesis_timestamp_ms: 0,
            max_block_txs: 50_000,
            limits: BlockLimits::default(),
            mempool: MempoolConfig::default(),
            max_clock_drift: Duration::from_secs(2),
            max_build_time: Duration::from_secs(2),
        }
    }

    /// Development defaults: 250 ms blocks.
    pub fn dev() -> Self {
        Self {
            block_time: Duration::from_millis(250),
            max_build_time: Duration::from_millis(400),
            ..Self::reference()
        }
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self::reference()
    }
}

/// Assumed execution cost per transaction before anything was measured (conservative).
const INITIAL_NS_PER_TX: u64 = 200_000;

/// A block reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockRef {
    /// Height.
    pub height: u64,
    /// Hash.
    pub hash: Hash32,
    /// State root after it.
    pub state_root: Hash32,
    /// Timestamp (ms).
    pub timestamp_ms: u64,
}

impl BlockRef {
    /// The reference of a block.
    pub fn of(block: &Block) -> Self {
        Self {
            height: block.header.height,
            hash: block.hash(),
            state_root: block.header.state_root,
            timestamp_ms: block.header.timestamp_ms,
        }
    }
}

/// The chain heads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainHead {
    /// Last block committed to the state database (finalized).
    pub finalized: BlockRef,
    /// Highest block this node proposed or verified (may still be replaced).
    pub best: BlockRef,
}

/// The marshal mailbox type (finalized blocks by height or hash).
pub type Marshal = Mailbox<Scheme, Standard<Block>>;

/// State shared by the handle, the consensus application and the finalizer.
pub struct Shared<SM> {
    pub(crate) executor: Executor<SM>,
    pub(crate) mempool: Mutex<Mempool>,
    pub(crate) config: NodeConfig,
    pub(crate) genesis: Block,
    pub(crate) heads: Mutex<ChainHead>,
    pub(crate) new_heads: broadcast::Sender<BlockRef>,
    pub(crate) finalized_heads: broadcast::Sender<BlockRef>,
    pub(crate) halted: Mutex<Option<String>>,
    pub(crate) marshal: OnceLock<Marshal>,
    /// Moving average of execution cost per transaction (ns), to size proposals.
    pub(crate) ns_per_tx: AtomicU64,
    /// Where locally submitted transactions go to be gossiped to the other nodes (set when the
    /// node joins a network; a dev chain has none).
    pub(crate) gossip: OnceLock<tokio::sync::mpsc::Sender<Vec<u8>>>,
    /// Prometheus metrics (exposed once registered with a runtime context).
    pub(crate) metrics: crate::metrics::NodeMetrics,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Entries are replaced whole, so a poisoned lock still holds consistent data.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl<SM: StateMachine> Shared<SM> {
    pub(crate) fn mempool(&self) -> MutexGuard<'_, Mempool> {
        lock(&self.mempool)
    }

    pub(crate) fn halt(&self, reason: String) {
        tracing::error!(%reason, "node halted");
        *lock(&self.halted) = Some(reason);
    }

    pub(crate) fn check_running(&self) -> Result<(), NodeError> {
        match lock(&self.halted).as_ref() {
            Some(reason) => Err(NodeError::Halted(reason.clone())),
            None => Ok(()),
        }
    }

    /// How many transactions fit the build budget at the measured cost.
    pub(crate) fn build_capacity(&self) -> usize {
        let per_tx = self.ns_per_tx.load(Ordering::Relaxed).max(1);
        let budget = u64::try_from(self.config.max_build_time.as_nanos()).unwrap_or(u64::MAX);
        usize::try_from(budget / per_tx)
            .unwrap_or(usize::MAX)
            .clamp(1, self.config.max_block_txs.max(1))
    }

    /// Folds one execution's cost into the moving average (large blocks only: small ones are
    /// dominated by per-block work).
    pub(crate) fn record_execution(&self, txs: usize, elapsed: Duration) {
        self.metrics.executed(elapsed);
        if txs < 64 {
            return;
        }
        let sample = u64::try_from(elapsed.as_nanos() / txs as u128).unwrap_or(u64::MAX);
        let old = self.ns_per_tx.load(Ordering::Relaxed);
        self.ns_per_tx.store(
            (old.saturating_mul(3).saturating_add(sample)) / 4,
            Ordering::Relaxed,
        );
    }

    /// Records a newly executed block as best if it is higher.
    pub(crate) fn note_best(&self, block: &Block) {
        let r = BlockRef::of(block);
        let mut heads = lock(&self.heads);
        if r.height > heads.best.height {
            heads.best = r;
            drop(heads);
            self.metrics.best(r.height);
            let _ = self.new_heads.send(r);
        }
    }

    /// Commits a finalized block, prunes the mempool and notifies subscribers.
    pub(crate) fn finalize(&self, block: &Block) -> Result<Option<Head>, NodeError> {
        self.check_running()?;
        let started = std::time::Instant::now();
        let Some(head) = self.executor.finalize(block)? else {
            return Ok(None);
        };
        let commit = started.elapsed();
        let r = BlockRef::of(block);
        {
            let mut heads = lock(&self.heads);
            heads.finalized = r;
            if heads.best.height < r.height {
                heads.best = r;
            }
            self.metrics.best(heads.best.height);
        }
        let snapshot = self.executor.db().snapshot()?;
        let machine = self.executor.machine();
        let (dropped, pooled) = {
            let mut pool = self.mempool();
            let dropped = pool.prune(|sender| machine.account_nonce(&snapshot, sender).ok());
            (dropped, pool.len())
        };
        self.metrics.mempool(pooled);
        self.metrics.finalized(
            r.height,
            block.header.timestamp_ms,
            block.transactions.len(),
            commit,
        );
        tracing::debug!(
            height = head.height,
            txs = block.transactions.len(),
            dropped,
            "finalized"
        );
        let _ = self.finalized_heads.send(r);
        Ok(Some(head))
    }
}

/// Below this many items, [`parallel_map`] runs on the calling thread.
const PARALLEL_FROM: usize = 32;

/// Maps `f` over `items` on up to `available_parallelism` scoped threads, keeping order.
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if items.len() < PARALLEL_FROM || threads < 2 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for (h, part) in handles.into_iter().zip(items.chunks(chunk)) {
            match h.join() {
                Ok(v) => out.extend(v),
                // A panicking worker (a bug) is retried on this thread rather than lost.
                Err(_) => out.extend(part.iter().map(f)),
            }
        }
        out
    })
}

/// A cheap, cloneable handle to a running (or not yet started) node.
pub struct Node<SM> {
    pub(crate) shared: Arc<Shared<SM>>,
}

impl<SM> Clone for Node<SM> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<SM: StateMachine> Node<SM> {
    /// Opens the node over `db`: writes genesis on first start, checks it afterwards, and
    /// resumes at the last committed block.
    pub fn new(machine: SM, db: StateDb, config: NodeConfig) -> Result<Self, NodeError> {
        let executor = Executor::new(Arc::new(machine), db);
        let genesis = executor.init_genesis(config.genesis_timestamp_ms)?;
        let head = executor
            .db()
            .head()?
            .ok_or_else(|| NodeError::Halted("no head after genesis".into()))?;
        let finalized = BlockRef {
            height: head.height,
            hash: head.hash,
            state_root: head.state_root,
            timestamp_ms: if head.height == 0 {
                genesis.header.timestamp_ms
            } else {
                0
            },
        };
        let (new_heads, _) = broadcast::channel(256);
        let (finalized_heads, _) = broadcast::channel(256);
        Ok(Self {
            shared: Arc::new(Shared {
                executor,
                mempool: Mutex::new(Mempool::new(config.mempool)),
                config,
                genesis,
                heads: Mutex::new(ChainHead {
                    finalized,
                    best: finalized,
                }),
                new_heads,
                finalized_heads,
                halted: Mutex::new(None),
                marshal: OnceLock::new(),
                ns_per_tx: AtomicU64::new(INITIAL_NS_PER_TX),
                gossip: OnceLock::new(),
                metrics: crate::metrics::NodeMetrics::default(),
            }),
        })
    }

    /// The genesis block.
    pub fn genesis(&self) -> &Block {
        &self.shared.genesis
    }

    /// The node settings.
    pub fn config(&self) -> &NodeConfig {
        &self.shared.config
    }

    /// Finalized and best heads.
    pub fn head(&self) -> ChainHead {
        *lock(&self.shared.heads)
    }

    /// Why the node stopped, if it did (e.g. a state root mismatch).
    pub fn halted(&self) -> Option<String> {
        lock(&self.shared.halted).clone()
    }

    /// A consistent read view of the finalized state.
    pub fn state(&self) -> Result<Snapshot, NodeError> {
        Ok(self.shared.executor.db().snapshot()?)
    }

    /// Validates a transaction against the finalized state and pools it; on a network, also
    /// gossips it to the other nodes so that whoever proposes next has it.
    pub fn submit(&self, tx: Vec<u8>) -> Result<Hash32, MempoolError> {
        let Some(gossip) = self.shared.gossip.get() else {
            return self.pool(tx);
        };
        let hash = self.pool(tx.clone())?;
        // Best effort: a full gossip queue only means peers learn of it later (or never, and it
        // is still in this node's pool for when it leads).
        let _ = gossip.try_send(tx);
        Ok(hash)
    }

    /// Validates and pools many transactions at once: the door checks (decode, signature, nonce,
    /// fee) run in parallel on up to `available_parallelism` threads against one snapshot, then
    /// the pool is locked once. Returns one result per transaction, in order. Blocks the calling
    /// thread for the duration of the checks (about 55 µs of CPU per sr25519 signature), so async
    /// callers should run it on a blocking thread.
    pub fn submit_batch(&self, txs: Vec<Vec<u8>>) -> Vec<Result<Hash32, MempoolError>> {
        let snapshot = match self.state() {
            Ok(s) => s,
            Err(e) => {
                let err = MempoolError::Invalid(TxCheckError::Invalid(e.to_string()));
                return txs.iter().map(|_| Err(err.clone())).collect();
            }
        };
        let machine = self.shared.executor.machine();
        let check = |tx: &Vec<u8>| -> Result<(TxMeta, u64), MempoolError> {
            let meta = machine.check_tx(&snapshot, tx)?;
            let nonce = machine
                .account_nonce(&snapshot, &meta.sender)
                .map_err(|e| TxCheckError::Invalid(e.to_string()))?;
            Ok((meta, nonce))
        };
        let checked = parallel_map(&txs, check);
        let gossip = self.shared.gossip.get();
        let mut out = Vec::with_capacity(txs.len());
        let mut accepted = Vec::new();
        {
            let mut pool = self.shared.mempool();
            for (tx, c) in txs.into_iter().zip(checked) {
                let r = c.and_then(|(meta, nonce)| {
                    if gossip.is_some() {
                        accepted.push(tx.clone());
                    }
                    pool.insert(meta, tx, nonce)
                });
                out.push(r);
            }
            self.shared.metrics.mempool(pool.len());
        }
        if let Some(gossip) = gossip {
            for tx in accepted {
                let _ = gossip.try_send(tx);
            }
        }
        out
    }

    /// Pools a transaction received from a peer (checked like any other, not gossiped again).
    pub fn submit_gossiped(&self, tx: Vec<u8>) -> Result<Hash32, MempoolError> {
        self.pool(tx)
    }

    fn pool(&self, tx: Vec<u8>) -> Result<Hash32, MempoolError> {
        let snapshot = self
            .state()
            .map_err(|e| TxCheckError::Invalid(e.to_string()))?;
        let machine = self.shared.executor.machine();
        let meta = machine.check_tx(&snapshot, &tx)?;
        let nonce = machine
            .account_nonce(&snapshot, &meta.sender)
            .map_err(|e| TxCheckError::Invalid(e.to_string()))?;
        let mut pool = self.shared.mempool();
        let hash = pool.insert(meta, tx, nonce)?;
        self.shared.metrics.mempool(pool.len());
        Ok(hash)
    }

    /// The nonce a wallet should sign next for `account` (state nonce plus pooled run).
    pub fn next_nonce(&self, account: &Hash32) -> Result<u64, NodeError> {
        let snapshot = self.state()?;
        let nonce = self
            .shared
            .executor
            .machine()
            .account_nonce(&snapshot, account)?;
        Ok(self.shared.mempool().next_nonce(account, nonce))
    }

    /// Number of pooled transactions.
    /// The node's Prometheus metrics; [`NodeMetrics::register`](crate::metrics::NodeMetrics::register)
    /// them with a runtime context to serve them.
    pub fn metrics(&self) -> &crate::metrics::NodeMetrics {
        &self.shared.metrics
    }

    /// Transactions in the pool.
    pub fn mempool_len(&self) -> usize {
        self.shared.mempool().len()
    }

    /// New best heads (proposed or verified blocks).
    pub fn subscribe_heads(&self) -> broadcast::Receiver<BlockRef> {
        self.shared.new_heads.subscribe()
    }

    /// Finalized heads, after their state is committed.
    pub fn subscribe_finalized(&self) -> broadcast::Receiver<BlockRef> {
        self.shared.finalized_heads.subscribe()
    }

    /// A committed transaction's location and receipt.
    pub fn transaction(&self, hash: &Hash32) -> Result<Option<TxLocation>, NodeError> {
        Ok(self.state()?.transaction(hash)?)
    }

    /// A finalized block by height.
    pub async fn block_by_height(&self, height: u64) -> Result<Option<Block>, NodeError> {
        if height == 0 {
            return Ok(Some(self.shared.genesis.clone()));
        }
        self.fetch(Identifier::Height(Height::new(height))).await
    }

    /// A finalized block by hash.
    pub async fn block_by_hash(&self, hash: &Hash32) -> Result<Option<Block>, NodeError> {
        if *hash == self.shared.genesis.hash() {
            return Ok(Some(self.shared.genesis.clone()));
        }
        let Some(height) = self.state()?.block_height(hash)? else {
            return Ok(None);
        };
        self.fetch(Identifier::Height(Height::new(height))).await
    }

    async fn fetch(&self, id: Identifier<Digest>) -> Result<Option<Block>, NodeError> {
        let Some(marshal) = self.shared.marshal.get() else {
            return Ok(None);
        };
        Ok(marshal.get_block(id).await.map(|b| b.inner().clone()))
    }
}

//! The commonware application: builds blocks from the mempool, verifies blocks by re-executing
//! them, and (as marshal's reporter) commits finalized blocks to the state database.
//!
//! It plugs into marshal's `Inline` wrapper, which resolves parents and hands us the ancestry,
//! so proposals and verification can build on blocks that are not finalized yet.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use commonware_actor::Feedback;
use commonware_consensus::marshal::{Update, ancestry::Ancestry};
use commonware_consensus::simplex::scheme::ed25519::Scheme;
use commonware_consensus::simplex::types::Context;
use commonware_cryptography::{Digested, Digestible, ed25519};
use commonware_runtime::{Clock, Spawner};
use commonware_utils::Acknowledgement;
use futures::StreamExt;
use futures::channel::mpsc;
use tracing::{debug, error, warn};

use crate::block::{Block, Digest, Header, tx_root};
use crate::exec::{NodeError, Pending, context_of};
use crate::node::Shared;
use crate::state_machine::{BlockContext, StateMachine};
use crate::store::Hash32;

/// The consensus context of a proposal.
pub type ConsensusContext = Context<Digest, ed25519::PublicKey>;

/// Milliseconds since the Unix epoch.
fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

fn key_bytes(pk: &ed25519::PublicKey) -> Hash32 {
    let mut out = [0u8; 32];
    let b = pk.as_ref();
    if b.len() == 32 {
        out.copy_from_slice(b);
    }
    out
}

/// The block builder and verifier.
pub struct App<SM> {
    shared: Arc<Shared<SM>>,
}

impl<SM> Clone for App<SM> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
        }
    }
}

impl<SM: StateMachine> App<SM> {
    /// An application over the node's shared state.
    pub fn new(shared: Arc<Shared<SM>>) -> Self {
        Self { shared }
    }

    /// Makes sure the state after `parent` is known, executing unfinalized ancestors taken
    /// from `ancestry` (which yields `parent`'s ancestors, nearest first) when needed, e.g.
    /// after a restart.
    async fn ensure_executed(
        &self,
        parent: &Digested<Block>,
        ancestry: &mut impl Ancestry<Block>,
    ) -> Result<(), NodeError> {
        let ex = &self.shared.executor;
        let finalized = ex.db().head()?.map_or(0, |h| h.height);
        let mut chain: Vec<Digested<Block>> = vec![parent.clone()];
        while let Some(last) = chain.last() {
            if ex.knows(&last.inner().hash())? {
                chain.pop();
                break;
            }
            let h = &last.inner().header;
            if ex.knows(&h.parent)? {
                break;
            }
            if h.height <= finalized.saturating_add(1) {
                return Err(NodeError::UnknownParent {
                    parent: h.parent,
                    height: h.height,
                });
            }
            match ancestry.next().await {
                Some(b) => chain.push(b),
                None => {
                    return Err(NodeError::UnknownParent {
                        parent: h.parent,
                        height: h.height,
                    });
                }
            }
        }
        for block in chain.iter().rev() {
            ex.verify_block(block.inner())?;
        }
        Ok(())
    }

    /// Builds a block on `parent`.
    fn build(
        &self,
        parent: &Block,
        proposer: Hash32,
        timestamp_ms: u64,
    ) -> Result<Block, NodeError> {
        let shared = &self.shared;
        let ex = &shared.executor;
        let parent_hash = parent.hash();
        let height = parent.header.height.saturating_add(1);
        let ps = ex.parent_state(&parent_hash, height)?;
        let ctx = BlockContext {
            height,
            timestamp_ms,
            proposer,
            parent: parent_hash,
        };
        let candidates = {
            let view = ps.state();
            let machine = ex.machine();
            // Leave room for the header and length prefixes.
            let budget = (shared.config.limits.max_block_bytes as usize).saturating_sub(4096);
            shared.mempool().select(
                |sender| machine.account_nonce(&view, sender).unwrap_or(u64::MAX),
                shared.build_capacity(),
                budget,
            )
        };
        let mut txs: Vec<Vec<u8>> = candidates.iter().map(|t| t.as_ref().clone()).collect();
        let started = Instant::now();
        let (mut layer, mut results) = ex.execute(&ps, &ctx, &txs)?;
        shared.record_execution(txs.len(), started.elapsed());
        if results.iter().any(|r| !r.valid) {
            // Invalid transactions change nothing; drop them from the block and the pool.
            let mut pool = shared.mempool();
            let mut kept = Vec::with_capacity(txs.len());
            for (tx, r) in txs.into_iter().zip(&results) {
                if r.valid {
                    kept.push(tx);
                } else {
                    pool.remove(&r.hash);
                }
            }
            drop(pool);
            txs = kept;
            (layer, results) = ex.execute(&ps, &ctx, &txs)?;
        }
        let block = Block {
            header: Header {
                parent: parent_hash,
                height,
                timestamp_ms,
                proposer,
                state_root: layer.state_root,
                tx_root: tx_root(&txs),
            },
            transactions: txs,
        };
        ex.remember(
            block.hash(),
            Pending {
                parent: parent_hash,
                height,
                layer,
                results: Arc::new(results),
            },
        );
        Ok(block)
    }
}

impl<E, SM> commonware_consensus::Application<E> for App<SM>
where
    E: Clock + Spawner,
    SM: StateMachine,
{
    type SigningScheme = Scheme;
    type Context = ConsensusContext;
    type Block = Block;
    type Input = ();

    async fn propose(
        &mut self,
        (runtime, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
        _input: (),
    ) -> Option<Digested<Self::Block>> {
        if self.shared.check_running().is_err() {
            return None;
        }
        let parent = ancestry.next().await?;
        // Pace blocks: propose no earlier than one block time after the parent.
        let block_time =
            u64::try_from(self.shared.config.block_time.as_millis()).unwrap_or(u64::MAX);
        let target = parent
            .inner()
            .header
            .timestamp_ms
            .saturating_add(block_time);
        let now = millis(runtime.current());
        if now < target {
            runtime.sleep(Duration::from_millis(target - now)).await;
        }
        let timestamp_ms =
            millis(runtime.current()).max(parent.inner().header.timestamp_ms.saturating_add(1));
        if let Err(e) = self.ensure_executed(&parent, &mut ancestry).await {
            warn!(error = %e, "cannot build: parent state unknown");
            return None;
        }
        match self.build(parent.inner(), key_bytes(&context.leader), timestamp_ms) {
            Ok(block) => {
                debug!(
                    height = block.header.height,
                    txs = block.transactions.len(),
                    "proposed"
                );
                self.shared.note_best(&block);
                let digest = block.digest();
                Some(Digested::precomputed(block, digest))
            }
            Err(e) => {
                error!(error = %e, "block building failed");
                None
            }
        }
    }

    async fn verify(
        &mut self,
        (runtime, context): (E, Self::Context),
        mut ancestry: impl Ancestry<Self::Block>,
    ) -> bool {
        let Some(block) = ancestry.next().await else {
            return false;
        };
        let Some(parent) = ancestry.next().await else {
            return false;
        };
        let b = block.inner();
        let h = &b.header;
        if h.proposer != key_bytes(&context.leader) {
            debug!(
                height = h.height,
                "rejected: proposer is not the round's leader"
            );
            return false;
        }
        if h.timestamp_ms <= parent.inner().header.timestamp_ms {
            debug!(height = h.height, "rejected: timestamp not after parent");
            return false;
        }
        if b.transactions.len() > self.shared.config.max_block_txs {
            return false;
        }
        // A timestamp from the future is not invalid forever: wait until it is within drift.
        let drift = u64::try_from(self.shared.config.max_clock_drift.as_millis()).unwrap_or(0);
        let now = millis(runtime.current());
        if h.timestamp_ms > now.saturating_add(drift) {
            runtime
                .sleep(Duration::from_millis(h.timestamp_ms - now - drift))
                .await;
        }
        if let Err(e) = self.ensure_executed(&parent, &mut ancestry).await {
            warn!(error = %e, "cannot verify: parent state unknown");
            return false;
        }
        let started = Instant::now();
        let verified = self.shared.executor.verify_block(b);
        self.shared
            .record_execution(b.transactions.len(), started.elapsed());
        match verified {
            Ok(()) => {
                self.shared.note_best(b);
                true
            }
            Err(e) => {
                warn!(height = h.height, error = %e, "rejected block");
                false
            }
        }
    }
}

/// Marshal's reporter: queues finalized blocks for the finalizer task.
pub struct Finalizer {
    tx: mpsc::UnboundedSender<Update<Block>>,
}

impl Clone for Finalizer {
    fn clone(&self) -> Self {
        Self {
            tx: self.tx.clone(),
        }
    }
}

impl commonware_consensus::Reporter for Finalizer {
    type Activity = Update<Block>;

    fn report(&mut self, activity: Self::Activity) -> Feedback {
        if self.tx.unbounded_send(activity).is_err() {
            return Feedback::Closed;
        }
        Feedback::Ok
    }
}

impl Finalizer {
    /// A reporter and the task that commits what it reports.
    pub fn new<SM: StateMachine>(
        shared: Arc<Shared<SM>>,
    ) -> (Self, impl std::future::Future<Output = ()> + Send + 'static) {
        let (tx, mut rx) = mpsc::unbounded::<Update<Block>>();
        let task = async move {
            while let Some(update) = rx.next().await {
                match update {
                    Update::Tip(_, height, _) => {
                        debug!(height = height.get(), "finalized tip");
                    }
                    Update::Block(block, ack) => match shared.finalize(block.inner()) {
                        Ok(_) => ack.acknowledge(),
                        Err(e) => {
                            // Dropping the acknowledgement stops marshal: never build on a
                            // state this node could not commit or does not agree with.
                            shared.halt(e.to_string());
                            drop(ack);
                            return;
                        }
                    },
                }
            }
        };
        (Self { tx }, task)
    }
}

/// The context of a header, re-exported for adapters.
pub fn block_context(h: &Header) -> BlockContext {
    context_of(h)
}

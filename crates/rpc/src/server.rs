//! The server: [`RpcImpl`] answers the API from a [`Node`] running the chain state machine;
//! [`start`] serves it over HTTP and WebSocket on one address; [`JsonRpc`] hands it to the
//! node launcher (`node::launch::run`).

use std::net::SocketAddr;
use std::time::Duration;

use chain::queries::{self, DelegateInfo, StakeInfo, SubnetInfo};
use chain::{BlockEnv, Call, ChainError, ChainId, Receipt, Transaction, TxOutcome};
use jsonrpsee::core::{RpcResult, SubscriptionResult, async_trait};
use jsonrpsee::server::{
    PendingSubscriptionSink, Server, ServerConfig, ServerHandle, SubscriptionSink,
};
use node::block::Block;
use node::chain_adapter::ChainMachine;
use node::mempool::MempoolError;
use node::state_machine::TxCheckError;
use node::{BlockRef, Node};
use parity_scale_codec::{Decode, DecodeAll};
use tokio::sync::broadcast::error::RecvError;
use types::{AccountId, NetUid, TaoBalance};

use crate::api::RustensorApiServer;
use crate::error::RpcError;
use crate::snapshot::SnapshotStore;
use crate::views::*;

/// Largest transaction accepted (the node pool's default limit).
pub const MAX_TX_BYTES: usize = 512 * 1024;
/// Largest request body: a maximal transaction in hex plus envelope.
pub const MAX_REQUEST_BYTES: u32 = 2 * 1024 * 1024 + 4096;
/// How long submit-and-watch waits for finality.
pub const WATCH_TIMEOUT: Duration = Duration::from_secs(120);

/// Server settings.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Listen address.
    pub addr: SocketAddr,
    /// Most connections.
    pub max_connections: u32,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], crate::DEFAULT_PORT)),
            max_connections: 1024,
        }
    }
}

/// Starts serving `node`; returns the bound address (port 0 picks one) and the handle.
pub async fn start(
    node: Node<ChainMachine>,
    chain_id: ChainId,
    config: RpcConfig,
) -> Result<(SocketAddr, ServerHandle), RpcError> {
    let cfg = ServerConfig::builder()
        .max_request_body_size(MAX_REQUEST_BYTES)
        .max_connections(config.max_connections)
        .build();
    let server = Server::builder()
        .set_config(cfg)
        .build(config.addr)
        .await
        .map_err(|e| RpcError::Internal(format!("cannot listen on {}: {e}", config.addr)))?;
    let addr = server
        .local_addr()
        .map_err(|e| RpcError::Internal(e.to_string()))?;
    let handle = server.start(RpcImpl::new(node, chain_id).into_rpc());
    tracing::info!(%addr, "JSON-RPC (HTTP and WebSocket) listening");
    Ok((addr, handle))
}

/// The JSON-RPC server as the node launcher's API server (default settings, the launcher's
/// address).
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonRpc;

impl node::launch::ApiServer for JsonRpc {
    type Handle = ServerHandle;

    async fn start(
        self,
        node: Node<ChainMachine>,
        chain_id: ChainId,
        addr: SocketAddr,
    ) -> Result<(SocketAddr, ServerHandle), node::launch::ApiError> {
        let config = RpcConfig {
            addr,
            ..RpcConfig::default()
        };
        Ok(start(node, chain_id, config).await?)
    }
}

/// The API over a node.
#[derive(Clone)]
pub struct RpcImpl {
    node: Node<ChainMachine>,
    chain_id: ChainId,
}

fn hash_of(r: &BlockRef) -> HeightHash {
    HeightHash {
        height: r.height,
        hash: Hash(r.hash),
    }
}

fn ref_view(r: &BlockRef) -> BlockRefView {
    BlockRefView {
        height: r.height,
        hash: Hash(r.hash),
        state_root: Hash(r.state_root),
        timestamp_ms: r.timestamp_ms,
    }
}

fn internal(e: impl std::fmt::Display) -> RpcError {
    RpcError::Internal(e.to_string())
}

fn pool_error(e: MempoolError) -> RpcError {
    match e {
        MempoolError::Invalid(TxCheckError::Store(s)) => RpcError::Internal(s.to_string()),
        MempoolError::Invalid(inner) => RpcError::InvalidTransaction(inner.to_string()),
        other => RpcError::Pool(other.to_string()),
    }
}

/// Decodes a submitted hex transaction, refusing oversized input before any work.
fn tx_bytes(hex_tx: &str) -> Result<Vec<u8>, RpcError> {
    // Hex is two characters a byte; check before allocating the decoded copy.
    if hex_tx.len() > MAX_TX_BYTES.saturating_mul(2).saturating_add(2) {
        return Err(RpcError::Pool(format!(
            "transaction is over {MAX_TX_BYTES} bytes"
        )));
    }
    decode_hex(hex_tx).map_err(RpcError::InvalidParams)
}

fn receipt_of(bytes: &[u8]) -> Option<Receipt> {
    Receipt::decode_all(&mut &bytes[..]).ok()
}

impl RpcImpl {
    /// The API over `node`, whose transactions bind to `chain_id`.
    pub fn new(node: Node<ChainMachine>, chain_id: ChainId) -> Self {
        Self { node, chain_id }
    }

    fn store(&self) -> Result<SnapshotStore, RpcError> {
        Ok(SnapshotStore(self.node.state().map_err(internal)?))
    }

    fn finalized_height(&self) -> u64 {
        self.node.head().finalized.height
    }

    fn subnet_opt(&self, netuid: NetUid) -> Result<Option<SubnetInfo>, RpcError> {
        match queries::subnet(&self.store()?, netuid) {
            Ok(s) => Ok(Some(s)),
            Err(ChainError::SubnetNotExists(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn inclusion(&self, hash: &[u8; 32]) -> Result<Option<TxInclusion>, RpcError> {
        let Some(loc) = self.node.transaction(hash).map_err(internal)? else {
            return Ok(None);
        };
        let block_hash = self
            .node
            .state()
            .map_err(internal)?
            .block_hash(loc.height)
            .map_err(internal)?
            .map(Hash);
        Ok(Some(TxInclusion {
            height: loc.height,
            block_hash,
            index: loc.index,
            receipt: receipt_of(&loc.receipt),
        }))
    }

    async fn block_of(&self, at: BlockId) -> Result<Option<Block>, RpcError> {
        match at {
            BlockId::Height(h) => self.node.block_by_height(h).await.map_err(internal),
            BlockId::Hash(h) => self.node.block_by_hash(&h.0).await.map_err(internal),
        }
    }

    fn block_view(&self, block: &Block) -> Result<BlockView, RpcError> {
        let snapshot = self.node.state().map_err(internal)?;
        let mut extrinsics = Vec::with_capacity(block.transactions.len());
        for bytes in &block.transactions {
            let hash = node::block::tx_hash(bytes);
            let tx = Transaction::decode_all(&mut &bytes[..]).ok();
            let receipt = snapshot
                .transaction(&hash)
                .map_err(internal)?
                .and_then(|l| receipt_of(&l.receipt));
            extrinsics.push(ExtrinsicView {
                hash: Hash(hash),
                call: tx.as_ref().map(|t| t.call.name().to_string()),
                signer: tx.map(|t| t.signer),
                receipt,
            });
        }
        let h = &block.header;
        Ok(BlockView {
            height: h.height,
            hash: Hash(block.hash()),
            parent: Hash(h.parent),
            state_root: Hash(h.state_root),
            tx_root: Hash(h.tx_root),
            timestamp_ms: h.timestamp_ms,
            proposer: Hash(h.proposer),
            extrinsics,
        })
    }

    fn dry_run_call(
        &self,
        signer: &AccountId,
        call: Call,
        tip: TaoBalance,
    ) -> Result<DryRunView, RpcError> {
        let store = self.store()?;
        let env = BlockEnv {
            number: self.finalized_height().saturating_add(1),
            author: None,
        };
        let before = queries::subnets(&store, env.number)?;
        // As chain::dry_run, but keeping the overlay to read prices after the call.
        let mut overlay = chain::Overlay::new(&store);
        let nonce = chain::State::new(&mut overlay, env.clone())
            .account(signer)?
            .nonce;
        let tx = Transaction {
            signer: *signer,
            nonce,
            tip,
            call,
            signature: [0; 64],
        };
        let receipt = chain::runtime::apply_checked(&mut overlay, &env, &tx)?;
        let after = queries::subnets(&overlay, env.number)?;
        let price_impact = before
            .iter()
            .filter_map(|b| {
                let a = after.iter().find(|a| a.netuid == b.netuid)?;
                (a.price_rao != b.price_rao)
                    .then(|| PriceImpact::new(b.netuid, b.price_rao, a.price_rao))
            })
            .collect();
        let (explanation, hint) = match &receipt.outcome {
            TxOutcome::Applied => (None, None),
            TxOutcome::Failed(e) | TxOutcome::Invalid(e) => {
                (Some(e.to_string()), Some(e.hint().to_string()))
            }
        };
        Ok(DryRunView {
            fee: receipt.fee,
            tip: receipt.tip,
            outcome: receipt.outcome,
            explanation,
            hint,
            events: receipt.events,
            price_impact,
        })
    }
}

/// Sends JSON; `false` when the subscriber left.
async fn send<T: serde::Serialize>(sink: &SubscriptionSink, item: &T) -> bool {
    match serde_json::value::to_raw_value(item) {
        Ok(raw) => sink.send(raw).await.is_ok(),
        Err(_) => false,
    }
}

async fn forward_heads(sink: SubscriptionSink, mut rx: tokio::sync::broadcast::Receiver<BlockRef>) {
    loop {
        tokio::select! {
            _ = sink.closed() => return,
            r = rx.recv() => match r {
                Ok(r) => if !send(&sink, &ref_view(&r)).await { return },
                // A slow subscriber skips heads rather than holding the node back.
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            }
        }
    }
}

#[async_trait]
impl RustensorApiServer for RpcImpl {
    async fn chain_id(&self) -> RpcResult<ChainIdView> {
        Ok(ChainIdView {
            genesis_hash: Hash(self.chain_id.genesis_hash),
            spec_version: self.chain_id.spec_version,
            genesis_block: Hash(self.node.genesis().hash()),
        })
    }

    async fn health(&self) -> RpcResult<HealthView> {
        let head = self.node.head();
        Ok(HealthView {
            best: head.best.height,
            finalized: head.finalized.height,
            pending: self.node.mempool_len(),
            halted: self.node.halted(),
        })
    }

    async fn account_next_index(&self, account: AccountId) -> RpcResult<u64> {
        Ok(self.node.next_nonce(&account.0).map_err(internal)?)
    }

    async fn head(&self) -> RpcResult<HeadView> {
        let head = self.node.head();
        Ok(HeadView {
            best: hash_of(&head.best),
            finalized: hash_of(&head.finalized),
            state_root: Hash(head.finalized.state_root),
        })
    }

    async fn block(&self, at: BlockId) -> RpcResult<Option<BlockView>> {
        match self.block_of(at).await? {
            Some(b) => Ok(Some(self.block_view(&b)?)),
            None => Ok(None),
        }
    }

    async fn raw_block(&self, at: BlockId) -> RpcResult<Option<String>> {
        Ok(self
            .block_of(at)
            .await?
            .map(|b| encode_hex(&parity_scale_codec::Encode::encode(&b))))
    }

    async fn block_hash(&self, height: u64) -> RpcResult<Option<Hash>> {
        if height == 0 {
            return Ok(Some(Hash(self.node.genesis().hash())));
        }
        let snap = self.node.state().map_err(internal)?;
        Ok(snap.block_hash(height).map_err(internal)?.map(Hash))
    }

    async fn subscribe_new_heads(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let rx = self.node.subscribe_heads();
        let sink = pending.accept().await?;
        tokio::spawn(forward_heads(sink, rx));
        Ok(())
    }

    async fn subscribe_finalized_heads(
        &self,
        pending: PendingSubscriptionSink,
    ) -> SubscriptionResult {
        let rx = self.node.subscribe_finalized();
        let sink = pending.accept().await?;
        tokio::spawn(forward_heads(sink, rx));
        Ok(())
    }

    async fn subscribe_events(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        let mut rx = self.node.subscribe_finalized();
        let sink = pending.accept().await?;
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                let r = tokio::select! {
                    _ = sink.closed() => return,
                    r = rx.recv() => r,
                };
                let r = match r {
                    Ok(r) => r,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return,
                };
                let Ok(Some(view)) = this.block(BlockId::Height(r.height)).await else {
                    continue;
                };
                let events = view
                    .extrinsics
                    .into_iter()
                    .flat_map(|x| {
                        let hash = x.hash;
                        x.receipt
                            .map(|rc| rc.events)
                            .unwrap_or_default()
                            .into_iter()
                            .map(move |e| (hash, e))
                    })
                    .collect();
                let item = BlockEventsView {
                    height: r.height,
                    hash: Hash(r.hash),
                    events,
                };
                if !send(&sink, &item).await {
                    return;
                }
            }
        });
        Ok(())
    }

    async fn submit_extrinsic(&self, extrinsic: String) -> RpcResult<Hash> {
        let bytes = tx_bytes(&extrinsic)?;
        Ok(Hash(self.node.submit(bytes).map_err(pool_error)?))
    }

    async fn submit_extrinsics(&self, extrinsics: Vec<String>) -> RpcResult<Vec<SubmitResult>> {
        if extrinsics.len() > crate::MAX_BATCH {
            return Err(RpcError::InvalidParams(format!(
                "{} transactions in one call; the most is {}",
                extrinsics.len(),
                crate::MAX_BATCH
            ))
            .into());
        }
        // Hex first: a transaction that does not decode gets its own error, the rest go on.
        let mut results: Vec<Option<SubmitResult>> = Vec::with_capacity(extrinsics.len());
        let mut bytes = Vec::with_capacity(extrinsics.len());
        for x in &extrinsics {
            match tx_bytes(x) {
                Ok(b) => {
                    bytes.push(b);
                    results.push(None);
                }
                Err(e) => results.push(Some(SubmitResult {
                    hash: None,
                    error: Some(ErrorView::from(&e)),
                })),
            }
        }
        drop(extrinsics);
        let node = self.node.clone();
        let pooled = tokio::task::spawn_blocking(move || node.submit_batch(bytes))
            .await
            .map_err(internal)?;
        let mut pooled = pooled.into_iter();
        Ok(results
            .into_iter()
            .map(|r| {
                r.unwrap_or_else(|| match pooled.next() {
                    Some(Ok(hash)) => SubmitResult {
                        hash: Some(Hash(hash)),
                        error: None,
                    },
                    Some(Err(e)) => SubmitResult {
                        hash: None,
                        error: Some(ErrorView::from(&pool_error(e))),
                    },
                    None => SubmitResult {
                        hash: None,
                        error: Some(ErrorView::from(&RpcError::Internal(
                            "missing result".into(),
                        ))),
                    },
                })
            })
            .collect())
    }

    async fn submit_and_watch_extrinsic(
        &self,
        pending: PendingSubscriptionSink,
        extrinsic: String,
    ) -> SubscriptionResult {
        let bytes = match tx_bytes(&extrinsic) {
            Ok(b) => b,
            Err(e) => {
                pending.reject(e).await;
                return Ok(());
            }
        };
        // Subscribe before submitting so a fast block cannot slip past.
        let mut rx = self.node.subscribe_finalized();
        let hash = match self.node.submit(bytes) {
            Ok(h) => h,
            Err(e) => {
                pending.reject(pool_error(e)).await;
                return Ok(());
            }
        };
        let sink = pending.accept().await?;
        let this = self.clone();
        tokio::spawn(async move {
            if !send(&sink, &TxStatus::Ready { hash: Hash(hash) }).await {
                return;
            }
            let deadline = tokio::time::Instant::now() + WATCH_TIMEOUT;
            loop {
                // The node indexes transactions when their block is finalized; in this
                // single-finality engine inclusion and finality are reported together.
                if let Ok(Some(inc)) = this.inclusion(&hash) {
                    let _ = send(&sink, &TxStatus::InBlock(inc.clone())).await;
                    let _ = send(&sink, &TxStatus::Finalized(inc)).await;
                    return;
                }
                tokio::select! {
                    _ = sink.closed() => return,
                    _ = tokio::time::sleep_until(deadline) => {
                        let reason = format!("not finalized within {}s", WATCH_TIMEOUT.as_secs());
                        let _ = send(&sink, &TxStatus::Dropped { reason }).await;
                        return;
                    }
                    r = rx.recv() => if let Err(RecvError::Closed) = r { return },
                }
            }
        });
        Ok(())
    }

    async fn pending_extrinsics(&self) -> RpcResult<usize> {
        Ok(self.node.mempool_len())
    }

    async fn transaction(&self, hash: Hash) -> RpcResult<Option<TxInclusion>> {
        Ok(self.inclusion(&hash.0)?)
    }

    async fn dry_run(
        &self,
        signer: AccountId,
        call: String,
        tip: Option<u64>,
    ) -> RpcResult<DryRunView> {
        let bytes = tx_bytes(&call)?;
        let call = Call::decode(&mut &bytes[..])
            .map_err(|e| RpcError::InvalidParams(format!("call does not decode: {e}")))?;
        Ok(self.dry_run_call(&signer, call, TaoBalance::from_rao(tip.unwrap_or(0)))?)
    }

    async fn account(&self, account: AccountId) -> RpcResult<AccountView> {
        let info = queries::account(&self.store()?, &account).map_err(RpcError::from)?;
        let next_nonce = self.node.next_nonce(&account.0).map_err(internal)?;
        Ok(AccountView {
            address: account,
            free: info.free,
            nonce: info.nonce,
            next_nonce,
        })
    }

    async fn subnets(&self) -> RpcResult<Vec<SubnetInfo>> {
        Ok(queries::subnets(&self.store()?, self.finalized_height()).map_err(RpcError::from)?)
    }

    async fn subnet(&self, netuid: NetUid) -> RpcResult<Option<SubnetInfo>> {
        Ok(self.subnet_opt(netuid)?)
    }

    async fn hyperparams(
        &self,
        netuid: NetUid,
    ) -> RpcResult<Option<chain::hyperparams::Hyperparams>> {
        Ok(self.subnet_opt(netuid)?.map(|s| s.hyperparams))
    }

    async fn pool(&self, netuid: NetUid) -> RpcResult<Option<PoolView>> {
        Ok(self.subnet_opt(netuid)?.as_ref().map(PoolView::from))
    }

    async fn lock_cost(&self) -> RpcResult<u64> {
        let cost = queries::network_lock_cost(&self.store()?, self.finalized_height())
            .map_err(RpcError::from)?;
        Ok(cost.rao())
    }

    async fn alpha_price(&self, netuid: NetUid) -> RpcResult<u64> {
        let s = queries::subnet(&self.store()?, netuid).map_err(RpcError::from)?;
        Ok(s.price_rao)
    }

    async fn sim_tao_for_alpha(&self, netuid: NetUid, tao: u64) -> RpcResult<SwapView> {
        let (out, fee) =
            queries::sim_swap_tao_for_alpha(&self.store()?, netuid, TaoBalance::from_rao(tao))
                .map_err(RpcError::from)?;
        Ok(SwapView {
            amount_out: out.rao(),
            fee: fee.rao(),
        })
    }

    async fn sim_alpha_for_tao(&self, netuid: NetUid, alpha: u64) -> RpcResult<SwapView> {
        let (out, fee) = queries::sim_swap_alpha_for_tao(
            &self.store()?,
            netuid,
            types::AlphaBalance::from_rao(alpha),
        )
        .map_err(RpcError::from)?;
        Ok(SwapView {
            amount_out: out.rao(),
            fee: fee.rao(),
        })
    }

    async fn metagraph(&self, netuid: NetUid) -> RpcResult<Option<MetagraphView>> {
        let block = self.finalized_height();
        // One snapshot for the subnet and its neurons, so they agree.
        let store = self.store()?;
        let subnet = match queries::subnet(&store, netuid) {
            Ok(s) => s,
            Err(ChainError::SubnetNotExists(_)) => return Ok(None),
            Err(e) => return Err(RpcError::from(e).into()),
        };
        let neurons = queries::neurons(&store, netuid).map_err(RpcError::from)?;
        Ok(Some(MetagraphView {
            netuid,
            block,
            subnet,
            neurons,
        }))
    }

    async fn stake_for_coldkey(&self, coldkey: AccountId) -> RpcResult<Vec<StakeInfo>> {
        Ok(queries::stake_for_coldkey(&self.store()?, &coldkey).map_err(RpcError::from)?)
    }

    async fn stake_for_hotkey(&self, hotkey: AccountId) -> RpcResult<Option<DelegateInfo>> {
        Ok(queries::delegate(&self.store()?, &hotkey).map_err(RpcError::from)?)
    }
}

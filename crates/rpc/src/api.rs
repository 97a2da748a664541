//! The JSON-RPC API. Names follow Substrate and Subtensor where one exists (`chain_*`,
//! `author_*`, `system_*`, `neuronInfo_*`, `subnetInfo_*`, `stakeInfo_*`, `swap_*`).
// The rpc macro generates items without docs.
#![allow(missing_docs)]

use chain::queries::{DelegateInfo, StakeInfo, SubnetInfo};
#[allow(unused_imports)] // used by the server half only
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use types::{AccountId, NetUid};

use crate::views::*;

#[cfg_attr(feature = "server", rpc(server, client))]
#[cfg_attr(not(feature = "server"), rpc(client))]
pub trait RustensorApi {
    /// Genesis hash, spec version and the genesis block hash: what signatures bind to.
    #[method(name = "system_chainId")]
    async fn chain_id(&self) -> RpcResult<ChainIdView>;

    /// Node health: heights, pool size, halted reason.
    #[method(name = "system_health")]
    async fn health(&self) -> RpcResult<HealthView>;

    /// The next nonce to sign for an account (pooled transactions counted).
    #[method(name = "system_accountNextIndex")]
    async fn account_next_index(&self, account: AccountId) -> RpcResult<u64>;

    /// Best and finalized heads, and the finalized state root.
    #[method(name = "chain_getHead")]
    async fn head(&self) -> RpcResult<HeadView>;

    /// A finalized block by height or `0x` hash, with its extrinsics and receipts.
    #[method(name = "chain_getBlock")]
    async fn block(&self, at: BlockId) -> RpcResult<Option<BlockView>>;

    /// A finalized block's SCALE encoding (header and transactions) as `0x` hex: what an
    /// auditor needs to re-execute the chain or archive it.
    #[method(name = "chain_getRawBlock")]
    async fn raw_block(&self, at: BlockId) -> RpcResult<Option<String>>;

    /// The hash of the finalized block at a height.
    #[method(name = "chain_getBlockHash")]
    async fn block_hash(&self, height: u64) -> RpcResult<Option<Hash>>;

    /// New best heads.
    #[subscription(name = "chain_subscribeNewHeads" => "chain_newHead", unsubscribe = "chain_unsubscribeNewHeads", item = BlockRefView)]
    async fn subscribe_new_heads(&self) -> jsonrpsee::core::SubscriptionResult;

    /// Finalized heads.
    #[subscription(name = "chain_subscribeFinalizedHeads" => "chain_finalizedHead", unsubscribe = "chain_unsubscribeFinalizedHeads", item = BlockRefView)]
    async fn subscribe_finalized_heads(&self) -> jsonrpsee::core::SubscriptionResult;

    /// Events of each finalized block's transactions.
    #[subscription(name = "chain_subscribeEvents" => "chain_events", unsubscribe = "chain_unsubscribeEvents", item = BlockEventsView)]
    async fn subscribe_events(&self) -> jsonrpsee::core::SubscriptionResult;

    /// Submits a SCALE-encoded signed transaction (hex); returns its hash.
    #[method(name = "author_submitExtrinsic")]
    async fn submit_extrinsic(&self, extrinsic: String) -> RpcResult<Hash>;

    /// Submits many SCALE-encoded signed transactions (hex) in one call (at most
    /// [`crate::MAX_BATCH`]); one result per transaction, in order. The node checks their
    /// signatures in parallel.
    #[method(name = "author_submitExtrinsics")]
    async fn submit_extrinsics(&self, extrinsics: Vec<String>) -> RpcResult<Vec<SubmitResult>>;

    /// Submits and reports `ready`, then `inBlock` and `finalized` (or `dropped`).
    #[subscription(name = "author_submitAndWatchExtrinsic" => "author_extrinsicUpdate", unsubscribe = "author_unwatchExtrinsic", item = TxStatus)]
    async fn submit_and_watch_extrinsic(
        &self,
        extrinsic: String,
    ) -> jsonrpsee::core::SubscriptionResult;

    /// Number of pooled transactions.
    #[method(name = "author_pendingExtrinsics")]
    async fn pending_extrinsics(&self) -> RpcResult<usize>;

    /// A committed transaction: block, index and receipt.
    #[method(name = "author_getTransaction")]
    async fn transaction(&self, hash: Hash) -> RpcResult<Option<TxInclusion>>;

    /// Dry run of a SCALE-encoded call (hex) for `signer`: fee, outcome, events, price impact.
    #[method(name = "author_dryRun")]
    async fn dry_run(
        &self,
        signer: AccountId,
        call: String,
        tip: Option<u64>,
    ) -> RpcResult<DryRunView>;

    /// Free balance and nonce.
    #[method(name = "state_getAccount")]
    async fn account(&self, account: AccountId) -> RpcResult<AccountView>;

    /// Every subnet with its pool and hyperparameters.
    #[method(name = "subnetInfo_getSubnets")]
    async fn subnets(&self) -> RpcResult<Vec<SubnetInfo>>;

    /// One subnet.
    #[method(name = "subnetInfo_getSubnet")]
    async fn subnet(&self, netuid: NetUid) -> RpcResult<Option<SubnetInfo>>;

    /// A subnet's hyperparameters.
    #[method(name = "subnetInfo_getHyperparams")]
    async fn hyperparams(
        &self,
        netuid: NetUid,
    ) -> RpcResult<Option<chain::hyperparams::Hyperparams>>;

    /// A subnet's pool reserves and prices.
    #[method(name = "subnetInfo_getPool")]
    async fn pool(&self, netuid: NetUid) -> RpcResult<Option<PoolView>>;

    /// The cost (lock) of registering a subnet now.
    #[method(name = "subnetInfo_getLockCost")]
    async fn lock_cost(&self) -> RpcResult<u64>;

    /// Spot price of a subnet's alpha in rao per alpha.
    #[method(name = "swap_currentAlphaPrice")]
    async fn alpha_price(&self, netuid: NetUid) -> RpcResult<u64>;

    /// Simulated stake of `tao` rao: alpha out and fee.
    #[method(name = "swap_simSwapTaoForAlpha")]
    async fn sim_tao_for_alpha(&self, netuid: NetUid, tao: u64) -> RpcResult<SwapView>;

    /// Simulated unstake of `alpha` rao: TAO out and fee.
    #[method(name = "swap_simSwapAlphaForTao")]
    async fn sim_alpha_for_tao(&self, netuid: NetUid, alpha: u64) -> RpcResult<SwapView>;

    /// A subnet's metagraph: subnet info and every neuron (chain.md §6 fields) in one call.
    #[method(name = "neuronInfo_getMetagraph")]
    async fn metagraph(&self, netuid: NetUid) -> RpcResult<Option<MetagraphView>>;

    /// Stake positions of a coldkey.
    #[method(name = "stakeInfo_getStakeForColdkey")]
    async fn stake_for_coldkey(&self, coldkey: AccountId) -> RpcResult<Vec<StakeInfo>>;

    /// A hotkey's stake per subnet, owner and take.
    #[method(name = "stakeInfo_getStakeForHotkey")]
    async fn stake_for_hotkey(&self, hotkey: AccountId) -> RpcResult<Option<DelegateInfo>>;
}

//! Events: what a user or an explorer wants to see happen. Emitted into the block's receipts;
//! a failed call's events are dropped with its state changes.
// The SCALE derives on enums expand to `as` casts of variant indices.
#![allow(clippy::as_conversions)]

use parity_scale_codec::{Decode, Encode};
use types::{AccountId, AlphaBalance, BlockNumber, NetUid, TaoBalance, Uid};

use crate::error::ChainError;
use crate::params::GlobalParam;

/// Something that happened.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub enum Event {
    /// A transaction's call succeeded.
    ExtrinsicSuccess {
        /// Signer.
        who: AccountId,
        /// Fee paid (without tip).
        fee: TaoBalance,
        /// Tip paid.
        tip: TaoBalance,
    },
    /// A transaction's call failed; only the fee was charged.
    ExtrinsicFailed {
        /// Signer.
        who: AccountId,
        /// Fee paid (without tip).
        fee: TaoBalance,
        /// Tip paid.
        tip: TaoBalance,
        /// Why.
        error: ChainError,
    },
    /// TAO moved between accounts.
    Transfer {
        /// Sender.
        from: AccountId,
        /// Receiver.
        to: AccountId,
        /// Amount.
        amount: TaoBalance,
    },
    /// An account fell below the existential deposit and its dust was recycled.
    DustLost {
        /// The account.
        who: AccountId,
        /// The dust.
        amount: TaoBalance,
    },
    /// Block emission minted.
    BlockEmission {
        /// TAO emitted this block (to subnets).
        tao: TaoBalance,
    },
    /// A subnet was registered.
    NetworkAdded {
        /// New netuid.
        netuid: NetUid,
        /// Owner coldkey.
        owner: AccountId,
        /// Lock paid.
        lock: TaoBalance,
    },
    /// A subnet was dissolved; its pool TAO paid out to alpha holders.
    NetworkRemoved {
        /// The netuid.
        netuid: NetUid,
        /// TAO distributed.
        distributed: TaoBalance,
    },
    /// start_call: the subnet's token trades and it earns emission.
    SubnetStarted {
        /// The netuid.
        netuid: NetUid,
        /// First emission block.
        first_emission_block: BlockNumber,
    },
    /// A subnet identity was set.
    SubnetIdentitySet {
        /// The netuid.
        netuid: NetUid,
    },
    /// A hyperparameter changed.
    HyperparameterSet {
        /// The netuid.
        netuid: NetUid,
        /// Parameter name.
        name: String,
        /// New value.
        value: String,
    },
    /// A global parameter changed.
    GlobalParamSet {
        /// The change.
        param: GlobalParam,
    },
    /// A neuron registered.
    NeuronRegistered {
        /// The subnet.
        netuid: NetUid,
        /// Its uid.
        uid: Uid,
        /// Its hotkey.
        hotkey: AccountId,
        /// Registration cost (recycled into the pool).
        cost: TaoBalance,
        /// The hotkey it replaced, if the subnet was full.
        replaced: Option<AccountId>,
    },
    /// An axon was served.
    AxonServed {
        /// The subnet.
        netuid: NetUid,
        /// The hotkey.
        hotkey: AccountId,
    },
    /// A Prometheus endpoint was served.
    PrometheusServed {
        /// The subnet.
        netuid: NetUid,
        /// The hotkey.
        hotkey: AccountId,
    },
    /// Weights were set (directly or by reveal).
    WeightsSet {
        /// The subnet.
        netuid: NetUid,
        /// The setter's uid.
        uid: Uid,
        /// Number of weights.
        count: u16,
    },
    /// A weights hash was committed.
    WeightsCommitted {
        /// The subnet.
        netuid: NetUid,
        /// The hotkey.
        hotkey: AccountId,
        /// The hash.
        hash: [u8; 32],
    },
    /// Stake added: TAO in, alpha out.
    StakeAdded {
        /// The coldkey.
        coldkey: AccountId,
        /// The hotkey.
        hotkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// TAO paid (including fee).
        tao: TaoBalance,
        /// Alpha received.
        alpha: AlphaBalance,
        /// Swap fee (TAO).
        fee: TaoBalance,
        /// Spot price after the trade, rao per alpha.
        price: u64,
    },
    /// Stake removed: alpha in, TAO out.
    StakeRemoved {
        /// The coldkey.
        coldkey: AccountId,
        /// The hotkey.
        hotkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// Alpha sold.
        alpha: AlphaBalance,
        /// TAO received.
        tao: TaoBalance,
        /// Swap fee (TAO equivalent).
        fee: TaoBalance,
        /// Spot price after the trade, rao per alpha.
        price: u64,
    },
    /// Stake moved (move, transfer or swap).
    StakeMoved {
        /// Origin coldkey.
        from_coldkey: AccountId,
        /// Destination coldkey.
        to_coldkey: AccountId,
        /// Origin hotkey.
        from_hotkey: AccountId,
        /// Destination hotkey.
        to_hotkey: AccountId,
        /// Origin subnet.
        from_netuid: NetUid,
        /// Destination subnet.
        to_netuid: NetUid,
        /// Alpha taken from the origin.
        alpha_out: AlphaBalance,
        /// Alpha credited at the destination.
        alpha_in: AlphaBalance,
        /// TAO that flowed between the pools.
        tao: TaoBalance,
        /// Destination spot price after the move, rao per alpha.
        price: u64,
    },
    /// A delegate's take changed.
    TakeSet {
        /// The hotkey.
        hotkey: AccountId,
        /// New take.
        take: u16,
    },
    /// A hotkey was swapped.
    HotkeySwapped {
        /// Coldkey.
        coldkey: AccountId,
        /// Old hotkey.
        old: AccountId,
        /// New hotkey.
        new: AccountId,
    },
    /// A coldkey swap was scheduled.
    ColdkeySwapScheduled {
        /// Old coldkey.
        old: AccountId,
        /// New coldkey.
        new: AccountId,
        /// Execution block.
        execute_at: BlockNumber,
    },
    /// A coldkey swap executed.
    ColdkeySwapped {
        /// Old coldkey.
        old: AccountId,
        /// New coldkey.
        new: AccountId,
    },
    /// An owner triggered an epoch.
    EpochTriggered {
        /// The subnet.
        netuid: NetUid,
        /// The block it runs at.
        at: BlockNumber,
    },
    /// Alpha stake destroyed (recycled lowers the subnet's issuance, burned does not).
    AlphaDestroyed {
        /// The coldkey.
        coldkey: AccountId,
        /// The hotkey.
        hotkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// Amount.
        amount: AlphaBalance,
        /// Recycled (true) or burned (false).
        recycled: bool,
    },
    /// A coldkey set its identity.
    IdentitySet {
        /// The coldkey.
        coldkey: AccountId,
    },
    /// A parent's new children were queued.
    ChildrenScheduled {
        /// Parent hotkey.
        parent: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// The block from which they apply (at the next epoch).
        at: BlockNumber,
    },
    /// A parent's children took effect.
    ChildrenSet {
        /// Parent hotkey.
        parent: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// (proportion, child).
        children: Vec<(u64, AccountId)>,
    },
    /// A childkey take changed.
    ChildkeyTakeSet {
        /// The hotkey.
        hotkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// New take.
        take: u16,
    },
    /// A coldkey chose how its root dividends are paid.
    RootClaimTypeSet {
        /// The coldkey.
        coldkey: AccountId,
        /// Its choice.
        claim_type: crate::schema::RootClaimType,
    },
    /// A subnet's token symbol changed.
    SymbolUpdated {
        /// The subnet.
        netuid: NetUid,
        /// New symbol (UTF-8).
        symbol: Vec<u8>,
    },
    /// A subnet's owner hotkey changed.
    OwnerHotkeySet {
        /// The subnet.
        netuid: NetUid,
        /// New owner hotkey.
        hotkey: AccountId,
    },
    /// A coldkey chose where its miners' incentive on a subnet is staked.
    AutoStakeSet {
        /// The coldkey.
        coldkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// The receiving hotkey.
        hotkey: AccountId,
    },
    /// A subnet's epoch ran and paid out.
    EpochRun {
        /// The subnet.
        netuid: NetUid,
        /// Alpha distributed in total.
        emission: AlphaBalance,
        /// To miners.
        incentive: AlphaBalance,
        /// To validators and nominators (alpha dividends).
        dividends: AlphaBalance,
        /// To root stakers.
        root_dividends: AlphaBalance,
        /// To the owner.
        owner_cut: AlphaBalance,
        /// Withheld from owner hotkeys (burned or recycled).
        burned: AlphaBalance,
    },
}

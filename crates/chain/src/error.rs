//! One error enum for the whole chain. Every variant has a one-line explanation (its `Display`)
//! and a hint of what to do (`hint()`); clients show both. Names follow the reference chain's
//! error names where one exists, so users can search for them.
// The SCALE derives on enums expand to `as` casts of variant indices.
#![allow(clippy::as_conversions)]

use parity_scale_codec::{Decode, Encode};
use types::{BlockNumber, NetUid};

/// Why a transaction or a call was rejected.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    thiserror::Error,
    Encode,
    Decode,
    serde::Serialize,
    serde::Deserialize,
)]
pub enum ChainError {
    // ---- transaction envelope ----
    /// The signature does not verify for the signer.
    #[error("bad signature: the transaction was not signed by its signer for this chain")]
    BadSignature,
    /// The nonce was already used.
    #[error("stale nonce {got}: the account's next nonce is {expected}")]
    StaleNonce {
        /// The account's next nonce.
        expected: u64,
        /// The nonce in the transaction.
        got: u64,
    },
    /// The nonce is ahead of the account's next nonce.
    #[error("future nonce {got}: the account's next nonce is {expected}")]
    FutureNonce {
        /// The account's next nonce.
        expected: u64,
        /// The nonce in the transaction.
        got: u64,
    },
    /// The signer cannot pay the transaction fee.
    #[error("cannot pay the fee of {fee} rao")]
    CannotPayFee {
        /// The fee in rao (including the tip).
        fee: u64,
    },
    /// The transaction bytes do not decode.
    #[error("the transaction bytes do not decode")]
    UndecodableTransaction,

    // ---- origins ----
    /// A root-only call from someone other than the sudo key.
    #[error("only the sudo key may make this call")]
    NotSudo,
    /// A subnet-owner call from someone other than the subnet's owner (or sudo).
    #[error("only the owner of subnet {0} (or sudo) may make this call")]
    NotSubnetOwner(NetUid),
    /// The coldkey does not own the hotkey.
    #[error("the signing coldkey does not own this hotkey")]
    NonAssociatedColdKey,

    // ---- balances ----
    /// Not enough free balance.
    #[error("insufficient balance: {needed} rao needed, {available} rao free")]
    InsufficientBalance {
        /// What the operation needs.
        needed: u64,
        /// The free balance.
        available: u64,
    },
    /// The transfer would leave an account below the existential deposit.
    #[error("the transfer would leave an account below the existential deposit of 500 rao")]
    ExistentialDeposit,
    /// Transfers of this subnet's stake are switched off.
    #[error("stake transfers are disabled on subnet {0}")]
    TransferDisallowed(NetUid),

    // ---- subnets ----
    /// The subnet does not exist.
    #[error("subnet {0} does not exist")]
    SubnetNotExists(NetUid),
    /// The call is not allowed on the root network.
    #[error("this call is not allowed on the root network (netuid 0)")]
    NotAllowedOnRoot,
    /// No free subnet slot and none can be pruned.
    #[error("the subnet limit is reached and no subnet can be pruned")]
    SubnetLimitReached,
    /// register_network called too soon after the last one.
    #[error("a network was registered recently; the next may be registered at block {0}")]
    NetworkTxRateLimitExceeded(BlockNumber),
    /// The subnet was already started.
    #[error("subnet {0} was already started")]
    FirstEmissionBlockNumberAlreadySet(NetUid),
    /// start_call before the start-call delay.
    #[error("subnet {netuid} can be started from block {at}")]
    NeedWaitingMoreBlocksToStartCall {
        /// The subnet.
        netuid: NetUid,
        /// The first block at which start_call is allowed.
        at: BlockNumber,
    },
    /// Staking into a subnet before start_call.
    #[error("subnet {0} has not been started: its token is not tradable yet")]
    SubtokenDisabled(NetUid),
    /// Another subnet uses this symbol.
    #[error("another subnet already uses this symbol")]
    SymbolAlreadyInUse,
    /// A subnet identity field is too long.
    #[error("the subnet identity field '{0}' is too long")]
    InvalidIdentity(String),

    // ---- hyperparameters ----
    /// A hyperparameter value is out of its allowed range.
    #[error("{name} = {value} is out of range: {rule}")]
    HyperparamOutOfRange {
        /// The parameter.
        name: String,
        /// The value given.
        value: String,
        /// The allowed range.
        rule: String,
    },
    /// Only root may set this hyperparameter.
    #[error("{0} can only be set by root (sudo)")]
    HyperparamRootOnly(String),
    /// The owner set this hyperparameter too recently.
    #[error("{name} was changed recently; the owner may change it again at block {at}")]
    OwnerHyperparamRateLimited {
        /// The parameter.
        name: String,
        /// The first block at which the owner may set it again.
        at: BlockNumber,
    },
    /// Owner changes are frozen just before an epoch.
    #[error("subnet {0} is inside its admin freeze window (the last blocks before an epoch)")]
    AdminActionProhibitedDuringWeightsWindow(NetUid),
    /// A deprecated call.
    #[error("this call is deprecated and does nothing")]
    Deprecated,

    // ---- registration ----
    /// Registration is switched off on this subnet.
    #[error("registration is disabled on subnet {0}")]
    SubNetRegistrationDisabled(NetUid),
    /// The hotkey already has a uid here.
    #[error("the hotkey is already registered on subnet {0}")]
    HotKeyAlreadyRegisteredInSubNet(NetUid),
    /// The subnet is full and nothing can be replaced.
    #[error("subnet {0} is full and no neuron can be replaced")]
    NoNeuronIdAvailable(NetUid),
    /// The registration price is above the caller's limit.
    #[error("the registration price {price} rao is above the limit {limit} rao")]
    RegistrationPriceLimitExceeded {
        /// The current price.
        price: u64,
        /// The caller's limit.
        limit: u64,
    },
    /// Too many registrations in this block (root subnet).
    #[error("too many registrations on subnet {0} in this block")]
    TooManyRegistrationsThisBlock(NetUid),
    /// The root network is full and the hotkey's root stake is too small to replace anyone.
    #[error("the root network is full and this hotkey's root stake is not above the lowest")]
    StakeTooLowForRoot,

    // ---- serving ----
    /// The hotkey has no uid on the subnet.
    #[error("the hotkey is not registered on subnet {0}")]
    HotKeyNotRegisteredInNetwork(NetUid),
    /// ip_type is neither 4 nor 6.
    #[error("ip_type {0} is not 4 or 6")]
    InvalidIpType(u8),
    /// A loopback, out-of-range or reserved address.
    #[error("the ip address is not a routable address of its type")]
    InvalidIpAddress,
    /// Port zero.
    #[error("port 0 is not a valid port")]
    InvalidPort,
    /// serve_axon too soon after the last one.
    #[error("the axon was served recently; serve again from block {0}")]
    ServingRateLimitExceeded(BlockNumber),

    // ---- weights ----
    /// set_weights on root.
    #[error("weights cannot be set on the root network")]
    CanNotSetRootNetworkWeights,
    /// uids and values differ in length.
    #[error("uids and weights have different lengths ({uids} vs {weights})")]
    WeightVecNotEqualSize {
        /// Number of uids.
        uids: u32,
        /// Number of values.
        weights: u32,
    },
    /// More uids than the subnet has.
    #[error("{0} weights given but the subnet has fewer neurons")]
    UidsLengthExceedUidsInSubNet(u32),
    /// A uid appears twice.
    #[error("uid {0} appears more than once")]
    DuplicateUids(u16),
    /// A uid does not exist.
    #[error("uid {0} does not exist on this subnet")]
    UidVecContainInvalidOne(u16),
    /// Fewer weights than the minimum.
    #[error("{got} weights given but at least {min} are required")]
    WeightVecLengthIsLow {
        /// Weights given.
        got: u32,
        /// The minimum.
        min: u32,
    },
    /// A weight above the max weight limit after upscaling.
    #[error("a weight exceeds the subnet's max weight limit {0}/65535")]
    MaxWeightExceeded(u16),
    /// The version key is below the subnet's.
    #[error("weights version key {got} is below the subnet's {required}")]
    IncorrectWeightVersionKey {
        /// The caller's key.
        got: u64,
        /// The subnet's key.
        required: u64,
    },
    /// Weights set too recently.
    #[error("weights were set recently; set again from block {0}")]
    SettingWeightsTooFast(BlockNumber),
    /// Not enough stake to set weights.
    #[error("stake weight {got} is below the stake threshold {required}")]
    NotEnoughStakeToSetWeights {
        /// The hotkey's stake weight.
        got: u64,
        /// The threshold.
        required: u64,
    },
    /// Setting weights to others requires a validator permit.
    #[error("the neuron has no validator permit")]
    NeuronNoValidatorPermit,
    /// Commit-reveal is off on this subnet.
    #[error("commit-reveal is disabled on subnet {0}")]
    CommitRevealDisabled(NetUid),
    /// Commit-reveal is on: use commit/reveal.
    #[error("commit-reveal is enabled on subnet {0}: weights must be committed and revealed")]
    CommitRevealEnabled(NetUid),
    /// Commit too soon.
    #[error("weights were committed recently; commit again from block {0}")]
    CommittingWeightsTooFast(BlockNumber),
    /// Ten unrevealed commits already.
    #[error("too many unrevealed weight commits")]
    TooManyUnrevealedCommits,
    /// No pending commit.
    #[error("no pending weight commit for this hotkey")]
    NoWeightsCommitFound,
    /// The reveal does not match any pending commit.
    #[error("the revealed weights do not match any pending commit")]
    InvalidRevealCommitHashNotMatch,
    /// Reveal before the reveal epoch.
    #[error("too early to reveal: the commit can be revealed in epoch {0}")]
    RevealTooEarly(u64),
    /// The matching commit expired.
    #[error("the matching weight commit has expired")]
    ExpiredWeightCommit,

    // ---- staking ----
    /// The hotkey has never been registered or associated.
    #[error("the hotkey does not exist (it has no owner)")]
    HotKeyAccountNotExists,
    /// Below the minimum stake.
    #[error("the amount is below the minimum of {0} rao")]
    AmountTooLow(u64),
    /// Not enough stake.
    #[error("not enough stake: {needed} requested, {available} available")]
    NotEnoughStakeToWithdraw {
        /// The amount asked for.
        needed: u64,
        /// The stake held.
        available: u64,
    },
    /// The pool cannot pay out.
    #[error("the pool has too little liquidity for this swap")]
    InsufficientLiquidity,
    /// The swap input is too large for the pool.
    #[error("the swap input is more than 1000 times the pool's reserve")]
    SwapInputTooLarge,
    /// A limit order cannot be filled within its price.
    #[error("the price limit cannot be met for the whole amount")]
    SlippageTooHigh,
    /// The limit price is already passed.
    #[error("the limit price is on the wrong side of the current price")]
    PriceLimitExceeded,
    /// move/swap within the same subnet and hotkey.
    #[error("origin and destination are the same")]
    SameNetuid,

    // ---- delegation ----
    /// Take above the maximum.
    #[error("take {0}/65535 is above the maximum")]
    DelegateTakeTooHigh(u16),
    /// Take below the minimum or not lower than the current one.
    #[error("take {0}/65535 is too low (or not a decrease)")]
    DelegateTakeTooLow(u16),
    /// Take increased too recently.
    #[error("the take was increased recently; increase again from block {0}")]
    DelegateTxRateLimitExceeded(BlockNumber),

    // ---- keys ----
    /// The new hotkey equals the old one.
    #[error("the new hotkey is the same as the old one")]
    NewHotKeyIsSameWithOld,
    /// The new hotkey already exists.
    #[error("the new hotkey is already in use")]
    HotKeyAlreadyExists,
    /// Hotkey swap rate limit.
    #[error("a hotkey was swapped recently; swap again from block {0}")]
    HotKeySwapRateLimited(BlockNumber),
    /// A coldkey swap is already scheduled.
    #[error("a coldkey swap is already scheduled for this coldkey")]
    ColdkeySwapAlreadyScheduled,
    /// The coldkey has a swap scheduled and may not act.
    #[error("this coldkey has a scheduled swap and is frozen until it executes at block {0}")]
    ColdkeySwapScheduled(BlockNumber),

    // ---- childkeys ----
    /// More than five children.
    #[error("at most 5 children per parent and subnet")]
    TooManyChildren,
    /// A child listed twice.
    #[error("a child is listed more than once")]
    DuplicateChild,
    /// The parent listed itself.
    #[error("a hotkey cannot be its own child")]
    InvalidChild,
    /// Proportions sum above 1.
    #[error("the children's proportions add up to more than 1")]
    ProportionOverflow,
    /// Parent and child roles would mix on this subnet.
    #[error("a hotkey cannot be both a parent and a child on the same subnet")]
    ChildParentInconsistency,
    /// The parent's stake is below the stake threshold.
    #[error("the parent's stake is below the stake threshold")]
    NotEnoughStakeToSetChildkeys,
    /// set_children too soon.
    #[error("children were set recently; set again from block {0}")]
    TxRateLimitExceeded(BlockNumber),
    /// Childkey take out of range.
    #[error("childkey take {0}/65535 is out of range")]
    InvalidChildkeyTake(u16),
    /// Childkey take raised too recently.
    #[error("the childkey take was raised recently; raise it again from block {0}")]
    TxChildkeyTakeRateLimitExceeded(BlockNumber),

    // ---- internal ----
    /// Arithmetic overflow (a bug or an absurd amount).
    #[error("arithmetic overflow in {0}")]
    Overflow(String),
    /// The state store failed.
    #[error("state store error: {0}")]
    Storage(String),
    /// A stored value does not decode.
    #[error("corrupt state at {0}")]
    Corrupt(String),
}

impl ChainError {
    /// What the user can do about it.
    pub fn hint(&self) -> &'static str {
        use ChainError::*;
        match self {
            BadSignature => {
                "sign with the signer's key, this chain's genesis hash and spec version"
            }
            StaleNonce { .. } => "query the account's nonce and sign again with it",
            FutureNonce { .. } => {
                "wait for the earlier transactions to be included, or use the next nonce"
            }
            CannotPayFee { .. } => "fund the account with enough free TAO for the fee and tip",
            UndecodableTransaction => "build the transaction with the rustensor client",
            NotSudo => "ask the sudo key holder to make this call",
            NotSubnetOwner(_) => "sign with the subnet owner's coldkey",
            NonAssociatedColdKey => "sign with the coldkey that owns (registered) this hotkey",
            InsufficientBalance { .. } => "lower the amount or fund the account",
            ExistentialDeposit => {
                "send at least 500 rao to a new account, or use transfer (allow death) to empty yours"
            }
            TransferDisallowed(_) => "ask the subnet owner to enable stake transfers",
            SubnetNotExists(_) => "list subnets and pick an existing netuid",
            NotAllowedOnRoot => "use a subnet netuid (1 or above)",
            SubnetLimitReached => "wait until a subnet's immunity ends so it can be pruned",
            NetworkTxRateLimitExceeded(_) => "wait until the given block",
            FirstEmissionBlockNumberAlreadySet(_) => "nothing to do: the subnet is already running",
            NeedWaitingMoreBlocksToStartCall { .. } => {
                "wait until the given block and call start_call again"
            }
            SubtokenDisabled(_) => "wait for the subnet owner to call start_call",
            SymbolAlreadyInUse => "choose another symbol",
            InvalidIdentity(_) => "shorten the field (at most 256 bytes; the name at most 64)",
            HyperparamOutOfRange { .. } => "choose a value inside the allowed range",
            HyperparamRootOnly(_) => "ask the sudo key holder to set it",
            OwnerHyperparamRateLimited { .. } => "wait until the given block",
            AdminActionProhibitedDuringWeightsWindow(_) => "retry after the subnet's next epoch",
            Deprecated => "use the replacement call",
            SubNetRegistrationDisabled(_) => {
                "ask root to allow registration or pick another subnet"
            }
            HotKeyAlreadyRegisteredInSubNet(_) => "use another hotkey, or keep the registered one",
            NoNeuronIdAvailable(_) => "wait for immunity periods to end or pick another subnet",
            RegistrationPriceLimitExceeded { .. } => {
                "raise the limit or wait for the price to decay"
            }
            TooManyRegistrationsThisBlock(_) => "retry in the next block",
            StakeTooLowForRoot => "add root stake to the hotkey first",
            HotKeyNotRegisteredInNetwork(_) => {
                "register the hotkey on the subnet first (burned_register)"
            }
            InvalidIpType(_) => "use 4 for IPv4 or 6 for IPv6",
            InvalidIpAddress => "serve a public address (not loopback)",
            InvalidPort => "serve on a port between 1 and 65535",
            ServingRateLimitExceeded(_) => "wait until the given block",
            CanNotSetRootNetworkWeights => "set weights on a subnet instead",
            WeightVecNotEqualSize { .. } => "give one weight per uid",
            UidsLengthExceedUidsInSubNet(_) => "give at most one weight per neuron",
            DuplicateUids(_) => "list each uid once",
            UidVecContainInvalidOne(_) => "refresh the metagraph and use existing uids",
            WeightVecLengthIsLow { .. } => {
                "weight at least the subnet's min_allowed_weights neurons"
            }
            MaxWeightExceeded(_) => "spread weight over more neurons",
            IncorrectWeightVersionKey { .. } => {
                "upgrade the validator to the subnet's current version"
            }
            SettingWeightsTooFast(_) => "wait until the given block",
            NotEnoughStakeToSetWeights { .. } => "add stake to the hotkey",
            NeuronNoValidatorPermit => "get more stake so the hotkey earns a validator permit",
            CommitRevealDisabled(_) => "use set_weights directly",
            CommitRevealEnabled(_) => "use commit_weights then reveal_weights",
            CommittingWeightsTooFast(_) => "wait until the given block",
            TooManyUnrevealedCommits => "reveal (or let expire) earlier commits first",
            NoWeightsCommitFound => "commit the weights' hash first",
            InvalidRevealCommitHashNotMatch => {
                "reveal exactly the uids, values, salt and version key you committed"
            }
            RevealTooEarly(_) => "wait for the reveal epoch",
            ExpiredWeightCommit => "commit again and reveal within the reveal period",
            HotKeyAccountNotExists => "register the hotkey on a subnet first",
            AmountTooLow(_) => "stake at least the minimum (0.002 TAO plus fees)",
            NotEnoughStakeToWithdraw { .. } => "query your stake and use at most that amount",
            InsufficientLiquidity => "use a smaller amount",
            SwapInputTooLarge => "split the amount into smaller swaps",
            SlippageTooHigh => "raise the price tolerance or allow partial fills",
            PriceLimitExceeded => "set a limit price beyond the current price",
            SameNetuid => "choose a different destination",
            DelegateTakeTooHigh(_) => "the maximum take is 11796/65535 (18%)",
            DelegateTakeTooLow(_) => "choose a take above the minimum and below the current take",
            DelegateTxRateLimitExceeded(_) => "wait until the given block",
            NewHotKeyIsSameWithOld => "choose a different new hotkey",
            HotKeyAlreadyExists => "use a fresh hotkey",
            HotKeySwapRateLimited(_) => "wait until the given block",
            ColdkeySwapAlreadyScheduled => "wait for the scheduled swap to execute",
            TooManyChildren => "set at most 5 children",
            DuplicateChild => "list each child once",
            InvalidChild => "choose children other than the parent itself",
            ProportionOverflow => "make the proportions add up to at most 1 (u64::MAX)",
            ChildParentInconsistency => {
                "use hotkeys that are not already parents or children on this subnet"
            }
            NotEnoughStakeToSetChildkeys => "add stake to the parent hotkey",
            TxRateLimitExceeded(_) => "wait until the given block",
            InvalidChildkeyTake(_) => "choose a take between the minimum and 11796/65535 (18%)",
            TxChildkeyTakeRateLimitExceeded(_) => {
                "wait until the given block, or lower the take instead"
            }
            ColdkeySwapScheduled(_) => {
                "wait for the scheduled swap to execute, then use the new coldkey"
            }
            Overflow(_) => "use a smaller amount; report this if it persists",
            Storage(_) => "the node's database failed; check the node's logs",
            Corrupt(_) => "the node's state is corrupt; resync the node",
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = ChainError> = core::result::Result<T, E>;

/// An overflow error naming where it happened.
pub(crate) fn overflow(what: &str) -> ChainError {
    ChainError::Overflow(what.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_message_and_a_hint() {
        let samples = [
            ChainError::BadSignature,
            ChainError::StaleNonce {
                expected: 3,
                got: 1,
            },
            ChainError::SubnetNotExists(NetUid(9)),
            ChainError::Overflow("x".into()),
        ];
        for e in samples {
            assert!(!e.to_string().is_empty());
            assert!(!e.hint().is_empty());
        }
        assert_eq!(
            ChainError::StaleNonce {
                expected: 3,
                got: 1
            }
            .to_string(),
            "stale nonce 1: the account's next nonce is 3"
        );
    }

    #[test]
    fn errors_round_trip_through_scale() {
        let e = ChainError::NotEnoughStakeToWithdraw {
            needed: 5,
            available: 2,
        };
        assert_eq!(ChainError::decode(&mut &e.encode()[..]).unwrap(), e);
    }
}

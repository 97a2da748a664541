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

/// A price in rao of TAO per alpha, shown like btcli (`τ1.234567890/α`).
struct Price(u64);

impl core::fmt::Display for Price {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/α", TaoBalance::from_rao(self.0))
    }
}

/// One line for people: addresses in SS58, amounts with their unit (`τ1.500000000`).
impl core::fmt::Display for Event {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Event::ExtrinsicSuccess { who, fee, tip } => {
                write!(f, "ExtrinsicSuccess: {who} paid fee {fee}, tip {tip}")
            }
            Event::ExtrinsicFailed {
                who,
                fee,
                tip,
                error,
            } => {
                write!(
                    f,
                    "ExtrinsicFailed: {who} paid fee {fee}, tip {tip}: {error}"
                )
            }
            Event::Transfer { from, to, amount } => write!(f, "Transfer: {amount} {from} -> {to}"),
            Event::DustLost { who, amount } => write!(f, "DustLost: {who} lost {amount}"),
            Event::BlockEmission { tao } => write!(f, "BlockEmission: {tao}"),
            Event::NetworkAdded {
                netuid,
                owner,
                lock,
            } => {
                write!(
                    f,
                    "NetworkAdded: subnet {netuid}, owner {owner}, lock {lock}"
                )
            }
            Event::NetworkRemoved {
                netuid,
                distributed,
            } => {
                write!(
                    f,
                    "NetworkRemoved: subnet {netuid}, {distributed} paid out to holders"
                )
            }
            Event::SubnetStarted {
                netuid,
                first_emission_block,
            } => {
                write!(
                    f,
                    "SubnetStarted: subnet {netuid}, emission from block {first_emission_block}"
                )
            }
            Event::SubnetIdentitySet { netuid } => write!(f, "SubnetIdentitySet: subnet {netuid}"),
            Event::HyperparameterSet {
                netuid,
                name,
                value,
            } => {
                write!(f, "HyperparameterSet: subnet {netuid}, {name} = {value}")
            }
            Event::GlobalParamSet { param } => write!(f, "GlobalParamSet: {param:?}"),
            Event::NeuronRegistered {
                netuid,
                uid,
                hotkey,
                cost,
                replaced,
            } => {
                write!(
                    f,
                    "NeuronRegistered: {hotkey} as uid {uid} on subnet {netuid} for {cost}"
                )?;
                match replaced {
                    Some(old) => write!(f, ", replacing {old}"),
                    None => Ok(()),
                }
            }
            Event::AxonServed { netuid, hotkey } => {
                write!(f, "AxonServed: {hotkey} on subnet {netuid}")
            }
            Event::PrometheusServed { netuid, hotkey } => {
                write!(f, "PrometheusServed: {hotkey} on subnet {netuid}")
            }
            Event::WeightsSet { netuid, uid, count } => {
                write!(
                    f,
                    "WeightsSet: uid {uid} on subnet {netuid}, {count} weights"
                )
            }
            Event::WeightsCommitted { netuid, hotkey, .. } => {
                write!(f, "WeightsCommitted: {hotkey} on subnet {netuid}")
            }
            Event::StakeAdded {
                coldkey,
                hotkey,
                netuid,
                tao,
                alpha,
                fee,
                price,
            } => write!(
                f,
                "StakeAdded: {coldkey} staked {tao} to {hotkey} on subnet {netuid}: got {alpha} \
                 (fee {fee}, price after {})",
                Price(*price)
            ),
            Event::StakeRemoved {
                coldkey,
                hotkey,
                netuid,
                alpha,
                tao,
                fee,
                price,
            } => write!(
                f,
                "StakeRemoved: {coldkey} unstaked {alpha} from {hotkey} on subnet {netuid}: got \
                 {tao} (fee {fee}, price after {})",
                Price(*price)
            ),
            Event::StakeMoved {
                from_coldkey,
                to_coldkey,
                from_hotkey,
                to_hotkey,
                from_netuid,
                to_netuid,
                alpha_out,
                alpha_in,
                tao,
                price,
            } => write!(
                f,
                "StakeMoved: {alpha_out} of {from_coldkey} on {from_hotkey} (subnet {from_netuid}) \
                 -> {alpha_in} of {to_coldkey} on {to_hotkey} (subnet {to_netuid}) via {tao} \
                 (price after {})",
                Price(*price)
            ),
            Event::TakeSet { hotkey, take } => write!(f, "TakeSet: {hotkey} take {take}/65535"),
            Event::HotkeySwapped { coldkey, old, new } => {
                write!(f, "HotkeySwapped: {coldkey} moved {old} -> {new}")
            }
            Event::ColdkeySwapScheduled {
                old,
                new,
                execute_at,
            } => {
                write!(
                    f,
                    "ColdkeySwapScheduled: {old} -> {new} at block {execute_at}"
                )
            }
            Event::ColdkeySwapped { old, new } => write!(f, "ColdkeySwapped: {old} -> {new}"),
            Event::EpochTriggered { netuid, at } => {
                write!(f, "EpochTriggered: subnet {netuid} at block {at}")
            }
            Event::AlphaDestroyed {
                coldkey,
                hotkey,
                netuid,
                amount,
                recycled,
            } => write!(
                f,
                "AlphaDestroyed: {amount} of {coldkey} on {hotkey} (subnet {netuid}) {}",
                if *recycled { "recycled" } else { "burned" }
            ),
            Event::IdentitySet { coldkey } => write!(f, "IdentitySet: {coldkey}"),
            Event::ChildrenScheduled { parent, netuid, at } => {
                write!(
                    f,
                    "ChildrenScheduled: {parent} on subnet {netuid} at block {at}"
                )
            }
            Event::ChildrenSet {
                parent,
                netuid,
                children,
            } => {
                write!(
                    f,
                    "ChildrenSet: {parent} on subnet {netuid}, {} children",
                    children.len()
                )
            }
            Event::ChildkeyTakeSet {
                hotkey,
                netuid,
                take,
            } => {
                write!(
                    f,
                    "ChildkeyTakeSet: {hotkey} on subnet {netuid} take {take}/65535"
                )
            }
            Event::RootClaimTypeSet {
                coldkey,
                claim_type,
            } => {
                write!(f, "RootClaimTypeSet: {coldkey} {claim_type:?}")
            }
            Event::SymbolUpdated { netuid, symbol } => write!(
                f,
                "SymbolUpdated: subnet {netuid} symbol {}",
                String::from_utf8_lossy(symbol)
            ),
            Event::OwnerHotkeySet { netuid, hotkey } => {
                write!(f, "OwnerHotkeySet: subnet {netuid} owner hotkey {hotkey}")
            }
            Event::AutoStakeSet {
                coldkey,
                netuid,
                hotkey,
            } => {
                write!(
                    f,
                    "AutoStakeSet: {coldkey} on subnet {netuid} stakes to {hotkey}"
                )
            }
            Event::EpochRun {
                netuid,
                emission,
                incentive,
                dividends,
                root_dividends,
                owner_cut,
                burned,
            } => write!(
                f,
                "EpochRun: subnet {netuid} emitted {emission}: incentive {incentive}, dividends \
                 {dividends}, root {root_dividends}, owner cut {owner_cut}, burned {burned}"
            ),
        }
    }
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn events_read_like_btcli() {
        let alice = AccountId::new([1; 32]);
        let added = Event::StakeAdded {
            coldkey: alice,
            hotkey: alice,
            netuid: NetUid(2),
            tao: TaoBalance::from_rao(10_000_000_000),
            alpha: AlphaBalance::from_rao(8_944_919_834),
            fee: TaoBalance::from_rao(5_035_477),
            price: 1_227_965_979,
        };
        let text = added.to_string();
        assert!(text.contains("staked τ10.000000000"), "{text}");
        assert!(text.contains("got α8.944919834"), "{text}");
        assert!(text.contains("price after τ1.227965979/α"), "{text}");
        assert!(text.contains(&alice.to_ss58()), "{text}");
        assert!(!text.contains("TaoBalance("), "{text}");
    }
}

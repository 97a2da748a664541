//! The calls a transaction can carry, named as in the reference chain. SCALE-encoded; the
//! variant order is part of the wire format (append only).
// The SCALE derives on enums expand to `as` casts of variant indices.
#![allow(clippy::as_conversions)]

use parity_scale_codec::{Decode, Encode};
use types::{AccountId, AlphaBalance, NetUid, TaoBalance};

use crate::hyperparams::HyperparamValue;
use crate::params::GlobalParam;
use crate::schema::{ChainIdentity, RootClaimType, SubnetIdentity};

/// A call. "coldkey" calls are signed by the coldkey, "hotkey" calls by the hotkey.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub enum Call {
    // ---- balances ----
    /// Transfer TAO; the sender may be emptied.
    TransferAllowDeath {
        /// Receiver.
        dest: AccountId,
        /// Amount.
        value: TaoBalance,
    },
    /// Transfer TAO; the sender keeps at least the existential deposit.
    TransferKeepAlive {
        /// Receiver.
        dest: AccountId,
        /// Amount.
        value: TaoBalance,
    },
    /// Transfer the whole free balance.
    TransferAll {
        /// Receiver.
        dest: AccountId,
        /// Keep the existential deposit.
        keep_alive: bool,
    },

    // ---- subnets ----
    /// Register a new subnet (coldkey pays the lock cost; `hotkey` becomes the owner hotkey).
    RegisterNetwork {
        /// Owner hotkey.
        hotkey: AccountId,
        /// Optional identity.
        identity: Option<SubnetIdentity>,
    },
    /// Start a subnet's emission and trading (owner).
    StartCall {
        /// The subnet.
        netuid: NetUid,
    },
    /// Set a subnet's identity (owner).
    SetSubnetIdentity {
        /// The subnet.
        netuid: NetUid,
        /// The identity.
        identity: SubnetIdentity,
    },
    /// Set a hyperparameter (owner within limits, or sudo).
    SudoSetHyperparameter {
        /// The subnet.
        netuid: NetUid,
        /// Parameter and value.
        value: HyperparamValue,
    },
    /// Set a global parameter (sudo).
    SudoSetGlobal {
        /// Parameter and value.
        param: GlobalParam,
    },
    /// Dissolve a subnet, paying its pool out to alpha holders (sudo).
    DissolveNetwork {
        /// The subnet.
        netuid: NetUid,
    },

    // ---- registration ----
    /// Register `hotkey` on `netuid` by paying the burn (coldkey).
    BurnedRegister {
        /// The subnet.
        netuid: NetUid,
        /// The hotkey.
        hotkey: AccountId,
    },
    /// burned_register if the price is at most `limit_price` rao.
    RegisterLimit {
        /// The subnet.
        netuid: NetUid,
        /// The hotkey.
        hotkey: AccountId,
        /// Highest acceptable price (rao).
        limit_price: u64,
    },
    /// Register `hotkey` on the root network (coldkey).
    RootRegister {
        /// The hotkey.
        hotkey: AccountId,
    },

    // ---- serving ----
    /// Announce an axon (hotkey).
    ServeAxon {
        /// The subnet.
        netuid: NetUid,
        /// Software version.
        version: u32,
        /// IP (IPv4 in the low 32 bits).
        ip: u128,
        /// Port.
        port: u16,
        /// 4 or 6.
        ip_type: u8,
        /// Protocol.
        protocol: u8,
        /// Reserved.
        placeholder1: u8,
        /// Reserved.
        placeholder2: u8,
    },

    // ---- weights ----
    /// Set weights (hotkey).
    SetWeights {
        /// The subnet.
        netuid: NetUid,
        /// Target uids.
        dests: Vec<u16>,
        /// Weights.
        weights: Vec<u16>,
        /// Validator version key.
        version_key: u64,
    },
    /// Commit a hash of weights (hotkey).
    CommitWeights {
        /// The subnet.
        netuid: NetUid,
        /// Blake2-256 of the reveal.
        commit_hash: [u8; 32],
    },
    /// Reveal committed weights (hotkey).
    RevealWeights {
        /// The subnet.
        netuid: NetUid,
        /// Target uids.
        uids: Vec<u16>,
        /// Weights.
        values: Vec<u16>,
        /// Salt.
        salt: Vec<u16>,
        /// Version key.
        version_key: u64,
    },

    // ---- staking ----
    /// Stake TAO to a hotkey on a subnet (coldkey).
    AddStake {
        /// The hotkey.
        hotkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// TAO to stake.
        amount_staked: TaoBalance,
    },
    /// add_stake up to a limit price (rao per α).
    AddStakeLimit {
        /// The hotkey.
        hotkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// TAO to stake.
        amount_staked: TaoBalance,
        /// Highest acceptable price.
        limit_price: u64,
        /// Execute what fits under the limit.
        allow_partial: bool,
    },
    /// Unstake alpha (coldkey).
    RemoveStake {
        /// The hotkey.
        hotkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// Alpha to sell.
        amount_unstaked: AlphaBalance,
    },
    /// remove_stake down to a limit price.
    RemoveStakeLimit {
        /// The hotkey.
        hotkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// Alpha to sell.
        amount_unstaked: AlphaBalance,
        /// Lowest acceptable price.
        limit_price: u64,
        /// Execute what fits above the limit.
        allow_partial: bool,
    },
    /// Unstake everything from a hotkey on all subnets into TAO.
    UnstakeAll {
        /// The hotkey.
        hotkey: AccountId,
    },
    /// Sell all non-root alpha on a hotkey and stake the TAO on root.
    UnstakeAllAlpha {
        /// The hotkey.
        hotkey: AccountId,
    },
    /// Move stake between hotkeys and/or subnets (same coldkey).
    MoveStake {
        /// Origin hotkey.
        origin_hotkey: AccountId,
        /// Destination hotkey.
        destination_hotkey: AccountId,
        /// Origin subnet.
        origin_netuid: NetUid,
        /// Destination subnet.
        destination_netuid: NetUid,
        /// Alpha to move.
        alpha_amount: AlphaBalance,
    },
    /// Give stake to another coldkey (same hotkey).
    TransferStake {
        /// New owner.
        destination_coldkey: AccountId,
        /// The hotkey.
        hotkey: AccountId,
        /// Origin subnet.
        origin_netuid: NetUid,
        /// Destination subnet.
        destination_netuid: NetUid,
        /// Alpha to transfer.
        alpha_amount: AlphaBalance,
    },
    /// Swap stake between subnets (same hotkey and coldkey).
    SwapStake {
        /// The hotkey.
        hotkey: AccountId,
        /// Origin subnet.
        origin_netuid: NetUid,
        /// Destination subnet.
        destination_netuid: NetUid,
        /// Alpha to swap.
        alpha_amount: AlphaBalance,
    },
    /// swap_stake with a limit on the origin/destination price ratio (rao per α of the origin
    /// priced in destination alpha, i.e. origin price / destination price × 1e9).
    SwapStakeLimit {
        /// The hotkey.
        hotkey: AccountId,
        /// Origin subnet.
        origin_netuid: NetUid,
        /// Destination subnet.
        destination_netuid: NetUid,
        /// Alpha to swap.
        alpha_amount: AlphaBalance,
        /// Lowest acceptable origin/destination price ratio × 1e9.
        limit_price: u64,
        /// Execute what fits.
        allow_partial: bool,
    },

    // ---- delegation ----
    /// Legacy: every hotkey is a delegate at the default take; kept for clients.
    BecomeDelegate {
        /// The hotkey.
        hotkey: AccountId,
    },
    /// Raise a hotkey's take (rate-limited).
    IncreaseTake {
        /// The hotkey.
        hotkey: AccountId,
        /// New take (u16-normalised).
        take: u16,
    },
    /// Lower a hotkey's take.
    DecreaseTake {
        /// The hotkey.
        hotkey: AccountId,
        /// New take (u16-normalised).
        take: u16,
    },

    // ---- keys ----
    /// Replace a hotkey everywhere (coldkey pays the swap cost).
    SwapHotkey {
        /// Old hotkey.
        hotkey: AccountId,
        /// New hotkey.
        new_hotkey: AccountId,
    },
    /// Schedule moving everything of this coldkey to `new_coldkey` after the delay.
    ScheduleSwapColdkey {
        /// New coldkey.
        new_coldkey: AccountId,
    },

    // ---- appended after the first release of this enum ----
    /// Run the subnet's epoch after the admin freeze window (owner; not with commit-reveal).
    TriggerEpoch {
        /// The subnet.
        netuid: NetUid,
    },
    /// Destroy some of your alpha stake, lowering the subnet's alpha issuance.
    RecycleAlpha {
        /// The hotkey.
        hotkey: AccountId,
        /// Alpha to recycle.
        amount: AlphaBalance,
        /// The subnet.
        netuid: NetUid,
    },
    /// Destroy some of your alpha stake, keeping the subnet's alpha issuance.
    BurnAlpha {
        /// The hotkey.
        hotkey: AccountId,
        /// Alpha to burn.
        amount: AlphaBalance,
        /// The subnet.
        netuid: NetUid,
    },
    /// Set the signing coldkey's public identity.
    SetIdentity {
        /// The identity.
        identity: ChainIdentity,
    },
    /// Lend proportions of a parent hotkey's stake weight to child hotkeys (coldkey).
    SetChildren {
        /// Parent hotkey.
        hotkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// (proportion u64-normalised, child); empty revokes.
        children: Vec<(u64, AccountId)>,
    },
    /// Set a hotkey's childkey take on a subnet (coldkey).
    SetChildkeyTake {
        /// The hotkey.
        hotkey: AccountId,
        /// The subnet.
        netuid: NetUid,
        /// Take (u16-normalised, ≤ 18%).
        take: u16,
    },
    /// Choose how the signer's root dividends are paid: swapped to root TAO or kept as alpha.
    SetRootClaimType {
        /// Swap or Keep.
        claim_type: RootClaimType,
    },
    /// Change a subnet's token symbol (owner).
    UpdateSymbol {
        /// The subnet.
        netuid: NetUid,
        /// New symbol (UTF-8, ≤ 32 bytes).
        symbol: Vec<u8>,
    },
    /// Change a subnet's owner hotkey (owner).
    SetSubnetOwnerHotkey {
        /// The subnet.
        netuid: NetUid,
        /// New owner hotkey (of the owner's coldkey).
        hotkey: AccountId,
    },
    /// Stake the miner incentive of the signer's hotkeys on `netuid` to `hotkey` instead.
    SetColdkeyAutoStakeHotkey {
        /// The subnet.
        netuid: NetUid,
        /// The receiving hotkey.
        hotkey: AccountId,
    },
    /// serve_axon with the axon's TLS certificate (hotkey).
    ServeAxonTls {
        /// The subnet.
        netuid: NetUid,
        /// Software version.
        version: u32,
        /// IP.
        ip: u128,
        /// Port.
        port: u16,
        /// 4 or 6.
        ip_type: u8,
        /// Protocol.
        protocol: u8,
        /// Reserved.
        placeholder1: u8,
        /// Reserved.
        placeholder2: u8,
        /// 1 algorithm byte + public key (≤ 64 bytes).
        certificate: Vec<u8>,
    },
    /// Announce a Prometheus endpoint (hotkey).
    ServePrometheus {
        /// The subnet.
        netuid: NetUid,
        /// Software version.
        version: u32,
        /// IP.
        ip: u128,
        /// Port.
        port: u16,
        /// 4 or 6.
        ip_type: u8,
    },
}

impl Call {
    /// The reference's call name.
    pub fn name(&self) -> &'static str {
        match self {
            Call::TransferAllowDeath { .. } => "transfer_allow_death",
            Call::TransferKeepAlive { .. } => "transfer_keep_alive",
            Call::TransferAll { .. } => "transfer_all",
            Call::RegisterNetwork { .. } => "register_network",
            Call::StartCall { .. } => "start_call",
            Call::SetSubnetIdentity { .. } => "set_subnet_identity",
            Call::SudoSetHyperparameter { .. } => "sudo_set_hyperparameter",
            Call::SudoSetGlobal { .. } => "sudo_set_global",
            Call::DissolveNetwork { .. } => "dissolve_network",
            Call::BurnedRegister { .. } => "burned_register",
            Call::RegisterLimit { .. } => "register_limit",
            Call::RootRegister { .. } => "root_register",
            Call::ServeAxon { .. } => "serve_axon",
            Call::SetWeights { .. } => "set_weights",
            Call::CommitWeights { .. } => "commit_weights",
            Call::RevealWeights { .. } => "reveal_weights",
            Call::AddStake { .. } => "add_stake",
            Call::AddStakeLimit { .. } => "add_stake_limit",
            Call::RemoveStake { .. } => "remove_stake",
            Call::RemoveStakeLimit { .. } => "remove_stake_limit",
            Call::UnstakeAll { .. } => "unstake_all",
            Call::UnstakeAllAlpha { .. } => "unstake_all_alpha",
            Call::MoveStake { .. } => "move_stake",
            Call::TransferStake { .. } => "transfer_stake",
            Call::SwapStake { .. } => "swap_stake",
            Call::SwapStakeLimit { .. } => "swap_stake_limit",
            Call::BecomeDelegate { .. } => "become_delegate",
            Call::IncreaseTake { .. } => "increase_take",
            Call::DecreaseTake { .. } => "decrease_take",
            Call::SwapHotkey { .. } => "swap_hotkey",
            Call::ScheduleSwapColdkey { .. } => "schedule_swap_coldkey",
            Call::TriggerEpoch { .. } => "trigger_epoch",
            Call::RecycleAlpha { .. } => "recycle_alpha",
            Call::BurnAlpha { .. } => "burn_alpha",
            Call::SetIdentity { .. } => "set_identity",
            Call::SetChildren { .. } => "set_children",
            Call::SetChildkeyTake { .. } => "set_childkey_take",
            Call::SetRootClaimType { .. } => "set_root_claim_type",
            Call::UpdateSymbol { .. } => "update_symbol",
            Call::SetSubnetOwnerHotkey { .. } => "set_subnet_owner_hotkey",
            Call::SetColdkeyAutoStakeHotkey { .. } => "set_coldkey_auto_stake_hotkey",
            Call::ServeAxonTls { .. } => "serve_axon_tls",
            Call::ServePrometheus { .. } => "serve_prometheus",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_round_trip_through_scale() {
        let call = Call::SetWeights {
            netuid: NetUid(3),
            dests: vec![0, 1],
            weights: vec![10, 20],
            version_key: 7,
        };
        let bytes = call.encode();
        assert_eq!(Call::decode(&mut &bytes[..]).unwrap(), call);
        assert_eq!(call.name(), "set_weights");
        // variant index is the first byte and is stable
        assert_eq!(
            Call::TransferAllowDeath {
                dest: AccountId::new([0; 32]),
                value: TaoBalance::ZERO
            }
            .encode()[0],
            0
        );
    }
}

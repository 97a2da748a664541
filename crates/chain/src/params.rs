//! Chain-wide governance parameters ([`Params`]), the two presets (the reference chain's
//! defaults and a fast local-development preset), and the sudo setter for each of them.
// The SCALE derives on enums expand to `as` casts of variant indices.
#![allow(clippy::as_conversions)]

use parity_scale_codec::{Decode, Encode};
use substrate_fixed::types::U64F64;
use types::{AccountId, RAO_PER_TAO, TaoBalance};

use crate::error::{ChainError, Result};
use crate::events::Event;
use crate::hyperparams::Hyperparams;
use crate::state::State;

/// Chain-wide parameters (root may change them).
#[derive(Debug, Clone, PartialEq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct Params {
    /// The sudo key; `None` disables root calls.
    pub sudo: Option<AccountId>,
    /// Weight of root TAO in stake weight, u64-normalised.
    pub tao_weight: u64,
    /// Owner cut of each subnet's alpha emission, u16-normalised.
    pub subnet_owner_cut: u16,
    /// Base alpha of the moving-price EMA.
    pub subnet_moving_alpha: U64F64,
    /// Maximum number of non-root subnets.
    pub subnet_limit: u16,
    /// Minimum lock cost of a new subnet.
    pub network_min_lock: TaoBalance,
    /// Blocks over which a doubled lock cost decays back (at 1 TAO/block emission).
    pub network_lock_reduction_interval: u64,
    /// Blocks between network registrations.
    pub network_rate_limit: u64,
    /// Blocks a new subnet is safe from pruning.
    pub network_immunity_period: u64,
    /// Blocks after registration before start_call is allowed.
    pub start_call_delay: u64,
    /// Minimum stake weight to set weights.
    pub stake_threshold: u64,
    /// Minimum stake/unstake amount (TAO-equivalent).
    pub min_stake: TaoBalance,
    /// A nominator's stake below this is cleared when unstaking.
    pub nominator_min_stake: TaoBalance,
    /// Blocks between hotkey swaps of one coldkey.
    pub hotkey_swap_rate_limit: u64,
    /// Blocks between take increases.
    pub delegate_take_rate_limit: u64,
    /// Minimum delegate take.
    pub min_delegate_take: u16,
    /// Maximum (and default) delegate take.
    pub max_delegate_take: u16,
    /// Cost of swapping a hotkey (recycled).
    pub key_swap_cost: TaoBalance,
    /// Blocks between scheduling a coldkey swap and its execution.
    pub coldkey_swap_delay: u64,
    /// Owner hyperparameter rate limit, in tempos.
    pub owner_hparam_rate_limit_tempos: u16,
    /// Blocks before an epoch in which owner changes are frozen.
    pub admin_freeze_window: u16,
    /// Maximum epochs run in one block.
    pub max_epochs_per_block: u16,
    /// Blocks before a set_children change takes effect (at the next epoch after that).
    pub pending_childkey_cooldown: u64,
    /// Blocks between set_children calls of one parent on one subnet.
    pub set_children_rate_limit: u64,
    /// Maximum childkey take.
    pub max_childkey_take: u16,
    /// Blocks between childkey take increases.
    pub childkey_take_rate_limit: u64,
    /// Hyperparameters of a newly registered subnet.
    pub new_subnet: Hyperparams,
    /// Registration price of a new subnet.
    pub new_subnet_burn: TaoBalance,
    /// Whether a new subnet's pool-side emission starts enabled (the reference: off until
    /// root enables it).
    pub new_subnet_emission_enabled: bool,
}

/// 0.18 as a u64-normalised fraction (mainnet's tao_weight).
pub const TAO_WEIGHT_018: u64 = u64::MAX / 100 * 18;

impl Params {
    /// The reference chain's defaults (mainnet-like where governance changed them).
    pub fn reference() -> Self {
        Self {
            sudo: None,
            tao_weight: TAO_WEIGHT_018,
            subnet_owner_cut: 11_796,
            subnet_moving_alpha: U64F64::from_num(3u32)
                .checked_div(U64F64::from_num(1_000_000u32))
                .unwrap_or(U64F64::from_num(0u32)),
            subnet_limit: 128,
            network_min_lock: TaoBalance::from_rao(1_000u64.saturating_mul(RAO_PER_TAO)),
            network_lock_reduction_interval: 100_800,
            network_rate_limit: 7_200,
            network_immunity_period: 1_296_000,
            start_call_delay: 0,
            stake_threshold: 0,
            min_stake: TaoBalance::from_rao(2_000_000),
            nominator_min_stake: TaoBalance::ZERO,
            hotkey_swap_rate_limit: 1_000,
            delegate_take_rate_limit: 216_000,
            min_delegate_take: 0,
            max_delegate_take: 11_796,
            key_swap_cost: TaoBalance::from_rao(100_000_000),
            coldkey_swap_delay: 36_000,
            owner_hparam_rate_limit_tempos: 2,
            admin_freeze_window: 10,
            max_epochs_per_block: 2,
            pending_childkey_cooldown: 7_200,
            set_children_rate_limit: 150,
            max_childkey_take: 11_796,
            childkey_take_rate_limit: 216_000,
            new_subnet: Hyperparams::reference(),
            new_subnet_burn: TaoBalance::from_rao(RAO_PER_TAO),
            new_subnet_emission_enabled: false,
        }
    }

    /// Fast local development: short tempo, low burn and lock cost, no rate-limit waits.
    pub fn fast() -> Self {
        Self {
            network_min_lock: TaoBalance::from_rao(100u64.saturating_mul(RAO_PER_TAO)),
            network_lock_reduction_interval: 1_000,
            network_rate_limit: 0,
            network_immunity_period: 1_000,
            hotkey_swap_rate_limit: 0,
            delegate_take_rate_limit: 0,
            coldkey_swap_delay: 50,
            owner_hparam_rate_limit_tempos: 0,
            admin_freeze_window: 0,
            max_epochs_per_block: 32,
            pending_childkey_cooldown: 15,
            set_children_rate_limit: 0,
            childkey_take_rate_limit: 5,
            new_subnet: Hyperparams::fast(),
            new_subnet_burn: TaoBalance::from_rao(1_000_000),
            new_subnet_emission_enabled: true,
            ..Self::reference()
        }
    }
}

/// A chain-wide parameter with its new value (argument of `sudo_set_global`).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub enum GlobalParam {
    /// Hand the sudo key to another account.
    Sudo(AccountId),
    /// tao_weight (u64-normalised).
    TaoWeight(u64),
    /// Subnet owner cut (u16-normalised).
    SubnetOwnerCut(u16),
    /// Maximum number of subnets.
    SubnetLimit(u16),
    /// Minimum network lock cost.
    NetworkMinLock(TaoBalance),
    /// Lock reduction interval.
    NetworkLockReductionInterval(u64),
    /// Network registration rate limit.
    NetworkRateLimit(u64),
    /// Network immunity period.
    NetworkImmunityPeriod(u64),
    /// start_call delay.
    StartCallDelay(u64),
    /// Stake threshold for setting weights.
    StakeThreshold(u64),
    /// Minimum stake.
    MinStake(TaoBalance),
    /// Nominator minimum stake.
    NominatorMinStake(TaoBalance),
    /// Hotkey swap rate limit.
    HotkeySwapRateLimit(u64),
    /// Delegate take rate limit.
    DelegateTakeRateLimit(u64),
    /// Minimum delegate take.
    MinDelegateTake(u16),
    /// Maximum delegate take.
    MaxDelegateTake(u16),
    /// Key swap cost.
    KeySwapCost(TaoBalance),
    /// Coldkey swap delay.
    ColdkeySwapDelay(u64),
    /// Owner hyperparameter rate limit in tempos.
    OwnerHparamRateLimit(u16),
    /// Admin freeze window.
    AdminFreezeWindow(u16),
    /// Max epochs per block.
    MaxEpochsPerBlock(u16),
    /// Base alpha of the moving-price EMA, in parts per billion (3,000 = 0.000003).
    SubnetMovingAlphaPpb(u64),
    /// Pending childkey cooldown.
    PendingChildkeyCooldown(u64),
    /// set_children rate limit.
    SetChildrenRateLimit(u64),
    /// Maximum childkey take.
    MaxChildkeyTake(u16),
    /// Childkey take rate limit.
    ChildkeyTakeRateLimit(u64),
    /// Registration price of new subnets.
    NewSubnetBurn(TaoBalance),
    /// Whether new subnets start with pool-side emission on.
    NewSubnetEmissionEnabled(bool),
}

/// Applies a sudo change of a global parameter.
pub fn sudo_set_global(st: &mut State<'_>, signer: &AccountId, param: GlobalParam) -> Result<()> {
    st.ensure_sudo(signer)?;
    let mut p = st.params()?;
    let out_of_range = |name: &str, value: u64, rule: &str| ChainError::HyperparamOutOfRange {
        name: name.into(),
        value: value.to_string(),
        rule: rule.into(),
    };
    match param.clone() {
        GlobalParam::Sudo(k) => p.sudo = Some(k),
        GlobalParam::TaoWeight(v) => p.tao_weight = v,
        GlobalParam::SubnetOwnerCut(v) => p.subnet_owner_cut = v,
        GlobalParam::SubnetLimit(v) => p.subnet_limit = v,
        GlobalParam::NetworkMinLock(v) => p.network_min_lock = v,
        GlobalParam::NetworkLockReductionInterval(v) => p.network_lock_reduction_interval = v,
        GlobalParam::NetworkRateLimit(v) => p.network_rate_limit = v,
        GlobalParam::NetworkImmunityPeriod(v) => p.network_immunity_period = v,
        GlobalParam::StartCallDelay(v) => p.start_call_delay = v,
        GlobalParam::StakeThreshold(v) => p.stake_threshold = v,
        GlobalParam::MinStake(v) => p.min_stake = v,
        GlobalParam::NominatorMinStake(v) => p.nominator_min_stake = v,
        GlobalParam::HotkeySwapRateLimit(v) => p.hotkey_swap_rate_limit = v,
        GlobalParam::DelegateTakeRateLimit(v) => p.delegate_take_rate_limit = v,
        GlobalParam::MinDelegateTake(v) => {
            if v > p.max_delegate_take {
                return Err(out_of_range(
                    "min_delegate_take",
                    v.into(),
                    "≤ max_delegate_take",
                ));
            }
            p.min_delegate_take = v;
        }
        GlobalParam::MaxDelegateTake(v) => {
            if v < p.min_delegate_take {
                return Err(out_of_range(
                    "max_delegate_take",
                    v.into(),
                    "≥ min_delegate_take",
                ));
            }
            p.max_delegate_take = v;
        }
        GlobalParam::KeySwapCost(v) => p.key_swap_cost = v,
        GlobalParam::ColdkeySwapDelay(v) => p.coldkey_swap_delay = v,
        GlobalParam::OwnerHparamRateLimit(v) => p.owner_hparam_rate_limit_tempos = v,
        GlobalParam::AdminFreezeWindow(v) => p.admin_freeze_window = v,
        GlobalParam::MaxEpochsPerBlock(v) => {
            if v == 0 {
                return Err(out_of_range("max_epochs_per_block", 0, "≥ 1"));
            }
            p.max_epochs_per_block = v;
        }
        GlobalParam::SubnetMovingAlphaPpb(v) => {
            if v > 1_000_000_000 {
                return Err(out_of_range("subnet_moving_alpha", v, "≤ 1e9 ppb (1.0)"));
            }
            p.subnet_moving_alpha = U64F64::from_num(v)
                .checked_div(U64F64::from_num(1_000_000_000u32))
                .unwrap_or(U64F64::from_num(0u32));
        }
        GlobalParam::PendingChildkeyCooldown(v) => p.pending_childkey_cooldown = v,
        GlobalParam::SetChildrenRateLimit(v) => p.set_children_rate_limit = v,
        GlobalParam::MaxChildkeyTake(v) => {
            if v > 11_796 {
                return Err(out_of_range("max_childkey_take", v.into(), "≤ 11796 (18%)"));
            }
            p.max_childkey_take = v;
        }
        GlobalParam::ChildkeyTakeRateLimit(v) => p.childkey_take_rate_limit = v,
        GlobalParam::NewSubnetBurn(v) => p.new_subnet_burn = v,
        GlobalParam::NewSubnetEmissionEnabled(v) => p.new_subnet_emission_enabled = v,
    }
    st.put_params(&p)?;
    st.emit(Event::GlobalParamSet { param });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tao_weight_is_eighteen_percent() {
        // 0.18 · (2^64 − 1) ≈ 3.3204e18
        assert_eq!(TAO_WEIGHT_018, 3_320_413_933_267_719_288);
    }

    #[test]
    fn fast_preset_has_no_waits() {
        let f = Params::fast();
        assert_eq!(f.network_rate_limit, 0);
        assert_eq!(f.new_subnet.weights_set_rate_limit, 0);
        assert!(f.new_subnet.tempo < Params::reference().new_subnet.tempo);
        assert!(f.network_min_lock < Params::reference().network_min_lock);
    }
}

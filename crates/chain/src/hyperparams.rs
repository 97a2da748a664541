//! Per-subnet hyperparameters: the [`Hyperparams`] record, its presets, and the one setter
//! (`set_hyperparameter`) that owners and root share. Each parameter says who may set it, its
//! allowed range and the owner's rate limit; root may set anything at any time.
// The SCALE derives on enums expand to `as` casts of variant indices.
#![allow(clippy::as_conversions)]

use parity_scale_codec::{Decode, Encode};
use substrate_fixed::types::U64F64;
use types::{AccountId, BlockNumber, NetUid, RAO_PER_TAO, TaoBalance};

use crate::error::{ChainError, Result};
use crate::events::Event;
use crate::state::State;

/// Where an owner-hotkey's miner emission goes.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize,
)]
pub enum RecycleOrBurn {
    /// Destroyed; issuance counters unchanged.
    #[default]
    Burn,
    /// Destroyed and issuance reduced.
    Recycle,
}

/// A subnet's hyperparameters (chain.md §1.4).
#[derive(Debug, Clone, PartialEq, Encode, Decode, serde::Serialize, serde::Deserialize)]
pub struct Hyperparams {
    /// Blocks per epoch.
    pub tempo: u16,
    /// Blocks a new neuron is safe from replacement.
    pub immunity_period: u16,
    /// Minimum number of weights in set_weights.
    pub min_allowed_weights: u16,
    /// Maximum single weight after upscaling (65535 = no limit).
    pub max_weights_limit: u16,
    /// Minimum weights version key (0 disables the check).
    pub weights_version_key: u64,
    /// Blocks between weight sets.
    pub weights_set_rate_limit: u64,
    /// Activity cutoff as ‰ of tempo.
    pub activity_cutoff_factor_milli: u32,
    /// Maximum number of uids.
    pub max_allowed_uids: u16,
    /// Minimum number of uids (trim floor).
    pub min_allowed_uids: u16,
    /// Number of validator permits.
    pub max_allowed_validators: u16,
    /// Registrations per block (root only).
    pub max_registrations_per_block: u16,
    /// Target registrations per interval (legacy).
    pub target_registrations_per_interval: u16,
    /// Adjustment interval (legacy).
    pub adjustment_interval: u16,
    /// Adjustment alpha (legacy).
    pub adjustment_alpha: u64,
    /// PoW difficulty (PoW registration is disabled).
    pub difficulty: u64,
    /// Minimum PoW difficulty.
    pub min_difficulty: u64,
    /// Maximum PoW difficulty.
    pub max_difficulty: u64,
    /// Minimum registration price.
    pub min_burn: TaoBalance,
    /// Maximum registration price.
    pub max_burn: TaoBalance,
    /// Blocks for the registration price to halve.
    pub burn_half_life: u16,
    /// Price multiplier after each registration.
    pub burn_increase_mult: U64F64,
    /// Consensus majority (u16-normalised).
    pub kappa: u16,
    /// Legacy trust steepness.
    pub rho: u16,
    /// Liquid-alpha sigmoid steepness.
    pub alpha_sigmoid_steepness: i16,
    /// Bonds EMA memory (of 1e6).
    pub bonds_moving_average: u64,
    /// Bonds penalty (u16-normalised).
    pub bonds_penalty: u16,
    /// Reset bonds of replaced uids.
    pub bonds_reset_enabled: bool,
    /// Per-bond EMA alpha.
    pub liquid_alpha_enabled: bool,
    /// Liquid alpha low (u16-normalised).
    pub alpha_low: u16,
    /// Liquid alpha high (u16-normalised).
    pub alpha_high: u16,
    /// Yuma3 bonds.
    pub yuma3_enabled: bool,
    /// Weights must be committed then revealed.
    pub commit_reveal_enabled: bool,
    /// Epochs between commit and reveal.
    pub reveal_period_epochs: u64,
    /// Blocks between serve_axon calls.
    pub serving_rate_limit: u64,
    /// Stake transfers to other coldkeys allowed.
    pub transfers_enabled: bool,
    /// Registration allowed.
    pub registration_allowed: bool,
    /// PoW registration allowed (the PoW path is removed).
    pub pow_registration_allowed: bool,
    /// The owner cut is paid.
    pub owner_cut_enabled: bool,
    /// What happens to owner hotkeys' miner emission.
    pub recycle_or_burn: RecycleOrBurn,
    /// Owner hotkeys exempt from replacement.
    pub immune_owner_uids_limit: u16,
    /// Minimum non-immune uids before immune ones may be replaced.
    pub min_non_immune_uids: u16,
    /// Blocks for the moving price's slow start.
    pub ema_price_halving_blocks: u64,
}

fn ratio(num: u64, den: u64) -> U64F64 {
    U64F64::from_num(num)
        .checked_div(U64F64::from_num(den))
        .unwrap_or(U64F64::from_num(0u32))
}

impl Hyperparams {
    /// What the reference chain writes for a newly registered subnet.
    pub fn reference() -> Self {
        Self {
            tempo: 360,
            immunity_period: 5_000,
            min_allowed_weights: 1,
            max_weights_limit: u16::MAX,
            weights_version_key: 0,
            weights_set_rate_limit: 100,
            activity_cutoff_factor_milli: 13_889,
            max_allowed_uids: 256,
            min_allowed_uids: 64,
            max_allowed_validators: 64,
            max_registrations_per_block: 1,
            target_registrations_per_interval: 2,
            adjustment_interval: 100,
            adjustment_alpha: 0,
            difficulty: 10_000_000,
            min_difficulty: 10_000_000,
            max_difficulty: u64::MAX / 4,
            min_burn: TaoBalance::from_rao(500_000),
            max_burn: TaoBalance::from_rao(100u64.saturating_mul(RAO_PER_TAO)),
            burn_half_life: 360,
            burn_increase_mult: ratio(126, 100),
            kappa: 32_767,
            rho: 10,
            alpha_sigmoid_steepness: 1_000,
            bonds_moving_average: 900_000,
            bonds_penalty: u16::MAX,
            bonds_reset_enabled: false,
            liquid_alpha_enabled: false,
            alpha_low: 45_875,
            alpha_high: 58_982,
            yuma3_enabled: true,
            commit_reveal_enabled: true,
            reveal_period_epochs: 1,
            serving_rate_limit: 50,
            transfers_enabled: true,
            registration_allowed: true,
            pow_registration_allowed: false,
            owner_cut_enabled: true,
            recycle_or_burn: RecycleOrBurn::Burn,
            immune_owner_uids_limit: 1,
            min_non_immune_uids: 10,
            ema_price_halving_blocks: 201_600,
        }
    }

    /// Fast local development: tempo 10, no rate limits, direct set_weights.
    pub fn fast() -> Self {
        Self {
            tempo: 10,
            immunity_period: 50,
            weights_set_rate_limit: 0,
            serving_rate_limit: 0,
            commit_reveal_enabled: false,
            burn_half_life: 36,
            min_burn: TaoBalance::from_rao(100_000),
            max_burn: TaoBalance::from_rao(10u64.saturating_mul(RAO_PER_TAO)),
            ema_price_halving_blocks: 100,
            ..Self::reference()
        }
    }

    /// The root network's hyperparameters.
    pub fn root(template: &Self) -> Self {
        Self {
            tempo: 100,
            max_allowed_uids: 64,
            max_allowed_validators: 64,
            min_allowed_weights: 0,
            target_registrations_per_interval: 1,
            commit_reveal_enabled: false,
            ..template.clone()
        }
    }

    /// The activity cutoff in blocks: max(1, factor · tempo / 1000).
    pub fn activity_cutoff(&self) -> u64 {
        let blocks = u64::from(self.activity_cutoff_factor_milli)
            .saturating_mul(u64::from(self.tempo))
            .checked_div(1_000)
            .unwrap_or(0);
        blocks.max(1)
    }
}

/// Who may set a hyperparameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setter {
    OwnerOrRoot,
    RootOnly,
}

/// A hyperparameter with its new value (argument of `sudo_set_hyperparameter`, which owners
/// and root share, like the reference's `sudo_set_*` calls).
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode, serde::Serialize, serde::Deserialize)]
#[allow(missing_docs)]
pub enum HyperparamValue {
    Tempo(u16),
    ImmunityPeriod(u16),
    MinAllowedWeights(u16),
    MaxWeightsLimit(u16),
    WeightsVersionKey(u64),
    WeightsSetRateLimit(u64),
    ActivityCutoffFactorMilli(u32),
    MaxAllowedUids(u16),
    MinAllowedUids(u16),
    MaxAllowedValidators(u16),
    MaxRegistrationsPerBlock(u16),
    TargetRegistrationsPerInterval(u16),
    AdjustmentInterval(u16),
    AdjustmentAlpha(u64),
    Difficulty(u64),
    MinDifficulty(u64),
    MaxDifficulty(u64),
    MinBurn(TaoBalance),
    MaxBurn(TaoBalance),
    BurnHalfLife(u16),
    /// Multiplier in parts per million (1_260_000 = ×1.26).
    BurnIncreaseMultPpm(u64),
    Kappa(u16),
    Rho(u16),
    AlphaSigmoidSteepness(i16),
    BondsMovingAverage(u64),
    BondsPenalty(u16),
    BondsResetEnabled(bool),
    LiquidAlphaEnabled(bool),
    AlphaValues {
        low: u16,
        high: u16,
    },
    Yuma3Enabled(bool),
    CommitRevealEnabled(bool),
    RevealPeriodEpochs(u64),
    ServingRateLimit(u64),
    TransfersEnabled(bool),
    RegistrationAllowed(bool),
    PowRegistrationAllowed(bool),
    OwnerCutEnabled(bool),
    RecycleOrBurn(RecycleOrBurn),
    ImmuneOwnerUidsLimit(u16),
    MinNonImmuneUids(u16),
    EmaPriceHalvingBlocks(u64),
    SubtokenEnabled(bool),
    SubnetEmissionEnabled(bool),
    /// Swap fee rate (u16-normalised, ≤ 10,000).
    FeeRate(u16),
}

impl HyperparamValue {
    /// Parameter name as in the reference's setter (`sudo_set_<name>`).
    pub fn name(&self) -> &'static str {
        use HyperparamValue::*;
        match self {
            Tempo(_) => "tempo",
            ImmunityPeriod(_) => "immunity_period",
            MinAllowedWeights(_) => "min_allowed_weights",
            MaxWeightsLimit(_) => "max_weight_limit",
            WeightsVersionKey(_) => "weights_version_key",
            WeightsSetRateLimit(_) => "weights_set_rate_limit",
            ActivityCutoffFactorMilli(_) => "activity_cutoff_factor_milli",
            MaxAllowedUids(_) => "max_allowed_uids",
            MinAllowedUids(_) => "min_allowed_uids",
            MaxAllowedValidators(_) => "max_allowed_validators",
            MaxRegistrationsPerBlock(_) => "max_registrations_per_block",
            TargetRegistrationsPerInterval(_) => "target_registrations_per_interval",
            AdjustmentInterval(_) => "adjustment_interval",
            AdjustmentAlpha(_) => "adjustment_alpha",
            Difficulty(_) => "difficulty",
            MinDifficulty(_) => "min_difficulty",
            MaxDifficulty(_) => "max_difficulty",
            MinBurn(_) => "min_burn",
            MaxBurn(_) => "max_burn",
            BurnHalfLife(_) => "burn_half_life",
            BurnIncreaseMultPpm(_) => "burn_increase_mult",
            Kappa(_) => "kappa",
            Rho(_) => "rho",
            AlphaSigmoidSteepness(_) => "alpha_sigmoid_steepness",
            BondsMovingAverage(_) => "bonds_moving_average",
            BondsPenalty(_) => "bonds_penalty",
            BondsResetEnabled(_) => "bonds_reset_enabled",
            LiquidAlphaEnabled(_) => "liquid_alpha_enabled",
            AlphaValues { .. } => "alpha_values",
            Yuma3Enabled(_) => "yuma3_enabled",
            CommitRevealEnabled(_) => "commit_reveal_weights_enabled",
            RevealPeriodEpochs(_) => "commit_reveal_weights_interval",
            ServingRateLimit(_) => "serving_rate_limit",
            TransfersEnabled(_) => "toggle_transfer",
            RegistrationAllowed(_) => "network_registration_allowed",
            PowRegistrationAllowed(_) => "network_pow_registration_allowed",
            OwnerCutEnabled(_) => "owner_cut_enabled",
            RecycleOrBurn(_) => "recycle_or_burn",
            ImmuneOwnerUidsLimit(_) => "owner_immune_neuron_limit",
            MinNonImmuneUids(_) => "min_non_immune_uids",
            EmaPriceHalvingBlocks(_) => "ema_price_halving_period",
            SubtokenEnabled(_) => "subtoken_enabled",
            SubnetEmissionEnabled(_) => "subnet_emission_enabled",
            FeeRate(_) => "fee_rate",
        }
    }

    /// A stable tag for the owner rate-limit bookkeeping.
    fn tag(&self) -> u8 {
        // The encoded enum index is stable as long as variants are only appended.
        self.encode().first().copied().unwrap_or(0)
    }

    fn setter(&self) -> Setter {
        use HyperparamValue::*;
        match self {
            Kappa(_)
            | Difficulty(_)
            | MaxWeightsLimit(_)
            | MaxAllowedValidators(_)
            | AdjustmentInterval(_)
            | TargetRegistrationsPerInterval(_)
            | MaxRegistrationsPerBlock(_)
            | WeightsSetRateLimit(_)
            | RegistrationAllowed(_)
            | PowRegistrationAllowed(_)
            | SubtokenEnabled(_)
            | SubnetEmissionEnabled(_)
            | MinAllowedUids(_)
            | MinNonImmuneUids(_)
            | EmaPriceHalvingBlocks(_)
            | MinDifficulty(_)
            | FeeRate(_) => Setter::RootOnly,
            _ => Setter::OwnerOrRoot,
        }
    }

    /// The value as text (for events and errors).
    pub fn value_string(&self) -> String {
        let dbg = format!("{self:?}");
        match (dbg.find('('), dbg.rfind(')')) {
            (Some(a), Some(b)) if a < b => {
                dbg.get(a.saturating_add(1)..b).unwrap_or("").to_string()
            }
            _ => dbg,
        }
    }
}

fn out_of_range(v: &HyperparamValue, rule: &str) -> ChainError {
    ChainError::HyperparamOutOfRange {
        name: v.name().into(),
        value: v.value_string(),
        rule: rule.into(),
    }
}

/// Owners' tempo range.
pub const MIN_OWNER_TEMPO: u16 = 360;
/// Maximum tempo.
pub const MAX_TEMPO: u16 = 50_400;

/// Sets one hyperparameter of `netuid`, signed by its owner or by sudo.
pub fn set_hyperparameter(
    st: &mut State<'_>,
    signer: &AccountId,
    netuid: NetUid,
    value: HyperparamValue,
) -> Result<()> {
    let params = st.params()?;
    let mut subnet = st.subnet(netuid)?;
    let is_root = params.sudo.as_ref() == Some(signer);
    let is_owner = subnet.owner == *signer;
    if !is_root {
        if !is_owner {
            return Err(ChainError::NotSubnetOwner(netuid));
        }
        if value.setter() == Setter::RootOnly {
            return Err(ChainError::HyperparamRootOnly(value.name().into()));
        }
    }
    let now = st.block();
    if !is_root {
        // Owner limits: the freeze window before an epoch, then the per-parameter rate limit.
        let window = u64::from(params.admin_freeze_window);
        let next_epoch = subnet
            .last_epoch_block
            .saturating_add(u64::from(subnet.hp.tempo));
        if window > 0 && next_epoch.saturating_sub(now) < window {
            return Err(ChainError::AdminActionProhibitedDuringWeightsWindow(netuid));
        }
        let tempos: u64 = match value {
            HyperparamValue::WeightsVersionKey(_) => 5,
            _ => u64::from(params.owner_hparam_rate_limit_tempos),
        };
        let limit = match value {
            // set_tempo's own limit is one default tempo (360 blocks).
            HyperparamValue::Tempo(_) if tempos > 0 => u64::from(MIN_OWNER_TEMPO),
            _ => tempos.saturating_mul(u64::from(subnet.hp.tempo)),
        };
        let tag = value.tag();
        if let Some((_, last)) = subnet.last_owner_change.iter().find(|(t, _)| *t == tag) {
            let at: BlockNumber = last.saturating_add(limit);
            if limit > 0 && now < at {
                return Err(ChainError::OwnerHyperparamRateLimited {
                    name: value.name().into(),
                    at,
                });
            }
        }
        subnet.last_owner_change.retain(|(t, _)| *t != tag);
        subnet.last_owner_change.push((tag, now));
    }
    apply(&mut subnet, &value, is_root, now)?;
    st.put_subnet(&subnet)?;
    st.emit(Event::HyperparameterSet {
        netuid,
        name: value.name().into(),
        value: value.value_string(),
    });
    Ok(())
}

fn apply(
    s: &mut crate::schema::Subnet,
    value: &HyperparamValue,
    is_root: bool,
    now: BlockNumber,
) -> Result<()> {
    use HyperparamValue::*;
    let hp = &mut s.hp;
    match *value {
        Tempo(v) => {
            if !is_root && !(MIN_OWNER_TEMPO..=MAX_TEMPO).contains(&v) {
                return Err(out_of_range(value, "owners may set tempo in [360, 50400]"));
            }
            hp.tempo = v;
            // A new tempo restarts the cycle from now.
            s.last_epoch_block = now;
            s.blocks_since_last_step = 0;
        }
        ImmunityPeriod(v) => hp.immunity_period = v,
        MinAllowedWeights(v) => hp.min_allowed_weights = v,
        MaxWeightsLimit(v) => hp.max_weights_limit = v,
        WeightsVersionKey(v) => hp.weights_version_key = v,
        WeightsSetRateLimit(v) => hp.weights_set_rate_limit = v,
        ActivityCutoffFactorMilli(v) => {
            if !(1_000..=50_000).contains(&v) {
                return Err(out_of_range(value, "in [1000, 50000] ‰ of tempo"));
            }
            hp.activity_cutoff_factor_milli = v;
        }
        MaxAllowedUids(v) => {
            if v < hp.min_allowed_uids || v < s.n {
                return Err(out_of_range(
                    value,
                    "≥ min_allowed_uids and ≥ the current neuron count",
                ));
            }
            hp.max_allowed_uids = v;
        }
        MinAllowedUids(v) => {
            if v > hp.max_allowed_uids {
                return Err(out_of_range(value, "≤ max_allowed_uids"));
            }
            hp.min_allowed_uids = v;
        }
        MaxAllowedValidators(v) => {
            if v > hp.max_allowed_uids {
                return Err(out_of_range(value, "≤ max_allowed_uids"));
            }
            hp.max_allowed_validators = v;
        }
        MaxRegistrationsPerBlock(v) => hp.max_registrations_per_block = v,
        TargetRegistrationsPerInterval(v) => hp.target_registrations_per_interval = v,
        AdjustmentInterval(v) => hp.adjustment_interval = v,
        AdjustmentAlpha(v) => hp.adjustment_alpha = v,
        Difficulty(v) => hp.difficulty = v,
        MinDifficulty(v) => hp.min_difficulty = v,
        MaxDifficulty(v) => hp.max_difficulty = v,
        MinBurn(v) => {
            if v.rao() >= RAO_PER_TAO || v >= hp.max_burn {
                return Err(out_of_range(value, "< 1 TAO and < max_burn"));
            }
            hp.min_burn = v;
        }
        MaxBurn(v) => {
            if v.rao() <= RAO_PER_TAO.checked_div(10).unwrap_or(0) || v <= hp.min_burn {
                return Err(out_of_range(value, "> 0.1 TAO and > min_burn"));
            }
            hp.max_burn = v;
        }
        BurnHalfLife(v) => {
            if v == 0 || v > 36_100 {
                return Err(out_of_range(value, "in [1, 36100] blocks"));
            }
            hp.burn_half_life = v;
        }
        BurnIncreaseMultPpm(v) => {
            if !(1_000_000..=10_000_000).contains(&v) {
                return Err(out_of_range(
                    value,
                    "in [1_000_000, 10_000_000] ppm (×1 to ×10)",
                ));
            }
            hp.burn_increase_mult = ratio(v, 1_000_000);
        }
        Kappa(v) => hp.kappa = v,
        Rho(v) => hp.rho = v,
        AlphaSigmoidSteepness(v) => {
            if v < 0 && !is_root {
                return Err(out_of_range(
                    value,
                    "owners may set only non-negative values",
                ));
            }
            hp.alpha_sigmoid_steepness = v;
        }
        BondsMovingAverage(v) => {
            if v > 1_000_000 || (!is_root && v > 975_000) {
                return Err(out_of_range(
                    value,
                    "≤ 975000 for owners, ≤ 1000000 for root",
                ));
            }
            hp.bonds_moving_average = v;
        }
        BondsPenalty(v) => hp.bonds_penalty = v,
        BondsResetEnabled(v) => hp.bonds_reset_enabled = v,
        LiquidAlphaEnabled(v) => hp.liquid_alpha_enabled = v,
        AlphaValues { low, high } => {
            const MIN: u16 = 1_638; // 65535 / 40
            if high < MIN || low < MIN || low > high {
                return Err(out_of_range(value, "1638 ≤ low ≤ high"));
            }
            hp.alpha_low = low;
            hp.alpha_high = high;
        }
        Yuma3Enabled(v) => hp.yuma3_enabled = v,
        CommitRevealEnabled(v) => hp.commit_reveal_enabled = v,
        RevealPeriodEpochs(v) => {
            if !(1..=100).contains(&v) {
                return Err(out_of_range(value, "in [1, 100] epochs"));
            }
            hp.reveal_period_epochs = v;
        }
        ServingRateLimit(v) => hp.serving_rate_limit = v,
        TransfersEnabled(v) => hp.transfers_enabled = v,
        RegistrationAllowed(v) => hp.registration_allowed = v,
        PowRegistrationAllowed(_) => return Err(ChainError::Deprecated),
        OwnerCutEnabled(v) => hp.owner_cut_enabled = v,
        RecycleOrBurn(v) => hp.recycle_or_burn = v,
        ImmuneOwnerUidsLimit(v) => {
            if !(1..=10).contains(&v) {
                return Err(out_of_range(value, "in [1, 10]"));
            }
            hp.immune_owner_uids_limit = v;
        }
        MinNonImmuneUids(v) => hp.min_non_immune_uids = v,
        EmaPriceHalvingBlocks(v) => hp.ema_price_halving_blocks = v,
        SubtokenEnabled(v) => s.subtoken_enabled = v,
        SubnetEmissionEnabled(v) => s.emission_enabled = v,
        FeeRate(v) => {
            if v > 10_000 {
                return Err(out_of_range(value, "≤ 10000"));
            }
            s.pool.fee_rate = v;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_cutoff_is_about_5000_at_tempo_360() {
        assert_eq!(Hyperparams::reference().activity_cutoff(), 5_000);
        let mut hp = Hyperparams::reference();
        hp.tempo = 0;
        assert_eq!(hp.activity_cutoff(), 1);
    }

    #[test]
    fn names_and_values_render() {
        assert_eq!(HyperparamValue::Tempo(99).name(), "tempo");
        assert_eq!(HyperparamValue::Tempo(99).value_string(), "99");
        assert_ne!(
            HyperparamValue::Tempo(1).tag(),
            HyperparamValue::Kappa(1).tag()
        );
    }

    use crate::testing::*;

    fn owner(t: &TestChain) -> AccountId {
        t.read(|st| Ok(st.subnet(NET)?.owner))
    }

    #[test]
    fn owner_and_root_powers() {
        let mut t = TestChain::with_subnet(10 * RAO_PER_TAO, 10 * RAO_PER_TAO);
        let o = owner(&t);
        // a stranger
        let e = t
            .with(|st| set_hyperparameter(st, &acct(9), NET, HyperparamValue::Rho(3)))
            .unwrap_err();
        assert_eq!(e, ChainError::NotSubnetOwner(NET));
        // root-only parameter
        let e = t
            .with(|st| set_hyperparameter(st, &o, NET, HyperparamValue::Kappa(3)))
            .unwrap_err();
        assert_eq!(e, ChainError::HyperparamRootOnly("kappa".into()));
        t.set_hparam(NET, HyperparamValue::Kappa(3));
        assert_eq!(t.read(|st| Ok(st.subnet(NET)?.hp.kappa)), 3);
        // owner tempo range; root any value
        let e = t
            .with(|st| set_hyperparameter(st, &o, NET, HyperparamValue::Tempo(10)))
            .unwrap_err();
        assert!(matches!(e, ChainError::HyperparamOutOfRange { .. }));
        t.set_hparam(NET, HyperparamValue::Tempo(10));
        // ranges
        let e = t
            .with(|st| {
                set_hyperparameter(
                    st,
                    &o,
                    NET,
                    HyperparamValue::MinBurn(TaoBalance::from_rao(RAO_PER_TAO)),
                )
            })
            .unwrap_err();
        assert!(matches!(e, ChainError::HyperparamOutOfRange { .. }));
        let e = t
            .with(|st| {
                set_hyperparameter(
                    st,
                    &o,
                    NET,
                    HyperparamValue::AlphaValues { low: 10, high: 20 },
                )
            })
            .unwrap_err();
        assert!(matches!(e, ChainError::HyperparamOutOfRange { .. }));
        let e = t
            .with(|st| {
                set_hyperparameter(st, &o, NET, HyperparamValue::PowRegistrationAllowed(true))
            })
            .unwrap_err();
        assert_eq!(
            e,
            ChainError::HyperparamRootOnly("network_pow_registration_allowed".into())
        );
    }

    #[test]
    fn owner_rate_limit_and_freeze_window() {
        let mut t = TestChain::with_subnet(10 * RAO_PER_TAO, 10 * RAO_PER_TAO);
        let o = owner(&t);
        t.set_hparam(NET, HyperparamValue::Tempo(100));
        t.set_block(1);
        // last epoch at 1 (the tempo change restarted the cycle); next at 101; freeze from 91
        t.with(|st| set_hyperparameter(st, &o, NET, HyperparamValue::Rho(5)))
            .unwrap();
        t.set_block(50);
        let e = t
            .with(|st| set_hyperparameter(st, &o, NET, HyperparamValue::Rho(6)))
            .unwrap_err();
        assert_eq!(
            e,
            ChainError::OwnerHyperparamRateLimited {
                name: "rho".into(),
                at: 201
            }
        );
        // another parameter is independent
        t.with(|st| set_hyperparameter(st, &o, NET, HyperparamValue::ServingRateLimit(7)))
            .unwrap();
        t.set_block(95);
        let e = t
            .with(|st| set_hyperparameter(st, &o, NET, HyperparamValue::BondsPenalty(1)))
            .unwrap_err();
        assert_eq!(e, ChainError::AdminActionProhibitedDuringWeightsWindow(NET));
        // root is never limited
        t.set_hparam(NET, HyperparamValue::Rho(9));
        assert_eq!(t.read(|st| Ok(st.subnet(NET)?.hp.rho)), 9);
    }

    #[test]
    fn burn_mult_is_1_26() {
        let m = Hyperparams::reference().burn_increase_mult;
        let hundred = U64F64::from_num(100u32);
        assert_eq!(m.checked_mul(hundred).unwrap().round().to_num::<u64>(), 126);
    }
}

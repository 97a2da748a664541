//! The epoch: inputs, hyperparameters and previous state in; consensus, incentive, dividends,
//! emissions and the state to store out. Step numbers refer to `spec/yuma.md` §2.

use crate::bonds::{self, BondsInput};
use crate::error::YumaError;
use std::borrow::Cow;

use crate::fixed::{
    I32F32, I64F64, I96F32, ONE, U16_MAX, ZERO, fixed_proportion_to_u16, fixed64_to_fixed32, mul,
    rao_share, safe_div, sum, u16_to_fixed,
};
use crate::liquid_alpha::{LiquidAlphaParams, Sigmoid};
use crate::median::weighted_median_col_sparse;
use crate::sparse::{self, Matrix, Row};
use crate::vector::{is_topk_nonzero, mask, normalize, normalize_64, normalize_using_sum};

/// Subnet hyperparameters that the epoch reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochParams {
    /// Consensus majority, `kappa / 65535` (default 32767 ≈ 0.5).
    pub kappa: u16,
    /// `bonds_penalty / 65535`: how far bonds follow clipped rather than raw weights
    /// (default 65535: fully clipped).
    pub bonds_penalty: u16,
    /// EMA memory; `alpha = 1 - bonds_moving_average / 1e6` (default 900 000).
    pub bonds_moving_average: u64,
    /// `Yuma3On`: Yuma3 bonds instead of classic ones.
    pub yuma3: bool,
    /// Liquid alpha (used only when `yuma3` is on, as in the reference).
    pub liquid_alpha: LiquidAlphaParams,
    /// Top-k stake holders that get validator permits.
    pub max_allowed_validators: u16,
    /// Blocks after its last weight update that a uid still counts as active.
    pub activity_cutoff: u64,
    /// Blocks per epoch; used for the "registered since the last epoch" bond mask.
    pub tempo: u64,
    /// Minimum stake (rao, floor of the total) to keep stake weight; the owner is exempt.
    pub stake_threshold: u64,
    /// `TaoWeight`: weight of root stake as `tao_weight / u64::MAX`.
    pub tao_weight: u64,
    /// The uid of the subnet owner's hotkey, if registered: keeps its self-weight and always
    /// gets a validator permit.
    pub owner_uid: Option<u16>,
    /// `CommitRevealWeightsEnabled`: apply the commit-block column mask.
    pub commit_reveal: bool,
}

impl Default for EpochParams {
    /// The runtime defaults of `spec/yuma.md` §3.
    fn default() -> Self {
        Self {
            kappa: 32767,
            bonds_penalty: 65535,
            bonds_moving_average: 900_000,
            yuma3: false,
            liquid_alpha: LiquidAlphaParams::default(),
            max_allowed_validators: 128,
            activity_cutoff: 5000,
            tempo: 360,
            stake_threshold: 0,
            tao_weight: 0,
            owner_uid: None,
            commit_reveal: false,
        }
    }
}

/// Per-epoch inputs. Every per-uid vector has `n` entries unless stated otherwise.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochInput {
    /// Subnetwork size; uids are `0..n`.
    pub n: u16,
    /// The block the epoch runs at.
    pub current_block: u64,
    /// `LastMechansimStepBlock`; 0 means "use `current_block - tempo`" for the bond mask.
    pub last_mechanism_step_block: u64,
    /// Alpha stake per uid (rao, inherited). With `tao_weight == 0` this is the whole stake.
    pub alpha_stake: Vec<u64>,
    /// Root (TAO) stake per uid, weighted by `tao_weight`; empty means all zero. Pass alpha
    /// and root stake separately: the reference sums them in I64F64, keeping the fraction.
    pub tao_stake: Vec<u64>,
    /// Block of each uid's last weights update.
    pub last_update: Vec<u64>,
    /// Block of each uid's current registration (0 for an empty uid).
    pub block_at_registration: Vec<u64>,
    /// Stored weights rows `(uid, u16)`, as `set_weights` stores them (row max 65535).
    pub weights: Vec<Vec<(u16, u16)>>,
    /// With commit-reveal on: each uid's earliest non-expired commit block (`u64::MAX` for
    /// none). Empty means no uid has a commit.
    pub commit_blocks: Vec<u64>,
    /// The emission (rao of alpha) to distribute.
    pub rao_emission: u64,
}

/// The state carried from one epoch to the next.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochState {
    /// Stored bonds rows `(uid, u16)`.
    pub bonds: Vec<Vec<(u16, u16)>>,
    /// Stored validator permits.
    pub validator_permits: Vec<bool>,
}

impl EpochState {
    /// No bonds and no permits for `n` uids.
    pub fn empty(n: u16) -> Self {
        Self {
            bonds: vec![Vec::new(); usize::from(n)],
            validator_permits: vec![false; usize::from(n)],
        }
    }

    /// A uid was re-registered (`replace_neuron`): it starts with no bonds and no permit.
    /// Other validators' bonds to it are dropped by the epoch's last-tempo mask, because its
    /// `block_at_registration` is recent. Out-of-range uids are ignored.
    pub fn replace_uid(&mut self, uid: u16) {
        if let Some(row) = self.bonds.get_mut(usize::from(uid)) {
            row.clear();
        }
        if let Some(p) = self.validator_permits.get_mut(usize::from(uid)) {
            *p = false;
        }
    }
}

/// The exact fixed-point values behind the stored u16 vectors.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FixedTerms {
    /// Normalised stake `S` after the threshold filter.
    pub stake: Vec<I32F32>,
    /// Active stake `A`: `S` of active uids with a (previous) permit, normalised.
    pub active_stake: Vec<I32F32>,
    /// Consensus `C`.
    pub consensus: Vec<I32F32>,
    /// Validator trust: row sums of the clipped weights.
    pub validator_trust: Vec<I32F32>,
    /// Incentive `I`.
    pub incentive: Vec<I32F32>,
    /// Dividends `D`.
    pub dividends: Vec<I32F32>,
}

/// Everything the epoch produces, per uid.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochOutput {
    /// Active: last update within the activity cutoff.
    pub active: Vec<bool>,
    /// `StakeWeight` (u16 of `S`).
    pub stake_weight: Vec<u16>,
    /// The permits this epoch masked with (the stored ones, owner forced on).
    pub validator_permits_used: Vec<bool>,
    /// The permits to store (top-k by stake, owner forced on).
    pub new_validator_permits: Vec<bool>,
    /// `Consensus` (u16).
    pub consensus: Vec<u16>,
    /// `ValidatorTrust` (u16).
    pub validator_trust: Vec<u16>,
    /// `Incentive` (u16).
    pub incentive: Vec<u16>,
    /// `Dividends` (u16).
    pub dividends: Vec<u16>,
    /// Rao for serving (incentive share).
    pub server_emission: Vec<u64>,
    /// Rao for validating (dividend share).
    pub validator_emission: Vec<u64>,
    /// `Emission`: the combined share (stored for display; payouts use the two above).
    pub emission: Vec<u64>,
    /// Bonds rows to store: the EMA for uids with a new permit, empty otherwise.
    pub bonds: Vec<Vec<(u16, u16)>>,
    /// The block used by the "registered since the last epoch" bond mask.
    pub last_tempo_block: u64,
    /// Exact fixed-point values.
    pub fixed: FixedTerms,
}

impl EpochOutput {
    /// The state to carry into the next epoch (new bonds and permits).
    pub fn next_state(&self) -> EpochState {
        EpochState {
            bonds: self.bonds.clone(),
            validator_permits: self.new_validator_permits.clone(),
        }
    }
}

/// Intermediate matrices, for inspection and the scenario report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EpochTrace {
    /// Weights after every mask and row normalisation (`W`).
    pub weights: Matrix,
    /// Weights clipped at consensus (`Wc`).
    pub clipped_weights: Matrix,
    /// Weights used for bonds (`W` interpolated toward `Wc` by the bonds penalty).
    pub weights_for_bonds: Matrix,
    /// The bonds EMA (classic: after column max-upscale; Yuma3: the levels in [0, 1]).
    pub ema_bonds: Matrix,
    /// Classic only: the column-normalised EMA used for dividends.
    pub ema_bonds_normalized: Option<Matrix>,
    /// Yuma3 with liquid alpha and some non-zero consensus: the reference's dense alpha matrix
    /// (built only for n <= 1024).
    pub liquid_alphas: Option<Vec<Vec<I32F32>>>,
}

/// Runs one epoch.
///
/// # Errors
/// [`YumaError`] when a vector has the wrong length or a sparse row refers to a uid outside
/// `0..n` or lists a uid twice. Valid inputs never fail and nothing panics.
pub fn epoch(
    params: &EpochParams,
    input: &EpochInput,
    state: &EpochState,
) -> Result<EpochOutput, YumaError> {
    run(params, input, state, false).map(|(out, _)| out)
}

/// [`epoch`], also returning the intermediate matrices (costs a few clones and, with liquid
/// alpha, an n x n alpha matrix: meant for small subnets and tests).
///
/// # Errors
/// As [`epoch`].
pub fn epoch_traced(
    params: &EpochParams,
    input: &EpochInput,
    state: &EpochState,
) -> Result<(EpochOutput, EpochTrace), YumaError> {
    run(params, input, state, true).map(|(out, trace)| (out, trace.unwrap_or_default()))
}

fn check_len(field: &str, got: usize, n: usize) -> Result<(), YumaError> {
    if got == n {
        Ok(())
    } else {
        Err(YumaError::Length {
            field: field.to_owned(),
            expected: n,
            got,
        })
    }
}

/// Checks that every row's uids are in `0..n` and distinct.
pub(crate) fn check_rows<V>(
    field: &str,
    rows: &[Vec<(u16, V)>],
    n: usize,
) -> Result<(), YumaError> {
    // seen[j] holds (row index + 1) of the last row that listed j.
    let mut seen = vec![0_usize; n];
    for (i, row) in rows.iter().enumerate() {
        let mark = i.saturating_add(1);
        for (k, (j, _)) in row.iter().enumerate() {
            match seen.get_mut(usize::from(*j)) {
                None => {
                    return Err(YumaError::UidOutOfRange {
                        field: format!("{field}[{i}][{k}]"),
                        uid: u64::from(*j),
                        n,
                    });
                }
                Some(s) if *s == mark => {
                    return Err(YumaError::DuplicateUid {
                        field: format!("{field}[{i}]"),
                        uid: *j,
                    });
                }
                Some(s) => *s = mark,
            }
        }
    }
    Ok(())
}

fn validate(
    params: &EpochParams,
    input: &EpochInput,
    state: &EpochState,
) -> Result<usize, YumaError> {
    let n = usize::from(input.n);
    check_len("alpha_stake", input.alpha_stake.len(), n)?;
    if !input.tao_stake.is_empty() {
        check_len("tao_stake", input.tao_stake.len(), n)?;
    }
    check_len("last_update", input.last_update.len(), n)?;
    check_len(
        "block_at_registration",
        input.block_at_registration.len(),
        n,
    )?;
    check_len("weights", input.weights.len(), n)?;
    if !input.commit_blocks.is_empty() {
        check_len("commit_blocks", input.commit_blocks.len(), n)?;
    }
    check_len("bonds", state.bonds.len(), n)?;
    check_len("validator_permits", state.validator_permits.len(), n)?;
    check_rows("weights", &input.weights, n)?;
    check_rows("bonds", &state.bonds, n)?;
    if let Some(owner) = params.owner_uid
        && usize::from(owner) >= n
    {
        return Err(YumaError::UidOutOfRange {
            field: "owner_uid".to_owned(),
            uid: u64::from(owner),
            n,
        });
    }
    Ok(n)
}

/// How step 7 builds the clipped weights.
enum ClipMode {
    /// Build Wc as its own matrix (needed for interpolation or the trace).
    Materialise,
    /// Only sum Wc; the bonds step reads W (beta == 0) or clips it on the fly (beta == 1).
    SumOnly,
}

/// Step 2: stake `S`, after the threshold filter, normalised (I64F64, then truncated).
fn stake_weights(params: &EpochParams, input: &EpochInput) -> Vec<I32F32> {
    let tao_weight = I64F64::saturating_from_num(
        I96F32::saturating_from_num(params.tao_weight)
            .checked_div(I96F32::saturating_from_num(u64::MAX))
            .unwrap_or_default(),
    );
    let mut total: Vec<I64F64> = input
        .alpha_stake
        .iter()
        .enumerate()
        .map(|(uid, alpha)| {
            let tao = input.tao_stake.get(uid).copied().unwrap_or(0);
            let s = I64F64::saturating_from_num(*alpha)
                .saturating_add(I64F64::saturating_from_num(tao).saturating_mul(tao_weight));
            let is_owner = params.owner_uid.map(usize::from) == Some(uid);
            if !is_owner && s.saturating_to_num::<u64>() < params.stake_threshold {
                I64F64::from_bits(0)
            } else {
                s
            }
        })
        .collect();
    normalize_64(&mut total);
    total.into_iter().map(fixed64_to_fixed32).collect()
}

/// Step 5: weights as I32F32 after the permit, diagonal, outdated and commit-reveal masks,
/// row-normalised.
fn masked_weights(params: &EpochParams, input: &EpochInput, permits: &[bool]) -> Matrix {
    let bar = &input.block_at_registration;
    let registered_at = |j: u16| bar.get(usize::from(j)).copied().unwrap_or(0);
    input
        .weights
        .iter()
        .zip(permits)
        .zip(input.last_update.iter())
        .enumerate()
        .map(|(i, ((row, permit), updated))| {
            if !permit {
                return Row::new();
            }
            let keep_self = params.owner_uid.map(usize::from) == Some(i);
            let commit = input.commit_blocks.get(i).copied().unwrap_or(u64::MAX);
            let mut out = Row::with_capacity(row.len());
            out.extend(
                row.iter()
                    .filter(|(j, _)| {
                        let diag = usize::from(*j) == i;
                        let reg = registered_at(*j);
                        let dropped = (diag && !keep_self)
                            || *updated <= reg
                            || (params.commit_reveal && commit < reg);
                        !dropped
                    })
                    .map(|&(j, v)| (j, u16_to_fixed(v))),
            );
            // Normalise while the row is still in cache.
            sparse::normalize_row(&mut out);
            out
        })
        .collect()
}

fn run(
    params: &EpochParams,
    input: &EpochInput,
    state: &EpochState,
    trace: bool,
) -> Result<(EpochOutput, Option<EpochTrace>), YumaError> {
    let n = validate(params, input, state)?;
    let owner = params.owner_uid.map(usize::from);

    // 1. Activity.
    let active: Vec<bool> = input
        .last_update
        .iter()
        .map(|u| u.saturating_add(params.activity_cutoff) >= input.current_block)
        .collect();

    // 2. Stake.
    let stake = stake_weights(params, input);

    // 3. Permits: this epoch masks with the stored ones; the new ones are only stored.
    let mut permits_used = state.validator_permits.clone();
    let mut new_permits = is_topk_nonzero(&stake, usize::from(params.max_allowed_validators));
    if let Some(o) = owner {
        if let Some(p) = permits_used.get_mut(o) {
            *p = true;
        }
        if let Some(p) = new_permits.get_mut(o) {
            *p = true;
        }
    }

    // 4. Active stake.
    let mut active_stake = stake.clone();
    let masked: Vec<bool> = active
        .iter()
        .zip(&permits_used)
        .map(|(a, p)| !a || !p)
        .collect();
    mask(&masked, &mut active_stake);
    normalize(&mut active_stake);

    // 5. Weights.
    let weights = masked_weights(params, input, &permits_used);

    // 6. Consensus.
    let kappa = safe_div(u16_to_fixed(params.kappa), U16_MAX);
    let consensus = weighted_median_col_sparse(&active_stake, &weights, n, kappa);

    // 7-10. Clip at consensus (Wc); validator trust (row sums of Wc); ranks
    // `R_j = sum_i A_i * Wc_ij` (saturating, rows in uid order); incentive; and the weights for
    // bonds `Wb = W + beta * (Wc - W)`. Wc is only built when something needs it (a beta
    // strictly between 0 and 1, or the trace); otherwise it is only summed here.
    let beta = safe_div(u16_to_fixed(params.bonds_penalty), U16_MAX);
    let mut ranks = vec![ZERO; n];
    let mut validator_trust = Vec::with_capacity(n);
    let mut tally = |a: I32F32, row: &mut dyn Iterator<Item = (u16, I32F32)>| {
        let mut trust = ZERO;
        for (j, v) in row {
            trust = trust.wrapping_add(v);
            if let Some(r) = ranks.get_mut(usize::from(j)) {
                *r = r.saturating_add(mul(a, v));
            }
        }
        validator_trust.push(trust);
    };
    let clip_mode = if trace || (beta != ZERO && beta != ONE) {
        ClipMode::Materialise
    } else {
        ClipMode::SumOnly
    };
    let clipped: Option<Matrix> = match clip_mode {
        ClipMode::SumOnly => {
            for (row, a) in weights.iter().zip(&active_stake) {
                tally(*a, &mut sparse::clipped_entries(row, &consensus));
            }
            None
        }
        ClipMode::Materialise => Some(
            weights
                .iter()
                .zip(&active_stake)
                .map(|(row, a)| {
                    let c = sparse::clip_row(row, &consensus);
                    tally(*a, &mut c.iter().copied());
                    c
                })
                .collect(),
        ),
    };
    let mut incentive = ranks.clone();
    normalize(&mut incentive);
    // Without a materialised Wc, Wb is W, clipped on the fly when beta == 1.
    let (weights_for_bonds, clip_at): (Cow<'_, Matrix>, Option<&[I32F32]>) = match &clipped {
        Some(c) => (sparse::interpolate(&weights, c, n, beta), None),
        None => (
            Cow::Borrowed(&weights),
            (beta == ONE).then_some(consensus.as_slice()),
        ),
    };
    // When Wb = Wc the column sums of Wb ∘ A that classic bonds need are the ranks: the same
    // saturating terms in the same order.
    let wb_is_clipped = beta == ONE;

    // 11. Bonds to uids registered since the last epoch are dropped.
    let last_tempo_block = if input.last_mechanism_step_block == 0 {
        input.current_block.saturating_sub(params.tempo)
    } else {
        input.last_mechanism_step_block.saturating_add(1)
    };
    let recently_registered: Vec<bool> = input
        .block_at_registration
        .iter()
        .map(|reg| last_tempo_block <= *reg)
        .collect();

    // 12. Bonds and dividends.
    let bonds_input = BondsInput {
        n,
        stored: &state.bonds,
        recently_registered: &recently_registered,
        weights_for_bonds: &weights_for_bonds,
        clip_at,
        active_stake: &active_stake,
        incentive: &incentive,
        consensus: &consensus,
        bonds_moving_average: params.bonds_moving_average,
        new_permits: &new_permits,
        weighted_col_sums: wb_is_clipped.then_some(ranks.as_slice()),
        trace,
    };
    let outcome = if params.yuma3 {
        let sigmoid = params
            .liquid_alpha
            .enabled
            .then(|| Sigmoid::new(&params.liquid_alpha));
        bonds::yuma3(&bonds_input, sigmoid.as_ref())
    } else {
        bonds::classic(&bonds_input)
    };
    let dividends = outcome.dividends;

    // 13. Emission split.
    let combined: Vec<I32F32> = incentive
        .iter()
        .zip(&dividends)
        .map(|(i, d)| i.saturating_add(*d))
        .collect();
    let emission_sum = sum(&combined);
    let mut server_norm = incentive.clone();
    let mut validator_norm = dividends.clone();
    let mut combined_norm = combined;
    normalize_using_sum(&mut server_norm, emission_sum);
    normalize_using_sum(&mut validator_norm, emission_sum);
    normalize(&mut combined_norm);
    if emission_sum == ZERO {
        // No usable weights: emission follows (active) stake.
        let fallback = if sum(&active_stake) == ZERO {
            &stake
        } else {
            &active_stake
        };
        validator_norm.clone_from(fallback);
        combined_norm.clone_from(fallback);
    }
    let rao = |v: &[I32F32]| -> Vec<u64> {
        v.iter()
            .map(|x| rao_share(*x, input.rao_emission))
            .collect()
    };

    // 14. Write-back.
    let to_u16 =
        |v: &[I32F32]| -> Vec<u16> { v.iter().map(|x| fixed_proportion_to_u16(*x)).collect() };

    let output = EpochOutput {
        active,
        stake_weight: to_u16(&stake),
        validator_permits_used: permits_used,
        new_validator_permits: new_permits,
        consensus: to_u16(&consensus),
        validator_trust: to_u16(&validator_trust),
        incentive: to_u16(&incentive),
        dividends: to_u16(&dividends),
        server_emission: rao(&server_norm),
        validator_emission: rao(&validator_norm),
        emission: rao(&combined_norm),
        bonds: outcome.stored,
        last_tempo_block,
        fixed: FixedTerms {
            stake,
            active_stake,
            consensus,
            validator_trust,
            incentive,
            dividends,
        },
    };
    let weights_for_bonds = if trace {
        weights_for_bonds.into_owned()
    } else {
        Matrix::new()
    };
    let trace = trace.then_some(EpochTrace {
        weights,
        clipped_weights: clipped.unwrap_or_default(),
        weights_for_bonds,
        ema_bonds: outcome.ema.unwrap_or_default(),
        ema_bonds_normalized: outcome.ema_normalized,
        liquid_alphas: outcome.liquid_alphas,
    });
    Ok((output, trace))
}

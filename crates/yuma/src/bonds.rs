//! Bonds and dividends: classic Yuma (column-normalised EMA of stake-weighted weights) and
//! Yuma3 (per-validator bond levels in [0, 1], optionally with liquid alpha).

use crate::fixed::{
    I32F32, I64F64, ONE, ZERO, fixed64_to_fixed32, safe_div_64, u16_proportion_to_fixed,
    u16_to_fixed,
};
use crate::liquid_alpha::{Sigmoid, alpha_matrix, walk_row};
use crate::sparse::{self, Matrix, Row};
use crate::vector::normalize;

/// Largest n for which a trace includes the dense n x n liquid-alpha matrix.
pub(crate) const LIQUID_ALPHA_TRACE_MAX_N: usize = 1024;

/// What the bonds step hands back to the epoch.
pub(crate) struct BondsOutcome {
    /// The bonds to store (as fixed values; converted to u16 on write-back).
    pub ema: Matrix,
    /// Dividends, normalised.
    pub dividends: Vec<I32F32>,
    /// Classic only, traced only: the column-normalised EMA used for dividends.
    pub ema_normalized: Option<Matrix>,
    /// Yuma3 with liquid alpha, traced only: the reference's dense alpha matrix.
    pub liquid_alphas: Option<Vec<Vec<I32F32>>>,
}

/// `1 - bonds_moving_average / 1_000_000` (saturating).
pub(crate) fn moving_average_alpha(bonds_moving_average: u64) -> I32F32 {
    let bma = safe_div_64(
        I64F64::saturating_from_num(bonds_moving_average),
        I64F64::saturating_from_num(1_000_000_u32),
    );
    ONE.saturating_sub(fixed64_to_fixed32(bma))
}

/// Stored u16 bonds as fixed values, dropping the columns of recently registered uids.
fn load_bonds(
    stored: &[Vec<(u16, u16)>],
    recently_registered: &[bool],
    convert: fn(u16) -> I32F32,
) -> Matrix {
    stored
        .iter()
        .map(|row| {
            row.iter()
                .filter(|(j, _)| {
                    !recently_registered
                        .get(usize::from(*j))
                        .copied()
                        .unwrap_or(false)
                })
                .map(|&(j, v)| (j, convert(v)))
                .collect()
        })
        .collect()
}

/// Shared inputs of both variants.
pub(crate) struct BondsInput<'a> {
    pub n: usize,
    pub stored: &'a [Vec<(u16, u16)>],
    pub recently_registered: &'a [bool],
    pub weights_for_bonds: &'a Matrix,
    pub active_stake: &'a [I32F32],
    pub incentive: &'a [I32F32],
    pub consensus: &'a [I32F32],
    pub bonds_moving_average: u64,
    pub trace: bool,
}

/// Classic Yuma: `B = colnorm(EMA(colnorm(Wb ∘ A), colnorm(B_old)))`, `D = normalize(B · I)`,
/// stored column max-upscaled.
pub(crate) fn classic(inp: &BondsInput<'_>) -> BondsOutcome {
    let n = inp.n;
    let mut old = load_bonds(inp.stored, inp.recently_registered, u16_to_fixed);
    sparse::col_normalize(&mut old, n);
    let mut delta = sparse::row_hadamard(inp.weights_for_bonds, inp.active_stake);
    sparse::col_normalize(&mut delta, n);
    let alpha = moving_average_alpha(inp.bonds_moving_average);
    let mut ema = sparse::ema(&delta, &old, n, alpha);
    sparse::col_normalize(&mut ema, n);
    let mut dividends = sparse::matmul_transpose(&ema, inp.incentive);
    normalize(&mut dividends);
    let ema_normalized = inp.trace.then(|| ema.clone());
    sparse::col_max_upscale(&mut ema, n);
    BondsOutcome {
        ema,
        dividends,
        ema_normalized,
        liquid_alphas: None,
    }
}

/// Yuma3: bonds are levels in [0, 1] moved toward the weights by alpha (fixed or liquid);
/// `D = normalize(A ∘ (colnorm(B) · I))`.
pub(crate) fn yuma3(inp: &BondsInput<'_>, liquid: Option<&Sigmoid>) -> BondsOutcome {
    let n = inp.n;
    let old = load_bonds(inp.stored, inp.recently_registered, u16_proportion_to_fixed);
    let liquid = liquid.filter(|_| inp.consensus.iter().any(|c| *c != ZERO));
    let (ema, liquid_alphas) = match liquid {
        Some(sigmoid) => {
            let ema = ema_liquid(inp.weights_for_bonds, &old, inp.consensus, sigmoid, n);
            let alphas = (inp.trace && n <= LIQUID_ALPHA_TRACE_MAX_N)
                .then(|| alpha_matrix(sigmoid, inp.weights_for_bonds, &old, inp.consensus));
            (ema, alphas)
        }
        None => {
            let alpha = moving_average_alpha(inp.bonds_moving_average);
            (sparse::ema(inp.weights_for_bonds, &old, n, alpha), None)
        }
    };
    let mut normalized = ema.clone();
    sparse::col_normalize(&mut normalized, n);
    let per_validator = sparse::row_dot(&normalized, inp.incentive);
    let mut dividends: Vec<I32F32> = per_validator
        .iter()
        .zip(inp.active_stake)
        .map(|(t, a)| t.checked_mul(*a).unwrap_or_default())
        .collect();
    normalize(&mut dividends);
    BondsOutcome {
        ema,
        dividends,
        ema_normalized: None,
        liquid_alphas,
    }
}

/// The reference's `mat_ema_alpha_sparse` with alphas computed only where used: for each entry
/// (j, w) of a weights row, `min(1, (1 - a) * b_old + max(0, a * w))`, kept if > 0. A bond
/// whose column has no entry in the weights row is dropped, as in the reference's sparse path.
fn ema_liquid(
    weights: &[Row],
    old: &[Row],
    consensus: &[I32F32],
    sigmoid: &Sigmoid,
    n: usize,
) -> Matrix {
    let mut w_at = vec![ZERO; n];
    let mut b_at = vec![ZERO; n];
    let mut old_at = vec![ZERO; n];
    weights
        .iter()
        .zip(old)
        .map(|(w_row, b_row)| {
            if w_row.is_empty() {
                return Row::new();
            }
            // The alpha of column j sees what the reference's row walk finds there.
            walk_row(w_row, &mut w_at);
            walk_row(b_row, &mut b_at);
            for (j, v) in b_row {
                if let Some(c) = old_at.get_mut(usize::from(*j)) {
                    *c = *v;
                }
            }
            let out: Row = w_row
                .iter()
                .filter_map(|&(j, new)| {
                    let ju = usize::from(j);
                    let a = sigmoid.alpha(
                        consensus.get(ju).copied().unwrap_or(ZERO),
                        w_at.get(ju).copied().unwrap_or(ZERO),
                        b_at.get(ju).copied().unwrap_or(ZERO),
                    );
                    let decayed = ONE
                        .saturating_sub(a)
                        .saturating_mul(old_at.get(ju).copied().unwrap_or(ZERO));
                    let value = decayed
                        .saturating_add(a.saturating_mul(new).max(ZERO))
                        .min(ONE);
                    (value > ZERO).then_some((j, value))
                })
                .collect();
            for (j, _) in b_row {
                if let Some(c) = old_at.get_mut(usize::from(*j)) {
                    *c = ZERO;
                }
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_average_alpha_values() {
        assert_eq!(moving_average_alpha(0), ONE);
        assert_eq!(moving_average_alpha(1_000_000), ZERO);
        // 1 - 0.9 truncated: 1 - floor(0.9 * 2^32) / 2^32.
        assert_eq!(moving_average_alpha(900_000).to_bits(), 429496730);
        assert_eq!(
            moving_average_alpha(u64::MAX),
            ONE.saturating_sub(I32F32::max_value())
        );
    }
}

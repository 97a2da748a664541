//! Bonds and dividends: classic Yuma (column-normalised EMA of stake-weighted weights) and
//! Yuma3 (per-validator bond levels in [0, 1], optionally with liquid alpha).
//!
//! The reference materialises every intermediate matrix (masked bonds, normalised bonds, bond
//! deltas, normalised deltas, EMA, normalised EMA). Here the stored u16 bonds are read in place
//! and the per-column divisions are fused into the EMA pass, so only the EMA itself is built.
//! The arithmetic, and its order, is the reference's.

use crate::fixed::{
    I32F32, I64F64, ONE, ZERO, fixed_proportion_to_u16, fixed64_to_fixed32, mul, safe_div_64,
    u16_proportion_to_fixed, u16_to_fixed,
};
use crate::liquid_alpha::{AlphaMemo, Sigmoid, alpha_matrix, walk_row};
use crate::sparse::{Matrix, MaybeClipped, Row, Scratch, div_col, divisors};
use crate::vector::normalize;

/// Largest n for which a trace includes the dense n x n liquid-alpha matrix.
pub(crate) const LIQUID_ALPHA_TRACE_MAX_N: usize = 1024;

/// What the bonds step hands back to the epoch.
pub(crate) struct BondsOutcome {
    /// The bonds rows to store: u16 EMA for uids with a new permit, empty otherwise.
    pub stored: Vec<Vec<(u16, u16)>>,
    /// Dividends, normalised.
    pub dividends: Vec<I32F32>,
    /// Traced only: the EMA as fixed values (classic: after the column max-upscale).
    pub ema: Option<Matrix>,
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

/// Shared inputs of both variants.
pub(crate) struct BondsInput<'a> {
    pub n: usize,
    /// Stored bonds rows (u16).
    pub stored: &'a [Vec<(u16, u16)>],
    /// Columns of uids registered since the last epoch: their bonds are dropped.
    pub recently_registered: &'a [bool],
    pub weights_for_bonds: &'a Matrix,
    /// When set, the weights for bonds are `weights_for_bonds` clipped at these thresholds
    /// (Wb = Wc without building Wc).
    pub clip_at: Option<&'a [I32F32]>,
    pub active_stake: &'a [I32F32],
    pub incentive: &'a [I32F32],
    pub consensus: &'a [I32F32],
    pub bonds_moving_average: u64,
    /// Permits to store: only these uids keep a bonds row.
    pub new_permits: &'a [bool],
    /// Column sums of `weights_for_bonds ∘ active_stake` when already known (the ranks, when
    /// the weights for bonds are the clipped weights).
    pub weighted_col_sums: Option<&'a [I32F32]>,
    pub trace: bool,
}

impl BondsInput<'_> {
    /// Row `i` of the weights for bonds.
    fn wb_row(&self, i: usize) -> MaybeClipped<'_> {
        static EMPTY: Row = Row::new();
        MaybeClipped::new(
            self.weights_for_bonds.get(i).unwrap_or(&EMPTY),
            self.clip_at,
        )
    }

    /// Row `i` of the stored bonds as fixed values (`convert`), masked columns left out.
    fn old_row(
        &self,
        i: usize,
        convert: fn(u16) -> I32F32,
    ) -> impl Iterator<Item = (u16, I32F32)> + '_ {
        self.stored
            .get(i)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter(|(j, _)| {
                !self
                    .recently_registered
                    .get(usize::from(*j))
                    .copied()
                    .unwrap_or(false)
            })
            .map(move |&(j, v)| (j, convert(v)))
    }

    /// Column sums (saturating) of the masked stored bonds.
    fn old_col_sums(&self, convert: fn(u16) -> I32F32) -> Vec<I32F32> {
        let mut sums = vec![ZERO; self.n];
        for i in 0..self.stored.len() {
            for (j, v) in self.old_row(i, convert) {
                if let Some(s) = sums.get_mut(usize::from(j)) {
                    *s = s.saturating_add(v);
                }
            }
        }
        sums
    }

    /// The masked stored bonds as a matrix (trace only).
    fn old_matrix(&self, convert: fn(u16) -> I32F32) -> Matrix {
        (0..self.stored.len())
            .map(|i| self.old_row(i, convert).collect())
            .collect()
    }
}

/// Classic Yuma: `B = colnorm(EMA(colnorm(Wb ∘ A), colnorm(B_old)))`, `D = normalize(B · I)`,
/// stored column max-upscaled.
pub(crate) fn classic(inp: &BondsInput<'_>) -> BondsOutcome {
    let n = inp.n;
    let wb = inp.weights_for_bonds;
    // colnorm(B_old) and colnorm(Wb ∘ A) are applied entry by entry inside the EMA pass.
    let old_div = divisors(&inp.old_col_sums(u16_to_fixed));
    let delta_div = match inp.weighted_col_sums {
        Some(sums) => divisors(sums),
        None => {
            let mut sums = vec![ZERO; n];
            for (i, a) in inp.active_stake.iter().enumerate() {
                for (j, w) in inp.wb_row(i) {
                    if let Some(s) = sums.get_mut(usize::from(j)) {
                        *s = s.saturating_add(mul(w, *a));
                    }
                }
            }
            divisors(&sums)
        }
    };
    let alpha = moving_average_alpha(inp.bonds_moving_average);
    let one_minus_alpha = ONE.saturating_sub(alpha);
    let mut acc = Scratch::new(n);
    let mut ema_sums = vec![ZERO; n];
    let mut raw_max = vec![ZERO; n];
    let ema: Matrix = wb
        .iter()
        .zip(inp.active_stake)
        .enumerate()
        .map(|(i, (row, a))| {
            let old_empty = inp.stored.get(i).is_none_or(Vec::is_empty);
            if row.is_empty() && old_empty {
                return Row::new();
            }
            for (j, w) in inp.wb_row(i) {
                let delta = div_col(&delta_div, j, mul(w, *a));
                acc.add(j, mul(alpha, delta));
            }
            for (j, b) in inp.old_row(i, u16_to_fixed) {
                acc.add(j, mul(one_minus_alpha, div_col(&old_div, j, b)));
            }
            let touched = row
                .len()
                .saturating_add(inp.stored.get(i).map_or(0, Vec::len));
            acc.drain_positive_sized(touched, |j, v| {
                if let Some(s) = ema_sums.get_mut(usize::from(j)) {
                    *s = s.saturating_add(v);
                }
                if let Some(m) = raw_max.get_mut(usize::from(j))
                    && *m < v
                {
                    *m = v;
                }
            })
        })
        .collect();

    // Normalising is monotonic (floor((a << 32) / s) never decreases as a grows), so the column
    // maxima of the normalised EMA are the normalised raw maxima, and one pass does the rest:
    // normalised value, dividends `d_i = sum_j I_j * B_ij` (saturating), upscaled u16 to store.
    let sum_div = divisors(&ema_sums);
    let col_max: Vec<I32F32> = (0..=u16::MAX)
        .zip(&raw_max)
        .map(|(j, m)| div_col(&sum_div, j, *m))
        .collect();
    let max_div = divisors(&col_max);
    let mut dividends = Vec::with_capacity(n);
    let mut stored = Vec::with_capacity(n);
    let mut normalized_rows = Vec::new();
    let mut upscaled_rows = Vec::new();
    for (row, permit) in ema.iter().zip(inp.new_permits) {
        let mut d = ZERO;
        let mut out = Vec::with_capacity(if *permit { row.len() } else { 0 });
        let mut norm_row = Row::new();
        let mut up_row = Row::new();
        for &(j, v) in row {
            let e = div_col(&sum_div, j, v);
            let i_j = inp.incentive.get(usize::from(j)).copied().unwrap_or(ZERO);
            d = d.saturating_add(mul(i_j, e));
            if *permit || inp.trace {
                let up = div_col(&max_div, j, e);
                if *permit {
                    out.push((j, fixed_proportion_to_u16(up)));
                }
                if inp.trace {
                    norm_row.push((j, e));
                    up_row.push((j, up));
                }
            }
        }
        dividends.push(d);
        stored.push(out);
        if inp.trace {
            normalized_rows.push(norm_row);
            upscaled_rows.push(up_row);
        }
    }
    normalize(&mut dividends);
    BondsOutcome {
        stored,
        dividends,
        ema: inp.trace.then_some(upscaled_rows),
        ema_normalized: inp.trace.then_some(normalized_rows),
        liquid_alphas: None,
    }
}

/// `sums[j] += v`, saturating.
#[inline]
fn add_to(sums: &mut [I32F32], j: u16, v: I32F32) {
    if let Some(s) = sums.get_mut(usize::from(j)) {
        *s = s.saturating_add(v);
    }
}

/// Yuma3: bonds are levels in [0, 1] moved toward the weights by alpha (fixed or liquid);
/// `D = normalize(A ∘ (colnorm(B) · I))`.
pub(crate) fn yuma3(inp: &BondsInput<'_>, liquid: Option<&Sigmoid>) -> BondsOutcome {
    let n = inp.n;
    let convert = u16_proportion_to_fixed;
    let liquid = liquid.filter(|_| inp.consensus.iter().any(|c| *c != ZERO));
    // Column sums of the EMA, gathered while it is built.
    let mut ema_sums = vec![ZERO; n];
    let (ema, liquid_alphas) = match liquid {
        Some(sigmoid) => {
            let ema = ema_liquid(inp, sigmoid, &mut ema_sums);
            let alphas = (inp.trace && n <= LIQUID_ALPHA_TRACE_MAX_N).then(|| {
                alpha_matrix(
                    sigmoid,
                    inp.weights_for_bonds,
                    &inp.old_matrix(convert),
                    inp.consensus,
                )
            });
            (ema, alphas)
        }
        None => {
            let alpha = moving_average_alpha(inp.bonds_moving_average);
            let one_minus_alpha = ONE.saturating_sub(alpha);
            let mut acc = Scratch::new(n);
            let ema = inp
                .weights_for_bonds
                .iter()
                .enumerate()
                .map(|(i, row)| {
                    let old_empty = inp.stored.get(i).is_none_or(Vec::is_empty);
                    if row.is_empty() && old_empty {
                        return Row::new();
                    }
                    for (j, w) in inp.wb_row(i) {
                        acc.add(j, mul(alpha, w));
                    }
                    for (j, b) in inp.old_row(i, convert) {
                        acc.add(j, mul(one_minus_alpha, b));
                    }
                    let touched = row
                        .len()
                        .saturating_add(inp.stored.get(i).map_or(0, Vec::len));
                    acc.drain_positive_sized(touched, |j, v| add_to(&mut ema_sums, j, v))
                })
                .collect();
            (ema, None)
        }
    };
    // One pass: dividends from the column-normalised EMA, `d_i = A_i * sum_j I_j * Bn_ij`
    // (the EMA itself is what gets stored), and the u16 rows to store.
    let col_div = divisors(&ema_sums);
    let mut dividends = Vec::with_capacity(n);
    let mut stored = Vec::with_capacity(n);
    for ((row, a), permit) in ema.iter().zip(inp.active_stake).zip(inp.new_permits) {
        let total = row.iter().fold(ZERO, |acc, (j, v)| {
            let i_j = inp.incentive.get(usize::from(*j)).copied().unwrap_or(ZERO);
            acc.wrapping_add(mul(div_col(&col_div, *j, *v), i_j))
        });
        dividends.push(total.checked_mul(*a).unwrap_or_default());
        stored.push(if *permit {
            let mut out = Vec::with_capacity(row.len());
            out.extend(row.iter().map(|(j, v)| (*j, fixed_proportion_to_u16(*v))));
            out
        } else {
            Vec::new()
        });
    }
    normalize(&mut dividends);
    BondsOutcome {
        stored,
        dividends,
        ema: inp.trace.then_some(ema),
        ema_normalized: None,
        liquid_alphas,
    }
}

/// The reference's `mat_ema_alpha_sparse` with alphas computed only where used: for each entry
/// (j, w) of a weights row, `min(1, (1 - a) * b_old + max(0, a * w))`, kept if > 0. A bond
/// whose column has no entry in the weights row is dropped, as in the reference's sparse path.
fn ema_liquid(inp: &BondsInput<'_>, sigmoid: &Sigmoid, ema_sums: &mut [I32F32]) -> Matrix {
    let n = inp.n;
    let convert = u16_proportion_to_fixed;
    let mut w_at = vec![ZERO; n];
    let mut b_at = vec![ZERO; n];
    let mut old_at = vec![ZERO; n];
    let mut memo = AlphaMemo::new();
    inp.weights_for_bonds
        .iter()
        .enumerate()
        .map(|(i, w_row)| {
            if w_row.is_empty() {
                return Row::new();
            }
            // The alpha of column j sees what the reference's row walk finds there.
            walk_row(inp.wb_row(i), &mut w_at);
            walk_row(inp.old_row(i, convert), &mut b_at);
            for (j, v) in inp.old_row(i, convert) {
                if let Some(c) = old_at.get_mut(usize::from(j)) {
                    *c = v;
                }
            }
            let mut out = Row::with_capacity(w_row.len());
            out.extend(inp.wb_row(i).filter_map(|(j, new)| {
                let ju = usize::from(j);
                let a = memo.alpha(
                    sigmoid,
                    inp.consensus.get(ju).copied().unwrap_or(ZERO),
                    w_at.get(ju).copied().unwrap_or(ZERO),
                    b_at.get(ju).copied().unwrap_or(ZERO),
                );
                let decayed = mul(
                    ONE.saturating_sub(a),
                    old_at.get(ju).copied().unwrap_or(ZERO),
                );
                let value = decayed.saturating_add(mul(a, new).max(ZERO)).min(ONE);
                if value > ZERO {
                    add_to(ema_sums, j, value);
                    Some((j, value))
                } else {
                    None
                }
            }));
            for (j, _) in inp.old_row(i, convert) {
                if let Some(c) = old_at.get_mut(usize::from(j)) {
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

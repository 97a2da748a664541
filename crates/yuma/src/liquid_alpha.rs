//! Liquid alpha: a per-bond EMA rate from a sigmoid of how far a weight sits from consensus.
//!
//! The reference builds a dense n x n alpha matrix with one `exp` per entry, but only the
//! entries present in a weights row are ever used, and the bonds step asks for exactly those.
//! [`exp_safe`] is substrate-fixed's Taylor-series `exp` restated on integers (same bits,
//! verified against the original in the tests), with an early exit once the terms reach 0.

use crate::fixed::{I32F32, ONE, ZERO, mul, u16_proportion_to_fixed};
use crate::sparse::Row;

/// 0.5 as `I32F32`.
const HALF: I32F32 = I32F32::from_bits(0x8000_0000);
const EXP_MIN: I32F32 = I32F32::from_bits(-20 * 0x1_0000_0000);
const EXP_MAX: I32F32 = I32F32::from_bits(20 * 0x1_0000_0000);

/// Liquid-alpha hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LiquidAlphaParams {
    /// `LiquidAlphaOn`. Used only by the Yuma3 bonds.
    pub enabled: bool,
    /// Lower bound of alpha, as `alpha_low / 65535`.
    pub alpha_low: u16,
    /// Upper bound of alpha, as `alpha_high / 65535`.
    pub alpha_high: u16,
    /// `AlphaSigmoidSteepness`; the sigmoid uses `steepness / 100`.
    pub steepness: i16,
}

impl Default for LiquidAlphaParams {
    /// The runtime defaults: off, (45875, 58982) ≈ (0.7, 0.9), steepness 1000.
    fn default() -> Self {
        Self {
            enabled: false,
            alpha_low: 45875,
            alpha_high: 58982,
            steepness: 1000,
        }
    }
}

/// The sigmoid with its constants prepared once per epoch.
#[derive(Clone, Copy, Debug)]
pub struct Sigmoid {
    low: I32F32,
    high: I32F32,
    span: I32F32,
    /// `steepness / -100`.
    neg_k: I32F32,
    /// Alpha for a difference of 0, the most common case (a weight at or below consensus and
    /// not below its bond).
    at_zero: I32F32,
}

impl Sigmoid {
    /// Prepares the sigmoid for `params`.
    pub fn new(params: &LiquidAlphaParams) -> Self {
        let low = u16_proportion_to_fixed(params.alpha_low);
        let high = u16_proportion_to_fixed(params.alpha_high);
        let k = I32F32::from_bits(i64::from(params.steepness) << 32);
        let mut sigmoid = Self {
            low,
            high,
            span: high.saturating_sub(low),
            neg_k: k.saturating_div(I32F32::from_bits(-100 << 32)),
            at_zero: ZERO,
        };
        sigmoid.at_zero = sigmoid.alpha_of_diff(ZERO);
        sigmoid
    }

    /// The buy/sell difference that alpha depends on.
    #[inline]
    fn diff(consensus: I32F32, weight: I32F32, bond: I32F32) -> I32F32 {
        if weight >= bond {
            clamp(weight.saturating_sub(consensus), ZERO, ONE)
        } else {
            clamp(bond.saturating_sub(weight), ZERO, ONE)
        }
    }

    /// Alpha for one bond: `clamp(low + sigmoid(d) * (high - low), low, high)` where `d` is how
    /// far the weight is above consensus (buying) or below the bond (selling).
    #[inline]
    pub fn alpha(&self, consensus: I32F32, weight: I32F32, bond: I32F32) -> I32F32 {
        let d = Self::diff(consensus, weight, bond);
        if d == ZERO {
            self.at_zero
        } else {
            self.alpha_of_diff(d)
        }
    }

    #[inline]
    fn alpha_of_diff(&self, d: I32F32) -> I32F32 {
        let e = exp_safe(mul(self.neg_k, d.saturating_sub(HALF)));
        // 1 + e >= 1, so this division never divides by zero.
        let sigmoid = ONE.saturating_div(ONE.saturating_add(e));
        let alpha = self.low.saturating_add(mul(sigmoid, self.span));
        clamp(alpha, self.low, self.high)
    }
}

/// A small direct-mapped memo of alpha by difference, for the repeated differences of real
/// subnets (quantised weights and bonds). Deterministic: it only ever returns what
/// [`Sigmoid::alpha`] would.
pub(crate) struct AlphaMemo {
    slots: Vec<(i64, I32F32)>,
}

impl AlphaMemo {
    const BITS: u32 = 12;

    pub(crate) fn new() -> Self {
        // -1 is never a difference (they lie in [0, 1]), so it marks an empty slot.
        Self {
            slots: vec![(-1, ZERO); 1 << Self::BITS],
        }
    }

    #[inline]
    pub(crate) fn alpha(
        &mut self,
        sigmoid: &Sigmoid,
        consensus: I32F32,
        weight: I32F32,
        bond: I32F32,
    ) -> I32F32 {
        let d = Sigmoid::diff(consensus, weight, bond);
        if d == ZERO {
            return sigmoid.at_zero;
        }
        let key = d.to_bits();
        let hash = u64::from_ne_bytes(key.to_ne_bytes()).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let index = usize::try_from(hash >> (64 - Self::BITS)).unwrap_or(0);
        match self.slots.get_mut(index) {
            Some(slot) if slot.0 == key => slot.1,
            Some(slot) => {
                let a = sigmoid.alpha_of_diff(d);
                *slot = (key, a);
                a
            }
            None => sigmoid.alpha_of_diff(d),
        }
    }
}

/// The reference's `clamp_value`: `min(high)` first, then `max(low)`.
#[inline]
fn clamp(v: I32F32, low: I32F32, high: I32F32) -> I32F32 {
    v.min(high).max(low)
}

/// `exp(clamp(x, -20, 20))` with substrate-fixed's algorithm and truncations.
#[inline]
pub fn exp_safe(x: I32F32) -> I32F32 {
    let x = if x < EXP_MIN {
        EXP_MIN
    } else if EXP_MAX < x {
        EXP_MAX
    } else {
        x
    };
    exp_series(x).unwrap_or_else(|| reference_exp(x))
}

/// substrate-fixed's `exp` itself, with the reference's fallback on error.
fn reference_exp(x: I32F32) -> I32F32 {
    match substrate_fixed::transcendental::exp::<I32F32, I32F32>(x) {
        Ok(v) => v,
        Err(()) if x <= ZERO => ZERO,
        Err(()) => I32F32::max_value(),
    }
}

/// The series `1 + x + x^2/2! + ...` up to the x^31 term, each term truncated as
/// `term = trunc(trunc(term * x) / i)`, then `1 / result` for negative x. `None` means "use the
/// original" (x == 1 takes a constant there; overflow cannot happen for |x| <= 20).
#[inline]
fn exp_series(x: I32F32) -> Option<I32F32> {
    if x == ZERO {
        return Some(ONE);
    }
    if x == ONE {
        return None;
    }
    let negative = x < ZERO;
    let op = x.to_bits().unsigned_abs();
    let mut result = op.checked_add(1 << 32)?;
    let mut term = op;
    // i runs over 2..32 (substrate-fixed loops `for i in 2..frac_nbits`). Constant divisors
    // let the compiler replace the divisions by multiplications.
    macro_rules! step {
        ($i:literal) => {
            term = u64::try_from(u128::from(term).wrapping_mul(u128::from(op)) >> 32)
                .ok()?
                .checked_div($i)?;
            if term == 0 {
                return finish(result, negative);
            }
            result = result.checked_add(term)?;
        };
    }
    step!(2);
    step!(3);
    step!(4);
    step!(5);
    step!(6);
    step!(7);
    step!(8);
    step!(9);
    step!(10);
    step!(11);
    step!(12);
    step!(13);
    step!(14);
    step!(15);
    step!(16);
    step!(17);
    step!(18);
    step!(19);
    step!(20);
    step!(21);
    step!(22);
    step!(23);
    step!(24);
    step!(25);
    step!(26);
    step!(27);
    step!(28);
    step!(29);
    step!(30);
    step!(31);
    finish(result, negative)
}

#[inline]
fn finish(result: u64, negative: bool) -> Option<I32F32> {
    if i64::try_from(result).is_err() {
        return None;
    }
    let value = if negative {
        // 1 / result, truncated: (2^32 << 32) / result.
        (1_u128 << 64).checked_div(u128::from(result))?
    } else {
        u128::from(result)
    };
    i64::try_from(value).ok().map(I32F32::from_bits)
}

/// The reference's dense alpha matrix (`liquid_alpha_matrix_sparse`): one alpha per (i, j) over
/// all n x n pairs, looking weights and bonds up by walking each row in order. Used for the
/// trace only; the epoch computes the entries it needs.
pub fn alpha_matrix(
    sigmoid: &Sigmoid,
    weights: &[Row],
    bonds: &[Row],
    consensus: &[I32F32],
) -> Vec<Vec<I32F32>> {
    let n = consensus.len();
    let mut w_at = vec![ZERO; n];
    let mut b_at = vec![ZERO; n];
    weights
        .iter()
        .zip(bonds)
        .map(|(w_row, b_row)| {
            walk_row(w_row.iter().copied(), &mut w_at);
            walk_row(b_row.iter().copied(), &mut b_at);
            consensus
                .iter()
                .zip(w_at.iter().zip(&b_at))
                .map(|(c, (w, b))| sigmoid.alpha(*c, *w, *b))
                .collect()
        })
        .collect()
}

/// What the reference's peeking merge finds at each column `j` of a row: the entry with uid `j`
/// if the walk reaches it, else 0 (identical to a plain lookup for rows sorted by uid).
pub(crate) fn walk_row(row: impl Iterator<Item = (u16, I32F32)>, out: &mut [I32F32]) {
    let mut pos = row.peekable();
    for (j, cell) in (0..=u16::MAX).zip(out.iter_mut()) {
        *cell = ZERO;
        while let Some(&(i, v)) = pos.peek() {
            if i < j {
                pos.next();
            } else {
                if i == j {
                    *cell = v;
                }
                break;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exp_matches_substrate_fixed_on_a_grid() {
        // Every 2^-12 step over [-21, 21] plus the clamp edges and a few tiny values.
        let mut bits = -21_i64 << 32;
        while bits <= 21 << 32 {
            let x = I32F32::from_bits(bits);
            let clamped = x.max(EXP_MIN).min(EXP_MAX);
            assert_eq!(exp_safe(x), reference_exp(clamped), "x bits {bits}");
            bits += 1 << 20;
        }
        for b in [-1_i64, 1, 2, -2, 1 << 32, -(1 << 32), 20 << 32, -20 << 32] {
            let x = I32F32::from_bits(b);
            assert_eq!(exp_safe(x), reference_exp(x), "x bits {b}");
        }
    }

    proptest! {
        #[test]
        fn exp_matches_substrate_fixed(bits in (-21_i64 << 32)..(21_i64 << 32)) {
            let x = I32F32::from_bits(bits);
            let clamped = x.max(EXP_MIN).min(EXP_MAX);
            prop_assert_eq!(exp_safe(x), reference_exp(clamped));
        }
    }

    #[test]
    fn alpha_bounds() {
        let s = Sigmoid::new(&LiquidAlphaParams {
            enabled: true,
            alpha_low: 6553,
            alpha_high: 19660,
            steepness: 1000,
        });
        let a = s.alpha(ONE, ZERO, ZERO);
        assert!(a >= u16_proportion_to_fixed(6553) && a <= u16_proportion_to_fixed(19660));
        // Matches the vectors: weight == consensus, no bond -> 0.10133094037882984.
        assert_eq!(s.alpha(ONE, ONE, ZERO).to_bits(), 435213075);
    }

    #[test]
    fn walk_row_unsorted() {
        let row = vec![(2, ONE), (1, HALF)];
        let mut out = vec![ZERO; 3];
        walk_row(row.into_iter(), &mut out);
        // uid 1 comes after uid 2 in the row, so the walk never reaches it.
        assert_eq!(out, vec![ZERO, ZERO, ONE]);
    }
}

//! Fixed-point types and the primitive operations of the reference epoch.
//!
//! The types are substrate-fixed 0.6.0's, so every multiplication, division and conversion below
//! truncates exactly like the reference chain. The helpers restate the reference's own helpers
//! (`safe_div`, `fixed_proportion_to_u16`, ...) and add fast paths that give the same bits.

pub use substrate_fixed::types::{I32F32, I64F64, I96F32};

/// 0 as `I32F32`.
pub const ZERO: I32F32 = I32F32::from_bits(0);
/// 1 as `I32F32`.
pub const ONE: I32F32 = I32F32::from_bits(0x1_0000_0000);
/// 65535 (`u16::MAX`) as `I32F32`.
pub const U16_MAX: I32F32 = I32F32::from_bits(0xFFFF_0000_0000);

/// `a / b`, or 0 when `b == 0` or the quotient overflows (the reference's `safe_div`, which is
/// `checked_div(..).unwrap_or_default()`).
#[inline]
pub fn safe_div(a: I32F32, b: I32F32) -> I32F32 {
    // Fast path: 0 <= a < 1 and b > 0, so (a << 32) fits in a u64 and a u64 division gives the
    // same truncated quotient as substrate-fixed's i128 division.
    if let (Ok(a_bits), Ok(b_bits)) = (u32::try_from(a.to_bits()), u64::try_from(b.to_bits())) {
        return match (u64::from(a_bits) << 32).checked_div(b_bits) {
            Some(q) => i64::try_from(q).map_or(ZERO, I32F32::from_bits),
            None => ZERO,
        };
    }
    a.checked_div(b).unwrap_or_default()
}

/// `a.saturating_mul(b)`, bit for bit, without substrate-fixed's overflow-checked i128
/// multiply: the i64 x i64 product is exact in i128, and `(a * b) >> 32` fits in i64 exactly
/// when substrate-fixed's `a * (b << 32)` does not overflow i128.
#[inline]
pub fn mul(a: I32F32, b: I32F32) -> I32F32 {
    let p = i128::from(a.to_bits()).wrapping_mul(i128::from(b.to_bits()));
    match i64::try_from(p >> 32) {
        Ok(bits) => I32F32::from_bits(bits),
        Err(_) if p < 0 => I32F32::min_value(),
        Err(_) => I32F32::max_value(),
    }
}

/// `safe_div` for `I64F64`.
#[inline]
pub fn safe_div_64(a: I64F64, b: I64F64) -> I64F64 {
    a.checked_div(b).unwrap_or_default()
}

/// A divisor reused for many dividends (a row or column sum, a column max): `div(a)` equals
/// `safe_div(a, d)` bit for bit, but replaces most divisions by two multiplications.
///
/// `floor(a * 2^32 / d)` is unchanged when `a` and `d` lose the same power of two, so the
/// divisor is stored with up to 32 trailing zero bits removed; that keeps integer-valued
/// dividends (raw u16 weights, whose sums are integers too) on the fast path.
#[derive(Clone, Copy, Debug)]
pub struct Divisor {
    d: I32F32,
    /// Trailing zero bits removed from the divisor (0..=32).
    shift: u32,
    /// The reduced divisor, when the original is positive; else 0.
    reduced: u64,
    /// floor((2^64 - 1) / reduced) for reduced >= 2, else 0 (no fast path).
    recip: u64,
}

impl Divisor {
    /// Prepares division by `d`.
    #[inline]
    pub fn new(d: I32F32) -> Self {
        let bits = u64::try_from(d.to_bits()).unwrap_or(0);
        let shift = bits.trailing_zeros().min(32);
        let reduced = bits.checked_shr(shift).unwrap_or(0);
        let recip = if reduced >= 2 {
            u64::MAX.checked_div(reduced).unwrap_or(0)
        } else {
            0
        };
        Self {
            d,
            shift,
            reduced,
            recip,
        }
    }

    /// `safe_div(a, d)`.
    #[inline]
    pub fn div(&self, a: I32F32) -> I32F32 {
        if self.recip != 0
            && let Ok(a_bits) = u64::try_from(a.to_bits())
            && a_bits.trailing_zeros() >= self.shift
            && let Ok(a_red) = u32::try_from(a_bits.checked_shr(self.shift).unwrap_or(u64::MAX))
        {
            // numerator x = a_red << 32 < 2^64. recip underestimates 2^64 / d by less than
            // 1 + 1/d, so x * recip / 2^64 > x / d - 1 and q_est = floor(x * recip / 2^64) is
            // q or q - 1; the remainder tells which.
            let x = u64::from(a_red) << 32;
            let prod = u128::from(x).wrapping_mul(u128::from(self.recip));
            let mut q = u64::try_from(prod >> 64).unwrap_or(0);
            let r = x.wrapping_sub(q.wrapping_mul(self.reduced));
            if r >= self.reduced {
                q = q.wrapping_add(1);
            }
            return i64::try_from(q).map_or(ZERO, I32F32::from_bits);
        }
        safe_div(a, self.d)
    }
}

/// Plain left-to-right sum, as the reference's `iter().sum()` (which wraps on overflow in a
/// release runtime; wrapping here keeps that result and cannot panic).
#[inline]
pub fn sum(values: &[I32F32]) -> I32F32 {
    values.iter().fold(ZERO, |acc, x| acc.wrapping_add(*x))
}

/// Sum of `I64F64`, wrapping like [`sum`].
#[inline]
pub fn sum_64(values: &[I64F64]) -> I64F64 {
    values
        .iter()
        .fold(I64F64::from_bits(0), |acc, x| acc.wrapping_add(*x))
}

/// `u16` as the integer `u` (no scaling), like the reference's `u16_to_fixed`.
#[inline]
pub fn u16_to_fixed(u: u16) -> I32F32 {
    I32F32::from_bits(i64::from(u) << 32)
}

/// `u / 65535` (the reference's `u16_proportion_to_fixed`).
#[inline]
pub fn u16_proportion_to_fixed(u: u16) -> I32F32 {
    // (u << 32) / (65535 << 32) == (u << 32) / 65535, which fits a u64 division.
    let q = (u64::from(u) << 32).checked_div(65535).unwrap_or(0);
    i64::try_from(q).map_or(ZERO, I32F32::from_bits)
}

/// `floor(x * 65535)` saturated to `[0, 65535]` (the reference's `fixed_proportion_to_u16`).
#[inline]
pub fn fixed_proportion_to_u16(x: I32F32) -> u16 {
    // floor(x * 65535) as an integer: (bits * 65535) >> 32, clamped to the u16 range.
    let p = i128::from(x.to_bits()).wrapping_mul(65535) >> 32;
    u16::try_from(p.clamp(0, 65535)).unwrap_or(u16::MAX)
}

/// `I64F64 -> I32F32`, truncating the extra fractional bits and saturating.
#[inline]
pub fn fixed64_to_fixed32(x: I64F64) -> I32F32 {
    I32F32::saturating_from_num(x)
}

/// The share of rao a normalised value stands for: `floor(I96F32(x) * I96F32(rao))`.
#[inline]
pub fn rao_share(x: I32F32, rao: u64) -> u64 {
    I96F32::saturating_from_num(x)
        .saturating_mul(I96F32::saturating_from_num(rao))
        .saturating_to_num::<u64>()
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn constants() {
        assert_eq!(ONE, I32F32::from_num(1));
        assert_eq!(U16_MAX, I32F32::from_num(65535));
    }

    #[test]
    fn proportion_round_trip() {
        assert_eq!(fixed_proportion_to_u16(ONE), 65535);
        assert_eq!(fixed_proportion_to_u16(I32F32::from_num(-1)), 0);
        assert_eq!(fixed_proportion_to_u16(I32F32::from_num(2)), 65535);
        assert_eq!(u16_proportion_to_fixed(65535), ONE);
        assert_eq!(u16_to_fixed(7), I32F32::from_num(7));
    }

    fn reference_div(a: I32F32, b: I32F32) -> I32F32 {
        a.checked_div(b).unwrap_or_default()
    }

    proptest! {
        #[test]
        fn safe_div_matches_reference(a in any::<i64>(), b in any::<i64>()) {
            let (a, b) = (I32F32::from_bits(a), I32F32::from_bits(b));
            prop_assert_eq!(safe_div(a, b), reference_div(a, b));
            prop_assert_eq!(Divisor::new(b).div(a), reference_div(a, b));
        }

        #[test]
        fn divisor_matches_reference_small(a in 0_i64..(1 << 33), b in 0_i64..(1 << 34)) {
            let (a, b) = (I32F32::from_bits(a), I32F32::from_bits(b));
            prop_assert_eq!(Divisor::new(b).div(a), reference_div(a, b));
        }

        #[test]
        fn divisor_matches_reference_integers(a in 0_i64..(1 << 20), b in 1_i64..(1 << 30), sa in 0_u32..40, sb in 0_u32..40) {
            let (a, b) = (I32F32::from_bits(a << sa.min(40)), I32F32::from_bits(b << sb.min(32)));
            prop_assert_eq!(Divisor::new(b).div(a), reference_div(a, b));
        }

        #[test]
        fn u16_proportion_matches_reference(u in any::<u16>()) {
            prop_assert_eq!(u16_proportion_to_fixed(u), reference_div(u16_to_fixed(u), U16_MAX));
        }

        #[test]
        fn mul_matches_reference(a in any::<i64>(), b in any::<i64>()) {
            let (a, b) = (I32F32::from_bits(a), I32F32::from_bits(b));
            prop_assert_eq!(mul(a, b), a.saturating_mul(b));
        }

        #[test]
        fn mul_matches_reference_small(a in -(1_i64 << 40)..(1 << 40), b in -(1_i64 << 40)..(1 << 40)) {
            let (a, b) = (I32F32::from_bits(a), I32F32::from_bits(b));
            prop_assert_eq!(mul(a, b), a.saturating_mul(b));
        }

        #[test]
        fn proportion_to_u16_matches_reference(x in any::<i64>()) {
            let x = I32F32::from_bits(x);
            prop_assert_eq!(
                fixed_proportion_to_u16(x),
                x.saturating_mul(U16_MAX).saturating_to_num::<u16>()
            );
        }

    }

    #[test]
    fn divisor_edges() {
        let ds = [
            1_i64,
            2,
            3,
            4294967295,
            4294967296,
            4294967297,
            3 << 32,
            65535 << 32,
            6 << 31,
        ];
        for d in ds.into_iter().chain([i64::MAX, i64::MIN, -(3 << 32)]) {
            let div = Divisor::new(I32F32::from_bits(d));
            let as_ = [
                0_i64,
                1,
                2,
                4294967295,
                4294967294,
                2147483648,
                1 << 40,
                -5,
                7 << 32,
            ];
            for a in as_
                .into_iter()
                .chain([65535 << 32, 1 << 62, i64::MAX, i64::MIN])
            {
                let (fa, fd) = (I32F32::from_bits(a), I32F32::from_bits(d));
                assert_eq!(div.div(fa), reference_div(fa, fd), "a {a} d {d}");
            }
        }
    }
}

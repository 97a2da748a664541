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

/// `safe_div` for `I64F64`.
#[inline]
pub fn safe_div_64(a: I64F64, b: I64F64) -> I64F64 {
    a.checked_div(b).unwrap_or_default()
}

/// A divisor reused for many dividends (a row or column sum, a column max): `div(a)` equals
/// `safe_div(a, d)` bit for bit, but replaces most divisions by two multiplications.
#[derive(Clone, Copy, Debug)]
pub struct Divisor {
    d: I32F32,
    /// `d` as a u64 when it is positive (the fast path needs it), else 0.
    d_u64: u64,
    /// floor((2^64 - 1) / d) for d >= 2, else 0.
    recip: u64,
}

impl Divisor {
    /// Prepares division by `d`.
    #[inline]
    pub fn new(d: I32F32) -> Self {
        let d_u64 = u64::try_from(d.to_bits()).unwrap_or(0);
        let recip = if d_u64 >= 2 {
            u64::MAX.checked_div(d_u64).unwrap_or(0)
        } else {
            0
        };
        Self { d, d_u64, recip }
    }

    /// `safe_div(a, d)`.
    #[inline]
    pub fn div(&self, a: I32F32) -> I32F32 {
        if self.recip != 0
            && let Ok(a_bits) = u32::try_from(a.to_bits())
        {
            // numerator x = a << 32 < 2^64; q_est = floor(x * recip / 2^64) is q or q - 1 or
            // q - 2 (recip underestimates 2^64 / d by less than 1 + 1/d); fix up with the
            // remainder.
            let x = u64::from(a_bits) << 32;
            let prod = u128::from(x).wrapping_mul(u128::from(self.recip));
            let mut q = u64::try_from(prod >> 64).unwrap_or(0);
            let mut r = x.wrapping_sub(q.wrapping_mul(self.d_u64));
            while r >= self.d_u64 {
                q = q.wrapping_add(1);
                r = r.wrapping_sub(self.d_u64);
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
    safe_div(u16_to_fixed(u), U16_MAX)
}

/// `floor(x * 65535)` saturated to `[0, 65535]` (the reference's `fixed_proportion_to_u16`).
#[inline]
pub fn fixed_proportion_to_u16(x: I32F32) -> u16 {
    x.saturating_mul(U16_MAX).saturating_to_num::<u16>()
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

/// `I32F32` raw bits as the exactly equal `f64` (nearest, ties to even, when more than 53
/// significant bits), built from the bits with integer operations only: no float arithmetic.
pub fn fixed_bits_to_f64(bits: i64) -> f64 {
    let negative = bits < 0;
    let mut mag = bits.unsigned_abs();
    if mag == 0 {
        return f64::from_bits(0);
    }
    // value = mag * 2^-32. Normalise mag so its top bit is bit 63.
    let lz = mag.leading_zeros();
    mag <<= lz;
    // value = 1.xxx * 2^(63 - lz - 32)
    let exp_unbiased = 31_i64.wrapping_sub(i64::from(lz));
    // Keep 53 bits (bit 63 is the implicit 1), round the remaining 11 to nearest, ties to even.
    let mut mant = mag >> 11;
    let rest = mag & 0x7FF;
    let half = 0x400;
    if rest > half || (rest == half && (mant & 1) == 1) {
        mant = mant.wrapping_add(1);
    }
    let mut biased = exp_unbiased.wrapping_add(1023);
    if mant >> 53 != 0 {
        // Rounding carried into a new bit.
        mant >>= 1;
        biased = biased.wrapping_add(1);
    }
    let frac = mant & ((1_u64 << 52).wrapping_sub(1));
    let exp_field = u64::try_from(biased).unwrap_or(0);
    let sign = if negative { 1_u64 << 63 } else { 0 };
    f64::from_bits(sign | (exp_field << 52) | frac)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::float_arithmetic)]
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

    #[test]
    fn f64_from_bits_exact() {
        for bits in [
            0_i64,
            1,
            -1,
            3435973836,
            1 << 32,
            i64::MAX,
            i64::MIN,
            123456789012345,
        ] {
            #[allow(clippy::as_conversions, clippy::cast_precision_loss)]
            let want = (bits as f64) / 4294967296.0;
            assert_eq!(fixed_bits_to_f64(bits), want, "bits {bits}");
        }
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
        fn f64_matches_cast(bits in any::<i64>()) {
            #[allow(clippy::as_conversions, clippy::cast_precision_loss)]
            let want = (bits as f64) / 4294967296.0;
            prop_assert_eq!(fixed_bits_to_f64(bits), want);
        }
    }

    #[test]
    fn divisor_edges() {
        for d in [1_i64, 2, 3, 4294967295, 4294967296, 4294967297, i64::MAX] {
            let div = Divisor::new(I32F32::from_bits(d));
            for a in [0_i64, 1, 2, 4294967295, 4294967294, 2147483648, 1 << 40, -5] {
                let (fa, fd) = (I32F32::from_bits(a), I32F32::from_bits(d));
                assert_eq!(div.div(fa), reference_div(fa, fd), "a {a} d {d}");
            }
        }
    }
}

//! Constant-product pool math (the reference's weighted pool at 50/50: x·y = k), exact in u128
//! integers, rounding in the pool's favour. Stable pools (root) trade 1:1 without fees.
//!
//! Prices are TAO per alpha; limit prices are rao per 1 alpha (price × 10^9), as clients pass
//! them. Fees are charged on the input: `fee = amount · fee_rate / 65535`.

use substrate_fixed::types::U64F64;
use types::RAO_PER_TAO;

use crate::error::{ChainError, Result};
use crate::schema::{Mechanism, Pool};

/// The output-side reserve may not fall below this.
pub const MIN_RESERVE: u64 = 1_000_000;
/// A swap's net input may be at most this many times the input-side reserve.
pub const MAX_INPUT_FACTOR: u64 = 1_000;

/// The fee on `amount` at `fee_rate` (u16-normalised), rounded down.
pub fn fee(amount: u64, fee_rate: u16) -> u64 {
    mul_div(amount, u64::from(fee_rate), u64::from(u16::MAX)).unwrap_or(0)
}

/// `a · b / c` rounded down, `None` if `c` is zero or the result overflows u64.
pub fn mul_div(a: u64, b: u64, c: u64) -> Option<u64> {
    let r = u128::from(a)
        .checked_mul(u128::from(b))?
        .checked_div(u128::from(c))?;
    u64::try_from(r).ok()
}

/// Output of swapping `input` into a pool with reserves (`reserve_in`, `reserve_out`):
/// `reserve_out · input / (reserve_in + input)`, rounded down.
pub fn out_given_in(reserve_in: u64, reserve_out: u64, input: u64) -> u64 {
    let den = u128::from(reserve_in).saturating_add(u128::from(input));
    u128::from(reserve_out)
        .checked_mul(u128::from(input))
        .and_then(|n| n.checked_div(den))
        .and_then(|r| u64::try_from(r).ok())
        .unwrap_or(0)
}

/// Spot price in TAO per alpha (1 for stable pools and empty pools).
pub fn spot_price(mechanism: Mechanism, pool: &Pool) -> U64F64 {
    if mechanism == Mechanism::Stable || pool.alpha_in.is_zero() {
        return U64F64::from_num(1u32);
    }
    U64F64::from_num(pool.tao.rao())
        .checked_div(U64F64::from_num(pool.alpha_in.rao()))
        .unwrap_or(U64F64::from_num(0u32))
}

/// Spot price in rao per alpha (rounded down).
pub fn spot_price_rao(mechanism: Mechanism, pool: &Pool) -> u64 {
    if mechanism == Mechanism::Stable || pool.alpha_in.is_zero() {
        return RAO_PER_TAO;
    }
    mul_div(pool.tao.rao(), RAO_PER_TAO, pool.alpha_in.rao()).unwrap_or(u64::MAX)
}

/// A swap's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Swap {
    /// Gross input, including the fee.
    pub amount_in: u64,
    /// Fee charged on the input (in the input token).
    pub fee: u64,
    /// Output paid to the user.
    pub amount_out: u64,
}

/// Quotes buying alpha with `tao` (gross). Fails on the reference's guards.
pub fn quote_buy(mechanism: Mechanism, pool: &Pool, tao: u64, drop_fees: bool) -> Result<Swap> {
    if mechanism == Mechanism::Stable {
        return Ok(Swap {
            amount_in: tao,
            fee: 0,
            amount_out: tao,
        });
    }
    let f = if drop_fees {
        0
    } else {
        fee(tao, pool.fee_rate)
    };
    let net = tao.saturating_sub(f);
    let y = pool.tao.rao();
    let x = pool.alpha_in.rao();
    if net > y.saturating_mul(MAX_INPUT_FACTOR) {
        return Err(ChainError::SwapInputTooLarge);
    }
    let out = out_given_in(y, x, net);
    if x.saturating_sub(out) < MIN_RESERVE.min(x) {
        return Err(ChainError::InsufficientLiquidity);
    }
    Ok(Swap {
        amount_in: tao,
        fee: f,
        amount_out: out,
    })
}

/// Quotes selling `alpha` (gross) for TAO; the fee is in alpha.
pub fn quote_sell(mechanism: Mechanism, pool: &Pool, alpha: u64, drop_fees: bool) -> Result<Swap> {
    if mechanism == Mechanism::Stable {
        return Ok(Swap {
            amount_in: alpha,
            fee: 0,
            amount_out: alpha,
        });
    }
    let f = if drop_fees {
        0
    } else {
        fee(alpha, pool.fee_rate)
    };
    let net = alpha.saturating_sub(f);
    let y = pool.tao.rao();
    let x = pool.alpha_in.rao();
    if net > x.saturating_mul(MAX_INPUT_FACTOR) {
        return Err(ChainError::SwapInputTooLarge);
    }
    let out = out_given_in(x, y, net);
    if y.saturating_sub(out) < MIN_RESERVE.min(y) {
        return Err(ChainError::InsufficientLiquidity);
    }
    Ok(Swap {
        amount_in: alpha,
        fee: f,
        amount_out: out,
    })
}

/// Whether price `y/x` is at most `limit` rao per alpha.
fn price_at_most(y: u128, x: u128, limit: u64) -> bool {
    match (
        y.checked_mul(u128::from(RAO_PER_TAO)),
        x.checked_mul(u128::from(limit)),
    ) {
        (Some(lhs), Some(rhs)) => lhs <= rhs,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The largest gross TAO amount ≤ `max` whose buy leaves the price at or below `limit`.
pub fn max_buy_within_limit(pool: &Pool, max: u64, limit: u64) -> Result<u64> {
    let (y, x) = (u128::from(pool.tao.rao()), u128::from(pool.alpha_in.rao()));
    if !price_at_most(y, x, limit) {
        return Err(ChainError::PriceLimitExceeded);
    }
    let ok = |gross: u64| {
        let net = gross.saturating_sub(fee(gross, pool.fee_rate));
        let out = out_given_in(pool.tao.rao(), pool.alpha_in.rao(), net);
        price_at_most(
            y.saturating_add(u128::from(net)),
            x.saturating_sub(u128::from(out)),
            limit,
        )
    };
    Ok(bisect(max, ok))
}

/// The largest gross alpha amount ≤ `max` whose sale leaves the price at or above `limit`.
pub fn max_sell_within_limit(pool: &Pool, max: u64, limit: u64) -> Result<u64> {
    let (y, x) = (u128::from(pool.tao.rao()), u128::from(pool.alpha_in.rao()));
    let at_least = |y: u128, x: u128| {
        // y/x ≥ limit/1e9  ⇔  y·1e9 ≥ limit·x
        match (
            y.checked_mul(u128::from(RAO_PER_TAO)),
            x.checked_mul(u128::from(limit)),
        ) {
            (Some(l), Some(r)) => l >= r,
            (None, _) => true,
            _ => false,
        }
    };
    if !at_least(y, x) {
        return Err(ChainError::PriceLimitExceeded);
    }
    let ok = |gross: u64| {
        let net = gross.saturating_sub(fee(gross, pool.fee_rate));
        let out = out_given_in(pool.alpha_in.rao(), pool.tao.rao(), net);
        at_least(
            y.saturating_sub(u128::from(out)),
            x.saturating_add(u128::from(net)),
        )
    };
    Ok(bisect(max, ok))
}

/// The largest `v` in `[0, max]` with `ok(v)`, for a monotone (true-then-false) `ok`.
fn bisect(max: u64, ok: impl Fn(u64) -> bool) -> u64 {
    if ok(max) {
        return max;
    }
    let (mut lo, mut hi) = (0u64, max); // ok(lo) holds, ok(hi) fails
    while hi.saturating_sub(lo) > 1 {
        let mid = lo.saturating_add(hi.saturating_sub(lo) / 2);
        if ok(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Executes a buy on `pool`: TAO in, alpha out to the buyer. Returns (alpha out, TAO fee);
/// the fee does not enter the reserve (it goes to the block author).
pub fn buy(mechanism: Mechanism, pool: &mut Pool, tao: u64, drop_fees: bool) -> Result<(u64, u64)> {
    let q = quote_buy(mechanism, pool, tao, drop_fees)?;
    let net = tao.saturating_sub(q.fee);
    pool.tao = pool
        .tao
        .checked_add(types::TaoBalance::from_rao(net))
        .ok_or(ChainError::SwapInputTooLarge)?;
    if mechanism == Mechanism::Dynamic {
        pool.alpha_in = pool
            .alpha_in
            .saturating_sub(types::AlphaBalance::from_rao(q.amount_out));
    }
    pool.alpha_out = pool
        .alpha_out
        .saturating_add(types::AlphaBalance::from_rao(q.amount_out));
    pool.volume = pool.volume.saturating_add(u128::from(tao));
    Ok((q.amount_out, q.fee))
}

/// Executes a sale on `pool`: alpha in, TAO out. The alpha fee is sold too (fee-free) and its
/// TAO returned separately for the block author. Returns (TAO to the seller, TAO fee).
pub fn sell(
    mechanism: Mechanism,
    pool: &mut Pool,
    alpha: u64,
    drop_fees: bool,
) -> Result<(u64, u64)> {
    let q = quote_sell(mechanism, pool, alpha, drop_fees)?;
    let net = alpha.saturating_sub(q.fee);
    let mut fee_tao = 0;
    if mechanism == Mechanism::Dynamic {
        pool.alpha_in = pool
            .alpha_in
            .saturating_add(types::AlphaBalance::from_rao(net));
        pool.tao = pool
            .tao
            .saturating_sub(types::TaoBalance::from_rao(q.amount_out));
        fee_tao = out_given_in(pool.alpha_in.rao(), pool.tao.rao(), q.fee);
        pool.alpha_in = pool
            .alpha_in
            .saturating_add(types::AlphaBalance::from_rao(q.fee));
        pool.tao = pool
            .tao
            .saturating_sub(types::TaoBalance::from_rao(fee_tao));
    } else {
        pool.tao = pool
            .tao
            .checked_sub(types::TaoBalance::from_rao(q.amount_out))
            .ok_or(ChainError::InsufficientLiquidity)?;
    }
    pool.alpha_out = pool
        .alpha_out
        .saturating_sub(types::AlphaBalance::from_rao(alpha));
    pool.volume = pool
        .volume
        .saturating_add(u128::from(q.amount_out.saturating_add(fee_tao)));
    Ok((q.amount_out, fee_tao))
}

/// The largest `v` in `[0, max]` with `ok(v)` for a monotone predicate (true, then false).
pub(crate) fn largest_ok(max: u64, ok: impl Fn(u64) -> bool) -> u64 {
    bisect(max, ok)
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use types::{AlphaBalance, TaoBalance};

    fn pool(tao: u64, alpha: u64) -> Pool {
        Pool {
            tao: TaoBalance::from_rao(tao),
            alpha_in: AlphaBalance::from_rao(alpha),
            fee_rate: 33,
            ..Pool::default()
        }
    }

    const T: u64 = RAO_PER_TAO;

    /// chain.md §10, staking example on SN7: y = 40,000 TAO, x = 1,000,000 α.
    #[test]
    fn worked_example_add_stake_100_tao() {
        let p = pool(40_000 * T, 1_000_000 * T);
        assert_eq!(spot_price_rao(Mechanism::Dynamic, &p), 40_000_000); // 0.04 TAO/α
        let s = quote_buy(Mechanism::Dynamic, &p, 100 * T, false).unwrap();
        // fee = 100·33/65535 = 0.05035 TAO
        assert_eq!(s.fee, 50_354_772);
        // 99.94965 TAO buys ≈ 2,492.51 α
        assert_eq!(s.amount_out, 2_492_512_985_983);
        assert_eq!((s.amount_out + T / 200) / (T / 100), 249_251); // 2,492.51 α
        // new spot ≈ 0.040200
        let after = pool(
            40_000 * T + (s.amount_in - s.fee),
            1_000_000 * T - s.amount_out,
        );
        assert_eq!(spot_price_rao(Mechanism::Dynamic, &after), 40_200_149); // 0.040200
    }

    /// chain.md §10: selling 1,000 α: fee 0.5035 α, ≈ 39.94 TAO out.
    #[test]
    fn worked_example_sell_1000_alpha() {
        let p = pool(40_000 * T, 1_000_000 * T);
        let s = quote_sell(Mechanism::Dynamic, &p, 1_000 * T, false).unwrap();
        assert_eq!(s.fee, 503_547_722);
        assert_eq!(s.amount_out, 39_939_938_264); // 39.94 TAO
    }

    #[test]
    fn stable_pool_is_one_to_one() {
        let p = pool(0, 0);
        let s = quote_buy(Mechanism::Stable, &p, 777, false).unwrap();
        assert_eq!((s.fee, s.amount_out), (0, 777));
        assert_eq!(spot_price_rao(Mechanism::Stable, &p), T);
    }

    #[test]
    fn guards() {
        let p = pool(10 * T, 10 * T);
        assert_eq!(
            quote_buy(Mechanism::Dynamic, &p, 10_100 * T, false),
            Err(ChainError::SwapInputTooLarge)
        );
        let tiny = pool(2_000_000, 2_000_000);
        assert_eq!(
            quote_buy(Mechanism::Dynamic, &tiny, 1_000_000_000, true),
            Err(ChainError::InsufficientLiquidity)
        );
    }

    #[test]
    fn limit_buy_stops_at_the_limit() {
        let p = pool(40_000 * T, 1_000_000 * T);
        // current 0.04; allow up to 0.0402
        let g = max_buy_within_limit(&p, 1_000 * T, 40_200_000).unwrap();
        assert!(g > 90 * T && g < 1_000 * T, "{g}");
        let s = quote_buy(Mechanism::Dynamic, &p, g, false).unwrap();
        let after = pool(40_000 * T + g - s.fee, 1_000_000 * T - s.amount_out);
        assert!(spot_price_rao(Mechanism::Dynamic, &after) <= 40_200_000);
        assert_eq!(
            max_buy_within_limit(&p, 1_000 * T, 39_000_000),
            Err(ChainError::PriceLimitExceeded)
        );
        assert_eq!(max_buy_within_limit(&p, 5 * T, 50_000_000).unwrap(), 5 * T);
    }

    #[test]
    fn limit_sell_stops_at_the_limit() {
        let p = pool(40_000 * T, 1_000_000 * T);
        let g = max_sell_within_limit(&p, 100_000 * T, 39_800_000).unwrap();
        assert!(g > 0 && g < 100_000 * T);
        let s = quote_sell(Mechanism::Dynamic, &p, g, false).unwrap();
        let after = pool(40_000 * T - s.amount_out, 1_000_000 * T + g - s.fee);
        assert!(spot_price_rao(Mechanism::Dynamic, &after) >= 39_799_999);
        assert_eq!(
            max_sell_within_limit(&p, T, 41_000_000),
            Err(ChainError::PriceLimitExceeded)
        );
    }

    proptest! {
        #[test]
        fn k_never_decreases(y in 1_000_000u64..1u64<<50, x in 1_000_000u64..1u64<<50, a in 0u64..1u64<<40) {
            let p = pool(y, x);
            if let Ok(s) = quote_buy(Mechanism::Dynamic, &p, a, false) {
                let k0 = u128::from(y) * u128::from(x);
                let k1 = u128::from(y + a - s.fee) * u128::from(x - s.amount_out);
                prop_assert!(k1 >= k0);
            }
            if let Ok(s) = quote_sell(Mechanism::Dynamic, &p, a, false) {
                let k0 = u128::from(y) * u128::from(x);
                let k1 = u128::from(y - s.amount_out) * u128::from(x + a - s.fee);
                prop_assert!(k1 >= k0);
            }
        }
    }
}

//! A deliberately naive epoch, written step by step from `spec/yuma.md` with substrate-fixed's
//! own operations (`saturating_mul`, `checked_div`, `transcendental::exp`, ...), dense scratch
//! rows and no fast paths. The crate's optimised epoch must agree with it bit for bit.
//! (Conditions are written as the spec's "drop if ...", hence `nonminimal_bool`.)

#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::needless_range_loop,
    clippy::nonminimal_bool,
    clippy::as_conversions,
    clippy::cast_possible_truncation,
    dead_code
)]

use substrate_fixed::types::{I32F32, I64F64, I96F32};
use yuma::{EpochInput, EpochOutput, EpochParams, EpochState};

type F = I32F32;
type Rows = Vec<Vec<(u16, F)>>;

fn zero() -> F {
    F::from_num(0)
}
fn one() -> F {
    F::from_num(1)
}
fn sdiv(a: F, b: F) -> F {
    a.checked_div(b).unwrap_or_default()
}
fn plain_sum(v: impl IntoIterator<Item = F>) -> F {
    v.into_iter().fold(zero(), |a, x| a.wrapping_add(x))
}
fn normalize(v: &mut [F]) {
    let s = plain_sum(v.iter().copied());
    if s != zero() {
        for x in v.iter_mut() {
            *x = sdiv(*x, s);
        }
    }
}
fn to_u16(x: F) -> u16 {
    x.saturating_mul(F::from_num(65535))
        .saturating_to_num::<u16>()
}
fn col_normalize(m: &mut Rows, n: usize) {
    let mut sums = vec![zero(); n];
    for row in m.iter() {
        for (j, v) in row {
            sums[*j as usize] = sums[*j as usize].saturating_add(*v);
        }
    }
    for row in m.iter_mut() {
        for (j, v) in row.iter_mut() {
            if sums[*j as usize] != zero() {
                *v = sdiv(*v, sums[*j as usize]);
            }
        }
    }
}
fn ema_fixed(new: &Rows, old: &Rows, n: usize, alpha: F) -> Rows {
    let oma = one().saturating_sub(alpha);
    (0..new.len())
        .map(|i| {
            let mut acc = vec![zero(); n];
            for (j, v) in &new[i] {
                acc[*j as usize] = acc[*j as usize].saturating_add(alpha.saturating_mul(*v));
            }
            for (j, v) in &old[i] {
                acc[*j as usize] = acc[*j as usize].saturating_add(oma.saturating_mul(*v));
            }
            (0..n)
                .filter(|j| acc[*j] > zero())
                .map(|j| (j as u16, acc[j]))
                .collect()
        })
        .collect()
}

/// The reference's quickselect median, transcribed plainly.
fn median(stake: &[F], score: &[F], minority: F, total: F) -> F {
    let mut idx: Vec<usize> = (0..stake.len()).collect();
    let (mut lo, mut hi) = (zero(), total);
    let limit = idx.len();
    for _ in 0..=limit {
        if idx.is_empty() {
            return zero();
        }
        if idx.len() == 1 {
            return score[idx[0]];
        }
        let pivot = score[idx[idx.len() / 2]];
        let (mut ls, mut hs) = (zero(), zero());
        let (mut lower, mut upper) = (vec![], vec![]);
        for &k in &idx {
            if score[k] == pivot {
                continue;
            }
            if score[k] < pivot {
                ls = ls.saturating_add(stake[k]);
                lower.push(k);
            } else {
                hs = hs.saturating_add(stake[k]);
                upper.push(k);
            }
        }
        if minority < lo.saturating_add(ls) && !lower.is_empty() {
            hi = lo.saturating_add(ls);
            idx = lower;
        } else if hi.saturating_sub(hs) <= minority && !upper.is_empty() {
            lo = hi.saturating_sub(hs);
            idx = upper;
        } else {
            return pivot;
        }
    }
    zero()
}

fn exp_safe(x: F) -> F {
    let x = x.max(F::from_num(-20)).min(F::from_num(20));
    match substrate_fixed::transcendental::exp::<F, F>(x) {
        Ok(v) => v,
        Err(()) if x <= zero() => zero(),
        Err(()) => F::max_value(),
    }
}

fn alpha_sigmoid(c: F, w: F, b: F, low: F, high: F, k: F) -> F {
    let buy = (w.saturating_sub(c)).min(one()).max(zero());
    let sell = (b.saturating_sub(w)).min(one()).max(zero());
    let d = if w >= b { buy } else { sell };
    let half = F::from_bits(1 << 31);
    let x = k
        .saturating_div(F::from_num(-100))
        .saturating_mul(d.saturating_sub(half));
    let sig = one().saturating_div(one().saturating_add(exp_safe(x)));
    let a = low.saturating_add(sig.saturating_mul(high.saturating_sub(low)));
    a.min(high).max(low)
}

/// Dense alpha row by the reference's peeking walk over (possibly unsorted) rows.
fn walk(row: &[(u16, F)], n: usize) -> Vec<F> {
    let mut it = row.iter().peekable();
    (0..n)
        .map(|j| {
            let mut found = zero();
            while let Some(&&(i, v)) = it.peek() {
                if (i as usize) < j {
                    it.next();
                } else {
                    if i as usize == j {
                        found = v;
                    }
                    break;
                }
            }
            found
        })
        .collect()
}

pub fn epoch(p: &EpochParams, inp: &EpochInput, st: &EpochState) -> EpochOutput {
    let n = inp.n as usize;
    let owner = p.owner_uid.map(|o| o as usize);
    let active: Vec<bool> = inp
        .last_update
        .iter()
        .map(|u| !(u.saturating_add(p.activity_cutoff) < inp.current_block))
        .collect();

    // Stake.
    let tw = I64F64::saturating_from_num(
        I96F32::saturating_from_num(p.tao_weight)
            .checked_div(I96F32::saturating_from_num(u64::MAX))
            .unwrap_or_default(),
    );
    let mut total: Vec<I64F64> = (0..n)
        .map(|i| {
            let tao = inp.tao_stake.get(i).copied().unwrap_or(0);
            let s = I64F64::saturating_from_num(inp.alpha_stake[i])
                .saturating_add(I64F64::saturating_from_num(tao).saturating_mul(tw));
            if owner != Some(i) && s.saturating_to_num::<u64>() < p.stake_threshold {
                I64F64::from_num(0)
            } else {
                s
            }
        })
        .collect();
    let s64 = total
        .iter()
        .fold(I64F64::from_num(0), |a, x| a.wrapping_add(*x));
    if s64 != I64F64::from_num(0) {
        for x in total.iter_mut() {
            *x = x.checked_div(s64).unwrap_or_default();
        }
    }
    let stake: Vec<F> = total.iter().map(|x| F::saturating_from_num(*x)).collect();

    // Permits.
    let mut permits = st.validator_permits.clone();
    let k = p.max_allowed_validators as usize;
    let mut new_permits: Vec<bool> = stake.iter().map(|s| *s != zero()).collect();
    if n >= k {
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| stake[i]); // stable
        for &i in order.iter().take(n - k) {
            new_permits[i] = false;
        }
    }
    if let Some(o) = owner {
        permits[o] = true;
        new_permits[o] = true;
    }

    // Active stake.
    let mut a: Vec<F> = (0..n)
        .map(|i| {
            if !active[i] || !permits[i] {
                zero()
            } else {
                stake[i]
            }
        })
        .collect();
    normalize(&mut a);

    // Weights.
    let mut w: Rows = (0..n)
        .map(|i| {
            if !permits[i] {
                return vec![];
            }
            inp.weights[i]
                .iter()
                .filter(|(j, _)| {
                    let j = *j as usize;
                    let commit = inp.commit_blocks.get(i).copied().unwrap_or(u64::MAX);
                    !(i == j && owner != Some(i))
                        && !(inp.last_update[i] <= inp.block_at_registration[j])
                        && !(p.commit_reveal && commit < inp.block_at_registration[j])
                })
                .map(|(j, v)| (*j, F::saturating_from_num(*v)))
                .collect()
        })
        .collect();
    for row in w.iter_mut() {
        let s = plain_sum(row.iter().map(|e| e.1));
        if s > zero() {
            for e in row.iter_mut() {
                e.1 = sdiv(e.1, s);
            }
        }
    }

    // Consensus.
    let kappa = sdiv(F::from_num(p.kappa), F::from_num(65535));
    let mut use_stake: Vec<F> = a.iter().copied().filter(|s| *s > zero()).collect();
    normalize(&mut use_stake);
    let stake_sum = plain_sum(use_stake.iter().copied());
    let minority = stake_sum.saturating_sub(kappa);
    let voters: Vec<usize> = (0..n).filter(|i| a[*i] > zero()).collect();
    let consensus: Vec<F> = (0..n)
        .map(|c| {
            let score: Vec<F> = voters
                .iter()
                .map(|&i| {
                    w[i].iter()
                        .rev()
                        .find(|(j, _)| *j as usize == c)
                        .map_or(zero(), |e| e.1)
                })
                .collect();
            median(&use_stake, &score, minority, stake_sum)
        })
        .collect();

    // Clip, trust, incentive.
    let wc: Rows = w
        .iter()
        .map(|row| {
            row.iter()
                .filter_map(|&(j, v)| {
                    let c = consensus[j as usize];
                    if c < v {
                        (zero() < c).then_some((j, c))
                    } else {
                        Some((j, v))
                    }
                })
                .collect()
        })
        .collect();
    let vtrust: Vec<F> = wc
        .iter()
        .map(|r| plain_sum(r.iter().map(|e| e.1)))
        .collect();
    let mut incentive = vec![zero(); n];
    for i in 0..n {
        for (j, v) in &wc[i] {
            incentive[*j as usize] = incentive[*j as usize].saturating_add(a[i].saturating_mul(*v));
        }
    }
    normalize(&mut incentive);

    // Weights for bonds.
    let beta = sdiv(F::from_num(p.bonds_penalty), F::from_num(65535));
    let wb: Rows = if beta == zero() {
        w.clone()
    } else if beta == one() {
        wc.clone()
    } else {
        (0..n)
            .map(|i| {
                let (mut r1, mut r2) = (vec![zero(); n], vec![zero(); n]);
                for (j, v) in &w[i] {
                    r1[*j as usize] = *v;
                }
                for (j, v) in &wc[i] {
                    r2[*j as usize] = *v;
                }
                (0..n)
                    .filter_map(|j| {
                        let x =
                            r1[j].saturating_add(beta.saturating_mul(r2[j].saturating_sub(r1[j])));
                        (zero() < x).then_some((j as u16, x))
                    })
                    .collect()
            })
            .collect()
    };

    // Bonds.
    let last_tempo = if inp.last_mechanism_step_block == 0 {
        inp.current_block.saturating_sub(p.tempo)
    } else {
        inp.last_mechanism_step_block.saturating_add(1)
    };
    let keep = |j: u16| !(last_tempo <= inp.block_at_registration[j as usize]);
    let bma = I64F64::saturating_from_num(p.bonds_moving_average)
        .checked_div(I64F64::saturating_from_num(1_000_000))
        .unwrap_or_default();
    let alpha = one().saturating_sub(F::saturating_from_num(bma));
    let (ema, mut dividends): (Rows, Vec<F>) = if p.yuma3 {
        let b: Rows = st
            .bonds
            .iter()
            .map(|r| {
                r.iter()
                    .filter(|(j, _)| keep(*j))
                    .map(|(j, v)| (*j, sdiv(F::saturating_from_num(*v), F::from_num(65535))))
                    .collect()
            })
            .collect();
        let liquid = p.liquid_alpha.enabled && consensus.iter().any(|c| *c != zero());
        let ema: Rows = if liquid {
            let low = sdiv(F::from_num(p.liquid_alpha.alpha_low), F::from_num(65535));
            let high = sdiv(F::from_num(p.liquid_alpha.alpha_high), F::from_num(65535));
            let k = F::from_num(p.liquid_alpha.steepness);
            (0..n)
                .map(|i| {
                    let wa = walk(&wb[i], n);
                    let ba = walk(&b[i], n);
                    let alphas: Vec<F> = (0..n)
                        .map(|j| alpha_sigmoid(consensus[j], wa[j], ba[j], low, high, k))
                        .collect();
                    let mut decayed = vec![zero(); n];
                    for (j, v) in &b[i] {
                        decayed[*j as usize] =
                            one().saturating_sub(alphas[*j as usize]).saturating_mul(*v);
                    }
                    wb[i]
                        .iter()
                        .filter_map(|&(j, v)| {
                            let al = alphas[j as usize];
                            let inc = al.saturating_mul(v).max(zero());
                            let x = decayed[j as usize].saturating_add(inc).min(one());
                            (x > zero()).then_some((j, x))
                        })
                        .collect()
                })
                .collect()
        } else {
            ema_fixed(&wb, &b, n, alpha)
        };
        let mut bn = ema.clone();
        col_normalize(&mut bn, n);
        let d: Vec<F> = (0..n)
            .map(|i| {
                let t = plain_sum(bn[i].iter().filter_map(|(j, v)| {
                    let x = v.saturating_mul(incentive[*j as usize]);
                    (x != zero()).then_some(x)
                }));
                t.checked_mul(a[i]).unwrap_or_default()
            })
            .collect();
        (ema, d)
    } else {
        let mut b: Rows = st
            .bonds
            .iter()
            .map(|r| {
                r.iter()
                    .filter(|(j, _)| keep(*j))
                    .map(|(j, v)| (*j, F::saturating_from_num(*v)))
                    .collect()
            })
            .collect();
        col_normalize(&mut b, n);
        let mut delta: Rows = (0..n)
            .map(|i| {
                wb[i]
                    .iter()
                    .map(|(j, v)| (*j, v.saturating_mul(a[i])))
                    .collect()
            })
            .collect();
        col_normalize(&mut delta, n);
        let mut ema = ema_fixed(&delta, &b, n, alpha);
        col_normalize(&mut ema, n);
        let d: Vec<F> = (0..n)
            .map(|i| {
                ema[i].iter().fold(zero(), |acc, (j, v)| {
                    acc.saturating_add(incentive[*j as usize].saturating_mul(*v))
                })
            })
            .collect();
        let mut maxes = vec![zero(); n];
        for row in &ema {
            for (j, v) in row {
                if maxes[*j as usize] < *v {
                    maxes[*j as usize] = *v;
                }
            }
        }
        for row in ema.iter_mut() {
            for (j, v) in row.iter_mut() {
                if maxes[*j as usize] != zero() {
                    *v = sdiv(*v, maxes[*j as usize]);
                }
            }
        }
        (ema, d)
    };
    normalize(&mut dividends);

    // Emission.
    let combined: Vec<F> = (0..n)
        .map(|i| incentive[i].saturating_add(dividends[i]))
        .collect();
    let esum = plain_sum(combined.iter().copied());
    let mut server = incentive.clone();
    let mut validator = dividends.clone();
    let mut comb = combined.clone();
    if esum != zero() {
        for x in server.iter_mut() {
            *x = sdiv(*x, esum);
        }
        for x in validator.iter_mut() {
            *x = sdiv(*x, esum);
        }
    }
    normalize(&mut comb);
    if esum == zero() {
        let fb = if plain_sum(a.iter().copied()) == zero() {
            stake.clone()
        } else {
            a.clone()
        };
        validator = fb.clone();
        comb = fb;
    }
    let rao = I96F32::saturating_from_num(inp.rao_emission);
    let pay = |v: &[F]| -> Vec<u64> {
        v.iter()
            .map(|x| {
                I96F32::saturating_from_num(*x)
                    .saturating_mul(rao)
                    .saturating_to_num::<u64>()
            })
            .collect()
    };
    let bonds: Vec<Vec<(u16, u16)>> = (0..n)
        .map(|i| {
            if new_permits[i] {
                ema[i].iter().map(|(j, v)| (*j, to_u16(*v))).collect()
            } else {
                vec![]
            }
        })
        .collect();
    EpochOutput {
        active,
        stake_weight: stake.iter().map(|x| to_u16(*x)).collect(),
        validator_permits_used: permits,
        new_validator_permits: new_permits,
        consensus: consensus.iter().map(|x| to_u16(*x)).collect(),
        validator_trust: vtrust.iter().map(|x| to_u16(*x)).collect(),
        incentive: incentive.iter().map(|x| to_u16(*x)).collect(),
        dividends: dividends.iter().map(|x| to_u16(*x)).collect(),
        server_emission: pay(&server),
        validator_emission: pay(&validator),
        emission: pay(&comb),
        bonds,
        last_tempo_block: last_tempo,
        fixed: yuma::FixedTerms {
            stake,
            active_stake: a,
            consensus,
            validator_trust: vtrust,
            incentive,
            dividends,
        },
    }
}

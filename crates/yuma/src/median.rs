//! Stake-weighted median (consensus), with the reference's deterministic quickselect.
//!
//! The pivot is the score at the middle position of the current partition, which keeps the
//! original uid order; elements equal to the pivot leave the partition. The comparisons below
//! are the reference's tie rules and must not be "simplified".

use crate::fixed::{I32F32, ZERO, sum};
use crate::sparse::Row;
use crate::vector::normalize;

/// Reusable buffers of `(score, stake)` pairs.
#[derive(Default)]
struct Partitions {
    current: Vec<(I32F32, I32F32)>,
    lower: Vec<(I32F32, I32F32)>,
    upper: Vec<(I32F32, I32F32)>,
}

impl Partitions {
    /// The median of `self.current` (consumed).
    fn median(&mut self, minority: I32F32, mut lo: I32F32, mut hi: I32F32) -> I32F32 {
        let limit = self.current.len();
        let mut iterations: usize = 0;
        loop {
            let len = self.current.len();
            if len == 0 {
                return ZERO;
            }
            if len == 1 {
                return self.current.first().map_or(ZERO, |p| p.0);
            }
            let pivot = self.current.get(len / 2).map_or(ZERO, |p| p.0);
            self.lower.clear();
            self.upper.clear();
            let mut lo_stake = ZERO;
            let mut hi_stake = ZERO;
            for &(score, stake) in &self.current {
                if score == pivot {
                    continue;
                }
                if score < pivot {
                    lo_stake = lo_stake.saturating_add(stake);
                    self.lower.push((score, stake));
                } else {
                    hi_stake = hi_stake.saturating_add(stake);
                    self.upper.push((score, stake));
                }
            }
            if minority < lo.saturating_add(lo_stake) && !self.lower.is_empty() {
                hi = lo.saturating_add(lo_stake);
                std::mem::swap(&mut self.current, &mut self.lower);
            } else if hi.saturating_sub(hi_stake) <= minority && !self.upper.is_empty() {
                lo = hi.saturating_sub(hi_stake);
                std::mem::swap(&mut self.current, &mut self.upper);
            } else {
                return pivot;
            }
            // Each step removes the pivot, so this limit is never reached; it only bounds the loop.
            iterations = iterations.saturating_add(1);
            if iterations > limit {
                return ZERO;
            }
        }
    }
}

/// The reference's `weighted_median(stake, score, partition_idx, minority, lo, hi)`: the score
/// level where the stake above it is about `1 - minority`. Indices out of range count as 0.
pub fn weighted_median(
    stake: &[I32F32],
    score: &[I32F32],
    partition_idx: &[usize],
    minority: I32F32,
    lo: I32F32,
    hi: I32F32,
) -> I32F32 {
    if stake.len() != score.len() {
        return ZERO;
    }
    let mut parts = Partitions {
        current: partition_idx
            .iter()
            .map(|&i| {
                (
                    score.get(i).copied().unwrap_or(ZERO),
                    stake.get(i).copied().unwrap_or(ZERO),
                )
            })
            .collect(),
        ..Partitions::default()
    };
    parts.median(minority, lo, hi)
}

/// The stake-weighted quantile that [`weighted_median`] computes, found by in-place selection:
/// the smallest score `p` with `F(<= p) > minority`, where `F(<= p)` is the stake of scores
/// `<= p`; the largest score if there is none; 0 for no pairs.
///
/// Why this equals the reference's result: stakes are non-negative and sum to at most 1, so every
/// partial stake sum is exact (fixed addition only rounds on overflow). The reference's
/// partition edges `lo + lo_stake` and `hi - hi_stake` are then exactly `F(< pivot)` and
/// `F(<= pivot)`, and its three branches keep exactly the partition that holds that score. The
/// property test `quantile_equals_reference_median` checks it on random inputs with ties.
pub fn weighted_quantile(pairs: &mut [(I32F32, I32F32)], minority: I32F32) -> I32F32 {
    if pairs.is_empty() {
        return ZERO;
    }
    let mut slice = pairs;
    // Stake of the scores known to lie below `slice`.
    let mut below = ZERO;
    // Median-of-three pivots make bad splits unlikely; the budget bounds them anyway, after
    // which the rest is sorted (O(k log k)).
    let bits = usize::BITS.saturating_sub(slice.len().leading_zeros());
    let mut budget = bits.saturating_mul(2).saturating_add(4);
    loop {
        let len = slice.len();
        if len == 1 || budget == 0 {
            return sorted_quantile(slice, below, minority);
        }
        budget = budget.saturating_sub(1);
        let pivot = median_of_three(slice);
        // Three-way partition: [< pivot | == pivot | > pivot].
        let (mut lt, mut i, mut gt) = (0_usize, 0_usize, len);
        let (mut lo_stake, mut eq_stake) = (ZERO, ZERO);
        while i < gt {
            let Some(&(score, stake)) = slice.get(i) else {
                break;
            };
            if score < pivot {
                lo_stake = lo_stake.wrapping_add(stake);
                slice.swap(lt, i);
                lt = lt.saturating_add(1);
                i = i.saturating_add(1);
            } else if score > pivot {
                gt = gt.saturating_sub(1);
                slice.swap(i, gt);
            } else {
                eq_stake = eq_stake.wrapping_add(stake);
                i = i.saturating_add(1);
            }
        }
        let upto_lower = below.wrapping_add(lo_stake);
        let upto_pivot = upto_lower.wrapping_add(eq_stake);
        if minority < upto_lower && lt > 0 {
            slice = std::mem::take(&mut slice).split_at_mut(lt).0;
        } else if minority < upto_pivot || gt == len {
            return pivot;
        } else {
            below = upto_pivot;
            slice = std::mem::take(&mut slice).split_at_mut(gt).1;
        }
    }
}

fn median_of_three(slice: &[(I32F32, I32F32)]) -> I32F32 {
    let score = |i: usize| slice.get(i).map_or(ZERO, |p| p.0);
    let (a, b, c) = (
        score(0),
        score(slice.len() / 2),
        score(slice.len().saturating_sub(1)),
    );
    a.max(b).min(a.min(b).max(c))
}

/// [`weighted_quantile`] by sorting: scan in score order until the stake passes `minority`.
fn sorted_quantile(slice: &mut [(I32F32, I32F32)], below: I32F32, minority: I32F32) -> I32F32 {
    slice.sort_unstable_by_key(|p| p.0);
    let mut cumulative = below;
    for &(score, stake) in slice.iter() {
        cumulative = cumulative.wrapping_add(stake);
        if minority < cumulative {
            return score;
        }
    }
    slice.last().map_or(ZERO, |p| p.0)
}

/// Buckets per column: scores are spread over 65 buckets by their offset from the column
/// minimum, scaled to the column's range.
const BUCKETS: usize = 65;

/// Reusable buffers for [`column_quantile`].
#[derive(Default)]
pub struct QuantileScratch {
    stake: Vec<I32F32>,
    count: Vec<u32>,
    bucket: Vec<(I32F32, I32F32)>,
}

/// [`weighted_quantile`] by bucketing: one pass finds the score range, one sums the stake per
/// bucket (buckets are contiguous score ranges, in score order), which locates the bucket that
/// holds the answer; only that bucket is sorted.
pub fn column_quantile(
    pairs: &mut [(I32F32, I32F32)],
    minority: I32F32,
    scratch: &mut QuantileScratch,
) -> I32F32 {
    let Some(&(first, _)) = pairs.first() else {
        return ZERO;
    };
    let (lo, hi) = pairs
        .iter()
        .fold((first, first), |(lo, hi), (s, _)| (lo.min(*s), hi.max(*s)));
    if lo == hi {
        // One distinct score: it is the answer whatever the stakes.
        return lo;
    }
    let range = i128::from(hi.to_bits()).wrapping_sub(i128::from(lo.to_bits()));
    let width = 128_u32.saturating_sub(range.leading_zeros());
    let shift = width.saturating_sub(6);
    let bucket_of = |s: I32F32| -> usize {
        let offset = i128::from(s.to_bits()).wrapping_sub(i128::from(lo.to_bits()));
        usize::try_from(offset >> shift).unwrap_or(BUCKETS)
    };
    scratch.stake.clear();
    scratch.stake.resize(BUCKETS, ZERO);
    scratch.count.clear();
    scratch.count.resize(BUCKETS, 0);
    for &(score, stake) in pairs.iter() {
        let b = bucket_of(score);
        if let (Some(s), Some(c)) = (scratch.stake.get_mut(b), scratch.count.get_mut(b)) {
            *s = s.wrapping_add(stake);
            *c = c.saturating_add(1);
        }
    }
    // The first non-empty bucket whose cumulative stake passes minority, else the last one.
    let mut below = ZERO;
    let mut chosen: Option<(usize, I32F32)> = None;
    for (b, (s, c)) in scratch.stake.iter().zip(&scratch.count).enumerate() {
        if *c == 0 {
            continue;
        }
        chosen = Some((b, below));
        let upto = below.wrapping_add(*s);
        if minority < upto {
            break;
        }
        below = upto;
    }
    let Some((b, below)) = chosen else {
        return ZERO;
    };
    scratch.bucket.clear();
    scratch.bucket.extend(
        pairs
            .iter()
            .copied()
            .filter(|(score, _)| bucket_of(*score) == b),
    );
    sorted_quantile(&mut scratch.bucket, below, minority)
}

/// Consensus per column: the stake-weighted median of the column's weights over the uids with
/// positive `stake` (rows without an entry count as weight 0), for majority `kappa`.
///
/// The voters' rows are transposed into per-column `(weight, stake)` lists; the voters without
/// an entry in a column form one group of score 0 whose stake is the rest of the total. So a
/// column costs O(its entries), not O(voters). When every voter row is sorted by uid (rows
/// stored by `set_weights` are), the transposition runs block by block of columns in a small
/// buffer that stays in cache.
pub fn weighted_median_col_sparse(
    stake: &[I32F32],
    weights: &[Row],
    n: usize,
    kappa: I32F32,
) -> Vec<I32F32> {
    let mut use_stake: Vec<I32F32> = stake.iter().copied().filter(|s| *s > ZERO).collect();
    normalize(&mut use_stake);
    let stake_sum = sum(&use_stake);
    let column = ColumnMedian {
        minority: stake_sum.saturating_sub(kappa),
        stake_sum,
        voters: use_stake.len(),
    };
    let voter_rows: Vec<&Row> = stake
        .iter()
        .zip(weights)
        .filter(|(s, _)| **s > ZERO)
        .map(|(_, row)| row)
        .collect();
    let sorted = voter_rows
        .iter()
        .all(|row| row.windows(2).all(|w| matches!(w, [a, b] if a.0 < b.0)));
    if sorted {
        blocked_medians(&voter_rows, &use_stake, n, &column)
    } else {
        transposed_medians(&voter_rows, &use_stake, n, &column)
    }
}

/// What every column's median shares.
struct ColumnMedian {
    minority: I32F32,
    stake_sum: I32F32,
    voters: usize,
}

impl ColumnMedian {
    /// The median of one column from its `len` entries, stored at the front of `slots`, which
    /// has one spare slot after them for the zero group.
    fn of(
        &self,
        slots: &mut [(I32F32, I32F32)],
        len: usize,
        scratch: &mut QuantileScratch,
    ) -> I32F32 {
        if len == 0 {
            // Every voter scores 0.
            return ZERO;
        }
        if len < self.voters {
            let with_entry = slots
                .iter()
                .take(len)
                .fold(ZERO, |acc, p| acc.wrapping_add(p.1));
            if let Some(z) = slots.get_mut(len) {
                *z = (ZERO, self.stake_sum.wrapping_sub(with_entry));
            }
            slots
                .get_mut(..=len)
                .map_or(ZERO, |col| column_quantile(col, self.minority, scratch))
        } else {
            slots
                .get_mut(..len)
                .map_or(ZERO, |col| column_quantile(col, self.minority, scratch))
        }
    }
}

/// Sorted rows: walk them block by block of columns with one cursor per voter.
fn blocked_medians(
    voter_rows: &[&Row],
    use_stake: &[I32F32],
    n: usize,
    column: &ColumnMedian,
) -> Vec<I32F32> {
    let stride = column.voters.saturating_add(1);
    // About 256 KiB of slots per block.
    let block = 16_384_usize
        .checked_div(stride)
        .unwrap_or(1)
        .clamp(1, n.max(1));
    let mut slots = vec![(ZERO, ZERO); block.saturating_mul(stride)];
    let mut lens = vec![0_usize; block];
    let mut cursors = vec![0_usize; voter_rows.len()];
    let mut scratch = QuantileScratch::default();
    let mut medians = Vec::with_capacity(n);
    let mut c0 = 0_usize;
    while c0 < n {
        let c1 = c0.saturating_add(block).min(n);
        lens.iter_mut().for_each(|l| *l = 0);
        for ((row, s), pos) in voter_rows.iter().zip(use_stake).zip(cursors.iter_mut()) {
            while let Some(&(j, v)) = row.get(*pos) {
                let j = usize::from(j);
                if j >= c1 {
                    break;
                }
                let local = j.saturating_sub(c0);
                if let Some(len) = lens.get_mut(local) {
                    if let Some(slot) =
                        slots.get_mut(local.saturating_mul(stride).saturating_add(*len))
                    {
                        *slot = (v, *s);
                    }
                    *len = len.saturating_add(1);
                }
                *pos = pos.saturating_add(1);
            }
        }
        for (col_slots, len) in slots
            .chunks_mut(stride)
            .zip(&lens)
            .take(c1.saturating_sub(c0))
        {
            medians.push(column.of(col_slots, *len, &mut scratch));
        }
        c0 = c1;
    }
    medians
}

/// Any rows: a full transposition into per-column slots.
fn transposed_medians(
    voter_rows: &[&Row],
    use_stake: &[I32F32],
    n: usize,
    column: &ColumnMedian,
) -> Vec<I32F32> {
    // Column c owns slots start[c]..start[c + 1]: its entries plus one slot for the zero group.
    let mut col_len = vec![0_usize; n];
    for row in voter_rows {
        for (j, _) in row.iter() {
            if let Some(c) = col_len.get_mut(usize::from(*j)) {
                *c = c.saturating_add(1);
            }
        }
    }
    let mut start = Vec::with_capacity(n);
    let mut total: usize = 0;
    for len in &col_len {
        start.push(total);
        total = total.saturating_add(*len).saturating_add(1);
    }
    let mut slots: Vec<(I32F32, I32F32)> = vec![(ZERO, ZERO); total];
    let mut fill = start;
    for (row, s) in voter_rows.iter().zip(use_stake) {
        for (j, v) in row.iter() {
            if let Some(pos) = fill.get_mut(usize::from(*j)) {
                if let Some(slot) = slots.get_mut(*pos) {
                    *slot = (*v, *s);
                }
                *pos = pos.saturating_add(1);
            }
        }
    }
    let mut scratch = QuantileScratch::default();
    let mut rest = slots.as_mut_slice();
    col_len
        .iter()
        .map(|&len| {
            let all = std::mem::take(&mut rest);
            let (col_slots, tail) = all.split_at_mut(len.saturating_add(1).min(all.len()));
            rest = tail;
            column.of(col_slots, len, &mut scratch)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::as_conversions)]
mod tests {
    use super::*;
    use crate::fixed::ONE;
    use proptest::prelude::*;

    fn f(x: f64) -> I32F32 {
        I32F32::from_num(x)
    }

    #[test]
    fn median_examples() {
        // Equal stakes, kappa 0.5: the highest level that half the stake supports.
        let stake = vec![f(0.25); 4];
        let score = vec![f(0.1), f(0.2), f(0.3), f(0.4)];
        let idx: Vec<usize> = (0..4).collect();
        let m = weighted_median(&stake, &score, &idx, ONE - f(0.5), ZERO, ONE);
        assert_eq!(m, f(0.3));
        // One big holder decides.
        let stake = vec![f(0.8), f(0.1), f(0.1)];
        let score = vec![f(0.9), f(0.1), f(0.2)];
        let idx: Vec<usize> = (0..3).collect();
        let m = weighted_median(&stake, &score, &idx, ONE - f(0.5), ZERO, ONE);
        assert_eq!(m, f(0.9));
        assert_eq!(weighted_median(&[], &[], &[], ZERO, ZERO, ONE), ZERO);
    }

    proptest! {
        #[test]
        fn quantile_equals_reference_median(
            raw in proptest::collection::vec((0_u8..6, 0_u32..1000), 0..40),
            kappa_bits in 0_i64..(3 << 31),
            zero_stake in any::<bool>(),
        ) {
            // Few distinct scores (many ties), stakes normalised like the epoch does.
            let mut stake: Vec<I32F32> = raw
                .iter()
                .map(|(_, s)| I32F32::from_num(if zero_stake && *s < 100 { 0 } else { *s }))
                .collect();
            crate::vector::normalize(&mut stake);
            let score: Vec<I32F32> = raw.iter().map(|(q, _)| I32F32::from_num(*q) / 5).collect();
            let total = sum(&stake);
            let minority = total.saturating_sub(I32F32::from_bits(kappa_bits));
            let idx: Vec<usize> = (0..raw.len()).collect();
            let want = weighted_median(&stake, &score, &idx, minority, ZERO, total);
            let mut pairs: Vec<(I32F32, I32F32)> =
                score.iter().copied().zip(stake.iter().copied()).collect();
            let mut shuffled = pairs.clone();
            shuffled.reverse();
            prop_assert_eq!(weighted_quantile(&mut pairs, minority), want);
            prop_assert_eq!(
                column_quantile(&mut shuffled, minority, &mut QuantileScratch::default()),
                want
            );
        }

        #[test]
        fn bucketed_quantile_equals_reference_median(
            raw in proptest::collection::vec((0_i64..=(1 << 32), 0_u32..1000, any::<bool>()), 0..60),
            kappa_bits in 0_i64..(3 << 31),
        ) {
            // Wide scores in [0, 1], some forced to shared values for ties.
            let score: Vec<I32F32> = raw
                .iter()
                .map(|(b, _, tie)| I32F32::from_bits(if *tie { (b >> 28) << 28 } else { *b }))
                .collect();
            let mut stake: Vec<I32F32> = raw.iter().map(|(_, s, _)| I32F32::from_num(*s)).collect();
            crate::vector::normalize(&mut stake);
            let total = sum(&stake);
            let minority = total.saturating_sub(I32F32::from_bits(kappa_bits));
            let idx: Vec<usize> = (0..raw.len()).collect();
            let want = weighted_median(&stake, &score, &idx, minority, ZERO, total);
            let mut pairs: Vec<(I32F32, I32F32)> =
                score.iter().copied().zip(stake.iter().copied()).collect();
            let mut scratch = QuantileScratch::default();
            prop_assert_eq!(column_quantile(&mut pairs.clone(), minority, &mut scratch), want);
            prop_assert_eq!(weighted_quantile(&mut pairs, minority), want);
        }

        #[test]
        fn column_median_equals_dense_reference(
            rows in proptest::collection::vec(
                (0_u32..100, proptest::collection::vec((0_u16..6, 0_u8..4), 0..6)),
                0..12,
            ),
            kappa in any::<u16>(),
        ) {
            let n = 6;
            let stake: Vec<I32F32> = rows.iter().map(|(s, _)| I32F32::from_num(*s)).collect();
            // One entry per column and row (last wins, as validation guarantees uniqueness).
            let weights: Vec<Row> = rows
                .iter()
                .map(|(_, r)| {
                    let mut m = std::collections::BTreeMap::new();
                    for (j, q) in r {
                        m.insert(*j, I32F32::from_num(*q) / 3);
                    }
                    m.into_iter().collect()
                })
                .collect();
            let kappa = crate::fixed::u16_proportion_to_fixed(kappa);
            let got = weighted_median_col_sparse(&stake, &weights, n, kappa);
            // Dense reference: every voter's score per column, the reference median.
            let mut use_stake: Vec<I32F32> = stake.iter().copied().filter(|s| *s > ZERO).collect();
            crate::vector::normalize(&mut use_stake);
            let total = sum(&use_stake);
            let minority = total.saturating_sub(kappa);
            let idx: Vec<usize> = (0..use_stake.len()).collect();
            for (c, got_c) in got.iter().enumerate() {
                let score: Vec<I32F32> = stake
                    .iter()
                    .zip(&weights)
                    .filter(|(s, _)| **s > ZERO)
                    .map(|(_, row)| {
                        row.iter().find(|(j, _)| usize::from(*j) == c).map_or(ZERO, |e| e.1)
                    })
                    .collect();
                let want = weighted_median(&use_stake, &score, &idx, minority, ZERO, total);
                prop_assert_eq!(*got_c, want, "column {}", c);
            }
        }
    }

    #[test]
    fn blocked_and_transposed_agree() {
        // Many columns and voters so the blocked path uses several blocks.
        let n = 3000;
        let voters = 40;
        let stake: Vec<I32F32> = (0..voters).map(|k| I32F32::from_num(k % 7 + 1)).collect();
        let weights: Vec<Row> = (0..voters)
            .map(|k| {
                (0..n)
                    .filter(|j| (j * 7 + k * 13) % 5 != 0)
                    .map(|j| {
                        (
                            j as u16,
                            I32F32::from_bits(((j * 31 + k * 17) % 1000) as i64 * 4_000_000),
                        )
                    })
                    .collect()
            })
            .collect();
        let kappa = f(0.5);
        let sorted = weighted_median_col_sparse(&stake, &weights, n, kappa);
        let reversed: Vec<Row> = weights
            .iter()
            .map(|r| r.iter().rev().copied().collect())
            .collect();
        let unsorted = weighted_median_col_sparse(&stake, &reversed, n, kappa);
        assert_eq!(sorted, unsorted);
        assert!(sorted.iter().any(|c| *c != ZERO));
    }

    #[test]
    fn column_median_ignores_zero_stake_rows() {
        let stake = vec![f(0.5), ZERO, f(0.5)];
        let w = vec![vec![(1, ONE)], vec![(1, ZERO)], vec![(1, ONE), (0, f(0.5))]];
        let c = weighted_median_col_sparse(&stake, &w, 3, f(0.5));
        // Column 0: half the stake gives 0.5, which is exactly kappa.
        assert_eq!(c, vec![f(0.5), ONE, ZERO]);
    }
}

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

/// Consensus per column: the stake-weighted median of the column's weights over the uids with
/// positive `stake` (rows without an entry count as weight 0), for majority `kappa`.
pub fn weighted_median_col_sparse(
    stake: &[I32F32],
    weights: &[Row],
    n: usize,
    kappa: I32F32,
) -> Vec<I32F32> {
    let mut use_stake: Vec<I32F32> = stake.iter().copied().filter(|s| *s > ZERO).collect();
    normalize(&mut use_stake);
    let stake_sum = sum(&use_stake);
    let minority = stake_sum.saturating_sub(kappa);
    let voters = use_stake.len();

    // Transpose the voters' rows into per-column lists of (voter index, weight), in row order,
    // so each column's score vector is built without an n x voters dense matrix.
    let mut col_len = vec![0_usize; n];
    let voter_rows: Vec<&Row> = stake
        .iter()
        .zip(weights)
        .filter(|(s, _)| **s > ZERO)
        .map(|(_, row)| row)
        .collect();
    for row in &voter_rows {
        for (j, _) in row.iter() {
            if let Some(c) = col_len.get_mut(usize::from(*j)) {
                *c = c.saturating_add(1);
            }
        }
    }
    let mut col_start = Vec::with_capacity(n.saturating_add(1));
    let mut acc: usize = 0;
    col_start.push(0);
    for len in &col_len {
        acc = acc.saturating_add(*len);
        col_start.push(acc);
    }
    let mut entries: Vec<(usize, I32F32)> = vec![(0, ZERO); acc];
    let mut fill = col_start.clone();
    for (k, row) in voter_rows.iter().enumerate() {
        for (j, v) in row.iter() {
            if let Some(pos) = fill.get_mut(usize::from(*j)) {
                if let Some(e) = entries.get_mut(*pos) {
                    *e = (k, *v);
                }
                *pos = pos.saturating_add(1);
            }
        }
    }

    let mut scores = vec![ZERO; voters];
    let mut parts = Partitions::default();
    col_start
        .windows(2)
        .map(|w| {
            let (start, end) = match w {
                [a, b] => (*a, *b),
                _ => (0, 0),
            };
            let col = entries.get(start..end).unwrap_or(&[]);
            if col.is_empty() {
                // Every score is 0, so the median is 0.
                return ZERO;
            }
            for (k, v) in col {
                if let Some(s) = scores.get_mut(*k) {
                    *s = *v;
                }
            }
            parts.current.clear();
            parts
                .current
                .extend(scores.iter().copied().zip(use_stake.iter().copied()));
            for (k, _) in col {
                if let Some(s) = scores.get_mut(*k) {
                    *s = ZERO;
                }
            }
            parts.median(minority, ZERO, stake_sum)
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use crate::fixed::ONE;

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

    #[test]
    fn column_median_ignores_zero_stake_rows() {
        let stake = vec![f(0.5), ZERO, f(0.5)];
        let w = vec![vec![(1, ONE)], vec![(1, ZERO)], vec![(1, ONE), (0, f(0.5))]];
        let c = weighted_median_col_sparse(&stake, &w, 3, f(0.5));
        // Column 0: half the stake gives 0.5, which is exactly kappa.
        assert_eq!(c, vec![f(0.5), ONE, ZERO]);
    }
}

//! Sparse matrices as rows of `(uid, value)`, with the reference's row and column operations.
//!
//! Entry order inside a row is kept as given (the reference keeps it too); operations that
//! densify a row (interpolation, EMA) emit their entries in ascending uid order, as the
//! reference does. Rows that are empty on every input are skipped, which is where most of the
//! speed-up over the reference comes from: only validators have non-empty rows.

use std::borrow::Cow;

use crate::fixed::{Divisor, I32F32, ZERO, mul};

/// One sparse row: `(column uid, value)` pairs.
pub type Row = Vec<(u16, I32F32)>;
/// A sparse matrix: one row per uid.
pub type Matrix = Vec<Row>;

/// Row-normalises in place: each row with a positive sum is divided by that sum.
pub fn row_normalize(m: &mut [Row]) {
    m.iter_mut().for_each(normalize_row);
}

/// Divides one row by its (plain) sum when that sum is positive.
pub fn normalize_row(row: &mut Row) {
    let total = row.iter().fold(ZERO, |acc, (_, v)| acc.wrapping_add(*v));
    if total > ZERO {
        let d = Divisor::new(total);
        row.iter_mut().for_each(|(_, v)| *v = d.div(*v));
    }
}

/// Row sums (plain sums, as the reference's `row_sum_sparse`).
pub fn row_sums(m: &[Row]) -> Vec<I32F32> {
    m.iter()
        .map(|row| row.iter().fold(ZERO, |acc, (_, v)| acc.wrapping_add(*v)))
        .collect()
}

/// Column sums with saturating adds, over `n` columns.
pub fn col_sums(m: &[Row], n: usize) -> Vec<I32F32> {
    let mut sums = vec![ZERO; n];
    for row in m {
        for (j, v) in row {
            if let Some(s) = sums.get_mut(usize::from(*j)) {
                *s = s.saturating_add(*v);
            }
        }
    }
    sums
}

/// Prepared divisors, `None` where the divisor is 0 (entries there stay unchanged).
pub(crate) fn divisors(values: &[I32F32]) -> Vec<Option<Divisor>> {
    values
        .iter()
        .map(|d| (*d != ZERO).then(|| Divisor::new(*d)))
        .collect()
}

/// `v / d_j`, or `v` where the column divisor is 0.
#[inline]
pub(crate) fn div_col(prepared: &[Option<Divisor>], j: u16, v: I32F32) -> I32F32 {
    match prepared.get(usize::from(j)) {
        Some(Some(d)) => d.div(v),
        _ => v,
    }
}

/// Divides each entry by its column's divisor where the divisor is non-zero.
fn divide_cols(m: &mut [Row], divisors_by_col: &[I32F32]) {
    let prepared = divisors(divisors_by_col);
    for row in m.iter_mut() {
        for (j, v) in row.iter_mut() {
            if let Some(Some(d)) = prepared.get(usize::from(*j)) {
                *v = d.div(*v);
            }
        }
    }
}

/// Column-normalises in place (sum_i m_ij = 1 wherever the column sum is non-zero).
pub fn col_normalize(m: &mut [Row], n: usize) {
    let sums = col_sums(m, n);
    divide_cols(m, &sums);
}

/// Column max-upscale in place: divides each entry by its column maximum where it is non-zero.
pub fn col_max_upscale(m: &mut [Row], n: usize) {
    let mut maxes = vec![ZERO; n];
    for row in m.iter() {
        for (j, v) in row {
            if let Some(mx) = maxes.get_mut(usize::from(*j))
                && *mx < *v
            {
                *mx = *v;
            }
        }
    }
    divide_cols(m, &maxes);
}

/// `min(m_ij, c_j)`; an entry above its threshold becomes the threshold, or is dropped when the
/// threshold is 0 (or below).
pub fn col_clip(m: &[Row], thresholds: &[I32F32]) -> Matrix {
    m.iter().map(|row| clip_row(row, thresholds)).collect()
}

/// The entries [`clip_row`] would produce, without building the row.
pub fn clipped_entries<'a>(row: &'a Row, thresholds: &'a [I32F32]) -> MaybeClipped<'a> {
    MaybeClipped {
        entries: row.iter(),
        thresholds: Some(thresholds),
    }
}

/// A row's entries, clipped as by [`clip_row`] when thresholds are given, else as they are.
#[derive(Clone, Debug)]
pub struct MaybeClipped<'a> {
    entries: std::slice::Iter<'a, (u16, I32F32)>,
    thresholds: Option<&'a [I32F32]>,
}

impl<'a> MaybeClipped<'a> {
    /// The entries of `row`, clipped at `thresholds` if any.
    pub fn new(row: &'a Row, thresholds: Option<&'a [I32F32]>) -> Self {
        Self {
            entries: row.iter(),
            thresholds,
        }
    }
}

impl Iterator for MaybeClipped<'_> {
    type Item = (u16, I32F32);

    #[inline]
    fn next(&mut self) -> Option<(u16, I32F32)> {
        loop {
            let &(j, v) = self.entries.next()?;
            let Some(thresholds) = self.thresholds else {
                return Some((j, v));
            };
            let c = thresholds.get(usize::from(j)).copied().unwrap_or(ZERO);
            if c >= v {
                return Some((j, v));
            }
            if ZERO < c {
                return Some((j, c));
            }
            // Above a zero threshold: dropped.
        }
    }
}

/// [`col_clip`] for one row.
pub fn clip_row(row: &Row, thresholds: &[I32F32]) -> Row {
    let mut out = Row::with_capacity(row.len());
    for &(j, v) in row {
        let c = thresholds.get(usize::from(j)).copied().unwrap_or(ZERO);
        if c < v {
            if ZERO < c {
                out.push((j, c));
            }
        } else {
            out.push((j, v));
        }
    }
    out
}

/// `r_j = sum_i v_i * m_ij` (saturating), over `n` columns.
pub fn matmul(m: &[Row], v: &[I32F32], n: usize) -> Vec<I32F32> {
    let mut out = vec![ZERO; n];
    for (row, vi) in m.iter().zip(v) {
        for (j, x) in row {
            if let Some(o) = out.get_mut(usize::from(*j)) {
                *o = o.saturating_add(mul(*vi, *x));
            }
        }
    }
    out
}

/// `r_i = sum_j v_j * m_ij` (saturating).
pub fn matmul_transpose(m: &[Row], v: &[I32F32]) -> Vec<I32F32> {
    m.iter()
        .map(|row| {
            row.iter().fold(ZERO, |acc, (j, x)| {
                let vj = v.get(usize::from(*j)).copied().unwrap_or(ZERO);
                acc.saturating_add(mul(vj, *x))
            })
        })
        .collect()
}

/// `m_ij * v_i` for every entry (zeros kept).
pub fn row_hadamard(m: &[Row], v: &[I32F32]) -> Matrix {
    m.iter()
        .zip(v)
        .map(|(row, vi)| row.iter().map(|(j, x)| (*j, mul(*x, *vi))).collect())
        .collect()
}

/// `sum_j m_ij * v_j`, keeping only non-zero products (the reference's
/// `row_sum_sparse(mat_vec_mul_sparse(m, v))`).
pub fn row_dot(m: &[Row], v: &[I32F32]) -> Vec<I32F32> {
    m.iter()
        .map(|row| {
            row.iter()
                .fold(ZERO, |acc, (j, x)| match v.get(usize::from(*j)) {
                    Some(vj) => acc.wrapping_add(mul(*x, *vj)),
                    None => acc,
                })
        })
        .collect()
}

/// A dense scratch row of `n` values, reused across rows.
pub(crate) struct Scratch {
    values: Vec<I32F32>,
}

impl Scratch {
    pub(crate) fn new(n: usize) -> Self {
        Self {
            values: vec![ZERO; n],
        }
    }

    fn set(&mut self, j: u16, v: I32F32) {
        if let Some(c) = self.values.get_mut(usize::from(j)) {
            *c = v;
        }
    }

    #[inline]
    pub(crate) fn add(&mut self, j: u16, v: I32F32) {
        if let Some(c) = self.values.get_mut(usize::from(j)) {
            *c = c.saturating_add(v);
        }
    }

    /// Emits `(j, value)` for every value > 0 in column order and resets the scratch to 0.
    pub(crate) fn drain_positive(&mut self) -> Row {
        self.drain_positive_with(|_, _| {})
    }

    /// [`Self::drain_positive`], also calling `seen(j, value)` for each emitted entry.
    #[inline]
    pub(crate) fn drain_positive_with(&mut self, seen: impl FnMut(u16, I32F32)) -> Row {
        self.drain_positive_sized(0, seen)
    }

    /// [`Self::drain_positive_with`], reserving room for `expected` entries up front (an upper
    /// bound such as the number of entries added avoids regrowing long rows).
    #[inline]
    pub(crate) fn drain_positive_sized(
        &mut self,
        expected: usize,
        mut seen: impl FnMut(u16, I32F32),
    ) -> Row {
        let mut out = Row::with_capacity(expected.min(self.values.len()));
        for (j, c) in (0..=u16::MAX).zip(self.values.iter_mut()) {
            if *c > ZERO {
                out.push((j, *c));
                seen(j, *c);
            }
            *c = ZERO;
        }
        out
    }
}

/// `a + ratio * (b - a)`, entry by entry over dense rows, keeping entries > 0. Exactly `a` when
/// `ratio == 0` and exactly `b` when `ratio == 1` (then zero entries are kept, and nothing is
/// copied), as the reference's `interpolate_sparse`.
pub fn interpolate<'a>(a: &'a Matrix, b: &'a Matrix, n: usize, ratio: I32F32) -> Cow<'a, Matrix> {
    if ratio == ZERO {
        return Cow::Borrowed(a);
    }
    if ratio == crate::fixed::ONE {
        return Cow::Borrowed(b);
    }
    let mut s1 = Scratch::new(n);
    let mut s2 = Scratch::new(n);
    let out: Matrix = a
        .iter()
        .zip(b)
        .map(|(ra, rb)| {
            if ra.is_empty() && rb.is_empty() {
                return Row::new();
            }
            ra.iter().for_each(|(j, v)| s1.set(*j, *v));
            rb.iter().for_each(|(j, v)| s2.set(*j, *v));
            let mut out = Row::new();
            for ((j, v1), v2) in (0..=u16::MAX)
                .zip(s1.values.iter_mut())
                .zip(s2.values.iter_mut())
            {
                let x = v1.saturating_add(mul(ratio, v2.saturating_sub(*v1)));
                if ZERO < x {
                    out.push((j, x));
                }
                *v1 = ZERO;
                *v2 = ZERO;
            }
            out
        })
        .collect();
    Cow::Owned(out)
}

/// Exponential moving average `alpha * new + (1 - alpha) * old` over dense rows (first all of
/// `alpha * new`, then `(1 - alpha) * old`, saturating), keeping entries > 0 in column order.
pub fn ema(new: &[Row], old: &[Row], n: usize, alpha: I32F32) -> Matrix {
    let one_minus_alpha = crate::fixed::ONE.saturating_sub(alpha);
    let mut acc = Scratch::new(n);
    new.iter()
        .zip(old)
        .map(|(rn, ro)| {
            if rn.is_empty() && ro.is_empty() {
                return Row::new();
            }
            rn.iter().for_each(|(j, v)| acc.add(*j, mul(alpha, *v)));
            ro.iter()
                .for_each(|(j, v)| acc.add(*j, mul(one_minus_alpha, *v)));
            acc.drain_positive()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::ONE;

    fn f(x: f64) -> I32F32 {
        I32F32::from_num(x)
    }

    #[test]
    fn clip_drops_above_zero_threshold() {
        let m = vec![vec![(0, f(0.5)), (1, f(0.5)), (2, ZERO)]];
        let c = vec![f(0.25), ZERO, ZERO];
        assert_eq!(col_clip(&m, &c), vec![vec![(0, f(0.25)), (2, ZERO)]]);
    }

    #[test]
    fn interpolate_endpoints_are_exact() {
        let a = vec![vec![(1, ZERO), (0, ONE)]];
        let b = vec![vec![(0, f(0.5))]];
        assert_eq!(*interpolate(&a, &b, 2, ZERO), a);
        assert_eq!(*interpolate(&a, &b, 2, ONE), b);
        assert_eq!(*interpolate(&a, &b, 2, f(0.5)), vec![vec![(0, f(0.75))]]);
    }

    #[test]
    fn ema_keeps_positive_sorted() {
        let new = vec![vec![(2, ONE)], vec![]];
        let old = vec![vec![(0, ONE)], vec![]];
        let out = ema(&new, &old, 3, f(0.25));
        assert_eq!(out, vec![vec![(0, f(0.75)), (2, f(0.25))], vec![]]);
    }

    #[test]
    fn col_ops() {
        let mut m = vec![vec![(0, f(1.0)), (1, f(0.5))], vec![(0, f(3.0))]];
        col_normalize(&mut m, 2);
        assert_eq!(m, vec![vec![(0, f(0.25)), (1, ONE)], vec![(0, f(0.75))]]);
        col_max_upscale(&mut m, 2);
        assert_eq!(m[0][0].1, safe(f(0.25), f(0.75)));
        assert_eq!(row_sums(&m)[1], ONE);
    }

    fn safe(a: I32F32, b: I32F32) -> I32F32 {
        crate::fixed::safe_div(a, b)
    }
}

//! Dense per-uid vector operations: normalisation, masks, top-k.

use crate::fixed::{Divisor, I32F32, I64F64, ZERO, safe_div_64, sum, sum_64};

/// Divides every element by the sum; leaves the vector unchanged when the sum is 0.
pub fn normalize(values: &mut [I32F32]) {
    let total = sum(values);
    normalize_using_sum(values, total);
}

/// Divides every element by `total`; leaves the vector unchanged when `total` is 0.
pub fn normalize_using_sum(values: &mut [I32F32], total: I32F32) {
    if total == ZERO {
        return;
    }
    let d = Divisor::new(total);
    values.iter_mut().for_each(|v| *v = d.div(*v));
}

/// [`normalize`] for `I64F64`.
pub fn normalize_64(values: &mut [I64F64]) {
    let total = sum_64(values);
    if total == I64F64::from_bits(0) {
        return;
    }
    values.iter_mut().for_each(|v| *v = safe_div_64(*v, total));
}

/// Sets `values[i]` to 0 wherever `mask[i]` is true.
pub fn mask(mask: &[bool], values: &mut [I32F32]) {
    mask.iter()
        .zip(values.iter_mut())
        .filter(|(m, _)| **m)
        .for_each(|(_, v)| *v = ZERO);
}

/// True for the `k` largest non-zero values. Ties are broken like the reference's stable
/// ascending sort: among equal values the lower uid counts as smaller and loses first.
pub fn is_topk_nonzero(values: &[I32F32], k: usize) -> Vec<bool> {
    let n = values.len();
    let mut result: Vec<bool> = values.iter().map(|v| *v != ZERO).collect();
    if n < k {
        return result;
    }
    let mut order: Vec<(I32F32, usize)> = values.iter().copied().zip(0..n).collect();
    // Sorting (value, uid) pairs gives the same order as a stable sort of uids by value.
    order.sort_unstable();
    for (_, uid) in order.iter().take(n.saturating_sub(k)) {
        if let Some(cell) = result.get_mut(*uid) {
            *cell = false;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::ONE;

    fn f(x: f64) -> I32F32 {
        I32F32::from_num(x)
    }

    #[test]
    fn topk_ties_prefer_higher_uid() {
        let v = vec![f(0.5), f(0.5), f(0.0), f(0.25)];
        assert_eq!(is_topk_nonzero(&v, 1), vec![false, true, false, false]);
        assert_eq!(is_topk_nonzero(&v, 2), vec![true, true, false, false]);
        assert_eq!(is_topk_nonzero(&v, 4), vec![true, true, false, true]);
        assert_eq!(is_topk_nonzero(&v, 5), vec![true, true, false, true]);
        assert_eq!(is_topk_nonzero(&v, 0), vec![false; 4]);
    }

    #[test]
    fn normalize_zero_sum_unchanged() {
        let mut v = vec![ZERO, ZERO];
        normalize(&mut v);
        assert_eq!(v, vec![ZERO, ZERO]);
        let mut w = vec![ONE, ONE];
        normalize(&mut w);
        assert_eq!(w, vec![f(0.5), f(0.5)]);
    }
}

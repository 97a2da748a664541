//! Matrix × activation products straight from quantized weights, for [`crate::llama`].
//!
//! The GGUF's matrices stay in their file layout (ggml blocks of 32 weights: Q4_1 = f16 scale
//! `d`, f16 minimum `m`, 16 bytes of nibbles; Q8_0 = f16 `d`, 32 signed bytes). A row of weights
//! times an f32 activation vector is computed without rounding the activations: per block,
//!
//! ```text
//! Q4_1: w_i = d·q_i + m   so   Σ w_i x_i = d·Σ q_i x_i + m·Σ x_i
//! Q8_0: w_i = d·q_i       so   Σ w_i x_i = d·Σ q_i x_i
//! ```
//!
//! with `Σ x_i` of each block computed once per activation vector ([`block_sums`]). This is the
//! exact arithmetic of the dequantized f32 weights, only summed in another order; decoding reads
//! 0.625 bytes per Q4_1 weight instead of 4.
//!
//! # One order of operations, two implementations
//!
//! Every dot product follows one fixed order, the *reference order*:
//!
//! 1. per block, 8 lanes: `p[l] = q[l]·x[l]`, then `p[l] = fma(q[8k+l], x[8k+l], p[l])` for
//!    `k = 1, 2, 3`;
//! 2. `acc[l] = fma(d, p[l], acc[l])` (8 lane accumulators across blocks), and for Q4_1
//!    `macc = fma(m, Σx_block, macc)`;
//! 3. at the end `((acc[0]+acc[4]) + (acc[2]+acc[6])) + ((acc[1]+acc[5]) + (acc[3]+acc[7]))`,
//!    plus `macc` for Q4_1.
//!
//! [`Kernel::Avx2`] (AVX2 + FMA + F16C through `std::arch`, chosen at run time with
//! `is_x86_feature_detected!`) keeps the 8 lanes in one register; [`Kernel::Scalar`] (portable,
//! any CPU) does the same per lane with `f32::mul_add`, which is a single-rounding fused
//! multiply-add everywhere. Since every step is one IEEE operation in the same order, the two
//! give **bit-identical** results (tested), so greedy answers do not depend on which one a
//! machine picks, nor on the thread count (threads split rows, never a dot product), nor on how
//! many tokens are multiplied at once (prefill tiles of up to four tokens reuse each decoded
//! block; the per-token arithmetic is unchanged). The scalar path is slow on x86 CPUs without
//! FMA (there `mul_add` is a library call); it exists for correctness on other CPUs.
//!
//! # Unsafe code
//!
//! This is the only module of the crate with `unsafe`: the AVX2 functions are
//! `#[target_feature]` functions (unsafe to call: the CPU must have the features, which
//! [`Kernel::detect`] checks) and read through raw pointers with unaligned loads. Their bounds
//! rest on invariants checked by safe code before any call: [`QMatrix::new`] checks that the
//! data holds exactly `rows × cols/32` whole blocks, and [`QMatrix::matmul_with`] checks the
//! activation and output lengths. Each `unsafe` block says why it is sound.

#![allow(unsafe_code)]

use rayon::prelude::*;

/// Weights per ggml block.
pub(crate) const BLOCK: usize = 32;
/// Most tokens multiplied per pass over a row (prefill); each decoded block is reused for all.
const TILE: usize = 4;
/// Fewest rows per parallel task: smaller tasks cost more to schedule than they save.
const MIN_ROWS_PER_TASK: usize = 64;

/// A ggml block type the kernels can multiply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockFormat {
    /// f16 `d`, f16 `m`, 16 bytes of 4-bit values: `w = d·q + m`.
    Q4_1,
    /// f16 `d`, 32 signed bytes: `w = d·q`.
    Q8_0,
}

impl BlockFormat {
    /// Bytes per block of 32 weights.
    pub(crate) const fn block_bytes(self) -> usize {
        match self {
            BlockFormat::Q4_1 => 20,
            BlockFormat::Q8_0 => 34,
        }
    }
}

/// Which implementation multiplies (both give bit-identical results).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// Portable Rust, any CPU.
    Scalar,
    /// AVX2 + FMA + F16C intrinsics (x86-64 only, checked at run time).
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl Kernel {
    /// The fastest kernel this CPU supports.
    pub(crate) fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
            && std::arch::is_x86_feature_detected!("f16c")
        {
            return Kernel::Avx2;
        }
        Kernel::Scalar
    }
}

/// A row-major matrix of ggml blocks, `rows × cols`, as laid out in a GGUF file.
///
/// Invariant (checked by [`QMatrix::new`]): `cols` is a positive multiple of 32 and `data` holds
/// exactly `rows · cols/32` blocks.
#[derive(Clone)]
pub(crate) struct QMatrix {
    format: BlockFormat,
    rows: usize,
    cols: usize,
    data: Vec<u8>,
}

impl std::fmt::Debug for QMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QMatrix")
            .field("format", &self.format)
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .finish_non_exhaustive()
    }
}

impl QMatrix {
    /// Wraps `data` (ggml blocks, row after row), checking that its length fits the shape.
    pub(crate) fn new(
        format: BlockFormat,
        rows: usize,
        cols: usize,
        data: Vec<u8>,
    ) -> Result<Self, String> {
        if cols == 0 || !cols.is_multiple_of(BLOCK) {
            return Err(format!(
                "{cols} columns is not a positive multiple of {BLOCK}"
            ));
        }
        let expected = rows
            .checked_mul(cols / BLOCK)
            .and_then(|b| b.checked_mul(format.block_bytes()));
        if expected != Some(data.len()) {
            return Err(format!(
                "{format:?} {rows}x{cols} needs {expected:?} bytes, got {}",
                data.len()
            ));
        }
        Ok(Self {
            format,
            rows,
            cols,
            data,
        })
    }

    /// Stacks matrices of one format and width on top of each other (e.g. Q, K and V).
    pub(crate) fn concat_rows(parts: Vec<QMatrix>) -> Result<Self, String> {
        let mut iter = parts.into_iter();
        let Some(mut first) = iter.next() else {
            return Err("nothing to concatenate".into());
        };
        for m in iter {
            if m.format != first.format || m.cols != first.cols {
                return Err(format!(
                    "cannot stack {:?} {}x{} under {:?} {}x{}",
                    m.format, m.rows, m.cols, first.format, first.rows, first.cols
                ));
            }
            first.rows = first.rows.saturating_add(m.rows);
            first.data.extend_from_slice(&m.data);
        }
        Ok(first)
    }

    /// Output size.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Input size.
    pub(crate) fn cols(&self) -> usize {
        self.cols
    }

    /// Bytes of weights.
    pub(crate) fn bytes(&self) -> usize {
        self.data.len()
    }

    fn row_bytes(&self) -> usize {
        self.cols / BLOCK * self.format.block_bytes()
    }

    /// Row `r` dequantized into `out` (e.g. an embedding lookup); `None` if `r` is out of range
    /// or `out` is not `cols` long. Values are those of candle's dequantization.
    pub(crate) fn dequantize_row(&self, r: usize, out: &mut [f32]) -> Option<()> {
        let rb = self.row_bytes();
        let row = self
            .data
            .get(r.checked_mul(rb)?..r.checked_add(1)?.checked_mul(rb)?)?;
        if out.len() != self.cols {
            return None;
        }
        let bb = self.format.block_bytes();
        for (blk, y) in row.chunks_exact(bb).zip(out.chunks_exact_mut(BLOCK)) {
            let d = f16_to_f32(u16::from_le_bytes([blk[0], blk[1]]));
            match self.format {
                BlockFormat::Q4_1 => {
                    let m = f16_to_f32(u16::from_le_bytes([blk[2], blk[3]]));
                    let (lo, hi) = y.split_at_mut(BLOCK / 2);
                    for ((&q, a), b) in blk[4..20].iter().zip(lo).zip(hi) {
                        *a = f32::from(q & 0x0F) * d + m;
                        *b = f32::from(q >> 4) * d + m;
                    }
                }
                BlockFormat::Q8_0 => {
                    for (&q, a) in blk[2..34].iter().zip(y) {
                        *a = f32::from(q.cast_signed()) * d;
                    }
                }
            }
        }
        Some(())
    }

    /// `out[t·rows + r] = Σ_c W[r][c] · x[t·cols + c]` for `n` tokens with `kernel`. Rows are
    /// split over rayon's threads when there are several; results do not depend on it.
    pub(crate) fn matmul_with(
        &self,
        kernel: Kernel,
        x: &[f32],
        n: usize,
        out: &mut [f32],
    ) -> Result<(), String> {
        if Some(x.len()) != n.checked_mul(self.cols) || Some(out.len()) != n.checked_mul(self.rows)
        {
            return Err(format!(
                "matmul of {}x{} with {} inputs into {} outputs for {n} tokens",
                self.rows,
                self.cols,
                x.len(),
                out.len()
            ));
        }
        if n == 0 || self.rows == 0 {
            return Ok(());
        }
        let sums = match self.format {
            BlockFormat::Q4_1 => block_sums(x),
            BlockFormat::Q8_0 => Vec::new(),
        };
        let acts = Acts {
            x,
            sums: &sums,
            cols: self.cols,
        };
        let threads = rayon::current_num_threads();
        let tasks = (self.rows / MIN_ROWS_PER_TASK).min(threads.saturating_mul(4));
        if threads <= 1 || tasks <= 1 {
            self.rows_into(kernel, &acts, 0, self.rows, n, out);
            return Ok(());
        }
        let chunk = self.rows.div_ceil(tasks);
        if n == 1 {
            out.par_chunks_mut(chunk).enumerate().for_each(|(i, ys)| {
                let r0 = i.saturating_mul(chunk);
                self.rows_into(kernel, &acts, r0, ys.len(), 1, ys);
            });
        } else {
            let parts: Vec<(usize, Vec<f32>)> = (0..self.rows.div_ceil(chunk))
                .into_par_iter()
                .map(|i| {
                    let r0 = i.saturating_mul(chunk);
                    let len = chunk.min(self.rows.saturating_sub(r0));
                    let mut ys = vec![0.0; len.saturating_mul(n)];
                    self.rows_into(kernel, &acts, r0, len, n, &mut ys);
                    (r0, ys)
                })
                .collect();
            for (r0, ys) in parts {
                let len = ys.len() / n;
                for (t, part) in ys.chunks_exact(len).enumerate() {
                    let at = t.saturating_mul(self.rows).saturating_add(r0);
                    if let Some(dst) = out.get_mut(at..at.saturating_add(len)) {
                        dst.copy_from_slice(part);
                    }
                }
            }
        }
        Ok(())
    }

    /// Rows `r0 .. r0+len` for all `n` tokens into `ys[t·len + (r - r0)]`. Token tiles outside,
    /// rows inside: a tile's activations stay in L1 while the weights stream past.
    fn rows_into(
        &self,
        kernel: Kernel,
        acts: &Acts<'_>,
        r0: usize,
        len: usize,
        n: usize,
        ys: &mut [f32],
    ) {
        let rb = self.row_bytes();
        let start = r0.saturating_mul(rb);
        let Some(rows) = self
            .data
            .get(start..start.saturating_add(len.saturating_mul(rb)))
        else {
            return;
        };
        let mut t0 = 0;
        while t0 < n {
            let tile = TILE.min(n - t0);
            let done = match tile {
                1 => self.tile::<1>(kernel, rows, acts, t0, len, ys),
                2 => self.tile::<2>(kernel, rows, acts, t0, len, ys),
                3 => self.tile::<3>(kernel, rows, acts, t0, len, ys),
                _ => self.tile::<4>(kernel, rows, acts, t0, len, ys),
            };
            if done.is_none() {
                return;
            }
            t0 += tile;
        }
    }

    /// `rows` (whole rows of this matrix) times tokens `t0 .. t0+T`, into
    /// `ys[(t0+t)·len + i]` for row `i`. `None` if the activations are too short (never, after
    /// the checks in `matmul_with`).
    #[inline(always)]
    fn tile<const T: usize>(
        &self,
        kernel: Kernel,
        rows: &[u8],
        acts: &Acts<'_>,
        t0: usize,
        len: usize,
        ys: &mut [f32],
    ) -> Option<()> {
        let nb = self.cols / BLOCK;
        let rb = nb.checked_mul(self.format.block_bytes())?;
        let mut xs: [&[f32]; T] = [&[]; T];
        let mut sums: [&[f32]; T] = [&[]; T];
        for (t, (x, s)) in xs.iter_mut().zip(sums.iter_mut()).enumerate() {
            let tok = t0.checked_add(t)?;
            *x = acts
                .x
                .get(tok.checked_mul(acts.cols)?..(tok + 1).checked_mul(acts.cols)?)?;
            if self.format == BlockFormat::Q4_1 {
                *s = acts
                    .sums
                    .get(tok.checked_mul(nb)?..(tok + 1).checked_mul(nb)?)?;
            }
        }
        for (i, row) in rows.chunks_exact(rb).enumerate() {
            let dots: [f32; T] = match (kernel, self.format) {
                (Kernel::Scalar, BlockFormat::Q4_1) => scalar::q4_1(row, &xs, &sums),
                (Kernel::Scalar, BlockFormat::Q8_0) => scalar::q8_0(row, &xs),
                // SAFETY: `Kernel::Avx2` is only produced by `Kernel::detect` after checking
                // AVX2, FMA and F16C. Lengths: `row` is exactly `nb` blocks (`chunks_exact`),
                // every `xs[t]` is `cols = 32·nb` floats and every `sums[t]` `nb` (sliced
                // above), which is all the functions read.
                #[cfg(target_arch = "x86_64")]
                (Kernel::Avx2, BlockFormat::Q4_1) => unsafe { avx2::q4_1(row, &xs, &sums) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                (Kernel::Avx2, BlockFormat::Q8_0) => unsafe { avx2::q8_0(row, &xs) },
            };
            for (t, v) in dots.into_iter().enumerate() {
                let at = (t0 + t).checked_mul(len)?.checked_add(i)?;
                *ys.get_mut(at)? = v;
            }
        }
        Some(())
    }
}

/// Activations of `n` tokens (`cols` each) and their per-block sums.
struct Acts<'a> {
    x: &'a [f32],
    sums: &'a [f32],
    cols: usize,
}

/// `Σ x_i` over each block of 32 (left to right), for every block of every token.
pub(crate) fn block_sums(x: &[f32]) -> Vec<f32> {
    x.chunks_exact(BLOCK)
        .map(|b| b.iter().fold(0.0f32, |s, &v| s + v))
        .collect()
}

/// IEEE half to single precision (exact; what F16C's `vcvtph2ps` does).
pub(crate) fn f16_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1F);
    let man = u32::from(h & 0x03FF);
    let bits = match exp {
        0 if man == 0 => sign,
        0 => {
            // Subnormal: man · 2^-24, renormalised.
            let shift = man.leading_zeros() - 21; // brings the top set bit to bit 10
            let man = (man << shift) & 0x03FF;
            sign | ((113 - shift) << 23) | (man << 13)
        }
        0x1F => sign | 0x7F80_0000 | (man << 13),
        _ => sign | ((exp + 112) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

/// The final horizontal sum of the reference order.
#[inline(always)]
fn hsum(a: [f32; 8]) -> f32 {
    let s4 = [a[0] + a[4], a[1] + a[5], a[2] + a[6], a[3] + a[7]];
    let s2 = [s4[0] + s4[2], s4[1] + s4[3]];
    s2[0] + s2[1]
}

/// The portable kernels: the reference order spelled out lane by lane.
mod scalar {
    use super::{BLOCK, f16_to_f32, hsum};

    /// One block's 8 lane partial sums `p` for the values `q` and activations `x`.
    #[inline(always)]
    fn block_dot(q: &[f32; BLOCK], x: &[f32]) -> [f32; 8] {
        let mut p = [0.0f32; 8];
        for (l, p) in p.iter_mut().enumerate() {
            *p = q[l] * x[l];
            for k in 1..4 {
                *p = q[8 * k + l].mul_add(x[8 * k + l], *p);
            }
        }
        p
    }

    pub(super) fn q4_1<const T: usize>(
        row: &[u8],
        xs: &[&[f32]; T],
        sums: &[&[f32]; T],
    ) -> [f32; T] {
        let mut acc = [[0.0f32; 8]; T];
        let mut macc = [0.0f32; T];
        for (b, blk) in row.chunks_exact(20).enumerate() {
            let d = f16_to_f32(u16::from_le_bytes([blk[0], blk[1]]));
            let m = f16_to_f32(u16::from_le_bytes([blk[2], blk[3]]));
            let mut q = [0.0f32; BLOCK];
            for (j, &byte) in blk[4..20].iter().enumerate() {
                q[j] = f32::from(byte & 0x0F);
                q[j + 16] = f32::from(byte >> 4);
            }
            for t in 0..T {
                let x = &xs[t][b * BLOCK..(b + 1) * BLOCK];
                let p = block_dot(&q, x);
                for (a, p) in acc[t].iter_mut().zip(p) {
                    *a = d.mul_add(p, *a);
                }
                macc[t] = m.mul_add(sums[t][b], macc[t]);
            }
        }
        std::array::from_fn(|t| hsum(acc[t]) + macc[t])
    }

    pub(super) fn q8_0<const T: usize>(row: &[u8], xs: &[&[f32]; T]) -> [f32; T] {
        let mut acc = [[0.0f32; 8]; T];
        for (b, blk) in row.chunks_exact(34).enumerate() {
            let d = f16_to_f32(u16::from_le_bytes([blk[0], blk[1]]));
            let mut q = [0.0f32; BLOCK];
            for (q, &byte) in q.iter_mut().zip(&blk[2..34]) {
                *q = f32::from(byte.cast_signed());
            }
            for t in 0..T {
                let x = &xs[t][b * BLOCK..(b + 1) * BLOCK];
                let p = block_dot(&q, x);
                for (a, p) in acc[t].iter_mut().zip(p) {
                    *a = d.mul_add(p, *a);
                }
            }
        }
        std::array::from_fn(|t| hsum(acc[t]))
    }
}

/// The AVX2 + FMA + F16C kernels: the reference order with the 8 lanes in one register.
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use super::BLOCK;

    /// The reference order's final sum of the 8 lanes of `acc`.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    fn hsum(acc: __m256) -> f32 {
        let lo = _mm256_castps256_ps128(acc);
        let hi = _mm256_extractf128_ps::<1>(acc);
        let s4 = _mm_add_ps(lo, hi); // [a0+a4, a1+a5, a2+a6, a3+a7]
        let s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4)); // [s0+s2, s1+s3, ..]
        let s1 = _mm_add_ss(s2, _mm_movehdup_ps(s2)); // s2[0] + s2[1]
        _mm_cvtss_f32(s1)
    }

    /// `p = q0·x[0..8]`, then `p = fma(qk, x[8k..8k+8], p)` for k = 1..3.
    ///
    /// # Safety
    /// `x` must point to 32 readable `f32`s.
    #[inline]
    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn block_dot(q: [__m256; 4], x: *const f32) -> __m256 {
        // SAFETY: the caller guarantees 32 readable floats at `x`; loads are unaligned.
        unsafe {
            let mut p = _mm256_mul_ps(q[0], _mm256_loadu_ps(x));
            p = _mm256_fmadd_ps(q[1], _mm256_loadu_ps(x.add(8)), p);
            p = _mm256_fmadd_ps(q[2], _mm256_loadu_ps(x.add(16)), p);
            _mm256_fmadd_ps(q[3], _mm256_loadu_ps(x.add(24)), p)
        }
    }

    /// One Q4_1 row (`row.len() / 20` blocks) times `T` activation vectors.
    ///
    /// # Safety
    /// The CPU must support AVX2, FMA and F16C. With `nb = row.len() / 20`, every `xs[t]` must
    /// hold at least `32·nb` floats and every `sums[t]` at least `nb`.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn q4_1<const T: usize>(
        row: &[u8],
        xs: &[&[f32]; T],
        sums: &[&[f32]; T],
    ) -> [f32; T] {
        let nb = row.len() / 20;
        let low = _mm_set1_epi8(0x0F);
        let mut acc = [_mm256_setzero_ps(); T];
        let mut macc = [_mm_setzero_ps(); T];
        let base = row.as_ptr();
        for b in 0..nb {
            // SAFETY: b < nb, so the 20 bytes at b·20 are inside `row`; loads are unaligned.
            let (dm, qs) = unsafe {
                let blk = base.add(b * 20);
                (
                    blk.cast::<i32>().read_unaligned(),
                    _mm_loadu_si128(blk.add(4).cast()),
                )
            };
            // d and m as f32 in lanes 0 and 1 (exact conversion).
            let dm = _mm_cvtph_ps(_mm_cvtsi32_si128(dm));
            let d = _mm256_broadcastss_ps(dm);
            let m = _mm_movehdup_ps(dm);
            // Weights 0..16 are the low nibbles, 16..32 the high ones.
            let lo = _mm_and_si128(qs, low);
            let hi = _mm_and_si128(_mm_srli_epi16::<4>(qs), low);
            let q = [
                _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo)),
                _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128::<8>(lo))),
                _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi)),
                _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128::<8>(hi))),
            ];
            for t in 0..T {
                // SAFETY: xs[t] holds at least 32·nb floats and sums[t] at least nb (caller),
                // and b < nb.
                let (p, s) = unsafe {
                    (
                        block_dot(q, xs[t].as_ptr().add(b * BLOCK)),
                        _mm_load_ss(sums[t].as_ptr().add(b)),
                    )
                };
                acc[t] = _mm256_fmadd_ps(d, p, acc[t]);
                macc[t] = _mm_fmadd_ss(m, s, macc[t]);
            }
        }
        std::array::from_fn(|t| hsum(acc[t]) + _mm_cvtss_f32(macc[t]))
    }

    /// One Q8_0 row (`row.len() / 34` blocks) times `T` activation vectors.
    ///
    /// # Safety
    /// The CPU must support AVX2, FMA and F16C; every `xs[t]` must hold at least
    /// `32 · row.len() / 34` floats.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub(super) unsafe fn q8_0<const T: usize>(row: &[u8], xs: &[&[f32]; T]) -> [f32; T] {
        let nb = row.len() / 34;
        let mut acc = [_mm256_setzero_ps(); T];
        let base = row.as_ptr();
        for b in 0..nb {
            // SAFETY: b < nb, so the 34 bytes at b·34 are inside `row`; loads are unaligned.
            let (d, v0, v1) = unsafe {
                let blk = base.add(b * 34);
                (
                    blk.cast::<u16>().read_unaligned(),
                    _mm_loadu_si128(blk.add(2).cast()),
                    _mm_loadu_si128(blk.add(18).cast()),
                )
            };
            let d = _mm256_broadcastss_ps(_mm_cvtph_ps(_mm_cvtsi32_si128(i32::from(d))));
            let q = [
                _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v0)),
                _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128::<8>(v0))),
                _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v1)),
                _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128::<8>(v1))),
            ];
            for t in 0..T {
                // SAFETY: xs[t] holds at least 32·nb floats (caller) and b < nb.
                let p = unsafe { block_dot(q, xs[t].as_ptr().add(b * BLOCK)) };
                acc[t] = _mm256_fmadd_ps(d, p, acc[t]);
            }
        }
        std::array::from_fn(|t| hsum(acc[t]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::quantized::{GgmlDType, QTensor};
    use candle_core::{Device, Tensor};
    use rand::rngs::StdRng;
    use rand::{Rng as _, SeedableRng as _};

    /// `n` values uniform in ±`scale`.
    fn random_vec(rng: &mut StdRng, n: usize, scale: f32) -> Vec<f32> {
        (0..n)
            .map(|_| rng.gen_range(-1.0f32..1.0) * scale)
            .collect()
    }

    /// Quantizes random weights with candle and returns our matrix and candle's dequantized f32.
    fn random_matrix(
        rng: &mut StdRng,
        format: BlockFormat,
        rows: usize,
        cols: usize,
    ) -> (QMatrix, Vec<f32>) {
        let w = random_vec(rng, rows * cols, 0.5);
        let t = Tensor::from_vec(w, (rows, cols), &Device::Cpu).unwrap();
        let dtype = match format {
            BlockFormat::Q4_1 => GgmlDType::Q4_1,
            BlockFormat::Q8_0 => GgmlDType::Q8_0,
        };
        let q = QTensor::quantize(&t, dtype).unwrap();
        let deq: Vec<f32> = q
            .dequantize(&Device::Cpu)
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1()
            .unwrap();
        let m = QMatrix::new(format, rows, cols, q.data().unwrap().into_owned()).unwrap();
        (m, deq)
    }

    fn kernels() -> Vec<Kernel> {
        let mut k = vec![Kernel::Scalar];
        if Kernel::detect() != Kernel::Scalar {
            k.push(Kernel::detect());
        }
        k
    }

    #[test]
    fn f16_conversion_is_exact_for_every_value() {
        let bits: Vec<u16> = (0..=u16::MAX).collect();
        let bytes: Vec<u8> = bits.iter().flat_map(|b| b.to_le_bytes()).collect();
        let t =
            Tensor::from_raw_buffer(&bytes, candle_core::DType::F16, &[bits.len()], &Device::Cpu)
                .unwrap()
                .to_dtype(candle_core::DType::F32)
                .unwrap();
        let reference: Vec<f32> = t.to_vec1().unwrap();
        for (&h, &r) in bits.iter().zip(&reference) {
            let ours = f16_to_f32(h);
            if r.is_nan() {
                assert!(ours.is_nan(), "{h:#06x}");
            } else {
                assert_eq!(ours.to_bits(), r.to_bits(), "{h:#06x}: {ours} vs {r}");
            }
        }
    }

    #[test]
    fn matches_the_dequantized_f32_product() {
        let mut rng = StdRng::seed_from_u64(0x9E37_79B9_7F4A_7C15);
        for format in [BlockFormat::Q4_1, BlockFormat::Q8_0] {
            let (rows, cols, n) = (37, 96, 6);
            let (m, deq) = random_matrix(&mut rng, format, rows, cols);
            let x = random_vec(&mut rng, n * cols, 2.0);
            for kernel in kernels() {
                let mut out = vec![0.0; n * rows];
                m.matmul_with(kernel, &x, n, &mut out).unwrap();
                for t in 0..n {
                    for r in 0..rows {
                        let exact: f64 = (0..cols)
                            .map(|c| f64::from(deq[r * cols + c]) * f64::from(x[t * cols + c]))
                            .sum();
                        let abs: f64 = (0..cols)
                            .map(|c| {
                                (f64::from(deq[r * cols + c]) * f64::from(x[t * cols + c])).abs()
                            })
                            .sum();
                        let got = f64::from(out[t * rows + r]);
                        assert!(
                            (got - exact).abs() <= 1e-5 * abs.max(1e-3),
                            "{format:?} {kernel:?} t={t} r={r}: {got} vs {exact}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn simd_equals_scalar_bit_for_bit() {
        let kernel = Kernel::detect();
        if kernel == Kernel::Scalar {
            eprintln!("SKIPPED: this CPU has no AVX2/FMA/F16C; only the scalar kernel runs");
            return;
        }
        let mut rng = StdRng::seed_from_u64(42);
        for format in [BlockFormat::Q4_1, BlockFormat::Q8_0] {
            for (rows, cols, n) in [(1, 32, 1), (64, 576, 1), (13, 1536, 7), (200, 64, 5)] {
                let (m, _) = random_matrix(&mut rng, format, rows, cols);
                // Activations of very different magnitudes, as after a residual stream.
                let mut x = random_vec(&mut rng, n * cols, 1.0);
                for (i, v) in x.iter_mut().enumerate() {
                    *v *= [1e-3, 1.0, 30.0][i % 3];
                }
                let mut a = vec![0.0; n * rows];
                let mut b = vec![0.0; n * rows];
                m.matmul_with(Kernel::Scalar, &x, n, &mut a).unwrap();
                m.matmul_with(kernel, &x, n, &mut b).unwrap();
                let a: Vec<u32> = a.iter().map(|v| v.to_bits()).collect();
                let b: Vec<u32> = b.iter().map(|v| v.to_bits()).collect();
                assert_eq!(a, b, "{format:?} {rows}x{cols} n={n}");
            }
        }
    }

    #[test]
    fn tokens_in_a_tile_equal_tokens_alone() {
        let mut rng = StdRng::seed_from_u64(7);
        let (rows, cols, n) = (20, 128, 6);
        let (m, _) = random_matrix(&mut rng, BlockFormat::Q4_1, rows, cols);
        let x = random_vec(&mut rng, n * cols, 1.0);
        for kernel in kernels() {
            let mut all = vec![0.0; n * rows];
            m.matmul_with(kernel, &x, n, &mut all).unwrap();
            for t in 0..n {
                let mut one = vec![0.0; rows];
                m.matmul_with(kernel, &x[t * cols..(t + 1) * cols], 1, &mut one)
                    .unwrap();
                assert_eq!(one, all[t * rows..(t + 1) * rows], "{kernel:?} t={t}");
            }
        }
    }

    #[test]
    fn threads_do_not_change_results() {
        let mut rng = StdRng::seed_from_u64(11);
        let (rows, cols, n) = (1000, 64, 3);
        let (m, _) = random_matrix(&mut rng, BlockFormat::Q4_1, rows, cols);
        let x = random_vec(&mut rng, n * cols, 1.0);
        let mut one = vec![0.0; n * rows];
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap()
            .install(|| m.matmul_with(Kernel::detect(), &x, n, &mut one).unwrap());
        let mut four = vec![0.0; n * rows];
        rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap()
            .install(|| m.matmul_with(Kernel::detect(), &x, n, &mut four).unwrap());
        assert_eq!(one, four);
    }

    #[test]
    fn dequantized_rows_match_candle() {
        let mut rng = StdRng::seed_from_u64(3);
        for format in [BlockFormat::Q4_1, BlockFormat::Q8_0] {
            let (m, deq) = random_matrix(&mut rng, format, 5, 64);
            let mut row = vec![0.0; 64];
            for r in 0..5 {
                m.dequantize_row(r, &mut row).unwrap();
                assert_eq!(row, deq[r * 64..(r + 1) * 64], "{format:?} row {r}");
            }
            assert!(m.dequantize_row(5, &mut row).is_none());
            assert!(m.dequantize_row(0, &mut [0.0; 3]).is_none());
        }
    }

    #[test]
    fn bad_shapes_are_errors_not_panics() {
        assert!(QMatrix::new(BlockFormat::Q4_1, 2, 33, vec![0; 40]).is_err());
        assert!(QMatrix::new(BlockFormat::Q4_1, 2, 32, vec![0; 39]).is_err());
        assert!(QMatrix::new(BlockFormat::Q4_1, usize::MAX, 64, vec![]).is_err());
        let m = QMatrix::new(BlockFormat::Q4_1, 2, 32, vec![0; 40]).unwrap();
        assert!(
            m.matmul_with(Kernel::Scalar, &[0.0; 31], 1, &mut [0.0; 2])
                .is_err()
        );
        assert!(
            m.matmul_with(Kernel::Scalar, &[0.0; 32], 1, &mut [0.0; 3])
                .is_err()
        );
        let q8 = QMatrix::new(BlockFormat::Q8_0, 1, 32, vec![0; 34]).unwrap();
        assert!(QMatrix::concat_rows(vec![m, q8]).is_err());
    }
}

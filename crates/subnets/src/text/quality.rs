//! Miners of differing quality for localnet: knobs around any [`Backend`] ([`Quality`]), and a
//! [`RelayBackend`] that copies another miner's answer.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use futures::future::BoxFuture;
use neuron::{AxonInfo, Dendrite};

use crate::error::BackendError;
use crate::text::backend::{Backend, Completion, CompletionRequest, TextStream};
use crate::text::synapse::TextGeneration;

/// How a miner degrades its backend's answers.
#[derive(Clone, Debug, PartialEq)]
pub enum Quality {
    /// Answer as asked.
    Honest,
    /// Override sampling: high temperature and few tokens (a careless miner).
    Sloppy {
        /// Temperature used instead of the request's.
        temperature: f64,
        /// Cap on tokens.
        max_tokens: u32,
    },
    /// Answer nothing (a lazy miner).
    Empty,
    /// Answer honestly after a delay (an overloaded miner).
    Slow {
        /// Added before answering.
        delay: Duration,
    },
    /// Answer greedily with at most `max_tokens` tokens, then ramble: append `pad` filler
    /// words per word of the answer. The answer keeps its start (so known-answer checks still
    /// pass) but loses similarity to the reference in proportion to `pad` and to what was cut;
    /// it never equals an honest answer, so it is never taken for (or flags) a copy.
    Ramble {
        /// Cap on tokens.
        max_tokens: u32,
        /// Filler words appended per answer word.
        pad: u32,
    },
}

/// The filler word of [`Quality::Ramble`].
pub const FILLER: &str = "uhm";

/// `text` followed by `pad` filler words per word (at least one filler for a non-empty text).
pub fn ramble(text: &str, pad: u32) -> String {
    let words = text.split_whitespace().count();
    if words == 0 {
        return String::new();
    }
    let n = words
        .saturating_mul(usize::try_from(pad).unwrap_or(1))
        .max(1);
    let mut out = text.trim_end().to_string();
    for _ in 0..n {
        out.push(' ');
        out.push_str(FILLER);
    }
    out
}

impl std::str::FromStr for Quality {
    type Err = String;
    /// `honest`, `sloppy[:TEMP[:MAX_TOKENS]]` (default 1.5, 8), `empty`, `slow[:SECS]`
    /// (default 30), `ramble[:MAX_TOKENS[:PAD]]` (default 24, 1).
    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.split(':');
        let kind = parts.next().unwrap_or_default();
        let bad = || {
            format!(
                "bad quality `{s}`: use 1..4 (tiers), honest, sloppy[:TEMP[:MAX_TOKENS]], ramble[:MAX_TOKENS[:PAD]], empty or slow[:SECS]"
            )
        };
        match kind {
            "honest" => Ok(Quality::Honest),
            "empty" | "lazy" => Ok(Quality::Empty),
            "sloppy" => {
                let temperature = parts
                    .next()
                    .map_or(Ok(1.5), |t| t.parse::<f64>())
                    .map_err(|_| bad())?;
                let max_tokens = parts
                    .next()
                    .map_or(Ok(8), |t| t.parse::<u32>())
                    .map_err(|_| bad())?;
                if !(temperature.is_finite() && (0.0..=5.0).contains(&temperature))
                    || max_tokens == 0
                {
                    return Err(bad());
                }
                Ok(Quality::Sloppy {
                    temperature,
                    max_tokens,
                })
            }
            "ramble" => {
                let max_tokens = parts
                    .next()
                    .map_or(Ok(24), |t| t.parse::<u32>())
                    .map_err(|_| bad())?;
                let pad = parts
                    .next()
                    .map_or(Ok(1), |t| t.parse::<u32>())
                    .map_err(|_| bad())?;
                if max_tokens == 0 || pad == 0 || pad > 64 {
                    return Err(bad());
                }
                Ok(Quality::Ramble { max_tokens, pad })
            }
            "slow" => {
                let secs = parts
                    .next()
                    .map_or(Ok(30.0), |t| t.parse::<f64>())
                    .map_err(|_| bad())?;
                let delay = Duration::try_from_secs_f64(secs).map_err(|_| bad())?;
                Ok(Quality::Slow { delay })
            }
            _ => Err(bad()),
        }
    }
}

/// A backend with a [`Quality`] knob.
pub struct QualityBackend {
    inner: Arc<dyn Backend>,
    quality: Quality,
}

impl QualityBackend {
    /// Degrade `inner` by `quality`.
    pub fn new(inner: Arc<dyn Backend>, quality: Quality) -> Self {
        QualityBackend { inner, quality }
    }

    fn adjust(&self, mut req: CompletionRequest) -> CompletionRequest {
        match self.quality {
            Quality::Sloppy {
                temperature,
                max_tokens,
            } => {
                req.temperature = temperature;
                req.max_tokens = req.max_tokens.min(max_tokens);
                req.top_p = 1.0;
            }
            Quality::Ramble { max_tokens, .. } => {
                req.temperature = 0.0;
                req.max_tokens = req.max_tokens.min(max_tokens);
            }
            Quality::Honest | Quality::Empty | Quality::Slow { .. } => {}
        }
        req
    }
}

impl Backend for QualityBackend {
    fn name(&self) -> String {
        format!("{}[{:?}]", self.inner.name(), self.quality)
    }

    fn complete(&self, req: CompletionRequest) -> BoxFuture<'_, Result<Completion, BackendError>> {
        Box::pin(async move {
            match &self.quality {
                Quality::Empty => return Ok(Completion::stop("")),
                Quality::Slow { delay } => tokio::time::sleep(*delay).await,
                Quality::Honest | Quality::Sloppy { .. } | Quality::Ramble { .. } => {}
            }
            let mut c = self.inner.complete(self.adjust(req)).await?;
            if let Quality::Ramble { pad, .. } = self.quality {
                c.text = ramble(&c.text, pad);
            }
            Ok(c)
        })
    }

    fn complete_stream(self: Arc<Self>, req: CompletionRequest) -> TextStream {
        match &self.quality {
            Quality::Empty => futures::stream::empty().boxed(),
            Quality::Slow { delay } => {
                let delay = *delay;
                let inner = self.inner.clone();
                futures::stream::once(async move {
                    tokio::time::sleep(delay).await;
                    inner.complete_stream(req)
                })
                .flatten()
                .boxed()
            }
            Quality::Ramble { pad, .. } => {
                let pad = *pad;
                // Pass the pieces through, then the filler for the words seen.
                let req = self.adjust(req);
                let seen = Arc::new(std::sync::Mutex::new(String::new()));
                let tap = seen.clone();
                let body = self.inner.clone().complete_stream(req).inspect(move |r| {
                    if let (Ok(piece), Ok(mut g)) = (r, tap.lock()) {
                        g.push_str(piece);
                    }
                });
                let tail = futures::stream::once(async move {
                    let text = seen.lock().map(|g| g.clone()).unwrap_or_default();
                    let full = ramble(&text, pad);
                    Ok(full
                        .get(text.trim_end().len()..)
                        .unwrap_or_default()
                        .to_string())
                })
                .filter(|r| futures::future::ready(!matches!(r, Ok(t) if t.is_empty())));
                body.chain(tail).boxed()
            }
            Quality::Honest | Quality::Sloppy { .. } => {
                let req = self.adjust(req);
                self.inner.clone().complete_stream(req)
            }
        }
    }
}

/// Answers by asking another miner and returning its answer verbatim (a copier). Validators
/// detect it: the copy is identical to the source and arrives later.
pub struct RelayBackend {
    dendrite: Dendrite,
    target: AxonInfo,
    timeout: Duration,
}

impl RelayBackend {
    /// Copy from the miner at `target`.
    pub fn new(dendrite: Dendrite, target: AxonInfo, timeout: Duration) -> Self {
        RelayBackend {
            dendrite,
            target,
            timeout,
        }
    }
}

impl Backend for RelayBackend {
    fn name(&self) -> String {
        format!("relay:{}", self.target.authority())
    }

    fn complete(&self, req: CompletionRequest) -> BoxFuture<'_, Result<Completion, BackendError>> {
        Box::pin(async move {
            let r = self
                .dendrite
                .call(&self.target, TextGeneration::new(req), self.timeout)
                .await;
            if !r.is_success() {
                return Err(BackendError::Upstream(format!(
                    "{} {}",
                    r.status_code(),
                    r.dendrite.status_message.unwrap_or_default()
                )));
            }
            let s = r.synapse;
            Ok(Completion {
                text: s.completion.unwrap_or_default(),
                finish_reason: s.finish_reason.unwrap_or_else(|| "stop".into()),
                prompt_tokens: s.prompt_tokens.unwrap_or(0),
                completion_tokens: s.completion_tokens.unwrap_or(0),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::backend::FnBackend;
    use crate::text::synapse::Message;

    #[test]
    fn parse() {
        assert_eq!("honest".parse::<Quality>(), Ok(Quality::Honest));
        assert_eq!(
            "sloppy:1.2:4".parse::<Quality>(),
            Ok(Quality::Sloppy {
                temperature: 1.2,
                max_tokens: 4
            })
        );
        assert_eq!(
            "slow:2".parse::<Quality>(),
            Ok(Quality::Slow {
                delay: Duration::from_secs(2)
            })
        );
        assert_eq!(
            "ramble:12:3".parse::<Quality>(),
            Ok(Quality::Ramble {
                max_tokens: 12,
                pad: 3
            })
        );
        assert!("ramble:0".parse::<Quality>().is_err());
        assert!("slow:-1".parse::<Quality>().is_err());
        assert!("sloppy:x".parse::<Quality>().is_err());
        assert!("great".parse::<Quality>().is_err());
    }

    #[tokio::test]
    async fn knobs() {
        let echo: Arc<dyn Backend> = Arc::new(FnBackend::new("echo", |r: &CompletionRequest| {
            Ok(format!("t={} n={}", r.temperature, r.max_tokens))
        }));
        let req = CompletionRequest {
            messages: vec![Message::user("x")],
            max_tokens: 32,
            ..Default::default()
        };
        let sloppy = QualityBackend::new(
            echo.clone(),
            Quality::Sloppy {
                temperature: 1.5,
                max_tokens: 8,
            },
        );
        assert_eq!(
            sloppy.complete(req.clone()).await.unwrap().text,
            "t=1.5 n=8"
        );
        let empty = Arc::new(QualityBackend::new(echo.clone(), Quality::Empty));
        assert_eq!(empty.complete(req.clone()).await.unwrap().text, "");
        assert_eq!(empty.complete_stream(req.clone()).count().await, 0);
        let ramble = Arc::new(QualityBackend::new(
            echo.clone(),
            Quality::Ramble {
                max_tokens: 4,
                pad: 2,
            },
        ));
        let one = ramble.complete(req.clone()).await.unwrap().text;
        assert_eq!(one, "t=0 n=4 uhm uhm uhm uhm");
        let streamed: Vec<String> = ramble
            .complete_stream(req.clone())
            .map(|r| r.unwrap())
            .collect()
            .await;
        assert_eq!(streamed.concat(), one);
        assert_eq!(super::ramble("", 3), "");
        assert_eq!(super::ramble("42", 1), "42 uhm");
        let honest = Arc::new(QualityBackend::new(echo, Quality::Honest));
        let pieces: Vec<_> = honest.complete_stream(req).collect().await;
        assert_eq!(pieces.len(), 2);
    }
}

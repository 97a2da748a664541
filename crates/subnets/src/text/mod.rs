//! The text-generation subnet: an OpenAI-style chat synapse ([`TextGeneration`], and
//! [`TextGenerationStream`] for streamed answers), miner [`Backend`]s (the embedded model, any
//! OpenAI-compatible endpoint, a relay to another miner, scripted answers), quality knobs for
//! localnet ([`Quality`]), and the validator's scoring ([`TextSubnet`]).

pub mod backend;
pub mod embedded;
pub mod miner;
pub mod openai;
pub mod quality;
pub mod scoring;
pub mod spec;
pub mod subnet;
pub mod synapse;
pub mod tasks;

pub use backend::{Backend, Completion, CompletionRequest, FnBackend, TextStream};
pub use embedded::EmbeddedBackend;
pub use miner::attach;
pub use openai::OpenAiBackend;
pub use quality::{Quality, QualityBackend, RelayBackend};
pub use spec::{BackendKind, BackendSpec};
pub use subnet::{TextConfig, TextSubnet};
pub use synapse::{Message, TextGeneration, TextGenerationStream};
pub use tasks::Task;

//! The [`Backend`] trait: where a miner's answers come from.

use std::sync::Arc;

use futures::StreamExt as _;
use futures::future::BoxFuture;
use futures::stream::BoxStream;

use crate::error::BackendError;
use crate::text::synapse::Message;

/// The inputs of a chat completion.
#[derive(Clone, Debug, PartialEq)]
pub struct CompletionRequest {
    /// The conversation.
    pub messages: Vec<Message>,
    /// Most tokens to generate.
    pub max_tokens: u32,
    /// 0 = greedy.
    pub temperature: f64,
    /// Nucleus sampling.
    pub top_p: f64,
    /// RNG seed.
    pub seed: Option<u64>,
}

impl Default for CompletionRequest {
    fn default() -> Self {
        CompletionRequest {
            messages: Vec::new(),
            max_tokens: 256,
            temperature: 0.0,
            top_p: 1.0,
            seed: None,
        }
    }
}

impl CompletionRequest {
    /// Reject what no backend can serve (non-finite or out-of-range parameters, no messages).
    pub fn validate(&self) -> Result<(), BackendError> {
        if self.messages.is_empty() {
            return Err(BackendError::InvalidRequest("messages is empty".into()));
        }
        if !(self.temperature.is_finite() && (0.0..=5.0).contains(&self.temperature)) {
            return Err(BackendError::InvalidRequest(
                "temperature must be in 0..=5".into(),
            ));
        }
        if !(self.top_p.is_finite() && self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(BackendError::InvalidRequest(
                "top_p must be in (0, 1]".into(),
            ));
        }
        if self.max_tokens == 0 {
            return Err(BackendError::InvalidRequest(
                "max_tokens must be >= 1".into(),
            ));
        }
        Ok(())
    }
}

/// A finished completion.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Completion {
    /// The answer.
    pub text: String,
    /// `stop` or `length`.
    pub finish_reason: String,
    /// Prompt tokens (0 if unknown).
    pub prompt_tokens: u32,
    /// Completion tokens (0 if unknown).
    pub completion_tokens: u32,
}

impl Completion {
    /// A completion of `text` that stopped normally (token counts unknown).
    pub fn stop(text: impl Into<String>) -> Self {
        Completion {
            text: text.into(),
            finish_reason: "stop".into(),
            ..Completion::default()
        }
    }
}

/// Streamed answer pieces.
pub type TextStream = BoxStream<'static, Result<String, BackendError>>;

/// Where answers come from: the embedded model, an OpenAI-compatible endpoint, another miner.
pub trait Backend: Send + Sync + 'static {
    /// A short description for logs (`embedded:smollm2-135m`, `openai:llama3@http://…`).
    fn name(&self) -> String;

    /// Answer `req` in one piece.
    fn complete(&self, req: CompletionRequest) -> BoxFuture<'_, Result<Completion, BackendError>>;

    /// Answer `req` as pieces of text. The default streams the whole completion as one piece.
    fn complete_stream(self: Arc<Self>, req: CompletionRequest) -> TextStream {
        futures::stream::once(async move { self.complete(req).await.map(|c| c.text) })
            .filter(|r| futures::future::ready(!matches!(r, Ok(t) if t.is_empty())))
            .boxed()
    }
}

/// A backend from a function: scripted answers for tests and lazy localnet miners.
pub struct FnBackend<F> {
    name: String,
    f: F,
}

impl<F> FnBackend<F>
where
    F: Fn(&CompletionRequest) -> Result<String, BackendError> + Send + Sync + 'static,
{
    /// A backend answering `f(request)`.
    pub fn new(name: impl Into<String>, f: F) -> Self {
        FnBackend {
            name: name.into(),
            f,
        }
    }
}

impl<F> Backend for FnBackend<F>
where
    F: Fn(&CompletionRequest) -> Result<String, BackendError> + Send + Sync + 'static,
{
    fn name(&self) -> String {
        self.name.clone()
    }
    fn complete(&self, req: CompletionRequest) -> BoxFuture<'_, Result<Completion, BackendError>> {
        let out = (self.f)(&req).map(Completion::stop);
        Box::pin(async move { out })
    }
    fn complete_stream(self: Arc<Self>, req: CompletionRequest) -> TextStream {
        // Word by word, so streaming paths see several chunks.
        match (self.f)(&req) {
            Ok(text) => {
                let pieces: Vec<Result<String, BackendError>> = text
                    .split_inclusive(' ')
                    .map(|p| Ok(p.to_string()))
                    .collect();
                futures::stream::iter(pieces).boxed()
            }
            Err(e) => futures::stream::once(async move { Err(e) }).boxed(),
        }
    }
}

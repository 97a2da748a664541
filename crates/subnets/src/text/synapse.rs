//! The text-generation synapses: OpenAI-style messages and sampling parameters in, the
//! completion out.

use serde::{Deserialize, Serialize};

use crate::text::backend::CompletionRequest;

/// One chat message (OpenAI's `{"role", "content"}`; roles `system`, `user`, `assistant`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who wrote it.
    pub role: String,
    /// What it says.
    pub content: String,
}

impl Message {
    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Message {
            role: "user".into(),
            content: content.into(),
        }
    }
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Message {
            role: "system".into(),
            content: content.into(),
        }
    }
}

fn default_max_tokens() -> u32 {
    256
}
fn default_top_p() -> f64 {
    1.0
}

/// A chat completion request/response. The inputs (messages and sampling parameters) are
/// covered by the body hash; the outputs are not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextGeneration {
    /// The conversation.
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Most tokens to generate.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// 0 = greedy.
    #[serde(default)]
    pub temperature: f64,
    /// Nucleus sampling.
    #[serde(default = "default_top_p")]
    pub top_p: f64,
    /// RNG seed, for reproducible sampling.
    #[serde(default)]
    pub seed: Option<u64>,
    /// Output: the answer.
    #[serde(default)]
    pub completion: Option<String>,
    /// Output: `stop` or `length`.
    #[serde(default)]
    pub finish_reason: Option<String>,
    /// Output: prompt tokens, as the miner counted them.
    #[serde(default)]
    pub prompt_tokens: Option<u32>,
    /// Output: completion tokens.
    #[serde(default)]
    pub completion_tokens: Option<u32>,
}

impl Default for TextGeneration {
    fn default() -> Self {
        TextGeneration::new(CompletionRequest::default())
    }
}

impl TextGeneration {
    /// A request with these inputs and no outputs.
    pub fn new(req: CompletionRequest) -> Self {
        TextGeneration {
            messages: req.messages,
            max_tokens: req.max_tokens,
            temperature: req.temperature,
            top_p: req.top_p,
            seed: req.seed,
            completion: None,
            finish_reason: None,
            prompt_tokens: None,
            completion_tokens: None,
        }
    }

    /// The inputs.
    pub fn request(&self) -> CompletionRequest {
        CompletionRequest {
            messages: self.messages.clone(),
            max_tokens: self.max_tokens,
            temperature: self.temperature,
            top_p: self.top_p,
            seed: self.seed,
        }
    }
}

const HASHED: &[&str] = &["messages", "max_tokens", "temperature", "top_p", "seed"];

impl neuron::Synapse for TextGeneration {
    const NAME: &'static str = "TextGeneration";
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = HASHED;
    const REQUIRED_FIELDS: &'static [&'static str] = &["messages"];
}

/// The streamed variant: same inputs; the answer arrives as the body chunks (UTF-8 text
/// pieces that concatenate to the completion).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextGenerationStream {
    /// The conversation.
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Most tokens to generate.
    #[serde(default = "default_max_tokens")]
    pub max_tokens: u32,
    /// 0 = greedy.
    #[serde(default)]
    pub temperature: f64,
    /// Nucleus sampling.
    #[serde(default = "default_top_p")]
    pub top_p: f64,
    /// RNG seed.
    #[serde(default)]
    pub seed: Option<u64>,
}

impl TextGenerationStream {
    /// A request with these inputs.
    pub fn new(req: CompletionRequest) -> Self {
        TextGenerationStream {
            messages: req.messages,
            max_tokens: req.max_tokens,
            temperature: req.temperature,
            top_p: req.top_p,
            seed: req.seed,
        }
    }
    /// The inputs.
    pub fn request(&self) -> CompletionRequest {
        CompletionRequest {
            messages: self.messages.clone(),
            max_tokens: self.max_tokens,
            temperature: self.temperature,
            top_p: self.top_p,
            seed: self.seed,
        }
    }
}

impl neuron::Synapse for TextGenerationStream {
    const NAME: &'static str = "TextGenerationStream";
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = HASHED;
    const REQUIRED_FIELDS: &'static [&'static str] = &["messages"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use neuron::Synapse as _;

    #[test]
    fn hash_covers_inputs_not_outputs() {
        let mut s = TextGeneration::new(CompletionRequest {
            messages: vec![Message::user("hi")],
            max_tokens: 8,
            ..CompletionRequest::default()
        });
        let h = s.body_hash().unwrap();
        s.completion = Some("hello".into());
        assert_eq!(h, s.body_hash().unwrap());
        s.max_tokens = 9;
        assert_ne!(h, s.body_hash().unwrap());
        let parsed: TextGeneration = serde_json::from_str(r#"{"messages":[]}"#).unwrap();
        assert_eq!((parsed.max_tokens, parsed.top_p), (256, 1.0));
    }
}

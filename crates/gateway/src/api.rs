//! OpenAI chat-completions wire shapes: parse a request, build responses and stream chunks.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};
use subnets::text::{CompletionRequest, Message};

use crate::error::ApiError;

/// A parsed `POST /v1/chat/completions` body.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    /// The model the client asked for (echoed back).
    pub model: Option<String>,
    /// Inputs for the miners.
    pub completion: CompletionRequest,
    /// `stream: true`.
    pub stream: bool,
    /// `stream_options.include_usage`.
    pub include_usage: bool,
}

/// Largest number of messages accepted.
pub const MAX_MESSAGES: usize = 256;

/// The `POST /v1/chat/completions` body as OpenAI defines it (the fields we use; others are
/// ignored). [`validate`] turns it into a [`ChatRequest`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ChatCompletionBody {
    /// The model asked for.
    pub model: Option<String>,
    /// The conversation; required.
    pub messages: Option<Vec<BodyMessage>>,
    /// Sampling temperature, 0 to 2.
    pub temperature: Option<f64>,
    /// Nucleus sampling, in (0, 1].
    pub top_p: Option<f64>,
    /// Most tokens to generate (the newer name, preferred over `max_tokens`).
    pub max_completion_tokens: Option<f64>,
    /// Most tokens to generate; a number so that `0.5` gets our message, not serde's.
    pub max_tokens: Option<f64>,
    /// RNG seed; a negative seed counts by its absolute value.
    pub seed: Option<serde_json::Number>,
    /// Choices wanted; only 1 is supported.
    pub n: Option<u64>,
    /// Answer as server-sent events.
    pub stream: Option<bool>,
    /// Streaming options.
    pub stream_options: Option<StreamOptions>,
}

/// One message of [`ChatCompletionBody::messages`].
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BodyMessage {
    /// `system`, `developer` (read as `system`), `user`, `assistant` or `tool`.
    pub role: Option<String>,
    /// Text, a list of parts, or null.
    pub content: Option<Content>,
}

/// A message's content: text, or parts of which only the text parts are kept.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "Message content must be a string or a list of parts."
)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// Content parts (`{"type":"text","text":...}`, images, ...).
    Parts(Vec<ContentPart>),
}

/// One content part: a text part, or anything else (skipped).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum ContentPart {
    /// A part with a `text` field.
    Text {
        /// The text.
        text: String,
    },
    /// Any other part (an image, audio, ...), which miners cannot use.
    Other(IgnoredAny),
}

/// `stream_options`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamOptions {
    /// Send a last chunk with the token usage.
    pub include_usage: Option<bool>,
}

/// Parse a request body; `default_max_tokens` applies when absent, `cap` bounds it.
pub fn parse_request(
    body: &[u8],
    default_max_tokens: u32,
    cap: u32,
) -> Result<ChatRequest, ApiError> {
    let body: ChatCompletionBody = serde_json::from_slice(body).map_err(|e| {
        let message = if e.is_data() {
            format!("Your request body does not match the chat completions schema: {e}")
        } else {
            format!("We could not parse the JSON body of your request: {e}")
        };
        ApiError::invalid(message, None)
    })?;
    validate(body, default_max_tokens, cap)
}

/// Check a parsed body's values and apply the defaults: roles, message count, ranges of the
/// sampling parameters, `max_tokens` capped at `cap`.
pub fn validate(
    body: ChatCompletionBody,
    default_max_tokens: u32,
    cap: u32,
) -> Result<ChatRequest, ApiError> {
    let raw = body.messages.ok_or_else(|| {
        ApiError::invalid("Missing required parameter: 'messages'.", Some("messages"))
    })?;
    if raw.is_empty() || raw.len() > MAX_MESSAGES {
        return Err(ApiError::invalid(
            format!("'messages' must hold 1 to {MAX_MESSAGES} messages."),
            Some("messages"),
        ));
    }
    let messages = raw
        .into_iter()
        .map(message)
        .collect::<Result<Vec<_>, _>>()?;
    let temperature = body.temperature.unwrap_or(1.0);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(ApiError::invalid(
            "'temperature' must be between 0 and 2.",
            Some("temperature"),
        ));
    }
    let top_p = body.top_p.unwrap_or(1.0);
    if !(top_p > 0.0 && top_p <= 1.0) {
        return Err(ApiError::invalid(
            "'top_p' must be in (0, 1].",
            Some("top_p"),
        ));
    }
    let max_tokens = match body.max_completion_tokens.or(body.max_tokens) {
        None => default_max_tokens,
        Some(m) if m >= 1.0 && m.fract() == 0.0 => {
            if m > f64::from(cap) {
                cap
            } else {
                // In 1..=cap and integral, so the conversion is exact.
                m as u32
            }
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "'max_tokens' must be a positive integer.",
                Some("max_tokens"),
            ));
        }
    };
    let seed = match body.seed {
        None => None,
        Some(s) => Some(
            s.as_u64()
                .or_else(|| s.as_i64().map(i64::unsigned_abs))
                .ok_or_else(|| ApiError::invalid("'seed' must be an integer.", Some("seed")))?,
        ),
    };
    if body.n.is_some_and(|n| n != 1) {
        return Err(ApiError::invalid("Only n = 1 is supported.", Some("n")));
    }
    Ok(ChatRequest {
        model: body.model,
        completion: CompletionRequest {
            messages,
            max_tokens,
            temperature,
            top_p,
            seed,
        },
        stream: body.stream.unwrap_or(false),
        include_usage: body
            .stream_options
            .and_then(|o| o.include_usage)
            .unwrap_or(false),
    })
}

/// A body message as miners take it: `developer` becomes `system`, text parts are joined.
fn message(m: BodyMessage) -> Result<Message, ApiError> {
    let role = match m.role.as_deref() {
        Some("developer") => "system",
        Some(r @ ("system" | "user" | "assistant" | "tool")) => r,
        _ => {
            return Err(ApiError::invalid(
                "Each message needs a role: system, user or assistant.",
                Some("messages"),
            ));
        }
    };
    let content = match m.content {
        Some(Content::Text(text)) => text,
        Some(Content::Parts(parts)) => parts
            .into_iter()
            .filter_map(|p| match p {
                ContentPart::Text { text } => Some(text),
                ContentPart::Other(_) => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
        None => String::new(),
    };
    Ok(Message {
        role: role.into(),
        content,
    })
}

/// Rough token count for usage when the miner does not report one (about 4 characters each).
pub fn estimate_tokens(text: &str) -> u32 {
    u32::try_from(text.chars().count().div_ceil(4)).unwrap_or(u32::MAX)
}

/// A `chat.completion` object.
pub fn completion_json(
    id: &str,
    created: u64,
    model: &str,
    content: &str,
    finish_reason: &str,
    prompt_tokens: u32,
    completion_tokens: u32,
) -> Value {
    json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": finish_reason,
        }],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens.saturating_add(completion_tokens),
        },
        "system_fingerprint": null,
    })
}

/// One `chat.completion.chunk` with a delta and an optional finish reason.
pub fn chunk_json(
    id: &str,
    created: u64,
    model: &str,
    delta: Value,
    finish_reason: Option<&str>,
) -> Value {
    json!({
        "id": id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}],
        "system_fingerprint": null,
    })
}

/// `data: {json}\n\n`.
pub fn sse_event(v: &Value) -> String {
    format!("data: {v}\n\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_openai_requests() {
        let r = parse_request(
            br#"{"model":"m","messages":[{"role":"developer","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]}],"max_tokens":9999,"temperature":0,"seed":-3,"stream":true,"stream_options":{"include_usage":true}}"#,
            256,
            2048,
        )
        .unwrap();
        assert_eq!(r.completion.messages[0].role, "system");
        assert_eq!(r.completion.messages[1].content, "hi");
        assert_eq!(
            (r.completion.max_tokens, r.completion.seed),
            (2048, Some(3))
        );
        assert!(r.stream && r.include_usage);
        let d = parse_request(
            br#"{"messages":[{"role":"user","content":"x"}]}"#,
            256,
            2048,
        )
        .unwrap();
        assert_eq!(
            (d.completion.max_tokens, d.completion.temperature),
            (256, 1.0)
        );
    }

    #[test]
    fn rejects_bad_requests() {
        for body in [
            &b"not json"[..],
            b"[]",
            b"{}",
            br#"{"messages":[]}"#,
            br#"{"messages":[{"role":"robot","content":"x"}]}"#,
            br#"{"messages":[{"role":"user","content":5}]}"#,
            br#"{"messages":[{"role":"user","content":"x"}],"temperature":3}"#,
            br#"{"messages":[{"role":"user","content":"x"}],"top_p":0}"#,
            br#"{"messages":[{"role":"user","content":"x"}],"max_tokens":0.5}"#,
            br#"{"messages":[{"role":"user","content":"x"}],"n":2}"#,
            br#"{"messages":[{"role":"user","content":"x"}],"seed":"a"}"#,
        ] {
            let e = parse_request(body, 256, 2048).unwrap_err();
            assert_eq!(e.status, 400, "{}", String::from_utf8_lossy(body));
            assert_eq!(e.body()["error"]["type"], "invalid_request_error");
        }
    }

    #[test]
    fn errors_name_the_parameter_and_say_what_is_wrong() {
        let cases: [(&[u8], &str, Option<&str>); 7] = [
            (b"not json", "We could not parse the JSON body", None),
            (
                br#"{}"#,
                "Missing required parameter: 'messages'.",
                Some("messages"),
            ),
            (
                br#"{"messages":[{"role":"robot","content":"x"}]}"#,
                "Each message needs a role",
                Some("messages"),
            ),
            (
                br#"{"messages":[{"role":"user","content":5}]}"#,
                "Message content must be a string or a list of parts.",
                None,
            ),
            (
                br#"{"messages":[{"role":"user","content":"x"}],"temperature":3}"#,
                "'temperature' must be between 0 and 2.",
                Some("temperature"),
            ),
            (
                br#"{"messages":[{"role":"user","content":"x"}],"max_tokens":0.5}"#,
                "'max_tokens' must be a positive integer.",
                Some("max_tokens"),
            ),
            (
                br#"{"messages":[{"role":"user","content":"x"}],"seed":1.5}"#,
                "'seed' must be an integer.",
                Some("seed"),
            ),
        ];
        for (body, message, param) in cases {
            let e = parse_request(body, 256, 2048).unwrap_err().body();
            let got = e["error"]["message"].as_str().unwrap();
            assert!(got.contains(message), "{got}");
            assert_eq!(e["error"]["param"].as_str(), param, "{got}");
        }
    }

    #[test]
    fn keeps_only_text_parts_and_ignores_unknown_fields() {
        let r = parse_request(
            br#"{"messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"x"}},"b",{"type":"text","text":"c"}]}],"logprobs":false,"max_completion_tokens":7,"max_tokens":9}"#,
            256,
            2048,
        )
        .unwrap();
        assert_eq!(r.completion.messages[0].content, "a\nc");
        assert_eq!(r.completion.max_tokens, 7, "max_completion_tokens wins");
    }
}

//! OpenAI chat-completions wire shapes: parse a request, build responses and stream chunks.

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

/// Parse a request body; `default_max_tokens` applies when absent, `cap` bounds it.
pub fn parse_request(
    body: &[u8],
    default_max_tokens: u32,
    cap: u32,
) -> Result<ChatRequest, ApiError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid(
            format!("We could not parse the JSON body of your request: {e}"),
            None,
        )
    })?;
    let obj = v
        .as_object()
        .ok_or_else(|| ApiError::invalid("The request body must be a JSON object.", None))?;
    let raw = obj
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ApiError::invalid("Missing required parameter: 'messages'.", Some("messages"))
        })?;
    if raw.is_empty() || raw.len() > MAX_MESSAGES {
        return Err(ApiError::invalid(
            format!("'messages' must hold 1 to {MAX_MESSAGES} messages."),
            Some("messages"),
        ));
    }
    let mut messages = Vec::with_capacity(raw.len());
    for m in raw {
        let role = m
            .get("role")
            .and_then(Value::as_str)
            .filter(|r| matches!(*r, "system" | "developer" | "user" | "assistant" | "tool"))
            .ok_or_else(|| {
                ApiError::invalid(
                    "Each message needs a role: system, user or assistant.",
                    Some("messages"),
                )
            })?;
        let content = match m.get("content") {
            Some(Value::String(s)) => s.clone(),
            // Content parts: keep the text parts.
            Some(Value::Array(parts)) => parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
            Some(Value::Null) | None => String::new(),
            Some(_) => {
                return Err(ApiError::invalid(
                    "Message content must be a string or a list of parts.",
                    Some("messages"),
                ));
            }
        };
        let role = if role == "developer" { "system" } else { role };
        messages.push(Message {
            role: role.into(),
            content,
        });
    }
    let num = |name: &'static str| -> Result<Option<f64>, ApiError> {
        match obj.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(x) => x
                .as_f64()
                .filter(|f| f.is_finite())
                .map(Some)
                .ok_or_else(|| {
                    ApiError::invalid(format!("'{name}' must be a number."), Some(name))
                }),
        }
    };
    let temperature = num("temperature")?.unwrap_or(1.0);
    if !(0.0..=2.0).contains(&temperature) {
        return Err(ApiError::invalid(
            "'temperature' must be between 0 and 2.",
            Some("temperature"),
        ));
    }
    let top_p = num("top_p")?.unwrap_or(1.0);
    if !(top_p > 0.0 && top_p <= 1.0) {
        return Err(ApiError::invalid(
            "'top_p' must be in (0, 1].",
            Some("top_p"),
        ));
    }
    let max_tokens = match num("max_completion_tokens")?.or(num("max_tokens")?) {
        None => default_max_tokens,
        Some(m) if m >= 1.0 && m.fract() == 0.0 => {
            if m > f64::from(cap) {
                cap
            } else {
                // In 1..=cap, integral: exact.
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
    let seed = match obj.get("seed") {
        None | Some(Value::Null) => None,
        Some(s) => Some(
            s.as_u64()
                .or_else(|| s.as_i64().map(i64::unsigned_abs))
                .ok_or_else(|| ApiError::invalid("'seed' must be an integer.", Some("seed")))?,
        ),
    };
    if let Some(n) = obj.get("n").and_then(Value::as_u64)
        && n != 1
    {
        return Err(ApiError::invalid("Only n = 1 is supported.", Some("n")));
    }
    let stream = obj.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let include_usage = obj
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(ChatRequest {
        model: obj.get("model").and_then(Value::as_str).map(str::to_string),
        completion: CompletionRequest {
            messages,
            max_tokens,
            temperature,
            top_p,
            seed,
        },
        stream,
        include_usage,
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
}

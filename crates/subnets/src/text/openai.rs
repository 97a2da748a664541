//! Any OpenAI-compatible chat endpoint (Ollama, vLLM, llama.cpp server, OpenAI) as a
//! [`Backend`]: `POST {base}/v1/chat/completions`, plain or streamed (server-sent events).

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt as _;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use crate::error::BackendError;
use crate::text::backend::{Backend, Completion, CompletionRequest, TextStream};

/// Largest response body read from the endpoint (non-streamed).
const MAX_BODY: usize = 8 * 1024 * 1024;

/// An OpenAI-compatible endpoint serving `model`.
#[derive(Clone, Debug)]
pub struct OpenAiBackend {
    client: reqwest::Client,
    url: String,
    model: String,
    api_key: Option<String>,
}

/// `http://host:11434` → `…/v1/chat/completions`; `…/v1` → `…/v1/chat/completions`; a full
/// `…/chat/completions` URL is kept.
pub fn completions_url(endpoint: &str) -> String {
    let e = endpoint.trim_end_matches('/');
    if e.ends_with("/chat/completions") {
        e.to_string()
    } else if e.ends_with("/v1") {
        format!("{e}/chat/completions")
    } else {
        format!("{e}/v1/chat/completions")
    }
}

impl OpenAiBackend {
    /// A backend for `endpoint` (base URL or full URL) and `model`, with a request timeout.
    pub fn new(
        endpoint: &str,
        model: impl Into<String>,
        api_key: Option<String>,
        timeout: Duration,
    ) -> Result<Self, BackendError> {
        let url = completions_url(endpoint);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| BackendError::Http {
                endpoint: url.clone(),
                detail: e.to_string(),
            })?;
        Ok(OpenAiBackend {
            client,
            url,
            model: model.into(),
            api_key,
        })
    }

    fn body(&self, req: &CompletionRequest, stream: bool) -> Value {
        let mut body = json!({
            "model": self.model,
            "messages": req.messages,
            "max_tokens": req.max_tokens,
            "temperature": req.temperature,
            "top_p": req.top_p,
            "stream": stream,
        });
        if let (Some(seed), Some(obj)) = (req.seed, body.as_object_mut()) {
            obj.insert("seed".into(), json!(seed));
        }
        body
    }

    async fn send(&self, body: &Value) -> Result<reqwest::Response, BackendError> {
        let mut rb = self.client.post(&self.url).json(body);
        if let Some(k) = &self.api_key {
            rb = rb.bearer_auth(k);
        }
        let resp = rb.send().await.map_err(|e| self.http(e))?;
        let status = resp.status();
        if !status.is_success() {
            let text = resp.text().await.unwrap_or_default();
            return Err(BackendError::Status {
                endpoint: self.url.clone(),
                status: status.as_u16(),
                body: text.chars().take(300).collect(),
            });
        }
        Ok(resp)
    }

    fn http(&self, e: reqwest::Error) -> BackendError {
        BackendError::Http {
            endpoint: self.url.clone(),
            detail: e.to_string(),
        }
    }

    fn bad(&self, detail: impl Into<String>) -> BackendError {
        BackendError::BadResponse {
            endpoint: self.url.clone(),
            detail: detail.into(),
        }
    }
}

fn u32_at(v: &Value, path: &str) -> u32 {
    v.pointer(path)
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or(0)
}

impl Backend for OpenAiBackend {
    fn name(&self) -> String {
        format!("openai:{}@{}", self.model, self.url)
    }

    fn complete(&self, req: CompletionRequest) -> BoxFuture<'_, Result<Completion, BackendError>> {
        Box::pin(async move {
            req.validate()?;
            let resp = self.send(&self.body(&req, false)).await?;
            let bytes = resp.bytes().await.map_err(|e| self.http(e))?;
            if bytes.len() > MAX_BODY {
                return Err(self.bad("response too large"));
            }
            let v: Value = serde_json::from_slice(&bytes).map_err(|e| self.bad(e.to_string()))?;
            let text = v
                .pointer("/choices/0/message/content")
                .and_then(Value::as_str)
                .ok_or_else(|| self.bad("no choices[0].message.content"))?;
            Ok(Completion {
                text: text.to_string(),
                finish_reason: v
                    .pointer("/choices/0/finish_reason")
                    .and_then(Value::as_str)
                    .unwrap_or("stop")
                    .to_string(),
                prompt_tokens: u32_at(&v, "/usage/prompt_tokens"),
                completion_tokens: u32_at(&v, "/usage/completion_tokens"),
            })
        })
    }

    fn complete_stream(self: Arc<Self>, req: CompletionRequest) -> TextStream {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<Result<String, BackendError>>();
        tokio::spawn(async move {
            if let Err(e) = req.validate() {
                let _ = tx.send(Err(e));
                return;
            }
            let resp = match self.send(&self.body(&req, true)).await {
                Ok(r) => r,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            let mut bytes = resp.bytes_stream();
            let mut sse = SseLines::default();
            while let Some(chunk) = bytes.next().await {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = tx.send(Err(self.http(e)));
                        return;
                    }
                };
                for data in sse.push(&chunk) {
                    if data == "[DONE]" {
                        return;
                    }
                    let Ok(v) = serde_json::from_str::<Value>(&data) else {
                        let _ = tx.send(Err(self.bad("unparsable stream event")));
                        return;
                    };
                    if let Some(piece) = v
                        .pointer("/choices/0/delta/content")
                        .and_then(Value::as_str)
                        && !piece.is_empty()
                        && tx.send(Ok(piece.to_string())).is_err()
                    {
                        return;
                    }
                }
            }
        });
        crate::text::embedded::tokio_stream_from(rx)
    }
}

/// Splits a server-sent-events byte stream into `data:` payloads.
#[derive(Default)]
pub struct SseLines {
    buf: Vec<u8>,
}

impl SseLines {
    /// Feed bytes; get the complete `data:` payloads they finish.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(pos) = self.buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if let Some(data) = line.strip_prefix("data:") {
                out.push(data.trim_start().to_string());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            completions_url("http://h:1"),
            "http://h:1/v1/chat/completions"
        );
        assert_eq!(
            completions_url("http://h:1/v1/"),
            "http://h:1/v1/chat/completions"
        );
        assert_eq!(
            completions_url("http://h/x/chat/completions"),
            "http://h/x/chat/completions"
        );
    }

    #[test]
    fn sse_split_across_chunks() {
        let mut s = SseLines::default();
        assert!(s.push(b"data: {\"a\"").is_empty());
        assert_eq!(
            s.push(b":1}\r\n\r\n: comment\ndata: [DONE]\n"),
            vec!["{\"a\":1}", "[DONE]"]
        );
    }
}

//! The OpenAI-compatible backend against a tiny in-test `/v1/chat/completions` server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt as _;
use serde_json::{Value, json};
use subnets::BackendError;
use subnets::text::{Backend, CompletionRequest, Message, OpenAiBackend};

/// Mimics Ollama/vLLM: echoes the last user message upper-cased, streams word by word;
/// model `missing` gets a 404.
async fn fake_server(seen: Arc<Mutex<Vec<Value>>>) -> String {
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        axum::routing::post(move |headers: HeaderMap, Json(body): Json<Value>| {
            let seen = seen.clone();
            async move {
                let mut b = body.clone();
                b["auth"] = json!(headers.get("authorization").and_then(|v| v.to_str().ok()));
                seen.lock().unwrap().push(b);
                if body["model"] == "missing" {
                    return (StatusCode::NOT_FOUND, Json(json!({"error": {"message": "model 'missing' not found"}}))).into_response();
                }
                let last = body["messages"].as_array().unwrap().last().unwrap()["content"].as_str().unwrap().to_uppercase();
                if body["stream"] == true {
                    let mut sse = String::new();
                    for (i, w) in last.split_inclusive(' ').enumerate() {
                        let delta = if i == 0 { json!({"role": "assistant", "content": w}) } else { json!({"content": w}) };
                        sse.push_str(&format!("data: {}\n\n", json!({"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta, "finish_reason": null}]})));
                    }
                    sse.push_str(&format!("data: {}\n\ndata: [DONE]\n\n", json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})));
                    return Response::builder().header("content-type", "text/event-stream").body(axum::body::Body::from(sse)).unwrap();
                }
                Json(json!({
                    "id": "x", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": last}, "finish_reason": "length"}],
                    "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10}
                }))
                .into_response()
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn req(text: &str) -> CompletionRequest {
    CompletionRequest {
        messages: vec![Message::user(text)],
        max_tokens: 12,
        temperature: 0.5,
        top_p: 0.9,
        seed: Some(4),
    }
}

#[tokio::test]
async fn complete_and_stream_against_openai_server() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let base = fake_server(seen.clone()).await;
    let b = Arc::new(
        OpenAiBackend::new(&base, "tiny", Some("sk-1".into()), Duration::from_secs(5)).unwrap(),
    );
    let c = b.complete(req("hello there world")).await.unwrap();
    assert_eq!(c.text, "HELLO THERE WORLD");
    assert_eq!(
        (
            c.finish_reason.as_str(),
            c.prompt_tokens,
            c.completion_tokens
        ),
        ("length", 7, 3)
    );
    let sent = seen.lock().unwrap()[0].clone();
    assert_eq!(
        (
            sent["model"].as_str(),
            sent["max_tokens"].as_u64(),
            sent["seed"].as_u64()
        ),
        (Some("tiny"), Some(12), Some(4))
    );
    assert_eq!(sent["auth"], "Bearer sk-1");

    let pieces: Vec<String> = b
        .clone()
        .complete_stream(req("a b c"))
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(pieces, vec!["A ", "B ", "C"]);

    let missing = OpenAiBackend::new(
        &format!("{base}/v1"),
        "missing",
        None,
        Duration::from_secs(5),
    )
    .unwrap();
    match missing.complete(req("x")).await {
        Err(BackendError::Status {
            status: 404, body, ..
        }) => assert!(body.contains("not found")),
        other => panic!("{other:?}"),
    }
    // Nothing listens here: a transport error, not a panic.
    let dead = OpenAiBackend::new("http://127.0.0.1:9", "m", None, Duration::from_secs(2)).unwrap();
    assert!(matches!(
        dead.complete(req("x")).await,
        Err(BackendError::Http { .. })
    ));
    let errs: Vec<_> = Arc::new(dead).complete_stream(req("x")).collect().await;
    assert!(matches!(errs.as_slice(), [Err(BackendError::Http { .. })]));
}

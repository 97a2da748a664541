//! Plain HTTP for tests (metrics pages, the gateway's API) through reqwest, one request at a
//! time from synchronous code.

use std::time::Duration;

use serde_json::Value;

use crate::error::{Result, TestkitError};

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// Its status code.
    pub status: u16,
    /// Its headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// Its body as text.
    pub body: String,
}

impl HttpResponse {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.body).map_err(|e| TestkitError::json("the body", &self.body, e))
    }
}

fn send(
    url: &str,
    timeout: Duration,
    build: impl FnOnce(&reqwest::Client) -> reqwest::RequestBuilder,
) -> Result<HttpResponse> {
    let fail = |reason: String| TestkitError::Http {
        url: url.to_owned(),
        reason,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| TestkitError::io("start an async runtime", e))?;
    runtime.block_on(async {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| fail(e.to_string()))?;
        let answer = build(&http).send().await.map_err(|e| fail(e.to_string()))?;
        let status = answer.status().as_u16();
        let headers = answer
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = answer.text().await.map_err(|e| fail(e.to_string()))?;
        Ok(HttpResponse {
            status,
            headers,
            body,
        })
    })
}

/// GET `url`.
pub fn get(url: &str, timeout: Duration) -> Result<HttpResponse> {
    send(url, timeout, |http| http.get(url))
}

/// POST `body` as JSON to `url`.
pub fn post_json(url: &str, body: &Value, timeout: Duration) -> Result<HttpResponse> {
    send(url, timeout, |http| http.post(url).json(body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// Answers one request with `x-seen: METHOD PATH BODY` and a JSON body.
    fn one_shot_server() -> (String, std::thread::JoinHandle<()>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let seen = format!(
                "{} {}",
                request_line.trim_end().trim_end_matches(" HTTP/1.1"),
                String::from_utf8_lossy(&body)
            );
            let reply = "{\"ok\":true}";
            write!(
                &stream,
                "HTTP/1.1 201 Created\r\nx-seen: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                seen.trim_end(),
                reply.len()
            )
            .unwrap();
        });
        (url, server)
    }

    #[test]
    fn get_returns_status_headers_and_body() {
        let (url, server) = one_shot_server();
        let r = get(&format!("{url}/metrics"), Duration::from_secs(10)).unwrap();
        server.join().unwrap();
        assert_eq!(r.status, 201);
        assert_eq!(r.header("X-Seen"), Some("GET /metrics"));
        assert_eq!(r.json().unwrap()["ok"], true);
    }

    #[test]
    fn post_sends_json() {
        let (url, server) = one_shot_server();
        let r = post_json(&url, &serde_json::json!({"a": 1}), Duration::from_secs(10)).unwrap();
        server.join().unwrap();
        assert_eq!(r.header("x-seen"), Some("POST / {\"a\":1}"));
    }

    #[test]
    fn a_closed_port_is_an_error() {
        let port = crate::ports::free_port().unwrap();
        let err = get(&format!("http://127.0.0.1:{port}/"), Duration::from_secs(5)).unwrap_err();
        assert!(matches!(err, TestkitError::Http { .. }), "{err:?}");
    }
}

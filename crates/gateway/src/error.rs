//! [`GatewayError`] (starting the server) and [`ApiError`] (one request, in OpenAI's error
//! JSON shape).

use std::net::SocketAddr;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The gateway could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// Binding the listen address failed.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server failed while running.
    #[error("gateway server failed: {0}")]
    Serve(std::io::Error),
    /// A setting is invalid.
    #[error("invalid gateway configuration: {0}")]
    Config(String),
}

impl GatewayError {
    /// What to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            GatewayError::Bind { .. } => Some("is the port in use? pick another with --port"),
            GatewayError::Serve(_) => None,
            GatewayError::Config(_) => Some("see docs/gateway.md"),
        }
    }
}

/// An error answered to an API client:
/// `{"error": {"message", "type", "param", "code"}}` with an HTTP status.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Human-readable message.
    pub message: String,
    /// OpenAI error type (`invalid_request_error`, `server_error`, ...).
    pub kind: &'static str,
    /// The offending parameter.
    pub param: Option<&'static str>,
    /// Machine-readable code.
    pub code: Option<&'static str>,
}

impl ApiError {
    /// 400 for a bad parameter.
    pub fn invalid(message: impl Into<String>, param: Option<&'static str>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind: "invalid_request_error",
            param,
            code: None,
        }
    }

    /// 401: no key, or an unknown key.
    pub fn unauthorized(provided: bool) -> Self {
        ApiError {
            status: StatusCode::UNAUTHORIZED,
            message: if provided {
                "Incorrect API key provided.".into()
            } else {
                "You didn't provide an API key. Send it as `Authorization: Bearer KEY`.".into()
            },
            kind: "invalid_request_error",
            param: None,
            code: Some("invalid_api_key"),
        }
    }

    /// 404 for an unknown route.
    pub fn not_found(path: &str) -> Self {
        ApiError {
            status: StatusCode::NOT_FOUND,
            message: format!("Unknown request URL: {path}."),
            kind: "invalid_request_error",
            param: None,
            code: Some("unknown_url"),
        }
    }

    /// 503: no miner to ask.
    pub fn no_miners() -> Self {
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message: "No miner is serving this subnet right now.".into(),
            kind: "server_error",
            param: None,
            code: Some("no_miners"),
        }
    }

    /// 502: every miner tried failed.
    pub fn miners_failed(tried: usize, last: &str) -> Self {
        ApiError {
            status: StatusCode::BAD_GATEWAY,
            message: format!("All {tried} miners tried failed; last error: {last}"),
            kind: "server_error",
            param: None,
            code: Some("miners_failed"),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        json!({"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(self.body())).into_response()
    }
}

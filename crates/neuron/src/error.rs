//! Error enums, one per domain: request verification ([`VerifyError`]), axon rejections
//! ([`AxonError`], each with its status code and the reference's message), handler failures
//! ([`ForwardError`]) and setup/transport failures ([`Error`]).

use crate::terminal::status;

/// Why a request's signature or nonce was not accepted. `Display` matches the Python SDK's
/// messages where it has one.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum VerifyError {
    /// No `bt_header_dendrite_signature`.
    #[error("Missing Signature")]
    MissingSignature,
    /// No `bt_header_dendrite_nonce`.
    #[error("Missing Nonce")]
    MissingNonce,
    /// No `bt_header_dendrite_hotkey`, or not an SS58 address.
    #[error("Invalid hotkey {0:?}")]
    BadHotkey(String),
    /// The signature does not verify over the message.
    #[error("Signature mismatch with {message} and {signature}")]
    SignatureMismatch {
        /// The message the axon reconstructed.
        message: String,
        /// The signature as sent.
        signature: String,
    },
    /// First contact with a nonce older than the allowed delta.
    #[error(
        "Nonce is too old: acceptable delta is {allowed_s:.2} seconds but request was {age_s:.2} seconds old"
    )]
    NonceTooOld {
        /// Allowed age, seconds.
        allowed_s: f64,
        /// Actual age, seconds.
        age_s: f64,
    },
    /// The nonce was already used, or is below the accepted window.
    #[error("Nonce is too old, a newer one was last processed")]
    NonceNotNewer,
    /// Epistula: a required header is missing or malformed.
    #[error("Epistula: {0}")]
    Epistula(String),
}

/// A request the axon refused, or a failure while serving it. [`AxonError::status`] gives the
/// HTTP status, `Display` the `{"message": ...}` text.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum AxonError {
    /// No handler for this route.
    #[error("Synapse name '{name}' not found. Available synapses [{}]", .available.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", "))]
    UnknownSynapse {
        /// The requested name.
        name: String,
        /// Attached synapse names.
        available: Vec<String>,
    },
    /// The headers could not be read into a synapse.
    #[error(
        "Improperly formatted request. Could not parse headers into synapse of type {name}: {reason}"
    )]
    BadHeaders {
        /// Synapse name.
        name: String,
        /// What was wrong.
        reason: String,
    },
    /// Signature or nonce rejected.
    #[error("Not Verified with error: {0}")]
    NotVerified(#[from] VerifyError),
    /// Blacklisted caller.
    #[error("Forbidden. Key is blacklisted: {0}.")]
    Blacklisted(String),
    /// The priority queue is full and this caller ranks lowest.
    #[error("Service unavailable: axon is at capacity")]
    Overloaded,
    /// Waited in the priority queue until the request's timeout.
    #[error("Request timeout after {0} seconds waiting for priority")]
    PriorityTimeout(f64),
    /// Body over the configured limit.
    #[error("Request body too large: limit is {limit} bytes")]
    BodyTooLarge {
        /// Limit in bytes.
        limit: usize,
    },
    /// The body is not valid JSON for this synapse.
    #[error("Could not parse request body into synapse of type {name}: {reason}")]
    BadBody {
        /// Synapse name.
        name: String,
        /// Parser message.
        reason: String,
    },
    /// The body does not hash to the signed header hash (Python answers 500 here; we 400).
    #[error("Hash mismatch between header body hash {header} and parsed body hash {computed}")]
    BodyHashMismatch {
        /// Hash from the `computed_body_hash` header.
        header: String,
        /// Hash of the received body.
        computed: String,
    },
    /// The handler did not finish within the request's timeout.
    #[error("Request timeout after {0} seconds")]
    ForwardTimeout(f64),
    /// The handler failed.
    #[error("{0}")]
    Forward(ForwardError),
    /// Something unexpected on our side; the message carries an id for the logs.
    #[error("Internal Server Error #{0}")]
    Internal(String),
}

impl AxonError {
    /// The HTTP status code for this rejection.
    pub fn status(&self) -> u16 {
        match self {
            AxonError::UnknownSynapse { .. } => status::NOT_FOUND,
            AxonError::BadHeaders { .. }
            | AxonError::BadBody { .. }
            | AxonError::BodyHashMismatch { .. } => status::BAD_REQUEST,
            AxonError::NotVerified(_) => status::UNAUTHORIZED,
            AxonError::Blacklisted(_) => status::FORBIDDEN,
            AxonError::Overloaded => status::UNAVAILABLE,
            AxonError::PriorityTimeout(_) | AxonError::ForwardTimeout(_) => status::TIMEOUT,
            AxonError::BodyTooLarge { .. } => status::PAYLOAD_TOO_LARGE,
            AxonError::Forward(e) => e.status,
            AxonError::Internal(_) => status::INTERNAL,
        }
    }
}

/// A failure reported by a synapse handler; the caller sees `status` and `message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ForwardError {
    /// HTTP status to answer with (400–599; other values become 500).
    pub status: u16,
    /// Message for the caller.
    pub message: String,
}

impl ForwardError {
    /// A 500 with `message`.
    pub fn new(message: impl Into<String>) -> Self {
        ForwardError {
            status: status::INTERNAL,
            message: message.into(),
        }
    }

    /// A failure with a specific status (clamped to 400–599).
    pub fn with_status(status: u16, message: impl Into<String>) -> Self {
        ForwardError {
            status: if (400..600).contains(&status) {
                status
            } else {
                status::INTERNAL
            },
            message: message.into(),
        }
    }
}

/// Setup and transport errors of the axon and dendrite.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Could not bind the listening socket.
    #[error("cannot bind axon to {addr}: {source}")]
    Bind {
        /// The address.
        addr: std::net::SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
    /// The HTTP server stopped with an error.
    #[error("axon server failed: {0}")]
    Serve(#[source] std::io::Error),
    /// The HTTP client could not be built.
    #[error("cannot build HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// A synapse could not be hashed.
    #[error(transparent)]
    BodyHash(#[from] crate::body_hash::BodyHashError),
    /// A benchmark or helper process failed.
    #[error("{0}")]
    Other(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_reference() {
        let e = AxonError::UnknownSynapse {
            name: "Nope".into(),
            available: vec!["Synapse".into(), "Echo".into()],
        };
        assert_eq!(
            e.to_string(),
            "Synapse name 'Nope' not found. Available synapses ['Synapse', 'Echo']"
        );
        assert_eq!(e.status(), 404);
        let e = AxonError::NotVerified(VerifyError::NonceTooOld {
            allowed_s: 16.0,
            age_s: 20.0123,
        });
        assert_eq!(
            e.to_string(),
            "Not Verified with error: Nonce is too old: acceptable delta is 16.00 seconds but request was 20.01 seconds old"
        );
        assert_eq!(
            AxonError::Blacklisted("Eve is blacklisted".into()).to_string(),
            "Forbidden. Key is blacklisted: Eve is blacklisted."
        );
        assert_eq!(
            AxonError::NotVerified(VerifyError::MissingSignature).to_string(),
            "Not Verified with error: Missing Signature"
        );
        assert_eq!(ForwardError::with_status(200, "x").status, 500);
    }
}

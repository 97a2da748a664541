//! What can go wrong while a test drives the binary, each with a hint.

use std::fmt;
use std::time::Duration;

/// A test-support failure. Its `Debug` form is the message and the hint, so that a test's
/// `.unwrap()` prints something a person can act on.
#[derive(thiserror::Error)]
pub enum TestkitError {
    /// A file, folder, socket or process could not be used.
    #[error("cannot {action}: {source}")]
    Io {
        /// What was being done.
        action: String,
        /// Why it failed.
        source: std::io::Error,
    },
    /// Something awaited did not happen in time.
    #[error("timed out after {timeout:?} waiting for {what}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// How long the wait was.
        timeout: Duration,
    },
    /// A child process ended while the test still needed it.
    #[error("{name} exited ({status}) before {what}")]
    Exited {
        /// The process.
        name: String,
        /// What it was expected to do first.
        what: String,
        /// How it ended.
        status: String,
    },
    /// `rustensor ARGS` did not end as the test expects.
    #[error(
        "rustensor {args} {problem} (exit {code:?})\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    )]
    Command {
        /// The arguments, as given.
        args: String,
        /// What was wrong.
        problem: String,
        /// The exit code (`None` if killed by a signal).
        code: Option<i32>,
        /// Its standard output.
        stdout: String,
        /// Its standard error.
        stderr: String,
    },
    /// Text that must be one JSON document is not.
    #[error("{what} is not JSON ({reason}): {text}")]
    Json {
        /// Where the text came from.
        what: String,
        /// The parser's complaint.
        reason: String,
        /// The text.
        text: String,
    },
    /// A JSON-RPC call failed.
    #[error("JSON-RPC {method}: {source}")]
    Rpc {
        /// The method called.
        method: String,
        /// The client's error.
        source: client::ClientError,
    },
    /// An HTTP request failed.
    #[error("HTTP {url}: {reason}")]
    Http {
        /// The address.
        url: String,
        /// Why.
        reason: String,
    },
    /// A process printed something other than what the test expects.
    #[error("unexpected output from {what}: {got}")]
    Unexpected {
        /// Whose output.
        what: String,
        /// What it was.
        got: String,
    },
}

impl TestkitError {
    /// What to look at next.
    pub fn hint(&self) -> String {
        match self {
            TestkitError::Io { .. } => {
                "check free disk space, file permissions and the process limit".into()
            }
            TestkitError::Timeout { .. } => {
                "the machine may be loaded: read the process logs printed above".into()
            }
            TestkitError::Exited { .. } => "read its log, printed above".into(),
            TestkitError::Command { .. } => "run the same command by hand to see it".into(),
            TestkitError::Json { .. } => {
                "with --json, stdout must hold one JSON document and nothing else".into()
            }
            TestkitError::Rpc { source, .. } => source
                .hint()
                .unwrap_or_else(|| "see docs/rpc.md for the method and its errors".into()),
            TestkitError::Http { .. } => "is the server up on that port?".into(),
            TestkitError::Unexpected { .. } => {
                "the command's output format changed: update the test support".into()
            }
        }
    }

    pub(crate) fn io(action: impl Into<String>, source: std::io::Error) -> Self {
        TestkitError::Io {
            action: action.into(),
            source,
        }
    }

    pub(crate) fn json(what: impl Into<String>, text: &str, reason: impl fmt::Display) -> Self {
        TestkitError::Json {
            what: what.into(),
            reason: reason.to_string(),
            text: text.to_owned(),
        }
    }
}

impl fmt::Debug for TestkitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}\n  hint: {}", self.hint())
    }
}

/// Results of test-support calls.
pub type Result<T, E = TestkitError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_the_message_and_the_hint() {
        let e = TestkitError::Timeout {
            what: "the node".into(),
            timeout: Duration::from_secs(3),
        };
        let shown = format!("{e:?}");
        assert!(shown.starts_with("timed out after 3s waiting for the node\n  hint: "));
        assert!(shown.contains("logs"), "{shown}");
    }
}

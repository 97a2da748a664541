//! Errors: [`Error`] for the framework and validators, [`BackendError`] for text backends.

/// Framework and validator errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The metagraph could not be read.
    #[error("metagraph unavailable: {0}")]
    Metagraph(String),
    /// The weight sink refused or failed.
    #[error("setting weights failed: {0}")]
    Weights(String),
    /// Weights were set too recently.
    #[error("weights rate-limited: {remaining_s:.1} s until the next set is allowed")]
    RateLimited {
        /// Seconds to wait.
        remaining_s: f64,
    },
    /// No neuron with an axon to query (other than ourselves).
    #[error("no miners to query")]
    NoMiners,
    /// The challenge could not be built (e.g. the reference model failed).
    #[error("could not build the challenge: {0}")]
    Challenge(String),
    /// A text backend failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// The protocol layer failed (bind, client).
    #[error(transparent)]
    Neuron(#[from] neuron::Error),
    /// A setting is out of range.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The node could not be reached or answered with an error.
    #[error("node: {message}")]
    Node {
        /// What happened.
        message: String,
        /// What to do, as the client or node said.
        hint: Option<String>,
    },
    /// The subnet does not exist on chain.
    #[error("subnet {0} does not exist")]
    SubnetNotFound(u16),
    /// The hotkey holds no uid on the subnet.
    #[error("hotkey {hotkey} is not registered on subnet {netuid}")]
    NotRegistered {
        /// Subnet.
        netuid: u16,
        /// The hotkey (SS58).
        hotkey: String,
    },
    /// The chain's weights rate limit forbids setting (or committing) weights before `next_block`.
    #[error(
        "weights rate limit: the next set is allowed at block {next_block} (now {now}, about {:.1} s)",
        wait.as_secs_f64()
    )]
    WeightsTooSoon {
        /// First block at which the chain accepts weights again.
        next_block: u64,
        /// The chain's finalized height when checked.
        now: u64,
        /// Estimated wait (blocks × measured block time).
        wait: std::time::Duration,
    },
    /// The chain refused a transaction (by dry run or in its block).
    #[error("the chain refused {call}: {error}")]
    Rejected {
        /// Call name (`set_weights`, `commit_weights`, ...).
        call: &'static str,
        /// The chain's error.
        error: chain::ChainError,
    },
}

impl From<client::ClientError> for Error {
    fn from(e: client::ClientError) -> Self {
        Error::Node {
            hint: e.hint(),
            message: e.to_string(),
        }
    }
}

impl Error {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        let s = |h: &str| Some(h.to_string());
        match self {
            Error::Metagraph(_) => s("check the node connection; the metagraph sync retries"),
            Error::Weights(_) => s("check the validator's stake, permit and the node logs"),
            Error::RateLimited { .. } => {
                s("weights_rate_limit on chain; the validator retries next tempo")
            }
            Error::NoMiners => s("no registered miner serves an axon yet"),
            Error::Challenge(_) => s("check the reference backend (model file or endpoint)"),
            Error::Backend(e) => e.hint().map(str::to_string),
            Error::Neuron(_) => None,
            Error::Config(_) => s("see docs/subnets.md for the settings and their ranges"),
            Error::Node { hint, .. } => hint.clone(),
            Error::SubnetNotFound(_) => {
                s("see `rustensor subnet list`, or create one with `rustensor subnet create`")
            }
            Error::NotRegistered { netuid, .. } => Some(format!(
                "register it first: `rustensor subnet register --netuid {netuid} --name WALLET --hotkey HOTKEY`"
            )),
            Error::WeightsTooSoon { .. } => {
                s("the subnet's weights_set_rate_limit; the validator retries next tempo")
            }
            Error::Rejected { error, .. } => s(error.hint()),
        }
    }
}

/// Errors of a text-generation backend.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BackendError {
    /// The embedded model failed.
    #[error("embedded model: {0}")]
    Model(String),
    /// The HTTP request did not complete.
    #[error("request to {endpoint} failed: {detail}")]
    Http {
        /// URL called.
        endpoint: String,
        /// Transport error.
        detail: String,
    },
    /// The endpoint answered with an error status.
    #[error("{endpoint} answered {status}: {body}")]
    Status {
        /// URL called.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// Start of the body.
        body: String,
    },
    /// The endpoint's answer is not an OpenAI chat completion.
    #[error("unexpected answer from {endpoint}: {detail}")]
    BadResponse {
        /// URL called.
        endpoint: String,
        /// What was wrong.
        detail: String,
    },
    /// The request is invalid (bad parameters).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// Another miner (relay) did not answer.
    #[error("upstream miner failed: {0}")]
    Upstream(String),
}

impl BackendError {
    /// What to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            BackendError::Model(_) => {
                Some("run `rustensor model fetch` or check the model file (docs/model.md)")
            }
            BackendError::Http { .. } => Some(
                "is the endpoint running? e.g. `ollama serve`, base URL http://127.0.0.1:11434",
            ),
            BackendError::Status { .. } => Some("check --model NAME and the endpoint's logs"),
            BackendError::BadResponse { .. } => {
                Some("the endpoint must speak OpenAI's /v1/chat/completions")
            }
            BackendError::InvalidRequest(_) => None,
            BackendError::Upstream(_) => Some("the relay target miner is down or too slow"),
        }
    }

    /// The axon status a miner answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            BackendError::InvalidRequest(_) => 400,
            BackendError::Http { .. } | BackendError::Status { .. } | BackendError::Upstream(_) => {
                502
            }
            BackendError::Model(_) | BackendError::BadResponse { .. } => 500,
        }
    }
}

impl From<BackendError> for neuron::ForwardError {
    fn from(e: BackendError) -> Self {
        neuron::ForwardError::with_status(e.status(), e.to_string())
    }
}

//! The one error type of devnet; [`DevnetError::hint`] says what to do about each.

use std::path::PathBuf;

use client::ClientError;

/// What went wrong starting, running or loading a development network.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    /// A file or folder could not be used.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was tried (`create`, `write`, ...).
        action: &'static str,
        /// On what.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No loopback port could be bound.
    #[error("cannot find a free port: {0}")]
    NoFreePort(std::io::Error),
    /// A port asked for is in use.
    #[error("port {port} is not free: {source}")]
    PortTaken {
        /// The port.
        port: u16,
        /// The flag that chose it.
        flag: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// A network without authorities was asked for.
    #[error("a network needs at least one authority")]
    NoAuthorities,
    /// The folder already holds a network.
    #[error("{} already holds a network", dir.display())]
    NetworkExists {
        /// The folder.
        dir: PathBuf,
    },
    /// The folder holds a network of another size.
    #[error("{} holds a network of {found} nodes, not {wanted}", dir.display())]
    NetworkSize {
        /// The folder.
        dir: PathBuf,
        /// Nodes found.
        found: usize,
        /// Nodes asked for.
        wanted: usize,
    },
    /// A node's files are wrong.
    #[error(transparent)]
    Config(#[from] node::spec::ConfigError),
    /// A child process could not be started.
    #[error("cannot start `{name}`: {source}")]
    Spawn {
        /// The child's name.
        name: String,
        /// Why.
        source: std::io::Error,
    },
    /// A node process did not report that it serves.
    #[error("the node of {} did not start", config.display())]
    NodeDidNotStart {
        /// Its config.
        config: PathBuf,
        /// Its log.
        log: PathBuf,
    },
    /// A child process exited while it should run.
    #[error("`{name}` exited ({status}); the end of its log:\n{tail}")]
    Exited {
        /// The child's name.
        name: String,
        /// Its exit status.
        status: String,
        /// The end of its log, indented.
        tail: String,
        /// Its log.
        log: PathBuf,
    },
    /// Stopping was asked for (Ctrl-C or SIGTERM).
    #[error("interrupted; every localnet process was stopped")]
    Interrupted,
    /// A localnet already runs from the folder.
    #[error("a localnet already runs from this folder (process {pid}; see {})", manifest.display())]
    AlreadyRunning {
        /// One of its processes.
        pid: u32,
        /// Its `localnet.json`.
        manifest: PathBuf,
    },
    /// A node of the network did not answer over RPC in time.
    #[error("node {name} did not come up: {reason}")]
    NodeNotUp {
        /// The node.
        name: String,
        /// The last error.
        reason: String,
    },
    /// The chain finalized nothing in time.
    #[error("the chain did not come up: {0}")]
    ChainNotUp(String),
    /// Miners or the gateway were not up in time.
    #[error(
        "not ready in time: {serving}/{miners} miners serving, gateway {}",
        if *gateway_up { "up" } else { "not answering" }
    )]
    NotReady {
        /// Miners serving.
        serving: usize,
        /// Miners started.
        miners: usize,
        /// Whether the gateway answered.
        gateway_up: bool,
    },
    /// The epochs asked for did not run in time.
    #[error("{epochs} epochs with weights did not run in time ({progress})")]
    EpochsNotRun {
        /// Epochs asked for.
        epochs: u64,
        /// The last summary line.
        progress: String,
    },
    /// A setup batch was not finalized in time.
    #[error("localnet setup: not finalized after {secs}s: {missing}")]
    SetupNotFinalized {
        /// The batch timeout.
        secs: u64,
        /// What was missing.
        missing: String,
    },
    /// A setup transaction was refused or failed.
    #[error("localnet setup: {what}: {source}")]
    SetupRefused {
        /// The transaction.
        what: String,
        /// Why.
        source: ClientError,
    },
    /// A setup transaction was included but did not apply.
    #[error("localnet setup: {what}: {reason}")]
    SetupFailed {
        /// The transaction.
        what: String,
        /// Why.
        reason: String,
    },
    /// Something that cannot happen did.
    #[error("{0}")]
    Bug(&'static str),
    /// Talking to a node failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// Talking to a node failed while doing `what`.
    #[error("{what}: {source}")]
    Rpc {
        /// What was being done.
        what: &'static str,
        /// Why it failed.
        source: ClientError,
    },
    /// A key could not be derived.
    #[error(transparent)]
    Keys(#[from] keys::Error),
    /// A wallet could not be written.
    #[error(transparent)]
    Wallet(#[from] wallet::Error),
    /// The embedded model could not be fetched.
    #[error(transparent)]
    Model(#[from] model::Error),
    /// An HTTP client could not be built.
    #[error("cannot build an HTTP client: {0}")]
    Http(#[from] reqwest::Error),
    /// A JSON document could not be encoded.
    #[error("cannot encode {what}: {source}")]
    Json {
        /// The document.
        what: &'static str,
        /// Why.
        source: serde_json::Error,
    },
    /// The async runtime did not start.
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
    /// A hotkey did not register.
    #[error("hotkey {hotkey} did not register on subnet {netuid}")]
    NotRegistered {
        /// The hotkey.
        hotkey: String,
        /// The subnet.
        netuid: u16,
    },
    /// A load run went wrong (the node under load misbehaved or was too slow).
    #[error("{0}")]
    Load(String),
    /// The Python venv for a benchmark could not be made.
    #[error("cannot prepare the Python bittensor venv: {0}")]
    Venv(String),
    /// A benchmark's axon process did not start or serve.
    #[error("{0}")]
    AxonProcess(String),
    /// The axon load generator failed.
    #[error(transparent)]
    Neuron(#[from] neuron::Error),
}

impl DevnetError {
    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        let text = match self {
            Self::Io { .. } => "check the permissions of --base-path, or pick another one",
            Self::NoFreePort(_) => "is the loopback interface up?",
            Self::PortTaken { flag, .. } => {
                return Some(format!("pick another with {flag} P, or {flag} 0 for any"));
            }
            Self::NoAuthorities => "pass --authorities 4 (tolerates one faulty authority)",
            Self::NetworkExists { .. } => {
                "pick another --base-path, or pass --force to overwrite it"
            }
            Self::NetworkSize { .. } => {
                "use another --base-path, or the same node counts as before"
            }
            Self::Config(e) => return e.hint().map(str::to_owned),
            Self::Spawn { .. } => "check that the rustensor binary is still in place",
            Self::NodeDidNotStart { log, .. } => {
                return Some(format!("see its log {}", log.display()));
            }
            Self::Exited { log, .. } => {
                return Some(format!("the whole log is {}", log.display()));
            }
            Self::Interrupted
            | Self::Load(_)
            | Self::Json { .. }
            | Self::Runtime(_)
            | Self::AxonProcess(_)
            | Self::Neuron(_) => return None,
            Self::AlreadyRunning { .. } => {
                "stop it with Ctrl-C, or pass another --base-path; if it is gone, delete that file"
            }
            Self::NodeNotUp { name, .. } => return Some(format!("see BASE/logs/{name}.log")),
            Self::ChainNotUp(_) => "see the node logs in BASE/logs",
            Self::NotReady { .. } => {
                "see the logs in BASE/logs; a slow machine may need a larger --timeout"
            }
            Self::EpochsNotRun { .. } => {
                "see the validators' logs in BASE/logs; a slow machine may need a larger --timeout"
            }
            Self::SetupNotFinalized { .. } => {
                "see BASE/logs/node.log; is the node producing blocks?"
            }
            Self::SetupRefused { source, .. } | Self::Rpc { source, .. } => return source.hint(),
            Self::Client(e) => return e.hint(),
            Self::SetupFailed { .. } => "this is a bug in localnet's setup; please report it",
            Self::Bug(_) => "this is a bug; please report it",
            Self::Keys(e) => return e.hint().map(str::to_owned),
            Self::Wallet(e) => return e.hint().map(str::to_owned),
            Self::Model(e) => return e.hint().map(str::to_owned),
            Self::Http(_) => "check the machine's TLS and proxy settings",
            Self::NotRegistered { .. } => "check the subnet's burn and registration settings",
            Self::Venv(_) => {
                "pass --python PATH to a Python with bittensor==10.5.0, or --no-python"
            }
        };
        Some(text.to_owned())
    }

    /// An I/O error about `path`.
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Shorthand for devnet's results.
pub type Result<T = (), E = DevnetError> = std::result::Result<T, E>;

//! Assembling and running one node in this process: the state database, the engine (a dev
//! chain of one authority, or an authority or full node of a network), the API server, the
//! Prometheus endpoint, and the stop signal (Ctrl-C or SIGTERM).
//!
//! The JSON-RPC server lives in the `rpc` crate, which depends on this one; [`run`] takes it
//! as an [`ApiServer`] so the node owns the assembly without depending on its own API layer.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chain::{ChainId, GenesisConfig};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_runtime::{Runner as _, Supervisor as _};

use crate::chain_adapter::ChainMachine;
use crate::dev::{DevError, open_state, runtime_config, start_single};
use crate::exec::NodeError;
use crate::network::{self as net, NetworkConfig, NetworkError, Peer, Role};
use crate::node::{Node, NodeConfig};
use crate::spec::{self, ConfigError, RoleName};

/// An API server started over a running node (the `rpc` crate's JSON-RPC server).
pub trait ApiServer: Send + 'static {
    /// Keeps the server running while held.
    type Handle: Send + 'static;

    /// Serves `node` on `addr`; returns the bound address and the handle.
    fn start(
        self,
        node: Node<ChainMachine>,
        chain_id: ChainId,
        addr: SocketAddr,
    ) -> impl Future<Output = Result<(SocketAddr, Self::Handle), ApiError>> + Send;
}

/// Why the API server did not start.
pub type ApiError = Box<dyn std::error::Error + Send + Sync>;

/// A node of a network (from its config file).
#[derive(Debug)]
pub struct NetworkNode {
    /// Its name.
    pub name: String,
    /// Authority or full node.
    pub role: RoleName,
    /// Its identity.
    pub key: ed25519::PrivateKey,
    /// Where it listens for peers.
    pub listen: SocketAddr,
    /// The chain's authorities.
    pub authorities: Vec<Peer>,
    /// Full nodes it accepts.
    pub full_nodes: Vec<Peer>,
    /// The config file it came from (named in errors).
    pub config: PathBuf,
}

/// How the node takes part in consensus.
#[derive(Debug)]
pub enum Mode {
    /// A development chain with one authority whose key is public.
    Dev,
    /// An authority or full node of a network.
    Network(Box<NetworkNode>),
}

/// Everything [`run`] needs.
#[derive(Debug)]
pub struct LaunchConfig {
    /// The chain's genesis.
    pub genesis: GenesisConfig,
    /// Block time and limits.
    pub node: NodeConfig,
    /// Where the state and the engine's archives live.
    pub base_path: PathBuf,
    /// Where the API server listens.
    pub rpc_addr: SocketAddr,
    /// Serve Prometheus metrics on 127.0.0.1:PORT/metrics (0 picks one).
    pub prometheus_port: Option<u16>,
    /// Dev chain or network node.
    pub mode: Mode,
}

impl LaunchConfig {
    /// A single-authority development chain.
    pub fn dev(
        genesis: GenesisConfig,
        base_path: PathBuf,
        rpc_addr: SocketAddr,
        block_time: Duration,
    ) -> Self {
        Self {
            genesis,
            node: NodeConfig {
                block_time,
                ..NodeConfig::dev()
            },
            base_path,
            rpc_addr,
            prometheus_port: None,
            mode: Mode::Dev,
        }
    }

    /// The node a config file describes (see [`spec::load`]).
    pub fn from_file(config: &Path) -> Result<Self, ConfigError> {
        let loaded = spec::load(config)?;
        let node = NodeConfig {
            block_time: Duration::from_millis(loaded.spec.block_time_ms.max(1)),
            genesis_timestamp_ms: loaded.spec.genesis_timestamp_ms,
            ..NodeConfig::dev()
        };
        Ok(Self {
            genesis: loaded.spec.genesis,
            node,
            base_path: loaded.base_path,
            rpc_addr: SocketAddr::new(loaded.file.rpc_addr, loaded.file.rpc_port),
            prometheus_port: loaded.file.prometheus_port,
            mode: Mode::Network(Box::new(NetworkNode {
                name: loaded.file.name,
                role: loaded.file.role,
                key: loaded.key,
                listen: loaded.file.listen,
                authorities: loaded.authorities,
                full_nodes: loaded.full_nodes,
                config: config.to_path_buf(),
            })),
        })
    }
}

/// What a started node reports.
#[derive(Debug, Clone)]
pub struct Started {
    /// Where the API server listens.
    pub rpc: SocketAddr,
    /// The chain id signatures bind to (its genesis hash is the genesis state's).
    pub chain_id: ChainId,
    /// The hash of the genesis block.
    pub genesis_block_hash: [u8; 32],
    /// The data folder.
    pub base_path: PathBuf,
    /// Where `/metrics` is served.
    pub metrics: Option<SocketAddr>,
    /// Name, role, public key and p2p address of a network node.
    pub network: Option<NetworkIdentity>,
}

/// A network node as its peers know it.
#[derive(Debug, Clone)]
pub struct NetworkIdentity {
    /// Its name.
    pub name: String,
    /// Authority or full node.
    pub role: RoleName,
    /// Its public key, hex.
    pub public_key: String,
    /// Where it listens for peers.
    pub p2p: SocketAddr,
}

/// Why a node did not start.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// Its files are wrong.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The genesis does not build.
    #[error("bad genesis in the chain spec: {0}")]
    Genesis(String),
    /// The state database did not open or does not match the chain.
    #[error("the node did not start: {0}")]
    Node(#[from] NodeError),
    /// The dev engine did not start.
    #[error("the node did not start: {0}")]
    Dev(#[from] DevError),
    /// The node could not join its network.
    #[error("could not join the network: {0}")]
    Network(#[from] NetworkError),
    /// The API server did not start.
    #[error("{reason}")]
    Api {
        /// Why.
        reason: ApiError,
        /// Whether the address came from a config file (else from flags).
        from_file: bool,
    },
    /// The metrics server did not start.
    #[error("cannot serve metrics on {addr}: {source}")]
    Metrics {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
}

impl LaunchError {
    /// What to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Config(e) => e.hint(),
            Self::Genesis(_) => Some("check the chain spec"),
            Self::Node(_) | Self::Dev(_) => {
                Some("a base path holds one chain; use a fresh one for another chain spec")
            }
            Self::Network(_) => Some("check the node config and the chain spec"),
            Self::Api {
                from_file: true, ..
            } => Some("pick another rpc_port in the node config"),
            Self::Api { .. } => Some("pick another port with --rpc-port"),
            Self::Metrics { .. } => Some("pick another --prometheus-port"),
        }
    }
}

/// Runs the node until Ctrl-C or SIGTERM; `on_started` hears once everything serves.
pub fn run<A: ApiServer>(
    config: LaunchConfig,
    api: A,
    on_started: impl FnOnce(&Started) + Send + 'static,
) -> Result<(), LaunchError> {
    let machine = ChainMachine::new(config.genesis.clone())
        .map_err(|e| LaunchError::Genesis(e.to_string()))?;
    let mut runtime = runtime_config(&config.base_path);
    if matches!(config.mode, Mode::Network(_)) {
        runtime = runtime.with_tcp_nodelay(Some(true));
    }
    commonware_runtime::tokio::Runner::new(runtime).start(|context| async move {
        let started = assemble(context, config, machine, api).await?;
        on_started(&started.info);
        wait_for_stop().await;
        drop(started);
        Ok(())
    })
}

/// The running parts, stopped when dropped.
struct Running<H> {
    info: Started,
    _network: Option<net::Running>,
    _engine: Option<commonware_runtime::Handle<()>>,
    _api: H,
}

async fn assemble<A: ApiServer>(
    context: commonware_runtime::tokio::Context,
    config: LaunchConfig,
    machine: ChainMachine,
    api: A,
) -> Result<Running<A::Handle>, LaunchError> {
    let chain_id = machine.chain_id();
    let db = open_state(&config.base_path)?;
    let (node, engine, network, identity) = match config.mode {
        Mode::Dev => {
            // The dev chain's single authority; its key is not a secret.
            let signer = ed25519::PrivateKey::from_seed(0);
            let (node, engine) =
                start_single(context.child("node"), machine, db, config.node, signer).await?;
            (node, Some(engine), None, None)
        }
        Mode::Network(n) => {
            let node = Node::new(machine, db, config.node)?;
            let namespace = net::chain_namespace(&node.genesis().hash(), &n.authorities);
            let identity = NetworkIdentity {
                name: n.name,
                role: n.role,
                public_key: net::public_key_hex(&n.key.public_key()),
                p2p: n.listen,
            };
            let running = net::start(
                context.child("network"),
                &node,
                NetworkConfig {
                    key: n.key,
                    role: Role::from(n.role),
                    listen: n.listen,
                    authorities: n.authorities,
                    full_nodes: n.full_nodes,
                    namespace,
                },
            )
            .await?;
            (node, None, Some(running), Some(identity))
        }
    };
    let from_file = identity.is_some();
    let (rpc, api_handle) = api
        .start(node.clone(), chain_id, config.rpc_addr)
        .await
        .map_err(|reason| LaunchError::Api { reason, from_file })?;
    let metrics = match config.prometheus_port {
        Some(port) => {
            let addr = metrics_addr(port);
            let bound = crate::metrics::serve(&context, &node, addr)
                .await
                .map_err(|source| LaunchError::Metrics { addr, source })?;
            Some(bound)
        }
        None => None,
    };
    Ok(Running {
        info: Started {
            rpc,
            chain_id,
            genesis_block_hash: node.genesis().hash(),
            base_path: config.base_path,
            metrics,
            network: identity,
        },
        _network: network,
        _engine: engine,
        _api: api_handle,
    })
}

fn metrics_addr(port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
}

/// Waits for Ctrl-C or (on Unix) SIGTERM.
pub async fn wait_for_stop() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An API server that serves nothing and reports the address it was given.
    struct NoApi;

    impl ApiServer for NoApi {
        type Handle = ();

        async fn start(
            self,
            _node: Node<ChainMachine>,
            _chain_id: ChainId,
            addr: SocketAddr,
        ) -> Result<(SocketAddr, ()), ApiError> {
            Ok((addr, ()))
        }
    }

    #[test]
    fn a_dev_node_assembles_with_its_api_and_metrics() {
        let dir = tempfile::tempdir().unwrap();
        let genesis = GenesisConfig::dev(chain::Preset::Fast).unwrap();
        let rpc_addr = SocketAddr::from(([127, 0, 0, 1], 9));
        let mut config = LaunchConfig::dev(
            genesis.clone(),
            dir.path().to_path_buf(),
            rpc_addr,
            Duration::from_millis(250),
        );
        config.prometheus_port = Some(0);
        let machine = ChainMachine::new(genesis).unwrap();
        let expected = machine.chain_id();
        let runtime = runtime_config(dir.path());
        commonware_runtime::tokio::Runner::new(runtime).start(|context| async move {
            let running = assemble(context, config, machine, NoApi).await.unwrap();
            let info = &running.info;
            assert_eq!(
                info.rpc, rpc_addr,
                "the API server's bound address is reported"
            );
            assert_eq!(info.chain_id, expected);
            assert!(info.network.is_none());
            assert!(info.metrics.is_some_and(|a| a.port() != 0));
            assert!(dir.path().join("state.redb").is_file());
        });
    }

    #[test]
    fn errors_point_at_the_setting_to_change() {
        let api = |from_file| LaunchError::Api {
            reason: "address in use".into(),
            from_file,
        };
        assert!(api(true).hint().unwrap().contains("rpc_port"));
        assert!(api(false).hint().unwrap().contains("--rpc-port"));
        let e = LaunchError::from(ConfigError::BadGenesis("x".into()));
        assert_eq!(e.hint(), Some("check the chain spec"));
    }
}

//! The files a node runs from (all JSON; relative paths are relative to the file that names
//! them):
//!
//! - the **chain spec** ([`ChainSpec`], `chain-spec.json`): the genesis state, the genesis
//!   timestamp, the block time, and the authorities (name, ed25519 public key, address). Every
//!   node of a chain uses the same one; the genesis hash and the authority set make the chain's
//!   namespace. A bare genesis (what `node export-genesis` writes without authorities) runs a
//!   dev chain ([`read_genesis`]).
//! - a **node config** ([`NodeFile`], `<name>/node.json`): role, identity key file, listen
//!   address, chain spec, base path, RPC address and port, and the full nodes this node accepts
//!   connections from.
//! - an **identity key** (`<name>/identity.key`): the hex ed25519 seed, mode 0600
//!   ([`read_key`], [`write_new_key`]).
//!
//! [`load`] reads a node config with everything it names. See `docs/network.md`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use chain::GenesisConfig;
use commonware_cryptography::{Signer as _, ed25519};
use serde::{Deserialize, Serialize};

use crate::network::{self as net, KeyError, Peer, Role};

/// File name of the chain spec inside a network folder.
pub const CHAIN_SPEC: &str = "chain-spec.json";
/// File name of a node's config inside its folder.
pub const NODE_CONFIG: &str = "node.json";
/// File name of a node's identity key inside its folder.
pub const IDENTITY_KEY: &str = "identity.key";

/// A chain spec with its authorities.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChainSpec {
    /// A name for people.
    pub name: String,
    /// The genesis state.
    pub genesis: GenesisConfig,
    /// Genesis timestamp (ms since the Unix epoch); part of the genesis hash.
    pub genesis_timestamp_ms: u64,
    /// Target time between blocks.
    pub block_time_ms: u64,
    /// The consensus participants.
    pub authorities: Vec<PeerEntry>,
}

impl ChainSpec {
    /// A spec named `name` whose genesis timestamp is now.
    pub fn new(
        name: impl Into<String>,
        genesis: GenesisConfig,
        block_time_ms: u64,
        authorities: Vec<PeerEntry>,
    ) -> Self {
        Self {
            name: name.into(),
            genesis,
            genesis_timestamp_ms: now_ms(),
            block_time_ms,
            authorities,
        }
    }

    /// The spec as pretty JSON (the file format).
    pub fn to_json(&self) -> Result<String, ConfigError> {
        to_json(self)
    }
}

/// A node as other nodes know it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeerEntry {
    /// A name for people (logs, `network.json`).
    pub name: String,
    /// ed25519 public key, hex.
    pub public_key: String,
    /// Where it listens for peers.
    pub address: SocketAddr,
}

impl PeerEntry {
    /// The peer the network layer dials; `source` names the file it came from (for errors).
    pub fn to_peer(&self, source: &Path) -> Result<Peer, ConfigError> {
        let public_key =
            net::public_key_from_hex(&self.public_key).map_err(|e| ConfigError::BadPeerKey {
                file: source.to_path_buf(),
                name: self.name.clone(),
                source: e,
            })?;
        Ok(Peer {
            public_key,
            address: self.address,
        })
    }
}

impl FromStr for PeerEntry {
    type Err = ConfigError;

    /// `NAME=PUBLIC_KEY_HEX@HOST:PORT`, with the key checked.
    fn from_str(text: &str) -> Result<Self, ConfigError> {
        let bad = || ConfigError::BadAuthority(text.to_owned());
        let (name, rest) = text.split_once('=').ok_or_else(bad)?;
        let (key, addr) = rest.split_once('@').ok_or_else(bad)?;
        let entry = PeerEntry {
            name: name.to_owned(),
            public_key: key.to_owned(),
            address: addr.parse().map_err(|_| bad())?,
        };
        entry.to_peer(Path::new("--authority"))?;
        Ok(entry)
    }
}

/// One node's config file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NodeFile {
    /// A name for people.
    pub name: String,
    /// `authority` or `full`.
    pub role: RoleName,
    /// The identity key file (hex ed25519 seed).
    pub key_file: PathBuf,
    /// Where to listen for peers.
    pub listen: SocketAddr,
    /// The chain spec.
    pub chain_spec: PathBuf,
    /// Where the node keeps its data.
    pub base_path: PathBuf,
    /// JSON-RPC listen address.
    #[serde(default = "loopback")]
    pub rpc_addr: IpAddr,
    /// JSON-RPC port (0 picks one).
    pub rpc_port: u16,
    /// Full nodes this node accepts connections from (besides the authorities).
    #[serde(default)]
    pub full_nodes: Vec<PeerEntry>,
    /// Serve Prometheus metrics on 127.0.0.1:PORT/metrics (`--prometheus-port` overrides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus_port: Option<u16>,
}

impl NodeFile {
    /// Reads a node config file.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        read_json(path, FileKind::NodeConfig)
    }

    /// Writes it to `path` (creating the folder).
    pub fn write(&self, path: &Path) -> Result<(), ConfigError> {
        write_file(path, &to_json(self)?)
    }
}

/// 127.0.0.1, the default RPC address.
pub fn loopback() -> IpAddr {
    IpAddr::V4(Ipv4Addr::LOCALHOST)
}

/// A role in a config file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    /// Consensus participant.
    Authority,
    /// Follower.
    Full,
}

impl From<RoleName> for Role {
    fn from(r: RoleName) -> Self {
        match r {
            RoleName::Authority => Role::Authority,
            RoleName::Full => Role::Full,
        }
    }
}

impl fmt::Display for RoleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Role::from(*self).fmt(f)
    }
}

/// Which file a [`ConfigError`] is about (it picks the hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A node config (`node.json`).
    NodeConfig,
    /// A chain spec with authorities.
    ChainSpec,
    /// A bare genesis (`node --genesis FILE`).
    Genesis,
    /// An identity key.
    IdentityKey,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NodeConfig => "node config",
            Self::ChainSpec | Self::Genesis => "chain spec",
            Self::IdentityKey => "identity key",
        })
    }
}

impl FileKind {
    fn hint(self) -> &'static str {
        match self {
            Self::NodeConfig => {
                "generate configs with `rustensor node init-network --base-path DIR`"
            }
            Self::ChainSpec => {
                "a chain spec with authorities comes from `rustensor node init-network` or `node \
                 export-genesis --authority ...`"
            }
            Self::Genesis => "write one with `rustensor node export-genesis -o FILE` and edit it",
            Self::IdentityKey => "generate keys and configs with `rustensor node init-network`",
        }
    }
}

/// What is wrong with a node's files.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A file could not be read.
    #[error("cannot read the {kind} {}: {source}", path.display())]
    Read {
        /// Which file.
        kind: FileKind,
        /// Its path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not what it should be.
    #[error("{} is not a valid {kind}: {reason}", path.display())]
    Parse {
        /// Which file.
        kind: FileKind,
        /// Its path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// Its path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A peer's public key does not parse.
    #[error("{}: key of {name} is bad: {source}", file.display())]
    BadPeerKey {
        /// The file (or flag) that names the peer.
        file: PathBuf,
        /// The peer's name.
        name: String,
        /// Why.
        source: KeyError,
    },
    /// An identity key file does not hold a key.
    #[error("{} is not an identity key: {source}", path.display())]
    BadIdentityKey {
        /// Its path.
        path: PathBuf,
        /// Why.
        source: KeyError,
    },
    /// `--authority` is not `NAME=KEY@HOST:PORT`.
    #[error("--authority {0}: expected NAME=KEY@HOST:PORT")]
    BadAuthority(String),
    /// An authority's key is not in the chain spec.
    #[error("{}: the key of {name} is not among the chain spec's authorities", config.display())]
    NotAnAuthority {
        /// The node config.
        config: PathBuf,
        /// The node's name.
        name: String,
    },
    /// The genesis does not build.
    #[error("bad genesis in the chain spec: {0}")]
    BadGenesis(String),
}

impl ConfigError {
    /// What to do about it.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Self::Read { kind, .. } => Some(kind.hint()),
            Self::Parse { kind, .. } => Some(kind.hint()),
            Self::Write { .. } => Some("check the folder's permissions, or pick another one"),
            Self::BadPeerKey { .. } => {
                Some("public keys are 64 hex digits (see the node's identity)")
            }
            Self::BadIdentityKey { .. } => {
                Some("an identity key file holds 64 hex digits (an ed25519 seed)")
            }
            Self::BadAuthority(_) => Some("e.g. --authority a0=3b6a27bc...@10.0.0.1:30300"),
            Self::NotAnAuthority { .. } => {
                Some("set \"role\": \"full\", or add its public key to the chain spec")
            }
            Self::BadGenesis(_) => Some("check the chain spec"),
        }
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path, kind: FileKind) -> Result<T, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        kind,
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|e| ConfigError::Parse {
        kind,
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

/// Writes `text` to `path`, creating its folder.
pub fn write_file(path: &Path, text: &str) -> Result<(), ConfigError> {
    let write_err = |p: &Path, source| ConfigError::Write {
        path: p.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| write_err(dir, e))?;
    }
    std::fs::write(path, text).map_err(|e| write_err(path, e))
}

fn to_json<T: Serialize>(value: &T) -> Result<String, ConfigError> {
    // Our own types always serialize; the error path only satisfies the signature.
    serde_json::to_string_pretty(value).map_err(|e| ConfigError::Parse {
        kind: FileKind::NodeConfig,
        path: PathBuf::new(),
        reason: e.to_string(),
    })
}

/// `path` if absolute, else relative to the folder of `file`.
pub fn relative_to(file: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    file.parent().unwrap_or_else(|| Path::new(".")).join(path)
}

/// Reads a bare genesis (a chain spec without authorities, for a dev chain).
pub fn read_genesis(path: &Path) -> Result<GenesisConfig, ConfigError> {
    read_json(path, FileKind::Genesis)
}

/// Reads a chain spec with authorities.
pub fn read_chain_spec(path: &Path) -> Result<ChainSpec, ConfigError> {
    read_json(path, FileKind::ChainSpec)
}

/// Reads an identity key file.
pub fn read_key(path: &Path) -> Result<ed25519::PrivateKey, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        kind: FileKind::IdentityKey,
        path: path.to_path_buf(),
        source,
    })?;
    net::private_key_from_hex(&text).map_err(|source| ConfigError::BadIdentityKey {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes a fresh identity key (mode 0600); returns its public key as hex.
pub fn write_new_key(path: &Path) -> Result<String, ConfigError> {
    let key = net::generate_key();
    write_file(path, &net::private_key_hex(&key))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(
            |source| ConfigError::Write {
                path: path.to_path_buf(),
                source,
            },
        )?;
    }
    Ok(net::public_key_hex(&key.public_key()))
}

/// Changes the JSON-RPC port in a node config file.
pub fn set_rpc_port(config: &Path, port: u16) -> Result<(), ConfigError> {
    let mut file = NodeFile::read(config)?;
    file.rpc_port = port;
    file.write(config)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A node config with everything it names, read and checked.
#[derive(Debug)]
pub struct LoadedNode {
    /// The config file as written.
    pub file: NodeFile,
    /// Its chain spec.
    pub spec: ChainSpec,
    /// Its identity.
    pub key: ed25519::PrivateKey,
    /// Its data folder (resolved).
    pub base_path: PathBuf,
    /// The chain's authorities.
    pub authorities: Vec<Peer>,
    /// The full nodes it accepts.
    pub full_nodes: Vec<Peer>,
}

/// Reads the node config at `config`, its chain spec and identity key; refuses an authority
/// whose key the chain spec does not list.
pub fn load(config: &Path) -> Result<LoadedNode, ConfigError> {
    let file = NodeFile::read(config)?;
    let spec_path = relative_to(config, &file.chain_spec);
    let spec = read_chain_spec(&spec_path)?;
    let key = read_key(&relative_to(config, &file.key_file))?;
    let authorities = spec
        .authorities
        .iter()
        .map(|p| p.to_peer(&spec_path))
        .collect::<Result<Vec<_>, _>>()?;
    let full_nodes = file
        .full_nodes
        .iter()
        .map(|p| p.to_peer(config))
        .collect::<Result<Vec<_>, _>>()?;
    let me = key.public_key();
    if file.role == RoleName::Authority && !authorities.iter().any(|p| p.public_key == me) {
        return Err(ConfigError::NotAnAuthority {
            config: config.to_path_buf(),
            name: file.name,
        });
    }
    let base_path = relative_to(config, &file.base_path);
    Ok(LoadedNode {
        file,
        spec,
        key,
        base_path,
        authorities,
        full_nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_with(dir: &Path, authorities: Vec<PeerEntry>) -> PathBuf {
        let genesis = GenesisConfig::dev(chain::Preset::Fast).unwrap();
        let path = dir.join(CHAIN_SPEC);
        write_file(
            &path,
            &ChainSpec::new("t", genesis, 250, authorities)
                .to_json()
                .unwrap(),
        )
        .unwrap();
        path
    }

    fn node_file(name: &str, role: RoleName) -> NodeFile {
        NodeFile {
            name: name.into(),
            role,
            key_file: PathBuf::from(IDENTITY_KEY),
            listen: "127.0.0.1:30300".parse().unwrap(),
            chain_spec: PathBuf::from("..").join(CHAIN_SPEC),
            base_path: PathBuf::from("data"),
            rpc_addr: loopback(),
            rpc_port: 0,
            full_nodes: Vec::new(),
            prometheus_port: None,
        }
    }

    #[test]
    fn a_node_config_loads_with_its_spec_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let public_key = write_new_key(&dir.path().join("a/identity.key")).unwrap();
        let entry = PeerEntry {
            name: "a".into(),
            public_key,
            address: "127.0.0.1:30300".parse().unwrap(),
        };
        spec_with(dir.path(), vec![entry]);
        let config = dir.path().join("a").join(NODE_CONFIG);
        node_file("a", RoleName::Authority).write(&config).unwrap();
        set_rpc_port(&config, 9955).unwrap();
        let loaded = load(&config).unwrap();
        assert_eq!(loaded.file.rpc_port, 9955);
        assert_eq!(loaded.authorities.len(), 1);
        assert_eq!(loaded.base_path, dir.path().join("a").join("data"));
    }

    #[test]
    fn an_authority_outside_the_spec_is_refused_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        write_new_key(&dir.path().join("a/identity.key")).unwrap();
        spec_with(dir.path(), Vec::new());
        let config = dir.path().join("a").join(NODE_CONFIG);
        node_file("a", RoleName::Authority).write(&config).unwrap();
        let e = load(&config).unwrap_err();
        assert!(matches!(e, ConfigError::NotAnAuthority { .. }), "{e}");
        assert!(e.hint().unwrap().contains("\"role\": \"full\""));
        // As a full node it may run.
        node_file("a", RoleName::Full).write(&config).unwrap();
        assert!(load(&config).is_ok());
    }

    #[test]
    fn missing_and_broken_files_name_the_file_and_a_fix() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.json");
        let e = load(&missing).unwrap_err();
        assert!(e.to_string().contains("none.json"), "{e}");
        assert!(e.hint().unwrap().contains("init-network"));
        let key = dir.path().join("identity.key");
        std::fs::write(&key, "zz").unwrap();
        let e = read_key(&key).unwrap_err();
        assert!(matches!(e, ConfigError::BadIdentityKey { .. }), "{e}");
        std::fs::write(&missing, "{").unwrap();
        let e = read_genesis(&missing).unwrap_err();
        assert!(e.to_string().contains("is not a valid chain spec"), "{e}");
    }

    #[test]
    fn authority_flags_parse_and_check_the_key() {
        let key = net::public_key_hex(&net::generate_key().public_key());
        let entry: PeerEntry = format!("a0={key}@10.0.0.1:30300").parse().unwrap();
        assert_eq!(entry.name, "a0");
        assert_eq!(entry.address, "10.0.0.1:30300".parse().unwrap());
        assert!(matches!(
            "a0".parse::<PeerEntry>(),
            Err(ConfigError::BadAuthority(_))
        ));
        assert!(matches!(
            "a0=abcd@10.0.0.1:30300".parse::<PeerEntry>(),
            Err(ConfigError::BadPeerKey { .. })
        ));
    }

    #[test]
    #[cfg(unix)]
    fn identity_keys_are_private_and_read_back() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/identity.key");
        let public = write_new_key(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let key = read_key(&path).unwrap();
        assert_eq!(net::public_key_hex(&key.public_key()), public);
    }
}

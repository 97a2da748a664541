//! What localnet builds: two subnets (text generation and forecasting), each with 2 validators
//! and 4 miners of quality ranks 1 to 4 (4 best), the wallets that hold their keys, and the
//! child commands that run them.
//!
//! Keys are derived from fixed dev URIs, so every run has the same addresses: the subnets'
//! owner is `//Alice` (the dev chain's funded sudo key), every other coldkey is
//! `//localnet//WALLET` (funded by Alice at setup) and every hotkey `COLDKEY_URI//HOTKEY`. They
//! are written as plaintext Bittensor wallets under `BASE/wallets`: this is a development
//! network, and its keys are public knowledge.

use std::ffi::OsString;
use std::path::Path;

use keys::Keypair;
use types::{AccountId, NetUid};
use wallet::{KdfParams, Wallet};

use crate::error::{DevnetError, Result};

/// Validators per subnet.
pub const VALIDATORS: usize = 2;
/// Miners per subnet; miner `i` (1-based) has quality rank `i`.
pub const MINERS: u8 = 4;

/// The two example subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Text generation (`--subnet text`).
    Text,
    /// Forecasting (`--subnet forecast`).
    Forecast,
}

impl Kind {
    /// Both, in order.
    pub const ALL: [Kind; 2] = [Kind::Text, Kind::Forecast];

    /// The `--subnet` value and hotkey name.
    pub fn flag(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Forecast => "forecast",
        }
    }

    /// The subnet's display name.
    pub fn title(self) -> &'static str {
        match self {
            Kind::Text => "text-generation",
            Kind::Forecast => "forecasting",
        }
    }
}

/// What a neuron does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Scores miners and sets weights.
    Validator,
    /// Serves the subnet's synapse.
    Miner,
}

/// One key of a wallet.
#[derive(Debug, Clone)]
pub struct Key {
    /// The secret URI it comes from.
    pub uri: String,
    /// The keypair.
    pub pair: Keypair,
}

impl Key {
    fn from_uri(uri: String) -> Result<Self> {
        let pair = Keypair::from_uri(&uri)?;
        Ok(Self { uri, pair })
    }

    /// Its address.
    pub fn account(&self) -> AccountId {
        self.pair.account_id()
    }
}

/// A wallet localnet writes.
#[derive(Debug, Clone)]
pub struct WalletPlan {
    /// Wallet name.
    pub name: String,
    /// Its coldkey.
    pub coldkey: Key,
    /// Hotkeys by name.
    pub hotkeys: Vec<(String, Key)>,
}

/// A neuron localnet registers and runs.
#[derive(Debug, Clone)]
pub struct NeuronPlan {
    /// Its subnet.
    pub kind: Kind,
    /// Validator or miner.
    pub role: Role,
    /// Quality rank of a miner (1..=4, 4 best).
    pub quality: Option<u8>,
    /// Index into [`Plan::wallets`].
    pub wallet: usize,
    /// The hotkey's name in that wallet.
    pub hotkey_name: String,
    /// The hotkey.
    pub hotkey: Key,
}

impl NeuronPlan {
    /// The child process's name (and log file's).
    pub fn process_name(&self, wallet: &WalletPlan) -> String {
        format!("{}-{}", self.kind.flag(), wallet.name)
    }
}

/// The whole layout.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Wallets; the first is the owner (`//Alice`).
    pub wallets: Vec<WalletPlan>,
    /// Validators then miners, text subnet first.
    pub neurons: Vec<NeuronPlan>,
}

/// The owner wallet's name.
pub const OWNER: &str = "owner";

impl Plan {
    /// The standard layout.
    pub fn standard() -> Result<Self> {
        let mut wallets = Vec::new();
        let owner = Key::from_uri("//Alice".into())?;
        let owner_hotkeys = Kind::ALL
            .iter()
            .map(|k| {
                let name = k.flag().to_string();
                Key::from_uri(format!("//Alice//localnet//{name}")).map(|key| (name, key))
            })
            .collect::<Result<Vec<_>>>()?;
        wallets.push(WalletPlan {
            name: OWNER.into(),
            coldkey: owner,
            hotkeys: owner_hotkeys,
        });
        let mut neurons = Vec::new();
        let mut add = |name: String, role: Role, quality: Option<u8>| -> Result {
            let cold_uri = format!("//localnet//{name}");
            let coldkey = Key::from_uri(cold_uri.clone())?;
            let mut hotkeys = Vec::new();
            for kind in Kind::ALL {
                let hk = Key::from_uri(format!("{cold_uri}//{}", kind.flag()))?;
                hotkeys.push((kind.flag().to_string(), hk.clone()));
                neurons.push(NeuronPlan {
                    kind,
                    role,
                    quality,
                    wallet: wallets.len(),
                    hotkey_name: kind.flag().to_string(),
                    hotkey: hk,
                });
            }
            wallets.push(WalletPlan {
                name,
                coldkey,
                hotkeys,
            });
            Ok(())
        };
        for v in 1..=VALIDATORS {
            add(format!("validator{v}"), Role::Validator, None)?;
        }
        for q in 1..=MINERS {
            add(format!("miner{q}"), Role::Miner, Some(q))?;
        }
        neurons.sort_by_key(|n| (n.kind == Kind::Forecast, n.role == Role::Miner, n.quality));
        Ok(Self { wallets, neurons })
    }

    /// The owner wallet.
    pub fn owner(&self) -> Result<&WalletPlan> {
        self.wallets
            .first()
            .ok_or_else(|| DevnetError::Bug("localnet plan has no owner wallet"))
    }

    /// The wallet of a neuron.
    pub fn wallet_of(&self, n: &NeuronPlan) -> Result<&WalletPlan> {
        self.wallets
            .get(n.wallet)
            .ok_or_else(|| DevnetError::Bug("localnet plan: a neuron without a wallet"))
    }

    /// The owner hotkey of a subnet.
    pub fn owner_hotkey(&self, kind: Kind) -> Result<&Key> {
        self.owner()?
            .hotkeys
            .iter()
            .find(|(name, _)| name == kind.flag())
            .map(|(_, k)| k)
            .ok_or_else(|| DevnetError::Bug("localnet plan: no owner hotkey"))
    }

    /// Writes every wallet as plaintext keyfiles under `root`, replacing what is there.
    pub fn write_wallets(&self, root: &Path) -> Result {
        for w in &self.wallets {
            let wallet = Wallet::new(root.to_path_buf(), &w.name);
            wallet.write_coldkey(&w.coldkey.pair, None, KdfParams::BITTENSOR, true)?;
            for (name, key) in &w.hotkeys {
                wallet.write_hotkey(name, &key.pair, None, KdfParams::BITTENSOR, true)?;
            }
        }
        Ok(())
    }
}

/// Where the children connect and listen.
#[derive(Debug, Clone)]
pub struct Endpoints {
    /// The node's WebSocket URL.
    pub rpc: String,
    /// The wallets folder.
    pub wallets: std::path::PathBuf,
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

/// Global flags every child gets: `--wallet-path DIR --json`.
fn global(ep: &Endpoints) -> Vec<OsString> {
    vec![
        "--wallet-path".into(),
        ep.wallets.clone().into_os_string(),
        "--json".into(),
    ]
}

/// `rustensor miner ...` for a miner on `netuid`, serving on `port`.
pub fn miner_args(
    n: &NeuronPlan,
    w: &WalletPlan,
    netuid: NetUid,
    port: u16,
    ep: &Endpoints,
) -> Vec<OsString> {
    let mut a = global(ep);
    a.extend(os(&[
        "miner",
        "--netuid",
        &netuid.0.to_string(),
        "--name",
        &w.name,
        "--hotkey",
        &n.hotkey_name,
        "--subnet",
        n.kind.flag(),
        "--port",
        &port.to_string(),
        "--ip",
        "127.0.0.1",
        "--network",
        &ep.rpc,
        "--quality",
        &n.quality.unwrap_or(MINERS).to_string(),
    ]));
    a
}

/// `rustensor validator ...` for a validator on `netuid` (a round per tempo and weights after
/// each, the validator's defaults).
pub fn validator_args(
    n: &NeuronPlan,
    w: &WalletPlan,
    netuid: NetUid,
    ep: &Endpoints,
) -> Vec<OsString> {
    let mut a = global(ep);
    a.extend(os(&[
        "validator",
        "--netuid",
        &netuid.0.to_string(),
        "--name",
        &w.name,
        "--hotkey",
        &n.hotkey_name,
        "--subnet",
        n.kind.flag(),
        "--network",
        &ep.rpc,
        "--sample-size",
        &MINERS.to_string(),
    ]));
    a
}

/// `rustensor gateway ...` in front of the text subnet. It signs with the subnet owner's
/// hotkey (registered as uid 0), since miners refuse callers the metagraph does not know.
pub fn gateway_args(netuid: NetUid, port: u16, ep: &Endpoints) -> Vec<OsString> {
    let mut a = global(ep);
    a.extend(os(&[
        "gateway",
        "--netuid",
        &netuid.0.to_string(),
        "--port",
        &port.to_string(),
        "--network",
        &ep.rpc,
        "--name",
        OWNER,
        "--hotkey",
        Kind::Text.flag(),
    ]));
    a
}

/// Block time of a `--authorities` network (the dev node's default too).
pub const BLOCK_TIME_MS: u64 = 250;

/// `rustensor node --config FILE` for a node of a `--authorities` network.
pub fn config_node_args(config: &Path) -> Vec<OsString> {
    let mut a = os(&["node", "--config"]);
    a.push(config.as_os_str().to_owned());
    a
}

/// `rustensor node --dev ...` with its data in `dir` and RPC on `port`.
pub fn node_args(dir: &Path, port: u16, block_time_ms: Option<u64>) -> Vec<OsString> {
    let mut a = os(&["node", "--dev", "--base-path"]);
    a.push(dir.as_os_str().to_owned());
    a.extend(os(&["--rpc-port", &port.to_string()]));
    if let Some(ms) = block_time_ms {
        a.extend(os(&["--block-time-ms", &ms.to_string()]));
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_plan_has_two_validators_and_four_ranked_miners_per_subnet() {
        let p = Plan::standard().unwrap();
        assert_eq!(p.wallets.len(), 1 + VALIDATORS + usize::from(MINERS));
        for kind in Kind::ALL {
            let ns: Vec<_> = p.neurons.iter().filter(|n| n.kind == kind).collect();
            assert_eq!(ns.iter().filter(|n| n.role == Role::Validator).count(), 2);
            let q: Vec<_> = ns.iter().filter_map(|n| n.quality).collect();
            assert_eq!(q, vec![1, 2, 3, 4]);
        }
        let mut hotkeys: Vec<_> = p.neurons.iter().map(|n| n.hotkey.account()).collect();
        hotkeys.sort();
        hotkeys.dedup();
        assert_eq!(hotkeys.len(), p.neurons.len(), "every hotkey is distinct");
        assert_eq!(
            p.owner().unwrap().coldkey.account().to_string(),
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY"
        );
    }

    #[test]
    fn wallets_round_trip_through_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = Plan::standard().unwrap();
        p.write_wallets(dir.path()).unwrap();
        p.write_wallets(dir.path()).unwrap(); // again: replaces
        let n = &p.neurons[0];
        let w = p.wallet_of(n).unwrap();
        let wallet = Wallet::new(dir.path().to_path_buf(), &w.name);
        assert_eq!(wallet.coldkeypub().unwrap(), w.coldkey.account());
        assert_eq!(
            wallet.hotkeypub(&n.hotkey_name).unwrap(),
            n.hotkey.account()
        );
        assert!(!wallet.coldkey_is_encrypted().unwrap());
    }
}

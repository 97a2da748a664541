//! A real single-authority dev node (fast preset, 250 ms blocks) with JSON-RPC on loopback, run
//! in-process on its own thread and commonware runtime, as `rustensor node --dev` runs it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use chain::{Call, GenesisConfig, Preset};
use client::{Client, TxOptions};
use commonware_cryptography::{Signer as _, ed25519};
use commonware_runtime::{Runner as _, Supervisor as _};
use keys::Keypair;
use node::chain_adapter::ChainMachine;
use node::dev::{open_state, runtime_config, start_single};
use node::node::NodeConfig;

/// A running dev node; stopped on drop.
pub struct DevNode {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    pub dir: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

impl DevNode {
    /// A fresh dev chain on a free port.
    pub fn start() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let mut n = Self::start_at(dir, "127.0.0.1:0".parse().unwrap());
        n._tmp = Some(tmp);
        n
    }

    /// A dev node with its data in `dir` (reopened if it exists) listening on `addr`.
    pub fn start_at(dir: PathBuf, addr: SocketAddr) -> Self {
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let path = dir.clone();
        let thread = std::thread::spawn(move || {
            let genesis = GenesisConfig::dev(Preset::Fast).unwrap();
            let machine = ChainMachine::new(genesis).unwrap();
            let chain_id = machine.chain_id();
            commonware_runtime::tokio::Runner::new(runtime_config(&path)).start(
                |context| async move {
                    let db = open_state(&path).unwrap();
                    let signer = ed25519::PrivateKey::from_seed(0);
                    let config = NodeConfig {
                        block_time: Duration::from_millis(250),
                        ..NodeConfig::dev()
                    };
                    let (node, _engine) =
                        start_single(context.child("node"), machine, db, config, signer)
                            .await
                            .unwrap();
                    let (bound, server) = rpc::server::start(
                        node.clone(),
                        chain_id,
                        rpc::server::RpcConfig {
                            addr,
                            ..Default::default()
                        },
                    )
                    .await
                    .unwrap();
                    addr_tx.send(bound).unwrap();
                    let _ = stop_rx.await;
                    let _ = server.stop();
                    let _ = tokio::time::timeout(Duration::from_secs(5), server.stopped()).await;
                },
            );
        });
        let addr = addr_rx.recv_timeout(Duration::from_secs(60)).unwrap();
        DevNode {
            addr,
            stop: Some(stop_tx),
            thread: Some(thread),
            dir,
            _tmp: None,
        }
    }

    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// Stop the node and wait for its thread.
    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        self.stop();
    }
}

pub fn pair(uri: &str) -> Keypair {
    Keypair::from_uri(uri).unwrap()
}

/// Alice: sudo, subnet 1's owner coldkey, funded.
pub fn alice() -> Keypair {
    pair("//Alice")
}

/// Subnet 1's owner hotkey (uid 0 at genesis): may set weights without stake or permit.
pub fn owner_hotkey() -> Keypair {
    pair("//Alice//hot")
}

pub async fn connect(node: &DevNode) -> Arc<Client> {
    Arc::new(Client::connect(&node.url()).await.unwrap())
}

/// Sends `call` signed by `who` and waits for finality; panics unless applied.
pub async fn send(c: &Client, who: &Keypair, call: Call) -> u64 {
    let name = call.name();
    let r = c.send(who, call, TxOptions::default()).await.unwrap();
    let inc = r.inclusion.unwrap();
    let outcome = inc.receipt.as_ref().map(|r| r.outcome.clone());
    assert!(
        matches!(outcome, Some(chain::TxOutcome::Applied)),
        "{name}: {outcome:?}"
    );
    inc.height
}

/// Registers `hotkey` on `netuid`, paid by Alice.
pub async fn register(c: &Client, netuid: u16, hotkey: &Keypair) -> u64 {
    send(
        c,
        &alice(),
        Call::BurnedRegister {
            netuid: types::NetUid(netuid),
            hotkey: hotkey.account_id(),
        },
    )
    .await
}

/// Sets a hyperparameter as sudo.
pub async fn set_hparam(c: &Client, netuid: u16, value: chain::hyperparams::HyperparamValue) {
    send(
        c,
        &alice(),
        Call::SudoSetHyperparameter {
            netuid: types::NetUid(netuid),
            value,
        },
    )
    .await;
}

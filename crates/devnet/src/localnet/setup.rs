//! Chain setup through the `client` crate: fund the wallets, create and start both subnets
//! with demo hyperparameters, register every neuron and stake on the validators.
//!
//! Transactions go out in three batches (each waits only for its own inclusion): everything in
//! a batch is signed with locally counted nonces, submitted without waiting, and then watched
//! until every one is in a finalized block. Batches exist only where a later call depends on
//! an earlier one of *another* signer (a subnet must exist before anyone registers on it, and
//! be started before anyone stakes on it); one signer's calls apply in nonce order anyway.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chain::hyperparams::HyperparamValue;
use chain::schema::SubnetIdentity;
use chain::{Call, Event, TxOutcome};
use client::views::{Hash, TxInclusion};
use client::{Client, RustensorApiClient, TxOptions, Wait};
use keys::Keypair;
use types::{AccountId, NetUid, RAO_PER_TAO, TaoBalance};

use super::plan::{Kind, Plan, Role};
use crate::error::{DevnetError, Result};
use crate::stop::Stop;

/// TAO sent to each validator's coldkey.
const VALIDATOR_FUNDS: u64 = 12_000;
/// TAO staked on each validator hotkey on its subnet (bought as alpha).
const VALIDATOR_STAKE: u64 = 10;
/// TAO staked on each validator hotkey on root. Root stake counts in a validator's stake
/// weight (times tao_weight, 0.18) at no price impact, so both validators weigh about the same
/// (the second buyer of a thin pool's alpha gets much less of it than the first), and together
/// they outweigh, for a long while, the alpha that the owner and the miners earn: those hold
/// permits too while still counted active, and their empty weights would otherwise pull
/// consensus down.
const VALIDATOR_ROOT_STAKE: u64 = 5_000;
/// TAO sent to each miner's coldkey (registration burns are fractions of a TAO here).
const MINER_FUNDS: u64 = 10;
/// How long one batch may take to be finalized.
const BATCH_TIMEOUT: Duration = Duration::from_secs(60);

fn tao(whole: u64) -> TaoBalance {
    TaoBalance::from_rao(whole.saturating_mul(RAO_PER_TAO))
}

/// Demo settings of each subnet.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Blocks per epoch.
    pub tempo: u16,
}

/// The subnets setup created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Netuids {
    /// Text generation.
    pub text: NetUid,
    /// Forecasting.
    pub forecast: NetUid,
}

impl Netuids {
    /// The netuid of `kind`.
    pub fn of(&self, kind: Kind) -> NetUid {
        match kind {
            Kind::Text => self.text,
            Kind::Forecast => self.forecast,
        }
    }
}

/// Transactions submitted together and then awaited together.
struct Batch<'a> {
    client: &'a Client,
    nonces: HashMap<AccountId, u64>,
    sent: Vec<(String, Hash)>,
}

impl<'a> Batch<'a> {
    fn new(client: &'a Client) -> Self {
        Self {
            client,
            nonces: HashMap::new(),
            sent: Vec::new(),
        }
    }

    /// Signs with the next local nonce of `pair` and submits without waiting.
    async fn add(&mut self, pair: &Keypair, call: Call, what: impl Into<String>) -> Result {
        let who = pair.account_id();
        let nonce = match self.nonces.get(&who) {
            Some(n) => *n,
            None => {
                self.client
                    .call(|c| async move { c.account_next_index(who).await })
                    .await?
            }
        };
        let opts = TxOptions {
            nonce: Some(nonce),
            wait: Wait::Ready,
            ..TxOptions::default()
        };
        let tx = self.client.sign(pair, call, &opts).await?;
        let what = what.into();
        let report = match self.client.submit(&tx, Wait::Ready).await {
            Ok(report) => report,
            Err(source) => return Err(DevnetError::SetupRefused { what, source }),
        };
        self.nonces.insert(who, nonce.saturating_add(1));
        self.sent.push((what, report.hash));
        Ok(())
    }

    /// Waits until every transaction is finalized and applied; returns their inclusions in
    /// the order they were added.
    async fn finish(self, stop: &Stop) -> Result<Vec<TxInclusion>> {
        let deadline = Instant::now() + BATCH_TIMEOUT;
        let mut done: Vec<Option<TxInclusion>> = vec![None; self.sent.len()];
        loop {
            stop.check()?;
            for (slot, (_, hash)) in done.iter_mut().zip(&self.sent) {
                if slot.is_none() {
                    let h = *hash;
                    *slot = self
                        .client
                        .call(|c| async move { c.transaction(h).await })
                        .await?;
                }
            }
            if done.iter().all(Option::is_some) {
                break;
            }
            if Instant::now() >= deadline {
                let missing: Vec<&str> = done
                    .iter()
                    .zip(&self.sent)
                    .filter(|(d, _)| d.is_none())
                    .map(|(_, (what, _))| what.as_str())
                    .collect();
                return Err(DevnetError::SetupNotFinalized {
                    secs: BATCH_TIMEOUT.as_secs(),
                    missing: missing.join(", "),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut out = Vec::with_capacity(done.len());
        for (inc, (what, _)) in done.into_iter().zip(&self.sent) {
            let Some(inc) = inc else { continue };
            let outcome = inc
                .receipt
                .as_ref()
                .map(|r| r.outcome.clone())
                .unwrap_or(TxOutcome::Applied);
            let failure = match &outcome {
                TxOutcome::Applied => None,
                TxOutcome::Failed(e) => Some(format!("the transaction failed: {e}")),
                TxOutcome::Invalid(e) => Some(format!("the transaction is invalid: {e}")),
            };
            if let Some(reason) = failure {
                return Err(DevnetError::SetupFailed {
                    what: what.clone(),
                    reason,
                });
            }
            out.push(inc);
        }
        Ok(out)
    }
}

fn identity(kind: Kind) -> SubnetIdentity {
    let description = match kind {
        Kind::Text => "localnet: miners answer chat prompts; validators check and compare them",
        Kind::Forecast => {
            "localnet: miners forecast a synthetic series; validators score the error"
        }
    };
    SubnetIdentity {
        subnet_name: kind.title().as_bytes().to_vec(),
        github_repo: Vec::new(),
        subnet_contact: Vec::new(),
        subnet_url: Vec::new(),
        discord: Vec::new(),
        description: description.as_bytes().to_vec(),
        logo_url: Vec::new(),
        additional: Vec::new(),
    }
}

/// Runs the whole setup; returns the netuids of the two subnets.
pub async fn run(client: &Client, plan: &Plan, settings: Settings, stop: &Stop) -> Result<Netuids> {
    let owner = plan.owner()?;
    let alice = &owner.coldkey.pair;

    // 1. Alice creates both subnets and funds every other coldkey.
    let mut b = Batch::new(client);
    for kind in Kind::ALL {
        let hotkey = plan.owner_hotkey(kind)?.account();
        let call = Call::RegisterNetwork {
            hotkey,
            identity: Some(identity(kind)),
        };
        b.add(alice, call, format!("create the {} subnet", kind.title()))
            .await?;
    }
    for w in plan.wallets.iter().skip(1) {
        let is_validator = plan.neurons.iter().any(|n| {
            n.role == Role::Validator
                && plan.wallets.get(n.wallet).map(|x| &x.name) == Some(&w.name)
        });
        let amount = if is_validator {
            VALIDATOR_FUNDS
        } else {
            MINER_FUNDS
        };
        let call = Call::TransferKeepAlive {
            dest: w.coldkey.account(),
            value: tao(amount),
        };
        b.add(alice, call, format!("fund wallet {}", w.name))
            .await?;
    }
    let incs = b.finish(stop).await?;
    let mut created = Vec::new();
    for inc in incs.iter().take(Kind::ALL.len()) {
        let netuid = inc
            .receipt
            .iter()
            .flat_map(|r| r.events.iter())
            .find_map(|e| match e {
                Event::NetworkAdded { netuid, .. } => Some(*netuid),
                _ => None,
            })
            .ok_or(DevnetError::Bug(
                "localnet setup: a subnet was created without a NetworkAdded event",
            ))?;
        created.push(netuid);
    }
    let (Some(text), Some(forecast)) = (created.first().copied(), created.get(1).copied()) else {
        return Err(DevnetError::Bug(
            "localnet setup: the subnets were not created",
        ));
    };
    let netuids = Netuids { text, forecast };

    // 2. Alice (owner and sudo) starts them and sets the demo hyperparameters.
    let mut b = Batch::new(client);
    for kind in Kind::ALL {
        let netuid = netuids.of(kind);
        b.add(
            alice,
            Call::StartCall { netuid },
            format!("start subnet {}", netuid.0),
        )
        .await?;
        for value in [
            HyperparamValue::Tempo(settings.tempo),
            HyperparamValue::WeightsSetRateLimit(0),
            HyperparamValue::CommitRevealEnabled(false),
            HyperparamValue::ServingRateLimit(0),
        ] {
            let what = format!("set {} on subnet {}", value.name(), netuid.0);
            b.add(alice, Call::SudoSetHyperparameter { netuid, value }, what)
                .await?;
        }
    }
    b.finish(stop).await?;

    // 3. Everyone registers; validators stake (after their registration: same signer).
    let mut b = Batch::new(client);
    for n in &plan.neurons {
        let w = plan.wallet_of(n)?;
        let netuid = netuids.of(n.kind);
        let call = Call::BurnedRegister {
            netuid,
            hotkey: n.hotkey.account(),
        };
        b.add(
            &w.coldkey.pair,
            call,
            format!(
                "register {}/{} on subnet {}",
                w.name, n.hotkey_name, netuid.0
            ),
        )
        .await?;
    }
    for n in plan.neurons.iter().filter(|n| n.role == Role::Validator) {
        let w = plan.wallet_of(n)?;
        for (netuid, amount) in [
            (netuids.of(n.kind), VALIDATOR_STAKE),
            (NetUid::ROOT, VALIDATOR_ROOT_STAKE),
        ] {
            let call = Call::AddStake {
                hotkey: n.hotkey.account(),
                netuid,
                amount_staked: tao(amount),
            };
            b.add(
                &w.coldkey.pair,
                call,
                format!(
                    "stake on {}/{} on subnet {}",
                    w.name, n.hotkey_name, netuid.0
                ),
            )
            .await?;
        }
    }
    b.finish(stop).await?;
    Ok(netuids)
}

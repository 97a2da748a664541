//! What localnet shows: a snapshot of both subnets read from the chain (block, epoch, and per
//! neuron its role, quality rank, incentive, dividends and emission), as a table for people,
//! one line per epoch when stdout is not a terminal, or JSON.

use std::collections::HashMap;

use client::{Client, RustensorApiClient};
use serde::Serialize;
use types::{AccountId, NetUid, RAO_PER_TAO};

use super::plan::{Kind, Plan, Role};
use super::setup::Netuids;
use crate::error::Result;

/// One neuron of a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct NeuronRow {
    /// Uid on the subnet.
    pub uid: u16,
    /// Hotkey (SS58).
    pub hotkey: String,
    /// Wallet name under `BASE/wallets`.
    pub wallet: String,
    /// Validator or miner.
    pub role: Role,
    /// A miner's configured quality rank (1..=4, 4 best); none for validators.
    pub quality: Option<u8>,
    /// Incentive, 0..1.
    pub incentive: f64,
    /// Dividends, 0..1.
    pub dividends: f64,
    /// Last epoch's emission, in alpha.
    pub emission: f64,
    /// Alpha staked on the hotkey.
    pub stake: f64,
    /// TAO staked on the hotkey on root (counts at tao_weight in stake weight).
    pub root_stake: f64,
    /// Holds a validator permit.
    pub validator_permit: bool,
    /// Has an axon in the metagraph.
    pub serving: bool,
    /// Has weights on chain.
    pub weights_set: bool,
}

/// One subnet of a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct SubnetRow {
    /// Its netuid.
    pub netuid: u16,
    /// Display name.
    pub name: &'static str,
    /// `text` or `forecast`.
    pub kind: Kind,
    /// Blocks per epoch.
    pub tempo: u16,
    /// Epochs run so far.
    pub epoch: u64,
    /// Block of the next epoch.
    pub next_epoch_block: u64,
    /// Validators, then miners by quality.
    pub neurons: Vec<NeuronRow>,
}

impl SubnetRow {
    /// Whether every validator has set weights.
    pub fn all_validators_set_weights(&self) -> bool {
        let mut validators = self.neurons.iter().filter(|n| n.role == Role::Validator);
        validators.clone().next().is_some() && validators.all(|n| n.weights_set)
    }

    /// Whether any validator has set weights.
    pub fn any_weights(&self) -> bool {
        self.neurons
            .iter()
            .any(|n| n.role == Role::Validator && n.weights_set)
    }

    /// Miners with an axon.
    pub fn serving_miners(&self) -> usize {
        self.neurons
            .iter()
            .filter(|n| n.role == Role::Miner && n.serving)
            .count()
    }
}

/// Both subnets at one block.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Finalized block.
    pub block: u64,
    /// The subnets.
    pub subnets: Vec<SubnetRow>,
}

fn frac(v: u16) -> f64 {
    f64::from(v) / f64::from(u16::MAX)
}

fn units(rao: u64) -> f64 {
    // Display only: f64 keeps ~15 significant digits.
    rao as f64 / RAO_PER_TAO as f64
}

/// What a hotkey is in the plan.
struct Known {
    wallet: String,
    role: Role,
    quality: Option<u8>,
}

/// Reads both metagraphs.
pub async fn snapshot(client: &Client, plan: &Plan, netuids: Netuids) -> Result<Snapshot> {
    let mut known: HashMap<AccountId, Known> = HashMap::new();
    for n in &plan.neurons {
        known.insert(
            n.hotkey.account(),
            Known {
                wallet: plan.wallet_of(n)?.name.clone(),
                role: n.role,
                quality: n.quality,
            },
        );
    }
    let head = client.call(|c| async move { c.head().await }).await?;
    let mut subnets = Vec::new();
    for kind in Kind::ALL {
        let netuid: NetUid = netuids.of(kind);
        let Some(mg) = client
            .call(|c| async move { c.metagraph(netuid).await })
            .await?
        else {
            continue;
        };
        let mut neurons: Vec<NeuronRow> = mg
            .neurons
            .iter()
            .filter_map(|n| {
                let k = known.get(&n.hotkey)?;
                Some(NeuronRow {
                    uid: n.uid.0,
                    hotkey: n.hotkey.to_string(),
                    wallet: k.wallet.clone(),
                    role: k.role,
                    quality: k.quality,
                    incentive: frac(n.incentive),
                    dividends: frac(n.dividends),
                    emission: units(n.emission.rao()),
                    stake: units(n.alpha_stake.rao()),
                    root_stake: units(n.root_stake.rao()),
                    validator_permit: n.validator_permit,
                    serving: n.axon.is_some(),
                    weights_set: !n.weights.is_empty(),
                })
            })
            .collect();
        neurons.sort_by_key(|n| (n.role == Role::Miner, n.quality, n.uid));
        subnets.push(SubnetRow {
            netuid: netuid.0,
            name: kind.title(),
            kind,
            tempo: mg.subnet.hyperparams.tempo,
            epoch: mg.subnet.epoch_index,
            next_epoch_block: mg.subnet.next_epoch_block,
            neurons,
        });
    }
    Ok(Snapshot {
        block: head.finalized.height,
        subnets,
    })
}

/// The snapshot as a table.
pub fn table(s: &Snapshot) -> String {
    let mut out = String::new();
    for sn in &s.subnets {
        out.push_str(&format!(
            "{} (netuid {}): epoch {}, next in {} blocks (tempo {})\n",
            sn.name,
            sn.netuid,
            sn.epoch,
            sn.next_epoch_block.saturating_sub(s.block),
            sn.tempo
        ));
        let mut t = comfy_table::Table::new();
        t.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header([
            "uid",
            "role",
            "quality",
            "wallet",
            "hotkey",
            "stake α",
            "root τ",
            "incentive",
            "dividends",
            "emission α",
            "state",
        ]);
        for n in &sn.neurons {
            let state = match (n.role, n.serving, n.weights_set, n.validator_permit) {
                (Role::Miner, true, _, _) => "serving",
                (Role::Miner, false, _, _) => "starting",
                (Role::Validator, _, true, _) => "weights set",
                (Role::Validator, _, false, true) => "scoring",
                (Role::Validator, _, false, false) => "no permit yet",
            };
            t.add_row([
                n.uid.to_string(),
                format!("{:?}", n.role).to_lowercase(),
                n.quality
                    .map(|q| q.to_string())
                    .unwrap_or_else(|| "-".into()),
                n.wallet.clone(),
                short(&n.hotkey),
                format!("{:.2}", n.stake),
                format!("{:.0}", n.root_stake),
                format!("{:.4}", n.incentive),
                format!("{:.4}", n.dividends),
                format!("{:.4}", n.emission),
                state.into(),
            ]);
        }
        out.push_str(&t.to_string());
        out.push('\n');
    }
    out
}

/// One line: the block, each subnet's epoch and its miners' incentives by quality.
pub fn line(s: &Snapshot) -> String {
    let mut parts = vec![format!("block #{}", s.block)];
    for sn in &s.subnets {
        let miners: Vec<String> = sn
            .neurons
            .iter()
            .filter(|n| n.role == Role::Miner)
            .map(|n| format!("q{}={:.3}", n.quality.unwrap_or(0), n.incentive))
            .collect();
        parts.push(format!(
            "{} epoch {}: incentive {}",
            sn.kind.flag(),
            sn.epoch,
            miners.join(" ")
        ));
    }
    parts.join(" | ")
}

fn short(ss58: &str) -> String {
    match ss58.get(..8) {
        Some(p) => format!("{p}…"),
        None => ss58.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(role: Role, q: Option<u8>, weights: bool, incentive: f64) -> NeuronRow {
        NeuronRow {
            uid: 1,
            hotkey: "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY".into(),
            wallet: "w".into(),
            role,
            quality: q,
            incentive,
            dividends: 0.0,
            emission: 0.0,
            stake: 0.0,
            root_stake: 0.0,
            validator_permit: true,
            serving: true,
            weights_set: weights,
        }
    }

    #[test]
    fn weights_are_set_when_every_validator_has_some() {
        let mut sn = SubnetRow {
            netuid: 2,
            name: "text-generation",
            kind: Kind::Text,
            tempo: 20,
            epoch: 3,
            next_epoch_block: 60,
            neurons: vec![
                row(Role::Validator, None, true, 0.0),
                row(Role::Validator, None, false, 0.0),
                row(Role::Miner, Some(1), false, 0.25),
            ],
        };
        assert!(sn.any_weights());
        assert!(!sn.all_validators_set_weights());
        sn.neurons[1].weights_set = true;
        assert!(sn.all_validators_set_weights());
        let s = Snapshot {
            block: 50,
            subnets: vec![sn],
        };
        assert_eq!(line(&s), "block #50 | text epoch 3: incentive q1=0.250");
        let t = table(&s);
        assert!(
            t.contains("next in 10 blocks") && t.contains("5GrwvaEF…"),
            "{t}"
        );
    }
}

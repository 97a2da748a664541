//! `rustensor weights set|commit|reveal --netuid N --uids .. --weights ..` (signed by the
//! hotkey). Weights are given as numbers and scaled so the largest becomes 65535.

use chain::Call;
use clap::{Args, Subcommand};
use types::NetUid;

use super::net::{self, KeyArgs, NetworkArgs, SendArgs};
use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum WeightsCommand {
    /// Set weights directly.
    Set(WeightArgs),
    /// Commit a hash of weights (commit-reveal subnets); prints the salt to reveal with.
    Commit(SaltedWeightArgs),
    /// Reveal committed weights with their salt.
    Reveal(SaltedWeightArgs),
}

/// Commit and reveal: the weights and the salt that hides them.
#[derive(Debug, Args)]
pub struct SaltedWeightArgs {
    #[command(flatten)]
    weights: WeightArgs,
    /// Salt, comma-separated u16 [default for commit: random; reveal: required].
    #[arg(long, short_alias = 's', value_delimiter = ',')]
    salt: Vec<u16>,
}

#[derive(Debug, Args)]
pub struct WeightArgs {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    /// Target uids, comma-separated.
    #[arg(long, short_alias = 'u', value_delimiter = ',', required = true)]
    uids: Vec<u16>,
    /// Weights, comma-separated (any scale; normalised to max 65535).
    #[arg(long, short_alias = 'w', value_delimiter = ',', required = true)]
    weights: Vec<f64>,
    /// Validator version key.
    #[arg(long, default_value_t = 0)]
    version_key: u64,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    send: SendArgs,
}

/// Scales weights so the largest is 65535 (as btcli's `convert_weights_and_uids_for_emit`).
pub fn normalise(weights: &[f64]) -> CliResult<Vec<u16>> {
    if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
        return Err(CliError::new("weights must be non-negative numbers"));
    }
    let max = weights.iter().copied().fold(0.0_f64, f64::max);
    if max <= 0.0 {
        return Ok(vec![0; weights.len()]);
    }
    #[allow(
        clippy::as_conversions,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    Ok(weights
        .iter()
        .map(|w| (w / max * 65_535.0).round() as u16)
        .collect())
}

fn random_salt() -> Vec<u16> {
    // Process-unique entropy is enough for a salt that only hides weights until reveal.
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
        ^ u128::from(std::process::id());
    let h = chain::transaction::blake2_256(&seed.to_le_bytes());
    h.chunks(2)
        .take(8)
        .map(|c| {
            u16::from_le_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ])
        })
        .collect()
}

pub fn run(command: WeightsCommand, global: &GlobalArgs, out: &Output) -> CliResult {
    let (kind, a, mut salt) = match command {
        WeightsCommand::Set(a) => ("set", a, Vec::new()),
        WeightsCommand::Commit(a) => ("commit", a.weights, a.salt),
        WeightsCommand::Reveal(a) => ("reveal", a.weights, a.salt),
    };
    if a.uids.len() != a.weights.len() {
        return Err(CliError::new(format!(
            "{} uids but {} weights",
            a.uids.len(),
            a.weights.len()
        ))
        .with_hint("give one weight per uid"));
    }
    let values = normalise(&a.weights)?;
    let keys = net::Keys::new(global, &a.keys, out)?;
    let pair = keys.hotkey()?;
    let netuid = NetUid(a.netuid);
    let call = match kind {
        "set" => Call::SetWeights {
            netuid,
            dests: a.uids.clone(),
            weights: values.clone(),
            version_key: a.version_key,
        },
        "commit" => {
            if salt.is_empty() {
                salt = random_salt();
            }
            Call::CommitWeights {
                netuid,
                commit_hash: chain::weights::commit_hash(
                    &pair.account_id(),
                    netuid,
                    &a.uids,
                    &values,
                    &salt,
                    a.version_key,
                ),
            }
        }
        _ => {
            if salt.is_empty() {
                return Err(CliError::new("reveal needs the salt of the commit")
                    .with_hint("pass --salt as printed by `weights commit`"));
            }
            Call::RevealWeights {
                netuid,
                uids: a.uids.clone(),
                values: values.clone(),
                salt: salt.clone(),
                version_key: a.version_key,
            }
        }
    };
    let what = format!(
        "{} weights on subnet {}: uids {:?} weights {:?}",
        kind, a.netuid, a.uids, values
    );
    net::runtime()?.block_on(async {
        let c = net::connect(&a.net).await?;
        let sent = net::send(&c, out, &pair, call, &a.send, &what).await?;
        if kind == "commit" {
            let s: Vec<String> = salt.iter().map(u16::to_string).collect();
            out.line(format!("Salt (keep it to reveal): {}", s.join(",")));
        }
        if kind == "set" {
            out.json(&serde_json::json!({ "sent": sent }));
        } else {
            out.json(&serde_json::json!({ "sent": sent, "salt": salt }));
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_scale_to_u16_max() {
        assert_eq!(normalise(&[0.5, 0.25]).unwrap(), vec![65_535, 32_768]);
        assert_eq!(normalise(&[0.0, 0.0]).unwrap(), vec![0, 0]);
        assert!(normalise(&[-1.0]).is_err());
        assert_eq!(random_salt().len(), 8);
    }
}

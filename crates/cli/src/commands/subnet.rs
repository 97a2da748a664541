//! `rustensor subnet` (btcli: `subnets`): list, show, create, start, register, hyperparameters,
//! set, metagraph.

use std::str::FromStr;

use chain::Call;
use chain::hyperparams::{HyperparamValue, RecycleOrBurn};
use clap::{Args, Subcommand};
use client::RustensorApiClient;
use types::{NetUid, TaoBalance};

use super::net::{self, KeyArgs, NetworkArgs, SendArgs};
use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Subcommand)]
pub enum SubnetCommand {
    /// Every subnet with its price, pool and emission.
    List(ReadArgs),
    /// One subnet: pool, owner, epoch, neurons.
    Show(NetuidRead),
    /// Register a new subnet (pays the lock cost; the wallet's hotkey becomes the owner hotkey).
    Create(WriteArgs),
    /// Start a subnet's emission and trading (owner).
    Start(NetuidWrite),
    /// Register the wallet's hotkey on a subnet by paying the burn.
    Register(NetuidWrite),
    /// A subnet's hyperparameters.
    #[command(visible_alias = "hparams")]
    Hyperparameters(NetuidRead),
    /// Set a hyperparameter (owner within limits, or sudo).
    Set(SetArgs),
    /// A subnet's metagraph (the same as `rustensor metagraph`).
    Metagraph(super::metagraph::MetagraphArgs),
}

#[derive(Debug, Args)]
pub struct ReadArgs {
    #[command(flatten)]
    net: NetworkArgs,
}

#[derive(Debug, Args)]
pub struct NetuidRead {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    #[command(flatten)]
    net: NetworkArgs,
}

#[derive(Debug, Args)]
pub struct WriteArgs {
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    send: SendArgs,
}

#[derive(Debug, Args)]
pub struct NetuidWrite {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    send: SendArgs,
}

#[derive(Debug, Args)]
pub struct SetArgs {
    /// The subnet.
    #[arg(long)]
    netuid: u16,
    /// Parameter name (as `subnet hyperparameters` lists it, e.g. tempo, kappa, immunity_period).
    #[arg(long, alias = "parameter")]
    param: String,
    /// New value.
    #[arg(long)]
    value: String,
    #[command(flatten)]
    net: NetworkArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    send: SendArgs,
}

fn symbol(s: &[u8]) -> String {
    String::from_utf8_lossy(s).into_owned()
}

pub fn run(command: SubnetCommand, global: &GlobalArgs, out: &Output) -> CliResult {
    let rt = net::runtime()?;
    match command {
        SubnetCommand::List(a) => rt.block_on(async {
            let c = net::connect(&a.net).await?;
            let subnets = c.call(|r| async move { r.subnets().await }).await?;
            out.json(&subnets);
            let mut t = comfy_table::Table::new();
            t.set_header([
                "netuid", "symbol", "price", "TAO in", "α in", "α out", "n", "tempo", "started",
                "owner",
            ]);
            for s in &subnets {
                t.add_row([
                    s.netuid.0.to_string(),
                    symbol(&s.symbol),
                    net::price(s.price_rao),
                    s.tao_in.to_string(),
                    s.alpha_in.to_string(),
                    s.alpha_out.to_string(),
                    s.n.to_string(),
                    s.hyperparams.tempo.to_string(),
                    s.started.to_string(),
                    s.owner.to_string(),
                ]);
            }
            out.line(t.to_string());
            Ok(())
        }),
        SubnetCommand::Show(a) => rt.block_on(async {
            let c = net::connect(&a.net).await?;
            let netuid = NetUid(a.netuid);
            let s = c
                .call(|r| async move { r.subnet(netuid).await })
                .await?
                .ok_or_else(|| no_subnet(a.netuid))?;
            out.json(&s);
            out.line(format!("Subnet {} ({})", s.netuid.0, symbol(&s.symbol)));
            out.line(format!(
                "  owner:        {} (hotkey {})",
                s.owner, s.owner_hotkey
            ));
            out.line(format!(
                "  price:        {} (moving {})",
                net::price(s.price_rao),
                net::price(s.moving_price_rao)
            ));
            out.line(format!(
                "  pool:         {} / {} (α out {})",
                s.tao_in, s.alpha_in, s.alpha_out
            ));
            out.line(format!(
                "  neurons:      {} / {}",
                s.n, s.hyperparams.max_allowed_uids
            ));
            out.line(format!("  burn:         {}", s.burn));
            out.line(format!("  started:      {}", s.started));
            out.line(format!(
                "  epochs:       {} (last at #{}, next at #{})",
                s.epoch_index, s.last_epoch_block, s.next_epoch_block
            ));
            Ok(())
        }),
        SubnetCommand::Hyperparameters(a) => rt.block_on(async {
            let c = net::connect(&a.net).await?;
            let netuid = NetUid(a.netuid);
            let hp = c
                .call(|r| async move { r.hyperparams(netuid).await })
                .await?
                .ok_or_else(|| no_subnet(a.netuid))?;
            out.json(&hp);
            if out.is_json() {
                return Ok(());
            }
            // `serde_json::Value` holds no u128 (the fixed-point multiplier's bits): go
            // through the text, and show that one as its decimal value.
            let text = serde_json::to_string(&hp).map_err(|e| CliError::new(e.to_string()))?;
            let obj: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(&text).map_err(|e| CliError::new(e.to_string()))?;
            let mut t = comfy_table::Table::new();
            t.set_header(["hyperparameter", "value"]);
            for (k, v) in obj {
                let shown = match k.as_str() {
                    "burn_increase_mult" => hp.burn_increase_mult.to_string(),
                    _ => v.to_string(),
                };
                t.add_row([k, shown]);
            }
            out.line(t.to_string());
            Ok(())
        }),
        SubnetCommand::Create(a) => {
            let keys = net::Keys::new(global, &a.keys, out)?;
            let hotkey = keys.hotkey_pub()?;
            let pair = keys.coldkey()?;
            rt.block_on(async {
                let c = net::connect(&a.net).await?;
                let cost = c.call(|r| async move { r.lock_cost().await }).await?;
                let what = format!(
                    "Create a subnet (lock cost {}) with owner hotkey {hotkey}",
                    net::tao(cost)
                );
                let call = Call::RegisterNetwork {
                    hotkey,
                    identity: None,
                };
                let sent = net::send(&c, out, &pair, call, &a.send, &what).await?;
                for e in &sent.events {
                    if let chain::Event::NetworkAdded { netuid, .. } = e {
                        out.line(format!("Subnet {} created", netuid.0));
                    }
                }
                out.json(&sent);
                Ok(())
            })
        }
        SubnetCommand::Start(a) => {
            let pair = net::Keys::new(global, &a.keys, out)?.coldkey()?;
            rt.block_on(async {
                let c = net::connect(&a.net).await?;
                let call = Call::StartCall {
                    netuid: NetUid(a.netuid),
                };
                let what = format!("Start subnet {}", a.netuid);
                let sent = net::send(&c, out, &pair, call, &a.send, &what).await?;
                out.json(&sent);
                Ok(())
            })
        }
        SubnetCommand::Register(a) => {
            let keys = net::Keys::new(global, &a.keys, out)?;
            let hotkey = keys.hotkey_pub()?;
            let pair = keys.coldkey()?;
            rt.block_on(async {
                let c = net::connect(&a.net).await?;
                let netuid = NetUid(a.netuid);
                let s = c
                    .call(|r| async move { r.subnet(netuid).await })
                    .await?
                    .ok_or_else(|| no_subnet(a.netuid))?;
                let what = format!(
                    "Register hotkey {hotkey} on subnet {} for the current burn of {}",
                    a.netuid, s.burn
                );
                let call = Call::BurnedRegister { netuid, hotkey };
                let sent = net::send(&c, out, &pair, call, &a.send, &what).await?;
                for e in &sent.events {
                    if let chain::Event::NeuronRegistered { uid, .. } = e {
                        out.line(format!("Registered as uid {}", uid.0));
                    }
                }
                out.json(&sent);
                Ok(())
            })
        }
        SubnetCommand::Set(a) => {
            let value = hyperparam(&a.param, &a.value)?;
            let pair = net::Keys::new(global, &a.keys, out)?.coldkey()?;
            rt.block_on(async {
                let c = net::connect(&a.net).await?;
                let what = format!("Set {} = {} on subnet {}", a.param, a.value, a.netuid);
                let call = Call::SudoSetHyperparameter {
                    netuid: NetUid(a.netuid),
                    value,
                };
                let sent = net::send(&c, out, &pair, call, &a.send, &what).await?;
                out.json(&sent);
                Ok(())
            })
        }
        SubnetCommand::Metagraph(a) => super::metagraph::run(a, out),
    }
}

fn no_subnet(netuid: u16) -> CliError {
    CliError::new(format!("subnet {netuid} does not exist"))
        .with_hint("see `rustensor subnet list`")
}

fn num<T: FromStr>(name: &str, v: &str) -> CliResult<T> {
    v.parse().map_err(|_| {
        CliError::new(format!("'{v}' is not a valid value for {name}"))
            .with_hint("see `rustensor subnet hyperparameters` for the current values")
    })
}

/// A hyperparameter by its setter name (or the field name) with its new value.
pub fn hyperparam(name: &str, v: &str) -> CliResult<HyperparamValue> {
    use HyperparamValue as H;
    let n = name.trim_start_matches("sudo_set_");
    Ok(match n {
        "tempo" => H::Tempo(num(n, v)?),
        "immunity_period" => H::ImmunityPeriod(num(n, v)?),
        "min_allowed_weights" => H::MinAllowedWeights(num(n, v)?),
        "max_weight_limit" | "max_weights_limit" => H::MaxWeightsLimit(num(n, v)?),
        "weights_version_key" | "weights_version" => H::WeightsVersionKey(num(n, v)?),
        "weights_set_rate_limit" | "weights_rate_limit" => H::WeightsSetRateLimit(num(n, v)?),
        "activity_cutoff_factor_milli" => H::ActivityCutoffFactorMilli(num(n, v)?),
        "max_allowed_uids" => H::MaxAllowedUids(num(n, v)?),
        "min_allowed_uids" => H::MinAllowedUids(num(n, v)?),
        "max_allowed_validators" => H::MaxAllowedValidators(num(n, v)?),
        "max_registrations_per_block" => H::MaxRegistrationsPerBlock(num(n, v)?),
        "target_registrations_per_interval" => H::TargetRegistrationsPerInterval(num(n, v)?),
        "adjustment_interval" => H::AdjustmentInterval(num(n, v)?),
        "adjustment_alpha" => H::AdjustmentAlpha(num(n, v)?),
        "difficulty" => H::Difficulty(num(n, v)?),
        "min_difficulty" => H::MinDifficulty(num(n, v)?),
        "max_difficulty" => H::MaxDifficulty(num(n, v)?),
        "min_burn" => H::MinBurn(TaoBalance::parse_decimal(v)?),
        "max_burn" => H::MaxBurn(TaoBalance::parse_decimal(v)?),
        "burn_half_life" => H::BurnHalfLife(num(n, v)?),
        "burn_increase_mult" => H::BurnIncreaseMultPpm(num(n, v)?),
        "kappa" => H::Kappa(num(n, v)?),
        "rho" => H::Rho(num(n, v)?),
        "alpha_sigmoid_steepness" => H::AlphaSigmoidSteepness(num(n, v)?),
        "bonds_moving_average" | "bonds_moving_avg" => H::BondsMovingAverage(num(n, v)?),
        "bonds_penalty" => H::BondsPenalty(num(n, v)?),
        "bonds_reset_enabled" => H::BondsResetEnabled(num(n, v)?),
        "liquid_alpha_enabled" => H::LiquidAlphaEnabled(num(n, v)?),
        "alpha_values" => {
            let (lo, hi) = v.split_once(',').ok_or_else(|| {
                CliError::new("alpha_values takes LOW,HIGH").with_hint("e.g. --value 45875,58982")
            })?;
            H::AlphaValues {
                low: num(n, lo.trim())?,
                high: num(n, hi.trim())?,
            }
        }
        "yuma3_enabled" => H::Yuma3Enabled(num(n, v)?),
        "commit_reveal_weights_enabled" | "commit_reveal_enabled" => {
            H::CommitRevealEnabled(num(n, v)?)
        }
        "commit_reveal_weights_interval" | "commit_reveal_period" => {
            H::RevealPeriodEpochs(num(n, v)?)
        }
        "serving_rate_limit" => H::ServingRateLimit(num(n, v)?),
        "toggle_transfer" | "transfers_enabled" => H::TransfersEnabled(num(n, v)?),
        "network_registration_allowed" | "registration_allowed" => {
            H::RegistrationAllowed(num(n, v)?)
        }
        "network_pow_registration_allowed" => H::PowRegistrationAllowed(num(n, v)?),
        "owner_cut_enabled" => H::OwnerCutEnabled(num(n, v)?),
        "recycle_or_burn" => H::RecycleOrBurn(match v {
            "burn" | "Burn" => RecycleOrBurn::Burn,
            "recycle" | "Recycle" => RecycleOrBurn::Recycle,
            _ => return Err(CliError::new("recycle_or_burn is burn or recycle")),
        }),
        "owner_immune_neuron_limit" => H::ImmuneOwnerUidsLimit(num(n, v)?),
        "min_non_immune_uids" => H::MinNonImmuneUids(num(n, v)?),
        "ema_price_halving_period" => H::EmaPriceHalvingBlocks(num(n, v)?),
        "subtoken_enabled" => H::SubtokenEnabled(num(n, v)?),
        "subnet_emission_enabled" => H::SubnetEmissionEnabled(num(n, v)?),
        "fee_rate" => H::FeeRate(num(n, v)?),
        other => {
            return Err(CliError::new(format!("unknown hyperparameter '{other}'"))
                .with_hint("see `rustensor subnet hyperparameters --netuid N` for the names"));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hyperparameters_parse_by_name() {
        assert_eq!(
            hyperparam("tempo", "10").unwrap(),
            HyperparamValue::Tempo(10)
        );
        assert_eq!(
            hyperparam("sudo_set_kappa", "100").unwrap(),
            HyperparamValue::Kappa(100)
        );
        assert!(hyperparam("tempo", "x").is_err());
        assert!(hyperparam("nope", "1").is_err());
        assert_eq!(
            hyperparam("alpha_values", "1, 2").unwrap(),
            HyperparamValue::AlphaValues { low: 1, high: 2 }
        );
    }
}

//! `rustensor gateway`: an OpenAI-compatible API (`/v1/chat/completions`, `/v1/models`) in
//! front of a text subnet's miners, routed by incentive from the chain metagraph
//! (`docs/gateway.md`). Its dendrite signs with `--name/--hotkey` when given, else with a fresh
//! ephemeral key (miners that blacklist unregistered callers will refuse it).

use std::time::{Duration, Instant};

use clap::Args;
use gateway::GatewayConfig;
use keys::Keypair;
use neuron::Dendrite;

use super::miner;
use super::net::{self, KeyArgs, NetworkArgs};
use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;

#[derive(Debug, Args)]
pub struct GatewayArgs {
    /// The text-generation subnet.
    #[arg(long)]
    netuid: u16,
    /// HTTP port on 127.0.0.1.
    #[arg(long, default_value_t = 8080)]
    port: u16,
    #[command(flatten)]
    net: NetworkArgs,
    /// Accepted API key (repeat for several); none = no authentication.
    #[arg(long = "api-key", value_name = "KEY")]
    api_keys: Vec<String>,
    /// Wallet whose hotkey signs the gateway's requests to miners.
    #[arg(long, visible_alias = "wallet-name", requires = "hotkey")]
    name: Option<String>,
    /// Hotkey name in that wallet [default: a fresh ephemeral key].
    #[arg(long, visible_alias = "wallet-hotkey", requires = "name")]
    hotkey: Option<String>,
    /// Per-miner timeout in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    timeout: f64,
}

pub fn run(args: GatewayArgs, global: &GlobalArgs, out: &Output) -> CliResult {
    let started = Instant::now();
    let timeout = Duration::try_from_secs_f64(args.timeout)
        .map_err(|_| CliError::new("--timeout must be a non-negative number of seconds"))?;
    let (key, ephemeral) = match (&args.name, &args.hotkey) {
        (Some(name), Some(hotkey)) => {
            let ka = KeyArgs {
                name: name.clone(),
                hotkey: hotkey.clone(),
            };
            (net::Keys::new(global, &ka, out)?.hotkey()?, false)
        }
        _ => (Keypair::generate(12)?.0, true),
    };
    if ephemeral {
        out.note(format!(
            "gateway: signing with a fresh ephemeral key {} (pass --name/--hotkey to use a registered one)",
            key.account_id().to_ss58()
        ));
    }
    let json = out.is_json();
    net::runtime()?.block_on(async move {
        let (_client, mg) = miner::chain_metagraph(&args.net, args.netuid).await?;
        let dendrite = Dendrite::new(key).map_err(|e| CliError::new(format!("dendrite: {e}")))?;
        let mut config = GatewayConfig::new(mg.clone(), dendrite, args.port);
        config.api_keys = args.api_keys.clone();
        config.timeout = timeout;
        let running = gateway::serve(config)
            .await
            .map_err(|e| CliError::new(e.to_string()).with_hint("pick another --port"))?;
        let url = running.base_url();
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "event": "serving", "url": url, "netuid": args.netuid,
                    "ephemeral_key": ephemeral, "startup_ms": started.elapsed().as_millis(),
                })
            );
        } else {
            println!(
                "gateway for subnet {} at {url} (OpenAI-compatible: {url}/chat/completions)",
                args.netuid
            );
        }
        miner::shutdown_signal().await;
        out.note("stopping the gateway...");
        running
            .shutdown()
            .await
            .map_err(|e| CliError::new(e.to_string()))?;
        Ok(())
    })
}

//! What every chain command shares: the node address, the wallet and hotkey, connecting,
//! unlocking keys, and sending a transaction (dry run, question, spinner, block and events).

use std::path::Path;
use std::time::Duration;

use chain::{Call, TxOutcome};
use clap::Args;
use client::views::{DryRunView, TxInclusion};
use client::{Client, ClientError, TxOptions, Wait};
use keys::Keypair;
use serde::Serialize;
use types::{AccountId, TaoBalance};
use wallet::{KdfParams, Wallet};

use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;
use crate::password;

/// The node to talk to.
#[derive(Debug, Clone, Args)]
pub struct NetworkArgs {
    /// Node address (WebSocket JSON-RPC), or `local` for ws://127.0.0.1:9944.
    #[arg(
        long,
        visible_alias = "subtensor.network",
        aliases = ["subtensor.chain_endpoint", "subtensor.chain-endpoint", "chain"],
        env = "RUSTENSOR_NETWORK",
        default_value = client::DEFAULT_URL,
        value_parser = parse_network,
    )]
    pub network: String,
}

/// The networks btcli knows by name; none of them is a rustensor chain.
const BITTENSOR_NETWORKS: [&str; 7] = [
    "finney",
    "test",
    "archive",
    "subvortex",
    "rao",
    "dev",
    "latent-lite",
];

/// A node address as `--network` takes it: `ws://` or `wss://`, or btcli's `local`. btcli's
/// other network names are Bittensor's own chains, which rustensor does not talk to.
pub fn parse_network(given: &str) -> Result<String, String> {
    let address = given.trim();
    if address == "local" {
        return Ok(client::DEFAULT_URL.to_owned());
    }
    if address.starts_with("ws://") || address.starts_with("wss://") {
        return Ok(address.to_owned());
    }
    if BITTENSOR_NETWORKS.contains(&address) {
        return Err(format!(
            "`{address}` is one of Bittensor's own networks, which rustensor does not connect to\n  \
             hint: pass a rustensor node's address, e.g. --network ws://127.0.0.1:9944, or \
             `local` for that one"
        ));
    }
    Err(format!(
        "`{address}` is not a node address\n  \
         hint: pass ws://HOST:PORT (a rustensor node's JSON-RPC), or `local` for {}",
        client::DEFAULT_URL
    ))
}

/// The wallet and hotkey a command uses.
#[derive(Debug, Clone, Args)]
pub struct KeyArgs {
    /// Wallet name.
    #[arg(
        long,
        visible_alias = "wallet-name",
        aliases = ["wallet.name", "wallet_name"],
        default_value = "default"
    )]
    pub name: String,
    /// Hotkey name (or an SS58 address where a hotkey address is enough).
    #[arg(
        long,
        short_alias = 'H',
        visible_alias = "wallet-hotkey",
        aliases = [
            "wallet.hotkey",
            "wallet_hotkey",
            "hotkey-ss58",
            "hotkey-ss58-address",
            "wallet-hotkey-ss58",
            "wallet_hotkey_ss58",
        ],
        default_value = "default"
    )]
    pub hotkey: String,
}

/// Options of commands that send a transaction.
#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Send without asking.
    #[arg(short = 'y', long, visible_alias = "no-prompt", alias = "no_prompt")]
    pub yes: bool,
    /// Tip to the block author, in TAO.
    #[arg(long, value_parser = parse_tao)]
    pub tip: Option<TaoBalance>,
}

/// Parses a TAO amount such as `1.5`.
pub fn parse_tao(s: &str) -> Result<TaoBalance, String> {
    TaoBalance::parse_decimal(s).map_err(|e| e.to_string())
}

/// Parses an alpha amount such as `1.5`.
pub fn parse_alpha(s: &str) -> Result<types::AlphaBalance, String> {
    types::AlphaBalance::parse_decimal(s).map_err(|e| e.to_string())
}

/// A single-threaded-enough runtime for one command.
pub fn runtime() -> CliResult<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::new(format!("cannot start the async runtime: {e}")))
}

impl From<ClientError> for CliError {
    fn from(e: ClientError) -> Self {
        let hint = e.hint();
        let err = CliError::new(e.to_string());
        match hint {
            Some(h) => err.with_hint(h),
            None => err,
        }
    }
}

/// Connects to the node.
pub async fn connect(net: &NetworkArgs) -> CliResult<Client> {
    Ok(Client::connect(&net.network).await?)
}

/// The wallet folder and password source.
pub struct Keys<'a> {
    root: std::path::PathBuf,
    password_file: Option<&'a Path>,
    /// The wallet folder as given (for `BT_PW_<PATH>`).
    wallet_path: Option<&'a Path>,
    out: &'a Output,
    args: &'a KeyArgs,
}

impl<'a> Keys<'a> {
    /// Keys for `args` under the global wallet path.
    pub fn new(global: &'a GlobalArgs, args: &'a KeyArgs, out: &'a Output) -> CliResult<Self> {
        Ok(Self {
            root: super::wallet::wallet_root(global.wallet_path.as_deref())?,
            password_file: global.password_file.as_deref(),
            wallet_path: global.wallet_path.as_deref(),
            out,
            args,
        })
    }

    fn wallet(&self) -> CliResult<Wallet> {
        wallet::folder::check_name("wallet", &self.args.name)?;
        Ok(Wallet::new(self.root.clone(), &self.args.name))
    }

    /// The coldkey's address (no password).
    pub fn coldkey_pub(&self) -> CliResult<AccountId> {
        Ok(self.wallet()?.coldkeypub()?)
    }

    /// The hotkey's address: `--hotkey` as SS58, or the wallet's hotkey file.
    pub fn hotkey_pub(&self) -> CliResult<AccountId> {
        if let Ok(a) = self.args.hotkey.parse::<AccountId>() {
            return Ok(a);
        }
        Ok(self.wallet()?.hotkeypub(&self.args.hotkey)?)
    }

    /// Unlocks the coldkey.
    pub fn coldkey(&self) -> CliResult<Keypair> {
        let wallet = self.wallet()?;
        let password = if wallet.coldkey_is_encrypted()? {
            let keyfile = password::keyfile_as_given(self.wallet_path, &self.args.name, None);
            let p = password::existing(self.password_file, "the coldkey", &keyfile)?;
            self.out.note("Decrypting the coldkey...");
            Some(p)
        } else {
            None
        };
        Ok(wallet.load_coldkey(
            password.as_deref().map(String::as_str),
            KdfParams::BITTENSOR,
        )?)
    }

    /// Unlocks the hotkey.
    pub fn hotkey(&self) -> CliResult<Keypair> {
        let wallet = self.wallet()?;
        let name = &self.args.hotkey;
        let password = if wallet.hotkey_is_encrypted(name)? {
            let keyfile = password::keyfile_as_given(self.wallet_path, &self.args.name, Some(name));
            Some(password::existing(
                self.password_file,
                &format!("hotkey '{name}'"),
                &keyfile,
            )?)
        } else {
            None
        };
        Ok(wallet.load_hotkey(
            name,
            password.as_deref().map(String::as_str),
            KdfParams::BITTENSOR,
        )?)
    }
}

/// `rao` as `τ1.234567890`.
pub fn tao(rao: u64) -> String {
    TaoBalance::from_rao(rao).to_string()
}

/// A price in rao per alpha as TAO per alpha.
pub fn price(rao_per_alpha: u64) -> String {
    format!(
        "{} τ/α",
        TaoBalance::from_rao(rao_per_alpha).to_decimal_string()
    )
}

/// A u16-normalised value as a fraction.
pub fn frac(v: u16) -> String {
    format!("{:.4}", f64::from(v) / 65_535.0)
}

/// What a sent transaction did, as `--json` prints it.
#[derive(Debug, Serialize)]
pub struct SentJson {
    /// The call name.
    pub call: String,
    /// Transaction hash.
    pub hash: String,
    /// Block height.
    pub block: u64,
    /// Block hash.
    pub block_hash: Option<String>,
    /// Index in the block.
    pub index: u32,
    /// Fee (rao).
    pub fee: u64,
    /// The outcome.
    pub outcome: TxOutcome,
    /// The events.
    pub events: Vec<chain::Event>,
}

fn show_preview(out: &Output, what: &str, dry: &DryRunView) {
    out.note(what);
    out.note(format!("  fee: {}", dry.fee));
    if !dry.tip.is_zero() {
        out.note(format!("  tip: {}", dry.tip));
    }
    // Stake moves between hotkeys, coldkeys or subnets: what arrives, from the dry run.
    for e in &dry.events {
        if let chain::Event::StakeMoved {
            to_netuid,
            alpha_out,
            alpha_in,
            tao,
            ..
        } = e
        {
            out.note(format!(
                "  you receive about {alpha_in} on subnet {} for {alpha_out} (worth {tao})",
                to_netuid.0
            ));
        }
    }
    for p in &dry.price_impact {
        out.note(format!(
            "  subnet {} price: {} -> {} ({:+.2}%)",
            p.netuid.0,
            price(p.price_before_rao),
            price(p.price_after_rao),
            f64::from(i32::try_from(p.change_bps).unwrap_or(i32::MAX)) / 100.0
        ));
    }
}

/// Explains a failed outcome as a CLI error.
pub fn outcome_error(outcome: &TxOutcome, before_sending: bool) -> Option<CliError> {
    let (e, when) = match outcome {
        TxOutcome::Applied => return None,
        TxOutcome::Failed(e) => (e, "failed"),
        TxOutcome::Invalid(e) => (e, "is invalid"),
    };
    let prefix = if before_sending {
        format!("the transaction would fail: {e}")
    } else {
        format!("the transaction {when}: {e}")
    };
    Some(CliError::new(prefix).with_hint(e.hint()))
}

/// Dry-runs `call`, shows cost and price impact, asks, sends, waits for finality with a
/// spinner, and prints the block and events.
pub async fn send(
    client: &Client,
    out: &Output,
    pair: &Keypair,
    call: Call,
    send: &SendArgs,
    what: &str,
) -> CliResult<SentJson> {
    let tip = send.tip.unwrap_or(TaoBalance::ZERO);
    let dry = client.dry_run(&pair.account_id(), &call, tip).await?;
    show_preview(out, what, &dry);
    if let Some(e) = outcome_error(&dry.outcome, true) {
        return Err(e);
    }
    if !send.yes && !password::confirm("Send it?") {
        return Err(CliError::new("not sent")
            .with_hint("answer y, or pass -y to send without asking (needed without a terminal)"));
    }
    let spinner = spinner(out, "waiting for inclusion and finality...");
    let name = call.name().to_string();
    let report = client
        .send(
            pair,
            call,
            TxOptions {
                tip,
                nonce: None,
                wait: Wait::Finalized,
            },
        )
        .await;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    let report = report?;
    let inc: TxInclusion = report.inclusion.ok_or_else(|| {
        CliError::new("the node did not report the block").with_hint("query the transaction later")
    })?;
    let receipt = inc.receipt.clone();
    let (fee, outcome, events) = match receipt {
        Some(r) => (r.fee.rao(), r.outcome, r.events),
        None => (dry.fee.rao(), TxOutcome::Applied, Vec::new()),
    };
    out.line(format!(
        "Finalized in block #{} ({}), index {}",
        inc.height,
        inc.block_hash.map(|h| h.to_string()).unwrap_or_default(),
        inc.index
    ));
    for e in &events {
        out.line(format!("  event: {e}"));
    }
    if let Some(e) = outcome_error(&outcome, false) {
        return Err(e);
    }
    Ok(SentJson {
        call: name,
        hash: report.hash.to_string(),
        block: inc.height,
        block_hash: inc.block_hash.map(|h| h.to_string()),
        index: inc.index,
        fee,
        outcome,
        events,
    })
}

/// A spinner on stderr (none in JSON mode).
pub fn spinner(out: &Output, msg: &str) -> Option<indicatif::ProgressBar> {
    if out.is_json() {
        return None;
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    bar.set_message(msg.to_string());
    bar.enable_steady_tick(Duration::from_millis(100));
    Some(bar)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// The shared argument groups alone, to read back what each spelling set.
    #[derive(Debug, Parser)]
    struct Shared {
        #[command(flatten)]
        net: NetworkArgs,
        #[command(flatten)]
        keys: KeyArgs,
        #[command(flatten)]
        send: SendArgs,
    }

    fn shared(args: &[&str]) -> Shared {
        Shared::try_parse_from(std::iter::once("t").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    #[test]
    fn btcli_spellings_set_the_same_fields() {
        for name in ["--name", "--wallet-name", "--wallet.name", "--wallet_name"] {
            assert_eq!(shared(&[name, "tao1"]).keys.name, "tao1", "{name}");
        }
        for hotkey in [
            "--hotkey",
            "-H",
            "--wallet-hotkey",
            "--wallet.hotkey",
            "--wallet_hotkey",
            "--hotkey-ss58",
            "--hotkey-ss58-address",
        ] {
            assert_eq!(
                shared(&[hotkey, "miner1"]).keys.hotkey,
                "miner1",
                "{hotkey}"
            );
        }
        for network in [
            "--network",
            "--subtensor.network",
            "--subtensor.chain_endpoint",
            "--chain",
        ] {
            let s = shared(&[network, "ws://10.0.0.1:9000"]);
            assert_eq!(s.net.network, "ws://10.0.0.1:9000", "{network}");
        }
        for yes in ["-y", "--yes", "--no-prompt", "--no_prompt"] {
            assert!(shared(&[yes]).send.yes, "{yes}");
        }
        let defaults = shared(&[]);
        assert_eq!(
            (defaults.keys.name.as_str(), defaults.keys.hotkey.as_str()),
            ("default", "default")
        );
        assert!(!defaults.send.yes);
    }

    #[test]
    fn network_names() {
        assert_eq!(parse_network("local").unwrap(), "ws://127.0.0.1:9944");
        assert_eq!(
            parse_network("wss://node.example:443").unwrap(),
            "wss://node.example:443"
        );
        for name in ["finney", "test", "archive"] {
            let e = parse_network(name).unwrap_err();
            assert!(
                e.contains("Bittensor's own networks") && e.contains("hint: "),
                "{e}"
            );
        }
        let e = parse_network("127.0.0.1:9944").unwrap_err();
        assert!(
            e.contains("not a node address") && e.contains("ws://HOST:PORT"),
            "{e}"
        );
    }
}

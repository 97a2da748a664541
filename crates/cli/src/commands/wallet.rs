//! `rustensor wallet`: create, regenerate, list and inspect wallets; sign and verify messages.
//!
//! Files are exactly those of the Python bittensor-wallet 4.x, so both tools read each other's
//! wallets. Coldkeys are encrypted unless `--no-password`; hotkeys are plaintext unless
//! `--use-password`, since miners and validators load them unattended.

use crate::GlobalArgs;
use crate::error::{CliError, CliResult};
use crate::output::Output;
use crate::password;
use clap::{Args, Subcommand};
use keys::Keypair;
use serde::Serialize;
use std::path::{Path, PathBuf};
use types::AccountId;
use wallet::{KdfParams, Wallet};

mod ops;

use self::ops::{
    confirm_overwrite, create, inspect, list, show_mnemonic, sign, verify, write_coldkey,
    write_hotkey,
};

/// Default wallet and hotkey name, as in btcli.
const DEFAULT_NAME: &str = "default";

/// btcli's spellings of `--hotkey`.
const HOTKEY_ALIASES: [&str; 3] = ["wallet-hotkey", "wallet.hotkey", "wallet_hotkey"];

#[derive(Debug, Subcommand)]
pub enum WalletCommand {
    /// Create a new coldkey and a hotkey.
    Create(CreateArgs),
    /// Create a new coldkey.
    #[command(alias = "new_coldkey")]
    NewColdkey(NewColdkeyArgs),
    /// Create a new hotkey.
    #[command(alias = "new_hotkey")]
    NewHotkey(NewHotkeyArgs),
    /// Restore a coldkey from its mnemonic or a secret URI such as //Alice.
    #[command(alias = "regen_coldkey")]
    RegenColdkey(RegenColdkeyArgs),
    /// Restore the public part of a coldkey (coldkeypub.txt) from its SS58 address.
    #[command(alias = "regen_coldkeypub")]
    RegenColdkeypub(RegenColdkeypubArgs),
    /// Restore a hotkey from its mnemonic or a secret URI.
    #[command(alias = "regen_hotkey")]
    RegenHotkey(RegenHotkeyArgs),
    /// List every wallet with its coldkey and hotkey addresses (no password needed).
    List,
    /// Decrypt a key and show its addresses and public key.
    Inspect(InspectArgs),
    /// Sign a message with a coldkey (or a hotkey with --hotkey).
    Sign(SignArgs),
    /// Verify a signature.
    Verify(VerifyArgs),
    /// Free balance and staked value on the chain.
    Balance(super::wallet_chain::BalanceArgs),
    /// Balances, stakes per subnet and registrations on the chain.
    Overview(super::wallet_chain::OverviewArgs),
    /// Send TAO to another account (the same as `rustensor transfer`).
    Transfer(super::transfer::TransferArgs),
}

#[derive(Debug, Args)]
pub struct NameArg {
    /// Wallet name.
    #[arg(
        long,
        visible_alias = "wallet-name",
        aliases = ["wallet.name", "wallet_name"],
        default_value = DEFAULT_NAME
    )]
    name: String,
}

#[derive(Debug, Args)]
pub struct NewKeyOptions {
    /// Number of mnemonic words.
    #[arg(
        long,
        visible_alias = "n-words",
        alias = "n_words",
        default_value_t = 12,
        value_parser = parse_word_count
    )]
    words: usize,
    /// Replace existing key files without asking.
    #[arg(long)]
    overwrite: bool,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    name: NameArg,
    /// Hotkey name.
    #[arg(
        long,
        short_alias = 'H',
        aliases = HOTKEY_ALIASES,
        default_value = DEFAULT_NAME
    )]
    hotkey: String,
    #[command(flatten)]
    options: NewKeyOptions,
    /// Store the coldkey unencrypted (not recommended outside tests and local networks).
    #[arg(long, alias = "no-use-password")]
    no_password: bool,
    /// Encrypt the hotkey too.
    #[arg(long)]
    use_password_for_hotkey: bool,
}

#[derive(Debug, Args)]
pub struct NewColdkeyArgs {
    #[command(flatten)]
    name: NameArg,
    #[command(flatten)]
    options: NewKeyOptions,
    /// Store the coldkey unencrypted.
    #[arg(long, alias = "no-use-password")]
    no_password: bool,
}

#[derive(Debug, Args)]
pub struct NewHotkeyArgs {
    #[command(flatten)]
    name: NameArg,
    /// Hotkey name.
    #[arg(
        long,
        short_alias = 'H',
        aliases = HOTKEY_ALIASES,
        default_value = DEFAULT_NAME
    )]
    hotkey: String,
    #[command(flatten)]
    options: NewKeyOptions,
    /// Encrypt the hotkey.
    #[arg(long)]
    use_password: bool,
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct SecretSource {
    /// The mnemonic, as words separated by spaces.
    #[arg(long)]
    mnemonic: Option<String>,
    /// A secret URI: //Alice, or a mnemonic followed by //hard/soft///password.
    #[arg(long)]
    uri: Option<String>,
}

impl SecretSource {
    fn keypair(&self) -> CliResult<Keypair> {
        match (&self.mnemonic, &self.uri) {
            (Some(mnemonic), _) => Ok(Keypair::from_mnemonic(mnemonic)?),
            (None, Some(uri)) => Ok(Keypair::from_uri(uri)?),
            (None, None) => Err(CliError::new("no secret given")
                .with_hint("pass --mnemonic \"word1 word2 ...\" or --uri //Name")),
        }
    }
}

#[derive(Debug, Args)]
pub struct RegenColdkeyArgs {
    #[command(flatten)]
    name: NameArg,
    #[command(flatten)]
    secret: SecretSource,
    /// Store the coldkey unencrypted.
    #[arg(long, alias = "no-use-password")]
    no_password: bool,
    /// Replace existing key files without asking.
    #[arg(long)]
    overwrite: bool,
}

#[derive(Debug, Args)]
pub struct RegenColdkeypubArgs {
    #[command(flatten)]
    name: NameArg,
    /// The coldkey's SS58 address.
    #[arg(long, alias = "ss58-address")]
    ss58: String,
    /// Replace an existing coldkeypub.txt without asking.
    #[arg(long)]
    overwrite: bool,
}

#[derive(Debug, Args)]
pub struct RegenHotkeyArgs {
    #[command(flatten)]
    name: NameArg,
    /// Hotkey name.
    #[arg(
        long,
        short_alias = 'H',
        aliases = HOTKEY_ALIASES,
        default_value = DEFAULT_NAME
    )]
    hotkey: String,
    #[command(flatten)]
    secret: SecretSource,
    /// Encrypt the hotkey.
    #[arg(long)]
    use_password: bool,
    /// Replace existing key files without asking.
    #[arg(long)]
    overwrite: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    name: NameArg,
    /// Inspect this hotkey instead of the coldkey.
    #[arg(long, short_alias = 'H', aliases = HOTKEY_ALIASES)]
    hotkey: Option<String>,
    /// Also show the secret material (mnemonic, seed, private key). Never shown otherwise.
    #[arg(long)]
    show_secret: bool,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    #[command(flatten)]
    name: NameArg,
    /// Sign with this hotkey instead of the coldkey.
    #[arg(long, short_alias = 'H', aliases = HOTKEY_ALIASES)]
    hotkey: Option<String>,
    /// The message (signed as its UTF-8 bytes).
    #[arg(long)]
    message: String,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The message that was signed.
    #[arg(long)]
    message: String,
    /// The signature, 128 hex characters (an `0x` prefix is optional).
    #[arg(long)]
    signature: String,
    /// The signer's SS58 address.
    #[arg(long, aliases = ["address", "public-key"])]
    ss58: String,
}

/// Mnemonic lengths BIP39 allows.
fn parse_word_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(words @ (12 | 15 | 18 | 21 | 24)) => Ok(words),
        _ => Err("a mnemonic has 12, 15, 18, 21 or 24 words".to_owned()),
    }
}

/// What a command needs to reach the wallets.
struct Context<'a> {
    root: PathBuf,
    password_file: Option<&'a Path>,
    /// The wallet folder as given (for `BT_PW_<PATH>`).
    wallet_path: Option<&'a Path>,
    out: &'a Output,
}

impl Context<'_> {
    fn wallet(&self, name: &str) -> CliResult<Wallet> {
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(
                CliError::new(format!("'{name}' is not a valid wallet name"))
                    .with_hint("use a plain name without slashes, e.g. --name miner"),
            );
        }
        Ok(Wallet::new(self.root.clone(), name))
    }
}

/// `~/.bittensor/wallets`, or the given folder with a leading `~` expanded.
pub fn wallet_root(given: Option<&Path>) -> CliResult<PathBuf> {
    let home = || {
        std::env::var_os("HOME").map(PathBuf::from).ok_or_else(|| {
            CliError::new("cannot find the home folder (HOME is not set)")
                .with_hint("pass --wallet-path DIR")
        })
    };
    match given {
        None => Ok(home()?.join(".bittensor").join("wallets")),
        Some(path) => match path.strip_prefix("~") {
            Ok(rest) => Ok(home()?.join(rest)),
            Err(_) => Ok(path.to_path_buf()),
        },
    }
}

pub fn run(command: WalletCommand, global: &GlobalArgs, out: &Output) -> CliResult {
    let ctx = Context {
        root: wallet_root(global.wallet_path.as_deref())?,
        password_file: global.password_file.as_deref(),
        wallet_path: global.wallet_path.as_deref(),
        out,
    };
    match command {
        WalletCommand::Create(args) => create(&ctx, args),
        WalletCommand::NewColdkey(args) => {
            let wallet = ctx.wallet(&args.name.name)?;
            let (pair, mnemonic) = Keypair::generate(args.options.words)?;
            let coldkey = write_coldkey(
                &ctx,
                &wallet,
                &pair,
                !args.no_password,
                args.options.overwrite,
            )?;
            show_mnemonic(&ctx, "coldkey", &mnemonic);
            ctx.out.json(&CreatedKeys {
                name: &args.name.name,
                coldkey: Some(coldkey),
                hotkey: None,
                coldkey_mnemonic: Some(&mnemonic),
                hotkey_mnemonic: None,
            });
            Ok(())
        }
        WalletCommand::NewHotkey(args) => {
            let wallet = ctx.wallet(&args.name.name)?;
            let (pair, mnemonic) = Keypair::generate(args.options.words)?;
            let hotkey = write_hotkey(
                &ctx,
                &wallet,
                &args.hotkey,
                &pair,
                args.use_password,
                args.options.overwrite,
            )?;
            show_mnemonic(&ctx, "hotkey", &mnemonic);
            ctx.out.json(&CreatedKeys {
                name: &args.name.name,
                coldkey: None,
                hotkey: Some(HotkeyJson {
                    name: args.hotkey.clone(),
                    ss58: Some(hotkey),
                }),
                coldkey_mnemonic: None,
                hotkey_mnemonic: Some(&mnemonic),
            });
            Ok(())
        }
        WalletCommand::RegenColdkey(args) => {
            let wallet = ctx.wallet(&args.name.name)?;
            let pair = args.secret.keypair()?;
            let coldkey = write_coldkey(&ctx, &wallet, &pair, !args.no_password, args.overwrite)?;
            ctx.out.json(&CreatedKeys {
                name: &args.name.name,
                coldkey: Some(coldkey),
                hotkey: None,
                coldkey_mnemonic: None,
                hotkey_mnemonic: None,
            });
            Ok(())
        }
        WalletCommand::RegenColdkeypub(args) => {
            let wallet = ctx.wallet(&args.name.name)?;
            let account: AccountId = args.ss58.parse()?;
            let overwrite = confirm_overwrite(&ctx, &[wallet.coldkeypub_path()], args.overwrite)?;
            wallet.write_coldkeypub(&account, overwrite)?;
            ctx.out.line(format!(
                "Coldkeypub written: {}",
                wallet.coldkeypub_path().display()
            ));
            ctx.out.json(&CreatedKeys {
                name: &args.name.name,
                coldkey: Some(account.to_ss58()),
                hotkey: None,
                coldkey_mnemonic: None,
                hotkey_mnemonic: None,
            });
            Ok(())
        }
        WalletCommand::RegenHotkey(args) => {
            let wallet = ctx.wallet(&args.name.name)?;
            let pair = args.secret.keypair()?;
            let hotkey = write_hotkey(
                &ctx,
                &wallet,
                &args.hotkey,
                &pair,
                args.use_password,
                args.overwrite,
            )?;
            ctx.out.json(&CreatedKeys {
                name: &args.name.name,
                coldkey: None,
                hotkey: Some(HotkeyJson {
                    name: args.hotkey.clone(),
                    ss58: Some(hotkey),
                }),
                coldkey_mnemonic: None,
                hotkey_mnemonic: None,
            });
            Ok(())
        }
        WalletCommand::List => list(&ctx),
        WalletCommand::Inspect(args) => inspect(&ctx, args),
        WalletCommand::Sign(args) => sign(&ctx, args),
        WalletCommand::Verify(args) => verify(&ctx, args),
        WalletCommand::Balance(args) => super::wallet_chain::balance(args, global, out),
        WalletCommand::Overview(args) => super::wallet_chain::overview(args, global, out),
        WalletCommand::Transfer(args) => super::transfer::run(args, global, out),
    }
}

#[derive(Serialize)]
struct CreatedKeys<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    coldkey: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hotkey: Option<HotkeyJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coldkey_mnemonic: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hotkey_mnemonic: Option<&'a str>,
}

#[derive(Serialize)]
struct HotkeyJson {
    name: String,
    ss58: Option<String>,
}

#[derive(Serialize)]
struct WalletJson {
    name: String,
    coldkey: Option<String>,
    hotkeys: Vec<HotkeyJson>,
}

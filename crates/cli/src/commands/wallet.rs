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

fn create(ctx: &Context<'_>, args: CreateArgs) -> CliResult {
    let wallet = ctx.wallet(&args.name.name)?;
    // Ask about every existing file up front, so a refusal leaves nothing half-written.
    let overwrite = confirm_overwrite(
        ctx,
        &[
            wallet.coldkey_path(),
            wallet.coldkeypub_path(),
            wallet.hotkey_path(&args.hotkey),
        ],
        args.options.overwrite,
    )?;
    let (cold, cold_mnemonic) = Keypair::generate(args.options.words)?;
    let (hot, hot_mnemonic) = Keypair::generate(args.options.words)?;
    let coldkey = write_coldkey(ctx, &wallet, &cold, !args.no_password, overwrite)?;
    show_mnemonic(ctx, "coldkey", &cold_mnemonic);
    let hotkey = write_hotkey(
        ctx,
        &wallet,
        &args.hotkey,
        &hot,
        args.use_password_for_hotkey,
        overwrite,
    )?;
    show_mnemonic(ctx, "hotkey", &hot_mnemonic);
    ctx.out.json(&CreatedKeys {
        name: &args.name.name,
        coldkey: Some(coldkey),
        hotkey: Some(HotkeyJson {
            name: args.hotkey.clone(),
            ss58: Some(hotkey),
        }),
        coldkey_mnemonic: Some(&cold_mnemonic),
        hotkey_mnemonic: Some(&hot_mnemonic),
    });
    Ok(())
}

/// Returns whether to overwrite: true if allowed by flag or by the user; an error if a file exists
/// and the user declined (or could not be asked).
fn confirm_overwrite(ctx: &Context<'_>, paths: &[PathBuf], overwrite: bool) -> CliResult<bool> {
    if overwrite {
        return Ok(true);
    }
    for path in paths {
        if path.exists() {
            let question = format!("File {} already exists. Overwrite?", path.display());
            if ctx.out.is_json() || !password::confirm(&question) {
                return Err(CliError::new(format!(
                    "{} already exists; nothing was changed",
                    path.display()
                ))
                .with_hint("pass --overwrite to replace it, or choose another --name/--hotkey"));
            }
            return Ok(true);
        }
    }
    Ok(false)
}

fn write_coldkey(
    ctx: &Context<'_>,
    wallet: &Wallet,
    pair: &Keypair,
    encrypt: bool,
    overwrite: bool,
) -> CliResult<String> {
    let overwrite = confirm_overwrite(
        ctx,
        &[wallet.coldkey_path(), wallet.coldkeypub_path()],
        overwrite,
    )?;
    let password = if encrypt {
        Some(password::new(ctx.password_file, "the coldkey")?)
    } else {
        None
    };
    if password.is_some() {
        ctx.out
            .note("Encrypting the coldkey (this takes a few seconds)...");
    }
    wallet.write_coldkey(
        pair,
        password.as_deref().map(String::as_str),
        KdfParams::BITTENSOR,
        overwrite,
    )?;
    let ss58 = pair.ss58();
    ctx.out.line(format!(
        "Coldkey created: {ss58}  ({})",
        wallet.coldkey_path().display()
    ));
    Ok(ss58)
}

fn write_hotkey(
    ctx: &Context<'_>,
    wallet: &Wallet,
    name: &str,
    pair: &Keypair,
    encrypt: bool,
    overwrite: bool,
) -> CliResult<String> {
    if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
        return Err(
            CliError::new(format!("'{name}' is not a valid hotkey name"))
                .with_hint("use a plain name without slashes, e.g. --hotkey miner1"),
        );
    }
    let overwrite = confirm_overwrite(
        ctx,
        &[wallet.hotkey_path(name), wallet.hotkeypub_path(name)],
        overwrite,
    )?;
    let password = if encrypt {
        Some(password::new(ctx.password_file, "the hotkey")?)
    } else {
        None
    };
    wallet.write_hotkey(
        name,
        pair,
        password.as_deref().map(String::as_str),
        KdfParams::BITTENSOR,
        overwrite,
    )?;
    let ss58 = pair.ss58();
    ctx.out.line(format!(
        "Hotkey created: {ss58}  ({})",
        wallet.hotkey_path(name).display()
    ));
    Ok(ss58)
}

fn show_mnemonic(ctx: &Context<'_>, what: &str, mnemonic: &str) {
    if ctx.out.is_json() {
        ctx.out.note(format!(
            "IMPORTANT: the {what} mnemonic is in the JSON output. It is the only way to restore the key; store it offline and never share it."
        ));
        return;
    }
    ctx.out.line(format!(
        "\nIMPORTANT: store this {what} mnemonic in a secure (preferably offline) place. It is shown \
         only once; anyone who has it controls the key.\n\n    {mnemonic}\n\nTo restore the key later: \
         rustensor wallet regen-{what} --mnemonic \"<the words>\"\n"
    ));
}

fn list(ctx: &Context<'_>) -> CliResult {
    let wallets = wallet::list_wallets(&ctx.root)?;
    let json: Vec<WalletJson> = wallets
        .iter()
        .map(|w| WalletJson {
            name: w.name.clone(),
            coldkey: w.coldkey.clone(),
            hotkeys: w
                .hotkeys
                .iter()
                .map(|h| HotkeyJson {
                    name: h.name.clone(),
                    ss58: h.ss58.clone(),
                })
                .collect(),
        })
        .collect();
    if ctx.out.is_json() {
        ctx.out.json(&json);
        return Ok(());
    }
    if json.is_empty() {
        ctx.out.line(format!(
            "No wallets in {}. Create one with: rustensor wallet create --name NAME",
            ctx.root.display()
        ));
        return Ok(());
    }
    ctx.out.line(format!("Wallets ({})", ctx.root.display()));
    let count = json.len();
    for (i, wallet) in json.iter().enumerate() {
        let last = i + 1 == count;
        let (branch, indent) = if last {
            ("└──", "    ")
        } else {
            ("├──", "│   ")
        };
        let coldkey = wallet.coldkey.as_deref().unwrap_or("?");
        ctx.out.line(format!(
            "{branch} Coldkey {}  ss58_address {coldkey}",
            wallet.name
        ));
        let hotkeys = wallet.hotkeys.len();
        for (j, hotkey) in wallet.hotkeys.iter().enumerate() {
            let branch = if j + 1 == hotkeys {
                "└──"
            } else {
                "├──"
            };
            let ss58 = hotkey.ss58.as_deref().unwrap_or("<ENCRYPTED>");
            ctx.out.line(format!(
                "{indent}{branch} Hotkey {}  ss58_address {ss58}",
                hotkey.name
            ));
        }
    }
    Ok(())
}

/// Loads a key, asking for its password if it is encrypted.
fn unlock(ctx: &Context<'_>, wallet: &Wallet, hotkey: Option<&str>) -> CliResult<Keypair> {
    let (encrypted, what) = match hotkey {
        None => (wallet.coldkey_is_encrypted()?, "the coldkey".to_owned()),
        Some(name) => (
            wallet.hotkey_is_encrypted(name)?,
            format!("hotkey '{name}'"),
        ),
    };
    let password = if encrypted {
        let keyfile = password::keyfile_as_given(ctx.wallet_path, wallet.name(), hotkey);
        Some(password::existing(ctx.password_file, &what, &keyfile)?)
    } else {
        None
    };
    if encrypted {
        ctx.out.note(format!("Decrypting {what}..."));
    }
    let password = password.as_deref().map(String::as_str);
    Ok(match hotkey {
        None => wallet.load_coldkey(password, KdfParams::BITTENSOR)?,
        Some(name) => wallet.load_hotkey(name, password, KdfParams::BITTENSOR)?,
    })
}

#[derive(Serialize)]
struct InspectJson {
    name: String,
    key: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    hotkey: Option<String>,
    ss58: String,
    public_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<SecretJson>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hotkeys: Vec<HotkeyJson>,
}

#[derive(Serialize)]
struct SecretJson {
    mnemonic: Option<String>,
    secret_seed: Option<String>,
    private_key: String,
}

fn inspect(ctx: &Context<'_>, args: InspectArgs) -> CliResult {
    let wallet = ctx.wallet(&args.name.name)?;
    let pair = unlock(ctx, &wallet, args.hotkey.as_deref())?;
    let public_key = format!("0x{}", hex::encode(pair.public_key()));
    let secret = args.show_secret.then(|| SecretJson {
        mnemonic: pair.mnemonic().map(str::to_owned),
        secret_seed: pair
            .mini_secret()
            .map(|seed| format!("0x{}", hex::encode(seed))),
        private_key: format!("0x{}", hex::encode(*pair.private_key())),
    });
    let hotkeys: Vec<HotkeyJson> = if args.hotkey.is_none() {
        wallet
            .list_hotkeys()?
            .into_iter()
            .map(|h| HotkeyJson {
                name: h.name,
                ss58: h.ss58,
            })
            .collect()
    } else {
        Vec::new()
    };
    let view = InspectJson {
        name: args.name.name.clone(),
        key: if args.hotkey.is_some() {
            "hotkey"
        } else {
            "coldkey"
        },
        hotkey: args.hotkey.clone(),
        ss58: pair.ss58(),
        public_key,
        secret,
        hotkeys,
    };
    if ctx.out.is_json() {
        ctx.out.json(&view);
        return Ok(());
    }
    let label = match &view.hotkey {
        Some(name) => format!("Hotkey {name} of wallet {}", view.name),
        None => format!("Coldkey of wallet {}", view.name),
    };
    ctx.out.line(label);
    ctx.out.line(format!("  ss58_address  {}", view.ss58));
    ctx.out.line(format!("  public_key    {}", view.public_key));
    ctx.out.line("  crypto_type   sr25519");
    if let Some(secret) = &view.secret {
        ctx.out
            .line("  -- secret material: anyone who sees it controls the key --");
        if let Some(mnemonic) = &secret.mnemonic {
            ctx.out.line(format!("  mnemonic      {mnemonic}"));
        }
        if let Some(seed) = &secret.secret_seed {
            ctx.out.line(format!("  secret_seed   {seed}"));
        }
        ctx.out
            .line(format!("  private_key   {}", secret.private_key));
    }
    for hotkey in &view.hotkeys {
        let ss58 = hotkey.ss58.as_deref().unwrap_or("<ENCRYPTED>");
        ctx.out.line(format!("  hotkey {}  {ss58}", hotkey.name));
    }
    Ok(())
}

fn sign(ctx: &Context<'_>, args: SignArgs) -> CliResult {
    let wallet = ctx.wallet(&args.name.name)?;
    let pair = unlock(ctx, &wallet, args.hotkey.as_deref())?;
    let signature = hex::encode(pair.sign(args.message.as_bytes()));
    let signer = pair.ss58();
    if ctx.out.is_json() {
        ctx.out.json(&serde_json::json!({ "signature": signature, "signer": signer, "message": args.message }));
    } else {
        ctx.out.line("Message signed successfully!");
        ctx.out.line(format!("Signature: {signature}"));
        ctx.out.line(format!("Signer: {signer}"));
    }
    Ok(())
}

fn parse_signature(text: &str) -> CliResult<[u8; 64]> {
    let digits = text.trim().trim_start_matches("0x");
    let bytes = hex::decode(digits).map_err(|_| {
        CliError::new("the signature is not hexadecimal")
            .with_hint("pass the 128 hex characters that `wallet sign` printed")
    })?;
    <[u8; 64]>::try_from(bytes.as_slice()).map_err(|_| {
        CliError::new(format!(
            "the signature has {} bytes; an sr25519 signature has 64",
            bytes.len()
        ))
        .with_hint("pass the 128 hex characters that `wallet sign` printed")
    })
}

fn verify(ctx: &Context<'_>, args: VerifyArgs) -> CliResult {
    let signer: AccountId = args.ss58.parse()?;
    let signature = parse_signature(&args.signature)?;
    let valid = keys::verify(signer.as_bytes(), args.message.as_bytes(), &signature);
    if ctx.out.is_json() {
        ctx.out.json(&serde_json::json!({ "valid": valid, "signer": signer.to_ss58(), "crypto_type": "sr25519" }));
    } else if valid {
        ctx.out.line("Signature is valid!");
        ctx.out.line(format!("Signer: {signer}"));
        ctx.out.line("Crypto type: sr25519");
    }
    if valid {
        Ok(())
    } else {
        Err(CliError::new(format!(
            "the signature is NOT valid for this message and signer {signer}"
        ))
        .with_hint("check the message text (exact bytes), the signature and the address"))
    }
}

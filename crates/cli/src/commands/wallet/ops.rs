//! The work behind `rustensor wallet`'s commands: creating and writing keys (asking before
//! overwriting, showing a new mnemonic once), listing wallets, inspecting keys, and signing
//! and verifying messages. The flags and the dispatch are in `wallet.rs`.

use super::*;

pub(super) fn create(ctx: &Context<'_>, args: CreateArgs) -> CliResult {
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
pub(super) fn confirm_overwrite(
    ctx: &Context<'_>,
    paths: &[PathBuf],
    overwrite: bool,
) -> CliResult<bool> {
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

pub(super) fn write_coldkey(
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

pub(super) fn write_hotkey(
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

pub(super) fn show_mnemonic(ctx: &Context<'_>, what: &str, mnemonic: &str) {
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

pub(super) fn list(ctx: &Context<'_>) -> CliResult {
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
pub(super) fn unlock(
    ctx: &Context<'_>,
    wallet: &Wallet,
    hotkey: Option<&str>,
) -> CliResult<Keypair> {
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

pub(super) fn inspect(ctx: &Context<'_>, args: InspectArgs) -> CliResult {
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

pub(super) fn sign(ctx: &Context<'_>, args: SignArgs) -> CliResult {
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

pub(super) fn parse_signature(text: &str) -> CliResult<[u8; 64]> {
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

pub(super) fn verify(ctx: &Context<'_>, args: VerifyArgs) -> CliResult {
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

//! Passwords: from `--password-file`, the env var `RUSTENSOR_PASSWORD`, the Python wallet's
//! per-keyfile `BT_PW_<PATH>` variable, or a no-echo prompt (in that order).

use crate::error::{CliError, CliResult};
use std::io::{IsTerminal, Write};
use std::path::Path;
use zeroize::Zeroizing;

/// Environment variable that holds a password for unattended runs.
pub const PASSWORD_ENV: &str = "RUSTENSOR_PASSWORD";

/// The shortest password we accept for a new key (the Python wallet asks for 6 too).
const MIN_PASSWORD_LEN: usize = 6;

/// A password given without a prompt, if any: the file first, then the environment.
fn unattended(password_file: Option<&Path>) -> CliResult<Option<Zeroizing<String>>> {
    if let Some(path) = password_file {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|error| {
            CliError::new(format!(
                "cannot read the password file {}: {error}",
                path.display()
            ))
            .with_hint("check the path given to --password-file")
        })?);
        let first_line = text.lines().next().unwrap_or("");
        return Ok(Some(Zeroizing::new(first_line.to_owned())));
    }
    Ok(std::env::var(PASSWORD_ENV).ok().map(Zeroizing::new))
}

fn no_terminal() -> CliError {
    CliError::new("a password is needed, but there is no terminal to ask on").with_hint(format!(
        "pass --password-file FILE or set {PASSWORD_ENV} (or use --no-password for a plaintext key)"
    ))
}

fn prompt(text: &str) -> CliResult<Zeroizing<String>> {
    if !std::io::stdin().is_terminal() {
        return Err(no_terminal());
    }
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .map_err(|error| CliError::new(format!("could not read the password: {error}")))
}

/// The keyfile path as the Python wallet names it for `BT_PW_<PATH>`: the wallet folder as the
/// user gave it (`~` unexpanded; default `~/.bittensor/wallets`), then `NAME/coldkey` or
/// `NAME/hotkeys/HOTKEY`.
pub fn keyfile_as_given(wallet_path: Option<&Path>, name: &str, hotkey: Option<&str>) -> String {
    let root = wallet_path
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| "~/.bittensor/wallets".to_owned());
    let root = root.trim_end_matches('/');
    match hotkey {
        None => format!("{root}/{name}/coldkey"),
        Some(hotkey) => format!("{root}/{name}/hotkeys/{hotkey}"),
    }
}

/// The password to unlock an existing encrypted key; `keyfile` is the path for `BT_PW_<PATH>`
/// (see [`keyfile_as_given`]).
pub fn existing(
    password_file: Option<&Path>,
    what: &str,
    keyfile: &str,
) -> CliResult<Zeroizing<String>> {
    if let Some(password) = unattended(password_file)? {
        return Ok(password);
    }
    if let Some(password) = wallet::env_password::from_env(keyfile)? {
        return Ok(password);
    }
    prompt(&format!("Enter the password for {what}: "))
}

/// A new password, asked for twice at a no-echo prompt.
pub fn new(password_file: Option<&Path>, what: &str) -> CliResult<Zeroizing<String>> {
    let check = |password: &str| -> CliResult<()> {
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(CliError::new(format!(
                "the password is too short: it needs at least {MIN_PASSWORD_LEN} characters"
            ))
            .with_hint("choose a longer password"));
        }
        Ok(())
    };
    if let Some(password) = unattended(password_file)? {
        check(&password)?;
        return Ok(password);
    }
    loop {
        let first = prompt(&format!("Choose a password to encrypt {what}: "))?;
        if let Err(error) = check(&first) {
            error.print();
            continue;
        }
        let second = prompt("Retype the password: ")?;
        if *first == *second {
            return Ok(first);
        }
        eprintln!("The passwords do not match; try again.");
    }
}

/// Asks a yes/no question on the terminal; `false` when there is no terminal.
pub fn confirm(question: &str) -> bool {
    if !std::io::stdin().is_terminal() {
        return false;
    }
    eprint!("{question} (y/N) ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    if std::io::stdin().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim(), "y" | "Y" | "yes" | "Yes")
}

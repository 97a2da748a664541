//! Running `rustensor` commands as a user does: a wallet folder, optionally a node, stdin not a
//! terminal, no password or wallet path from the environment.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output};

use serde_json::Value;

use crate::error::{Result, TestkitError};

/// Environment variables that would change what a command does behind the test's back.
const CLEARED_ENV: [&str; 3] = [
    "RUSTENSOR_PASSWORD",
    "RUSTENSOR_WALLET_PATH",
    "RUSTENSOR_NETWORK",
];

/// `--json` and btcli's spellings of it (the flag may be given once only).
const JSON_FLAGS: [&str; 3] = ["--json", "--json-output", "--json-out"];

/// The binary with a wallet folder and, for chain commands, a node.
#[derive(Debug, Clone)]
pub struct Cli {
    bin: PathBuf,
    wallets: PathBuf,
    network: Option<String>,
}

/// How a command ended.
#[derive(Debug, Clone)]
pub struct Ran {
    args: Vec<String>,
    /// Its exit status.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

impl Ran {
    fn new(args: &[&str], output: Output) -> Self {
        Self {
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            status: output.status,
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Its exit code (`None` when a signal ended it).
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    /// Whether it exited with 0.
    pub fn success(&self) -> bool {
        self.status.success()
    }

    /// Exit code (-1 for a signal), stdout and stderr.
    pub fn into_parts(self) -> (i32, String, String) {
        (self.status.code().unwrap_or(-1), self.stdout, self.stderr)
    }

    fn problem(&self, problem: &str) -> TestkitError {
        TestkitError::Command {
            args: self.args.join(" "),
            problem: problem.to_owned(),
            code: self.code(),
            stdout: self.stdout.clone(),
            stderr: self.stderr.clone(),
        }
    }

    /// Stdout as one JSON document, from a command that succeeded (`--json` must print
    /// nothing else there).
    pub fn json(&self) -> Result<Value> {
        if !self.success() {
            return Err(self.problem("failed"));
        }
        serde_json::from_str(&self.stdout)
            .map_err(|e| TestkitError::json(format!("stdout of {:?}", self.args), &self.stdout, e))
    }
}

impl Cli {
    /// `bin` (the test's `env!("CARGO_BIN_EXE_rustensor")`) with wallets under `wallets`.
    pub fn new(bin: impl Into<PathBuf>, wallets: &Path) -> Self {
        Self {
            bin: bin.into(),
            wallets: wallets.to_path_buf(),
            network: None,
        }
    }

    /// The same, with `--network URL` after every command.
    pub fn on_network(mut self, url: &str) -> Self {
        self.network = Some(url.to_owned());
        self
    }

    /// The wallet folder.
    pub fn wallets(&self) -> &Path {
        &self.wallets
    }

    /// `rustensor --wallet-path WALLETS ARGS [--network URL]`, not yet run.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = self.offline(args);
        if let Some(url) = &self.network {
            command.args(["--network", url]);
        }
        command
    }

    /// `rustensor --wallet-path WALLETS ARGS`, without the node address.
    pub fn offline(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.bin);
        command.arg("--wallet-path").arg(&self.wallets).args(args);
        for var in CLEARED_ENV {
            command.env_remove(var);
        }
        command
    }

    fn output(&self, args: &[&str], mut command: Command) -> Result<Ran> {
        let output = command
            .output()
            .map_err(|e| TestkitError::io(format!("run rustensor {}", args.join(" ")), e))?;
        Ok(Ran::new(args, output))
    }

    /// Runs a command and reports how it ended, without judging it.
    pub fn run(&self, args: &[&str]) -> Result<Ran> {
        self.output(args, self.command(args))
    }

    /// Runs a command with `RUSTENSOR_PASSWORD` set.
    pub fn run_with_password(&self, password: &str, args: &[&str]) -> Result<Ran> {
        self.run_with_env(&[("RUSTENSOR_PASSWORD", password)], args)
    }

    /// Runs a command with these environment variables set.
    pub fn run_with_env(&self, env: &[(&str, &str)], args: &[&str]) -> Result<Ran> {
        let mut command = self.command(args);
        command.envs(env.iter().copied());
        self.output(args, command)
    }

    /// Runs a command with `--json` (added unless given, also as `--json-output`) that must
    /// succeed; its JSON.
    pub fn json(&self, args: &[&str]) -> Result<Value> {
        self.json_and_stderr(args).map(|(json, _)| json)
    }

    /// Like [`Cli::json`], and also returns stderr (where previews and notes go).
    pub fn json_and_stderr(&self, args: &[&str]) -> Result<(Value, String)> {
        let mut all = args.to_vec();
        if !all.iter().any(|a| JSON_FLAGS.contains(a)) {
            all.push("--json");
        }
        let ran = self.run(&all)?;
        let json = ran.json()?;
        Ok((json, ran.stderr))
    }

    /// Runs a command that must fail as a user sees it: a non-zero exit, an `Error:` line and a
    /// `hint:` line on stderr. Returns stderr.
    pub fn fails(&self, args: &[&str]) -> Result<String> {
        let ran = self.run(args)?;
        if ran.success() {
            return Err(ran.problem("succeeded but must fail"));
        }
        if !(ran.stderr.contains("Error: ") && ran.stderr.contains("  hint: ")) {
            return Err(ran.problem("failed without an explanation and a hint"));
        }
        Ok(ran.stderr)
    }

    /// Restores wallet `name` offline: its coldkey from `coldkey_uri` (unencrypted) and each
    /// `(hotkey, uri)`.
    pub fn regen_wallet(
        &self,
        name: &str,
        coldkey_uri: &str,
        hotkeys: &[(&str, &str)],
    ) -> Result<()> {
        let cold = [
            "wallet",
            "regen-coldkey",
            "--name",
            name,
            "--uri",
            coldkey_uri,
            "--no-password",
        ];
        self.output(&cold, self.offline(&cold))?.json_ok()?;
        for (hotkey, uri) in hotkeys {
            let hot = [
                "wallet",
                "regen-hotkey",
                "--name",
                name,
                "--hotkey",
                hotkey,
                "--uri",
                uri,
            ];
            self.output(&hot, self.offline(&hot))?.json_ok()?;
        }
        Ok(())
    }
}

impl Ran {
    /// Success, whatever it printed.
    fn json_ok(&self) -> Result<()> {
        if self.success() {
            Ok(())
        } else {
            Err(self.problem("failed"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A stand-in binary: `--wallet-path DIR MODE [--json]` behaves as MODE says.
    fn fake_bin(dir: &Path) -> PathBuf {
        let bin = dir.join("fake-rustensor");
        std::fs::write(
            &bin,
            "#!/bin/sh\n\
             case \"$3\" in\n\
             ok) echo \"{\\\"args\\\": \\\"$*\\\"}\" ;;\n\
             noisy) echo note; echo '{}' ;;\n\
             hinted) echo 'Error: nope' >&2; echo '  hint: try again' >&2; exit 1 ;;\n\
             bare) echo nope >&2; exit 4 ;;\n\
             esac\n",
        )
        .unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        bin
    }

    #[test]
    fn commands_put_the_wallet_path_first_and_the_network_last() {
        let cli = Cli::new("rustensor", Path::new("/w")).on_network("ws://x:1");
        let c = cli.command(&["chain", "head"]);
        let args: Vec<_> = c.get_args().map(|a| a.to_str().unwrap()).collect();
        assert_eq!(
            args,
            [
                "--wallet-path",
                "/w",
                "chain",
                "head",
                "--network",
                "ws://x:1"
            ]
        );
        let c = cli.offline(&["wallet", "list"]);
        assert_eq!(c.get_args().count(), 4);
        assert!(
            c.get_envs()
                .any(|(k, v)| k == "RUSTENSOR_PASSWORD" && v.is_none())
        );
    }

    #[test]
    fn json_adds_the_flag_once_and_wants_one_document() {
        let dir = tempfile::tempdir().unwrap();
        let cli = Cli::new(fake_bin(dir.path()), Path::new("/w"));
        let args = cli.json(&["ok"]).unwrap()["args"].clone();
        assert_eq!(args, "--wallet-path /w ok --json");
        let args = cli.json(&["ok", "--json"]).unwrap()["args"].clone();
        assert_eq!(args, "--wallet-path /w ok --json");
        let args = cli.json(&["ok", "--json-output"]).unwrap()["args"].clone();
        assert_eq!(args, "--wallet-path /w ok --json-output");
        assert!(matches!(
            cli.json(&["noisy"]),
            Err(TestkitError::Json { .. })
        ));
        let err = cli.json(&["bare"]).unwrap_err();
        assert!(
            matches!(err, TestkitError::Command { code: Some(4), .. }),
            "{err:?}"
        );
        assert_eq!(cli.run(&["bare"]).unwrap().into_parts().0, 4);
    }

    #[test]
    fn fails_wants_an_error_and_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let cli = Cli::new(fake_bin(dir.path()), Path::new("/w"));
        assert!(cli.fails(&["hinted"]).unwrap().contains("hint: try again"));
        let err = cli.fails(&["bare"]).unwrap_err();
        assert!(
            format!("{err:?}").contains("without an explanation"),
            "{err:?}"
        );
        let err = cli.fails(&["ok"]).unwrap_err();
        assert!(format!("{err:?}").contains("must fail"), "{err:?}");
    }
}

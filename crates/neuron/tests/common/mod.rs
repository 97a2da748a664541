//! Shared test helpers: the capture's `Echo` synapse, the vector wallet's hotkey, raw HTTP
//! request parsing/re-signing, and a Python `bittensor==10.5.0` venv.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// `Echo(text: str, n: int, values: list[int], response: Optional[str])` from the capture.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Echo {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub n: i64,
    #[serde(default)]
    pub values: Vec<i64>,
    #[serde(default)]
    pub response: Option<String>,
}

impl neuron::Synapse for Echo {
    const NAME: &'static str = "Echo";
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["text", "n", "values"];
}

impl Echo {
    pub fn new(text: &str, n: i64, values: Vec<i64>) -> Self {
        Echo {
            text: text.into(),
            n,
            values,
            response: None,
        }
    }
}

/// The capture's forward: `text.upper()|2n|sum(values)`.
pub async fn echo_forward(mut e: Echo) -> Echo {
    e.response = Some(format!(
        "{}|{}|{}",
        e.text.to_uppercase(),
        2 * e.n,
        e.values.iter().sum::<i64>()
    ));
    e
}

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// The capture axon's hotkey (`vector_wallet/hotkeys/default`).
pub fn vector_hotkey() -> keys::Keypair {
    let bytes = std::fs::read(data("vector_wallet_hotkey_default")).unwrap();
    wallet::keyfile::parse_json(&bytes)
        .unwrap()
        .into_keypair()
        .unwrap()
}

pub const VECTOR_AXON_SS58: &str = "5DHoog4tWJNA1YW2U6LZDXKj5U7c3xdpZjAkebrX1UdZU1Q5";

/// A raw HTTP/1.1 request: start line, headers in order, body.
#[derive(Clone, Debug)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl RawRequest {
    pub fn parse(raw: &str) -> RawRequest {
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let mut lines = head.split("\r\n");
        let start: Vec<&str> = lines.next().unwrap().split(' ').collect();
        let headers = lines
            .map(|l| {
                let (k, v) = l.split_once(':').unwrap();
                (k.trim().to_string(), v.trim().to_string())
            })
            .collect();
        RawRequest {
            method: start[0].into(),
            path: start[1].into(),
            headers,
            body: body.into(),
        }
    }

    pub fn from_file(name: &str) -> RawRequest {
        RawRequest::parse(&std::fs::read_to_string(data(name)).unwrap())
    }

    /// A case's `request_raw` from `axon_capture.json`.
    pub fn from_capture(case: &str) -> RawRequest {
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(data("axon_capture.json")).unwrap())
                .unwrap();
        RawRequest::parse(v["cases"][case]["request_raw"].as_str().unwrap())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        match self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some(h) => h.1 = value.to_string(),
            None => self.headers.push((name.into(), value.into())),
        }
    }

    /// Give the request a new nonce (header and body) and sign it again with `key`, over the
    /// unchanged `computed_body_hash` header, for `axon_hotkey`.
    pub fn resign(&mut self, key: &keys::Keypair, nonce: u64, axon_hotkey: &str) {
        let old_nonce = self.header("bt_header_dendrite_nonce").unwrap().to_string();
        self.body = self.body.replace(
            &format!("\"nonce\": {old_nonce}"),
            &format!("\"nonce\": {nonce}"),
        );
        self.set_header("bt_header_dendrite_nonce", &nonce.to_string());
        self.set_header("bt_header_dendrite_hotkey", &key.ss58());
        let uuid = self.header("bt_header_dendrite_uuid").unwrap().to_string();
        let hash = self.header("computed_body_hash").unwrap().to_string();
        let msg = neuron::signing::request_message(nonce, &key.ss58(), axon_hotkey, &uuid, &hash);
        let sig = neuron::signing::sig_hex(&key.sign(msg.as_bytes()));
        if let Some(old) = self
            .header("bt_header_dendrite_signature")
            .map(str::to_string)
        {
            self.body = self.body.replace(&old, &sig);
            self.set_header("bt_header_dendrite_signature", &sig);
        }
    }

    /// Send to `addr` (host:port) and return (status, headers, body).
    pub async fn send(&self, addr: &str) -> (u16, reqwest::header::HeaderMap, String) {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut req = client.request(
            self.method.parse().unwrap(),
            format!("http://{addr}{}", self.path),
        );
        for (k, v) in &self.headers {
            if k.eq_ignore_ascii_case("host") || k.eq_ignore_ascii_case("content-length") {
                continue;
            }
            req = req.header(k.as_str(), v.as_str());
        }
        let resp = req.body(self.body.clone()).send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        (status, headers, resp.text().await.unwrap())
    }
}

/// Why the venv is not usable: pip could not install the package (the only reason to skip),
/// or anything else (a broken environment: the test fails and says what to fix).
#[derive(Clone, Debug)]
enum NoVenv {
    PipCannotInstall(String),
    Broken(String),
}

static VENV: Mutex<Option<Result<PathBuf, NoVenv>>> = Mutex::new(None);

fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        Err(format!("{cmd:?} failed ({}):\n{tail}", out.status))
    }
}

/// The Python interpreter of a venv with `bittensor==10.5.0`, created under
/// `CARGO_TARGET_TMPDIR` on first use (about 20 s).
///
/// `Err(reason)` only when pip cannot download or install the package (PyPI unreachable, no
/// build for this platform): the caller skips and prints the reason. Anything else (no
/// python3, venv or pip missing, a package that installs but does not import) panics with
/// what to fix, since the issue allows skipping only when pip cannot install the package.
pub fn bittensor_python() -> Result<PathBuf, String> {
    let r = {
        let mut guard = VENV.lock().unwrap_or_else(|p| p.into_inner());
        guard.get_or_insert_with(setup_venv).clone()
    };
    match r {
        Ok(py) => Ok(py),
        Err(NoVenv::PipCannotInstall(reason)) => Err(reason),
        Err(NoVenv::Broken(reason)) => panic!(
            "the Python interop tests need python3 with venv and pip (they skip only when pip \
             cannot install bittensor==10.5.0): {reason}"
        ),
    }
}

fn setup_venv() -> Result<PathBuf, NoVenv> {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.join("bittensor-10.5.0-venv");
    let py = dir.join("bin").join("python");
    // Test processes (nextest runs one per test) build the venv one at a time: without the
    // lock, one's `venv --clear` would pull the rug from under another's pip install.
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(tmp.join("bittensor-10.5.0-venv.lock"))
        .and_then(|f| f.lock().map(|()| f))
        .map_err(|e| {
            NoVenv::Broken(format!("cannot lock the venv under {}: {e}", tmp.display()))
        })?;
    let check = |py: &Path| {
        run(Command::new(py).args([
            "-c",
            "import bittensor; assert bittensor.__version__ == '10.5.0', bittensor.__version__",
        ]))
    };
    if py.exists() && check(&py).is_ok() {
        return Ok(py);
    }
    let base = ["python3.11", "python3.12", "python3.10", "python3"]
        .into_iter()
        .find(|p| run(Command::new(p).arg("--version")).is_ok())
        .ok_or_else(|| {
            NoVenv::Broken(
                "no python3 interpreter found (tried python3.11, python3.12, python3.10, \
                 python3); install python3 with the venv module"
                    .into(),
            )
        })?;
    run(Command::new(base).args(["-m", "venv", "--clear"]).arg(&dir)).map_err(|e| {
        NoVenv::Broken(format!(
            "{base} cannot make a venv (install python3-venv): {e}"
        ))
    })?;
    let pip = dir.join("bin").join("pip");
    if !pip.exists() {
        return Err(NoVenv::Broken(format!(
            "the venv at {} has no pip (install python3-venv / ensurepip)",
            dir.display()
        )));
    }
    eprintln!(
        "installing bittensor==10.5.0 into {} (about 20 s)",
        dir.display()
    );
    let out = Command::new(&pip)
        .args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "bittensor==10.5.0",
        ])
        .output()
        .map_err(|e| NoVenv::Broken(format!("cannot run {}: {e}", pip.display())))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(15).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(NoVenv::PipCannotInstall(format!(
            "pip install bittensor==10.5.0 failed ({}):\n{}",
            out.status,
            tail.join("\n")
        )));
    }
    check(&py).map_err(|e| {
        NoVenv::Broken(format!(
            "bittensor 10.5.0 installed into {} but does not import: {e}",
            dir.display()
        ))
    })?;
    drop(lock);
    Ok(py)
}

/// Python prelude for offline SDK use on loopback (sdk.md §6) with the capture's `Echo`.
pub const PY_PRELUDE: &str = r#"
import asyncio, json, sys, time, typing
from typing import Optional
import bittensor.utils.networking as _net
_net.get_external_ip = lambda: "127.0.0.1"
import bittensor as bt
from bittensor_wallet import Keypair

class Echo(bt.Synapse):
    text: str = ""
    n: int = 0
    values: list[int] = []
    response: Optional[str] = None
    required_hash_fields: typing.ClassVar[typing.Tuple[str, ...]] = ("text", "n", "values")

class Nope(bt.Synapse):
    x: int = 0
"#;

/// Write `script` (after the prelude) to a file in the temp dir and return its path.
pub fn write_script(name: &str, script: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, format!("{PY_PRELUDE}\n{script}")).unwrap();
    path
}

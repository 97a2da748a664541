//! Wallet folders, laid out as `bittensor-wallet` 4.x does:
//!
//! ```text
//! <root>/NAME/coldkey              keyfile (normally $NACL-encrypted)
//! <root>/NAME/coldkeypub.txt       public JSON
//! <root>/NAME/hotkeys/HK           keyfile (plaintext by default)
//! <root>/NAME/hotkeys/HKpub.txt    public JSON
//! ```
//!
//! Files are written atomically (a `0600` temporary file in the same folder, synced, then
//! renamed into place) and end with mode `0600`; missing folders are created. An existing file
//! is never replaced unless `overwrite` is set ([`Error::AlreadyExists`] otherwise).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use keys::Keypair;
use rand::RngCore;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::Error;
use crate::keyfile::{self, KdfParams, KeyfileFormat};

/// The usual wallet root, relative to the home folder: `~/.bittensor/wallets`.
pub const DEFAULT_WALLET_ROOT: &str = ".bittensor/wallets";
/// The default wallet name.
pub const DEFAULT_WALLET_NAME: &str = "default";
/// The default hotkey name.
pub const DEFAULT_HOTKEY_NAME: &str = "default";
/// Keyfiles are small; anything larger than this is refused as corrupt, not read.
pub const MAX_KEYFILE_LEN: u64 = 64 * 1024;

const PUB_SUFFIX: &str = "pub.txt";

/// `$HOME/.bittensor/wallets`, where Bittensor keeps wallets by default (`None` without
/// `HOME`).
pub fn default_wallet_root() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(DEFAULT_WALLET_ROOT))
}

/// A wallet folder `<root>/<name>`. Cheap to make; nothing is touched until a method is called.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wallet {
    root: PathBuf,
    name: String,
}

/// A hotkey as listed without any password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HotkeyEntry {
    /// The hotkey's file name.
    pub name: String,
    /// Its SS58 address, from `HKpub.txt` or the plaintext hotkey file; `None` when neither
    /// could be read (e.g. an encrypted hotkey without a pub file).
    pub ss58: Option<String>,
    /// Whether the hotkey file is encrypted.
    pub encrypted: bool,
}

/// A wallet as listed without any password.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WalletEntry {
    /// The wallet's folder name.
    pub name: String,
    /// The wallet folder.
    pub path: PathBuf,
    /// The coldkey's SS58 address (from `coldkeypub.txt`), when readable.
    pub coldkey: Option<String>,
    /// The hotkeys, sorted by name.
    pub hotkeys: Vec<HotkeyEntry>,
}

impl Wallet {
    /// The wallet `name` under `root` (e.g. `~/.bittensor/wallets`).
    pub fn new(root: impl Into<PathBuf>, name: &str) -> Wallet {
        Wallet {
            root: root.into(),
            name: name.to_string(),
        }
    }

    /// The wallets root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The wallet name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `<root>/<name>`.
    pub fn path(&self) -> PathBuf {
        self.root.join(&self.name)
    }

    /// `<root>/<name>/hotkeys`.
    pub fn hotkeys_dir(&self) -> PathBuf {
        self.path().join("hotkeys")
    }

    /// `<root>/<name>/coldkey`.
    pub fn coldkey_path(&self) -> PathBuf {
        self.path().join("coldkey")
    }

    /// `<root>/<name>/coldkeypub.txt`.
    pub fn coldkeypub_path(&self) -> PathBuf {
        self.path().join("coldkeypub.txt")
    }

    /// `<root>/<name>/hotkeys/<hotkey>`.
    pub fn hotkey_path(&self, hotkey: &str) -> PathBuf {
        self.hotkeys_dir().join(hotkey)
    }

    /// `<root>/<name>/hotkeys/<hotkey>pub.txt`.
    pub fn hotkeypub_path(&self, hotkey: &str) -> PathBuf {
        self.hotkeys_dir().join(format!("{hotkey}{PUB_SUFFIX}"))
    }

    /// Whether the wallet folder exists.
    pub fn exists(&self) -> bool {
        self.path().is_dir()
    }

    /// Whether the coldkey file exists.
    pub fn coldkey_exists(&self) -> bool {
        self.coldkey_path().exists()
    }

    /// Whether `coldkeypub.txt` exists.
    pub fn coldkeypub_exists(&self) -> bool {
        self.coldkeypub_path().exists()
    }

    /// Whether the hotkey file exists.
    pub fn hotkey_exists(&self, hotkey: &str) -> bool {
        self.hotkey_path(hotkey).exists()
    }

    fn check(&self) -> Result<(), Error> {
        check_name("wallet", &self.name)
    }

    fn check_hotkey(&self, hotkey: &str) -> Result<(), Error> {
        self.check()?;
        check_name("hotkey", hotkey)?;
        if hotkey.ends_with(PUB_SUFFIX) {
            return Err(Error::InvalidName {
                kind: "hotkey",
                name: hotkey.to_string(),
                reason: "it would clash with the public-key files (`<name>pub.txt`)",
            });
        }
        Ok(())
    }

    /// Write the coldkey (encrypted with `password` when given) and `coldkeypub.txt`.
    /// Without `overwrite`, fails with [`Error::AlreadyExists`] before writing anything if
    /// either file exists.
    pub fn write_coldkey(
        &self,
        pair: &Keypair,
        password: Option<&str>,
        kdf: KdfParams,
        overwrite: bool,
    ) -> Result<(), Error> {
        self.check()?;
        write_pair(
            &self.coldkey_path(),
            &self.coldkeypub_path(),
            pair,
            password,
            kdf,
            overwrite,
        )
    }

    /// Write only `coldkeypub.txt` (e.g. `regen-coldkeypub`).
    pub fn write_coldkeypub(
        &self,
        account: &types::AccountId,
        overwrite: bool,
    ) -> Result<(), Error> {
        self.check()?;
        write_file(
            &self.coldkeypub_path(),
            &keyfile::public_to_json(account),
            overwrite,
        )
    }

    /// Write hotkey `hotkey` (encrypted with `password` when given) and its `pub.txt`.
    pub fn write_hotkey(
        &self,
        hotkey: &str,
        pair: &Keypair,
        password: Option<&str>,
        kdf: KdfParams,
        overwrite: bool,
    ) -> Result<(), Error> {
        self.check_hotkey(hotkey)?;
        write_pair(
            &self.hotkey_path(hotkey),
            &self.hotkeypub_path(hotkey),
            pair,
            password,
            kdf,
            overwrite,
        )
    }

    /// Write only `hotkeys/<hotkey>pub.txt`.
    pub fn write_hotkeypub(
        &self,
        hotkey: &str,
        account: &types::AccountId,
        overwrite: bool,
    ) -> Result<(), Error> {
        self.check_hotkey(hotkey)?;
        write_file(
            &self.hotkeypub_path(hotkey),
            &keyfile::public_to_json(account),
            overwrite,
        )
    }

    /// The format of the coldkey file.
    pub fn coldkey_format(&self) -> Result<KeyfileFormat, Error> {
        self.check()?;
        Ok(keyfile::detect_format(&read_file(&self.coldkey_path())?))
    }

    /// The format of a hotkey file.
    pub fn hotkey_format(&self, hotkey: &str) -> Result<KeyfileFormat, Error> {
        self.check_hotkey(hotkey)?;
        Ok(keyfile::detect_format(&read_file(
            &self.hotkey_path(hotkey),
        )?))
    }

    /// Whether the coldkey file is encrypted (in any format).
    pub fn coldkey_is_encrypted(&self) -> Result<bool, Error> {
        Ok(self.coldkey_format()? != KeyfileFormat::Plaintext)
    }

    /// Whether a hotkey file is encrypted (in any format).
    pub fn hotkey_is_encrypted(&self, hotkey: &str) -> Result<bool, Error> {
        Ok(self.hotkey_format(hotkey)? != KeyfileFormat::Plaintext)
    }

    /// Load the coldkey. [`Error::PasswordRequired`] when it is encrypted and `password` is
    /// `None`; [`Error::WrongPassword`] when the password is wrong.
    pub fn load_coldkey(&self, password: Option<&str>, kdf: KdfParams) -> Result<Keypair, Error> {
        self.check()?;
        load_keypair(&self.coldkey_path(), password, kdf)
    }

    /// Load a hotkey (see [`Wallet::load_coldkey`]).
    pub fn load_hotkey(
        &self,
        hotkey: &str,
        password: Option<&str>,
        kdf: KdfParams,
    ) -> Result<Keypair, Error> {
        self.check_hotkey(hotkey)?;
        load_keypair(&self.hotkey_path(hotkey), password, kdf)
    }

    /// The coldkey's account, without a password: from `coldkeypub.txt`, or from a plaintext
    /// coldkey when the pub file is missing.
    pub fn coldkeypub(&self) -> Result<types::AccountId, Error> {
        self.check()?;
        read_public_pair(&self.coldkeypub_path(), &self.coldkey_path())
    }

    /// A hotkey's account, without a password: from `<hotkey>pub.txt`, or from the plaintext
    /// hotkey file when the pub file is missing.
    pub fn hotkeypub(&self, hotkey: &str) -> Result<types::AccountId, Error> {
        self.check_hotkey(hotkey)?;
        read_public_pair(&self.hotkeypub_path(hotkey), &self.hotkey_path(hotkey))
    }

    /// The wallet's hotkeys, sorted by name, with addresses where readable without a password.
    /// A wallet without a `hotkeys` folder has none.
    pub fn list_hotkeys(&self) -> Result<Vec<HotkeyEntry>, Error> {
        self.check()?;
        let dir = self.hotkeys_dir();
        let mut names = Vec::new();
        for name in read_dir_names(&dir)? {
            if name.ends_with(PUB_SUFFIX) || check_name("hotkey", &name).is_err() {
                continue;
            }
            if dir.join(&name).is_file() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names
            .into_iter()
            .map(|name| {
                let data = read_file(&self.hotkey_path(&name)).ok();
                let encrypted = data.as_ref().is_some_and(|d| keyfile::is_encrypted(d));
                let ss58 = read_public_file(&self.hotkeypub_path(&name))
                    .or_else(|_| match &data {
                        Some(d) => {
                            keyfile::read_public(d)?.ok_or(Error::PasswordRequired { path: None })
                        }
                        None => Err(Error::PasswordRequired { path: None }),
                    })
                    .ok()
                    .map(|a| a.to_ss58());
                HotkeyEntry {
                    name,
                    ss58,
                    encrypted,
                }
            })
            .collect())
    }
}

/// Every wallet under `root` (each sub-folder not starting with `.`), sorted by name, with its
/// coldkey address and hotkeys; no password needed. A missing `root` has no wallets.
pub fn list_wallets(root: &Path) -> Result<Vec<WalletEntry>, Error> {
    let mut names: Vec<String> = read_dir_names(root)?
        .into_iter()
        .filter(|n| check_name("wallet", n).is_ok() && root.join(n).is_dir())
        .collect();
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let w = Wallet::new(root, &name);
        let coldkey = w.coldkeypub().ok().map(|a| a.to_ss58());
        let hotkeys = w.list_hotkeys().unwrap_or_default();
        out.push(WalletEntry {
            path: w.path(),
            name,
            coldkey,
            hotkeys,
        });
    }
    Ok(out)
}

/// Reject names that are not a single plain path component.
pub fn check_name(kind: &'static str, name: &str) -> Result<(), Error> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.starts_with('.') {
        "it starts with `.`"
    } else if name.contains(['/', '\\', '\0']) {
        "it contains a path separator or NUL"
    } else {
        return Ok(());
    };
    Err(Error::InvalidName {
        kind,
        name: name.to_string(),
        reason,
    })
}

fn read_dir_names(dir: &Path) -> Result<Vec<String>, Error> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(Error::io("listing", dir, e)),
    };
    let mut names = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| Error::io("listing", dir, e))?;
        // Names that are not UTF-8 cannot be wallet or hotkey names here; skip them.
        if let Ok(name) = entry.file_name().into_string() {
            names.push(name);
        }
    }
    Ok(names)
}

/// Read a keyfile's bytes (at most [`MAX_KEYFILE_LEN`]) into a buffer zeroized on drop.
pub fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, Error> {
    let mut f = fs::File::open(path).map_err(|e| Error::io("reading", path, e))?;
    let len = f
        .metadata()
        .map_err(|e| Error::io("reading", path, e))?
        .len();
    if len > MAX_KEYFILE_LEN {
        return Err(
            Error::corrupt(format!("{len} bytes is too large for a keyfile")).with_path(path),
        );
    }
    // Pre-sized (plus one byte to see EOF) so the secret is never reallocated.
    let cap = usize::try_from(len).unwrap_or(0).saturating_add(1);
    let mut buf = Zeroizing::new(Vec::with_capacity(cap));
    Read::by_ref(&mut f)
        .take(MAX_KEYFILE_LEN.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|e| Error::io("reading", path, e))?;
    if buf.len() as u64 > MAX_KEYFILE_LEN {
        return Err(Error::corrupt("too large for a keyfile").with_path(path));
    }
    Ok(buf)
}

/// Read and open a keyfile at `path` (see [`keyfile::read_keyfile`]); errors name the path.
pub fn read_keyfile_at(
    path: &Path,
    password: Option<&str>,
    kdf: KdfParams,
) -> Result<keyfile::KeyfileContents, Error> {
    let data = read_file(path)?;
    keyfile::read_keyfile(&data, password, kdf).map_err(|e| e.with_path(path))
}

fn load_keypair(path: &Path, password: Option<&str>, kdf: KdfParams) -> Result<Keypair, Error> {
    read_keyfile_at(path, password, kdf)?
        .into_keypair()
        .map_err(|e| e.with_path(path))
}

fn read_public_file(path: &Path) -> Result<types::AccountId, Error> {
    let data = read_file(path)?;
    match keyfile::read_public(&data).map_err(|e| e.with_path(path))? {
        Some(a) => Ok(a),
        None => Err(Error::corrupt("a public-key file must not be encrypted").with_path(path)),
    }
}

fn read_public_pair(pub_path: &Path, key_path: &Path) -> Result<types::AccountId, Error> {
    match read_public_file(pub_path) {
        Err(Error::NotFound { .. }) if key_path.exists() => {
            let data = read_file(key_path)?;
            keyfile::read_public(&data)
                .map_err(|e| e.with_path(key_path))?
                .ok_or(Error::PasswordRequired {
                    path: Some(key_path.to_path_buf()),
                })
        }
        other => other,
    }
}

fn write_pair(
    key_path: &Path,
    pub_path: &Path,
    pair: &Keypair,
    password: Option<&str>,
    kdf: KdfParams,
    overwrite: bool,
) -> Result<(), Error> {
    if !overwrite {
        for p in [key_path, pub_path] {
            if p.symlink_metadata().is_ok() {
                return Err(Error::AlreadyExists {
                    path: p.to_path_buf(),
                });
            }
        }
    }
    let data = keyfile::keypair_to_keyfile(pair, password, kdf)?;
    write_file(key_path, &data, overwrite)?;
    write_file(
        pub_path,
        &keyfile::public_to_json(&pair.account_id()),
        overwrite,
    )
}

/// Write `data` to `path` atomically with mode `0600`, creating parent folders. Without
/// `overwrite`, an existing `path` is left alone and [`Error::AlreadyExists`] returned.
pub fn write_file(path: &Path, data: &[u8], overwrite: bool) -> Result<(), Error> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file_name =
        path.file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::InvalidName {
                kind: "file",
                name: path.display().to_string(),
                reason: "it has no file name",
            })?;
    fs::create_dir_all(&dir).map_err(|e| Error::io("creating folder", &dir, e))?;
    if !overwrite && path.symlink_metadata().is_ok() {
        return Err(Error::AlreadyExists {
            path: path.to_path_buf(),
        });
    }
    let mut suffix = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut suffix);
    let tmp = dir.join(format!(".{file_name}.{}.tmp", hex::encode(suffix)));
    let result = write_tmp_then_move(&tmp, path, data, overwrite);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    set_private(path)?;
    // Make the rename durable; failure here does not undo a completed write.
    if let Ok(d) = fs::File::open(&dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn write_tmp_then_move(tmp: &Path, path: &Path, data: &[u8], overwrite: bool) -> Result<(), Error> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(tmp).map_err(|e| Error::io("writing", tmp, e))?;
    set_private(tmp)?;
    f.write_all(data)
        .map_err(|e| Error::io("writing", tmp, e))?;
    f.sync_all().map_err(|e| Error::io("writing", tmp, e))?;
    drop(f);
    if overwrite {
        return fs::rename(tmp, path).map_err(|e| Error::io("writing", path, e));
    }
    // No-clobber: a hard link fails if `path` appeared meanwhile.
    match fs::hard_link(tmp, path) {
        Ok(()) => {
            let _ = fs::remove_file(tmp);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::AlreadyExists {
            path: path.to_path_buf(),
        }),
        // File systems without hard links: check, then rename.
        Err(_) => {
            if path.symlink_metadata().is_ok() {
                return Err(Error::AlreadyExists {
                    path: path.to_path_buf(),
                });
            }
            fs::rename(tmp, path).map_err(|e| Error::io("writing", path, e))
        }
    }
}

fn set_private(path: &Path) -> Result<(), Error> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            .map_err(|e| Error::io("setting permissions on", path, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: KdfParams = KdfParams::INSECURE_FAST_FOR_TESTS;

    #[test]
    fn paths() {
        let w = Wallet::new("/r", "w");
        assert_eq!(w.coldkey_path(), PathBuf::from("/r/w/coldkey"));
        assert_eq!(w.coldkeypub_path(), PathBuf::from("/r/w/coldkeypub.txt"));
        assert_eq!(w.hotkey_path("h"), PathBuf::from("/r/w/hotkeys/h"));
        assert_eq!(
            w.hotkeypub_path("h"),
            PathBuf::from("/r/w/hotkeys/hpub.txt")
        );
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", ".", "..", "../x", "a/b", "a\\b", ".hidden", "a\0b"] {
            assert!(check_name("wallet", bad).is_err(), "{bad:?}");
        }
        assert!(check_name("wallet", "my-wallet_1 x").is_ok());
        let dir = tempfile::tempdir().unwrap();
        let w = Wallet::new(dir.path(), "w");
        let p = Keypair::from_uri("//Alice").unwrap();
        assert!(matches!(
            w.write_hotkey("../escape", &p, None, FAST, false),
            Err(Error::InvalidName { .. })
        ));
        assert!(matches!(
            w.write_hotkey("xpub.txt", &p, None, FAST, false),
            Err(Error::InvalidName { .. })
        ));
        assert!(matches!(
            Wallet::new(dir.path(), "..").load_coldkey(None, FAST),
            Err(Error::InvalidName { .. })
        ));
        assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none());
    }

    #[test]
    fn write_file_is_atomic_private_and_no_clobber() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a/b/file");
        write_file(&p, b"one", false).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"one");
        assert!(matches!(
            write_file(&p, b"two", false),
            Err(Error::AlreadyExists { .. })
        ));
        assert_eq!(fs::read(&p).unwrap(), b"one");
        write_file(&p, b"three", true).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"three");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        // No temporary files left behind.
        let names: Vec<_> = fs::read_dir(dir.path().join("a/b")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn oversized_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        fs::write(&p, vec![b'{'; (MAX_KEYFILE_LEN + 1) as usize]).unwrap();
        assert!(matches!(read_file(&p), Err(Error::CorruptKeyfile { .. })));
    }

    #[test]
    fn missing_things() {
        let dir = tempfile::tempdir().unwrap();
        let w = Wallet::new(dir.path(), "nope");
        assert!(matches!(
            w.load_coldkey(None, FAST),
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(w.coldkeypub(), Err(Error::NotFound { .. })));
        assert!(matches!(w.hotkeypub("h"), Err(Error::NotFound { .. })));
        assert_eq!(w.list_hotkeys().unwrap(), vec![]);
        assert_eq!(list_wallets(&dir.path().join("absent")).unwrap(), vec![]);
    }
}

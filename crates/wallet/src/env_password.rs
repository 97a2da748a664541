//! Keyfile passwords from the environment, as the Python `bittensor-wallet` reads them.
//!
//! A password for the keyfile at `PATH` can sit in the variable `BT_PW_<PATH>`, where `<PATH>`
//! is the path *as given* (`~` not expanded), with `/` and `.` replaced by `_`, upper-cased. The
//! value is base64 of the password XORed byte-wise with the variable's name, the name repeated as
//! often as needed. That hides the password from a casual `env` listing; it is not encryption.
//! `Keyfile.save_password_to_env` in Python writes the same value, so either tool can set it.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::error::Error;

/// The variable that holds the password for the keyfile at `path_as_given`.
///
/// ```
/// assert_eq!(
///     wallet::env_password::var_name("~/.bittensor/wallets/vector_wallet/coldkey"),
///     "BT_PW_~__BITTENSOR_WALLETS_VECTOR_WALLET_COLDKEY"
/// );
/// ```
pub fn var_name(path_as_given: &str) -> String {
    let flat: String = path_as_given
        .chars()
        .map(|c| if c == '/' || c == '.' { '_' } else { c })
        .collect();
    format!("BT_PW_{}", flat.to_uppercase())
}

fn xor_with_name(data: &[u8], name: &str) -> Vec<u8> {
    data.iter()
        .zip(name.as_bytes().iter().cycle())
        .map(|(byte, key)| byte ^ key)
        .collect()
}

/// The value to store in the variable `name` for `password`.
pub fn encode(name: &str, password: &str) -> String {
    let mixed = Zeroizing::new(xor_with_name(password.as_bytes(), name));
    STANDARD.encode(mixed.as_slice())
}

/// The password stored as `value` in the variable `name`.
pub fn decode(name: &str, value: &str) -> Result<Zeroizing<String>, Error> {
    let bad = || Error::BadEnvPassword {
        name: name.to_owned(),
    };
    let mixed = Zeroizing::new(STANDARD.decode(value.trim()).map_err(|_| bad())?);
    let plain = xor_with_name(&mixed, name);
    String::from_utf8(plain)
        .map(Zeroizing::new)
        .map_err(|error| {
            let mut bytes = error.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            bad()
        })
}

/// The password for the keyfile at `path_as_given` from the process environment, if its
/// variable is set.
pub fn from_env(path_as_given: &str) -> Result<Option<Zeroizing<String>>, Error> {
    let name = var_name(path_as_given);
    match std::env::var(&name) {
        Ok(value) => decode(&name, &value).map(Some),
        Err(_) => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_matches_the_python_wallet() {
        // From ../shared/vectors/sdk/wallet/wallet_info.json.
        assert_eq!(
            var_name("~/.bittensor/wallets/vector_wallet/coldkey"),
            "BT_PW_~__BITTENSOR_WALLETS_VECTOR_WALLET_COLDKEY"
        );
    }

    #[test]
    fn value_written_by_python_decodes() {
        // `Keyfile('~/.bittensor/wallets/x/coldkey').save_password_to_env(...)`, bittensor-wallet 4.1.1.
        let name = "BT_PW_~__BITTENSOR_WALLETS_X_COLDKEY";
        assert_eq!(var_name("~/.bittensor/wallets/x/coldkey"), name);
        let value = "ITstIjI8CnI3LTsnMWgMMjsmOiU4YXU=";
        assert_eq!(
            decode(name, value).unwrap().as_str(),
            "correct-horse-Battery-9"
        );
        assert_eq!(encode(name, "correct-horse-Battery-9"), value);
    }

    #[test]
    fn long_password_wraps_the_name_and_round_trips() {
        let name = "BT_PW_A";
        let password = "a password much longer than the variable's name, with ü and ✓";
        assert_eq!(
            decode(name, &encode(name, password)).unwrap().as_str(),
            password
        );
    }

    #[test]
    fn garbage_is_a_typed_error() {
        let error = decode("BT_PW_X", "not base64!").unwrap_err();
        assert!(matches!(error, Error::BadEnvPassword { .. }));
        assert!(error.hint().is_some());
        // Valid base64 that is not UTF-8 once unmixed.
        let invalid = STANDARD.encode(xor_with_name(&[0xff, 0xfe], "BT_PW_X"));
        assert!(decode("BT_PW_X", &invalid).is_err());
    }
}

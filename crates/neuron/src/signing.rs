//! Signed messages: the Synapse request signature, our axon response signature, and
//! Epistula v2 (an alternative request signature over the exact body bytes).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use keys::Keypair;
use sha2::{Digest as _, Sha256};

use crate::body_hash::{py_float_repr, sha3_hex};
use crate::error::VerifyError;

/// The message a dendrite signs: `{nonce}.{dendrite_hotkey}.{axon_hotkey}.{uuid}.{body_hash}`.
pub fn request_message(
    nonce: u64,
    dendrite_hotkey: &str,
    axon_hotkey: &str,
    uuid: &str,
    body_hash: &str,
) -> String {
    format!("{nonce}.{dendrite_hotkey}.{axon_hotkey}.{uuid}.{body_hash}")
}

/// The message our axon signs on every response (`bt_header_axon_signature`):
/// `{axon_nonce}.{dendrite_hotkey}.{axon_hotkey}.{dendrite_uuid}.{dendrite_nonce}.{sha3_256_hex(response body)}`.
///
/// The dendrite nonce and uuid bind the response to one request; the body hash covers the
/// exact bytes sent. Six parts, so it cannot be confused with Python's four-part
/// `{axon_nonce}.{dendrite_hotkey}.{axon_hotkey}.{axon_uuid}` header signature.
pub fn response_message(
    axon_nonce: u64,
    dendrite_hotkey: &str,
    axon_hotkey: &str,
    dendrite_uuid: &str,
    dendrite_nonce: u64,
    response_body: &[u8],
) -> String {
    format!(
        "{axon_nonce}.{dendrite_hotkey}.{axon_hotkey}.{dendrite_uuid}.{dendrite_nonce}.{}",
        sha3_hex(response_body)
    )
}

/// The Python axon's own header signature: `{axon_nonce}.{dendrite_hotkey}.{axon_hotkey}.{axon_uuid}`.
/// It authenticates the headers of error responses only (no body).
pub fn python_axon_message(
    axon_nonce: u64,
    dendrite_hotkey: &str,
    axon_hotkey: &str,
    axon_uuid: &str,
) -> String {
    format!("{axon_nonce}.{dendrite_hotkey}.{axon_hotkey}.{axon_uuid}")
}

/// `0x` + lowercase hex of a signature, as on the wire.
pub fn sig_hex(sig: &[u8; 64]) -> String {
    format!("0x{}", hex::encode(sig))
}

/// Decompressed public keys by their bytes: decompressing the curve point is a large share of
/// a verification, and the same few hotkeys sign most requests. Only valid keys are stored;
/// the map is cleared when it reaches this size, which bounds memory.
const KEY_CACHE_MAX: usize = 65_536;

fn public_key(bytes: &[u8; 32]) -> Option<schnorrkel::PublicKey> {
    static CACHE: OnceLock<Mutex<HashMap<[u8; 32], schnorrkel::PublicKey>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(pk) = map.get(bytes) {
        return Some(*pk);
    }
    let pk = schnorrkel::PublicKey::from_bytes(bytes).ok()?;
    if map.len() >= KEY_CACHE_MAX {
        map.clear();
    }
    map.insert(*bytes, pk);
    Some(pk)
}

/// [`keys::verify`] (plain message, then the `<Bytes>` wrapping) with the public key cache.
pub fn verify_sr25519(public: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    let (Some(pk), Ok(sig)) = (
        public_key(public),
        schnorrkel::Signature::from_bytes(signature),
    ) else {
        return false;
    };
    let ctx = schnorrkel::signing_context(keys::SIGNING_CONTEXT);
    if pk.verify(ctx.bytes(message), &sig).is_ok() {
        return true;
    }
    let mut wrapped = Vec::with_capacity(message.len().saturating_add(15));
    wrapped.extend_from_slice(b"<Bytes>");
    wrapped.extend_from_slice(message);
    wrapped.extend_from_slice(b"</Bytes>");
    pk.verify(ctx.bytes(&wrapped), &sig).is_ok()
}

/// Verify a request signature header against `message` for `hotkey` (SS58).
pub fn verify_request(
    hotkey: &types::AccountId,
    message: &str,
    signature: &str,
) -> Result<(), VerifyError> {
    let ok = keys::parse_signature(signature)
        .map(|sig| verify_sr25519(&hotkey.0, message.as_bytes(), &sig))
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(VerifyError::SignatureMismatch {
            message: message.to_string(),
            signature: signature.to_string(),
        })
    }
}

/// Epistula v2 (subnet convention, e.g. macrocosm-os/apex `shared/epistula.py`).
pub mod epistula {
    use super::*;

    /// `Epistula-Version`.
    pub const VERSION: &str = "epistula-version";
    /// `Epistula-Timestamp` (ms since the epoch).
    pub const TIMESTAMP: &str = "epistula-timestamp";
    /// `Epistula-Uuid` (uuid4, fresh per request).
    pub const UUID: &str = "epistula-uuid";
    /// `Epistula-Signed-By` (sender SS58).
    pub const SIGNED_BY: &str = "epistula-signed-by";
    /// `Epistula-Signed-For` (receiver SS58, optional).
    pub const SIGNED_FOR: &str = "epistula-signed-for";
    /// `Epistula-Request-Signature`.
    pub const REQUEST_SIGNATURE: &str = "epistula-request-signature";
    /// Receivers reject requests older than this (apex's `ALLOWED_DELTA_MS`).
    pub const ALLOWED_DELTA_MS: u64 = 8_000;

    /// The signed string: `{sha256_hex(body)}.{uuid}.{timestamp}.{signed_for or ''}`.
    pub fn message(body: &[u8], uuid: &str, timestamp_ms: u64, signed_for: Option<&str>) -> String {
        format!(
            "{}.{uuid}.{timestamp_ms}.{}",
            hex::encode(Sha256::digest(body)),
            signed_for.unwrap_or("")
        )
    }

    /// The header pairs for a request with `body`, including the three
    /// `Epistula-Secret-Signature-{0,1,2}` headers when `signed_for` is given (over
    /// `"{interval-1|interval|interval+1}.{signed_for}"`, `interval = ceil(ts/1e4)*1e4`, as
    /// Python float text).
    pub fn headers(
        keypair: &Keypair,
        body: &[u8],
        signed_for: Option<&str>,
        uuid: &str,
        timestamp_ms: u64,
    ) -> Vec<(String, String)> {
        let sig = keypair.sign(message(body, uuid, timestamp_ms, signed_for).as_bytes());
        let mut h = vec![
            ("Epistula-Version".to_string(), "2".to_string()),
            ("Epistula-Timestamp".to_string(), timestamp_ms.to_string()),
            ("Epistula-Uuid".to_string(), uuid.to_string()),
            ("Epistula-Signed-By".to_string(), keypair.ss58()),
            ("Epistula-Request-Signature".to_string(), sig_hex(&sig)),
        ];
        if let Some(to) = signed_for {
            h.push(("Epistula-Signed-For".to_string(), to.to_string()));
            let interval = timestamp_ms.div_ceil(10_000).saturating_mul(10_000);
            for (i, iv) in [
                interval.saturating_sub(1),
                interval,
                interval.saturating_add(1),
            ]
            .into_iter()
            .enumerate()
            {
                #[allow(clippy::as_conversions)] // ms timestamps are far below 2^53
                let text = py_float_repr(iv as f64);
                let s = keypair.sign(format!("{text}.{to}").as_bytes());
                h.push((format!("Epistula-Secret-Signature-{i}"), sig_hex(&s)));
            }
        }
        h
    }

    /// A verified Epistula request.
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Verified {
        /// The sender.
        pub signed_by: types::AccountId,
        /// The sender's per-request uuid.
        pub uuid: String,
        /// Timestamp in ms.
        pub timestamp_ms: u64,
    }

    /// Verify Epistula headers (looked up with `get`, case-insensitive names) for `body`, as
    /// received by `me` at `now_ms`.
    pub fn verify<'a>(
        get: impl Fn(&str) -> Option<&'a str>,
        body: &[u8],
        me: &str,
        now_ms: u64,
    ) -> Result<Verified, VerifyError> {
        let need = |name: &str| {
            get(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| VerifyError::Epistula(format!("missing header {name}")))
        };
        if need(VERSION)? != "2" {
            return Err(VerifyError::Epistula("unsupported Epistula-Version".into()));
        }
        let timestamp_ms: u64 = need(TIMESTAMP)?
            .parse()
            .map_err(|_| VerifyError::Epistula("bad Epistula-Timestamp".into()))?;
        let uuid = need(UUID)?;
        let signed_by_text = need(SIGNED_BY)?;
        let signed_by = types::AccountId::from_ss58_any_prefix(signed_by_text)
            .map(|(a, _)| a)
            .map_err(|_| VerifyError::BadHotkey(signed_by_text.to_string()))?;
        let signature = get(REQUEST_SIGNATURE).ok_or(VerifyError::MissingSignature)?;
        let signed_for = get(SIGNED_FOR).map(str::trim).filter(|s| !s.is_empty());
        if let Some(f) = signed_for
            && f != me
        {
            return Err(VerifyError::Epistula(
                "message is not intended for self".into(),
            ));
        }
        if timestamp_ms.saturating_add(ALLOWED_DELTA_MS) < now_ms {
            return Err(VerifyError::Epistula("Request is too stale".into()));
        }
        verify_request(
            &signed_by,
            &message(body, uuid, timestamp_ms, signed_for),
            signature,
        )?;
        Ok(Verified {
            signed_by,
            uuid: uuid.to_string(),
            timestamp_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_signature_verifies() {
        let msg = request_message(
            1795568651040134485,
            "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY",
            "5DHoog4tWJNA1YW2U6LZDXKj5U7c3xdpZjAkebrX1UdZU1Q5",
            "1fa7d200-e86c-11f1-8c35-02fc00000001",
            "3528c7d0eb5a721cc51df7d1d139591cf3a6e9033b77e343aabb95eaca80086d",
        );
        let alice = types::AccountId::from_ss58("5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY")
            .unwrap();
        let sig = "0x9c8ef0143b56370c1d796e64423a05c2be1b46fa0f611066fa4f2378769be53c77a8475a8cc0a43583062931abe2ef2434b81defd8624158739495d167cd448b";
        verify_request(&alice, &msg, sig).unwrap();
        assert!(matches!(
            verify_request(&alice, &format!("{msg}x"), sig),
            Err(VerifyError::SignatureMismatch { .. })
        ));
        assert!(verify_request(&alice, &msg, "0xzz").is_err());
        // The cached path agrees with keys::verify, including the <Bytes> wrapping.
        let k = Keypair::from_uri("//Alice").unwrap();
        let wrapped = k.sign(b"<Bytes>hi</Bytes>");
        assert!(verify_sr25519(&k.public_key(), b"hi", &wrapped));
        assert!(verify_sr25519(&k.public_key(), b"hi", &k.sign(b"hi")));
        assert!(!verify_sr25519(&k.public_key(), b"ho", &k.sign(b"hi")));
        assert!(!verify_sr25519(&[0xff; 32], b"hi", &k.sign(b"hi")));
        // The cached path agrees with keys::verify, including the <Bytes> wrapping.
        let k = Keypair::from_uri("//Alice").unwrap();
        let wrapped = k.sign(b"<Bytes>hi</Bytes>");
        assert!(verify_sr25519(&k.public_key(), b"hi", &wrapped));
        assert!(verify_sr25519(&k.public_key(), b"hi", &k.sign(b"hi")));
        assert!(!verify_sr25519(&k.public_key(), b"ho", &k.sign(b"hi")));
        assert!(!verify_sr25519(&[0xff; 32], b"hi", &k.sign(b"hi")));
    }

    #[test]
    fn epistula_round_trip() {
        let alice = Keypair::from_uri("//Alice").unwrap();
        let bob = Keypair::from_uri("//Bob").unwrap();
        let body = br#"{"a":1}"#;
        let now = 1_795_568_660_123u64;
        let h = epistula::headers(&alice, body, Some(&bob.ss58()), "u-1", now);
        assert_eq!(h.len(), 9);
        let get = |name: &str| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let v = epistula::verify(get, body, &bob.ss58(), now + 10).unwrap();
        assert_eq!(v.signed_by, alice.account_id());
        assert!(epistula::verify(get, b"other", &bob.ss58(), now).is_err());
        assert!(epistula::verify(get, body, &alice.ss58(), now).is_err());
        assert!(epistula::verify(get, body, &bob.ss58(), now + 9_000).is_err());
        // The secret signature covers the Python float text of the interval.
        let s1 = keys::parse_signature(get("epistula-secret-signature-1").unwrap()).unwrap();
        let m = format!("1795568670000.0.{}", bob.ss58());
        assert!(keys::verify(&alice.public_key(), m.as_bytes(), &s1));
    }
}

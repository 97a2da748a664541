//! Synapse headers: names, reading a request's headers into terminals, and writing them.
//!
//! Header names are matched case-insensitively (uvicorn lower-cases, aiohttp keeps case).

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use crate::body_hash::py_float_repr;
use crate::terminal::TerminalInfo;

/// Synapse class name.
pub const NAME: &str = "name";
/// Timeout in seconds, as Python float text.
pub const TIMEOUT: &str = "timeout";
/// The body hash the signature covers.
pub const COMPUTED_BODY_HASH: &str = "computed_body_hash";
/// Python object size (unchecked).
pub const HEADER_SIZE: &str = "header_size";
/// Python object size (unchecked).
pub const TOTAL_SIZE: &str = "total_size";
/// Prefix of the axon terminal headers.
pub const AXON_PREFIX: &str = "bt_header_axon_";
/// Prefix of the dendrite terminal headers.
pub const DENDRITE_PREFIX: &str = "bt_header_dendrite_";
/// The header our axon signs responses with (see [`crate::signing::response_message`]).
pub const AXON_SIGNATURE: &str = "bt_header_axon_signature";
/// Longest `bt_header_dendrite_uuid` the axon accepts (it becomes part of a nonce-store key).
pub const MAX_UUID_LEN: usize = 128;

/// The synapse-related headers of a request or response.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SynapseHeaders {
    /// `name`.
    pub name: Option<String>,
    /// `timeout`, seconds.
    pub timeout: Option<f64>,
    /// `bt_header_dendrite_*`.
    pub dendrite: TerminalInfo,
    /// `bt_header_axon_*`.
    pub axon: TerminalInfo,
    /// `computed_body_hash`.
    pub computed_body_hash: Option<String>,
}

impl SynapseHeaders {
    /// Read from a header map; values that are not UTF-8 or do not parse are skipped.
    pub fn parse(headers: &HeaderMap) -> Self {
        let mut out = SynapseHeaders::default();
        for (k, v) in headers {
            let Ok(v) = v.to_str() else { continue };
            let k = k.as_str();
            if let Some(f) = k.strip_prefix(DENDRITE_PREFIX) {
                out.dendrite.set_from_header(f, v);
            } else if let Some(f) = k.strip_prefix(AXON_PREFIX) {
                out.axon.set_from_header(f, v);
            } else if k == NAME {
                out.name = Some(v.trim().to_string());
            } else if k == TIMEOUT {
                out.timeout = v.trim().parse().ok().filter(|t: &f64| t.is_finite());
            } else if k == COMPUTED_BODY_HASH {
                out.computed_body_hash = Some(v.trim().to_string());
            }
        }
        out
    }

    /// Write these headers (plus zero `header_size`/`total_size`) into `map`.
    pub fn write(&self, map: &mut HeaderMap) {
        if let Some(n) = &self.name {
            insert(map, NAME, n);
        }
        if let Some(t) = self.timeout {
            insert(map, TIMEOUT, &py_float_repr(t));
        }
        write_terminal(map, AXON_PREFIX, &self.axon);
        write_terminal(map, DENDRITE_PREFIX, &self.dendrite);
        insert(map, HEADER_SIZE, "0");
        insert(map, TOTAL_SIZE, "0");
        if let Some(h) = &self.computed_body_hash {
            insert(map, COMPUTED_BODY_HASH, h);
        }
    }
}

/// Prefix of the placeholder headers for required (no-default) synapse fields.
pub const INPUT_OBJ_PREFIX: &str = "bt_header_input_obj_";

/// `bt_header_input_obj_{field}` values for `fields` of `synapse`, as Python's `to_headers`:
/// base64 of the JSON of an empty value of the field's type (`""`, `0`, `0.0`, `false`, `[]`,
/// `{}`); fields that are `None` or absent are skipped.
pub fn input_obj_headers<S: serde::Serialize>(
    synapse: &S,
    fields: &[&str],
) -> Vec<(String, String)> {
    use serde_json::Value;
    let Ok(Value::Object(map)) = serde_json::to_value(synapse) else {
        return Vec::new();
    };
    fields
        .iter()
        .filter_map(|f| {
            let empty = match map.get(*f)? {
                Value::Null => return None,
                Value::String(_) => "\"\"",
                Value::Number(n) if n.is_f64() => "0.0",
                Value::Number(_) => "0",
                Value::Bool(_) => "false",
                Value::Array(_) => "[]",
                Value::Object(_) => "{}",
            };
            Some((format!("{INPUT_OBJ_PREFIX}{f}"), base64(empty.as_bytes())))
        })
        .collect()
}

/// Standard base64 with padding (the few bytes above do not justify a dependency).
fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                let idx = usize::try_from((n >> (18 - 6 * i)) & 63).unwrap_or(0);
                out.push(char::from(A.get(idx).copied().unwrap_or(b'=')));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The static name of a terminal header (no parsing or allocation on the hot path).
fn terminal_header_name(prefix: &str, field: &str) -> Option<HeaderName> {
    macro_rules! names {
        ($($f:literal),*) => {
            if prefix == AXON_PREFIX {
                match field {
                    $($f => return Some(HeaderName::from_static(concat!("bt_header_axon_", $f))),)*
                    _ => {}
                }
            } else if prefix == DENDRITE_PREFIX {
                match field {
                    $($f => return Some(HeaderName::from_static(concat!("bt_header_dendrite_", $f))),)*
                    _ => {}
                }
            }
        };
    }
    names!(
        "status_code",
        "status_message",
        "process_time",
        "ip",
        "port",
        "version",
        "nonce",
        "uuid",
        "hotkey",
        "signature"
    );
    HeaderName::from_bytes(format!("{prefix}{field}").as_bytes()).ok()
}

/// Write `bt_header_{side}_{field}` for each set field of `t`.
pub fn write_terminal(map: &mut HeaderMap, prefix: &str, t: &TerminalInfo) {
    for (field, value) in t.header_values() {
        if let Some(name) = terminal_header_name(prefix, field) {
            map.insert(name, header_value(&value));
        }
    }
}

/// Insert a header, replacing control characters so any text becomes a valid value.
pub fn insert(map: &mut HeaderMap, name: &str, value: &str) {
    let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
        return;
    };
    map.insert(name, header_value(value));
}

/// A header value from arbitrary text (controls become spaces; UTF-8 is kept as obs-text).
pub fn header_value(value: &str) -> HeaderValue {
    if let Ok(v) = HeaderValue::from_str(value) {
        return v;
    }
    let clean: String = value
        .chars()
        .map(|c| if c.is_control() && c != '\t' { ' ' } else { c })
        .collect();
    HeaderValue::from_bytes(clean.as_bytes()).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_obj_placeholders() {
        assert_eq!(base64(b"\"\""), "IiI=");
        assert_eq!(base64(b"[]"), "W10=");
        assert_eq!(base64(b"0.0"), "MC4w");
        #[derive(serde::Serialize)]
        struct S {
            a: String,
            b: i64,
            c: f64,
            d: Vec<u8>,
            e: Option<u8>,
            f: bool,
        }
        let s = S {
            a: "x".into(),
            b: 3,
            c: 1.5,
            d: vec![1],
            e: None,
            f: true,
        };
        let h = input_obj_headers(&s, &["a", "b", "c", "d", "e", "f", "zz"]);
        let got: Vec<(&str, &str)> = h.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(
            got,
            vec![
                ("bt_header_input_obj_a", "IiI="),
                ("bt_header_input_obj_b", "MA=="),
                ("bt_header_input_obj_c", "MC4w"),
                ("bt_header_input_obj_d", "W10="),
                ("bt_header_input_obj_f", "ZmFsc2U="),
            ]
        );
    }

    #[test]
    fn round_trip() {
        let mut h = SynapseHeaders {
            name: Some("Echo".into()),
            timeout: Some(12.0),
            computed_body_hash: Some("ab".into()),
            ..Default::default()
        };
        h.dendrite.nonce = Some(5);
        h.dendrite.hotkey = Some("5Grw".into());
        h.axon.status_message = Some("bad\nline é".into());
        let mut map = HeaderMap::new();
        h.write(&mut map);
        assert_eq!(map.get("timeout").unwrap(), "12.0");
        assert_eq!(map.get("bt_header_dendrite_nonce").unwrap(), "5");
        let back = SynapseHeaders::parse(&map);
        assert_eq!(back.dendrite, h.dendrite);
        assert_eq!(back.name.as_deref(), Some("Echo"));
        // Non-ASCII survives as raw bytes, though `to_str` refuses it; controls are gone.
        assert_eq!(
            map.get("bt_header_axon_status_message").unwrap().as_bytes(),
            "bad line é".as_bytes()
        );
    }
}

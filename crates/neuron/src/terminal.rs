//! `TerminalInfo`: what each end of a call knows about itself and the other side, plus
//! [`AxonInfo`], the address of an axon as the metagraph publishes it.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Status codes the Python SDK puts in `TerminalInfo.status_code`.
pub mod status {
    /// The call succeeded.
    pub const SUCCESS: u16 = 200;
    /// Malformed request or response payload, or (our axon) a body-hash mismatch.
    pub const BAD_REQUEST: u16 = 400;
    /// Signature or nonce check failed.
    pub const UNAUTHORIZED: u16 = 401;
    /// The caller is blacklisted.
    pub const FORBIDDEN: u16 = 403;
    /// Unknown synapse route.
    pub const NOT_FOUND: u16 = 404;
    /// The request timed out (dendrite side, or the axon's priority queue / forward).
    pub const TIMEOUT: u16 = 408;
    /// The request body exceeds the axon's limit.
    pub const PAYLOAD_TOO_LARGE: u16 = 413;
    /// The dendrite could not parse the response.
    pub const UNPARSEABLE: u16 = 422;
    /// Axon-side failure in the handler.
    pub const INTERNAL: u16 = 500;
    /// The response signature did not verify (rustensor dendrite only).
    pub const BAD_RESPONSE_SIGNATURE: u16 = 502;
    /// Connection refused / axon overloaded.
    pub const UNAVAILABLE: u16 = 503;
    /// Server-side timeout reported by the transport.
    pub const GATEWAY_TIMEOUT: u16 = 504;
}

/// One end of a synapse call, as carried in the body (`dendrite`, `axon`) and in the
/// `bt_header_{dendrite,axon}_*` headers. Every field is optional, like in Python.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TerminalInfo {
    /// HTTP-like status code of the call.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub status_code: Option<u64>,
    /// Human-readable status.
    #[serde(default)]
    pub status_message: Option<String>,
    /// Seconds spent processing.
    #[serde(default, deserialize_with = "lenient_f64")]
    pub process_time: Option<f64>,
    /// IP address of this terminal.
    #[serde(default)]
    pub ip: Option<String>,
    /// Port of this terminal.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub port: Option<u64>,
    /// SDK version as `major*10^6 + minor*10^3 + patch`.
    #[serde(default, deserialize_with = "lenient_u64")]
    pub version: Option<u64>,
    /// Nonce (nanoseconds since the epoch when the message was signed).
    #[serde(default, deserialize_with = "lenient_u64")]
    pub nonce: Option<u64>,
    /// Instance id of this terminal.
    #[serde(default)]
    pub uuid: Option<String>,
    /// SS58 hotkey of this terminal.
    #[serde(default)]
    pub hotkey: Option<String>,
    /// `0x` + hex sr25519 signature.
    #[serde(default)]
    pub signature: Option<String>,
}

impl TerminalInfo {
    /// Header field names in the order Python emits them.
    pub const FIELDS: [&'static str; 10] = [
        "status_code",
        "status_message",
        "process_time",
        "ip",
        "port",
        "version",
        "nonce",
        "uuid",
        "hotkey",
        "signature",
    ];

    /// Set one field from its header text; unknown names and unparsable numbers are ignored,
    /// as pydantic would refuse them (the caller decides what a missing value means).
    pub fn set_from_header(&mut self, field: &str, value: &str) {
        let v = value.trim();
        match field {
            "status_code" => self.status_code = parse_u64(v),
            "status_message" => self.status_message = Some(value.to_string()),
            "process_time" => self.process_time = v.parse().ok(),
            "ip" => self.ip = Some(v.to_string()),
            "port" => self.port = parse_u64(v),
            "version" => self.version = parse_u64(v),
            "nonce" => self.nonce = parse_u64(v),
            "uuid" => self.uuid = Some(v.to_string()),
            "hotkey" => self.hotkey = Some(v.to_string()),
            "signature" => self.signature = Some(v.to_string()),
            _ => {}
        }
    }

    /// `(field, Python str(value))` for each field that is set.
    pub fn header_values(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::with_capacity(10);
        let mut push = |k: &'static str, v: Option<String>| {
            if let Some(v) = v {
                out.push((k, v));
            }
        };
        push("status_code", self.status_code.map(|v| v.to_string()));
        push("status_message", self.status_message.clone());
        push(
            "process_time",
            self.process_time.map(crate::body_hash::py_float_repr),
        );
        push("ip", self.ip.clone());
        push("port", self.port.map(|v| v.to_string()));
        push("version", self.version.map(|v| v.to_string()));
        push("nonce", self.nonce.map(|v| v.to_string()));
        push("uuid", self.uuid.clone());
        push("hotkey", self.hotkey.clone());
        push("signature", self.signature.clone());
        out
    }

    /// Fill every unset field of `self` from `other` (Python's header merge, which lets the
    /// server's non-None values win: call as `server.merged_over(local)`).
    pub fn merged_over(mut self, other: &TerminalInfo) -> TerminalInfo {
        macro_rules! fill {
            ($($f:ident),*) => {$(if self.$f.is_none() { self.$f = other.$f.clone(); })*};
        }
        fill!(
            status_code,
            status_message,
            process_time,
            ip,
            port,
            version,
            nonce,
            uuid,
            hotkey,
            signature
        );
        self
    }
}

/// Where an axon listens and who it is: the parts of the chain's `AxonInfo` a dendrite needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AxonInfo {
    /// IP address (v4 or v6 literal) or host name.
    pub ip: String,
    /// TCP port.
    pub port: u16,
    /// The axon's hotkey; requests are signed for it and responses verified against it.
    pub hotkey: types::AccountId,
    /// The owner's coldkey, when known.
    #[serde(default)]
    pub coldkey: Option<types::AccountId>,
    /// Advertised version int.
    #[serde(default)]
    pub version: u64,
}

impl AxonInfo {
    /// An axon at `ip:port` owned by `hotkey`.
    pub fn new(ip: impl Into<String>, port: u16, hotkey: types::AccountId) -> Self {
        AxonInfo {
            ip: ip.into(),
            port,
            hotkey,
            coldkey: None,
            version: 0,
        }
    }

    /// `host:port`, with brackets around IPv6 literals.
    pub fn authority(&self) -> String {
        if self.ip.contains(':') && !self.ip.starts_with('[') {
            format!("[{}]:{}", self.ip, self.port)
        } else {
            format!("{}:{}", self.ip, self.port)
        }
    }
}

fn parse_u64(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().or_else(|| {
        s.parse::<f64>()
            .ok()
            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19)
            .map(|f| f as u64)
    })
}

/// Accept `null`, a number, or a numeric string (pydantic coerces all of them).
fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().and_then(|f| parse_u64(&f.to_string()))),
        Value::String(s) => parse_u64(s.trim()),
        _ => None,
    })
}

fn lenient_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_parse_and_headers() {
        let t: TerminalInfo = serde_json::from_str(
            r#"{"status_code":"503","process_time":"0.25","port":18092,"nonce":1795568651040134485,"version":null}"#,
        )
        .unwrap();
        assert_eq!(t.status_code, Some(503));
        assert_eq!(t.process_time, Some(0.25));
        assert_eq!(t.nonce, Some(1795568651040134485));
        assert_eq!(t.version, None);
        let h = t.header_values();
        assert_eq!(h[0], ("status_code", "503".to_string()));
        assert_eq!(h[1], ("process_time", "0.25".to_string()));
        let mut u = TerminalInfo::default();
        u.set_from_header("nonce", "12");
        u.set_from_header("port", "x");
        assert_eq!(u.nonce, Some(12));
        assert_eq!(u.port, None);
        let merged = u.merged_over(&t);
        assert_eq!(merged.nonce, Some(12));
        assert_eq!(merged.status_code, Some(503));
    }

    #[test]
    fn authority_brackets_ipv6() {
        let a = AxonInfo::new("::1", 8091, types::AccountId([0; 32]));
        assert_eq!(a.authority(), "[::1]:8091");
        let b = AxonInfo::new("127.0.0.1", 8091, types::AccountId([0; 32]));
        assert_eq!(b.authority(), "127.0.0.1:8091");
    }
}

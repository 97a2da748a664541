//! The [`Synapse`] trait (a typed request/response pair) and its JSON envelope on the wire.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::body_hash::{self, BodyHashError};
use crate::terminal::TerminalInfo;

/// A Bittensor synapse: one request/response type, routed by [`Synapse::NAME`].
///
/// The fields of the implementing type are the synapse's own fields (Python subclass fields);
/// the base fields (`name`, `timeout`, `dendrite`, `axon`, ...) live in [`SynapseBody`]. Inputs
/// and outputs share one type, as in Python: the axon's handler fills in the output fields.
///
/// ```
/// use serde::{Deserialize, Serialize};
/// #[derive(Clone, Debug, Default, Serialize, Deserialize)]
/// struct Echo { text: String, n: i64, values: Vec<i64>, response: Option<String> }
/// impl neuron::Synapse for Echo {
///     const NAME: &'static str = "Echo";
///     const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["text", "n", "values"];
/// }
/// ```
pub trait Synapse: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {
    /// The Python class name: the route (`POST /{NAME}`) and the `name` header.
    const NAME: &'static str;
    /// Fields covered by the body hash, in order (Python's `required_hash_fields`).
    const REQUIRED_HASH_FIELDS: &'static [&'static str] = &[];
    /// Fields the Python class declares without a default. The dendrite sends each as
    /// `bt_header_input_obj_{field}` (base64 JSON of an *empty* value of its type), which a
    /// Python axon needs to build the synapse from headers; without it, it answers 400.
    const REQUIRED_FIELDS: &'static [&'static str] = &[];

    /// The Python-compatible body hash of this synapse's required hash fields.
    fn body_hash(&self) -> Result<String, BodyHashError> {
        body_hash::body_hash(self, Self::REQUIRED_HASH_FIELDS)
    }
}

/// The base `bittensor.Synapse` with no fields of its own; every axon answers it on
/// `/Synapse` (a ping that echoes the request).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {}

impl Synapse for Ping {
    const NAME: &'static str = "Synapse";
}

/// The JSON body of a synapse request or response: Python's `synapse.model_dump()`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SynapseBody<S> {
    /// Synapse class name.
    #[serde(default)]
    pub name: Option<String>,
    /// Timeout in seconds.
    #[serde(default)]
    pub timeout: Option<f64>,
    /// Python object size, unchecked.
    #[serde(default)]
    pub total_size: Option<serde_json::Value>,
    /// Python object size, unchecked.
    #[serde(default)]
    pub header_size: Option<serde_json::Value>,
    /// The caller's terminal.
    #[serde(default)]
    pub dendrite: Option<TerminalInfo>,
    /// The callee's terminal.
    #[serde(default)]
    pub axon: Option<TerminalInfo>,
    /// Always `""` in the body; the real hash travels in the header.
    #[serde(default)]
    pub computed_body_hash: Option<String>,
    /// The synapse's own fields.
    #[serde(flatten)]
    pub synapse: S,
}

impl<S: Synapse> SynapseBody<S> {
    /// A body for `synapse` with the given terminals.
    pub fn new(synapse: S, timeout: f64, dendrite: TerminalInfo, axon: TerminalInfo) -> Self {
        SynapseBody {
            name: Some(S::NAME.to_string()),
            timeout: Some(timeout),
            total_size: Some(0.into()),
            header_size: Some(0.into()),
            dendrite: Some(dendrite),
            axon: Some(axon),
            computed_body_hash: Some(String::new()),
            synapse,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
    struct Echo {
        #[serde(default)]
        text: String,
        #[serde(default)]
        n: i64,
        #[serde(default)]
        values: Vec<i64>,
        #[serde(default)]
        response: Option<String>,
    }
    impl Synapse for Echo {
        const NAME: &'static str = "Echo";
        const REQUIRED_HASH_FIELDS: &'static [&'static str] = &["text", "n", "values"];
    }

    #[test]
    fn parses_python_body_and_hashes() {
        let body = r#"{"name": "Echo", "timeout": 12.0, "total_size": 3484, "header_size": 0, "dendrite": {"status_code": null, "status_message": null, "process_time": null, "ip": "127.0.0.1", "port": null, "version": 10005000, "nonce": 1795568651040134485, "uuid": "1fa7d200-e86c-11f1-8c35-02fc00000001", "hotkey": "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY", "signature": "0x9c"}, "axon": {"status_code": null, "status_message": null, "process_time": null, "ip": "127.0.0.1", "port": 18092, "version": null, "nonce": null, "uuid": null, "hotkey": "5DHoog4tWJNA1YW2U6LZDXKj5U7c3xdpZjAkebrX1UdZU1Q5", "signature": null}, "computed_body_hash": "", "text": "hello", "n": 21, "values": [1, 2, 3], "response": null}"#;
        let b: SynapseBody<Echo> = serde_json::from_str(body).unwrap();
        assert_eq!(b.synapse.text, "hello");
        assert_eq!(
            b.dendrite.as_ref().unwrap().nonce,
            Some(1795568651040134485)
        );
        assert_eq!(
            b.synapse.body_hash().unwrap(),
            "3528c7d0eb5a721cc51df7d1d139591cf3a6e9033b77e343aabb95eaca80086d"
        );
        let ping: SynapseBody<Ping> = serde_json::from_str(body).unwrap();
        assert_eq!(
            ping.synapse.body_hash().unwrap(),
            crate::body_hash::EMPTY_BODY_HASH
        );
        let out = serde_json::to_string(&SynapseBody::new(
            Ping {},
            12.0,
            TerminalInfo::default(),
            TerminalInfo::default(),
        ))
        .unwrap();
        assert!(
            out.starts_with(r#"{"name":"Synapse","timeout":12.0,"#),
            "{out}"
        );
    }
}

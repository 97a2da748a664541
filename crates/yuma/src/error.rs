//! The crate's error type.

/// Why an epoch or a scenario could not run. Every variant names the offending field (a path
/// such as `epochs[2].input.weights[3][1]` for scenarios) and says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum YumaError {
    /// A per-uid vector does not have one entry per uid.
    #[error("`{field}` has {got} entries, expected {expected} (one per uid)")]
    Length {
        /// The field.
        field: String,
        /// Entries expected (n).
        expected: usize,
        /// Entries given.
        got: usize,
    },
    /// A sparse row refers to a uid outside `0..n`.
    #[error("`{field}` refers to uid {uid}, but the subnet has only {n} uids (0..{n})")]
    UidOutOfRange {
        /// The field (row and entry).
        field: String,
        /// The uid found.
        uid: u64,
        /// The subnetwork size.
        n: usize,
    },
    /// A sparse row lists the same uid twice.
    #[error("`{field}` lists uid {uid} more than once")]
    DuplicateUid {
        /// The field (row).
        field: String,
        /// The repeated uid.
        uid: u16,
    },
    /// The subnetwork is larger than a u16 uid can address.
    #[error("n = {n} is too large: uids are u16, so n <= 65535")]
    TooManyUids {
        /// The size given.
        n: usize,
    },
    /// The scenario text is not JSON.
    #[error("invalid JSON: {0}")]
    Json(String),
    /// A required scenario field is absent.
    #[error("missing field `{0}`")]
    MissingField(String),
    /// A scenario field has the wrong type or an out-of-range value.
    #[error("field `{field}`: {reason}")]
    InvalidField {
        /// The field.
        field: String,
        /// What was wrong and what was expected.
        reason: String,
    },
}

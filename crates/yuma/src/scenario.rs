//! Scenario files: a subnet's hyperparameters, initial state and a list of epochs (the schema of
//! `shared/vectors/yuma`), run in order with bonds and permits carried along.
//!
//! [`run_scenario_json`] is what `rustensor sim epoch` calls; it does no I/O. The report has one
//! object per epoch with the field names of the vectors' `expected` objects. The `f64` fields are
//! built from the fixed-point bits by [`fixed_bits_to_f64`] (integer operations only), so they
//! are the exact values and no float arithmetic enters the crate. This is the only module with
//! an `f64` in it.
//!
//! Optional extensions to the vector schema: `hyperparameters.tao_weight` (u64, default 0),
//! `hyperparameters.commit_reveal` (bool, default false), per-epoch `input.tao_stake`,
//! `input.commit_blocks`, `input.rao_emission` (overrides the hyperparameter),
//! `input.last_mechanism_step_block` (default 0) and `input.replaced_uids`.

use serde_json::{Map, Value};

use crate::epoch::{EpochInput, EpochOutput, EpochParams, EpochState, EpochTrace, epoch_traced};
use crate::error::YumaError;
use crate::fixed::I32F32;
use crate::liquid_alpha::LiquidAlphaParams;
use crate::sparse::Matrix;

/// Report options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScenarioOptions {
    /// Include the sparse matrices (`weights_normalized`, `clipped_weights`, `ema_bonds`,
    /// `ema_bonds_normalized`, `liquid_alphas`). They grow with n²; turn off for big subnets.
    pub matrices: bool,
}

impl Default for ScenarioOptions {
    fn default() -> Self {
        Self { matrices: true }
    }
}

/// One epoch of a scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioEpoch {
    /// The epoch's `index` (its position when absent).
    pub index: u64,
    /// Inputs.
    pub input: EpochInput,
    /// Uids re-registered since the previous epoch: their bonds row is cleared and their
    /// permit revoked before the epoch runs.
    pub replaced_uids: Vec<u16>,
}

/// A parsed scenario.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// Subnetwork size.
    pub n: u16,
    /// Hyperparameters.
    pub params: EpochParams,
    /// Bonds and permits before the first epoch.
    pub initial_state: EpochState,
    /// The epochs, run in order.
    pub epochs: Vec<ScenarioEpoch>,
}

/// Parses a scenario and runs it; returns `{"epochs": [...]}`.
///
/// # Errors
/// [`YumaError`] naming the field for malformed input (bad JSON, a missing field, a wrong type
/// or length, a uid out of range).
pub fn run_scenario_json(input: &str) -> Result<Value, YumaError> {
    run_scenario_json_with(input, ScenarioOptions::default())
}

/// [`run_scenario_json`] with options.
///
/// # Errors
/// As [`run_scenario_json`].
pub fn run_scenario_json_with(input: &str, options: ScenarioOptions) -> Result<Value, YumaError> {
    let scenario = Scenario::from_json(input)?;
    scenario.run(options)
}

impl Scenario {
    /// Parses the scenario JSON (an `expected` member, if present, is ignored).
    ///
    /// # Errors
    /// As [`run_scenario_json`].
    pub fn from_json(input: &str) -> Result<Self, YumaError> {
        let doc: Value = serde_json::from_str(input).map_err(|e| YumaError::Json(e.to_string()))?;
        parse_scenario(&doc)
    }

    /// Runs every epoch in order and returns `{"epochs": [...]}`.
    ///
    /// # Errors
    /// Only if the epochs are inconsistent with `n` (a parsed scenario never is).
    pub fn run(&self, options: ScenarioOptions) -> Result<Value, YumaError> {
        let mut state = self.initial_state.clone();
        let mut reports = Vec::with_capacity(self.epochs.len());
        for (e, ep) in self.epochs.iter().enumerate() {
            for uid in &ep.replaced_uids {
                state.replace_uid(*uid);
            }
            let (out, trace) = epoch_traced(&self.params, &ep.input, &state)
                .map_err(|err| in_context(err, &format!("epochs[{e}].input.")))?;
            reports.push(report(ep.index, &out, &trace, options));
            state = out.next_state();
        }
        let mut doc = Map::new();
        doc.insert("epochs".to_owned(), Value::Array(reports));
        Ok(Value::Object(doc))
    }
}

fn in_context(err: YumaError, prefix: &str) -> YumaError {
    match err {
        YumaError::Length {
            field,
            expected,
            got,
        } => YumaError::Length {
            field: format!("{prefix}{field}"),
            expected,
            got,
        },
        YumaError::UidOutOfRange { field, uid, n } => YumaError::UidOutOfRange {
            field: format!("{prefix}{field}"),
            uid,
            n,
        },
        YumaError::DuplicateUid { field, uid } => YumaError::DuplicateUid {
            field: format!("{prefix}{field}"),
            uid,
        },
        other => other,
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

fn invalid(path: &str, reason: &str) -> YumaError {
    YumaError::InvalidField {
        field: path.to_owned(),
        reason: reason.to_owned(),
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a Map<String, Value>, YumaError> {
    v.as_object()
        .ok_or_else(|| invalid(path, "expected an object"))
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A required member; `null` counts as missing.
fn required<'a>(
    obj: &'a Map<String, Value>,
    path: &str,
    key: &str,
) -> Result<&'a Value, YumaError> {
    match obj.get(key) {
        None | Some(Value::Null) => Err(YumaError::MissingField(join(path, key))),
        Some(v) => Ok(v),
    }
}

fn optional<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

fn as_u64(v: &Value, path: &str) -> Result<u64, YumaError> {
    v.as_u64()
        .ok_or_else(|| invalid(path, "expected an integer in 0..=18446744073709551615"))
}

fn as_u16(v: &Value, path: &str) -> Result<u16, YumaError> {
    v.as_u64()
        .and_then(|x| u16::try_from(x).ok())
        .ok_or_else(|| invalid(path, "expected an integer in 0..=65535"))
}

fn as_i16(v: &Value, path: &str) -> Result<i16, YumaError> {
    v.as_i64()
        .and_then(|x| i16::try_from(x).ok())
        .ok_or_else(|| invalid(path, "expected an integer in -32768..=32767"))
}

fn as_bool(v: &Value, path: &str) -> Result<bool, YumaError> {
    v.as_bool()
        .ok_or_else(|| invalid(path, "expected true or false"))
}

fn as_array<'a>(v: &'a Value, path: &str) -> Result<&'a Vec<Value>, YumaError> {
    v.as_array()
        .ok_or_else(|| invalid(path, "expected an array"))
}

fn array_of<T>(
    v: &Value,
    path: &str,
    n: usize,
    item: fn(&Value, &str) -> Result<T, YumaError>,
) -> Result<Vec<T>, YumaError> {
    let arr = as_array(v, path)?;
    if arr.len() != n {
        return Err(YumaError::Length {
            field: path.to_owned(),
            expected: n,
            got: arr.len(),
        });
    }
    arr.iter()
        .enumerate()
        .map(|(i, x)| item(x, &format!("{path}[{i}]")))
        .collect()
}

/// Sparse rows `[[ [uid, u16], ... ]; n]`, uids checked against n.
fn sparse_rows(v: &Value, path: &str, n: usize) -> Result<Vec<Vec<(u16, u16)>>, YumaError> {
    let rows = as_array(v, path)?;
    if rows.len() != n {
        return Err(YumaError::Length {
            field: path.to_owned(),
            expected: n,
            got: rows.len(),
        });
    }
    let mut out = Vec::with_capacity(n);
    for (i, row) in rows.iter().enumerate() {
        let row_path = format!("{path}[{i}]");
        let entries = as_array(row, &row_path)?;
        let mut parsed = Vec::with_capacity(entries.len());
        for (k, entry) in entries.iter().enumerate() {
            let entry_path = format!("{row_path}[{k}]");
            let pair = match entry.as_array().map(Vec::as_slice) {
                Some([j, w]) => (j, w),
                _ => return Err(invalid(&entry_path, "expected a pair [uid, value]")),
            };
            let uid_path = format!("{entry_path}[0]");
            let uid = pair
                .0
                .as_u64()
                .ok_or_else(|| invalid(&uid_path, "expected a uid (non-negative integer)"))?;
            let uid16 = u16::try_from(uid)
                .ok()
                .filter(|u| usize::from(*u) < n)
                .ok_or_else(|| YumaError::UidOutOfRange {
                    field: entry_path.clone(),
                    uid,
                    n,
                })?;
            let value = as_u16(pair.1, &format!("{entry_path}[1]"))?;
            parsed.push((uid16, value));
        }
        out.push(parsed);
    }
    Ok(out)
}

fn parse_params(h: &Map<String, Value>, path: &str) -> Result<EpochParams, YumaError> {
    let u16_field = |key: &str| as_u16(required(h, path, key)?, &join(path, key));
    let u64_field = |key: &str| as_u64(required(h, path, key)?, &join(path, key));
    let bool_field = |key: &str| as_bool(required(h, path, key)?, &join(path, key));
    let owner_uid = match optional(h, "owner_uid") {
        None => None,
        Some(v) => Some(as_u16(v, &join(path, "owner_uid"))?),
    };
    let tao_weight = match optional(h, "tao_weight") {
        None => 0,
        Some(v) => as_u64(v, &join(path, "tao_weight"))?,
    };
    let commit_reveal = match optional(h, "commit_reveal") {
        None => false,
        Some(v) => as_bool(v, &join(path, "commit_reveal"))?,
    };
    Ok(EpochParams {
        kappa: u16_field("kappa")?,
        bonds_penalty: u16_field("bonds_penalty")?,
        bonds_moving_average: u64_field("bonds_moving_average")?,
        yuma3: bool_field("yuma3")?,
        liquid_alpha: LiquidAlphaParams {
            enabled: bool_field("liquid_alpha")?,
            alpha_low: u16_field("alpha_low")?,
            alpha_high: u16_field("alpha_high")?,
            steepness: as_i16(
                required(h, path, "alpha_sigmoid_steepness")?,
                &join(path, "alpha_sigmoid_steepness"),
            )?,
        },
        max_allowed_validators: u16_field("max_allowed_validators")?,
        activity_cutoff: u64_field("activity_cutoff_blocks")?,
        tempo: u64_field("tempo")?,
        stake_threshold: u64_field("stake_threshold")?,
        tao_weight,
        owner_uid,
        commit_reveal,
    })
}

fn parse_epoch(
    v: &Value,
    path: &str,
    position: usize,
    n: u16,
    rao_default: u64,
) -> Result<ScenarioEpoch, YumaError> {
    let nu = usize::from(n);
    let obj = object(v, path)?;
    let index = match optional(obj, "index") {
        None => u64::try_from(position).unwrap_or(u64::MAX),
        Some(x) => as_u64(x, &join(path, "index"))?,
    };
    let ipath = join(path, "input");
    let inp = object(required(obj, path, "input")?, &ipath)?;
    let field = |key: &str| required(inp, &ipath, key);
    let opt_u64 = |key: &str, default: u64| -> Result<u64, YumaError> {
        optional(inp, key).map_or(Ok(default), |x| as_u64(x, &join(&ipath, key)))
    };
    let opt_vec = |key: &str| -> Result<Vec<u64>, YumaError> {
        optional(inp, key).map_or(Ok(Vec::new()), |x| {
            array_of(x, &join(&ipath, key), nu, as_u64)
        })
    };
    let weights = sparse_rows(field("weights")?, &join(&ipath, "weights"), nu)?;
    crate::epoch::check_rows(&join(&ipath, "weights"), &weights, nu)?;
    let replaced_uids = match optional(inp, "replaced_uids") {
        None => Vec::new(),
        Some(x) => {
            let rpath = join(&ipath, "replaced_uids");
            as_array(x, &rpath)?
                .iter()
                .enumerate()
                .map(|(k, u)| {
                    let upath = format!("{rpath}[{k}]");
                    let uid = as_u64(u, &upath)?;
                    u16::try_from(uid)
                        .ok()
                        .filter(|u| usize::from(*u) < nu)
                        .ok_or(YumaError::UidOutOfRange {
                            field: upath,
                            uid,
                            n: nu,
                        })
                })
                .collect::<Result<Vec<u16>, YumaError>>()?
        }
    };
    let input = EpochInput {
        n,
        current_block: as_u64(field("current_block")?, &join(&ipath, "current_block"))?,
        last_mechanism_step_block: opt_u64("last_mechanism_step_block", 0)?,
        alpha_stake: array_of(field("stake")?, &join(&ipath, "stake"), nu, as_u64)?,
        tao_stake: opt_vec("tao_stake")?,
        last_update: array_of(
            field("last_update")?,
            &join(&ipath, "last_update"),
            nu,
            as_u64,
        )?,
        block_at_registration: array_of(
            field("block_at_registration")?,
            &join(&ipath, "block_at_registration"),
            nu,
            as_u64,
        )?,
        weights,
        commit_blocks: opt_vec("commit_blocks")?,
        rao_emission: opt_u64("rao_emission", rao_default)?,
    };
    Ok(ScenarioEpoch {
        index,
        input,
        replaced_uids,
    })
}

fn parse_scenario(doc: &Value) -> Result<Scenario, YumaError> {
    let root = object(doc, "(document)")?;
    let n_raw = as_u64(required(root, "", "n")?, "n")?;
    let n = u16::try_from(n_raw)
        .map_err(|_| invalid("n", "expected a subnetwork size in 0..=65535"))?;
    let nu = usize::from(n);
    let h = object(required(root, "", "hyperparameters")?, "hyperparameters")?;
    let params = parse_params(h, "hyperparameters")?;
    if let Some(owner) = params.owner_uid
        && usize::from(owner) >= nu
    {
        return Err(YumaError::UidOutOfRange {
            field: "hyperparameters.owner_uid".to_owned(),
            uid: u64::from(owner),
            n: nu,
        });
    }
    let rao_default = as_u64(
        required(h, "hyperparameters", "rao_emission")?,
        "hyperparameters.rao_emission",
    )?;
    let initial_state = match optional(root, "initial_state") {
        None => EpochState::empty(n),
        Some(v) => {
            let s = object(v, "initial_state")?;
            let bonds = sparse_rows(
                required(s, "initial_state", "bonds_u16")?,
                "initial_state.bonds_u16",
                nu,
            )?;
            crate::epoch::check_rows("initial_state.bonds_u16", &bonds, nu)?;
            EpochState {
                bonds,
                validator_permits: array_of(
                    required(s, "initial_state", "validator_permits")?,
                    "initial_state.validator_permits",
                    nu,
                    as_bool,
                )?,
            }
        }
    };
    let epochs = as_array(required(root, "", "epochs")?, "epochs")?
        .iter()
        .enumerate()
        .map(|(e, v)| parse_epoch(v, &format!("epochs[{e}]"), e, n, rao_default))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Scenario {
        n,
        params,
        initial_state,
        epochs,
    })
}

// ---------------------------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------------------------

/// `I32F32` raw bits as the exactly equal `f64` (nearest, ties to even, when more than 53
/// significant bits), built from the bits with integer operations only: no float arithmetic.
pub fn fixed_bits_to_f64(bits: i64) -> f64 {
    let negative = bits < 0;
    let mut mag = bits.unsigned_abs();
    if mag == 0 {
        return f64::from_bits(0);
    }
    // value = mag * 2^-32. Normalise mag so its top bit is bit 63.
    let lz = mag.leading_zeros();
    mag <<= lz;
    // value = 1.xxx * 2^(63 - lz - 32)
    let exp_unbiased = 31_i64.wrapping_sub(i64::from(lz));
    // Keep 53 bits (bit 63 is the implicit 1), round the remaining 11 to nearest, ties to even.
    let mut mant = mag >> 11;
    let rest = mag & 0x7FF;
    let half = 0x400;
    if rest > half || (rest == half && (mant & 1) == 1) {
        mant = mant.wrapping_add(1);
    }
    let mut biased = exp_unbiased.wrapping_add(1023);
    if mant >> 53 != 0 {
        // Rounding carried into a new bit.
        mant >>= 1;
        biased = biased.wrapping_add(1);
    }
    let frac = mant & ((1_u64 << 52).wrapping_sub(1));
    let exp_field = u64::try_from(biased).unwrap_or(0);
    let sign = if negative { 1_u64 << 63 } else { 0 };
    f64::from_bits(sign | (exp_field << 52) | frac)
}

/// An `I32F32` as the exactly equal JSON number.
fn num(x: I32F32) -> Value {
    Value::from(fixed_bits_to_f64(x.to_bits()))
}

fn nums(v: &[I32F32]) -> Value {
    Value::Array(v.iter().map(|x| num(*x)).collect())
}

fn bits(v: &[I32F32]) -> Value {
    Value::Array(v.iter().map(|x| Value::from(x.to_bits())).collect())
}

fn ints<T: Copy + Into<Value>>(v: &[T]) -> Value {
    Value::Array(v.iter().map(|x| (*x).into()).collect())
}

fn sparse_f64(m: &Matrix) -> Value {
    Value::Array(
        m.iter()
            .map(|row| {
                Value::Array(
                    row.iter()
                        .map(|(j, v)| Value::Array(vec![Value::from(*j), num(*v)]))
                        .collect(),
                )
            })
            .collect(),
    )
}

fn sparse_u16(m: &[Vec<(u16, u16)>]) -> Value {
    Value::Array(
        m.iter()
            .map(|row| {
                Value::Array(
                    row.iter()
                        .map(|(j, v)| Value::Array(vec![Value::from(*j), Value::from(*v)]))
                        .collect(),
                )
            })
            .collect(),
    )
}

fn report(index: u64, out: &EpochOutput, trace: &EpochTrace, options: ScenarioOptions) -> Value {
    let f = &out.fixed;
    let mut m = Map::new();
    let mut put = |k: &str, v: Value| {
        m.insert(k.to_owned(), v);
    };
    put("index", Value::from(index));
    put("active", ints(&out.active));
    put("stake_normalized", nums(&f.stake));
    put("stake_normalized_bits", bits(&f.stake));
    put("stake_weight_u16", ints(&out.stake_weight));
    put("validator_permits_used", ints(&out.validator_permits_used));
    put("new_validator_permits", ints(&out.new_validator_permits));
    put("active_stake", nums(&f.active_stake));
    put("active_stake_bits", bits(&f.active_stake));
    put("consensus", nums(&f.consensus));
    put("consensus_bits", bits(&f.consensus));
    put("consensus_u16", ints(&out.consensus));
    put("validator_trust", nums(&f.validator_trust));
    put("validator_trust_bits", bits(&f.validator_trust));
    put("validator_trust_u16", ints(&out.validator_trust));
    put("incentive", nums(&f.incentive));
    put("incentive_bits", bits(&f.incentive));
    put("incentive_u16", ints(&out.incentive));
    put("dividends", nums(&f.dividends));
    put("dividends_bits", bits(&f.dividends));
    put("dividends_u16", ints(&out.dividends));
    put("server_emission", ints(&out.server_emission));
    put("validator_emission", ints(&out.validator_emission));
    put("emission", ints(&out.emission));
    put("bonds_stored_u16", sparse_u16(&out.bonds));
    put("last_tempo_block", Value::from(out.last_tempo_block));
    if options.matrices {
        put("weights_normalized", sparse_f64(&trace.weights));
        put("clipped_weights", sparse_f64(&trace.clipped_weights));
        put("ema_bonds", sparse_f64(&trace.ema_bonds));
        if let Some(norm) = &trace.ema_bonds_normalized {
            put("ema_bonds_normalized", sparse_f64(norm));
        }
        if let Some(alphas) = &trace.liquid_alphas {
            put(
                "liquid_alphas",
                Value::Array(alphas.iter().map(|row| nums(row)).collect()),
            );
        }
    }
    Value::Object(m)
}

#[cfg(test)]
#[allow(
    clippy::float_arithmetic,
    clippy::as_conversions,
    clippy::cast_precision_loss
)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the conversion must equal: the float division, exact for a power of two.
    fn by_float(bits: i64) -> f64 {
        (bits as f64) / 4294967296.0
    }

    #[test]
    fn f64_from_bits_exact() {
        for bits in [
            0_i64,
            1,
            -1,
            3435973836,
            1 << 32,
            i64::MAX,
            i64::MIN,
            123456789012345,
        ] {
            assert_eq!(fixed_bits_to_f64(bits), by_float(bits), "bits {bits}");
        }
    }

    proptest! {
        #[test]
        fn f64_matches_float_division(bits in any::<i64>()) {
            prop_assert_eq!(fixed_bits_to_f64(bits), by_float(bits));
        }
    }
}

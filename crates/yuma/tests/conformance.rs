//! Conformance: every scenario in `tests/data` (a copy of `shared/vectors/yuma`) runs through
//! the crate, and every field of every epoch's `expected` object must match exactly: u16, u64,
//! bool and `*_bits` values, and the f64 values too (they are exact I32F32 values). Sparse rows
//! must also have the same entries (explicit zeros included).

// Test helpers outside #[test] functions are not covered by clippy.toml's test allowances.
#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::{Value, json};

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn vector_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_dir())
        .expect("tests/data exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

/// A sparse row `[[j, v], ...]` as a map, if the value has that shape.
fn as_sparse_row(v: &Value) -> Option<BTreeMap<u64, Value>> {
    let row = v.as_array()?;
    let mut out = BTreeMap::new();
    for e in row {
        let pair = e.as_array()?;
        if pair.len() != 2 {
            return None;
        }
        out.insert(pair[0].as_u64()?, pair[1].clone());
    }
    Some(out)
}

fn same_number(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(i), Some(j)) = (x.as_i64(), y.as_i64()) {
                i == j
            } else if let (Some(i), Some(j)) = (x.as_u64(), y.as_u64()) {
                i == j
            } else {
                x.as_f64() == y.as_f64()
            }
        }
        _ => a == b,
    }
}

/// Exact comparison; sparse rows compare as maps (entry order is free).
fn compare(path: &str, expected: &Value, got: &Value, errors: &mut Vec<String>) {
    match (expected, got) {
        (Value::Array(e), Value::Array(g)) => {
            if e.len() != g.len() {
                errors.push(format!("{path}: length {} vs {}", e.len(), g.len()));
                return;
            }
            for (i, (x, y)) in e.iter().zip(g).enumerate() {
                let sub = format!("{path}[{i}]");
                let sparse = (x.as_array().is_some_and(|r| r.iter().all(Value::is_array))
                    && !x.as_array().is_some_and(Vec::is_empty))
                    || (x.as_array().is_some_and(Vec::is_empty) && y.is_array());
                if sparse && let (Some(rx), Some(ry)) = (as_sparse_row(x), as_sparse_row(y)) {
                    if rx.keys().ne(ry.keys()) {
                        errors.push(format!(
                            "{sub}: entries {:?} vs {:?}",
                            rx.keys().collect::<Vec<_>>(),
                            ry.keys().collect::<Vec<_>>()
                        ));
                        continue;
                    }
                    for (k, vx) in &rx {
                        if !same_number(vx, &ry[k]) {
                            errors.push(format!("{sub}[uid {k}]: {vx} vs {}", ry[k]));
                        }
                    }
                    continue;
                }
                compare(&sub, x, y, errors);
            }
        }
        _ => {
            if !same_number(expected, got) {
                errors.push(format!("{path}: {expected} vs {got}"));
            }
        }
    }
}

#[test]
fn every_vector_file_matches_bit_exactly() {
    let files = vector_files();
    assert_eq!(
        files.len(),
        31,
        "expected the 31 vector files in tests/data"
    );
    let mut epochs_checked = 0;
    let mut fields_checked = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(file).unwrap();
        let vector: Value = serde_json::from_str(&text).unwrap();
        let report = yuma::run_scenario_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let expected_epochs = vector["epochs"].as_array().unwrap();
        let got_epochs = report["epochs"].as_array().unwrap();
        assert_eq!(
            expected_epochs.len(),
            got_epochs.len(),
            "{name}: epoch count"
        );
        let mut errors = Vec::new();
        for (e, (exp, got)) in expected_epochs.iter().zip(got_epochs).enumerate() {
            let exp = exp["expected"].as_object().unwrap();
            for (field, value) in exp {
                if value.is_null() {
                    continue;
                }
                let Some(mine) = got.get(field) else {
                    errors.push(format!("epoch {e}: field {field} not produced"));
                    continue;
                };
                compare(&format!("epoch {e}.{field}"), value, mine, &mut errors);
                fields_checked += 1;
            }
            epochs_checked += 1;
        }
        assert!(
            errors.is_empty(),
            "{name}: {} mismatches, first: {:?}",
            errors.len(),
            &errors[..errors.len().min(10)]
        );
    }
    eprintln!(
        "conformance: {} files, {epochs_checked} epochs, {fields_checked} fields exact",
        files.len()
    );
    assert_eq!(epochs_checked, 106);
}

/// The library API directly (not through JSON): test_512_graph's asserted values.
#[test]
fn graph_512_asserted_values_via_api() {
    let text = std::fs::read_to_string(data_dir().join("subtensor_test_512_graph.json")).unwrap();
    let scenario = yuma::Scenario::from_json(&text).unwrap();
    let mut state = scenario.initial_state.clone();
    let mut last = None;
    for ep in &scenario.epochs {
        let out = yuma::epoch(&scenario.params, &ep.input, &state).unwrap();
        state = out.next_state();
        last = Some(out);
    }
    let out = last.unwrap();
    // 64 validators (uids 0..64) and 448 servers.
    for v in 0..64 {
        assert_eq!(out.dividends[v], 1023);
        assert_eq!(out.emission[v], 7_812_500);
        assert!(out.bonds[v].iter().all(|(_, b)| *b == 65535));
    }
    for s in 64..512 {
        assert_eq!(out.consensus[s], 146);
        assert_eq!(out.incentive[s], 146);
        assert_eq!(out.emission[s], 1_116_071);
    }
}

/// The untraced path (`yuma::epoch`, which builds fewer matrices) on every vector: every u16,
/// u64, bool and `*_bits` field exact.
#[test]
fn every_vector_file_matches_through_the_untraced_api() {
    let mut epochs_checked = 0;
    for file in vector_files() {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(&file).unwrap();
        let vector: Value = serde_json::from_str(&text).unwrap();
        let scenario = yuma::Scenario::from_json(&text).unwrap();
        let mut state = scenario.initial_state.clone();
        for (e, ep) in scenario.epochs.iter().enumerate() {
            for uid in &ep.replaced_uids {
                state.replace_uid(*uid);
            }
            let out = yuma::epoch(&scenario.params, &ep.input, &state).unwrap();
            let exp = &vector["epochs"][e]["expected"];
            let bits = |v: &[substrate_fixed::types::I32F32]| -> Value {
                v.iter().map(|x| x.to_bits()).collect()
            };
            let bonds: Value = out
                .bonds
                .iter()
                .map(|row| row.iter().map(|(j, b)| json!([j, b])).collect::<Value>())
                .collect();
            let got = json!({
                "active": out.active,
                "stake_weight_u16": out.stake_weight,
                "validator_permits_used": out.validator_permits_used,
                "new_validator_permits": out.new_validator_permits,
                "consensus_u16": out.consensus,
                "validator_trust_u16": out.validator_trust,
                "incentive_u16": out.incentive,
                "dividends_u16": out.dividends,
                "server_emission": out.server_emission,
                "validator_emission": out.validator_emission,
                "emission": out.emission,
                "bonds_stored_u16": bonds,
                "last_tempo_block": out.last_tempo_block,
                "stake_normalized_bits": bits(&out.fixed.stake),
                "active_stake_bits": bits(&out.fixed.active_stake),
                "consensus_bits": bits(&out.fixed.consensus),
                "incentive_bits": bits(&out.fixed.incentive),
                "dividends_bits": bits(&out.fixed.dividends),
            });
            let mut errors = Vec::new();
            for (field, value) in got.as_object().unwrap() {
                compare(
                    &format!("{name} epoch {e}.{field}"),
                    &exp[field],
                    value,
                    &mut errors,
                );
            }
            assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(10)]);
            state = out.next_state();
            epochs_checked += 1;
        }
    }
    assert_eq!(epochs_checked, 106);
}

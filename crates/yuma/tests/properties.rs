//! Property tests:
//! - the optimised epoch equals the naive spec-literal epoch (`naive/`) bit for bit on random
//!   inputs of every variant and mask (classic, Yuma3, liquid alpha, any bonds penalty, owner,
//!   commit-reveal, TAO weight, unsorted rows);
//! - `epoch` and `epoch_traced` agree;
//! - incentive and dividends each sum to about 1 (or are all zero);
//! - emission never exceeds the input emission;
//! - random inputs of any shape, and random or mutilated scenario JSON, never panic.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::as_conversions
)]

mod naive;

use proptest::prelude::*;
use serde_json::{Value, json};
use substrate_fixed::types::I32F32;
use yuma::{EpochInput, EpochParams, EpochState, LiquidAlphaParams, epoch, epoch_traced};

/// Total TAO supply in rao: realistic stakes stay below it (beyond 2^63 rao the reference's
/// I64F64 stake sum wraps, and so does ours).
const SUPPLY: u64 = 21_000_000 * 1_000_000_000;

fn sparse_rows(n: usize, max_len: usize) -> impl Strategy<Value = Vec<Vec<(u16, u16)>>> {
    let row = proptest::collection::btree_map(0..n as u16, any::<u16>(), 0..=max_len.min(n))
        .prop_flat_map(|m| {
            // Shuffle some rows: the reference keeps stored order, and liquid alpha walks it.
            let v: Vec<(u16, u16)> = m.into_iter().collect();
            (Just(v), any::<bool>())
        })
        .prop_map(|(mut v, rev)| {
            if rev {
                v.reverse();
            }
            v
        });
    proptest::collection::vec(row, n)
}

fn params(n: usize) -> impl Strategy<Value = EpochParams> {
    (
        (
            any::<u16>(),
            prop_oneof![Just(0_u16), Just(65535_u16), any::<u16>()],
            prop_oneof![0_u64..=1_000_000, Just(900_000), Just(975_000)],
            any::<bool>(),
            any::<bool>(),
            any::<u16>(),
            any::<u16>(),
            prop_oneof![Just(1000_i16), any::<i16>()],
        ),
        (
            0..=(n as u16 + 2),
            0_u64..40,
            0_u64..20,
            prop_oneof![Just(0_u64), 0_u64..2_000_000_000],
            prop_oneof![Just(0_u64), any::<u64>()],
            proptest::option::of(0..n as u16),
            any::<bool>(),
        ),
    )
        .prop_map(
            |(
                (kappa, bonds_penalty, bma, yuma3, la, lo, hi, steep),
                (maxv, cutoff, tempo, threshold, tao_weight, owner, cr),
            )| EpochParams {
                kappa,
                bonds_penalty,
                bonds_moving_average: bma,
                yuma3,
                liquid_alpha: LiquidAlphaParams {
                    enabled: la,
                    alpha_low: lo,
                    alpha_high: hi,
                    steepness: steep,
                },
                max_allowed_validators: maxv,
                activity_cutoff: cutoff,
                tempo,
                stake_threshold: threshold,
                tao_weight,
                owner_uid: owner,
                commit_reveal: cr,
            },
        )
}

fn case() -> impl Strategy<Value = (EpochParams, EpochInput, EpochState)> {
    (1_usize..10).prop_flat_map(|n| {
        let blocks = proptest::collection::vec(0_u64..60, n);
        (
            params(n),
            (
                40_u64..80,
                prop_oneof![Just(0_u64), 0_u64..80],
                proptest::collection::vec(
                    prop_oneof![Just(0_u64), 0_u64..10_000_000_000, 0..SUPPLY / 16],
                    n,
                ),
                prop_oneof![
                    Just(vec![]),
                    proptest::collection::vec(0_u64..SUPPLY / 16, n)
                ],
                blocks.clone(),
                blocks,
                sparse_rows(n, n),
                prop_oneof![
                    Just(vec![]),
                    proptest::collection::vec(prop_oneof![Just(u64::MAX), 0_u64..80], n)
                ],
                any::<u64>(),
            ),
            (
                sparse_rows(n, n),
                proptest::collection::vec(any::<bool>(), n),
            ),
        )
            .prop_map(
                move |(
                    params,
                    (cb, lms, alpha, tao, lu, bar, weights, commits, rao),
                    (bonds, permits),
                )| {
                    let input = EpochInput {
                        n: n as u16,
                        current_block: cb,
                        last_mechanism_step_block: lms,
                        alpha_stake: alpha,
                        tao_stake: tao,
                        last_update: lu,
                        block_at_registration: bar,
                        weights,
                        commit_blocks: commits,
                        rao_emission: rao,
                    };
                    let state = EpochState {
                        bonds,
                        validator_permits: permits,
                    };
                    (params, input, state)
                },
            )
    })
}

/// Mostly-valid cases where validators actually set weights, so bonds and dividends are
/// exercised (random cases often mask everything).
fn active_case() -> impl Strategy<Value = (EpochParams, EpochInput, EpochState)> {
    case().prop_map(|(mut p, mut i, mut s)| {
        let n = usize::from(i.n);
        p.max_allowed_validators = p.max_allowed_validators.max(1);
        p.activity_cutoff = 100;
        p.stake_threshold = 0;
        i.last_update = vec![i.current_block; n];
        i.block_at_registration = vec![0; n];
        s.validator_permits = vec![true; n];
        (p, i, s)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1500))]

    #[test]
    fn optimised_epoch_equals_naive((p, i, s) in case()) {
        let got = epoch(&p, &i, &s).unwrap();
        let want = naive::epoch(&p, &i, &s);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn optimised_epoch_equals_naive_active((p, i, s) in active_case()) {
        let got = epoch(&p, &i, &s).unwrap();
        let want = naive::epoch(&p, &i, &s);
        prop_assert_eq!(got, want);
    }

    #[test]
    fn traced_equals_untraced((p, i, s) in active_case()) {
        let plain = epoch(&p, &i, &s).unwrap();
        let (traced, _) = epoch_traced(&p, &i, &s).unwrap();
        prop_assert_eq!(plain, traced);
    }

    #[test]
    fn incentive_and_dividends_sum_to_one_or_zero((p, i, s) in active_case()) {
        let out = epoch(&p, &i, &s).unwrap();
        let n = out.active.len() as i64;
        for (name, v) in [("incentive", &out.fixed.incentive), ("dividends", &out.fixed.dividends)] {
            let total: i64 = v.iter().map(|x| x.to_bits()).sum();
            // Each of the n truncating divisions loses less than 2^-32.
            prop_assert!(
                total == 0 || (total <= 1 << 32 && total >= (1 << 32) - n),
                "{} sums to {} (bits)", name, total
            );
            let u: Vec<u16> = v.iter().map(|x| yuma::fixed::fixed_proportion_to_u16(*x)).collect();
            let u_total: i64 = u.iter().map(|x| i64::from(*x)).sum();
            prop_assert!(u_total == 0 || (u_total <= 65535 && u_total >= 65535 - n - 1),
                "{} u16 sum {}", name, u_total);
        }
        prop_assert!(out.fixed.incentive.iter().chain(&out.fixed.dividends).all(|x| *x >= I32F32::from_num(0)));
    }

    #[test]
    fn emission_never_exceeds_input((p, i, s) in case()) {
        let out = epoch(&p, &i, &s).unwrap();
        let paid: u128 = out.server_emission.iter().chain(&out.validator_emission)
            .map(|x| u128::from(*x)).sum();
        let combined: u128 = out.emission.iter().map(|x| u128::from(*x)).sum();
        prop_assert!(paid <= u128::from(i.rao_emission), "paid {} of {}", paid, i.rao_emission);
        prop_assert!(combined <= u128::from(i.rao_emission));
    }

    /// Arbitrary shapes: wrong lengths, uids out of range, duplicates, huge values. Either an
    /// error or an output, never a panic.
    #[test]
    fn arbitrary_inputs_never_panic(
        n in 0_u16..12,
        lens in proptest::collection::vec(0_usize..14, 8),
        rows in proptest::collection::vec(
            proptest::collection::vec((any::<u16>(), any::<u16>()), 0..6), 0..14),
        bonds in proptest::collection::vec(
            proptest::collection::vec((0_u16..14, any::<u16>()), 0..6), 0..14),
        values in proptest::collection::vec(any::<u64>(), 14),
        flags in proptest::collection::vec(any::<bool>(), 14),
        p in params(12),
        cb in any::<u64>(),
        rao in any::<u64>(),
    ) {
        let take = |k: usize| values.iter().copied().take(lens[k]).collect::<Vec<u64>>();
        let input = EpochInput {
            n,
            current_block: cb,
            last_mechanism_step_block: values[0],
            alpha_stake: take(0),
            tao_stake: take(1),
            last_update: take(2),
            block_at_registration: take(3),
            weights: rows.iter().take(lens[4]).cloned().collect(),
            commit_blocks: take(5),
            rao_emission: rao,
        };
        let state = EpochState {
            bonds: bonds.iter().take(lens[6]).cloned().collect(),
            validator_permits: flags.iter().copied().take(lens[7]).collect(),
        };
        let _ = epoch(&p, &input, &state);
        let _ = epoch_traced(&p, &input, &state);
    }

    /// Valid shapes with extreme values (u64::MAX stakes and blocks, saturation everywhere).
    #[test]
    fn extreme_values_never_panic((p, mut i, s) in case(), big in any::<bool>()) {
        if big {
            i.alpha_stake.iter_mut().for_each(|x| *x = u64::MAX - *x % 7);
            i.current_block = u64::MAX;
        }
        let _ = epoch(&p, &i, &s).unwrap();
    }
}

// ------------------------------------------------------------------------------------------
// Scenario JSON: random documents and mutilated valid scenarios never panic.
// ------------------------------------------------------------------------------------------

fn valid_scenario() -> Value {
    json!({
        "n": 3,
        "hyperparameters": {
            "kappa": 32767, "bonds_penalty": 65535, "bonds_moving_average": 900000,
            "liquid_alpha": true, "alpha_low": 6553, "alpha_high": 19660,
            "alpha_sigmoid_steepness": 1000, "yuma3": true, "max_allowed_validators": 2,
            "activity_cutoff_blocks": 100, "tempo": 1, "stake_threshold": 0,
            "owner_uid": null, "rao_emission": 1000000000u64
        },
        "initial_state": {
            "validator_permits": [true, true, false],
            "bonds_u16": [[[2, 100]], [], []]
        },
        "epochs": [
            {"input": {"current_block": 5, "stake": [10, 5, 0], "last_update": [4, 4, 1],
              "block_at_registration": [0, 0, 0],
              "weights": [[[2, 65535]], [[2, 65535], [0, 3]], []]}},
            {"input": {"current_block": 6, "stake": [10, 5, 0], "last_update": [5, 5, 1],
              "block_at_registration": [0, 0, 5], "replaced_uids": [2],
              "weights": [[[2, 65535]], [[2, 65535]], []]}}
        ]
    })
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e20_f64..1e20).prop_map(Value::from),
        "[a-z_]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(
                prop_oneof![
                    Just("n".to_owned()),
                    Just("epochs".to_owned()),
                    Just("input".to_owned()),
                    Just("hyperparameters".to_owned()),
                    Just("weights".to_owned()),
                    "[a-z_]{1,8}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the value at a random path of `doc` with `replacement` (or deletes it).
fn mutate(doc: &mut Value, path: &[usize], replacement: Option<Value>) {
    let Some((&first, rest)) = path.split_first() else {
        if let Some(r) = replacement {
            *doc = r;
        }
        return;
    };
    match doc {
        Value::Object(m) => {
            if m.is_empty() {
                return;
            }
            let key = m.keys().nth(first % m.len()).cloned().unwrap();
            if rest.is_empty() && replacement.is_none() {
                m.remove(&key);
            } else {
                mutate(m.get_mut(&key).unwrap(), rest, replacement);
            }
        }
        Value::Array(a) => {
            if a.is_empty() {
                return;
            }
            let k = first % a.len();
            if rest.is_empty() && replacement.is_none() {
                a.remove(k);
            } else {
                mutate(&mut a[k], rest, replacement);
            }
        }
        other => {
            if let Some(r) = replacement {
                *other = r;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_json_never_panics(doc in arb_json()) {
        let _ = yuma::run_scenario_json(&doc.to_string());
    }

    #[test]
    fn mutilated_scenarios_never_panic(
        edits in proptest::collection::vec(
            (proptest::collection::vec(any::<usize>(), 1..7), proptest::option::of(arb_json())),
            1..4,
        )
    ) {
        let mut doc = valid_scenario();
        for (path, replacement) in edits {
            mutate(&mut doc, &path, replacement);
        }
        match yuma::run_scenario_json(&doc.to_string()) {
            Ok(v) => prop_assert!(v["epochs"].is_array()),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        let _ = yuma::run_scenario_json(&text);
    }
}

#[test]
fn valid_scenario_runs_and_errors_name_fields() {
    let doc = valid_scenario();
    let out = yuma::run_scenario_json(&doc.to_string()).unwrap();
    assert_eq!(out["epochs"].as_array().unwrap().len(), 2);

    let mut missing = doc.clone();
    missing["hyperparameters"]
        .as_object_mut()
        .unwrap()
        .remove("kappa");
    let e = yuma::run_scenario_json(&missing.to_string()).unwrap_err();
    assert_eq!(e.to_string(), "missing field `hyperparameters.kappa`");

    let mut short = doc.clone();
    short["epochs"][1]["input"]["stake"] = json!([1, 2]);
    let e = yuma::run_scenario_json(&short.to_string()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`epochs[1].input.stake` has 2 entries, expected 3 (one per uid)"
    );

    let mut out_of_range = doc.clone();
    out_of_range["epochs"][0]["input"]["weights"][1][0] = json!([7, 5]);
    let e = yuma::run_scenario_json(&out_of_range.to_string()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`epochs[0].input.weights[1][0]` refers to uid 7, but the subnet has only 3 uids (0..3)"
    );

    let mut dup = doc.clone();
    dup["epochs"][0]["input"]["weights"][1] = json!([[2, 5], [2, 6]]);
    let e = yuma::run_scenario_json(&dup.to_string()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`epochs[0].input.weights[1]` lists uid 2 more than once"
    );

    let mut bad_type = doc;
    bad_type["hyperparameters"]["kappa"] = json!(70000);
    let e = yuma::run_scenario_json(&bad_type.to_string()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "field `hyperparameters.kappa`: expected an integer in 0..=65535"
    );
    assert!(
        yuma::run_scenario_json("{")
            .unwrap_err()
            .to_string()
            .starts_with("invalid JSON")
    );
}

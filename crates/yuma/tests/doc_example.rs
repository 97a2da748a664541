//! The worked example in `docs/consensus.md`: runs the scenario block of the page and checks
//! every number of its result tables, so the page cannot drift from the code.

#![allow(
    clippy::arithmetic_side_effects,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;

use serde_json::Value;

fn page() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/consensus.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text after `marker`.
fn after<'a>(text: &'a str, marker: &str) -> &'a str {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("marker {marker:?} missing from docs/consensus.md"));
    &text[at + marker.len()..]
}

/// The first fenced ```json block after the scenario marker.
fn scenario(text: &str) -> String {
    let rest = after(text, "<!-- yuma-example: scenario -->");
    let body = after(rest, "```json");
    body[..body.find("```").expect("closing fence")].to_owned()
}

/// The rows of the first markdown table after the epoch marker, split into cells.
fn table(text: &str, epoch: usize) -> Vec<Vec<String>> {
    let rest = after(text, &format!("<!-- yuma-example: epoch {epoch} -->"));
    rest.lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

fn bonds_cell(row: &Value) -> String {
    let entries: Vec<String> = row
        .as_array()
        .unwrap()
        .iter()
        .map(|e| format!("{}: {}", e[0], e[1]))
        .collect();
    if entries.is_empty() {
        "—".to_owned()
    } else {
        entries.join(", ")
    }
}

#[test]
fn worked_example_matches_the_page() {
    let text = page();
    let report = yuma::run_scenario_json(&scenario(&text)).expect("the page's scenario runs");
    let epochs = report["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 2);
    let columns = [
        "stake_weight_u16",
        "consensus_u16",
        "validator_trust_u16",
        "incentive_u16",
        "dividends_u16",
        "server_emission",
        "validator_emission",
    ];
    for (e, out) in epochs.iter().enumerate() {
        let rows = table(&text, e);
        assert_eq!(rows.len(), 5, "epoch {e}: one table row per uid");
        for (uid, row) in rows.iter().enumerate() {
            assert_eq!(row[0], uid.to_string(), "epoch {e}: uid column");
            for (k, field) in columns.iter().enumerate() {
                let printed: u64 = row[2 + k].parse().unwrap_or_else(|_| {
                    panic!("epoch {e} uid {uid}: cell {:?} is not a number", row[2 + k])
                });
                assert_eq!(
                    printed,
                    out[*field][uid].as_u64().unwrap(),
                    "epoch {e} uid {uid}: {field}"
                );
            }
            assert_eq!(
                row[9],
                bonds_cell(&out["bonds_stored_u16"][uid]),
                "epoch {e} uid {uid}: bonds"
            );
        }
    }
}

//! The forecasting synapse.

use serde::{Deserialize, Serialize};

/// "Here is the recent history of series `series_id` up to step `step`; forecast the next
/// `horizon` values." The miner fills `forecast`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// Which series (validators may run several).
    #[serde(default)]
    pub series_id: String,
    /// Step index of the last history value.
    #[serde(default)]
    pub step: u64,
    /// Recent values, oldest first, ending at `step`.
    #[serde(default)]
    pub history: Vec<f64>,
    /// How many future values to forecast (steps `step+1 ..= step+horizon`).
    #[serde(default)]
    pub horizon: u32,
    /// The miner's answer: `horizon` values.
    #[serde(default)]
    pub forecast: Option<Vec<f64>>,
}

impl neuron::Synapse for Forecast {
    const NAME: &'static str = "Forecast";
    const REQUIRED_HASH_FIELDS: &'static [&'static str] =
        &["series_id", "step", "history", "horizon"];
    const REQUIRED_FIELDS: &'static [&'static str] = &["series_id", "step", "history", "horizon"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use neuron::Synapse as _;

    #[test]
    fn hashes_inputs_only() {
        let mut f = Forecast {
            series_id: "s".into(),
            step: 3,
            history: vec![1.0, 2.5],
            horizon: 1,
            forecast: None,
        };
        let h = f.body_hash().unwrap();
        f.forecast = Some(vec![3.0]);
        assert_eq!(h, f.body_hash().unwrap());
    }
}

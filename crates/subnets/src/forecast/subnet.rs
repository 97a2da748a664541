//! The validator side: challenges from the seeded series, scoring when the truth arrives.

use std::sync::Mutex;

use futures::future::BoxFuture;
use types::AccountId;

use crate::error::Error;
use crate::forecast::series::{Series, SeriesParams};
use crate::forecast::synapse::Forecast;
use crate::validator::{Answer, Subnet};

/// Forecasting settings.
#[derive(Debug, Clone)]
pub struct ForecastConfig {
    /// Name sent to miners.
    pub series_id: String,
    /// The validator's secret seed.
    pub seed: u64,
    /// Series shape.
    pub params: SeriesParams,
    /// History values sent.
    pub history_len: usize,
    /// Values to forecast.
    pub horizon: u32,
    /// Step of the last history value in round 0; each round advances `horizon` steps.
    pub start_step: u64,
}

impl Default for ForecastConfig {
    fn default() -> Self {
        ForecastConfig {
            series_id: "synthetic-0".into(),
            seed: 0,
            params: SeriesParams::default(),
            history_len: 256,
            horizon: 4,
            start_step: 1_000,
        }
    }
}

/// What the validator keeps of a round until the truth arrives.
#[derive(Debug, Clone)]
pub struct ForecastChallenge {
    /// Last history step.
    pub step: u64,
    /// Error scale: mean absolute one-step change of the history (≈ the naive error).
    pub scale: f64,
}

struct Pending {
    step: u64,
    scale: f64,
    forecasts: Vec<(u16, AccountId, Option<Vec<f64>>)>,
}

/// The forecasting subnet for [`crate::Validator`].
pub struct ForecastSubnet {
    config: ForecastConfig,
    series: Series,
    pending: Mutex<Vec<Pending>>,
}

impl ForecastSubnet {
    /// A subnet with these settings.
    pub fn new(config: ForecastConfig) -> Result<Self, Error> {
        if config.horizon == 0 || config.horizon > 64 {
            return Err(Error::Config("horizon must be 1..=64".into()));
        }
        if config.history_len < 2 {
            return Err(Error::Config("history_len must be >= 2".into()));
        }
        Ok(ForecastSubnet {
            series: Series::new(config.seed, config.params.clone()),
            config,
            pending: Mutex::new(Vec::new()),
        })
    }

    /// The series (for tests and dashboards).
    pub fn series(&self) -> &Series {
        &self.series
    }

    /// Score of one forecast against the truth: `1 / (1 + MAE / scale)`; 0 for a missing,
    /// wrong-length or non-finite forecast.
    pub fn score_forecast(forecast: Option<&[f64]>, truth: &[f64], scale: f64) -> f64 {
        let Some(f) = forecast else { return 0.0 };
        if f.len() != truth.len() || truth.is_empty() || f.iter().any(|v| !v.is_finite()) {
            return 0.0;
        }
        let mae = f.iter().zip(truth).map(|(a, b)| (a - b).abs()).sum::<f64>() / truth.len() as f64;
        1.0 / (1.0 + mae / scale.max(1e-9))
    }

    fn step_of(&self, round: u64) -> u64 {
        self.config
            .start_step
            .saturating_add(round.saturating_mul(u64::from(self.config.horizon)))
    }
}

impl Subnet for ForecastSubnet {
    type Synapse = Forecast;
    type Challenge = ForecastChallenge;

    fn challenge(&self, round: u64) -> BoxFuture<'_, Result<(Forecast, ForecastChallenge), Error>> {
        let step = self.step_of(round);
        let history = self.series.history(step, self.config.history_len);
        let diffs: Vec<f64> = history
            .windows(2)
            .filter_map(|w| Some((w.get(1)? - w.first()?).abs()))
            .collect();
        let scale = if diffs.is_empty() {
            1.0
        } else {
            diffs.iter().sum::<f64>() / diffs.len() as f64
        };
        let synapse = Forecast {
            series_id: self.config.series_id.clone(),
            step,
            history,
            horizon: self.config.horizon,
            forecast: None,
        };
        Box::pin(async move { Ok((synapse, ForecastChallenge { step, scale })) })
    }

    fn score<'a>(
        &'a self,
        _round: u64,
        challenge: ForecastChallenge,
        answers: &'a [Answer<Forecast>],
    ) -> BoxFuture<'a, Vec<(u16, AccountId, f64)>> {
        Box::pin(async move {
            let now = challenge.step;
            let h = u64::from(self.config.horizon);
            let mut out = Vec::new();
            let Ok(mut pending) = self.pending.lock() else {
                return out;
            };
            pending.push(Pending {
                step: challenge.step,
                scale: challenge.scale,
                forecasts: answers
                    .iter()
                    .map(|a| {
                        let f = a
                            .ok()
                            .then(|| a.response.synapse.forecast.clone())
                            .flatten();
                        (a.uid, a.hotkey, f)
                    })
                    .collect(),
            });
            // The truth of steps step+1..=step+h is known once the clock has passed them.
            let (due, keep): (Vec<Pending>, Vec<Pending>) = pending
                .drain(..)
                .partition(|p| p.step.saturating_add(h) <= now);
            *pending = keep;
            for p in due {
                let truth: Vec<f64> = (1..=h)
                    .map(|i| self.series.value(p.step.saturating_add(i)))
                    .collect();
                for (uid, hotkey, f) in p.forecasts {
                    out.push((
                        uid,
                        hotkey,
                        Self::score_forecast(f.as_deref(), &truth, p.scale),
                    ));
                }
            }
            out
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forecast::models::{Forecaster, MovingAverage, Naive, Seasonal};

    #[test]
    fn score_shape() {
        assert_eq!(
            ForecastSubnet::score_forecast(Some(&[1.0]), &[1.0], 1.0),
            1.0
        );
        assert_eq!(
            ForecastSubnet::score_forecast(Some(&[2.0]), &[1.0], 1.0),
            0.5
        );
        assert_eq!(ForecastSubnet::score_forecast(None, &[1.0], 1.0), 0.0);
        assert_eq!(
            ForecastSubnet::score_forecast(Some(&[1.0, 2.0]), &[1.0], 1.0),
            0.0
        );
        assert_eq!(
            ForecastSubnet::score_forecast(Some(&[f64::NAN]), &[1.0], 1.0),
            0.0
        );
    }

    /// Offline check of the ranking the e2e test relies on: mean score over many windows.
    #[test]
    fn fitted_beats_moving_average_beats_naive() {
        let sub = ForecastSubnet::new(ForecastConfig::default()).unwrap();
        let models: [&dyn Forecaster; 3] =
            [&Seasonal::default(), &MovingAverage { window: 8 }, &Naive];
        let mut totals = [0.0; 3];
        let rounds = 150;
        for r in 0..rounds {
            let step = sub.step_of(r);
            let hist = sub.series.history(step, 256);
            let scale = hist.windows(2).map(|w| (w[1] - w[0]).abs()).sum::<f64>() / 255.0;
            let truth: Vec<f64> = (1..=4).map(|i| sub.series.value(step + i)).collect();
            for (m, t) in models.iter().zip(totals.iter_mut()) {
                *t += ForecastSubnet::score_forecast(Some(&m.forecast(&hist, 4)), &truth, scale);
            }
        }
        let means: Vec<f64> = totals.iter().map(|t| t / rounds as f64).collect();
        eprintln!("mean scores seasonal/ma8/naive: {means:?}");
        assert!(means[0] > means[1] && means[1] > means[2], "{means:?}");
    }
}

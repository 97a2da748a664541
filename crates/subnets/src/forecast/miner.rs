//! The miner side: answer [`Forecast`] synapses with a [`Forecaster`].

use std::sync::Arc;

use neuron::{Axon, ForwardError};

use crate::forecast::models::Forecaster;
use crate::forecast::synapse::Forecast;

/// Largest history a miner accepts (the body limit bounds it anyway).
pub const MAX_HISTORY: usize = 100_000;
/// Largest horizon a miner accepts.
pub const MAX_HORIZON: u32 = 1_024;

/// Attach a `Forecast` handler answering with `model`.
pub fn attach(axon: Axon, model: Arc<dyn Forecaster>) -> Axon {
    axon.attach(move |mut f: Forecast| {
        let model = model.clone();
        async move {
            if f.horizon == 0 || f.horizon > MAX_HORIZON || f.history.len() > MAX_HISTORY {
                return Err(ForwardError::with_status(
                    400,
                    format!(
                        "horizon must be 1..={MAX_HORIZON} and history at most {MAX_HISTORY} values"
                    ),
                ));
            }
            let horizon = usize::try_from(f.horizon).unwrap_or(1);
            // Fitting is CPU work: keep it off the async workers.
            let history = std::mem::take(&mut f.history);
            let forecast = tokio::task::spawn_blocking(move || {
                let out = model.forecast(&history, horizon);
                (history, out)
            })
            .await
            .map_err(|e| ForwardError::new(format!("forecaster failed: {e}")))?;
            f.history = forecast.0;
            f.forecast = Some(forecast.1);
            Ok::<_, ForwardError>(f)
        }
    })
}

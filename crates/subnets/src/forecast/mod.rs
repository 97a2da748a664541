//! The forecasting subnet: validators draw targets from a seeded synthetic series
//! ([`series`]), send miners the recent history ([`Forecast`] synapse), and score the
//! forecasts once the truth is revealed ([`ForecastSubnet`]). Miners of differing quality
//! ([`models`]): naive, moving average, fitted (seasonal regression; AR(p)).

pub mod miner;
pub mod models;
pub mod series;
pub mod subnet;
pub mod synapse;

pub use miner::attach;
pub use models::{
    ArModel, Biased, Forecaster, MovingAverage, Naive, Seasonal, forecaster_from_spec,
};
pub use series::{Series, SeriesParams};
pub use subnet::{ForecastConfig, ForecastSubnet};
pub use synapse::Forecast;

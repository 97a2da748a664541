//! A deterministic synthetic series: level + trend + seasonality + AR(1) noise + observation
//! noise, a pure function of `(seed, step)`. Whoever holds the seed (the validator) can compute
//! any value, past or future; miners only see the history they are sent.

use std::f64::consts::PI;

/// Shape of the series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesParams {
    /// Value at step 0.
    pub level: f64,
    /// Added per step.
    pub trend: f64,
    /// Amplitude of the seasonal sine.
    pub amplitude: f64,
    /// Season length in steps.
    pub period: f64,
    /// AR(1) coefficient of the persistent noise, |phi| < 1.
    pub ar_phi: f64,
    /// Std of the AR innovations.
    pub ar_sigma: f64,
    /// Std of the white observation noise.
    pub obs_sigma: f64,
}

impl Default for SeriesParams {
    fn default() -> Self {
        SeriesParams {
            level: 100.0,
            trend: 0.01,
            amplitude: 3.0,
            period: 96.0,
            ar_phi: 0.5,
            ar_sigma: 0.3,
            obs_sigma: 2.0,
        }
    }
}

/// A seeded series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    seed: u64,
    params: SeriesParams,
}

/// Terms of the AR(1) sum; phi^64 is negligible for |phi| ≤ 0.9.
const AR_TERMS: u64 = 64;

impl Series {
    /// The series of `seed`.
    pub fn new(seed: u64, params: SeriesParams) -> Self {
        Series { seed, params }
    }

    /// Its parameters.
    pub fn params(&self) -> &SeriesParams {
        &self.params
    }

    /// The value at `step`, rounded to 4 decimals. Rounding keeps each value a short decimal
    /// that survives JSON exactly (serde_json's default float parser can be off by one ulp on
    /// long decimals, which would break the body hash of the `history` field).
    pub fn value(&self, step: u64) -> f64 {
        (self.raw_value(step) * 1e4).round() / 1e4
    }

    fn raw_value(&self, step: u64) -> f64 {
        let p = &self.params;
        let t = step as f64;
        let season = if p.period > 0.0 {
            p.amplitude * (2.0 * PI * t / p.period).sin()
        } else {
            0.0
        };
        // AR(1) noise as a truncated MA(∞) sum, so each value is stateless.
        let mut ar = 0.0;
        let mut coef = 1.0;
        for k in 0..AR_TERMS.min(step.saturating_add(1)) {
            ar += coef * gaussian(self.seed, 1, step - k);
            coef *= p.ar_phi;
        }
        p.level
            + p.trend * t
            + season
            + p.ar_sigma * ar
            + p.obs_sigma * gaussian(self.seed, 2, step)
    }

    /// `len` values ending at `last` (inclusive); shorter near step 0.
    pub fn history(&self, last: u64, len: usize) -> Vec<f64> {
        let first = last.saturating_sub((len as u64).saturating_sub(1));
        (first..=last).map(|s| self.value(s)).collect()
    }
}

/// SplitMix64: a strong 64-bit mix, enough to derive independent noise per (seed, stream, step).
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A standard normal draw keyed by (seed, stream, step) (Box–Muller).
fn gaussian(seed: u64, stream: u64, step: u64) -> f64 {
    let a = splitmix(seed ^ splitmix(stream.wrapping_mul(0xA24B_AED4_963E_E407) ^ splitmix(step)));
    let b = splitmix(a);
    // Uniforms in (0, 1]: the top 53 bits, +1 so ln never sees 0.
    let u1 = ((a >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
    let u2 = (b >> 11) as f64 / (1u64 << 53) as f64;
    (-2.0 * u1.ln()).sqrt() * (2.0 * PI * u2).cos()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_seed_dependent() {
        let a = Series::new(7, SeriesParams::default());
        let b = Series::new(8, SeriesParams::default());
        assert_eq!(a.value(1000), a.value(1000));
        assert_ne!(a.value(1000), b.value(1000));
        let h = a.history(10, 5);
        assert_eq!(h.len(), 5);
        assert_eq!(h[4], a.value(10));
        assert_eq!(a.history(2, 5).len(), 3);
        for v in a.history(500, 50) {
            let back: f64 = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
            assert_eq!(back.to_bits(), v.to_bits());
        }
    }

    #[test]
    fn noise_is_standard_normal() {
        let n = 20_000u64;
        let xs: Vec<f64> = (0..n).map(|i| gaussian(3, 2, i)).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }
}

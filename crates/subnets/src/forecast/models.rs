//! Forecasters of differing quality, for miners: [`Naive`] (last value), [`MovingAverage`],
//! [`ArModel`] (AR(p) with intercept fitted by least squares on the history) and [`Seasonal`]
//! (trend + season fitted by least squares, AR(1) residuals).

/// A forecasting method.
pub trait Forecaster: Send + Sync + 'static {
    /// A short name for logs.
    fn name(&self) -> String;
    /// `horizon` forecasts after `history` (oldest first). Must not panic on any input.
    fn forecast(&self, history: &[f64], horizon: usize) -> Vec<f64>;
}

/// Repeats the last value.
#[derive(Debug, Clone, Copy, Default)]
pub struct Naive;

impl Forecaster for Naive {
    fn name(&self) -> String {
        "naive".into()
    }
    fn forecast(&self, history: &[f64], horizon: usize) -> Vec<f64> {
        let last = history.last().copied().unwrap_or(0.0);
        vec![last; horizon]
    }
}

/// Mean of the last `window` values.
#[derive(Debug, Clone, Copy)]
pub struct MovingAverage {
    /// Values averaged.
    pub window: usize,
}

impl Forecaster for MovingAverage {
    fn name(&self) -> String {
        format!("ma:{}", self.window)
    }
    fn forecast(&self, history: &[f64], horizon: usize) -> Vec<f64> {
        let w = self.window.max(1).min(history.len());
        let tail = history
            .get(history.len().saturating_sub(w)..)
            .unwrap_or(&[]);
        let mean = if tail.is_empty() {
            0.0
        } else {
            tail.iter().sum::<f64>() / tail.len() as f64
        };
        vec![mean; horizon]
    }
}

/// AR(p) with intercept, `x_t = c + Σ a_i x_{t-i}`, fitted by ridge-stabilised least squares
/// on the history, forecast by iterating. Falls back to [`Naive`] when the history is too
/// short or the fit is degenerate.
#[derive(Debug, Clone, Copy)]
pub struct ArModel {
    /// Lags.
    pub order: usize,
}

impl Forecaster for ArModel {
    fn name(&self) -> String {
        format!("ar:{}", self.order)
    }
    fn forecast(&self, history: &[f64], horizon: usize) -> Vec<f64> {
        let p = self.order.max(1);
        let Some(coef) = fit_ar(history, p) else {
            return Naive.forecast(history, horizon);
        };
        // Centre on the mean for conditioning (the fit works on centred data).
        let mean = history.iter().sum::<f64>() / history.len() as f64;
        let mut buf: Vec<f64> = history.iter().map(|x| x - mean).collect();
        let mut out = Vec::with_capacity(horizon);
        for _ in 0..horizon {
            let n = buf.len();
            let mut next = coef.first().copied().unwrap_or(0.0);
            for i in 1..=p {
                let x = buf.get(n.wrapping_sub(i)).copied().unwrap_or(0.0);
                next += coef.get(i).copied().unwrap_or(0.0) * x;
            }
            if !next.is_finite() {
                return Naive.forecast(history, horizon);
            }
            buf.push(next);
            out.push(next + mean);
        }
        out
    }
}

/// Least squares for `[c, a_1..a_p]` on mean-centred data; `None` if too short or singular.
fn fit_ar(history: &[f64], p: usize) -> Option<Vec<f64>> {
    let n = history.len();
    if n < 3 * (p + 1) || history.iter().any(|x| !x.is_finite()) {
        return None;
    }
    let mean = history.iter().sum::<f64>() / n as f64;
    let x: Vec<f64> = history.iter().map(|v| v - mean).collect();
    let k = p + 1;
    let mut ata = vec![vec![0.0; k]; k];
    let mut atb = vec![0.0; k];
    for t in p..n {
        let mut row = Vec::with_capacity(k);
        row.push(1.0);
        for i in 1..=p {
            row.push(*x.get(t - i)?);
        }
        let y = *x.get(t)?;
        for (a, ra) in row.iter().enumerate() {
            *atb.get_mut(a)? += ra * y;
            for (b, rb) in row.iter().enumerate() {
                *ata.get_mut(a)?.get_mut(b)? += ra * rb;
            }
        }
    }
    // A little ridge keeps nearly collinear lags solvable.
    let scale = (0..k)
        .filter_map(|i| ata.get(i)?.get(i).copied())
        .fold(0.0, f64::max);
    for i in 1..k {
        *ata.get_mut(i)?.get_mut(i)? += 1e-6 * scale.max(1.0);
    }
    solve(ata, atb)
}

/// Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| {
            let ai = a.get(i).and_then(|r| r.get(col)).map_or(0.0, |v| v.abs());
            let aj = a.get(j).and_then(|r| r.get(col)).map_or(0.0, |v| v.abs());
            ai.total_cmp(&aj)
        })?;
        a.swap(col, pivot);
        b.swap(col, pivot);
        let diag = *a.get(col)?.get(col)?;
        if diag.abs() < 1e-12 {
            return None;
        }
        let prow = a.get(col)?.clone();
        let pb = *b.get(col)?;
        for r in 0..n {
            if r == col {
                continue;
            }
            let row = a.get_mut(r)?;
            let f = *row.get(col)? / diag;
            if f != 0.0 {
                for (v, pv) in row.iter_mut().zip(&prow) {
                    *v -= f * pv;
                }
                *b.get_mut(r)? -= f * pb;
            }
        }
    }
    let x: Vec<f64> = (0..n)
        .map(|i| Some(b.get(i)? / a.get(i)?.get(i)?))
        .collect::<Option<_>>()?;
    x.iter().all(|v| v.is_finite()).then_some(x)
}

/// Harmonic regression `c + b·t + s·sin(2πt/P) + k·cos(2πt/P)` with the season length `P`
/// chosen by least squares among `min_period..=max_period`, plus AR(1) on the residuals:
/// a fitted model that knows the *shape* of the series (trend + one season) but not its
/// parameters. Falls back to [`Naive`] on short or degenerate input.
#[derive(Debug, Clone, Copy)]
pub struct Seasonal {
    /// Shortest season tried.
    pub min_period: usize,
    /// Longest season tried.
    pub max_period: usize,
}

impl Default for Seasonal {
    fn default() -> Self {
        Seasonal {
            min_period: 8,
            max_period: 128,
        }
    }
}

fn harmonic_row(t: f64, period: f64) -> [f64; 4] {
    let a = 2.0 * std::f64::consts::PI * t / period;
    [1.0, t, a.sin(), a.cos()]
}

/// Least squares of `history` on the harmonic rows of `period`: coefficients and SSE.
fn fit_harmonic(history: &[f64], period: f64) -> Option<([f64; 4], f64)> {
    let mut ata = vec![vec![0.0; 4]; 4];
    let mut atb = vec![0.0; 4];
    for (t, y) in history.iter().enumerate() {
        let row = harmonic_row(t as f64, period);
        for a in 0..4 {
            *atb.get_mut(a)? += row.get(a)? * y;
            for b in 0..4 {
                *ata.get_mut(a)?.get_mut(b)? += row.get(a)? * row.get(b)?;
            }
        }
    }
    let c = solve(ata, atb)?;
    let coef = [*c.first()?, *c.get(1)?, *c.get(2)?, *c.get(3)?];
    let sse = history
        .iter()
        .enumerate()
        .map(|(t, y)| {
            let r = harmonic_row(t as f64, period);
            let fit: f64 = r.iter().zip(&coef).map(|(a, b)| a * b).sum();
            (y - fit).powi(2)
        })
        .sum();
    Some((coef, sse))
}

impl Forecaster for Seasonal {
    fn name(&self) -> String {
        "seasonal".into()
    }
    fn forecast(&self, history: &[f64], horizon: usize) -> Vec<f64> {
        let n = history.len();
        if n < 2 * self.min_period.max(4) || history.iter().any(|x| !x.is_finite()) {
            return Naive.forecast(history, horizon);
        }
        let best = (self.min_period.max(2)..=self.max_period.min(n))
            .filter_map(|p| fit_harmonic(history, p as f64).map(|(c, sse)| (p as f64, c, sse)))
            .min_by(|a, b| a.2.total_cmp(&b.2));
        let Some((period, coef, _)) = best else {
            return Naive.forecast(history, horizon);
        };
        let fit = |t: f64| -> f64 {
            harmonic_row(t, period)
                .iter()
                .zip(&coef)
                .map(|(a, b)| a * b)
                .sum()
        };
        let resid: Vec<f64> = history
            .iter()
            .enumerate()
            .map(|(t, y)| y - fit(t as f64))
            .collect();
        let (num, den) = resid
            .windows(2)
            .filter_map(|w| Some((w.get(1)? * w.first()?, w.first()?.powi(2))))
            .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
        let phi = if den > 0.0 {
            (num / den).clamp(-0.99, 0.99)
        } else {
            0.0
        };
        let last = resid.last().copied().unwrap_or(0.0);
        let out: Vec<f64> = (1..=horizon)
            .map(|k| {
                fit((n - 1 + k) as f64) + phi.powi(i32::try_from(k).unwrap_or(i32::MAX)) * last
            })
            .collect();
        if out.iter().all(|v| v.is_finite()) {
            out
        } else {
            Naive.forecast(history, horizon)
        }
    }
}

/// The [`Seasonal`] forecast shifted by `offset` times the history's mean absolute one-step
/// change (the validator's error scale), so its score is about `1 / (1 + offset + …)`: a miner
/// of known, graded quality for localnet (`biased:D`).
#[derive(Debug, Clone, Default)]
pub struct Biased {
    /// Shift in units of the mean absolute step.
    pub offset: f64,
}

impl Forecaster for Biased {
    fn name(&self) -> String {
        format!("biased:{}", self.offset)
    }
    fn forecast(&self, history: &[f64], horizon: usize) -> Vec<f64> {
        let base = Seasonal::default().forecast(history, horizon);
        let steps: Vec<f64> = history
            .windows(2)
            .filter_map(|w| Some((w.get(1)? - w.first()?).abs()))
            .filter(|d| d.is_finite())
            .collect();
        let scale = if steps.is_empty() {
            1.0
        } else {
            steps.iter().sum::<f64>() / steps.len() as f64
        };
        let shift = self.offset * scale;
        if !shift.is_finite() {
            return base;
        }
        base.into_iter().map(|v| v + shift).collect()
    }
}

/// Parse a CLI spec: `naive`, `ma:N` (default 8), `ar:P` (default 8), `seasonal` (alias
/// `fitted`), `biased:D` (fitted shifted by D mean steps, default 1).
pub fn forecaster_from_spec(spec: &str) -> Result<Box<dyn Forecaster>, String> {
    let (kind, arg) = match spec.split_once(':') {
        Some((k, a)) => (k, Some(a)),
        None => (spec, None),
    };
    let num = |default: usize| -> Result<usize, String> {
        match arg {
            None => Ok(default),
            Some(a) => a
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| format!("`{spec}`: expected a number 1..=256 after ':'")),
        }
    };
    match kind {
        "naive" => Ok(Box::new(Naive)),
        "ma" | "moving-average" => Ok(Box::new(MovingAverage { window: num(8)? })),
        "ar" => Ok(Box::new(ArModel { order: num(8)? })),
        "seasonal" | "fitted" => Ok(Box::new(Seasonal::default())),
        "biased" => {
            let offset = match arg {
                None => 1.0,
                Some(a) => a
                    .parse::<f64>()
                    .ok()
                    .filter(|d| d.is_finite() && (0.0..=1_000.0).contains(d))
                    .ok_or_else(|| format!("`{spec}`: expected a number 0..=1000 after ':'"))?,
            };
            Ok(Box::new(Biased { offset }))
        }
        _ => Err(format!(
            "unknown forecaster `{spec}`: use naive, ma:N, ar:P, fitted or biased:D"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simple_models() {
        assert_eq!(Naive.forecast(&[1.0, 2.0], 2), vec![2.0, 2.0]);
        assert_eq!(Naive.forecast(&[], 1), vec![0.0]);
        assert_eq!(
            MovingAverage { window: 2 }.forecast(&[1.0, 2.0, 4.0], 1),
            vec![3.0]
        );
        assert_eq!(MovingAverage { window: 9 }.forecast(&[], 1), vec![0.0]);
    }

    #[test]
    fn ar_recovers_a_sine() {
        // A pure sine satisfies an AR(2) recurrence exactly.
        let h: Vec<f64> = (0..100).map(|t| (t as f64 * 0.3).sin()).collect();
        let f = ArModel { order: 2 }.forecast(&h, 3);
        for (i, v) in f.iter().enumerate() {
            let truth = ((100 + i) as f64 * 0.3).sin();
            assert!((v - truth).abs() < 1e-3, "{v} vs {truth}");
        }
        // Degenerate inputs fall back instead of panicking.
        assert_eq!(ArModel { order: 4 }.forecast(&[1.0; 3], 1), vec![1.0]);
        let f = ArModel { order: 2 }.forecast(&[5.0; 50], 2);
        assert!(f.iter().all(|v| v.is_finite()));
        assert_eq!(ArModel { order: 2 }.forecast(&[f64::NAN; 50], 1).len(), 1);
    }

    #[test]
    fn specs() {
        assert_eq!(forecaster_from_spec("ma:4").unwrap().name(), "ma:4");
        assert_eq!(forecaster_from_spec("ar").unwrap().name(), "ar:8");
        assert!(forecaster_from_spec("ar:0").is_err());
        assert!(forecaster_from_spec("xx").is_err());
    }
}

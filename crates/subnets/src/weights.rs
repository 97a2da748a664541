//! Where weights go ([`WeightSink`]) and how scores become the chain's u16 weights.

use std::sync::Mutex;
use std::time::Instant;

use futures::future::BoxFuture;

use crate::error::Error;

/// Receives a validator's weights. The chain client implements it later (`set_weights`, or
/// commit-reveal when the subnet enables it); [`InMemoryWeightSink`] records them.
pub trait WeightSink: Send + Sync + 'static {
    /// Submit `weights[i]` for `uids[i]` on `netuid`. Both vectors have the same length; the
    /// largest weight is `u16::MAX`.
    fn set_weights<'a>(
        &'a self,
        netuid: u16,
        uids: &'a [u16],
        weights: &'a [u16],
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// One recorded submission.
#[derive(Clone, Debug, PartialEq)]
pub struct WeightSubmission {
    /// Subnet.
    pub netuid: u16,
    /// Uids, ascending.
    pub uids: Vec<u16>,
    /// Their weights.
    pub weights: Vec<u16>,
    /// When it arrived.
    pub at: Instant,
}

impl WeightSubmission {
    /// The weight of `uid` (0 if absent).
    pub fn weight_of(&self, uid: u16) -> u16 {
        self.uids
            .iter()
            .position(|u| *u == uid)
            .and_then(|i| self.weights.get(i).copied())
            .unwrap_or(0)
    }
}

/// Records every submission in memory.
#[derive(Debug, Default)]
pub struct InMemoryWeightSink {
    submissions: Mutex<Vec<WeightSubmission>>,
}

impl InMemoryWeightSink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }
    /// Everything submitted so far.
    pub fn submissions(&self) -> Vec<WeightSubmission> {
        self.submissions
            .lock()
            .map(|g| g.clone())
            .unwrap_or_default()
    }
    /// The latest submission.
    pub fn last(&self) -> Option<WeightSubmission> {
        self.submissions().pop()
    }
}

impl WeightSink for InMemoryWeightSink {
    fn set_weights<'a>(
        &'a self,
        netuid: u16,
        uids: &'a [u16],
        weights: &'a [u16],
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            if uids.len() != weights.len() {
                return Err(Error::Weights(format!(
                    "{} uids but {} weights",
                    uids.len(),
                    weights.len()
                )));
            }
            let mut g = self
                .submissions
                .lock()
                .map_err(|_| Error::Weights("sink lock poisoned".into()))?;
            g.push(WeightSubmission {
                netuid,
                uids: uids.to_vec(),
                weights: weights.to_vec(),
                at: Instant::now(),
            });
            Ok(())
        })
    }
}

/// Scores → chain weights, like the SDK's `convert_weights_and_uids_for_emit`: scale so the
/// largest is `u16::MAX`, round, and drop uids whose weight rounds to zero. Negative, NaN and
/// infinite scores count as zero. Output is sorted by uid.
pub fn to_u16_weights(scores: &[(u16, f64)]) -> (Vec<u16>, Vec<u16>) {
    let clean = |s: f64| if s.is_finite() && s > 0.0 { s } else { 0.0 };
    let max = scores.iter().map(|(_, s)| clean(*s)).fold(0.0, f64::max);
    let mut pairs: Vec<(u16, u16)> = Vec::new();
    if max > 0.0 {
        for (uid, s) in scores {
            let w = (clean(*s) / max * f64::from(u16::MAX)).round();
            // w is in 0..=65535 by construction.
            let w = w.clamp(0.0, f64::from(u16::MAX)) as u16;
            if w > 0 {
                pairs.push((*uid, w));
            }
        }
    }
    pairs.sort_by_key(|(u, _)| *u);
    pairs.dedup_by_key(|(u, _)| *u);
    pairs.into_iter().unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_to_max_and_drops_zeros() {
        let (u, w) = to_u16_weights(&[(3, 0.5), (1, 1.0), (2, 0.0), (4, f64::NAN), (5, -1.0)]);
        assert_eq!(u, vec![1, 3]);
        assert_eq!(w, vec![65535, 32768]);
        assert_eq!(to_u16_weights(&[(1, 0.0)]), (vec![], vec![]));
        assert_eq!(to_u16_weights(&[]), (vec![], vec![]));
    }

    #[tokio::test]
    async fn sink_records() {
        let s = InMemoryWeightSink::new();
        s.set_weights(1, &[0, 2], &[5, 65535]).await.unwrap();
        assert!(s.set_weights(1, &[0], &[]).await.is_err());
        let last = s.last().unwrap();
        assert_eq!(last.weight_of(2), 65535);
        assert_eq!(last.weight_of(9), 0);
    }
}

//! Per-uid exponential moving averages of scores.

use std::collections::BTreeMap;

use types::AccountId;

/// Moving average per uid: `s ← α·score + (1−α)·s`, starting from 0. A uid whose hotkey
/// changed (deregistered and taken by someone else) starts again from 0, so a newcomer does not
/// inherit its predecessor's reputation.
#[derive(Clone, Debug)]
pub struct ScoreBook {
    alpha: f64,
    entries: BTreeMap<u16, (AccountId, f64)>,
}

impl ScoreBook {
    /// A book with smoothing `alpha` in (0, 1] (1 = only the last score counts).
    pub fn new(alpha: f64) -> Self {
        let alpha = if alpha.is_finite() {
            alpha.clamp(1e-6, 1.0)
        } else {
            0.1
        };
        ScoreBook {
            alpha,
            entries: BTreeMap::new(),
        }
    }

    /// Fold one score (clamped to 0..=1, NaN as 0) into `uid`'s average.
    pub fn update(&mut self, uid: u16, hotkey: AccountId, score: f64) -> f64 {
        let score = if score.is_finite() {
            score.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let entry = self.entries.entry(uid).or_insert((hotkey, 0.0));
        if entry.0 != hotkey {
            *entry = (hotkey, 0.0);
        }
        entry.1 = self.alpha * score + (1.0 - self.alpha) * entry.1;
        entry.1
    }

    /// `uid`'s average (0 if never scored).
    pub fn get(&self, uid: u16) -> f64 {
        self.entries.get(&uid).map_or(0.0, |e| e.1)
    }

    /// All averages, by uid.
    pub fn scores(&self) -> Vec<(u16, f64)> {
        self.entries.iter().map(|(u, (_, s))| (*u, *s)).collect()
    }

    /// Forget uids not registered any more, and uids whose hotkey changed.
    pub fn retain_registered(&mut self, registered: &[(u16, AccountId)]) {
        self.entries
            .retain(|uid, (hk, _)| registered.iter().any(|(u, h)| u == uid && h == hk));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ema_and_hotkey_reset() {
        let a = AccountId([1; 32]);
        let b = AccountId([2; 32]);
        let mut book = ScoreBook::new(0.5);
        assert_eq!(book.update(0, a, 1.0), 0.5);
        assert_eq!(book.update(0, a, 1.0), 0.75);
        assert_eq!(book.update(0, a, f64::NAN), 0.375);
        assert_eq!(book.update(0, b, 1.0), 0.5);
        book.update(1, a, 2.0);
        assert_eq!(book.get(1), 0.5);
        book.retain_registered(&[(0, b)]);
        assert_eq!(book.scores(), vec![(0, 0.5)]);
    }
}

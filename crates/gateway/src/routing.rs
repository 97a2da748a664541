//! Which miners answer: the highest-incentive miners, in an incentive-weighted random order so
//! load spreads; and which answer wins.

use neuron::AxonInfo;
use rand::Rng;
use subnets::NeuronInfo;

/// A miner that may be asked.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Uid.
    pub uid: u16,
    /// Where it serves.
    pub axon: AxonInfo,
    /// Its incentive.
    pub incentive: f64,
}

/// Neurons with an axon, highest incentive first (ties: lower uid), at most `pool`.
pub fn candidates(neurons: Vec<NeuronInfo>, pool: usize) -> Vec<Candidate> {
    let mut c: Vec<Candidate> = neurons
        .into_iter()
        .filter_map(|n| {
            Some(Candidate {
                uid: n.uid,
                axon: n.axon?,
                incentive: if n.incentive.is_finite() {
                    n.incentive.max(0.0)
                } else {
                    0.0
                },
            })
        })
        .collect();
    c.sort_by(|a, b| b.incentive.total_cmp(&a.incentive).then(a.uid.cmp(&b.uid)));
    c.truncate(pool.max(1));
    c
}

/// A random order in which each next miner is drawn with probability proportional to its
/// incentive plus a floor (5 % of the largest, so low-incentive miners still see some
/// traffic and can earn more): weighted sampling without replacement (Efraimidis–Spirakis).
pub fn spread<R: Rng>(cands: Vec<Candidate>, rng: &mut R) -> Vec<Candidate> {
    let max = cands.iter().map(|c| c.incentive).fold(0.0, f64::max);
    let floor = if max > 0.0 { 0.05 * max } else { 1.0 };
    let mut keyed: Vec<(f64, Candidate)> = cands
        .into_iter()
        .map(|c| {
            let w = c.incentive + floor;
            let u: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
            (u.ln() / w, c)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    keyed.into_iter().map(|(_, c)| c).collect()
}

/// A usable answer: non-empty after trimming.
pub fn is_valid(text: &str) -> bool {
    !text.trim().is_empty()
}

/// Among one batch's answers, the valid one of the highest-incentive miner.
pub fn pick<T>(
    answers: Vec<(Candidate, Option<T>)>,
    text: impl Fn(&T) -> &str,
) -> Option<(Candidate, T)> {
    answers
        .into_iter()
        .filter_map(|(c, a)| a.filter(|a| is_valid(text(a))).map(|a| (c, a)))
        .max_by(|a, b| {
            a.0.incentive
                .total_cmp(&b.0.incentive)
                .then(b.0.uid.cmp(&a.0.uid))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use types::AccountId;

    fn n(uid: u16, incentive: f64, axon: bool) -> NeuronInfo {
        let mut x = NeuronInfo::miner(
            uid,
            AxonInfo::new("127.0.0.1", 1, AccountId([uid as u8; 32])),
        );
        x.incentive = incentive;
        if !axon {
            x.axon = None;
        }
        x
    }

    #[test]
    fn orders_by_incentive_and_spreads() {
        let c = candidates(
            vec![
                n(0, 0.1, true),
                n(1, 0.6, true),
                n(2, 0.3, true),
                n(3, 0.9, false),
            ],
            2,
        );
        assert_eq!(c.iter().map(|c| c.uid).collect::<Vec<_>>(), vec![1, 2]);
        let all = candidates(vec![n(0, 0.1, true), n(1, 0.6, true), n(2, 0.3, true)], 8);
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let mut first = [0usize; 3];
        for _ in 0..3000 {
            first[usize::from(spread(all.clone(), &mut rng)[0].uid)] += 1;
        }
        // Mostly the top miner first, but every miner gets some first picks.
        assert!(
            first[1] > first[2] && first[2] > first[0] && first[0] > 0,
            "{first:?}"
        );
    }

    #[test]
    fn picks_valid_highest_incentive() {
        let c = candidates(vec![n(0, 0.1, true), n(1, 0.6, true), n(2, 0.3, true)], 8);
        let answers = vec![
            (c[0].clone(), Some("  ".to_string())),
            (c[1].clone(), Some("b".to_string())),
            (c[2].clone(), Some("a".to_string())),
        ];
        assert_eq!(pick(answers, |s| s.as_str()).unwrap().0.uid, 2);
        assert!(pick::<String>(vec![(c[0].clone(), None)], |s| s.as_str()).is_none());
    }
}

/// Recent failures per miner: a miner that failed is tried after the others for a cooldown
/// that doubles with each consecutive failure (10 s up to 5 min); a success clears it. Miners
/// are never excluded, so when every miner is cooling down they are all still tried.
#[derive(Debug, Default)]
pub struct Health {
    failures: std::sync::Mutex<std::collections::HashMap<u16, (u32, std::time::Instant)>>,
}

/// First cooldown after a failure.
pub const BASE_COOLDOWN: std::time::Duration = std::time::Duration::from_secs(10);
/// Longest cooldown.
pub const MAX_COOLDOWN: std::time::Duration = std::time::Duration::from_secs(300);

impl Health {
    /// Record a failure of `uid`.
    pub fn failed(&self, uid: u16) {
        if let Ok(mut m) = self.failures.lock() {
            let e = m.entry(uid).or_insert((0, std::time::Instant::now()));
            e.0 = e.0.saturating_add(1);
            e.1 = std::time::Instant::now();
        }
    }

    /// Record a success of `uid`.
    pub fn succeeded(&self, uid: u16) {
        if let Ok(mut m) = self.failures.lock() {
            m.remove(&uid);
        }
    }

    /// Whether `uid` is cooling down now.
    pub fn cooling(&self, uid: u16) -> bool {
        let Ok(m) = self.failures.lock() else {
            return false;
        };
        m.get(&uid).is_some_and(|(n, at)| {
            let factor = 1u32 << n.saturating_sub(1).min(5);
            at.elapsed() < BASE_COOLDOWN.saturating_mul(factor).min(MAX_COOLDOWN)
        })
    }

    /// `order` with cooling-down miners moved to the end (each part keeps its order).
    pub fn deprioritize(&self, order: Vec<Candidate>) -> Vec<Candidate> {
        let (cool, hot): (Vec<_>, Vec<_>) = order.into_iter().partition(|c| self.cooling(c.uid));
        hot.into_iter().chain(cool).collect()
    }
}

#[cfg(test)]
mod health_tests {
    use super::*;
    use types::AccountId;

    #[test]
    fn failed_miners_go_last_until_they_succeed() {
        let c = |uid: u16| Candidate {
            uid,
            axon: AxonInfo::new("127.0.0.1", 1, AccountId([1; 32])),
            incentive: 0.0,
        };
        let h = Health::default();
        h.failed(0);
        h.failed(0);
        assert!(h.cooling(0) && !h.cooling(1));
        let order: Vec<u16> = h
            .deprioritize(vec![c(0), c(1), c(2)])
            .iter()
            .map(|c| c.uid)
            .collect();
        assert_eq!(order, vec![1, 2, 0]);
        h.succeeded(0);
        assert!(!h.cooling(0));
    }
}

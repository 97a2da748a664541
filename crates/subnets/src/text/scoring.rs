//! Answer quality: similarity to a reference (unigram and bigram F1), known-answer checks, a
//! latency penalty, and copy detection within a round. See `docs/subnets.md`.

use std::collections::HashMap;
use std::time::Duration;

/// Lower-cased alphanumeric words.
pub fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn f1<T: std::hash::Hash + Eq>(a: &[T], b: &[T]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return if a.is_empty() && b.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    let mut counts: HashMap<&T, i64> = HashMap::new();
    for x in b {
        *counts.entry(x).or_default() += 1;
    }
    let mut overlap = 0usize;
    for x in a {
        if let Some(c) = counts.get_mut(x)
            && *c > 0
        {
            *c -= 1;
            overlap += 1;
        }
    }
    if overlap == 0 {
        return 0.0;
    }
    let p = overlap as f64 / a.len() as f64;
    let r = overlap as f64 / b.len() as f64;
    2.0 * p * r / (p + r)
}

/// Similarity of `answer` to `reference` in 0..=1: the mean of word-unigram F1 and
/// word-bigram F1 (unigram F1 alone when either side has fewer than two words).
pub fn similarity(answer: &str, reference: &str) -> f64 {
    let a = words(answer);
    let r = words(reference);
    let uni = f1(&a, &r);
    if a.len() < 2 || r.len() < 2 {
        return uni;
    }
    let bi = |v: &[String]| -> Vec<(String, String)> {
        v.windows(2)
            .filter_map(|w| Some((w.first()?.clone(), w.get(1)?.clone())))
            .collect()
    };
    0.5 * uni + 0.5 * f1(&bi(&a), &bi(&r))
}

/// Multiplier for answering after `latency` of a `timeout`: 1 at 0, `1 − weight` at the
/// timeout.
pub fn latency_factor(latency: Duration, timeout: Duration, weight: f64) -> f64 {
    let frac = if timeout.is_zero() {
        1.0
    } else {
        (latency.as_secs_f64() / timeout.as_secs_f64()).clamp(0.0, 1.0)
    };
    (1.0 - weight.clamp(0.0, 1.0) * frac).max(0.0)
}

/// Normalised form used to find identical answers (case and whitespace folded).
pub fn fingerprint(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Which answers are copies: among identical non-empty answers (by [`fingerprint`]), all but
/// the fastest. A copier must wait for its source, so the source is the fastest.
/// `answers[i] = (text, latency)`; returns one flag per answer.
pub fn copies(answers: &[(&str, Duration)]) -> Vec<bool> {
    let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (text, _)) in answers.iter().enumerate() {
        let f = fingerprint(text);
        if !f.is_empty() {
            groups.entry(f).or_default().push(i);
        }
    }
    let mut flags = vec![false; answers.len()];
    for idx in groups.values().filter(|g| g.len() > 1) {
        let fastest = idx
            .iter()
            .copied()
            .min_by_key(|i| answers.get(*i).map(|a| a.1).unwrap_or(Duration::MAX));
        for i in idx {
            if Some(*i) != fastest
                && let Some(f) = flags.get_mut(*i)
            {
                *f = true;
            }
        }
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_orders_answers() {
        let r = "The capital of France is Paris.";
        assert_eq!(similarity(r, r), 1.0);
        let close = similarity("Paris is the capital of France.", r);
        let far = similarity("I like turtles very much", r);
        assert!(close > far && close < 1.0, "{close} {far}");
        assert_eq!(similarity("", r), 0.0);
        assert_eq!(similarity("42", "42"), 1.0);
    }

    #[test]
    fn latency_and_copies() {
        let t = Duration::from_secs(10);
        assert_eq!(latency_factor(Duration::ZERO, t, 0.2), 1.0);
        assert!((latency_factor(Duration::from_secs(20), t, 0.2) - 0.8).abs() < 1e-12);
        let ms = Duration::from_millis;
        let flags = copies(&[
            ("Paris", ms(5)),
            ("paris ", ms(9)),
            ("Lyon", ms(1)),
            ("", ms(1)),
            ("", ms(2)),
        ]);
        assert_eq!(flags, vec![false, true, false, false, false]);
    }
}

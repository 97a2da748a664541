//! Validator tasks: seeded prompts, some with a checkable answer.

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};

/// How an answer can be checked without a reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// No known answer: only similarity to the reference counts.
    None,
    /// The first integer in the answer must be this.
    Number(i64),
    /// The answer must contain this word (case-insensitive).
    Contains(String),
}

/// One prompt and its check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// The user message.
    pub prompt: String,
    /// The known-answer check.
    pub check: Check,
}

const WORDS: &[&str] = &[
    "banana", "river", "orange", "castle", "pencil", "garden", "silver", "rocket", "window",
    "planet", "candle", "forest", "bridge", "violin", "marble", "tiger",
];

const OPEN: &[&str] = &[
    "What is the capital of France?",
    "Name three primary colors.",
    "What do bees make?",
    "Give one synonym for happy.",
    "What is the opposite of cold?",
    "How many days are in a week?",
    "What color is the sky on a clear day?",
    "Name a fruit that is yellow.",
    "What is the largest planet in the solar system?",
    "Write one short sentence about the sea.",
];

impl Task {
    /// The task of `round` under `seed`: a third each of arithmetic, repeat-the-word and
    /// open questions.
    pub fn generate(seed: u64, round: u64) -> Task {
        let mut rng = StdRng::seed_from_u64(seed ^ round.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        match rng.gen_range(0..3u8) {
            0 => {
                let a: i64 = rng.gen_range(1..50);
                let b: i64 = rng.gen_range(1..50);
                Task {
                    prompt: format!("What is {a} plus {b}? Reply with only the number."),
                    check: Check::Number(a + b),
                }
            }
            1 => {
                let w = WORDS
                    .get(rng.gen_range(0..WORDS.len()))
                    .copied()
                    .unwrap_or("banana");
                Task {
                    prompt: format!("Repeat this word exactly once and nothing else: {w}"),
                    check: Check::Contains(w.to_string()),
                }
            }
            _ => Task {
                prompt: OPEN
                    .get(rng.gen_range(0..OPEN.len()))
                    .copied()
                    .unwrap_or("Hi")
                    .to_string(),
                check: Check::None,
            },
        }
    }

    /// Whether `answer` passes the check (`None` when there is nothing to check).
    pub fn passes(&self, answer: &str) -> Option<bool> {
        match &self.check {
            Check::None => None,
            Check::Number(n) => Some(first_integer(answer) == Some(*n)),
            Check::Contains(w) => Some(answer.to_lowercase().contains(&w.to_lowercase())),
        }
    }
}

/// The first integer in `s` (an optional `-` and digits), ignoring thousands separators.
pub fn first_integer(s: &str) -> Option<i64> {
    let cleaned: String = s.chars().filter(|c| *c != ',').collect();
    for (i, c) in cleaned.char_indices() {
        if c.is_ascii_digit() {
            let neg = i > 0 && cleaned.get(i - 1..i) == Some("-");
            let digits: String = cleaned
                .get(i..)?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            let v: i64 = digits.parse().ok()?;
            return Some(if neg { -v } else { v });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_mix_and_checks() {
        assert_eq!(Task::generate(1, 5), Task::generate(1, 5));
        let kinds: std::collections::HashSet<_> = (0..60)
            .map(|r| std::mem::discriminant(&Task::generate(1, r).check))
            .collect();
        assert_eq!(kinds.len(), 3);
        let t = Task {
            prompt: String::new(),
            check: Check::Number(42),
        };
        assert_eq!(t.passes("The answer is 42."), Some(true));
        assert_eq!(t.passes("41"), Some(false));
        assert_eq!(first_integer("x -7 and 3"), Some(-7));
        assert_eq!(first_integer("1,024"), Some(1024));
        assert_eq!(first_integer("99999999999999999999999"), None);
        let w = Task {
            prompt: String::new(),
            check: Check::Contains("tiger".into()),
        };
        assert_eq!(w.passes("Tiger"), Some(true));
    }
}

//! The validator side of text generation: a seeded task per round, a reference answer from
//! the validator's own backend (greedy), and the scores.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use types::AccountId;

use crate::error::Error;
use crate::text::backend::{Backend, CompletionRequest};
use crate::text::scoring::{copies, latency_factor, similarity};
use crate::text::synapse::{Message, TextGeneration};
use crate::text::tasks::Task;
use crate::validator::{Answer, Subnet};

/// Text-generation validator settings.
#[derive(Debug, Clone)]
pub struct TextConfig {
    /// Seed of the task sequence (keep it private).
    pub seed: u64,
    /// `max_tokens` asked of miners and of the reference.
    pub max_tokens: u32,
    /// The query timeout (the latency penalty is relative to it).
    pub timeout: Duration,
    /// Share of the score given by the known-answer check, when the task has one.
    pub check_weight: f64,
    /// Share of the score lost by answering at the timeout (linear in latency).
    pub latency_weight: f64,
}

impl Default for TextConfig {
    fn default() -> Self {
        TextConfig {
            seed: 0,
            max_tokens: 48,
            timeout: Duration::from_secs(12),
            check_weight: 0.5,
            latency_weight: 0.2,
        }
    }
}

/// What a round's scorer keeps.
#[derive(Debug, Clone)]
pub struct TextChallenge {
    /// The task.
    pub task: Task,
    /// The validator's own answer.
    pub reference: String,
}

/// The text-generation subnet for [`crate::Validator`].
pub struct TextSubnet {
    reference: Arc<dyn Backend>,
    config: TextConfig,
}

impl TextSubnet {
    /// Score with `reference` (e.g. the embedded model) as the reference answerer.
    pub fn new(reference: Arc<dyn Backend>, config: TextConfig) -> Self {
        TextSubnet { reference, config }
    }

    /// The request of round `round`: the task as one user message, greedy.
    pub fn request(&self, task: &Task, round: u64) -> CompletionRequest {
        CompletionRequest {
            messages: vec![Message::user(task.prompt.clone())],
            max_tokens: self.config.max_tokens,
            temperature: 0.0,
            top_p: 1.0,
            seed: Some(round),
        }
    }

    /// The quality of one non-empty answer before latency and copy penalties.
    pub fn quality(&self, task: &Task, reference: &str, answer: &str) -> f64 {
        let sim = similarity(answer, reference);
        match task.passes(answer) {
            None => sim,
            Some(ok) => {
                let w = self.config.check_weight.clamp(0.0, 1.0);
                (1.0 - w) * sim + w * if ok { 1.0 } else { 0.0 }
            }
        }
    }

    /// Scores of one round's answers (same order): 0 for failures, empty answers and copies;
    /// otherwise quality × latency factor.
    pub fn score_answers(
        &self,
        challenge: &TextChallenge,
        answers: &[(Option<&str>, Duration)],
    ) -> Vec<f64> {
        let texts: Vec<(&str, Duration)> =
            answers.iter().map(|(t, l)| (t.unwrap_or(""), *l)).collect();
        let copied = copies(&texts);
        texts
            .iter()
            .zip(copied)
            .map(|((text, latency), copy)| {
                if copy || text.trim().is_empty() {
                    return 0.0;
                }
                self.quality(&challenge.task, &challenge.reference, text)
                    * latency_factor(*latency, self.config.timeout, self.config.latency_weight)
            })
            .collect()
    }
}

impl Subnet for TextSubnet {
    type Synapse = TextGeneration;
    type Challenge = TextChallenge;

    fn challenge(
        &self,
        round: u64,
    ) -> BoxFuture<'_, Result<(TextGeneration, TextChallenge), Error>> {
        Box::pin(async move {
            let task = Task::generate(self.config.seed, round);
            let req = self.request(&task, round);
            let reference = self
                .reference
                .complete(req.clone())
                .await
                .map_err(|e| Error::Challenge(format!("reference answer failed: {e}")))?
                .text;
            Ok((TextGeneration::new(req), TextChallenge { task, reference }))
        })
    }

    fn score<'a>(
        &'a self,
        _round: u64,
        challenge: TextChallenge,
        answers: &'a [Answer<TextGeneration>],
    ) -> BoxFuture<'a, Vec<(u16, AccountId, f64)>> {
        Box::pin(async move {
            let inputs: Vec<(Option<&str>, Duration)> = answers
                .iter()
                .map(|a| {
                    let text = if a.ok() {
                        a.response.synapse.completion.as_deref()
                    } else {
                        None
                    };
                    (text, a.latency)
                })
                .collect();
            let scores = self.score_answers(&challenge, &inputs);
            answers
                .iter()
                .zip(scores)
                .map(|(a, s)| (a.uid, a.hotkey, s))
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::backend::FnBackend;
    use crate::text::tasks::Check;

    #[test]
    fn better_answers_score_higher() {
        let sub = TextSubnet::new(
            Arc::new(FnBackend::new("r", |_: &CompletionRequest| {
                Ok(String::new())
            })),
            TextConfig::default(),
        );
        let ch = TextChallenge {
            task: Task {
                prompt: "What is 2 plus 3?".into(),
                check: Check::Number(5),
            },
            reference: "The answer is 5.".into(),
        };
        let ms = Duration::from_millis;
        let s = sub.score_answers(
            &ch,
            &[
                (Some("The answer is 5."), ms(100)),    // 0 best
                (Some("5"), ms(100)),                   // 1 right, less similar
                (Some("The answer is 6."), ms(120)),    // 2 wrong number
                (Some(""), ms(10)),                     // 3 empty
                (Some("the answer  is 5."), ms(300)),   // 4 copy of 0
                (None, ms(5)),                          // 5 failed
                (Some("The answer is 5."), ms(11_000)), // 6 slow copy too
            ],
        );
        assert!(s[0] > s[1] && s[1] > s[2] && s[2] > 0.0, "{s:?}");
        assert_eq!((s[3], s[4], s[5], s[6]), (0.0, 0.0, 0.0, 0.0));
    }
}

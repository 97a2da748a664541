//! Compares weight formats on the fetched model: load time, the first token's logits against the
//! first format given, and greedy answers with decode speed.
//!
//! `cargo run -p rustensor-model --example formats -- q4 q8 f32` (`RAYON_NUM_THREADS=1` and
//! `CANDLE_NUM_THREADS=1` for one core). Run `rustensor model fetch` first.
#![allow(clippy::unwrap_used, missing_docs)]
use model::{ChatMessage, SamplingParams, TextModel, WeightFormat};
fn main() {
    let p = model::fetch::model_path(None).unwrap();
    let fmts: Vec<WeightFormat> = std::env::args()
        .skip(1)
        .map(|a| match a.as_str() {
            "f32" => WeightFormat::F32,
            "q8" => WeightFormat::Q8_0,
            _ => WeightFormat::Q4_1Fast,
        })
        .collect();
    let mut base: Option<Vec<f32>> = None;
    for f in fmts {
        let t = std::time::Instant::now();
        let mut m = TextModel::load_unverified(&p, f).unwrap();
        println!("{f:?} load {:?}", t.elapsed());
        let ids = m
            .prompt_tokens(&[ChatMessage::user("What is the capital of France?")])
            .unwrap();
        let l = m.next_token_logits(&ids).unwrap();
        let am = l
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap();
        println!("argmax {am:?}");
        if let Some(b) = &base {
            let d = b
                .iter()
                .zip(&l)
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            let mx = b.iter().fold(0f32, |m, v| m.max(v.abs()));
            println!("max diff {d} (max |logit| {mx})");
        } else {
            base = Some(l);
        }
        for q in [
            "What is 2+2? Answer with the number.",
            "What is the capital of France?",
            "Write a long story about a dragon who learns to fly.",
        ] {
            let g = m
                .generate(&[ChatMessage::user(q)], &SamplingParams::greedy(32))
                .unwrap();
            println!(
                "  {q} -> {:?} | {:.1} tok/s decode, prompt {} in {:?}",
                g.text,
                g.tokens_per_second(),
                g.prompt_tokens,
                g.timings.prompt
            );
        }
    }
}

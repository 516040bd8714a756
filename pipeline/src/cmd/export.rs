//! `mull export`: a checkpoint in the Hugging Face layout.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A checkpoint directory (`mull distill sft|prm --out`).
    checkpoint: PathBuf,
    /// The directory to write: config.json, model.safetensors, tokenizer.json,
    /// tokenizer_config.json, generation_config.json and a model card (README.md).
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let exported = mull_distill::export::export(&args.checkpoint, &args.out)
        .with_context(|| format!("exporting {}", args.checkpoint.display()))?;
    eprintln!(
        "export: {} with {} tensors into {} ({} files)",
        exported.architecture,
        exported.tensors,
        args.out.display(),
        exported.files.len()
    );
    Ok(ExitCode::SUCCESS)
}

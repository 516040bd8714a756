//! `mull generate`: problems of one family, deterministic from (seed, index).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use mull_generators::GeneratorSpec;

use crate::io::Output;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Problem family: arithmetic, equations, countdown, cipher, code.
    #[arg(long)]
    family: String,
    /// Number of problems.
    #[arg(long)]
    count: u64,
    /// Run seed; with the index it fixes every problem's bytes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Index of the first problem (later indices never change earlier problems).
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Difficulty level (1 = easiest); drawn per problem over all levels when absent.
    #[arg(long)]
    difficulty: Option<u8>,
    /// Family variant (cipher: caesar, vigenere, substitution, pair-average); drawn when absent.
    #[arg(long)]
    variant: Option<String>,
    /// Output file (JSONL; zstd when the name ends in `.zst`); stdout when absent.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let spec = GeneratorSpec {
        family: args.family.clone(),
        variant: args.variant.clone(),
        difficulty: args.difficulty,
    };
    let Some(end) = args.start.checked_add(args.count) else {
        anyhow::bail!(
            "--start {} plus --count {} is past the last index ({}): lower one of them",
            args.start,
            args.count,
            u64::MAX
        );
    };
    let mut out = Output::create(args.out.as_deref())?;
    for index in args.start..end {
        let problem = mull_generators::generate(&spec, args.seed, index)
            .with_context(|| format!("--family {}", args.family))?;
        out.write(&problem)?;
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

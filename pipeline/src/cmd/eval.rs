//! `mull eval`: test-time compute on held-out problems.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use mull_data::Family;
use mull_pipeline::config::SamplingConfig;
use mull_pipeline::jobs::eval::{eval, EvalOptions, Problems};
use mull_pipeline::progress::ProgressMode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The model: a mull checkpoint directory, an HF safetensors directory or a GGUF file.
    #[arg(long)]
    model: PathBuf,
    /// A PRM checkpoint (`mull distill prm`) to score every sample's steps.
    #[arg(long)]
    prm: Option<PathBuf>,
    /// Problems as JSONL (instead of --family/--count/--seed/--difficulty).
    #[arg(long, conflicts_with_all = ["family", "count", "difficulty"])]
    problems: Option<PathBuf>,
    /// The family of generated problems.
    #[arg(long, requires = "count")]
    family: Option<Family>,
    /// Problems per difficulty level.
    #[arg(long, value_parser = crate::io::at_least_one)]
    count: Option<usize>,
    /// The generator seed of the problems; must differ from the training runs' seeds.
    #[arg(long, default_value_t = 900_001)]
    seed: u64,
    /// Difficulty levels, each with its own problems.
    #[arg(long, num_args = 1.., default_values_t = [1u8])]
    difficulty: Vec<u8>,
    /// Samples per problem.
    #[arg(short, default_value_t = 16, value_parser = crate::io::at_least_one)]
    k: usize,
    #[arg(long, default_value_t = 0.8)]
    temperature: f32,
    #[arg(long, default_value_t = 256, value_parser = crate::io::at_least_one)]
    max_new_tokens: usize,
    /// Seeds the samples (with each problem and attempt id).
    #[arg(long, default_value_t = 1)]
    sampling_seed: u64,
    /// The output directory: pool.jsonl, metrics.json, metrics.md.
    #[arg(long)]
    out: PathBuf,
    /// No progress lines or bars.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let problems = match (&args.problems, args.family, args.count) {
        (Some(path), _, _) => Problems::File(path.clone()),
        (None, Some(family), Some(count)) => Problems::Generate {
            family,
            count: count as u64,
            seed: args.seed,
            difficulties: args.difficulty.clone(),
        },
        _ => bail!("give --problems FILE, or --family F --count N (with --seed, --difficulty)"),
    };
    let opts = EvalOptions {
        model: args.model.clone(),
        prm: args.prm.clone(),
        problems,
        k: u32::try_from(args.k).context("-k is too large")?,
        sampling: SamplingConfig {
            temperature: args.temperature,
            top_p: 1.0,
            max_new_tokens: args.max_new_tokens,
            ..SamplingConfig::default()
        },
        seed: args.sampling_seed,
        out: args.out.clone(),
        progress: ProgressMode::detect(args.quiet),
    };
    let start = Instant::now();
    let quiet = args.quiet;
    let summary = eval(&opts, &mut |line| {
        if !quiet {
            eprintln!("eval: {line}");
        }
    })
    .with_context(|| format!("evaluating {}", args.model.display()))?;
    if !quiet {
        eprintln!(
            "eval: {} problems, {} samples, pass@1 {:.3}, {} prompts also in the training data; \
             {:.1} s; metrics in {}",
            summary.problems,
            summary.samples,
            summary.pass_at_1,
            summary.prompt_overlap,
            start.elapsed().as_secs_f64(),
            args.out.join("metrics.md").display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

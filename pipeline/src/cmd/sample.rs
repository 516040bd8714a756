//! `mull sample`: chains of thought from a model, for one prompt (printed) or for every problem
//! of a file (Attempt records, ready for `mull verify`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use mull_data::{ids, Problem};
use mull_models::load::{load, LoadOptions, LoadedModel, WeightsKind};
use mull_models::sampler::PromptJob;
use mull_models::sampling::SamplingParams;

use mull_pipeline::stages::sample::attempt_record;

use crate::io::{read_records, Output};

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("input").required(true).args(["prompt", "problems"]))]
pub struct Args {
    /// A GGUF llama file or an HF model directory (config.json, model.safetensors, tokenizer.json).
    #[arg(long)]
    model: PathBuf,
    /// One user message; the attempts are printed.
    #[arg(long)]
    prompt: Option<String>,
    /// Problems (JSONL); writes N Attempt records per problem to --out.
    #[arg(long, value_name = "FILE")]
    problems: Option<PathBuf>,
    /// Attempts per prompt.
    #[arg(short = 'n', long = "num-attempts", default_value_t = 4)]
    n: u32,
    /// Softmax temperature; 0 is greedy.
    #[arg(long, default_value_t = 0.8)]
    temperature: f32,
    /// Nucleus sampling mass (1 disables).
    #[arg(long, default_value_t = 0.95)]
    top_p: f32,
    /// Keep only the k most likely tokens.
    #[arg(long)]
    top_k: Option<usize>,
    /// Most tokens generated per attempt.
    #[arg(long, default_value_t = 256)]
    max_new_tokens: usize,
    /// Stop strings (repeatable).
    #[arg(long)]
    stop: Vec<String>,
    /// Run seed; each attempt's draws are seeded from (seed, prompt or problem id, attempt index).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// System message (the template's default when absent).
    #[arg(long)]
    system: Option<String>,
    /// Weights to sample with: auto is native for GGUF files on CPU (the file's exact integers
    /// on 16-bit activations), f32 otherwise; q8_0 runs candle's 8-bit kernel.
    #[arg(long, value_enum, default_value_t = WeightsArg::Auto)]
    weights: WeightsArg,
    /// Prompts decoded together in one block (all N attempts of each prompt share the block).
    #[arg(long, default_value_t = 4, value_parser = crate::io::at_least_one)]
    block: usize,
    /// Output for --problems (JSONL); stdout when absent.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum WeightsArg {
    Auto,
    F32,
    #[value(name = "q8_0")]
    Q8_0,
    Native,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let params = SamplingParams {
        temperature: args.temperature,
        top_k: args.top_k,
        top_p: (args.top_p < 1.0).then_some(args.top_p),
        max_new_tokens: args.max_new_tokens,
        stop: args.stop.clone(),
    };
    params.validate().context("sampling parameters")?;
    if args.n == 0 {
        bail!("-n must be at least 1");
    }
    let weights = match args.weights {
        WeightsArg::Auto => WeightsKind::Auto,
        WeightsArg::F32 => WeightsKind::F32,
        WeightsArg::Q8_0 => WeightsKind::Q8_0,
        WeightsArg::Native => WeightsKind::Native,
    };
    let model = load(
        &args.model,
        LoadOptions {
            weights,
            ..LoadOptions::default()
        },
    )
    .with_context(|| format!("loading model {}", args.model.display()))?;
    if let Some(prompt) = &args.prompt {
        sample_prompt(&args, &model, &params, prompt)
    } else if let Some(problems) = &args.problems {
        sample_problems(&args, &model, &params, problems)
    } else {
        bail!("give --prompt TEXT or --problems FILE")
    }
}

fn seeds(run_seed: u64, key: &str, n: u32) -> Vec<u64> {
    (0..n)
        .map(|i| ids::attempt_seed(run_seed, key, i))
        .collect()
}

fn sample_prompt(
    args: &Args,
    model: &LoadedModel,
    params: &SamplingParams,
    prompt: &str,
) -> Result<ExitCode> {
    let job = PromptJob {
        prompt: model.chat_prompt(args.system.as_deref(), prompt)?,
        seeds: seeds(args.seed, prompt, args.n),
    };
    let attempts = model.sample(std::slice::from_ref(&job), params, 1)?;
    for (i, attempt) in attempts.iter().flatten().enumerate() {
        println!(
            "── attempt {i} ({}, {} tokens)\n{}\n",
            attempt.finish.as_str(),
            attempt.tokens.len(),
            attempt.text
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn sample_problems(
    args: &Args,
    model: &LoadedModel,
    params: &SamplingParams,
    path: &std::path::Path,
) -> Result<ExitCode> {
    crate::io::check_output_is_not_input(args.out.as_deref(), &[path])?;
    let problems: Vec<Problem> = read_records(path)?;
    crate::io::check_unique_ids(&problems, path, "its attempts would share ids")?;
    let jobs = problems
        .iter()
        .map(|p| {
            Ok(PromptJob {
                prompt: model.chat_prompt(args.system.as_deref(), &p.prompt)?,
                seeds: seeds(args.seed, &p.id, args.n),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut out = Output::create(args.out.as_deref())?;
    // Blocks are fixed runs of problems in file order, so the output never depends on timing.
    for (block_problems, block_jobs) in problems.chunks(args.block).zip(jobs.chunks(args.block)) {
        let sampled = model.sample(block_jobs, params, args.block)?;
        for ((problem, job), attempts) in block_problems.iter().zip(block_jobs).zip(sampled) {
            for ((i, attempt), seed) in (0u32..).zip(attempts).zip(&job.seeds) {
                let record = attempt_record(
                    &problem.id,
                    i,
                    attempt,
                    params,
                    *seed,
                    &model.weights_sha256,
                );
                out.write(&record)?;
            }
        }
        eprintln!("sampled {} problems", block_problems.len());
    }
    out.finish()?;
    Ok(ExitCode::SUCCESS)
}

//! `mull bench pipeline`: what the dataflow costs and how it scales, measured in this process.
//!
//! - Problems per second through generate → sample (the oracle, replaying reference chains)
//!   → verify → label → shards, with 1 and with 2 workers, and their ratio.
//! - With a model: tokens per second inside `mull run`, against the same prompts and seeds
//!   sampled by calling the sample stage directly (no dataflow): the difference is what the
//!   dataflow costs. The two must give the same tokens, which is checked.
//!
//! Benchmarks print; tests never assert on time.

use std::path::{Path, PathBuf};
use std::time::Instant;

use mull_data::Family;

use crate::config::{Overrides, RunConfig};
use crate::error::PipelineError;
use crate::jobs::run::{run, RunOptions, RunSummary};
use crate::progress::ProgressMode;
use crate::stages::sample::{PromptBuilder, Teacher};
use crate::stages::{generate, ProblemWork};

/// The oracle config of the throughput figure: four families with exact verifiers.
pub fn oracle_config(problems: u64) -> String {
    let each = problems.div_ceil(4);
    let mut text = String::from(
        "out = \"bench\"\nseed = 1\nshard-size = 1000\nblocks-in-flight = 8\n\
         [teacher]\nkind = \"oracle\"\ncorrupt-rate = 0.0\n[sampling]\nattempts = 1\n",
    );
    let exact = [
        Family::Arithmetic,
        Family::Equations,
        Family::Countdown,
        Family::Cipher,
    ];
    for family in exact {
        text.push_str(&format!("[families.{family}]\ncount = {each}\n"));
    }
    text
}

/// A model config: easy arithmetic, `attempts` per problem.
pub fn model_config(model: &Path, problems: u64, attempts: u32, max_new_tokens: usize) -> String {
    format!(
        "out = \"bench\"\nseed = 1\nshard-size = {problems}\n\
         [families.arithmetic]\ncount = {problems}\ndifficulty = [1, 1]\n\
         [teacher]\nkind = \"model\"\npath = {path:?}\n\
         [sampling]\nattempts = {attempts}\ntemperature = 0.7\ntop-p = 0.95\n\
         max-new-tokens = {max_new_tokens}\nprompts-per-block = 1\n",
        path = model.display().to_string(),
    )
}

/// Runs `config_text` into a fresh directory under `scratch` with `workers` workers.
pub fn timed_run(
    scratch: &Path,
    name: &str,
    config_text: &str,
    workers: usize,
) -> Result<RunSummary, PipelineError> {
    let config = scratch.join(format!("{name}.toml"));
    std::fs::write(&config, config_text).map_err(|source| PipelineError::Io {
        path: config.clone(),
        source,
    })?;
    let summary = run(&RunOptions {
        config,
        overrides: Overrides {
            out: Some(scratch.join(name)),
            workers: Some(workers),
        },
        cluster: None,
        progress: ProgressMode::Quiet,
    })?;
    summary.ok_or_else(|| PipelineError::Dataflow("no summary from process 0".into()))
}

/// Problems per second with 1 and 2 workers.
pub fn bench_throughput(scratch: &Path, problems: u64) -> Result<String, PipelineError> {
    let text = oracle_config(problems);
    let mut out = String::from("workers  problems  seconds  problems/s\n");
    let mut rates = Vec::new();
    for workers in [1, 2] {
        let s = timed_run(scratch, &format!("oracle-w{workers}"), &text, workers)?;
        let secs = s.dataflow_wall.as_secs_f64();
        let rate = s.tally.problems as f64 / secs.max(1e-9);
        rates.push(rate);
        out.push_str(&format!(
            "{workers:>7}  {:>8}  {secs:>7.2}  {rate:>10.0}\n",
            s.tally.problems
        ));
    }
    out.push_str(&format!("-w 2 / -w 1: {:.2}x\n", rates[1] / rates[0]));
    Ok(out)
}

/// Tokens per second inside `mull run` against the sample stage called directly.
pub fn bench_model(
    scratch: &Path,
    model: &Path,
    problems: u64,
    attempts: u32,
    max_new_tokens: usize,
) -> Result<String, PipelineError> {
    let text = model_config(model, problems, attempts, max_new_tokens);
    let summary = timed_run(scratch, "model", &text, 1)?;
    let in_run = summary.tally.tokens as f64 / summary.dataflow_wall.as_secs_f64().max(1e-9);

    // The same prompts and seeds through the sample stage alone.
    let config = RunConfig::from_toml(&text, Path::new("bench"))?;
    let prompts = PromptBuilder::new(&config)?;
    let loaded =
        mull_models::load(model, mull_models::LoadOptions::default()).map_err(|source| {
            PipelineError::Teacher {
                path: model.to_path_buf(),
                source,
            }
        })?;
    let teacher = Teacher::model(loaded, &config, prompts);
    let family = &config.families[&Family::Arithmetic];
    let mut work = (0..problems)
        .map(|i| {
            generate::problem(Family::Arithmetic, family, config.seed, i).map(ProblemWork::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    work.sort_by(|a, b| a.problem.id.cmp(&b.problem.id));
    let start = Instant::now();
    teacher.sample(&mut work, 0);
    let secs = start.elapsed().as_secs_f64();
    let tokens: u64 = work
        .iter()
        .flat_map(|w| &w.attempts)
        .map(|a| u64::from(a.tokens))
        .sum();
    let direct = tokens as f64 / secs.max(1e-9);
    let same = if tokens == summary.tally.tokens {
        "same tokens"
    } else {
        "DIFFERENT tokens"
    };
    Ok(format!(
        "SmolLM2, {problems} problems x {attempts} attempts, one prompt per block ({same}):\n\
         inside mull run   {in_run:>8.1} tok/s  ({} tokens in {:.2} s of dataflow)\n\
         sample stage      {direct:>8.1} tok/s  ({tokens} tokens in {secs:.2} s)\n\
         dataflow cost     {:>8.1}%\n",
        summary.tally.tokens,
        summary.dataflow_wall.as_secs_f64(),
        100.0 * (1.0 - in_run / direct),
    ))
}

/// Peak RSS of `mull run` child processes on the oracle config at `problems` and 10x that.
pub fn bench_memory(scratch: &Path, mull: &Path, problems: u64) -> Result<String, PipelineError> {
    let mut out = String::from("problems  peak RSS (MiB)\n");
    let mut peaks = Vec::new();
    for n in [problems, problems * 10] {
        let config = scratch.join(format!("mem-{n}.toml"));
        std::fs::write(&config, oracle_config(n)).map_err(|source| PipelineError::Io {
            path: config.clone(),
            source,
        })?;
        let output = std::process::Command::new(mull)
            .arg("run")
            .arg(&config)
            .arg("--out")
            .arg(scratch.join(format!("mem-{n}")))
            .output()
            .map_err(|source| PipelineError::Io {
                path: PathBuf::from(mull),
                source,
            })?;
        let text = String::from_utf8_lossy(&output.stdout);
        let peak = text
            .lines()
            .find_map(|l| {
                l.strip_prefix("peak RSS ")?
                    .strip_suffix(" MiB")?
                    .parse::<f64>()
                    .ok()
            })
            .ok_or_else(|| {
                PipelineError::Dataflow(format!(
                    "no peak RSS from mull run: {}",
                    String::from_utf8_lossy(&output.stderr)
                ))
            })?;
        peaks.push(peak);
        out.push_str(&format!("{n:>8}  {peak:>13.1}\n"));
    }
    out.push_str(&format!(
        "10x problems / 1x: {:.2}x peak RSS\n",
        peaks[1] / peaks[0]
    ));
    Ok(out)
}

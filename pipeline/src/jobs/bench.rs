//! `mull bench pipeline`: what the dataflow costs and how it scales, measured in this process.
//!
//! - Problems per second through generate → sample (the oracle, replaying reference chains)
//!   → verify → label → shards, with 1 and with 2 workers, and their ratio.
//! - With a model: tokens per second inside `mull run`, against the same prompts and seeds
//!   sampled by calling the sample stage directly (no dataflow): the difference is what the
//!   dataflow costs. The two must give the same tokens, which is checked. Beside them,
//!   `mull bench sample`'s own figure at the same N (its fixed short prompt, no stop).
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

/// Problems per second with 1 and 2 workers: the two take turns for `rounds` rounds and each
/// keeps its best, so a burst of load on a shared machine hits both alike.
pub fn bench_throughput(
    scratch: &Path,
    problems: u64,
    rounds: u64,
) -> Result<String, PipelineError> {
    let text = oracle_config(problems);
    let mut best: [Option<(u64, f64)>; 2] = [None, None];
    let mut runs = Vec::new();
    // -w 1 seconds / -w 2 seconds of each round, its two runs back to back.
    let mut paired = Vec::new();
    for round in 0..rounds.max(1) {
        let mut secs_of = [0.0; 2];
        for (slot, workers) in [1usize, 2].into_iter().enumerate() {
            let name = format!("oracle-w{workers}-{round}");
            let s = timed_run(scratch, &name, &text, workers)?;
            runs.push(name);
            let secs = s.dataflow_wall.as_secs_f64();
            secs_of[slot] = secs;
            if best[slot].is_none_or(|(_, b)| secs < b) {
                best[slot] = Some((s.tally.problems, secs));
            }
        }
        paired.push(secs_of[0] / secs_of[1].max(1e-9));
    }
    // Removed only now: ext4 passes over inodes freed in the last minutes when it makes a
    // file, so a run that follows a removal pays for it (0.3 s of system time in a 1.4 s run
    // with -w 1, measured) and a nightly run does not.
    for name in runs {
        let _ = std::fs::remove_dir_all(scratch.join(name));
    }
    let mut out = format!("workers  problems  seconds  problems/s   (best of {rounds} rounds)\n");
    let mut rates = Vec::new();
    for (workers, (n, secs)) in [1, 2].into_iter().zip(best.into_iter().flatten()) {
        let rate = n as f64 / secs.max(1e-9);
        rates.push(rate);
        out.push_str(&format!(
            "{workers:>7}  {n:>8}  {secs:>7.2}  {rate:>10.0}\n"
        ));
    }
    out.push_str(&format!("-w 2 / -w 1: {:.2}x\n", rates[1] / rates[0]));
    // Each round's own ratio: the machine's drift between rounds cancels out of it.
    paired.sort_by(f64::total_cmp);
    let shown: Vec<String> = paired.iter().map(|r| format!("{r:.2}")).collect();
    out.push_str(&format!(
        "each round's ratio: {} (median {:.2}x)\n",
        shown.join(" "),
        median(&paired)
    ));
    Ok(out)
}

/// Tokens per second inside `mull run` against the sample stage called directly.
pub fn bench_model(
    scratch: &Path,
    model: &Path,
    problems: u64,
    attempts: u32,
    max_new_tokens: usize,
    rounds: u64,
) -> Result<String, PipelineError> {
    let text = model_config(model, problems, attempts, max_new_tokens);
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
    let mut problems_work = (0..problems)
        .map(|i| {
            generate::problem(Family::Arithmetic, family, config.seed, i).map(ProblemWork::new)
        })
        .collect::<Result<Vec<_>, _>>()?;
    problems_work.sort_by(|a, b| a.problem.id.cmp(&b.problem.id));

    // `mull run` and the sample stage alone (the same prompts and seeds) take turns, each
    // keeping its best round, so a burst of load on a shared machine hits both alike.
    let mut best_run: Option<RunSummary> = None;
    let mut best_stage: Option<(u64, f64)> = None;
    for round in 0..rounds.max(1) {
        let name = format!("model-{round}");
        let summary = timed_run(scratch, &name, &text, 1)?;
        let _ = std::fs::remove_dir_all(scratch.join(&name));
        if best_run
            .as_ref()
            .is_none_or(|b| summary.dataflow_wall < b.dataflow_wall)
        {
            best_run = Some(summary);
        }
        let mut work = problems_work.clone();
        let start = Instant::now();
        teacher.sample(&mut work, 0);
        let secs = start.elapsed().as_secs_f64();
        let tokens: u64 = work.iter().map(ProblemWork::tokens).sum();
        if best_stage.is_none_or(|(_, b)| secs < b) {
            best_stage = Some((tokens, secs));
        }
    }
    let (Some(summary), Some((tokens, secs))) = (best_run, best_stage) else {
        return Err(PipelineError::Dataflow("no model rounds ran".into()));
    };
    let in_run = summary.tally.tokens as f64 / summary.dataflow_wall.as_secs_f64().max(1e-9);
    let direct = tokens as f64 / secs.max(1e-9);
    // `mull bench sample`'s own figure at the same N: its fixed 64-token prompt and 32 tokens
    // decoded without stopping, so it says what the kernel does, not what a run's prompts cost.
    let options = mull_models::bench::BenchOptions {
        attempts: vec![attempts as usize],
        engines: vec![mull_models::bench::BenchEngine::Native],
        rounds: 1,
        ..Default::default()
    };
    let measure = format!("aggregate N={attempts}");
    let bench_sample = mull_models::bench::bench_sample(model, &options)
        .map_err(|source| PipelineError::Teacher {
            path: model.to_path_buf(),
            source,
        })?
        .rows
        .iter()
        .find(|r| r.measure == measure)
        .map_or(f64::NAN, |r| r.tok_per_s());
    let same = if tokens == summary.tally.tokens {
        "same tokens"
    } else {
        "DIFFERENT tokens"
    };
    Ok(format!(
        "SmolLM2, {problems} problems x {attempts} attempts, one prompt per block ({same}, best of {rounds} rounds):\n\
         inside mull run   {in_run:>8.1} tok/s  ({} tokens in {:.2} s of dataflow)\n\
         sample stage      {direct:>8.1} tok/s  ({tokens} tokens in {secs:.2} s)\n\
         dataflow cost     {:>8.1}%\n\
         mull bench sample {bench_sample:>8.1} tok/s  (N={attempts}: 64-token prompt, 32 tokens, no stop)\n\
         inside mull run / mull bench sample: {:.2}\n",
        summary.tally.tokens,
        summary.dataflow_wall.as_secs_f64(),
        100.0 * (1.0 - in_run / direct),
        in_run / bench_sample,
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

/// The middle value of sorted `values` (the mean of the two middle ones for an even count).
fn median(values: &[f64]) -> f64 {
    match values.len() {
        0 => 0.0,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

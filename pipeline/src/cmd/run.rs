//! `mull run`: the whole pipeline from one config into one run directory.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use mull_pipeline::config::Overrides;
use mull_pipeline::jobs::cluster::Cluster;
use mull_pipeline::jobs::run::{run as run_job, RunOptions, RunSummary};
use mull_pipeline::progress::ProgressMode;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run config (TOML; see configs/).
    config: PathBuf,
    /// The run directory (overrides the config's `out`).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Worker threads in this process (overrides the config's `workers`).
    #[arg(short = 'w', long)]
    workers: Option<usize>,
    /// Processes of a cluster run (each started with the same command and its own --process).
    #[arg(long, requires = "hostfile")]
    processes: Option<usize>,
    /// This process's index in the cluster, from 0.
    #[arg(long, requires = "processes")]
    process: Option<usize>,
    /// One host:port per line, one line per process, in process order.
    #[arg(long, value_name = "FILE")]
    hostfile: Option<PathBuf>,
    /// Seconds a cluster process waits for every other to connect before it gives up (a
    /// process that failed its checks, or was never started, would leave it waiting).
    #[arg(long, value_name = "SECS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..))]
    connect_timeout: u64,
    /// No progress and no summary (errors are still printed).
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let cluster = match (args.processes, args.process, &args.hostfile) {
        (None, None, None) => None,
        (Some(n), Some(i), Some(hostfile)) => Some(Cluster::from_hostfile(
            hostfile,
            n,
            i,
            Duration::from_secs(args.connect_timeout),
        )?),
        (Some(_), None, _) => bail!("--processes needs --process I (this process's index)"),
        _ => bail!("a cluster run needs --processes N, --process I and --hostfile FILE"),
    };
    let options = RunOptions {
        config: args.config.clone(),
        overrides: Overrides {
            out: args.out.clone(),
            workers: args.workers,
        },
        cluster,
        progress: ProgressMode::detect(args.quiet),
    };
    let summary =
        run_job(&options).with_context(|| format!("mull run {}", args.config.display()))?;
    if let (Some(summary), false) = (summary, args.quiet) {
        print_summary(&summary);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_summary(s: &RunSummary) {
    let t = &s.tally;
    println!(
        "{} problems, {} attempts, {} correct ({:.1}%), {} distinct verified chains",
        t.problems,
        t.attempts,
        t.correct,
        percent(t.correct, t.attempts),
        t.distinct_verified
    );
    println!("pass rate by family and difficulty (attempts correct / problems solved):");
    for (key, rate) in t.pass_rates() {
        println!(
            "  {key:<16} {:>6.1}% of {:>6} attempts   {:>6.1}% of {:>5} problems",
            100.0 * rate.rate(),
            rate.attempts,
            percent(rate.solved, rate.problems),
            rate.problems
        );
    }
    println!(
        "{} sft records, {} prm records ({} labelled steps), {} rejects",
        t.sft, t.prm, t.prm_steps, t.rejects
    );
    if t.rollout_attempts > 0 {
        println!(
            "rollouts: {} continuations for {} failed attempts ({:.1} each)",
            t.rollouts,
            t.rollout_attempts,
            t.rollouts as f64 / t.rollout_attempts as f64
        );
    }
    let secs = s.wall.as_secs_f64();
    println!(
        "{} blocks ({} reused), {:.1} s, {:.1} tokens/s sampled",
        s.blocks,
        s.reused,
        secs,
        s.new_tokens as f64 / secs.max(1e-9)
    );
    if let Some(mib) = peak_rss_mib() {
        println!("peak RSS {mib:.1} MiB");
    }
    for kind in mull_pipeline::run_dir::KINDS {
        println!("  {}", s.dir.join(kind).display());
    }
    println!("  {}", s.dir.join("manifest.json").display());
}

/// The process's peak resident set (`VmHWM`), where /proc says it.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

//! `mull`: turns compute into verified reasoning data and smaller models that reason.
//!
//! This binary is the only place that prints, exits, or names `anyhow`; every command lives in
//! its own module under [`cmd`] and reads and writes records through [`io`].

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod io;
mod signals;

/// Verified reasoning data from problem generators, a teacher model and exact verifiers.
#[derive(Debug, Parser)]
#[command(name = "mull", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the pipeline: generate, sample, verify and label into one run directory.
    Run(cmd::run::Args),
    /// Generate problems of one family as JSONL (zstd-compressed when the name ends in `.zst`).
    Generate(cmd::generate::Args),
    /// Grade attempts against their problems, or check the problems' own reference solutions.
    Verify(cmd::verify::Args),
    /// Grade model outputs from other tools: free-text math answers or HumanEval completions.
    #[command(subcommand)]
    Grade(cmd::grade::Grade),
    /// Pretty-print the records of any JSONL or shard file.
    Inspect(cmd::inspect::Args),
    /// Sample chains of thought from a model (GGUF file or HF safetensors directory).
    Sample(cmd::sample::Args),
    /// Measure throughput: problem generation, verification, model sampling.
    #[command(subcommand)]
    Bench(cmd::bench::Bench),
    /// Train a student on run directories.
    #[command(subcommand)]
    Distill(cmd::distill::Distill),
    /// Write a checkpoint in the Hugging Face layout (transformers loads it).
    Export(cmd::export::Args),
    /// Sample k attempts per held-out problem, verify them, score them with a PRM, and report
    /// pass@k, maj@k, PRM best-of-N and weighted majority at N = 1, 2, 4, ..., k.
    Eval(cmd::eval::Args),
    /// An HTML page with plots (PNG and SVG) and markdown tables over evaluation and training
    /// directories.
    Report(cmd::report::Args),
}

/// mimalloc rather than glibc's malloc, for two measured reasons. In `mull run -w 2` records
/// made on one worker are freed on the other, which under glibc takes the other arena's lock:
/// mimalloc frees across threads without one, and a -w 2 run spends no more CPU than a -w 1
/// run (a fifth more under glibc). And candle allocates and frees tensors of megabytes every
/// decode step (logits alone are 12.5 MB at 64 rows), which glibc handed back to the OS each
/// time unless its thresholds were raised (`mallopt`); mimalloc reuses them as it is, and
/// `mull bench sample` is as fast or faster with it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc.h (the same in its v2 and v3).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to keep memory it has freed instead of returning it to the OS 10 ms later
/// (its default), so the next allocation of that size reuses it. A batch job's memory peaks
/// early and stays near its peak, so nothing is gained by returning it, and on a virtual
/// machine each page taken back costs a fault and a zeroing when it is used again: in `mull
/// bench pipeline` (SmolLM2, 16 attempts) the kernel's `clear_page` took 17% of a run's CPU,
/// and sampling inside `mull run` went from 462–476 to 575–590 tok/s with this setting (run
/// alternately, same machine). `MIMALLOC_PURGE_DELAY` in the environment still wins.
fn keep_freed_memory() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one option of the allocator, which reads options atomically.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) };
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    signals::install();
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MULL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Run(args) => cmd::run::run(args),
        Command::Generate(args) => cmd::generate::run(args),
        Command::Verify(args) => cmd::verify::run(args),
        Command::Grade(grade) => cmd::grade::run(grade),
        Command::Inspect(args) => cmd::inspect::run(args),
        Command::Sample(args) => cmd::sample::run(args),
        Command::Bench(bench) => cmd::bench::run(bench),
        Command::Distill(distill) => cmd::distill::run(distill),
        Command::Export(args) => cmd::export::run(args),
        Command::Eval(args) => cmd::eval::run(args),
        Command::Report(args) => cmd::report::run(args),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`mull inspect f | head`): a normal end, as for grep and rg.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", one_line(&err));
            ExitCode::FAILURE
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|cause| {
        // serde_json keeps the I/O error of a writer inside its own error, not as a source.
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == BrokenPipe)
            || cause
                .downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(BrokenPipe))
    })
}

/// The context chain joined on one line ("reading x.jsonl: x.jsonl:3: expected `,`"), each
/// message once: a cause whose text its parent already ends with is not repeated (an I/O error
/// names the file and then its OS error, which is also its source).
fn one_line(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if parts.last().is_some_and(|last| last.ends_with(&text)) {
            continue;
        }
        parts.push(text);
    }
    parts.join(": ")
}

//! `mull distill`: train a student on run directories.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mull_distill::train::sft::{train_sft, Student};
use mull_distill::train::spec::StudentSpec;
use mull_distill::train::trainer::{Job, StepLog};
use mull_pipeline::progress::ProgressMode;

#[derive(Debug, clap::Subcommand)]
pub enum Distill {
    /// Supervised fine-tuning on the sft/ shards of run directories: loss on the assistant's
    /// completion only, AdamW with warm-up and cosine decay, exact resume from checkpoints.
    Sft(SftArgs),
}

#[derive(Debug, clap::Args)]
pub struct SftArgs {
    /// Run directories (`mull run` output) whose sft/ shards are the training data.
    #[arg(long, value_name = "RUN_DIR", num_args = 1.., required = true)]
    data: Vec<PathBuf>,
    /// A student spec (TOML with `[model]` and `[train]`, see configs/student-tiny.toml) to
    /// train from scratch, or a checkpoint directory to continue from.
    #[arg(long, value_name = "CONFIG|CHECKPOINT")]
    model: PathBuf,
    /// With a checkpoint as --model: a spec file whose `[train]` settings to use (defaults
    /// otherwise).
    #[arg(long, value_name = "CONFIG")]
    train: Option<PathBuf>,
    /// The output directory: checkpoints (a model directory plus optimizer state) and
    /// metrics.jsonl.
    #[arg(long)]
    out: PathBuf,
    /// Continue the run whose checkpoint is in --out (same data and settings).
    #[arg(long)]
    resume: bool,
    /// No progress bar or summary.
    #[arg(short, long)]
    quiet: bool,
}

pub fn run(distill: Distill) -> Result<ExitCode> {
    match distill {
        Distill::Sft(args) => sft(args),
    }
}

fn sft(args: SftArgs) -> Result<ExitCode> {
    let (student, train) = if args.model.is_dir() {
        let train = match &args.train {
            Some(path) => StudentSpec::from_file(path)?.train,
            None => Default::default(),
        };
        (Student::Checkpoint(args.model.clone()), train)
    } else {
        let spec = StudentSpec::from_file(&args.model)?;
        let Some(model) = spec.model else {
            bail!(
                "{}: no [model] section: a spec trains from scratch (or give a checkpoint dir)",
                args.model.display()
            );
        };
        (Student::Scratch(model), spec.train)
    };
    let job = Job {
        data: args.data.clone(),
        train,
        out: args.out.clone(),
        resume: args.resume,
        stop_after: None,
    };
    let mode = ProgressMode::detect(args.quiet);
    let bar = ProgressBar::with_draw_target(
        Some(job.train.steps),
        match mode {
            ProgressMode::Bars => ProgressDrawTarget::stderr(),
            _ => ProgressDrawTarget::hidden(),
        },
    );
    if let Ok(style) = ProgressStyle::with_template("sft {bar:30} {pos}/{len} {msg}") {
        bar.set_style(style);
    }
    let start = Instant::now();
    let mut tokens = 0usize;
    let metrics = args.out.join("metrics.jsonl");
    let mut log_lines = String::new();
    let result = train_sft(&job, &student, &mut |s: &StepLog| {
        tokens += s.tokens;
        let rate = tokens as f64 / start.elapsed().as_secs_f64().max(1e-9);
        bar.set_position(s.step);
        bar.set_message(format!("loss {:.4}  {rate:.0} tok/s", s.loss));
        if mode == ProgressMode::Log && (s.held_out_loss.is_some() || s.step == s.total) {
            tracing::info!(step = s.step, loss = s.loss, held_out = ?s.held_out_loss, "sft");
        }
        log_lines.push_str(&step_line(s));
    })
    .with_context(|| format!("training into {}", args.out.display()))?;
    bar.finish_and_clear();
    append(&metrics, &log_lines)?;
    let (summary, cut) = (result.summary, result.cut);
    if mode != ProgressMode::Quiet {
        eprintln!(
            "sft: {} steps, {} training and {} held-out examples ({} cut to max-tokens), \
             loss {}, held-out loss {}, {:.0} tokens/s; checkpoint in {}",
            summary.steps,
            summary.train_examples,
            summary.held_out_examples,
            cut,
            fmt_loss(summary.train_loss),
            fmt_loss(summary.held_out_loss),
            summary.tokens as f64 / summary.seconds.max(1e-9),
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn fmt_loss(loss: Option<f64>) -> String {
    loss.map_or_else(|| "-".into(), |l| format!("{l:.4}"))
}

/// One line of metrics.jsonl.
fn step_line(s: &StepLog) -> String {
    let held = s
        .held_out_loss
        .map_or_else(String::new, |l| format!(",\"held-out-loss\":{l}"));
    format!(
        "{{\"step\":{},\"lr\":{},\"loss\":{},\"grad-norm\":{},\"tokens\":{}{held}}}\n",
        s.step, s.lr, s.loss, s.grad_norm, s.tokens
    )
}

fn append(path: &std::path::Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

//! `mull distill`: train a student on run directories.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mull_distill::train::prm::train_prm;
use mull_distill::train::sft::{train_sft, Student};
use mull_distill::train::spec::StudentSpec;
use mull_distill::train::trainer::{Job, StepLog};
use mull_pipeline::progress::ProgressMode;

#[derive(Debug, clap::Subcommand)]
pub enum Distill {
    /// Supervised fine-tuning on the sft/ shards of run directories: loss on the assistant's
    /// completion only, AdamW with warm-up and cosine decay, exact resume from checkpoints.
    Sft(TrainArgs),
    /// A process reward model (the decoder with a per-step score head) on the prm/ shards of
    /// run directories: steps scored at their last token + `\n` as TRL does, hard labels or
    /// rollout fractions; reports held-out step accuracy and first-error F1.
    Prm(TrainArgs),
}

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Run directories (`mull run` output) whose shards are the training data.
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
    let (kind, args) = match distill {
        Distill::Sft(args) => ("sft", args),
        Distill::Prm(args) => ("prm", args),
    };
    let (job, student) = job(&args)?;
    let mode = ProgressMode::detect(args.quiet);
    let bar = ProgressBar::with_draw_target(
        Some(job.train.steps),
        match mode {
            ProgressMode::Bars => ProgressDrawTarget::stderr(),
            _ => ProgressDrawTarget::hidden(),
        },
    );
    if let Ok(style) =
        ProgressStyle::with_template(&format!("{kind} {{bar:30}} {{pos}}/{{len}} {{msg}}"))
    {
        bar.set_style(style);
    }
    let start = Instant::now();
    let mut tokens = 0usize;
    // Lines reach metrics.jsonl with the checkpoint that holds their steps: a job stopped
    // between checkpoints and resumed logs every step once.
    let metrics = args.out.join("metrics.jsonl");
    let mut log_lines = String::new();
    let mut log_error = None;
    let mut on_step = |s: &StepLog| {
        tokens += s.tokens;
        let rate = tokens as f64 / start.elapsed().as_secs_f64().max(1e-9);
        bar.set_position(s.step);
        bar.set_message(format!("loss {:.4}  {rate:.0} tok/s", s.loss));
        if mode == ProgressMode::Log && (s.held_out_loss.is_some() || s.step == s.total) {
            tracing::info!(kind, step = s.step, loss = s.loss, held_out = ?s.held_out_loss, "training");
        }
        log_lines.push_str(&step_line(s));
        if s.checkpointed && log_error.is_none() {
            log_error = append(&metrics, &log_lines).err();
            log_lines.clear();
        }
    };
    let context = || format!("training into {}", args.out.display());
    let (summary, detail) = if kind == "sft" {
        let r = train_sft(&job, &student, &mut on_step).with_context(context)?;
        (r.summary, format!("{} examples cut to max-tokens", r.cut))
    } else {
        let r = train_prm(&job, &student, &mut on_step).with_context(context)?;
        let held = r.held_out.map_or_else(
            || "no held-out split".to_string(),
            |m| {
                format!(
                    "held-out step accuracy {:.3} over {} steps (AUC {}), first-error F1 {:.3} \
                     over {} records",
                    m.step_accuracy,
                    m.steps,
                    m.step_auc.map_or("n/a".into(), |a| format!("{a:.3}")),
                    m.first_error_f1,
                    m.records
                )
            },
        );
        (
            r.summary,
            format!("{} steps past max-tokens; {held}", r.dropped_steps),
        )
    };
    bar.finish_and_clear();
    if let Some(e) = log_error {
        return Err(e);
    }
    if mode != ProgressMode::Quiet {
        eprintln!(
            "{kind}: {} steps, {} training and {} held-out examples, loss {}, held-out loss {}, \
             {:.0} tokens/s; {detail}; checkpoint in {}",
            summary.steps,
            summary.train_examples,
            summary.held_out_examples,
            fmt_loss(summary.train_loss),
            fmt_loss(summary.held_out_loss),
            summary.tokens as f64 / summary.seconds.max(1e-9),
            args.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The job and the student the flags describe.
fn job(args: &TrainArgs) -> Result<(Job, Student)> {
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
    Ok((job, student))
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

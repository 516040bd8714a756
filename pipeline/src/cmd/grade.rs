//! `mull grade`: grade outputs of other tools, one output line per input line, same order.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use mull_verifiers::humaneval::{grade_humaneval_all, HumanEvalField, HumanEvalTask};
use mull_verifiers::math::{grade_math_with, MathOptions};
use mull_verifiers::sandbox::SandboxLimits;
use serde::{Deserialize, Serialize};

use crate::io::{read_records, Output};

#[derive(Debug, clap::Subcommand)]
pub enum Grade {
    /// Free-text math answers: each input line `{"gold": "...", "pred": "..."}`; each output line
    /// `{"correct", "gold", "pred", "reason"}` with gold and pred in canonical parsed form.
    Math(MathArgs),
    /// HumanEval-format records (task_id, prompt, test, entry_point and the solution field), run
    /// in the sandbox with the solution and the test as separate units; `judged` says whether
    /// the returned values were compared outside Python or the test's check ran inside.
    Humaneval(HumanEvalArgs),
}

#[derive(Debug, clap::Args)]
pub struct MathArgs {
    /// JSONL input (plain, .gz or .zst).
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Output file; stdout when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// When a prediction has no answer marker and no math span, grade the last number in its
    /// text (off by default: a model that never commits to an answer should not score by luck).
    #[arg(long)]
    last_number: bool,
    /// Grade as the math verifier does: the answer must be the last line after `</think>` and
    /// nothing but the answer (`Answer: X` or a lone `\boxed{X}`).
    #[arg(long, conflicts_with = "last_number")]
    answer_line: bool,
}

#[derive(Debug, clap::Args)]
pub struct HumanEvalArgs {
    /// JSONL input (plain, .gz or .zst).
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Which field holds the solution.
    #[arg(long, value_enum, default_value_t = FieldArg::Completion)]
    field: FieldArg,
    /// Output file; stdout when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Wall-clock limit per task, in seconds.
    #[arg(long, default_value_t = 10, value_parser = crate::io::at_least_one)]
    timeout: usize,
    /// Parallel sandboxes; all cores when absent. The output is the same whatever the number.
    #[arg(short, long, value_parser = crate::io::at_least_one)]
    jobs: Option<usize>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
enum FieldArg {
    Completion,
    CanonicalSolution,
}

#[derive(Debug, Deserialize)]
struct MathPair {
    gold: String,
    pred: String,
}

#[derive(Debug, Serialize)]
struct MathLine {
    correct: bool,
    gold: Option<String>,
    pred: Option<String>,
    reason: String,
}

pub fn run(grade: Grade) -> Result<ExitCode> {
    match grade {
        Grade::Math(args) => {
            crate::io::check_output_is_not_input(args.out.as_deref(), &[&args.input])?;
            let pairs: Vec<MathPair> = read_records(&args.input)?;
            let mut out = Output::create(args.out.as_deref())?;
            let options = MathOptions::default()
                .with_last_number_fallback(args.last_number)
                .with_answer_line_only(args.answer_line);
            for pair in &pairs {
                let g = grade_math_with(&pair.gold, &pair.pred, options);
                out.write(&MathLine {
                    correct: g.correct,
                    gold: g.gold,
                    pred: g.pred,
                    reason: g.reason,
                })?;
            }
            out.finish()?;
            Ok(ExitCode::SUCCESS)
        }
        Grade::Humaneval(args) => {
            crate::io::check_output_is_not_input(args.out.as_deref(), &[&args.input])?;
            let tasks: Vec<HumanEvalTask> = read_records(&args.input)?;
            let field = match args.field {
                FieldArg::Completion => HumanEvalField::Completion,
                FieldArg::CanonicalSolution => HumanEvalField::CanonicalSolution,
            };
            let limits = SandboxLimits {
                wall: std::time::Duration::from_secs(args.timeout as u64),
                ..SandboxLimits::default()
            };
            let jobs = args
                .jobs
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            let mut out = Output::create(args.out.as_deref())?;
            let mut passed = 0usize;
            for result in grade_humaneval_all(&tasks, field, &limits, jobs) {
                passed += usize::from(result.passed);
                out.write(&result)?;
            }
            out.finish()?;
            let total = tasks.len();
            let pct = if total == 0 {
                0.0
            } else {
                100.0 * passed as f64 / total as f64
            };
            eprintln!("humaneval: {passed}/{total} passed ({pct:.1}%)");
            Ok(ExitCode::SUCCESS)
        }
    }
}

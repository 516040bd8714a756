//! `mull verify`: grade attempts against their problems, or self-check the generators by
//! grading every problem's own reference solution.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use mull_data::{Attempt, Problem, Verdict};
use mull_verifiers::Verifiers;
use serde::Serialize;

use mull_pipeline::stages::verify::{grade_all, reference_pairs};

use crate::io::{read_records, Output};

#[derive(Debug, clap::Args)]
#[command(group = clap::ArgGroup::new("mode").required(true).args(["reference", "problems"]))]
pub struct Args {
    /// Grade each problem's own reference solution (a self-check of the generators); exits
    /// non-zero if any answer or reference step fails.
    #[arg(long)]
    reference: bool,
    /// Problems the attempts refer to (matched by problem id).
    #[arg(long, value_name = "FILE")]
    problems: Option<PathBuf>,
    /// Attempts to grade, or with `--reference` the problems.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Output: attempts with their verdicts (or reference verdicts); stdout when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Parallel verifier threads (code runs in a sandboxed child process per attempt); all
    /// cores when absent. The output is the same whatever the number.
    #[arg(short, long, value_parser = crate::io::at_least_one)]
    jobs: Option<usize>,
}

impl Args {
    fn jobs(&self) -> usize {
        self.jobs
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

/// One line of `verify --reference` output.
#[derive(Debug, Serialize)]
struct ReferenceVerdict<'a> {
    problem_id: &'a str,
    family: &'a str,
    difficulty: u8,
    verdict: &'a Verdict,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let mut inputs = vec![args.input.as_path()];
    inputs.extend(args.problems.as_deref());
    crate::io::check_output_is_not_input(args.out.as_deref(), &inputs)?;
    let verifiers = Verifiers::default();
    if args.reference {
        return run_reference(&args, &verifiers);
    }
    let Some(problems_path) = &args.problems else {
        bail!("--problems FILE is required unless --reference is given");
    };
    let problems: Vec<Problem> = read_records(problems_path)?;
    let ambiguous = "which one the attempts refer to is ambiguous";
    crate::io::check_unique_ids(&problems, problems_path, ambiguous)?;
    let by_id: HashMap<&str, &Problem> = problems.iter().map(|p| (p.id.as_str(), p)).collect();
    let attempts: Vec<Attempt> = read_records(&args.input)?;
    // Resolve every attempt's problem before grading anything, so bad input fails fast and
    // names the line instead of leaving a partial output behind.
    let mut pairs = Vec::with_capacity(attempts.len());
    for (i, attempt) in attempts.into_iter().enumerate() {
        let Some(problem) = by_id.get(attempt.problem_id.as_str()) else {
            bail!(
                "{}:{}: problem id {} is not in {}",
                args.input.display(),
                i + 1,
                attempt.problem_id,
                problems_path.display()
            );
        };
        pairs.push((*problem, attempt));
    }
    let verdicts = grade_all(&verifiers, &pairs, args.jobs()).map_err(anyhow::Error::msg)?;
    let mut out = Output::create(args.out.as_deref())?;
    let (mut correct, total) = (0usize, pairs.len());
    for ((_, mut attempt), verdict) in pairs.into_iter().zip(verdicts) {
        correct += usize::from(verdict.correct);
        attempt.verdict = Some(verdict);
        out.write(&attempt)?;
    }
    out.finish()?;
    eprintln!("{correct}/{total} attempts correct");
    Ok(ExitCode::SUCCESS)
}

fn run_reference(args: &Args, verifiers: &Verifiers) -> Result<ExitCode> {
    let problems: Vec<Problem> = read_records(&args.input)?;
    let pairs = reference_pairs(&problems);
    let verdicts = grade_all(verifiers, &pairs, args.jobs()).map_err(anyhow::Error::msg)?;
    let mut out = Output::create(args.out.as_deref())?;
    let mut failures = Vec::new();
    for ((problem, _), verdict) in pairs.iter().zip(&verdicts) {
        // A reference solution must be right in its answer and in every step that can be checked.
        if !verdict.correct || verdict.first_error.is_some() {
            failures.push(format!(
                "{} ({} d{}): {}{}",
                problem.id,
                problem.family,
                problem.difficulty,
                verdict.reason,
                verdict
                    .first_error
                    .map(|i| {
                        // The verdict counts parsed steps, which need not be the reference's
                        // lines (a step may hold a newline): never index by it unchecked.
                        let step = problem.reference.get(i).map_or("?", String::as_str);
                        format!("; step {} fails: {step}", i + 1)
                    })
                    .unwrap_or_default()
            ));
        }
        if args.out.is_some() {
            out.write(&ReferenceVerdict {
                problem_id: &problem.id,
                family: &problem.family,
                difficulty: problem.difficulty,
                verdict,
            })?;
        }
    }
    out.finish()?;
    for f in &failures {
        eprintln!("reference fails: {f}");
    }
    eprintln!(
        "{}/{} reference solutions verify",
        pairs.len() - failures.len(),
        pairs.len()
    );
    Ok(if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

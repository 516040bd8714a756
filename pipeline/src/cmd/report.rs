//! `mull report`: plots and tables over evaluation and training directories.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Evaluation (`mull eval --out`) and training (`mull distill --out`) directories.
    #[arg(required = true, value_name = "DIR")]
    inputs: Vec<PathBuf>,
    /// The report directory: index.html, report.md, and each plot as PNG and SVG.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let summary = mull_pipeline::report::report(&args.inputs, &args.out)
        .with_context(|| format!("writing the report into {}", args.out.display()))?;
    eprintln!(
        "report: {} evaluations, {} training runs, {} plots; open {}",
        summary.evaluations,
        summary.trainings,
        summary.plots.len(),
        args.out.join("index.html").display()
    );
    Ok(ExitCode::SUCCESS)
}

//! `mull inspect`: pretty-print the records of any JSONL or shard file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

use crate::io::open_records;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A JSONL file, plain, `.gz` or `.zst` (shards included).
    file: PathBuf,
    /// Print at most this many records.
    #[arg(long)]
    limit: Option<usize>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut shown = 0usize;
    let mut records = open_records::<serde_json::Value>(&args.file)?;
    while let Some(record) = records.next() {
        if args.limit.is_some_and(|limit| shown >= limit) {
            break;
        }
        let value = record?;
        writeln!(out, "── {}:{}", args.file.display(), records.line())?;
        serde_json::to_writer_pretty(&mut out, &value)?;
        writeln!(out)?;
        shown += 1;
    }
    Ok(ExitCode::SUCCESS)
}

//! Files in and out of the binary, on top of `mull_data::shard`: inputs may be plain, gzip or
//! zstd JSONL (by extension); outputs go to stdout or to a file written under a temporary name
//! and renamed when complete, so an interrupted command never leaves a half-written file that
//! looks whole. Errors name the file and the line.

use std::fs::File;
use std::io::{BufWriter, Stdout};
use std::path::Path;

use anyhow::{Context, Result};
use mull_data::shard::{self, JsonlReader, JsonlWriter, ShardOptions, ShardWriter};
use serde::{de::DeserializeOwned, Serialize};

/// Streams the records of a JSONL file: plain, `.zst`, or `.gz` (which `mull-data` leaves to
/// the binary, as it depends on small crates only). A shard with a checksum sidecar is checked
/// against it first.
pub fn open_records<T: DeserializeOwned>(path: &Path) -> Result<JsonlReader<T>> {
    if path.to_string_lossy().ends_with(".gz") {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Ok(shard::read_jsonl_from(
            flate2::read::MultiGzDecoder::new(file),
            path,
        ))
    } else if shard::read_sidecar(path)?.is_some() {
        Ok(shard::read_shard(path)?)
    } else {
        Ok(shard::open_jsonl(path)?)
    }
}

/// Reads every record of a JSONL file; the first bad line is an error naming file and line.
pub fn read_records<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    open_records(path)?
        .map(|r| r.map_err(anyhow::Error::from))
        .collect()
}

/// Refuses an output path that is, or resolves to, one of the inputs (the same path through
/// `..` or a symlink, or a hard link to the same file), before anything is written: a command
/// never replaces its own input.
pub fn check_output_is_not_input(out: Option<&Path>, inputs: &[&Path]) -> Result<()> {
    let Some(out) = out.filter(|p| p.as_os_str() != "-") else {
        return Ok(());
    };
    let resolved = resolve(out);
    let out_meta = std::fs::metadata(out).ok();
    for input in inputs {
        let same_path = resolved.is_some() && resolved == resolve(input);
        let same_file = match (&out_meta, std::fs::metadata(input)) {
            (Some(a), Ok(b)) => {
                use std::os::unix::fs::MetadataExt;
                a.dev() == b.dev() && a.ino() == b.ino()
            }
            _ => false,
        };
        if same_path || same_file {
            anyhow::bail!(
                "--out {} is the input {}: write the output to another file",
                out.display(),
                input.display()
            );
        }
    }
    Ok(())
}

/// The canonical path of an existing file, or of a new file's existing parent joined with its
/// name.
fn resolve(path: &Path) -> Option<std::path::PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let name = path.file_name()?;
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    Some(parent.canonicalize().ok()?.join(name))
}

/// Errors on the first problem id that appears twice in `problems` (read from `path`), naming
/// the line; `why` says what a duplicate would break.
pub fn check_unique_ids(problems: &[mull_data::Problem], path: &Path, why: &str) -> Result<()> {
    let mut seen = std::collections::HashSet::with_capacity(problems.len());
    for (line, p) in problems.iter().enumerate() {
        if !seen.insert(p.id.as_str()) {
            anyhow::bail!(
                "{}:{}: problem id {} appears twice: {why}",
                path.display(),
                line + 1,
                p.id
            );
        }
    }
    Ok(())
}

/// A clap value parser for counts that must be at least 1 (`-j`, `--block`, `--timeout`).
pub fn at_least_one(text: &str) -> std::result::Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Where a command writes its JSONL output.
pub enum Output {
    Stdout(JsonlWriter<BufWriter<Stdout>>),
    File(ShardWriter),
}

impl Output {
    /// Stdout when `path` is `None` or `-`; else the file, zstd when its name ends in `.zst`.
    pub fn create(path: Option<&Path>) -> Result<Self> {
        match path.filter(|p| p.as_os_str() != "-") {
            None => Ok(Output::Stdout(JsonlWriter::new(
                BufWriter::new(std::io::stdout()),
                "<stdout>",
            ))),
            Some(p) => Ok(Output::File(ShardWriter::with_options(
                p,
                ShardOptions::for_path(p),
            )?)),
        }
    }

    /// Writes one record as one JSON line.
    pub fn write<T: Serialize>(&mut self, record: &T) -> Result<()> {
        match self {
            Output::Stdout(w) => w.write(record)?,
            Output::File(w) => w.write(record)?,
        }
        Ok(())
    }

    /// Flushes stdout, or syncs and renames the file into place.
    pub fn finish(self) -> Result<()> {
        match self {
            Output::Stdout(mut w) => w.flush()?,
            Output::File(w) => {
                w.finish()?;
            }
        }
        Ok(())
    }
}

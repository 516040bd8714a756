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

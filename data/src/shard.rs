//! zstd JSONL shards and plain JSONL files.
//!
//! A shard is one file `NAME.jsonl.zst`: records, one JSON object per line, in one zstd stream
//! (fixed level, single thread, content checksum on, no timestamps: the same records always give
//! the same bytes). [`ShardWriter`] writes it under a temporary name in the same directory, then
//! writes the sidecar `NAME.jsonl.zst.sha256` (`<hex>  <file name>\n`, the `sha256sum` format),
//! then renames the shard into place; so a crash never leaves a half-written shard under its
//! real name, and a shard without a matching sidecar is known to be incomplete.
//! [`ShardWriter::close`] stops before the sync: [`commit`] does the rest for a batch of closed
//! shards, on any thread, with one directory sync per directory.
//!
//! [`read_shard`] checks the sidecar when there is one and streams the records; a truncated or
//! damaged stream, invalid UTF-8 or bad JSON is an error naming the file and the line, never a
//! silent short read. [`read_jsonl`], [`write_jsonl`] and [`JsonlWriter`] handle the user's own
//! files (plain, or zstd when the name ends in `.zst`); gzip is left to the binary, which can
//! hand any decoder to [`read_jsonl_from`].

mod commit;
mod read;
mod temp;
mod write;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::DataError;
use crate::ids::hex;

pub use commit::{commit, ClosedShard};
pub use read::{
    open_jsonl, read_jsonl, read_jsonl_from, read_shard, verify_shard, JsonlReader, ShardReader,
};
pub use temp::remove_temp_files;
pub use write::{write_file_atomic, write_jsonl, JsonlWriter, ShardOptions, ShardWriter};

/// What a finished shard or file is: where it is, how many records and bytes, its sha256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    pub path: PathBuf,
    pub records: u64,
    /// Size of the file on disk (compressed bytes for zstd).
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// The zstd level of every shard. Fixed, because the level changes the bytes.
pub const ZSTD_LEVEL: i32 = 3;

/// The longest line a reader accepts (256 MiB): a bound on memory for hostile or damaged files.
pub const MAX_LINE_BYTES: usize = 256 << 20;

/// The checksum sidecar of a shard: the shard's path with `.sha256` appended.
pub fn sidecar_path(shard: &Path) -> PathBuf {
    let mut name = shard.as_os_str().to_os_string();
    name.push(".sha256");
    PathBuf::from(name)
}

/// Lowercase hex SHA-256 of a file's bytes, read in a streaming way.
pub fn sha256_file(path: &Path) -> Result<String, DataError> {
    let mut file = File::open(path).map_err(io_err(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// The hash recorded in a shard's sidecar, or `None` when the shard has no sidecar.
///
/// The sidecar must be one line `<64 hex digits>  <file name>` naming the shard's own file
/// name; anything else is [`DataError::Corrupt`].
pub fn read_sidecar(shard: &Path) -> Result<Option<String>, DataError> {
    let side = sidecar_path(shard);
    let text = match std::fs::read_to_string(&side) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(DataError::Io {
                path: side,
                source: e,
            })
        }
    };
    let corrupt = |message: String| DataError::Corrupt {
        path: side.clone(),
        message,
    };
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let (hash, name) = line.split_once("  ").ok_or_else(|| {
        corrupt("not in `<sha256>  <file name>` form: delete it and regenerate the shard".into())
    })?;
    if hash.len() != 64
        || !hash
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(corrupt(format!(
            "`{hash}` is not a lowercase sha256 hex digest"
        )));
    }
    let own = file_name_str(shard);
    if name != own {
        return Err(corrupt(format!(
            "the sidecar is for `{name}`, not `{own}`: it belongs to another file"
        )));
    }
    Ok(Some(hash.to_string()))
}

/// Checks a shard against its sidecar (if present): an error names the shard and both hashes.
fn check_sidecar(path: &Path) -> Result<(), DataError> {
    if let Some(want) = read_sidecar(path)? {
        let got = sha256_file(path)?;
        if got != want {
            return Err(DataError::Corrupt {
                path: path.to_path_buf(),
                message: format!(
                    "sha256 is {got} but its sidecar says {want}: the shard is truncated or was \
                     modified; regenerate it"
                ),
            });
        }
    }
    Ok(())
}

fn file_name_str(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Whether a path names a zstd file (by extension).
fn is_zst(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "zst")
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> DataError + '_ {
    move |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
#[path = "shard_tests.rs"]
mod tests;

//! Reading shards and JSONL files as streams of records, with errors naming file and line.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};

use serde::de::{DeserializeOwned, IgnoredAny};

use super::{check_sidecar, io_err, is_zst, read_sidecar, ShardInfo, MAX_LINE_BYTES};
use crate::error::DataError;

/// A stream of records, one per non-blank line, from a shard or a JSONL file.
///
/// Read and decompression errors (truncation, damage) end the stream after being reported;
/// a line that is not valid JSON for `T` is reported and the stream goes on, so a caller may
/// skip bad lines (collecting into a `Result<Vec<T>, _>` stops at the first).
pub struct JsonlReader<T> {
    reader: Box<dyn BufRead + Send>,
    path: PathBuf,
    line: usize,
    buf: Vec<u8>,
    done: bool,
    _records: PhantomData<fn() -> T>,
}

/// A reader of a shard (see [`read_shard`]).
pub type ShardReader<T> = JsonlReader<T>;

impl<T> JsonlReader<T> {
    fn new(reader: Box<dyn BufRead + Send>, path: &Path) -> Self {
        JsonlReader {
            reader,
            path: path.to_path_buf(),
            line: 0,
            buf: Vec::new(),
            done: false,
            _records: PhantomData,
        }
    }

    /// The file the records come from (as errors name it).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The 1-based line number of the record last returned (blank lines count).
    pub fn line(&self) -> usize {
        self.line
    }

    /// The next line's bytes without its line ending, `None` at the end; blank lines skipped.
    fn next_line(&mut self) -> Option<Result<(), DataError>> {
        loop {
            if self.done {
                return None;
            }
            self.buf.clear();
            let line_no = self.line + 1;
            // `take` bounds the memory a line without newline can claim.
            let limit = MAX_LINE_BYTES as u64 + 1;
            let n = match (&mut self.reader)
                .take(limit)
                .read_until(b'\n', &mut self.buf)
            {
                Ok(n) => n,
                Err(e) => {
                    self.done = true;
                    return Some(Err(DataError::CorruptAt {
                        path: self.path.clone(),
                        line: line_no,
                        message: e.to_string(),
                    }));
                }
            };
            if n == 0 {
                self.done = true;
                return None;
            }
            self.line = line_no;
            if self.buf.last() == Some(&b'\n') {
                self.buf.pop();
                if self.buf.last() == Some(&b'\r') {
                    self.buf.pop();
                }
            } else if self.buf.len() > MAX_LINE_BYTES {
                self.done = true;
                return Some(Err(self.bad(format!(
                    "line longer than {MAX_LINE_BYTES} bytes: not a JSONL file of records"
                ))));
            }
            if !self.buf.iter().all(u8::is_ascii_whitespace) {
                return Some(Ok(()));
            }
        }
    }

    fn bad(&self, message: String) -> DataError {
        DataError::BadRecord {
            path: self.path.clone(),
            line: self.line,
            message,
        }
    }

    /// Decodes the current line as `R`.
    fn decode<R: DeserializeOwned>(&self) -> Result<R, DataError> {
        let text = std::str::from_utf8(&self.buf)
            .map_err(|e| self.bad(format!("invalid UTF-8 after byte {}", e.valid_up_to())))?;
        serde_json::from_str(text).map_err(|e| self.bad(format!("not a valid record: {e}")))
    }
}

impl<T: DeserializeOwned> Iterator for JsonlReader<T> {
    type Item = Result<T, DataError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.next_line()? {
            Ok(()) => Some(self.decode()),
            Err(e) => Some(Err(e)),
        }
    }
}

/// Opens a zstd stream over `path`, refusing an empty file (which zstd would read as no
/// records at all).
fn open_zstd(path: &Path) -> Result<Box<dyn BufRead + Send>, DataError> {
    let file = File::open(path).map_err(io_err(path))?;
    let len = file.metadata().map_err(io_err(path))?.len();
    if len == 0 {
        return Err(DataError::Corrupt {
            path: path.to_path_buf(),
            message: "empty file, not a zstd stream: it was never completed; regenerate it".into(),
        });
    }
    let dec =
        zstd::stream::read::Decoder::with_buffer(BufReader::new(file)).map_err(io_err(path))?;
    Ok(Box::new(BufReader::with_capacity(1 << 16, dec)))
}

/// Opens a shard: checks its sidecar when present (a mismatch is [`DataError::Corrupt`] naming
/// the file), then streams its records.
pub fn read_shard<T: DeserializeOwned>(path: &Path) -> Result<ShardReader<T>, DataError> {
    check_sidecar(path)?;
    Ok(JsonlReader::new(open_zstd(path)?, path))
}

/// Opens a user's JSONL file: zstd when the name ends in `.zst` (its sidecar checked when
/// present), plain otherwise. Gzip is refused with a message: the binary decodes it and calls
/// [`read_jsonl_from`].
pub fn open_jsonl<T: DeserializeOwned>(path: &Path) -> Result<JsonlReader<T>, DataError> {
    if is_zst(path) {
        return read_shard(path);
    }
    if path.extension().is_some_and(|e| e == "gz") {
        return Err(DataError::Unsupported {
            path: path.to_path_buf(),
            message: "gzip is not read by mull-data: decompress it and use read_jsonl_from".into(),
        });
    }
    let file = File::open(path).map_err(io_err(path))?;
    Ok(JsonlReader::new(
        Box::new(BufReader::with_capacity(1 << 16, file)),
        path,
    ))
}

/// Reads every record of a user's JSONL file (see [`open_jsonl`]); the first bad line is an
/// error `path:line: message`.
pub fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>, DataError> {
    open_jsonl(path)?.collect()
}

/// Streams records from any reader (a gzip decoder, stdin); `name` is what errors call it.
pub fn read_jsonl_from<T: DeserializeOwned, R: Read + Send + 'static>(
    reader: R,
    name: impl AsRef<Path>,
) -> JsonlReader<T> {
    JsonlReader::new(
        Box::new(BufReader::with_capacity(1 << 16, reader)),
        name.as_ref(),
    )
}

/// Checks that a shard is whole: its sidecar exists and matches, its stream decodes to the end
/// and every line is JSON. Returns what the shard is, for a manifest or for reuse by a larger
/// run.
pub fn verify_shard(path: &Path) -> Result<ShardInfo, DataError> {
    let sha256 = read_sidecar(path)?.ok_or_else(|| DataError::Corrupt {
        path: path.to_path_buf(),
        message: "no checksum sidecar, so the shard may be incomplete: regenerate it".into(),
    })?;
    check_sidecar(path)?;
    let mut reader: JsonlReader<IgnoredAny> = JsonlReader::new(open_zstd(path)?, path);
    let mut records = 0u64;
    while let Some(r) = reader.next_line() {
        r?;
        reader.decode::<IgnoredAny>()?;
        records += 1;
    }
    let bytes = std::fs::metadata(path).map_err(io_err(path))?.len();
    Ok(ShardInfo {
        path: path.to_path_buf(),
        records,
        bytes,
        sha256,
    })
}

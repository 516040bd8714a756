//! Writing shards and JSONL files atomically: temporary name, fsync, sidecar, rename.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::commit::{commit, ClosedShard};
use super::temp::{create_temp, forget_temp, replace_synced, sync_parent};
use super::{io_err, is_zst, ShardInfo, ZSTD_LEVEL};
use crate::error::DataError;
use crate::ids::hex;

/// How [`ShardWriter`] writes: compressed or not, with a checksum sidecar or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardOptions {
    /// zstd at [`ZSTD_LEVEL`] with a content checksum.
    pub zstd: bool,
    /// Write `NAME.sha256` before renaming the file into place.
    pub sidecar: bool,
}

impl Default for ShardOptions {
    /// A shard: zstd and a sidecar.
    fn default() -> Self {
        ShardOptions {
            zstd: true,
            sidecar: true,
        }
    }
}

impl ShardOptions {
    /// A user's file: zstd when the name ends in `.zst`, no sidecar.
    pub fn for_path(path: &Path) -> Self {
        ShardOptions {
            zstd: is_zst(path),
            sidecar: false,
        }
    }
}

/// Counts and hashes the bytes that reach the file, so finishing needs no second read.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

enum Sink {
    Plain(Hashing<BufWriter<File>>),
    Zstd(zstd::stream::zio::Writer<Hashing<BufWriter<File>>, ZstdContext>),
}

type ZstdContext = zstd::stream::raw::Encoder<'static>;

thread_local! {
    /// Compression contexts that finished shards leave for the next shard on their thread. A
    /// context is megabytes that zstd allocates (through the C allocator) and clears, and a
    /// run writes five shards a block: made afresh for each, they were page faults on every
    /// shard. A context reset for a new frame keeps its parameters and writes the same bytes as
    /// a new one.
    static CONTEXTS: std::cell::RefCell<Vec<ZstdContext>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A context from this thread's pool, or a new one: level [`ZSTD_LEVEL`], with the frame's
/// own checksum, which catches damage even where no sidecar is kept.
fn zstd_context() -> std::io::Result<ZstdContext> {
    if let Some(context) = CONTEXTS.with(|c| c.borrow_mut().pop()) {
        return Ok(context);
    }
    let mut context = ZstdContext::new(ZSTD_LEVEL)?;
    context.set_parameter(zstd::stream::raw::CParameter::ChecksumFlag(true))?;
    Ok(context)
}

/// Returns a context whose frame has ended to this thread's pool (a few at most: one is
/// in use at a time per writer).
fn recycle(mut context: ZstdContext) {
    use zstd::stream::raw::Operation;
    if context.reinit().is_ok() {
        CONTEXTS.with(|c| {
            let mut pool = c.borrow_mut();
            if pool.len() < 4 {
                pool.push(context);
            }
        });
    }
}

/// Writes records to a temporary file beside `path` and renames it into place on
/// [`finish`](ShardWriter::finish) (or [`close`](ShardWriter::close), then [`commit`]). Dropping
/// it unfinished removes the temporary file.
pub struct ShardWriter {
    path: PathBuf,
    tmp: PathBuf,
    options: ShardOptions,
    sink: Option<Sink>,
    records: u64,
    line: Vec<u8>,
    /// An I/O error happened mid-write: the file can no longer be trusted to be whole.
    failed: bool,
    /// The temporary file went to a [`ClosedShard`], which removes it if it is never committed.
    handed_over: bool,
}

impl ShardWriter {
    /// Starts a shard at `path` (zstd, with sidecar); the parent directory is created if needed.
    pub fn create(path: &Path) -> Result<Self, DataError> {
        Self::with_options(path, ShardOptions::default())
    }

    /// Starts a file at `path` written as `options` say.
    pub fn with_options(path: &Path, options: ShardOptions) -> Result<Self, DataError> {
        let (tmp, file) = create_temp(path)?;
        let hashing = Hashing {
            inner: BufWriter::with_capacity(1 << 16, file),
            hasher: Sha256::new(),
            bytes: 0,
        };
        // From here on `writer` owns the temp file, so an early return removes it (Drop).
        let mut writer = ShardWriter {
            path: path.to_path_buf(),
            tmp,
            options,
            sink: None,
            records: 0,
            line: Vec::new(),
            failed: false,
            handed_over: false,
        };
        writer.sink = Some(if options.zstd {
            let context = zstd_context().map_err(io_err(&writer.tmp))?;
            Sink::Zstd(zstd::stream::zio::Writer::new(hashing, context))
        } else {
            Sink::Plain(hashing)
        });
        Ok(writer)
    }

    /// The final path (the file appears there on [`finish`](Self::finish)).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Appends one record as one JSON line. An encoding error leaves the writer usable (nothing
    /// was written); an I/O error makes [`finish`](Self::finish) fail.
    pub fn write<T: Serialize + ?Sized>(&mut self, record: &T) -> Result<(), DataError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).map_err(|e| DataError::Encode {
            path: self.path.clone(),
            record: self.records,
            message: e.to_string(),
        })?;
        self.line.push(b'\n');
        let result = match &mut self.sink {
            Some(Sink::Plain(w)) => w.write_all(&self.line),
            Some(Sink::Zstd(w)) => w.write_all(&self.line),
            None => Ok(()),
        };
        if let Err(e) = result {
            self.failed = true;
            return Err(DataError::Io {
                path: self.tmp.clone(),
                source: e,
            });
        }
        self.records += 1;
        Ok(())
    }

    /// Ends the stream, syncs the file, writes the sidecar (if any) and renames the file into
    /// place.
    pub fn finish(self) -> Result<ShardInfo, DataError> {
        let mut done = commit(vec![self.close()?])?;
        done.pop()
            .map_or_else(|| unreachable_sink(&PathBuf::new()), Ok)
    }

    /// Ends the stream and hashes it, leaving the file under its temporary name, not yet
    /// synced: [`commit`] puts it in place, alone or in a batch, on this thread or another.
    pub fn close(mut self) -> Result<ClosedShard, DataError> {
        if self.failed {
            return Err(DataError::Corrupt {
                path: self.path.clone(),
                message: "an earlier write failed, so the file was not completed; write it again"
                    .into(),
            });
        }
        let hashing = match self.sink.take() {
            Some(Sink::Plain(h)) => h,
            Some(Sink::Zstd(mut enc)) => {
                enc.finish().map_err(io_err(&self.tmp))?;
                let (hashing, context) = enc.into_inner();
                recycle(context);
                hashing
            }
            None => unreachable_sink(&self.path)?,
        };
        let Hashing {
            inner,
            hasher,
            bytes,
        } = hashing;
        let file = inner.into_inner().map_err(|e| DataError::Io {
            path: self.tmp.clone(),
            source: e.into_error(),
        })?;
        // From here on the closed shard owns the temporary file.
        self.handed_over = true;
        Ok(ClosedShard::new(
            file,
            std::mem::take(&mut self.tmp),
            self.options.sidecar,
            ShardInfo {
                path: self.path.clone(),
                records: self.records,
                bytes,
                sha256: hex(&hasher.finalize()),
            },
        ))
    }
}

/// The sink is only taken by `finish`, which consumes the writer; reaching this is a bug, but
/// it is reported as an error rather than a panic.
fn unreachable_sink<T>(path: &Path) -> Result<T, DataError> {
    Err(DataError::Corrupt {
        path: path.to_path_buf(),
        message: "writer already finished".into(),
    })
}

impl Drop for ShardWriter {
    fn drop(&mut self) {
        // Close the file first, then remove it: an unfinished file must not be left behind.
        drop(self.sink.take());
        if !self.handed_over {
            let _ = std::fs::remove_file(&self.tmp);
            forget_temp(&self.tmp);
        }
    }
}

/// Writes `records` to a user's file at `path` atomically: zstd when the name ends in `.zst`,
/// plain JSONL otherwise, no sidecar.
pub fn write_jsonl<'a, T, I>(path: &Path, records: I) -> Result<ShardInfo, DataError>
where
    T: Serialize + ?Sized + 'a,
    I: IntoIterator<Item = &'a T>,
{
    let mut w = ShardWriter::with_options(path, ShardOptions::for_path(path))?;
    for r in records {
        w.write(r)?;
    }
    w.finish()
}

/// Writes `bytes` to `path` through a temporary file, fsync and rename, so readers see the old
/// file or the new one, never a part.
pub fn write_file_atomic(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    replace_synced(path, bytes)?;
    sync_parent(path);
    Ok(())
}

/// Streams records as JSON lines to any writer (stdout, a socket, a compressor), buffered.
/// `name` is what errors call the destination (`"<stdout>"`, a path).
pub struct JsonlWriter<W: Write> {
    out: BufWriter<W>,
    name: PathBuf,
    records: u64,
    line: Vec<u8>,
}

impl<W: Write> JsonlWriter<W> {
    pub fn new(out: W, name: impl Into<PathBuf>) -> Self {
        JsonlWriter {
            out: BufWriter::with_capacity(1 << 16, out),
            name: name.into(),
            records: 0,
            line: Vec::new(),
        }
    }

    /// Appends one record as one JSON line.
    pub fn write<T: Serialize + ?Sized>(&mut self, record: &T) -> Result<(), DataError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, record).map_err(|e| DataError::Encode {
            path: self.name.clone(),
            record: self.records,
            message: e.to_string(),
        })?;
        self.line.push(b'\n');
        self.out.write_all(&self.line).map_err(io_err(&self.name))?;
        self.records += 1;
        Ok(())
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn flush(&mut self) -> Result<(), DataError> {
        self.out.flush().map_err(io_err(&self.name))
    }

    /// Flushes and returns the underlying writer.
    pub fn into_inner(self) -> Result<W, DataError> {
        let name = self.name;
        self.out.into_inner().map_err(|e| DataError::Io {
            path: name,
            source: e.into_error(),
        })
    }
}

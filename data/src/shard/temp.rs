//! Temporary files and durability: every file is written under a hidden temporary name beside
//! its final one, registered so that an interrupted process removes it, synced, and renamed
//! into place; the directory is synced after the rename.

use std::collections::BTreeSet;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use super::io_err;
use crate::error::DataError;

/// A temporary name beside `path`, unique per process and call, hidden (leading dot) so
/// globs over `*.jsonl.zst` never pick it up.
fn temp_path(path: &Path) -> Result<PathBuf, DataError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| DataError::Unsupported {
        path: path.to_path_buf(),
        message: "not a file name: give a path that ends in a file name".into(),
    })?;
    let mut tmp = OsString::from(".");
    tmp.push(name);
    tmp.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    Ok(path.with_file_name(tmp))
}

/// Every temporary file this process is writing, so that a signal handler can remove them
/// ([`remove_temp_files`]) and no interrupted command leaves one behind.
static TEMP_FILES: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());
/// Set once the temporary files have been removed for good: no new one may start.
static CLOSED: AtomicBool = AtomicBool::new(false);

fn temp_files() -> std::sync::MutexGuard<'static, BTreeSet<PathBuf>> {
    // A poisoned set is still the right set of paths.
    TEMP_FILES.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes every temporary file of this process that is still being written, and refuses new
/// ones from then on. For a signal-handling thread, just before the process exits; returns how
/// many were removed.
pub fn remove_temp_files() -> usize {
    let mut files = temp_files();
    CLOSED.store(true, Ordering::SeqCst);
    let removed = files
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count();
    files.clear();
    removed
}

/// Creates the parent directory of `path` if needed, and a fresh temporary file beside it,
/// registered for [`remove_temp_files`].
pub(super) fn create_temp(path: &Path) -> Result<(PathBuf, File), DataError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    }
    let tmp = temp_path(path)?;
    let mut files = temp_files();
    if CLOSED.load(Ordering::SeqCst) {
        return Err(DataError::Unsupported {
            path: path.to_path_buf(),
            message: "the process is stopping: no new file is started".into(),
        });
    }
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .map_err(io_err(&tmp))?;
    files.insert(tmp.clone());
    Ok((tmp, file))
}

/// The temporary file became the real one, or was removed.
pub(super) fn forget_temp(tmp: &Path) {
    temp_files().remove(tmp);
}

/// Makes a rename in `path`'s directory durable (see [`sync_dir`]).
pub(super) fn sync_parent(path: &Path) {
    sync_dir(parent_dir(path));
}

/// The directory a file is in (`.` for a bare name).
pub(super) fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Makes the renames in a directory durable. Best effort: some file systems refuse to fsync a
/// directory, and the data itself is already synced.
pub(super) fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// [`write_file_atomic`] but for the directory's sync, which the caller does (once for many
/// files).
pub(super) fn replace_synced(path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let (tmp, mut file) = create_temp(path)?;
    let result = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io_err(&tmp))
        .and_then(|()| {
            drop(file);
            std::fs::rename(&tmp, path).map_err(io_err(path))
        });
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    forget_temp(&tmp);
    result
}

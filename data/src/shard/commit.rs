//! Putting closed shards in place: each file synced, its sidecar written, the file renamed,
//! and each directory synced once for the whole batch.
//!
//! [`ShardWriter::finish`](super::ShardWriter::finish) does all of this at once. A job that
//! writes many shards closes them on the threads that compute them and commits them elsewhere:
//! a sync waits on the disk, and on a busy journal one writer's sync waits for another's.

use std::collections::BTreeSet;
use std::fs::File;
use std::path::PathBuf;

use super::temp::{forget_temp, parent_dir, replace_synced, sync_dir};
use super::{file_name_str, io_err, sidecar_path, ShardInfo};
use crate::error::DataError;

/// A shard whose records are all written and hashed, still under its temporary name and not
/// yet synced. Dropping it uncommitted removes the temporary file.
pub struct ClosedShard {
    file: Option<File>,
    /// Empty once the file is renamed into place.
    tmp: PathBuf,
    sidecar: bool,
    info: ShardInfo,
}

impl ClosedShard {
    pub(super) fn new(file: File, tmp: PathBuf, sidecar: bool, info: ShardInfo) -> Self {
        ClosedShard {
            file: Some(file),
            tmp,
            sidecar,
            info,
        }
    }

    /// What the shard will be once committed (its final path, records, bytes, sha256).
    pub fn info(&self) -> &ShardInfo {
        &self.info
    }
}

impl Drop for ClosedShard {
    fn drop(&mut self) {
        drop(self.file.take());
        if !self.tmp.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.tmp);
            forget_temp(&self.tmp);
        }
    }
}

/// Makes each shard durable and puts it in place, in order: all files synced, then per shard
/// its sidecar written (synced, renamed) and the shard renamed, then each directory synced
/// once. So a shard appears under its name only with its bytes and its sidecar on disk. On an
/// error the shards not yet in place are removed; those already renamed are whole.
pub fn commit(shards: Vec<ClosedShard>) -> Result<Vec<ShardInfo>, DataError> {
    let mut shards = shards;
    for shard in &mut shards {
        if let Some(file) = shard.file.take() {
            file.sync_all().map_err(io_err(&shard.tmp))?;
        }
    }
    let mut dirs: BTreeSet<PathBuf> = BTreeSet::new();
    let mut done = Vec::with_capacity(shards.len());
    for mut shard in shards {
        let path = shard.info.path.clone();
        let side = sidecar_path(&path);
        if shard.sidecar {
            let line = format!("{}  {}\n", shard.info.sha256, file_name_str(&path));
            replace_synced(&side, line.as_bytes())?;
        } else {
            // A file written without a sidecar over a shard that had one: the old sidecar would
            // call the new file corrupt forever after, so it goes before the new file appears.
            match std::fs::remove_file(&side) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(DataError::Io {
                        path: side,
                        source: e,
                    })
                }
            }
        }
        std::fs::rename(&shard.tmp, &path).map_err(io_err(&path))?;
        forget_temp(&shard.tmp);
        shard.tmp = PathBuf::new();
        dirs.insert(parent_dir(&path).to_path_buf());
        done.push(shard.info.clone());
    }
    for dir in &dirs {
        sync_dir(dir);
    }
    Ok(done)
}

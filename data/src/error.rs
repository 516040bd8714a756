//! The error type of the data crate.

use std::path::PathBuf;

/// Errors reading or writing records and shards. Messages name the file, the line or the record
/// and say what is wrong, so the binary can print them as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A line is not valid JSON for the expected record type.
    #[error("{path}:{line}: {message}")]
    BadRecord {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// The file is truncated, corrupted, or does not match its checksum.
    #[error("{path}: corrupt shard: {message}")]
    Corrupt { path: PathBuf, message: String },
    /// A problem's family payload does not have the shape its family needs.
    #[error("problem {problem_id} ({family}): bad payload: {message}")]
    Payload {
        problem_id: String,
        family: String,
        message: String,
    },
}

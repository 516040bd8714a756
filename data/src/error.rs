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
    /// The compressed stream of a file broke off or is damaged while reading the given line.
    #[error(
        "{path}:{line}: corrupt file: {message} (the file is truncated or damaged: regenerate it)"
    )]
    CorruptAt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A record could not be encoded as JSON (record index counts from 0).
    #[error("{path}: record {record}: cannot encode as JSON: {message}")]
    Encode {
        path: PathBuf,
        record: u64,
        message: String,
    },
    /// A file was written by a newer mull with a schema this build does not know.
    #[error("{path}: schema version {found} is newer than this build supports ({supported}): upgrade mull")]
    Schema {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    /// The file's kind is not one this crate reads or writes (the message says what does).
    #[error("{path}: {message}")]
    Unsupported { path: PathBuf, message: String },
    /// A problem's family payload does not have the shape its family needs.
    #[error("problem {problem_id} ({family}): bad payload: {message}")]
    Payload {
        problem_id: String,
        family: String,
        message: String,
    },
}

//! mull's shared language: the records every stage speaks and the files they live in.
//!
//! - [`records`]: Problem, Attempt, Verdict, SftRecord, PrmRecord and family payloads.
//! - [`ids`]: stable SHA-256 ids and every seed derived from them (never `DefaultHasher`).
//! - [`family`]: the problem families as one type.
//! - [`cot`]: the chain-of-thought format: step splitter and final-answer extraction.
//! - [`shard`]: zstd JSONL shards written atomically with a checksum sidecar, and their reader;
//!   [`manifest`]: the run manifest with counts and sha256 of every shard.
//!
//! Stages talk in these records, never in each other's types.

pub mod cot;
pub mod error;
pub mod family;
pub mod ids;
pub mod manifest;
pub mod records;
pub mod shard;

pub use error::DataError;
pub use family::{Family, UnknownFamily};
pub use records::*;

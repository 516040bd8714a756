//! The one error type of the model runtime.

use std::path::PathBuf;

/// Everything that can go wrong loading or running a model. Messages name the file and what was
/// expected, so the binary can print them as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file exists but is not what was expected (wrong format, truncated, unsupported).
    #[error("{path}: {message}")]
    BadFile { path: PathBuf, message: String },
    /// An error from candle while computing.
    #[error(transparent)]
    Candle(#[from] candle_core::Error),
    /// A tokenizer failed.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// Invalid arguments (sampling parameters, shapes) given by the caller.
    #[error("invalid argument: {0}")]
    Invalid(String),
}

pub type Result<T, E = ModelError> = std::result::Result<T, E>;

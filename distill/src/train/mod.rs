//! Training: supervised fine-tuning on verified chains ([`sft`]) and process reward models on
//! step labels ([`prm`]), through the loop both share ([`trainer`]); the pieces it is made of —
//! the student spec ([`spec`]), examples and batches ([`batching`]), the data read from a run's
//! shards ([`data`]), AdamW with state that checkpoints hold ([`optimizer`]), the learning-rate
//! schedule ([`schedule`]) and checkpoints that resume exactly ([`checkpoint`]).

pub mod batching;
pub mod bench;
pub mod checkpoint;
pub mod data;
mod fused_adamw;
pub mod optimizer;
pub mod prm;
pub mod schedule;
pub mod sft;
pub mod spec;
pub mod trainer;

use std::path::PathBuf;

/// Why training could not start or go on.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrainError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: {message}", path.display())]
    Spec { path: PathBuf, message: String },
    #[error("{}: {message}", path.display())]
    Checkpoint { path: PathBuf, message: String },
    #[error("{}: {message}", path.display())]
    Data { path: PathBuf, message: String },
    #[error(transparent)]
    Model(#[from] mull_models::ModelError),
    #[error(transparent)]
    Records(#[from] mull_data::DataError),
    #[error("tensor operation failed: {0}")]
    Tensor(#[from] candle_core::Error),
    #[error("{0}")]
    Invalid(String),
}

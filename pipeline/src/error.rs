//! The pipeline library's error type. Messages name the file, the key or the record and say
//! what to do; the binary adds context and prints them.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The config file does not parse, names an unknown key, or has a value out of range.
    #[error("{path}: {message}")]
    Config { path: PathBuf, message: String },
    /// The run directory holds a run of another config.
    #[error(
        "{dir} holds a run made by a different config (these keys differ: {keys}); \
         use another --out, or delete the directory to start over"
    )]
    OtherRun { dir: PathBuf, keys: String },
    /// The run directory holds blocks this config would drop.
    #[error(
        "{dir} holds shards of blocks this config does not have ({first}, {count} files in \
         all): a smaller count or a left-out family would lose them; raise the counts back, or \
         use another --out"
    )]
    WouldDrop {
        dir: PathBuf,
        first: String,
        count: usize,
    },
    #[error(transparent)]
    Data(#[from] mull_data::DataError),
    #[error(transparent)]
    Generate(#[from] mull_generators::GenError),
    #[error("loading the teacher {path}: {source}")]
    Teacher {
        path: PathBuf,
        #[source]
        source: mull_models::ModelError,
    },
    /// timely could not start or a worker failed.
    #[error("dataflow: {0}")]
    Dataflow(String),
    #[error(transparent)]
    Train(#[from] mull_distill::train::TrainError),
    /// Evaluation problems that a training run of the model saw.
    #[error("{0}")]
    Overlap(String),
    /// A report could not be drawn or its inputs read.
    #[error("report: {0}")]
    Report(String),
}

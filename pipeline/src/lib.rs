//! mull's pipeline: the run config, the run directory, the stages as plain functions, the
//! timely dataflow that wraps them, and the jobs the `mull` binary starts.
//!
//! - [`config`]: the run config (TOML, strict keys), resolved once before a run.
//! - [`run_dir`]: the run directory's layout, the plan of blocks, finished blocks, shards.
//! - [`stages`]: generate, sample, verify, label, aggregate — record in, record out.
//! - [`dataflow`]: one named timely operator per stage, as extension traits on streams.
//! - [`jobs`]: `run` (generated problems to verified, labelled shards), `eval` (test-time
//!   compute on held-out problems), `bench`.
//! - [`report`]: an HTML page with plots (plotters) and markdown tables over evaluations and
//!   training runs.
//!
//! Only this crate names timely; the crates below it speak `mull-data` records.

pub mod config;
pub mod dataflow;
pub mod error;
pub mod jobs;
pub mod progress;
pub mod report;
pub mod run_dir;
pub mod stages;

pub use error::PipelineError;

//! The dataflow: one named timely operator per file, each an extension trait on streams that
//! calls one stage function (`crate::stages`).
//!
//! ```text
//! blocks ─▶ generate_problems ─▶ (exchange by problem id) ─▶ sample_attempts ─▶ verify_attempts
//!        ─▶ label_steps ─▶ aggregate_problems ─▶ (exchange by block) ─▶ write_shards ─▶ blocks done
//! ```
//! Timestamps are block ordinals: the worker loop (`crate::jobs::run`) admits one block per
//! timestamp and holds back while more than `blocks-in-flight` are unwritten (a probe on the
//! last stream), since timely itself has no backpressure.

pub mod aggregate;
pub mod generate;
pub mod label;
pub mod sample;
pub mod verify;
pub mod wire;
pub mod write_shards;

pub use aggregate::AggregateProblems;
pub use generate::GenerateProblems;
pub use label::LabelSteps;
pub use sample::SampleAttempts;
pub use verify::VerifyAttempts;
pub use wire::Wire;
pub use write_shards::{BlockDone, WriteShards};

use crate::stages::ProblemWork;

/// The stream of problems being worked on, timestamped by block ordinal.
pub type WorkStream<'scope> = timely::dataflow::StreamVec<'scope, u64, Wire<ProblemWork>>;

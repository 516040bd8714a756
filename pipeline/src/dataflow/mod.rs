//! The dataflow: one named timely operator per file, each an extension trait on streams that
//! calls one stage function (`crate::stages`).
//!
//! ```text
//! blocks ─▶ generate_problems ─▶ sample_attempts ─▶ verify_attempts ─▶ label_steps ─┬─▶ aggregate_problems ─┐
//!                                     ▲                                             │     (differential     │ problems
//!                                     └──── feedback (round + 1): waiting for ◀─────┘      reduce)          │ + aggregates
//!                                           rollouts                                                        ▼
//!                                                                                     write_shards ─▶ blocks done
//! ```
//! A block stays on one worker from `generate_problems` to `write_shards` (`run_dir::Routes`;
//! the reduce arranges its facts by the same route, not by a hash of their key): only the
//! written blocks (to worker 0, for the manifest) move between workers or processes. Each
//! worker's `write_shards` closes a block's shards and a [`committer`] thread beside it syncs
//! and renames them, off the worker.
//!
//! Outside the loop a timestamp is a block's ordinal in the plan. The worker loop
//! (`crate::jobs::run`) admits one block per ordinal and holds back while more than
//! `blocks-in-flight` × workers are unwritten (a probe on the last stream; consecutive blocks
//! go to distinct workers, so each holds its share), since timely itself has no
//! backpressure. The rollout loop is an iterative scope: inside it a timestamp is
//! `(ordinal, round)` in the product order, and each trip around the loop adds one to the
//! round. Under that order `(5, 1)` and `(6, 0)` are incomparable, so block 6 is sampled while
//! block 5 still waits for its rollouts or its verdicts: a totally ordered time would make
//! every block wait for the whole loop of the one before, one block at a time over all workers.
//! Leaving the loop, a problem's time is its ordinal again, so the shard sink writes a block
//! once the frontier passes that ordinal.

pub mod aggregate;
pub mod committer;
pub mod generate;
pub mod label;
pub mod sample;
pub mod stash;
pub mod verify;
pub mod wire;
pub mod write_shards;

pub use aggregate::{AggregateProblems, AggregateStream};
pub use generate::GenerateProblems;
pub use label::LabelSteps;
pub use sample::SampleAttempts;
pub use verify::VerifyAttempts;
pub use wire::Wire;
pub use write_shards::{BlockDone, WriteShards};

use crate::stages::ProblemWork;

/// The stream of problems being worked on, at block ordinals.
pub type WorkStream<'scope> = timely::dataflow::StreamVec<'scope, u64, Wire<ProblemWork>>;

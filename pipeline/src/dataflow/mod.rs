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
//! `sample_attempts` routes problems to workers by id, the reduce its facts by problem key,
//! `write_shards` problems and aggregates by block.
//! A timestamp is a block ordinal and a round: `ordinal << ROUND_BITS | round`. The worker
//! loop (`crate::jobs::run`) admits one block per ordinal at round 0 and holds back while more
//! than `blocks-in-flight` are unwritten (a probe on the last stream), since timely itself has
//! no backpressure; each trip around the rollout loop adds one to the round, and the shard
//! sink writes a block once the frontier has passed all of its ordinal's rounds.

pub mod aggregate;
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

/// The stream of problems being worked on.
pub type WorkStream<'scope> = timely::dataflow::StreamVec<'scope, u64, Wire<ProblemWork>>;

/// Bits of a timestamp that count rollout rounds: a binary search over `m` steps needs
/// `ceil(log2(m + 1)) <= 64` rounds, so 8 bits always suffice.
pub const ROUND_BITS: u32 = 8;

/// The timestamp of a block's first round.
pub fn block_time(ordinal: u64) -> u64 {
    ordinal << ROUND_BITS
}

/// The block ordinal of a timestamp.
pub fn ordinal_of(time: u64) -> u64 {
    time >> ROUND_BITS
}

//! The run's stages as plain record-in, record-out functions. The dataflow (`crate::dataflow`)
//! wraps each in one named timely operator; tests and benches call them directly.
//!
//! Records move between stages as one [`ProblemWork`] per problem: the problem, then its
//! attempts (sample), their verdicts (verify), PRM records (label), and the SFT record and
//! rejects (aggregate); a problem whose failed attempts need rollouts goes around the loop
//! sample → verify → label again with its probes until every search has ended. All attempts of a problem travel together, so no stage ever waits for
//! another worker to finish a problem.

pub mod aggregate;
pub mod generate;
pub mod label;
pub mod oracle;
pub mod rollout;
pub mod sample;
pub mod verify;

use mull_data::{Attempt, PrmRecord, Problem, RejectRecord, SftRecord};
use serde::{Deserialize, Serialize};

use rollout::{Probe, Search};

/// One problem and everything the run has made of it so far.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProblemWork {
    pub problem: Problem,
    /// In attempt order.
    pub attempts: Vec<Attempt>,
    /// One per labelled attempt, in attempt order.
    pub prm: Vec<PrmRecord>,
    /// The shortest verified chain.
    pub sft: Option<SftRecord>,
    pub rejects: Vec<RejectRecord>,
    /// Binary searches for first wrong steps still running (label stage).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub searches: Vec<Search>,
    /// Rollouts this problem waits for: set by the label stage, sampled and graded on the next
    /// trip around the feedback loop.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<Probe>,
}

impl ProblemWork {
    pub fn new(problem: Problem) -> Self {
        ProblemWork {
            problem,
            attempts: Vec::new(),
            prm: Vec::new(),
            sft: None,
            rejects: Vec::new(),
            searches: Vec::new(),
            probes: Vec::new(),
        }
    }

    /// Tokens its attempts took to sample.
    pub fn tokens(&self) -> u64 {
        self.attempts.iter().map(|a| u64::from(a.tokens)).sum()
    }

    /// Records a reject of this problem's `id` (an attempt id, or the problem id).
    pub fn reject(&mut self, id: &str, stage: &str, reason: impl Into<String>) {
        self.rejects.push(RejectRecord {
            id: id.to_string(),
            problem_id: self.problem.id.clone(),
            stage: stage.to_string(),
            reason: reason.into(),
        });
    }
}

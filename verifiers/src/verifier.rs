//! The interface every verifier implements.

use mull_data::{Attempt, Problem, Verdict};

/// Judges attempts at problems of one family.
///
/// `verify` never panics and never returns an error: whatever goes wrong (an unparseable answer,
/// a work bound exceeded, a sandbox failure) becomes a verdict with `status: error` and a reason.
pub trait Verifier: Send + Sync {
    /// A short name recorded in verdicts (`"math"`, `"countdown"`, `"cipher"`, `"code"`).
    fn name(&self) -> &'static str;
    /// Bumped whenever a verdict could change, recorded in verdicts for provenance.
    fn version(&self) -> u32;
    /// Grades one attempt against its problem.
    fn verify(&self, problem: &Problem, attempt: &Attempt) -> Verdict;
}

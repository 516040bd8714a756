//! `verify_attempts`: every attempt's verdict.

use std::sync::Arc;

use mull_verifiers::Verifiers;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::StreamVec;
use timely::progress::Timestamp;

use super::Wire;
use crate::progress::Progress;
use crate::stages::verify::verify;
use crate::stages::ProblemWork;

/// Extension trait for a stream of sampled problems.
pub trait VerifyAttempts<'scope, T: Timestamp> {
    /// Grades each problem's attempts where they are (no exchange: a problem's attempts are
    /// already on one worker); verifier errors become rejects.
    fn verify_attempts(
        self,
        verifiers: Arc<Verifiers>,
        progress: Arc<Progress>,
    ) -> StreamVec<'scope, T, Wire<ProblemWork>>;
}

impl<'scope, T: Timestamp> VerifyAttempts<'scope, T> for StreamVec<'scope, T, Wire<ProblemWork>> {
    fn verify_attempts(
        self,
        verifiers: Arc<Verifiers>,
        progress: Arc<Progress>,
    ) -> StreamVec<'scope, T, Wire<ProblemWork>> {
        self.unary(Pipeline, "VerifyAttempts", move |_, _| {
            move |input, output| {
                input.for_each(|cap, data| {
                    for w in data.iter_mut() {
                        verify(&verifiers, w);
                        progress.verified(w);
                    }
                    output.session(&cap).give_container(data);
                });
            }
        })
    }
}

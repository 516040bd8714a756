//! `verify_attempts`: every attempt's verdict.

use std::sync::Arc;

use mull_verifiers::Verifiers;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use super::WorkStream;
use crate::progress::Progress;
use crate::stages::verify::verify;

/// Extension trait for a stream of sampled problems.
pub trait VerifyAttempts<'scope> {
    /// Grades each problem's attempts where they are (no exchange: a problem's attempts are
    /// already on one worker); verifier errors become rejects.
    fn verify_attempts(
        self,
        verifiers: Arc<Verifiers>,
        progress: Arc<Progress>,
    ) -> WorkStream<'scope>;
}

impl<'scope> VerifyAttempts<'scope> for WorkStream<'scope> {
    fn verify_attempts(
        self,
        verifiers: Arc<Verifiers>,
        progress: Arc<Progress>,
    ) -> WorkStream<'scope> {
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

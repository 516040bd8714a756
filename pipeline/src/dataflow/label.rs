//! `label_steps`: one PRM record per well-formed attempt.

use std::sync::Arc;

use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::StreamVec;
use timely::progress::Timestamp;

use super::Wire;
use crate::config::LabelConfig;
use crate::progress::Progress;
use crate::stages::label::label;
use crate::stages::ProblemWork;

/// Extension trait for a stream of verified problems.
pub trait LabelSteps<'scope, T: Timestamp> {
    /// Labels every step of every well-formed attempt (see `stages::label`); malformed
    /// attempts become rejects. A problem that waits for rollouts leaves with its `probes`
    /// set, for the feedback loop; the others are final.
    fn label_steps(
        self,
        config: LabelConfig,
        progress: Arc<Progress>,
    ) -> StreamVec<'scope, T, Wire<ProblemWork>>;
}

impl<'scope, T: Timestamp> LabelSteps<'scope, T> for StreamVec<'scope, T, Wire<ProblemWork>> {
    fn label_steps(
        self,
        config: LabelConfig,
        progress: Arc<Progress>,
    ) -> StreamVec<'scope, T, Wire<ProblemWork>> {
        self.unary(Pipeline, "LabelSteps", move |_, _| {
            move |input, output| {
                input.for_each(|cap, data| {
                    for w in data.iter_mut() {
                        label(w, &config);
                        progress.labelled(w);
                    }
                    output.session(&cap).give_container(data);
                });
            }
        })
    }
}

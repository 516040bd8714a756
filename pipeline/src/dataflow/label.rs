//! `label_steps`: one PRM record per well-formed attempt.

use std::sync::Arc;

use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use super::WorkStream;
use crate::config::LabelConfig;
use crate::progress::Progress;
use crate::stages::label::label;

/// Extension trait for a stream of verified problems.
pub trait LabelSteps<'scope> {
    /// Labels every step of every well-formed attempt (see `stages::label`); malformed
    /// attempts become rejects. A problem that waits for rollouts leaves with its `probes`
    /// set, for the feedback loop; the others are final.
    fn label_steps(self, config: LabelConfig, progress: Arc<Progress>) -> WorkStream<'scope>;
}

impl<'scope> LabelSteps<'scope> for WorkStream<'scope> {
    fn label_steps(self, config: LabelConfig, progress: Arc<Progress>) -> WorkStream<'scope> {
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

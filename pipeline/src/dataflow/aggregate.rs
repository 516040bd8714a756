//! `aggregate_problems`: per problem, its SFT record (the shortest verified chain).

use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;

use super::WorkStream;
use crate::stages::aggregate::aggregate;

/// Extension trait for a stream of labelled problems.
pub trait AggregateProblems<'scope> {
    /// Sets each problem's SFT record from its verified attempts.
    fn aggregate_problems(self) -> WorkStream<'scope>;
}

impl<'scope> AggregateProblems<'scope> for WorkStream<'scope> {
    fn aggregate_problems(self) -> WorkStream<'scope> {
        self.unary(Pipeline, "AggregateProblems", move |_, _| {
            move |input, output| {
                input.for_each(|cap, data| {
                    data.iter_mut().for_each(|w| aggregate(w));
                    output.session(&cap).give_container(data);
                });
            }
        })
    }
}

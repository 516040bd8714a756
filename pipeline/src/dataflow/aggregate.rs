//! `aggregate_problems`: per problem, differential's `reduce` over its attempts (attempts,
//! passes, distinct verified chains, the shortest one; `stages::aggregate::summarize`).
//!
//! The facts are arranged where their block is worked on (the caller's route, the one the
//! problems travel by), not by a hash of their key as differential would: no fact leaves its
//! worker or process, and each aggregate is made where the shard sink that needs it runs.
//!
//! Each attempt enters the reduce as a fact keyed by its problem at its block's ordinal, and
//! leaves it again (a retraction) at the next ordinal. The reduce therefore says each
//! problem's aggregate once, when the problem arrives, and its traces
//! consolidate to nothing once the frontier passes the block: the state it keeps is bounded
//! by the blocks in flight, not by the run. The problems themselves pass through untouched
//! (moved, not cloned) for the shard sink, which joins them with their aggregates.

use differential_dataflow::operators::arrange::arrangement::arrange_core;
use differential_dataflow::trace::implementations::{ValBatcher, ValBuilder, ValSpine};
use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::{Exchange, Pipeline};
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::operators::generic::{Operator, OutputBuilder};
use timely::dataflow::StreamVec;
use timely::progress::operate::FrontierInterest;

use super::{Wire, WorkStream};
use crate::stages::aggregate::{
    attempt_facts, summarize, AttemptFact, ProblemAggregate, ProblemKey,
};
use crate::stages::ProblemWork;

/// Every problem's aggregate, at the time its problem reached the reduce.
pub type AggregateStream<'scope> = StreamVec<'scope, u64, (ProblemKey, ProblemAggregate)>;

/// A differential update of the reduce's input.
type FactUpdate = ((ProblemKey, AttemptFact), u64, isize);

/// Extension trait for a stream of labelled problems.
pub trait AggregateProblems<'scope> {
    /// Returns the problems, unchanged, and each problem's aggregate over its attempts, made on
    /// the worker `route(key) % workers` (the route the problems travel by, so that nothing
    /// moves).
    ///
    /// ```
    /// use mull_data::Attempt;
    /// use mull_pipeline::dataflow::{AggregateProblems, Wire};
    /// use mull_pipeline::stages::aggregate::ProblemAggregate;
    /// use mull_pipeline::stages::{verify::verify, ProblemWork};
    /// use mull_verifiers::{sandbox::SandboxLimits, Verifiers};
    /// use timely::dataflow::operators::capture::Extract;
    /// use timely::dataflow::operators::{Capture, Inspect, ToStream};
    ///
    /// let spec = mull_generators::GeneratorSpec {
    ///     family: "arithmetic".into(),
    ///     variant: None,
    ///     difficulty: Some(1),
    /// };
    /// let mut work = ProblemWork::new(mull_generators::generate(&spec, 7, 0).unwrap());
    /// let (id, right) = (work.problem.id.clone(), work.problem.reference_completion());
    /// // The same right chain twice, then a chain with no answer.
    /// for (i, text) in [right.clone(), right, "<think>\nhmm\n</think>".into()].into_iter().enumerate() {
    ///     work.attempts.push(Attempt::from_completion(&id, i as u32, text));
    /// }
    /// verify(&Verifiers::new(SandboxLimits::default()), &mut work);
    ///
    /// let aggregates = timely::example(move |scope| {
    ///     let (works, aggregates) = vec![Wire(work)].to_stream(scope).aggregate_problems(|_| 0);
    ///     works.inspect(|w| assert_eq!(w.attempts.len(), 3));
    ///     aggregates.capture()
    /// });
    /// let (_, aggregate) = aggregates.extract().remove(0).1.remove(0);
    /// assert_eq!(
    ///     aggregate,
    ///     ProblemAggregate { attempts: 3, correct: 2, distinct_verified: 1, shortest: Some(0) }
    /// );
    /// ```
    fn aggregate_problems(
        self,
        route: impl Fn(&ProblemKey) -> u64 + 'static,
    ) -> (WorkStream<'scope>, AggregateStream<'scope>);
}

impl<'scope> AggregateProblems<'scope> for WorkStream<'scope> {
    fn aggregate_problems(
        self,
        route: impl Fn(&ProblemKey) -> u64 + 'static,
    ) -> (WorkStream<'scope>, AggregateStream<'scope>) {
        let mut builder = OperatorBuilder::new("AttemptFacts".to_owned(), self.scope());
        let mut input = builder.new_input(self, Pipeline);
        builder.set_notify_for(0, FrontierInterest::Never);
        let (works_out, works) = builder.new_output();
        let (facts_out, facts) = builder.new_output();
        let mut works_out =
            OutputBuilder::<_, CapacityContainerBuilder<Vec<Wire<ProblemWork>>>>::from(works_out);
        let mut facts_out =
            OutputBuilder::<_, CapacityContainerBuilder<Vec<FactUpdate>>>::from(facts_out);
        builder.build(move |_| {
            move |_frontiers| {
                let mut works_handle = works_out.activate();
                let mut facts_handle = facts_out.activate();
                input.for_each(|cap, data| {
                    let Some(&time) = cap.least() else {
                        return;
                    };
                    // The facts leave the reduce once the whole block has passed it.
                    let retire = time + 1;
                    let mut facts = facts_handle.session(&cap);
                    for work in data.iter() {
                        let Some(key) = ProblemKey::of(&work.problem) else {
                            continue;
                        };
                        for fact in attempt_facts(work) {
                            facts.give(((key, fact), time, 1));
                            facts.give(((key, fact), retire, -1));
                        }
                    }
                    works_handle.session(&cap).give_container(data);
                });
            }
        });
        let by_block = Exchange::new(move |((key, _), _, _): &FactUpdate| route(key));
        let arranged = arrange_core::<_, _, _, ValSpine<ProblemKey, AttemptFact, u64, isize>>(
            facts,
            by_block,
            "Arrange: AggregateProblems",
            ValBatcher::new,
        );
        let aggregates = arranged
            .reduce_abelian::<_, ValBuilder<_, _, _, _>, ValSpine<ProblemKey, ProblemAggregate, u64, isize>, _, _>(
                "AggregateProblems",
                |_key, facts, out| {
                    out.push((summarize(facts.iter().map(|(f, n)| (*f, *n))), 1isize));
                },
                |vec, key, upds| {
                    vec.clear();
                    vec.extend(upds.drain(..).map(|(v, t, r)| ((*key, v), t, r)));
                },
            )
            .as_collection(|k, v| (*k, v.clone()))
            .inner
            .unary(Pipeline, "NewAggregates", |_, _| {
                |input, output| {
                    input.for_each(|cap, data| {
                        // The reduce may send an update under an earlier capability than its
                        // time; the sink keys by time, so each goes out at its own. Retractions
                        // (the block's end) are dropped here.
                        for ((key, aggregate), time, diff) in data.drain(..) {
                            if diff > 0 {
                                let at = cap.delayed(&time, output.output_index());
                                output.session(&at).give((key, aggregate));
                            }
                        }
                    });
                }
            });
        (works, aggregates)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use mull_data::Attempt;
    use timely::dataflow::operators::{Inspect, ToStream};

    use super::*;

    fn work(index: u64) -> Wire<ProblemWork> {
        let spec = mull_generators::GeneratorSpec {
            family: "arithmetic".into(),
            variant: None,
            difficulty: Some(1),
        };
        let mut work = ProblemWork::new(mull_generators::generate(&spec, 7, index).unwrap());
        let (id, text) = (work.problem.id.clone(), work.problem.reference_completion());
        work.attempts.push(Attempt::from_completion(&id, 0, text));
        Wire(work)
    }

    /// Problems enter on worker 0 only; each aggregate is made on the worker its route names,
    /// so with the route the problems travel by, no fact crosses to another worker.
    #[test]
    fn aggregates_are_made_on_the_routed_worker() {
        for target in [0u64, 1, 3] {
            let seen = Arc::new(Mutex::new(Vec::new()));
            let shared = seen.clone();
            timely::execute(timely::Config::process(2), move |worker| {
                let index = worker.index();
                let seen = shared.clone();
                worker.dataflow::<u64, _, _>(move |scope| {
                    let works = if index == 0 {
                        vec![work(3), work(4)]
                    } else {
                        Vec::new()
                    };
                    let (_, aggregates) =
                        works.to_stream(scope).aggregate_problems(move |_| target);
                    aggregates.inspect(move |(key, aggregate)| {
                        seen.lock()
                            .unwrap()
                            .push((index, key.index, aggregate.attempts));
                    });
                });
            })
            .unwrap()
            .join();
            let mut seen = seen.lock().unwrap().clone();
            seen.sort();
            let worker = (target % 2) as usize;
            assert_eq!(seen, [(worker, 3, 1), (worker, 4, 1)], "route {target}");
        }
    }
}

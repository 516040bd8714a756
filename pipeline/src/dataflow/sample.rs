//! `sample_attempts`: each problem's attempts from the teacher, in batches formed from ids.

use std::sync::Arc;

use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::StreamVec;
use timely::progress::Timestamp;

use super::stash::Stash;
use super::Wire;
use crate::progress::Progress;
use crate::run_dir::Routes;
use crate::stages::sample::Teacher;
use crate::stages::ProblemWork;

/// Extension trait for a stream of problems.
pub trait SampleAttempts<'scope, T: Timestamp> {
    /// Routes problems to workers by block (where `generate_problems` made them and
    /// `write_shards` writes them: [`Routes`]), waits until a timestamp's problems have all
    /// arrived (the input frontier passes it), sorts them by id and samples them in fixed
    /// blocks: the batches depend on ids alone, never on arrival order. Problems back from the
    /// label stage with probes get `rollouts` continuations per probe instead.
    fn sample_attempts(
        self,
        teacher: Arc<Teacher>,
        rollouts: u32,
        routes: Arc<Routes>,
        progress: Arc<Progress>,
    ) -> StreamVec<'scope, T, Wire<ProblemWork>>;
}

impl<'scope, T: Timestamp> SampleAttempts<'scope, T> for StreamVec<'scope, T, Wire<ProblemWork>> {
    fn sample_attempts(
        self,
        teacher: Arc<Teacher>,
        rollouts: u32,
        routes: Arc<Routes>,
        progress: Arc<Progress>,
    ) -> StreamVec<'scope, T, Wire<ProblemWork>> {
        let by_block = Exchange::new(move |w: &Wire<ProblemWork>| routes.of_problem(&w.problem));
        self.unary_frontier(by_block, "SampleAttempts", move |_, _| {
            let mut stash = Stash::default();
            move |(input, frontier), output| {
                let port = output.output_index();
                input.for_each(|cap, data| {
                    stash.hold(cap, port, data.drain(..).map(|w| w.0));
                });
                for (cap, mut work) in stash.take(|time| !frontier.frontier().less_equal(time)) {
                    work.sort_by(|a, b| a.problem.id.cmp(&b.problem.id));
                    teacher.sample(&mut work, rollouts);
                    progress.sampled(&work);
                    output
                        .session(&cap)
                        .give_iterator(work.into_iter().map(Wire));
                }
            }
        })
    }
}

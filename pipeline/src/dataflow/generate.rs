//! `generate_problems`: each block's problems, every worker generating its own share.

use std::sync::Arc;

use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::StreamVec;

use super::{Wire, WorkStream};
use crate::config::RunConfig;
use crate::run_dir::{Block, Routes};
use crate::stages::{generate, ProblemWork};

/// Extension trait for a stream of blocks.
pub trait GenerateProblems<'scope> {
    /// The problems of each block whose route falls to this worker (`route % peers`, as timely
    /// exchanges: [`Routes`]), at the block's timestamp. The config's families were checked
    /// before the run started, so a generator error here is a bug: it is logged and the
    /// problem is left out.
    ///
    /// # Examples
    /// ```
    /// use std::sync::Arc;
    /// use timely::dataflow::operators::{Inspect, ToStream};
    /// use mull_data::Family;
    /// use mull_pipeline::config::RunConfig;
    /// use mull_pipeline::dataflow::GenerateProblems;
    /// use mull_pipeline::run_dir::{Block, Plan, Routes};
    ///
    /// let text = "out = \"x\"\nseed = 1\n[families.arithmetic]\ncount = 3\n[teacher]\nkind = \"oracle\"\n";
    /// let config = Arc::new(RunConfig::from_toml(text, "c".as_ref()).unwrap());
    /// let routes = Arc::new(Routes::new(&Plan::new(&config), 1));
    /// timely::example(move |scope| {
    ///     let block = Block { family: Family::Arithmetic, start: 0, end: 3 };
    ///     Some(block)
    ///         .to_stream(scope)
    ///         .container::<Vec<_>>()
    ///         .generate_problems(config, routes, 0, 1)
    ///         .inspect(|w| assert_eq!(w.problem.family, "arithmetic"));
    /// });
    /// ```
    fn generate_problems(
        self,
        config: Arc<RunConfig>,
        routes: Arc<Routes>,
        worker: usize,
        peers: usize,
    ) -> WorkStream<'scope>;
}

impl<'scope> GenerateProblems<'scope> for StreamVec<'scope, u64, Block> {
    fn generate_problems(
        self,
        config: Arc<RunConfig>,
        routes: Arc<Routes>,
        worker: usize,
        peers: usize,
    ) -> WorkStream<'scope> {
        self.unary(Pipeline, "GenerateProblems", move |_, _| {
            move |input, output| {
                input.for_each(|cap, blocks| {
                    let mut session = output.session(&cap);
                    for block in blocks.drain(..) {
                        if routes.of(block.family, block.start) % peers.max(1) as u64
                            != worker as u64
                        {
                            continue;
                        }
                        let Some(family) = config.families.get(&block.family) else {
                            tracing::error!("block {} of a family not in the config", block.name());
                            continue;
                        };
                        let range = block.start..block.end;
                        match generate::block(block.family, family, config.seed, range) {
                            Ok(problems) => session.give_iterator(
                                problems.into_iter().map(|p| Wire(ProblemWork::new(p))),
                            ),
                            Err(e) => tracing::error!("generating block {}: {e}", block.name()),
                        }
                    }
                });
            }
        })
    }
}

//! `write_shards`: each block's five shards, written once all its problems have arrived.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::StreamVec;

use super::stash::Stash;
use super::{Wire, WorkStream};
use crate::config::RunConfig;
use crate::progress::Progress;
use crate::run_dir::{write_block, Block, Plan, ShardFile};
use crate::stages::aggregate::Tally;
use crate::stages::ProblemWork;

/// A written block: its shards and what they hold.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BlockDone {
    pub block: Block,
    pub shards: Vec<ShardFile>,
    pub tally: Tally,
}

/// Where the shards go, and where a failure to write them is reported (an I/O error is not a
/// per-record failure: the run stops with it).
pub struct ShardSink {
    pub dir: PathBuf,
    pub plan: Plan,
    pub config: Arc<RunConfig>,
    pub failures: Arc<Mutex<Vec<String>>>,
    /// Each block's place in the plan: blocks go to writers round-robin by it, so consecutive
    /// blocks (those in flight together) land on different workers.
    ordinals: HashMap<Block, u64>,
}

impl ShardSink {
    pub fn new(dir: PathBuf, plan: Plan, config: Arc<RunConfig>) -> Self {
        let ordinals = (0u64..)
            .zip(&plan.blocks)
            .map(|(o, b)| (b.clone(), o))
            .collect();
        ShardSink {
            dir,
            plan,
            config,
            failures: Arc::new(Mutex::new(Vec::new())),
            ordinals,
        }
    }

    /// The worker route of a problem's block.
    fn route(&self, problem: &mull_data::Problem) -> u64 {
        let block = block_of(self, problem);
        match self.ordinals.get(&block) {
            Some(o) => *o,
            None => mull_data::ids::route(&block.name()),
        }
    }
}

/// Extension trait for a stream of finished problems.
pub trait WriteShards<'scope> {
    /// Routes problems to one worker per block (round-robin over the plan), and when the input frontier passes every round
    /// of a block's ordinal writes it (records sorted by id) and emits what was written.
    fn write_shards(
        self,
        sink: Arc<ShardSink>,
        progress: Arc<Progress>,
    ) -> StreamVec<'scope, u64, Wire<BlockDone>>;
}

impl<'scope> WriteShards<'scope> for WorkStream<'scope> {
    fn write_shards(
        self,
        sink: Arc<ShardSink>,
        progress: Arc<Progress>,
    ) -> StreamVec<'scope, u64, Wire<BlockDone>> {
        let route_sink = sink.clone();
        let by_block = Exchange::new(move |w: &Wire<ProblemWork>| route_sink.route(&w.problem));
        self.unary_frontier(by_block, "WriteShards", move |_, _| {
            let mut stash = Stash::default();
            move |(input, frontier), output| {
                let port = output.output_index();
                // Keyed by block ordinal: a block's problems arrive over several rounds, and it
                // is whole once no round of its ordinal can still arrive.
                input.for_each(|cap, data| stash.hold(cap, port, super::ordinal_of, data));
                let whole = |o: u64| !frontier.frontier().less_than(&super::block_time(o + 1));
                for (cap, work) in stash.take(whole) {
                    let mut blocks: BTreeMap<Block, Vec<ProblemWork>> = BTreeMap::new();
                    for w in work {
                        blocks
                            .entry(block_of(&sink, &w.problem))
                            .or_default()
                            .push(w);
                    }
                    let mut session = output.session(&cap);
                    for (block, mut works) in blocks {
                        let mut tally = Tally::default();
                        works.iter().for_each(|w| tally.add(&Tally::of(w)));
                        match write_block(&sink.dir, &block, &mut works) {
                            Ok(shards) => {
                                progress.written(&block);
                                session.give(Wire(BlockDone {
                                    block,
                                    shards,
                                    tally,
                                }));
                            }
                            Err(e) => {
                                let mut failures =
                                    sink.failures.lock().unwrap_or_else(|e| e.into_inner());
                                failures.push(format!("writing block {}: {e}", block.name()));
                            }
                        }
                    }
                }
            }
        })
    }
}

fn block_of(sink: &ShardSink, problem: &mull_data::Problem) -> Block {
    let family = problem
        .family
        .parse()
        .unwrap_or(mull_data::Family::Arithmetic);
    let count = sink.config.families.get(&family).map_or(0, |f| f.count);
    sink.plan.block_of(family, problem.index, count)
}

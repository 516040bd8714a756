//! `write_shards`: each block's five shards, written once all its problems have arrived.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::Capability;
use timely::dataflow::StreamVec;

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
            let mut stash: BTreeMap<u64, (Capability<u64>, Vec<ProblemWork>)> = BTreeMap::new();
            move |(input, frontier), output| {
                input.for_each(|cap, data| {
                    // A message without a time claims no progress; timely sends none here.
                    let Some(cap) = cap.retain_least(output.output_index()) else {
                        return;
                    };
                    // Keyed by block ordinal: a block's problems arrive over several rounds.
                    let ordinal = super::ordinal_of(*cap.time());
                    let entry = stash.entry(ordinal).or_insert_with(|| (cap, Vec::new()));
                    entry.1.extend(data.drain(..).map(|w| w.0));
                });
                // A block is whole once no round of its ordinal can still arrive.
                let ready: Vec<u64> = stash
                    .keys()
                    .copied()
                    .filter(|o| !frontier.frontier().less_than(&super::block_time(o + 1)))
                    .collect();
                for ordinal in ready {
                    let Some((cap, work)) = stash.remove(&ordinal) else {
                        continue;
                    };
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

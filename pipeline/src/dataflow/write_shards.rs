//! `write_shards`: each block's five shards, written once all its problems and their
//! aggregates have arrived, and emitted once they are in place.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::Operator;
use timely::dataflow::operators::Capability;
use timely::dataflow::StreamVec;

use super::aggregate::AggregateStream;
use super::committer::Committer;
use super::stash::Stash;
use super::{Wire, WorkStream};
use crate::config::RunConfig;
use crate::progress::Progress;
use crate::run_dir::{close_block, Block, Plan, Routes, ShardFile};
use crate::stages::aggregate::{key_of, set_sft, ProblemAggregate, ProblemKey, Tally};
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
}

impl ShardSink {
    pub fn new(dir: PathBuf, plan: Plan, config: Arc<RunConfig>) -> Self {
        ShardSink {
            dir,
            plan,
            config,
            failures: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Records that a block could not be written: the run stops with it.
    fn fail(&self, block: &Block, error: impl std::fmt::Display) {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        failures.push(format!("writing block {}: {error}", block.name()));
    }
}

/// Extension trait for a stream of finished problems.
pub trait WriteShards<'scope> {
    /// Routes problems and their aggregates to their block's worker ([`Routes`]: where the
    /// problems already are), and when both inputs' frontiers pass every round of a block's
    /// ordinal, sets each problem's SFT record from its aggregate and writes the block
    /// (records sorted by id).
    /// A [`Committer`] thread puts the shards in place; what was written is emitted once they
    /// are, so a block stays in flight (and out of the manifest) until then.
    fn write_shards(
        self,
        aggregates: AggregateStream<'scope>,
        sink: Arc<ShardSink>,
        routes: Arc<Routes>,
        progress: Arc<Progress>,
    ) -> StreamVec<'scope, u64, Wire<BlockDone>>;
}

impl<'scope> WriteShards<'scope> for WorkStream<'scope> {
    fn write_shards(
        self,
        aggregates: AggregateStream<'scope>,
        sink: Arc<ShardSink>,
        routes: Arc<Routes>,
        progress: Arc<Progress>,
    ) -> StreamVec<'scope, u64, Wire<BlockDone>> {
        let works_routes = routes.clone();
        let works_by_block =
            Exchange::new(move |w: &Wire<ProblemWork>| works_routes.of_problem(&w.problem));
        let aggregates_by_block =
            Exchange::new(move |(key, _): &(ProblemKey, ProblemAggregate)| routes.of_key(key));
        let scope = self.scope();
        self.binary_frontier(
            aggregates,
            works_by_block,
            aggregates_by_block,
            "WriteShards",
            move |_, info| {
                let activator = scope.worker().sync_activator_for(info.address.to_vec());
                let committer =
                    Committer::start(format!("mull-commit-{}", scope.index()), move || {
                        // An error means the worker is gone, and with it the need to wake it.
                        let _ = activator.activate();
                    });
                // Blocks handed to the committer, by ticket, each with the capability that
                // keeps it in flight until its shards are in place.
                let mut committing: HashMap<u64, (Capability<u64>, Block, Tally)> = HashMap::new();
                let mut tickets = 0u64..;
                let mut stash = Stash::default();
                // By block ordinal, then problem index (a block is one family's range). No
                // capability is held for these: a block's shards go out under its problems'.
                let mut held: BTreeMap<u64, HashMap<u64, ProblemAggregate>> = BTreeMap::new();
                move |(works, works_frontier), (aggregates, aggregates_frontier), output| {
                    for (ticket, committed) in committer.finished() {
                        let Some((cap, block, tally)) = committing.remove(&ticket) else {
                            continue;
                        };
                        match committed {
                            Ok(infos) => {
                                progress.written(&block);
                                let shards = infos.into_iter().map(ShardFile::from).collect();
                                output.session(&cap).give(Wire(BlockDone {
                                    block,
                                    shards,
                                    tally,
                                }));
                            }
                            Err(e) => sink.fail(&block, e),
                        }
                    }
                    let port = output.output_index();
                    // Keyed by block ordinal (the time): a block is whole once its ordinal can no
                    // longer arrive on either input.
                    works.for_each(|cap, data| {
                        stash.hold(cap, port, data.drain(..).map(|w| w.0));
                    });
                    aggregates.for_each(|cap, data| {
                        if let Some(&time) = cap.least() {
                            held.entry(time)
                                .or_default()
                                .extend(data.drain(..).map(|(key, a)| (key.index, a)));
                        }
                    });
                    let whole = |o: &u64| {
                        !works_frontier.frontier().less_equal(o)
                            && !aggregates_frontier.frontier().less_equal(o)
                    };
                    for (cap, work) in stash.take(whole) {
                        let mut of_block = held.remove(cap.time()).unwrap_or_default();
                        let mut blocks: BTreeMap<Block, Vec<ProblemWork>> = BTreeMap::new();
                        for w in work {
                            blocks
                                .entry(block_of(&sink, key_of(&w.problem)))
                                .or_default()
                                .push(w);
                        }
                        for (block, mut works) in blocks {
                            let mut tally = Tally::default();
                            for w in works.iter_mut() {
                                // A problem without attempts has no facts, so no aggregate.
                                let aggregate =
                                    of_block.remove(&w.problem.index).unwrap_or_default();
                                set_sft(w, &aggregate);
                                tally.add(&Tally::of(w, &aggregate));
                            }
                            match close_block(&sink.dir, &block, &mut works) {
                                Ok(closed) => {
                                    let ticket = tickets.next().unwrap_or_default();
                                    committing.insert(ticket, (cap.clone(), block, tally));
                                    committer.submit(ticket, closed);
                                }
                                Err(e) => sink.fail(&block, e),
                            }
                        }
                    }
                    held.retain(|o, _| !whole(o));
                }
            },
        )
    }
}

fn block_of(sink: &ShardSink, key: ProblemKey) -> Block {
    let count = sink.config.families.get(&key.family).map_or(0, |f| f.count);
    sink.plan.block_of(key.family, key.index, count)
}

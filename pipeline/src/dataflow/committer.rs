//! [`Committer`]: a thread beside a worker that puts its closed shards in place (sync,
//! sidecar, rename, directory sync) while the worker goes on computing.
//!
//! A sync waits for the disk, and on a journalling file system one writer's sync waits for
//! the others'. Done on the worker, those waits were the largest cost of a second worker
//! (`mull bench pipeline` on ext4). The `WriteShards` operator closes a block's shards, hands
//! them here, and keeps the block's capability until they are in place, so a block counts as
//! in flight until then and nothing downstream (the manifest above all) sees it earlier.
//! Blocks queued while a commit runs go together in the next one: one directory sync each.

use std::sync::mpsc::{channel, sync_channel, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use mull_data::shard::{commit, ClosedShard, ShardInfo};

/// A block's shards, by the ticket its submitter gave them.
type Job = (u64, Vec<ClosedShard>);
/// A block committed, or why not.
pub type Committed = (u64, Result<Vec<ShardInfo>, String>);

/// Blocks waiting for the thread at most; a worker submitting more waits for it. Flow control
/// keeps fewer than this in flight.
const QUEUE: usize = 16;

pub struct Committer {
    /// The thread and its queue; `None` if no thread could start, and then `submit` commits
    /// on the caller's thread.
    thread: Option<(SyncSender<Job>, JoinHandle<()>)>,
    done_tx: Sender<Committed>,
    done: Receiver<Committed>,
}

impl Committer {
    /// Starts the thread. `wake` runs after each commit (it activates the operator waiting
    /// for it).
    pub fn start(name: String, wake: impl Fn() + Send + 'static) -> Self {
        let (done_tx, done) = channel();
        let (jobs_tx, jobs) = sync_channel::<Job>(QUEUE);
        let results = done_tx.clone();
        let thread = std::thread::Builder::new().name(name).spawn(move || {
            while let Ok(first) = jobs.recv() {
                let mut batch = vec![first];
                batch.extend(jobs.try_iter());
                for committed in commit_batch(batch) {
                    if results.send(committed).is_err() {
                        return;
                    }
                }
                wake();
            }
        });
        match thread {
            Ok(handle) => Committer {
                thread: Some((jobs_tx, handle)),
                done_tx,
                done,
            },
            Err(e) => {
                tracing::warn!("no thread to commit shards ({e}): the workers commit them");
                Committer {
                    thread: None,
                    done_tx,
                    done,
                }
            }
        }
    }

    /// Queues a block's shards (waiting while the queue is full).
    pub fn submit(&self, ticket: u64, shards: Vec<ClosedShard>) {
        let job = (ticket, shards);
        let job = match &self.thread {
            Some((jobs, _)) => match jobs.send(job) {
                Ok(()) => return,
                // The thread is gone (it only ends when this committer drops, or by a panic):
                // the job is done here instead.
                Err(std::sync::mpsc::SendError(job)) => job,
            },
            None => job,
        };
        for committed in commit_batch(vec![job]) {
            let _ = self.done_tx.send(committed);
        }
    }

    /// The blocks committed since the last call.
    pub fn finished(&self) -> impl Iterator<Item = Committed> + '_ {
        self.done.try_iter()
    }
}

impl Drop for Committer {
    /// Lets the thread finish what is queued, then waits for it: no commit outlives the run.
    fn drop(&mut self) {
        if let Some((jobs, handle)) = self.thread.take() {
            drop(jobs);
            let _ = handle.join();
        }
    }
}

/// Commits the blocks' shards as one batch and splits the result back by ticket. An error
/// fails every block of the batch: it stops the run, which redoes them on resume.
fn commit_batch(batch: Vec<Job>) -> Vec<Committed> {
    let counts: Vec<(u64, usize)> = batch.iter().map(|(t, s)| (*t, s.len())).collect();
    let shards: Vec<ClosedShard> = batch.into_iter().flat_map(|(_, s)| s).collect();
    match commit(shards) {
        Ok(infos) => {
            let mut infos = infos.into_iter();
            counts
                .into_iter()
                .map(|(ticket, n)| (ticket, Ok(infos.by_ref().take(n).collect())))
                .collect()
        }
        Err(e) => counts
            .into_iter()
            .map(|(ticket, _)| (ticket, Err(e.to_string())))
            .collect(),
    }
}

//! [`Stash`]: problems held under a key (a timestamp, a block ordinal) until the input
//! frontier says no more can arrive for it — the "buffer by time, act when the frontier
//! passes" pattern of the operators that need whole batches.

use std::collections::BTreeMap;

use timely::dataflow::operators::{Capability, InputCapability};

use super::Wire;
use crate::stages::ProblemWork;

/// Problems by key, each key with the capability of its first message.
#[derive(Default)]
pub struct Stash {
    held: BTreeMap<u64, (Capability<u64>, Vec<ProblemWork>)>,
}

impl Stash {
    /// Holds one message's problems under `key(time)`, with a capability for output `port`.
    /// A message without a time claims no progress; timely sends none here, and it is dropped.
    pub fn hold(
        &mut self,
        cap: InputCapability<u64>,
        port: usize,
        key: impl Fn(u64) -> u64,
        data: &mut Vec<Wire<ProblemWork>>,
    ) {
        let Some(cap) = cap.retain_least(port) else {
            return;
        };
        let entry = self
            .held
            .entry(key(*cap.time()))
            .or_insert_with(|| (cap, Vec::new()));
        entry.1.extend(data.drain(..).map(|w| w.0));
    }

    /// Removes every key for which `whole(key)` says nothing more can arrive, in key order.
    pub fn take(
        &mut self,
        whole: impl Fn(u64) -> bool,
    ) -> Vec<(Capability<u64>, Vec<ProblemWork>)> {
        let ready: Vec<u64> = self.held.keys().copied().filter(|k| whole(*k)).collect();
        ready
            .into_iter()
            .filter_map(|k| self.held.remove(&k))
            .collect()
    }
}

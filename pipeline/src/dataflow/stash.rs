//! [`Stash`]: records held under a key (a timestamp, a block ordinal) until the input
//! frontier says no more can arrive for it — the "buffer by time, act when the frontier
//! passes" pattern of the operators that need whole batches.

use std::collections::BTreeMap;

use timely::dataflow::operators::{Capability, InputCapability};

/// Records by key, each key with the capability of its first message.
pub struct Stash<T> {
    held: BTreeMap<u64, (Capability<u64>, Vec<T>)>,
}

impl<T> Default for Stash<T> {
    fn default() -> Self {
        Stash {
            held: BTreeMap::new(),
        }
    }
}

impl<T> Stash<T> {
    /// Holds one message's records under `key(time)`, with a capability for output `port`.
    /// A message without a time claims no progress; timely sends none here, and it is dropped.
    pub fn hold(
        &mut self,
        cap: InputCapability<u64>,
        port: usize,
        key: impl Fn(u64) -> u64,
        records: impl IntoIterator<Item = T>,
    ) {
        let Some(cap) = cap.retain_least(port) else {
            return;
        };
        let entry = self
            .held
            .entry(key(*cap.time()))
            .or_insert_with(|| (cap, Vec::new()));
        entry.1.extend(records);
    }

    /// Removes every key for which `whole(key)` says nothing more can arrive, in key order.
    pub fn take(&mut self, whole: impl Fn(u64) -> bool) -> Vec<(Capability<u64>, Vec<T>)> {
        let ready: Vec<u64> = self.held.keys().copied().filter(|k| whole(*k)).collect();
        ready
            .into_iter()
            .filter_map(|k| self.held.remove(&k))
            .collect()
    }
}

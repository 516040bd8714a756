//! [`Stash`]: records held under their timestamp until the input frontier says no more can
//! arrive for it — the "buffer by time, act when the frontier passes" pattern of the operators
//! that need whole batches.

use std::collections::BTreeMap;

use timely::dataflow::operators::{Capability, InputCapability};
use timely::progress::Timestamp;

/// Records by time, each time with the capability of its first message.
pub struct Stash<T: Timestamp, R> {
    held: BTreeMap<T, (Capability<T>, Vec<R>)>,
}

impl<T: Timestamp, R> Default for Stash<T, R> {
    fn default() -> Self {
        Stash {
            held: BTreeMap::new(),
        }
    }
}

impl<T: Timestamp, R> Stash<T, R> {
    /// Holds one message's records under its time, with a capability for output `port`.
    /// A message without a time claims no progress; timely sends none here, and it is dropped.
    /// Every message of this dataflow carries one time; one stamped with several (possible
    /// under a partial order) is held under the least in `Ord`, which is one of its times.
    pub fn hold(
        &mut self,
        cap: InputCapability<T>,
        port: usize,
        records: impl IntoIterator<Item = R>,
    ) {
        let Some(time) = cap.stamp().iter().min() else {
            return;
        };
        let cap = cap.delayed(time, port);
        let entry = self
            .held
            .entry(cap.time().clone())
            .or_insert_with(|| (cap, Vec::new()));
        entry.1.extend(records);
    }

    /// Removes every time for which `whole(time)` says nothing more can arrive, in `Ord` order.
    pub fn take(&mut self, whole: impl Fn(&T) -> bool) -> Vec<(Capability<T>, Vec<R>)> {
        let ready: Vec<T> = self.held.keys().filter(|k| whole(k)).cloned().collect();
        ready
            .into_iter()
            .filter_map(|k| self.held.remove(&k))
            .collect()
    }
}

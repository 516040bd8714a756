//! Monte-Carlo rollouts for PRM labels (Math-Shepherd), spent where they decide something:
//! OmegaPRM's binary search for the first wrong step of a failed attempt.
//!
//! A *probe* of step `i` samples `n` continuations from after steps `0..=i` of an attempt; `k`
//! of them reaching a verified answer says the prefix is still on a path to it (`k > 0`, the
//! hard label) and how likely (`k / n`, the soft one). For a failed attempt the first wrong
//! step is the first prefix with `k = 0`; assuming that once a prefix is lost, longer ones are
//! too, a binary search over the steps no exact check decided finds it in
//! `ceil(log2(m + 1))` rounds of one probe each, for `m` such steps, instead of `m` probes.
//! Each round is one trip around the dataflow's feedback loop.

use mull_data::{Attempt, LabelSource, PrmRecord};
use serde::{Deserialize, Serialize};

/// `n` continuations from after step `step` of attempt `attempt`, filled in by the sample
/// stage and graded by the verify stage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    pub attempt: u32,
    pub step: usize,
    /// Full completions (the prefix and its continuation), graded once verified.
    pub continuations: Vec<Attempt>,
}

impl Probe {
    /// Continuations whose verdict is correct.
    pub fn successes(&self) -> u32 {
        self.continuations
            .iter()
            .filter(|c| c.verdict.as_ref().is_some_and(|v| v.correct))
            .count() as u32
    }
}

/// The binary search over one failed attempt's undecided steps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Search {
    pub attempt: u32,
    /// Step indices no exact check decided, before the first exactly wrong step, ascending.
    pub candidates: Vec<usize>,
    /// The first wrong candidate is at a position in `lo..=hi` (`hi == len`: none is).
    lo: usize,
    hi: usize,
    /// `(step, k, n)` of every probe run.
    pub probes: Vec<(usize, u32, u32)>,
}

impl Search {
    /// A search over `candidates`, or `None` when there is nothing to search.
    pub fn new(attempt: u32, candidates: Vec<usize>) -> Option<Self> {
        (!candidates.is_empty()).then(|| Search {
            attempt,
            hi: candidates.len(),
            candidates,
            lo: 0,
            probes: Vec::new(),
        })
    }

    /// The step to probe next, or `None` once the search has ended.
    pub fn next_step(&self) -> Option<usize> {
        (self.lo < self.hi).then(|| self.candidates[(self.lo + self.hi) / 2])
    }

    /// Records the probe of [`next_step`](Self::next_step): `k` of `n` continuations reached
    /// a verified answer.
    pub fn record(&mut self, k: u32, n: u32) {
        let Some(step) = self.next_step() else {
            return;
        };
        let mid = (self.lo + self.hi) / 2;
        self.probes.push((step, k, n));
        if k > 0 {
            self.lo = mid + 1;
        } else {
            self.hi = mid;
        }
    }

    /// The first wrong step found, once the search has ended.
    pub fn first_wrong(&self) -> Option<usize> {
        if self.lo < self.hi {
            return None;
        }
        self.candidates.get(self.lo).copied()
    }

    /// Rewrites a record's labels with the search's result: candidates before the first wrong
    /// one are right (a later prefix still reached the answer), it is wrong, and every step
    /// after it is wrong too; probed steps carry their `[k, n]`.
    pub fn apply(&self, record: &mut PrmRecord) {
        let steps = record.labels.len();
        let first = self.first_wrong();
        let mut rollouts = vec![[0u32, 0u32]; steps];
        for &(step, k, n) in &self.probes {
            if let Some(r) = rollouts.get_mut(step) {
                *r = [k, n];
            }
        }
        for &c in &self.candidates {
            if c >= steps {
                continue;
            }
            let right = first.is_none_or(|f| c < f);
            record.labels[c] = right;
            record.label_source[c] = LabelSource::Rollout;
        }
        if let Some(f) = first {
            record.first_error = Some(record.first_error.map_or(f, |e| e.min(f)));
            for j in f + 1..steps {
                record.labels[j] = false;
                record.label_source[j] = LabelSource::AfterFirstError;
            }
        }
        record.rollouts = rollouts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives a search against a known first wrong position and counts the rounds.
    fn search(len: usize, wrong_from: usize) -> (Option<usize>, usize) {
        let mut s = Search::new(0, (0..len).map(|i| i * 2).collect()).unwrap();
        let mut rounds = 0;
        while let Some(step) = s.next_step() {
            s.record(u32::from(step < wrong_from * 2), 4);
            rounds += 1;
        }
        (s.first_wrong(), rounds)
    }

    #[test]
    fn binary_search_finds_the_first_wrong_step_in_log_rounds() {
        for len in 1usize..40 {
            let bound = (usize::BITS - len.leading_zeros()) as usize; // ceil(log2(len + 1))
            for wrong in 0..=len {
                let (found, rounds) = search(len, wrong);
                assert_eq!(
                    found,
                    (wrong < len).then_some(wrong * 2),
                    "len {len} wrong {wrong}"
                );
                assert!(rounds <= bound, "len {len}: {rounds} rounds > {bound}");
            }
        }
    }
}

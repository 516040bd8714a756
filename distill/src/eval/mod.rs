//! What test-time compute buys, computed from one pool of samples per problem: pass@k,
//! majority voting, PRM best-of-N and PRM-weighted majority, at N = 1, 2, 4, …, k.
//!
//! Every figure for N < k is the mean over the k/N disjoint groups of N consecutive samples
//! (all of the pool is used, and nothing is random); pass@N uses the unbiased estimator over
//! all k. A sample's PRM score aggregates its step scores by the last step, the minimum or the
//! product; a sample without steps scores 0. Ties go to the earlier sample. [`search`] is the
//! step-level PRM beam search.

pub mod search;

use std::collections::BTreeMap;

use crate::metrics::pass_at_k;

/// One sample of the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub correct: bool,
    /// The canonical answer, where answers can be compared (else no majority vote).
    pub answer: Option<String>,
    pub tokens: u32,
    /// P(correct) of each step, from a PRM.
    pub step_scores: Vec<f32>,
}

/// How step scores become one score per sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    Last,
    Min,
    Product,
}

impl Aggregate {
    pub const ALL: [Aggregate; 3] = [Aggregate::Last, Aggregate::Min, Aggregate::Product];

    pub fn name(self) -> &'static str {
        match self {
            Aggregate::Last => "last",
            Aggregate::Min => "min",
            Aggregate::Product => "prod",
        }
    }

    pub fn score(self, steps: &[f32]) -> f64 {
        if steps.is_empty() {
            return 0.0;
        }
        let it = steps.iter().map(|&s| f64::from(s));
        match self {
            Aggregate::Last => steps.last().map_or(0.0, |&s| f64::from(s)),
            Aggregate::Min => it.fold(f64::INFINITY, f64::min),
            Aggregate::Product => it.product(),
        }
    }
}

/// N = 1, 2, 4, … up to `k`, and `k` itself.
pub fn sample_sizes(k: usize) -> Vec<usize> {
    let mut sizes: Vec<usize> = std::iter::successors(Some(1usize), |n| n.checked_mul(2))
        .take_while(|&n| n <= k)
        .collect();
    if k > 0 && sizes.last() != Some(&k) {
        sizes.push(k);
    }
    sizes
}

/// The mean of `f` over the disjoint groups of `n` consecutive samples.
fn over_groups(samples: &[Sample], n: usize, f: impl Fn(&[Sample]) -> f64) -> f64 {
    let groups: Vec<&[Sample]> = samples.chunks_exact(n.max(1)).collect();
    if groups.is_empty() {
        return 0.0;
    }
    groups.iter().map(|g| f(g)).sum::<f64>() / groups.len() as f64
}

fn first_max<T>(items: impl Iterator<Item = (T, f64)>) -> Option<T> {
    let mut best: Option<(T, f64)> = None;
    for (item, score) in items {
        if best.as_ref().is_none_or(|(_, b)| score > *b) {
            best = Some((item, score));
        }
    }
    best.map(|(item, _)| item)
}

/// pass@n (unbiased, from all samples).
pub fn pass_at(samples: &[Sample], n: usize) -> f64 {
    let c = samples.iter().filter(|s| s.correct).count();
    pass_at_k(samples.len() as u64, c as u64, n as u64).unwrap_or(0.0)
}

/// Whether the answer `answer` is a correct one in `group`.
fn answer_correct(group: &[Sample], answer: &str) -> bool {
    group
        .iter()
        .find(|s| s.answer.as_deref() == Some(answer))
        .is_some_and(|s| s.correct)
}

/// maj@n: the most frequent answer of each group is correct; `None` when no sample has a
/// comparable answer.
pub fn majority_at(samples: &[Sample], n: usize) -> Option<f64> {
    if samples.iter().all(|s| s.answer.is_none()) {
        return None;
    }
    Some(over_groups(samples, n, |g| {
        let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for (i, a) in g
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i, s.answer.as_deref()?)))
        {
            let e = counts.entry(a).or_insert((0, i));
            e.0 += 1;
        }
        let best = first_max(
            counts
                .iter()
                .map(|(a, (c, first))| (*a, *c as f64 - *first as f64 / (g.len() as f64 + 1.0))),
        );
        best.map_or(0.0, |a| f64::from(u8::from(answer_correct(g, a))))
    }))
}

/// PRM best-of-n: the sample with the highest aggregated score of each group is correct.
pub fn best_of(samples: &[Sample], n: usize, agg: Aggregate) -> f64 {
    over_groups(samples, n, |g| {
        first_max(g.iter().map(|s| (s, agg.score(&s.step_scores))))
            .map_or(0.0, |s| f64::from(u8::from(s.correct)))
    })
}

/// PRM-weighted majority at n: the answer with the highest summed score of each group.
pub fn weighted_majority_at(samples: &[Sample], n: usize, agg: Aggregate) -> Option<f64> {
    if samples.iter().all(|s| s.answer.is_none()) {
        return None;
    }
    Some(over_groups(samples, n, |g| {
        let mut sums: Vec<(&str, f64)> = Vec::new();
        for s in g {
            if let Some(a) = s.answer.as_deref() {
                let w = agg.score(&s.step_scores);
                match sums.iter_mut().find(|(b, _)| *b == a) {
                    Some((_, total)) => *total += w,
                    None => sums.push((a, w)),
                }
            }
        }
        first_max(sums.into_iter()).map_or(0.0, |a| f64::from(u8::from(answer_correct(g, a))))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(correct: bool, answer: &str, scores: &[f32]) -> Sample {
        Sample {
            correct,
            answer: Some(answer.to_string()),
            tokens: 10,
            step_scores: scores.to_vec(),
        }
    }

    /// A hand-made pool of 4: the majority (7, twice) is wrong, the PRM prefers the right 5.
    fn pool() -> Vec<Sample> {
        vec![
            s(false, "7", &[0.9, 0.2]),
            s(true, "5", &[0.8, 0.9]),
            s(false, "7", &[0.6, 0.3]),
            s(false, "6", &[0.4, 0.95]),
        ]
    }

    #[test]
    fn sizes_are_powers_of_two_and_k() {
        assert_eq!(sample_sizes(16), [1, 2, 4, 8, 16]);
        assert_eq!(sample_sizes(6), [1, 2, 4, 6]);
        assert_eq!(sample_sizes(1), [1]);
    }

    #[test]
    fn metrics_by_hand() {
        let p = pool();
        // pass@1 = 1/4; pass@2 = 1 - C(3,2)/C(4,2) = 1/2; pass@4 = 1.
        assert!((pass_at(&p, 1) - 0.25).abs() < 1e-12);
        assert!((pass_at(&p, 2) - 0.5).abs() < 1e-12);
        assert!((pass_at(&p, 4) - 1.0).abs() < 1e-12);
        // maj@1: groups of one: only the second is right. maj@4: 7 wins, wrong.
        assert_eq!(majority_at(&p, 1), Some(0.25));
        assert_eq!(majority_at(&p, 4), Some(0.0));
        // maj@2: groups (7, 5) tie → first (7) wrong; (7, 6) tie → 7 wrong.
        assert_eq!(majority_at(&p, 2), Some(0.0));
        // Best-of-4 by min: scores 0.2, 0.8, 0.3, 0.4 → the right one.
        assert_eq!(best_of(&p, 4, Aggregate::Min), 1.0);
        // By last: 0.2, 0.9, 0.3, 0.95 → the wrong 6.
        assert_eq!(best_of(&p, 4, Aggregate::Last), 0.0);
        // By product: 0.18, 0.72, 0.18, 0.38 → right. Groups of 2: (0.18, 0.72) right,
        // (0.18, 0.38) wrong: 0.5.
        assert_eq!(best_of(&p, 4, Aggregate::Product), 1.0);
        assert_eq!(best_of(&p, 2, Aggregate::Product), 0.5);
        // Weighted majority by min: 7 → 0.2 + 0.3 = 0.5, 5 → 0.8, 6 → 0.4: right.
        assert_eq!(weighted_majority_at(&p, 4, Aggregate::Min), Some(1.0));
        // By last: 7 → 0.5, 5 → 0.9, 6 → 0.95: wrong.
        assert_eq!(weighted_majority_at(&p, 4, Aggregate::Last), Some(0.0));
        let no_answers: Vec<Sample> = p
            .iter()
            .map(|x| Sample {
                answer: None,
                ..x.clone()
            })
            .collect();
        assert_eq!(majority_at(&no_answers, 2), None);
    }
}

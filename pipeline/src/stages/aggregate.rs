//! Aggregate: per problem, what its attempts amount to (attempts, passes, distinct verified
//! chains, the shortest one) — the logic of the dataflow's differential `reduce` — its SFT
//! record, and the tallies the manifest and summary report (by family and difficulty).

use std::collections::{BTreeMap, BTreeSet};

use mull_data::manifest::PassRate;
use mull_data::{Attempt, Family, Message, Problem, SftRecord};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ProblemWork;

/// An attempt fit to teach from: verified correct, no step check failed, a closed chain.
pub fn is_verified(attempt: &Attempt) -> bool {
    attempt
        .verdict
        .as_ref()
        .is_some_and(|v| v.correct && v.first_error.is_none())
        && !attempt.steps.is_empty()
}

/// A problem's key in the per-problem reduce (`crate::dataflow::aggregate`): its family and
/// index, which name its block (the shard sink routes by them) and, within the run, the
/// problem. Both are plain values, so the reduce's arrangements copy no strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProblemKey {
    pub family: Family,
    pub index: u64,
}

impl ProblemKey {
    /// `None` for a family name mull does not know (never one the run generated).
    pub fn of(problem: &Problem) -> Option<Self> {
        Some(ProblemKey {
            family: problem.family.parse().ok()?,
            index: problem.index,
        })
    }
}

/// A problem's key; a family the run does not know (never one it generated) goes with the
/// first family's blocks rather than stopping a worker.
pub fn key_of(problem: &Problem) -> ProblemKey {
    ProblemKey::of(problem).unwrap_or(ProblemKey {
        family: mull_data::Family::Arithmetic,
        index: problem.index,
    })
}

/// One attempt as the reduce sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AttemptFact {
    pub attempt: u32,
    pub correct: bool,
    /// A verified attempt's chain: its length in bytes and its SHA-256 (two chains with the
    /// same digest are the same chain).
    pub verified_chain: Option<(usize, [u8; 32])>,
}

/// What the reduce makes of one problem's attempts.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProblemAggregate {
    pub attempts: u64,
    pub correct: u64,
    /// Distinct verified chains: exact duplicates count once.
    pub distinct_verified: u64,
    /// The attempt index of the shortest verified chain (by characters, then by index).
    pub shortest: Option<u32>,
}

/// The reduce's input from one problem: a fact per attempt.
pub fn attempt_facts(work: &ProblemWork) -> impl Iterator<Item = AttemptFact> + '_ {
    work.attempts.iter().map(|a| AttemptFact {
        attempt: a.attempt,
        correct: a.verdict.as_ref().is_some_and(|v| v.correct),
        verified_chain: is_verified(a).then(|| {
            (
                a.completion.len(),
                Sha256::digest(a.completion.as_bytes()).into(),
            )
        }),
    })
}

/// The reduce's logic: a problem's facts, each with its multiplicity, summed up.
pub fn summarize<'a>(
    facts: impl IntoIterator<Item = (&'a AttemptFact, isize)>,
) -> ProblemAggregate {
    let mut out = ProblemAggregate::default();
    let mut chains = BTreeSet::new();
    let mut best: Option<(usize, u32)> = None;
    for (fact, count) in facts {
        let count = u64::try_from(count).unwrap_or(0);
        out.attempts += count;
        if fact.correct {
            out.correct += count;
        }
        if let Some((chars, digest)) = fact.verified_chain {
            chains.insert(digest);
            let key = (chars, fact.attempt);
            if best.is_none_or(|b| key < b) {
                best = Some(key);
            }
        }
    }
    out.distinct_verified = chains.len() as u64;
    out.shortest = best.map(|(_, attempt)| attempt);
    out
}

/// Sets the problem's SFT record from its aggregate: the shortest verified completion, as a
/// user/assistant conversation.
pub fn set_sft(work: &mut ProblemWork, aggregate: &ProblemAggregate) {
    let best = aggregate
        .shortest
        .and_then(|i| work.attempts.iter().find(|a| a.attempt == i));
    work.sft = best.map(|a| SftRecord {
        messages: vec![
            Message {
                role: "user".into(),
                content: work.problem.prompt.clone(),
            },
            Message {
                role: "assistant".into(),
                content: a.completion.clone(),
            },
        ],
        problem_id: work.problem.id.clone(),
        attempt_id: a.id.clone(),
    });
}

/// The aggregate of one problem computed directly (what the dataflow's reduce computes), with
/// its SFT record set: the sequential path of tests and of blocks read back on resume.
pub fn aggregate(work: &mut ProblemWork) -> ProblemAggregate {
    let facts: Vec<AttemptFact> = attempt_facts(work).collect();
    let aggregate = summarize(facts.iter().map(|f| (f, 1)));
    set_sft(work, &aggregate);
    aggregate
}

/// What a set of problems amounts to: the summary's and manifest's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tally {
    /// By `family/dN`.
    pub pass: BTreeMap<String, PassRate>,
    pub problems: u64,
    pub attempts: u64,
    pub correct: u64,
    /// Distinct verified chains (exact duplicates counted once).
    pub distinct_verified: u64,
    pub tokens: u64,
    pub sft: u64,
    pub prm: u64,
    pub prm_steps: u64,
    /// Attempts whose labels came (in part) from rollouts, and the continuations they cost.
    pub rollout_attempts: u64,
    pub rollouts: u64,
    pub rejects: u64,
}

impl Tally {
    /// The tally of one problem's work and its aggregate.
    pub fn of(work: &ProblemWork, aggregate: &ProblemAggregate) -> Tally {
        let correct = aggregate.correct;
        let key = format!("{}/d{}", work.problem.family, work.problem.difficulty);
        let rate = PassRate {
            attempts: aggregate.attempts,
            correct,
            problems: 1,
            solved: u64::from(correct > 0),
        };
        Tally {
            pass: BTreeMap::from([(key, rate)]),
            problems: 1,
            attempts: aggregate.attempts,
            correct,
            distinct_verified: aggregate.distinct_verified,
            tokens: work.tokens(),
            sft: u64::from(work.sft.is_some()),
            prm: work.prm.len() as u64,
            prm_steps: work.prm.iter().map(|r| r.labels.len() as u64).sum(),
            rollout_attempts: work
                .prm
                .iter()
                .filter(|r| r.rollouts.iter().any(|[_, n]| *n > 0))
                .count() as u64,
            rollouts: work
                .prm
                .iter()
                .flat_map(|r| &r.rollouts)
                .map(|[_, n]| u64::from(*n))
                .sum(),
            rejects: work.rejects.len() as u64,
        }
    }

    pub fn add(&mut self, other: &Tally) {
        for (k, v) in &other.pass {
            self.pass.entry(k.clone()).or_default().add(v);
        }
        self.problems += other.problems;
        self.attempts += other.attempts;
        self.correct += other.correct;
        self.distinct_verified += other.distinct_verified;
        self.tokens += other.tokens;
        self.sft += other.sft;
        self.prm += other.prm;
        self.prm_steps += other.prm_steps;
        self.rollout_attempts += other.rollout_attempts;
        self.rollouts += other.rollouts;
        self.rejects += other.rejects;
    }

    /// The manifest's counts.
    pub fn counts(&self) -> BTreeMap<String, u64> {
        BTreeMap::from([
            ("problems".into(), self.problems),
            ("attempts".into(), self.attempts),
            ("correct".into(), self.correct),
            ("distinct-verified".into(), self.distinct_verified),
            ("tokens".into(), self.tokens),
            ("sft".into(), self.sft),
            ("prm".into(), self.prm),
            ("prm-steps".into(), self.prm_steps),
            ("rollout-attempts".into(), self.rollout_attempts),
            ("rollouts".into(), self.rollouts),
            ("rejects".into(), self.rejects),
        ])
    }

    /// Pass rates by `family/dN` and by family.
    pub fn pass_rates(&self) -> BTreeMap<String, PassRate> {
        let mut out = self.pass.clone();
        for (k, v) in &self.pass {
            if let Some((family, _)) = k.split_once('/') {
                out.entry(family.to_string()).or_default().add(v);
            }
        }
        out
    }
}

//! Aggregate: per problem, the SFT record (its shortest verified chain) and the tallies the
//! manifest and summary report (by family and difficulty).

use std::collections::{BTreeMap, BTreeSet};

use mull_data::manifest::PassRate;
use mull_data::{Attempt, Message, SftRecord};

use super::ProblemWork;

/// An attempt fit to teach from: verified correct, no step check failed, a closed chain.
pub fn is_verified(attempt: &Attempt) -> bool {
    attempt
        .verdict
        .as_ref()
        .is_some_and(|v| v.correct && v.first_error.is_none())
        && !attempt.steps.is_empty()
}

/// Sets the problem's SFT record: the shortest verified completion (by characters, then by
/// attempt index), as a user/assistant conversation.
pub fn aggregate(work: &mut ProblemWork) {
    let best = work
        .attempts
        .iter()
        .filter(|a| is_verified(a))
        .min_by_key(|a| (a.completion.len(), a.attempt));
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
    /// The tally of one problem's work.
    pub fn of(work: &ProblemWork) -> Tally {
        let correct = work
            .attempts
            .iter()
            .filter(|a| a.verdict.as_ref().is_some_and(|v| v.correct))
            .count() as u64;
        let distinct: BTreeSet<&str> = work
            .attempts
            .iter()
            .filter(|a| is_verified(a))
            .map(|a| a.completion.as_str())
            .collect();
        let key = format!("{}/d{}", work.problem.family, work.problem.difficulty);
        let rate = PassRate {
            attempts: work.attempts.len() as u64,
            correct,
            problems: 1,
            solved: u64::from(correct > 0),
        };
        Tally {
            pass: BTreeMap::from([(key, rate)]),
            problems: 1,
            attempts: work.attempts.len() as u64,
            correct,
            distinct_verified: distinct.len() as u64,
            tokens: work.attempts.iter().map(|a| u64::from(a.tokens)).sum(),
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

//! Label: one PRM record per well-formed attempt, TRL's stepwise-supervision fields first.
//!
//! Each step's label, in order of authority:
//! 1. after the first wrong step: `false`, `after-first-error`;
//! 2. an exact step check (arithmetic, equations, countdown, cipher) decides: `exact`;
//! 3. for a failed attempt of a problem chosen for rollouts (`labels.rollout-problems`), the
//!    binary search of `stages::rollout` over the steps left undecided: `rollout`;
//! 4. otherwise the attempt's own outcome: a step followed by a verified answer was on a path
//!    that reaches it (Math-Shepherd's hard estimate with the attempt as its one rollout), so it
//!    is `true` when the attempt is correct and `false` otherwise: `outcome`.
//!
//! An attempt that is not well formed (no closed `<think>` block, no answer, no steps) gets no
//! record: it is a reject with the reason.

use mull_data::cot::parse_completion;
use mull_data::{Attempt, LabelSource, PrmRecord, Problem};

use super::rollout::{Probe, Search};
use super::ProblemWork;
use crate::config::LabelConfig;

/// Labels every attempt of a problem; malformed ones become rejects. Returns `true` while the
/// problem waits for rollouts (its `probes` are set): it goes around the loop again, and the
/// next call advances its searches with the probes' results.
pub fn label(work: &mut ProblemWork, config: &LabelConfig) -> bool {
    if work.probes.is_empty() {
        first_pass(work, config);
    } else {
        for probe in std::mem::take(&mut work.probes) {
            if let Some(s) = work
                .searches
                .iter_mut()
                .find(|s| s.attempt == probe.attempt)
            {
                s.record(probe.successes(), probe.continuations.len() as u32);
            }
        }
    }
    work.probes = work
        .searches
        .iter()
        .filter_map(|s| {
            s.next_step().map(|step| Probe {
                attempt: s.attempt,
                step,
                continuations: Vec::new(),
            })
        })
        .collect();
    if !work.probes.is_empty() {
        return true;
    }
    for search in std::mem::take(&mut work.searches) {
        let attempt_id = mull_data::ids::attempt_id(&work.problem.id, search.attempt);
        if let Some(record) = work.prm.iter_mut().find(|r| r.attempt_id == attempt_id) {
            search.apply(record);
        }
    }
    false
}

/// Labels from the exact checks and outcomes, and starts a search for every failed attempt
/// with undecided steps when the problem is chosen for rollouts.
fn first_pass(work: &mut ProblemWork, config: &LabelConfig) {
    let mut rejects = Vec::new();
    let mut records = Vec::new();
    let searched = config.rollouts > 0 && work.problem.index < config.rollout_problems;
    for attempt in &work.attempts {
        match prm_record(&work.problem, attempt, config.step_checks) {
            Ok(r) => {
                let failed = attempt.verdict.as_ref().is_some_and(|v| !v.correct);
                if searched && failed {
                    let end = r.first_error.unwrap_or(r.labels.len());
                    let undecided = (0..end).filter(|&i| r.step_checks[i].is_none()).collect();
                    work.searches
                        .extend(Search::new(attempt.attempt, undecided));
                }
                records.push(r);
            }
            Err(reason) => rejects.push((attempt.id.clone(), reason)),
        }
    }
    work.prm = records;
    for (id, reason) in rejects {
        work.reject(&id, "label", reason);
    }
}

/// The PRM record of one graded attempt, or why it has none.
pub fn prm_record(
    problem: &Problem,
    attempt: &Attempt,
    use_checks: bool,
) -> Result<PrmRecord, String> {
    let parsed = parse_completion(&attempt.completion);
    if !parsed.has_think_block() {
        return Err("malformed completion: no closed <think> block".into());
    }
    if attempt.steps.is_empty() {
        return Err("malformed completion: no steps in the <think> block".into());
    }
    if parsed.final_answer.is_none() && parsed.code.is_none() {
        return Err("malformed completion: no final answer".into());
    }
    let Some(verdict) = &attempt.verdict else {
        return Err("not graded".into());
    };
    let n = attempt.steps.len();
    // The verifier's checks are per parsed step; never index past either list.
    let checks: Vec<Option<bool>> = (0..n)
        .map(|i| {
            if use_checks {
                verdict.step_checks.get(i).copied().flatten()
            } else {
                None
            }
        })
        .collect();
    let first_error = checks.iter().position(|c| *c == Some(false));
    let mut labels = Vec::with_capacity(n);
    let mut sources = Vec::with_capacity(n);
    for (i, check) in checks.iter().enumerate() {
        let (label, source) = match (first_error, check) {
            (Some(fe), _) if i > fe => (false, LabelSource::AfterFirstError),
            (_, Some(ok)) => (*ok, LabelSource::Exact),
            (_, None) => (verdict.correct, LabelSource::Outcome),
        };
        labels.push(label);
        sources.push(source);
    }
    Ok(PrmRecord {
        prompt: problem.prompt.clone(),
        completions: attempt.steps.clone(),
        labels,
        problem_id: problem.id.clone(),
        attempt_id: attempt.id.clone(),
        first_error,
        step_checks: checks,
        // `[0, 0]` (no continuations) until rollouts fill it: every record has one pair per
        // step, so readers that infer a schema (HF datasets, Arrow) see one type throughout.
        rollouts: vec![[0, 0]; n],
        label_source: sources,
    })
}

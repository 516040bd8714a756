//! Label: one PRM record per well-formed attempt, TRL's stepwise-supervision fields first.
//!
//! Each step's label, in order of authority:
//! 1. after the first wrong step: `false`, `after-first-error`;
//! 2. an exact step check (arithmetic, equations, countdown, cipher) decides: `exact`;
//! 3. otherwise the attempt's own outcome: a step followed by a verified answer was on a path
//!    that reaches it (Math-Shepherd's hard estimate with the attempt as its one rollout), so it
//!    is `true` when the attempt is correct and `false` otherwise: `outcome`.
//!
//! An attempt that is not well formed (no closed `<think>` block, no answer, no steps) gets no
//! record: it is a reject with the reason.

use mull_data::cot::parse_completion;
use mull_data::{Attempt, LabelSource, PrmRecord, Problem};

use super::ProblemWork;

/// Labels every attempt of a problem; malformed ones become rejects. `step_checks: false`
/// ignores the verifiers' step checks (every label then comes from the outcome).
pub fn label(work: &mut ProblemWork, step_checks: bool) {
    let mut rejects = Vec::new();
    let mut records = Vec::new();
    for attempt in &work.attempts {
        match prm_record(&work.problem, attempt, step_checks) {
            Ok(r) => records.push(r),
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
        rollouts: Vec::new(),
        label_source: sources,
    })
}

//! Verify: each attempt's verdict from its family's verifier.

use mull_data::{Attempt, Problem, Verdict, VerdictStatus};
use mull_verifiers::Verifiers;

use super::ProblemWork;

/// Grades every attempt of a problem. A verifier error (the verdict's status is `error`) keeps
/// the attempt with its verdict and adds a reject naming the reason; a family without a
/// verifier rejects the problem.
pub fn verify(verifiers: &Verifiers, work: &mut ProblemWork) {
    let Some(verifier) = verifiers.for_family(&work.problem.family) else {
        let id = work.problem.id.clone();
        let reason = format!("no verifier for family {:?}", work.problem.family);
        work.reject(&id, "verify", reason);
        return;
    };
    if !work.probes.is_empty() {
        // Rollouts: only their continuations are graded; an error counts as not reaching the
        // answer and is no reject (the continuation is no record of the run).
        for c in work.probes.iter_mut().flat_map(|p| &mut p.continuations) {
            c.verdict = Some(verifier.verify(&work.problem, c));
        }
        return;
    }
    let mut rejects = Vec::new();
    for attempt in &mut work.attempts {
        let verdict = verifier.verify(&work.problem, attempt);
        if verdict.status == VerdictStatus::Error {
            rejects.push((attempt.id.clone(), verdict.reason.clone()));
        }
        attempt.verdict = Some(verdict);
    }
    for (id, reason) in rejects {
        work.reject(&id, "verify", reason);
    }
}

/// Each problem paired with its own reference solution, as attempt 0.
pub fn reference_pairs(problems: &[Problem]) -> Vec<(&Problem, Attempt)> {
    problems
        .iter()
        .map(|p| {
            (
                p,
                Attempt::from_completion(&p.id, 0, p.reference_completion()),
            )
        })
        .collect()
}

/// Grades every (problem, attempt) pair on `jobs` threads; verdicts come back in input
/// order, whatever the number of threads. A family without a verifier is an error naming
/// the problem, raised before anything is graded.
pub fn grade_all(
    verifiers: &Verifiers,
    pairs: &[(&Problem, Attempt)],
    jobs: usize,
) -> Result<Vec<Verdict>, String> {
    let work = pairs
        .iter()
        .map(|(problem, attempt)| {
            let verifier = verifiers.for_family(&problem.family).ok_or_else(|| {
                format!(
                    "problem {}: no verifier for family {:?}",
                    problem.id, problem.family
                )
            })?;
            Ok((verifier, *problem, attempt))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let chunk = work.len().div_ceil(jobs.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = work
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|(verifier, problem, attempt)| verifier.verify(problem, attempt))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all = Vec::with_capacity(work.len());
        for h in handles {
            all.extend(
                h.join()
                    .map_err(|_| "a verifier thread panicked".to_string())?,
            );
        }
        Ok(all)
    })
}

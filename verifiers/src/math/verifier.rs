//! [`MathVerifier`]: the answer decides the verdict; step checks ride along.

use super::{with_work_budget, MathError, MAX_WORK_PER_ATTEMPT};
use mull_data::Family;
use mull_data::{Attempt, EquationsPayload, Problem, Verdict};
use num_rational::BigRational;

use super::region::after_thinking;
use super::{grade_math_with, parse_answer, MathOptions, MathValue};
use crate::steps::check_steps;
use crate::Verifier;

/// Grades `arithmetic` and `equations` attempts (and any family with a numeric gold answer).
///
/// The verdict is decided by the final answer alone (a correct answer after a wrong step is
/// still correct); `step_checks` show which steps' equations hold, with the equations family's
/// exact solution substituted for its variables.
#[derive(Debug, Clone, Default)]
pub struct MathVerifier {
    /// Options for families other than `arithmetic` (which always requires a number, never an
    /// expression, since its prompt is an expression).
    pub options: MathOptions,
}

impl MathVerifier {
    pub const NAME: &'static str = "math";
    /// 3: `n!` is a factorial and `[a, b]` is not `(a, b)` (both were equal to other answers).
    /// 4: symbolic answers (expressions, radicals, π), intervals, relations, matrices, math
    /// spans and trailing boxes, space-grouped thousands and decimal commas.
    /// 5: a full stop inside a closing math span ends a sentence; `smallest possible` and
    /// `between the` are not doubts, `somewhere` is.
    pub const VERSION: u32 = 5;

    pub fn new() -> Self {
        Self::default()
    }

    fn options_for(&self, family: &str) -> MathOptions {
        // A reward takes the answer line only (see `MathOptions::answer_line_only`).
        let options = self.options.with_answer_line_only(true);
        match family.parse::<Family>() {
            Ok(Family::Arithmetic | Family::Equations) => options.with_number_form(true),
            _ => options,
        }
    }
}

/// The exact solution of an equations problem as variable bindings; empty for other families
/// or a payload that does not decode (then steps with variables are simply unchecked).
pub(crate) fn bindings(problem: &Problem) -> Vec<(String, BigRational)> {
    if problem.family != Family::Equations.as_str() {
        return Vec::new();
    }
    let Ok(payload) = problem.payload_as::<EquationsPayload>() else {
        return Vec::new();
    };
    payload
        .variables
        .iter()
        .filter_map(|(name, value)| match parse_answer(value) {
            Ok(MathValue::Number { value, .. }) => Some((name.clone(), value)),
            _ => None,
        })
        .collect()
}

/// Steps and final answer text of an attempt, parsing the completion when they are missing.
pub(crate) fn steps_and_answer(attempt: &Attempt) -> (Vec<String>, String) {
    if !attempt.steps.is_empty() || attempt.final_answer.is_some() {
        let answer = attempt
            .final_answer
            .clone()
            .unwrap_or_else(|| after_thinking(&attempt.completion).to_string());
        return (attempt.steps.clone(), answer);
    }
    let parsed = mull_data::cot::parse_completion(&attempt.completion);
    let answer = parsed
        .final_answer
        .unwrap_or_else(|| after_thinking(&attempt.completion).to_string());
    (parsed.steps, answer)
}

impl Verifier for MathVerifier {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn verify(&self, problem: &Problem, attempt: &Attempt) -> Verdict {
        let (steps, extracted) = steps_and_answer(attempt);
        // The whole answer part, not just the extracted answer: whether the text commits to
        // its answer (no hedge, no retraction) is part of the verdict.
        let answer = if attempt.completion.trim().is_empty() {
            extracted
        } else {
            after_thinking(&attempt.completion).to_string()
        };
        // One budget for the whole attempt: fifty steps each just under the per-value bound
        // would otherwise cost seconds.
        let ((checks, g), exceeded) = with_work_budget(MAX_WORK_PER_ATTEMPT, || {
            let checks = check_steps(&steps, &bindings(problem));
            let g = grade_math_with(&problem.answer, &answer, self.options_for(&problem.family));
            (checks, g)
        });
        if exceeded {
            let reason = MathError::WorkBudget {
                max: MAX_WORK_PER_ATTEMPT,
            };
            return Verdict::error(reason.to_string(), Self::NAME, Self::VERSION)
                .with_steps(checks);
        }
        let verdict = if g.correct {
            Verdict::correct(g.reason, Self::NAME, Self::VERSION)
        } else if g.error {
            Verdict::error(g.reason, Self::NAME, Self::VERSION)
        } else {
            Verdict::incorrect(g.reason, Self::NAME, Self::VERSION)
        };
        verdict.with_steps(checks)
    }
}

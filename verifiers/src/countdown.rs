//! The countdown verifier: an arithmetic expression over the given numbers that hits the target.
//!
//! The answer is an expression (`(25 - 5) * 4`, also `(25 - 5) * 4 = 80`) using only integer
//! literals, binary `+ - * /` (`×`, `÷`, `\times`, `\div`, `\cdot` too) and parentheses. Each
//! number may be used at most as often as it is given (a multiset); unary minus is refused
//! (the numbers are given, their negations are not). Evaluation is exact over rationals, so an
//! intermediate fraction is fine as long as the value equals the target exactly; division by
//! zero makes the answer wrong. Steps are checked with [`crate::steps::check_steps`].

use std::collections::BTreeMap;

use mull_data::{Attempt, CountdownPayload, Problem, Verdict};
use num_bigint::BigInt;
use num_rational::BigRational;

use crate::math::extract::extract_answer;
use crate::math::lexer::{lex, Tok, Token};
use crate::math::{canonical_rational, evaluate_tokens, MathError};
use crate::steps::check_steps;
use crate::Verifier;

/// Why a countdown answer is not a solution.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CountdownError {
    #[error("no answer expression found")]
    NoAnswer,
    #[error("`{0}` is not allowed (only integers, + - * / and parentheses)")]
    Forbidden(String),
    #[error("unary minus is not allowed")]
    UnaryMinus,
    #[error("uses {number}, which is not given")]
    NotGiven { number: String },
    #[error("uses {number} {used} but it is given {given}")]
    Overused {
        number: String,
        used: String,
        given: String,
    },
    #[error("evaluates to {value}, target {target}")]
    WrongValue { value: String, target: i64 },
    #[error("claims to reach {claimed}, but the target is {target}")]
    WrongClaim { claimed: String, target: i64 },
    #[error("cannot evaluate: {0}")]
    Math(#[from] MathError),
}

impl CountdownError {
    /// True when a work bound was exceeded (an `error` verdict, not `incorrect`).
    pub fn is_limit(&self) -> bool {
        matches!(self, CountdownError::Math(e) if e.is_limit())
    }
}

fn times(n: usize) -> String {
    match n {
        1 => "once".into(),
        2 => "twice".into(),
        n => format!("{n} times"),
    }
}

/// Checks `answer` (an expression, optionally `= target`) against the numbers and target;
/// on success returns a reason like `(25 - 5) * 4 = 80`.
pub fn check_countdown(
    answer: &str,
    numbers: &[i64],
    target: i64,
) -> Result<String, CountdownError> {
    let toks = lex(answer)?;
    let mut sides = toks.split(|t| t.tok == Tok::Eq);
    let expr = sides
        .next()
        .filter(|s| !s.is_empty())
        .ok_or(CountdownError::NoAnswer)?;
    let mut claim = sides.next();
    if sides.next().is_some() {
        return Err(CountdownError::Forbidden("a second `=`".into()));
    }
    // `80 = (25 - 5) * 4`: the lone number is the claim, the other side the expression.
    let mut expr = expr;
    if let Some(c) = claim {
        if expr.len() == 1 && c.len() > 1 {
            (expr, claim) = (c, Some(expr));
        }
    }
    check_tokens(expr, numbers)?;
    let value = evaluate_tokens(expr, &[])?;
    let target_q = BigRational::from_integer(BigInt::from(target));
    if let Some(claim) = claim {
        let claimed = evaluate_tokens(claim, &[])?;
        if claimed != target_q {
            return Err(CountdownError::WrongClaim {
                claimed: canonical_rational(&claimed),
                target,
            });
        }
    }
    if value != target_q {
        return Err(CountdownError::WrongValue {
            value: canonical_rational(&value),
            target,
        });
    }
    let text = match (expr.first(), expr.last()) {
        (Some(a), Some(b)) => answer.get(a.start..b.end).unwrap_or(answer),
        _ => answer,
    };
    Ok(format!("{text} = {target}"))
}

/// Allowed tokens only, and the multiset of literals within the given numbers.
fn check_tokens(expr: &[Token], numbers: &[i64]) -> Result<(), CountdownError> {
    let mut used: BTreeMap<BigInt, usize> = BTreeMap::new();
    let mut prev: Option<&Tok> = None;
    for t in expr {
        match &t.tok {
            Tok::Num {
                value,
                integer: true,
            } if value.is_integer() => {
                *used.entry(value.to_integer()).or_default() += 1;
            }
            Tok::Minus
                if matches!(
                    prev,
                    None | Some(Tok::LParen | Tok::Plus | Tok::Minus | Tok::Times | Tok::Divide)
                ) =>
            {
                return Err(CountdownError::UnaryMinus);
            }
            Tok::Plus | Tok::Minus | Tok::Times | Tok::Divide | Tok::LParen | Tok::RParen => {}
            Tok::Num { value, .. } => {
                return Err(CountdownError::Forbidden(canonical_rational(value)))
            }
            other => {
                return Err(CountdownError::Forbidden(crate::math::describe_token(
                    other,
                )))
            }
        }
        prev = Some(&t.tok);
    }
    let mut given: BTreeMap<BigInt, usize> = BTreeMap::new();
    for n in numbers {
        *given.entry(BigInt::from(*n)).or_default() += 1;
    }
    for (n, u) in &used {
        match given.get(n) {
            None => {
                return Err(CountdownError::NotGiven {
                    number: n.to_string(),
                })
            }
            Some(g) if u > g => {
                return Err(CountdownError::Overused {
                    number: n.to_string(),
                    used: times(*u),
                    given: times(*g),
                })
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Grades `countdown` attempts against the problem's numbers and target.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountdownVerifier;

impl CountdownVerifier {
    pub const NAME: &'static str = "countdown";
    pub const VERSION: u32 = 2;
}

impl Verifier for CountdownVerifier {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn verify(&self, problem: &Problem, attempt: &Attempt) -> Verdict {
        let payload: CountdownPayload = match problem.payload_as() {
            Ok(p) => p,
            Err(e) => return Verdict::error(e.to_string(), Self::NAME, Self::VERSION),
        };
        let (steps, answer_text) = crate::math::steps_and_answer(attempt);
        let budget = crate::math::MAX_WORK_PER_ATTEMPT;
        let ((checks, verdict), exceeded) = crate::math::with_work_budget(budget, || {
            let checks = check_steps(&steps, &[]);
            (checks, self.grade_answer(&answer_text, &payload))
        });
        if exceeded {
            let reason = MathError::WorkBudget { max: budget }.to_string();
            return Verdict::error(reason, Self::NAME, Self::VERSION).with_steps(checks);
        }
        verdict.with_steps(checks)
    }
}

impl CountdownVerifier {
    fn grade_answer(&self, answer_text: &str, payload: &CountdownPayload) -> Verdict {
        match extract_answer(answer_text) {
            None => Verdict::incorrect(
                CountdownError::NoAnswer.to_string(),
                Self::NAME,
                Self::VERSION,
            ),
            Some((answer, _)) => match check_countdown(&answer, &payload.numbers, payload.target) {
                Ok(reason) => Verdict::correct(reason, Self::NAME, Self::VERSION),
                Err(e) if e.is_limit() => Verdict::error(e.to_string(), Self::NAME, Self::VERSION),
                Err(e) => Verdict::incorrect(e.to_string(), Self::NAME, Self::VERSION),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solutions_and_failures() {
        let n = [25, 5, 4, 7];
        assert!(check_countdown("(25 - 5) * 4", &n, 80).is_ok());
        assert!(check_countdown("(25 - 5) × 4 = 80", &n, 80).is_ok());
        assert!(
            check_countdown("7 * 4 / 5 * 25", &n, 140).is_ok(),
            "intermediate fractions are fine"
        );
        let e = check_countdown("7 * 7 + 25", &n, 74)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "uses 7 twice but it is given once");
        let e = check_countdown("25 * 4 - 5", &n, 94)
            .unwrap_err()
            .to_string();
        assert_eq!(e, "evaluates to 95, target 94");
        assert_eq!(
            check_countdown("25 * 4 - 5 = 94", &n, 95)
                .unwrap_err()
                .to_string(),
            "claims to reach 94, but the target is 95"
        );
        assert!(matches!(
            check_countdown("3 + 4", &n, 7),
            Err(CountdownError::NotGiven { .. })
        ));
        assert!(matches!(
            check_countdown("-5 + 25", &n, 20),
            Err(CountdownError::UnaryMinus)
        ));
        assert!(matches!(
            check_countdown("25 ^ 4", &n, 1),
            Err(CountdownError::Forbidden(_))
        ));
        assert!(matches!(
            check_countdown("2.5 * 4", &n, 10),
            Err(CountdownError::Forbidden(_))
        ));
        assert!(matches!(
            check_countdown("25 / (5 - 5)", &[25, 5, 5], 1),
            Err(CountdownError::Math(MathError::DivisionByZero))
        ));
        assert!(check_countdown("5 + 5", &[5, 5, 1], 10).is_ok());
        assert!(check_countdown("80 = (25 - 5) * 4", &n, 80).is_ok());
        assert!(check_countdown("81 = (25 - 5) * 4", &n, 80).is_err());
    }
}

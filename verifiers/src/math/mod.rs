//! Math answers: extraction from free text, exact parsing and equivalence, all bounded in work.
//!
//! - [`extract`]: finds the final answer (`\boxed{}`, `Answer:`, "the answer is", a math span,
//!   last number), in the text after `</think>`; `commit` decides whether the text commits to
//!   it (no hedge, retraction or enclosing expression). The verifier takes only a bare last
//!   answer line ([`MathOptions::answer_line_only`]).
//! - [`parse_answer`]: answer text to a [`MathValue`] (number, tuple, set, named values), via a
//!   lexer for plain text, Unicode operators and simple LaTeX and an evaluator over
//!   `num_rational::BigRational`.
//! - [`MathValue::equivalent`]: the equality rule (exact values, percent, tuples, sets, names).
//! - [`grade_math`]: gold text against prediction text, for the CLI and the verifier.
//! - [`MathVerifier`]: the [`crate::Verifier`] for the `arithmetic` and `equations` families,
//!   with step checks from [`crate::steps`].
//!
//! Bounds (each exceeded bound is a [`MathError`] for which [`MathError::is_limit`] holds, and
//! an `error` verdict): input length [`MAX_INPUT_BYTES`], nesting [`MAX_DEPTH`], literal length
//! [`MAX_LITERAL_DIGITS`], size of any intermediate value [`MAX_BITS`] (checked before the
//! operation, so `9^9^9^9` costs microseconds), tuple and set length [`MAX_ELEMENTS`].
//! Nothing here keeps global state; grading in a loop costs only the parse.

mod answer;
mod brackets;
mod commit;
mod cursor;
mod error;
mod escapes;
mod eval;
mod exact;
pub mod extract;
mod gold;
mod grade;
mod interval;
pub(crate) mod lexer;
mod matrix_algebra;
mod options;
mod prediction;
mod region;
mod shapes;
mod statement;
mod symbolic;
mod value;
mod verifier;

pub use answer::parse_answer;
pub use error::MathError;
pub use grade::{grade_math, grade_math_with, MathGrade};
pub use interval::{End, Piece, Region, Relation};
pub use lexer::Rel;
pub use options::MathOptions;
pub use symbolic::Sym;
pub use value::{canonical_rational, MathValue};
pub use verifier::MathVerifier;

pub(crate) use cursor::describe as describe_token;
pub(crate) use eval::evaluate as evaluate_tokens;
pub use exact::with_work_budget;
pub(crate) use verifier::steps_and_answer;

use num_rational::BigRational;

/// Longest answer or step text parsed, in bytes.
pub const MAX_INPUT_BYTES: usize = 4096;
/// Deepest nesting of parentheses, signs, powers and tuples.
pub const MAX_DEPTH: usize = 48;
/// Most digits in one number literal.
pub const MAX_LITERAL_DIGITS: usize = 1000;
/// Most bits (numerator plus denominator) of any value computed.
pub const MAX_BITS: u64 = 8192;
/// Most elements in one tuple or set.
pub const MAX_ELEMENTS: usize = 1000;
/// Arithmetic work one attempt may cost, over all its steps and its answer (see
/// [`exact::with_work_budget`]): about 3·10⁸ word operations, tens of milliseconds, where a
/// reference solution spends a few hundred units.
pub const MAX_WORK_PER_ATTEMPT: u64 = 5_000_000;

/// Evaluates an arithmetic expression exactly (`(17 * 4 - 8) / 6` → `10`), with variables
/// bound by `vars`.
pub fn evaluate(expr: &str, vars: &[(String, BigRational)]) -> Result<BigRational, MathError> {
    evaluate_tokens(&lexer::lex(expr)?, vars)
}

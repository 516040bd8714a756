//! Exact checks of the equations inside chain-of-thought steps.
//!
//! A step is free text (`So 17 * 4 = 68.`, `First, 3x + 5 = 17`, `(17*4 - 8)/6 = 60/6 = 10`).
//! Every `=` is an equation between the longest arithmetic runs around it: numbers, operators,
//! brackets, simple LaTeX and variables; prose, commas, colons and sentence periods end a run
//! (a chain `a = b = c` checks each adjacent pair). Both sides are evaluated exactly with
//! [`crate::math`]'s bounded evaluator; variables take their values from `bindings` (the
//! equations family substitutes its exact solution).
//!
//! A step is `Some(true)` when at least one equation could be evaluated and all that could be
//! hold, `Some(false)` when any evaluated equation fails (a division by zero fails), and `None`
//! when nothing could be checked: no `=`, unknown variables, a bound exceeded, a lone number
//! after a word (`Day 1 = 5`, a label), or a run that borders on a word that is arithmetic in
//! prose (`half of 10 = 5`, `5 times 3 = 15`), where the run would be only part of the claim.

use num_rational::BigRational;

use crate::math::lexer::{lex, Tok, Token};
use crate::math::{evaluate_tokens, MathError};

/// Words that carry arithmetic in prose: a run ending at one of them is incomplete.
const ARITHMETIC_WORDS: &[&str] = &[
    "of",
    "times",
    "plus",
    "minus",
    "over",
    "divided",
    "by",
    "squared",
    "cubed",
    "half",
    "twice",
    "double",
    "triple",
    "percent",
    "less",
    "more",
    "than",
    "add",
    "added",
    "subtract",
    "subtracted",
    "multiply",
    "multiplied",
    "into",
    "per",
    "each",
    "hundred",
    "thousand",
    "million",
    "billion",
    "point",
    "negative",
];

/// Checks each step; see the module docs for the meaning of each value.
pub fn check_steps(steps: &[String], bindings: &[(String, BigRational)]) -> Vec<Option<bool>> {
    steps.iter().map(|s| check_step(s, bindings)).collect()
}

/// Checks one step: `Some(true)` if its evaluable equations all hold, `Some(false)` if any
/// fails, `None` if none could be evaluated.
pub fn check_step(step: &str, bindings: &[(String, BigRational)]) -> Option<bool> {
    let toks = lex(step).ok()?;
    let mut any_true = false;
    for (e, t) in toks.iter().enumerate() {
        if t.tok != Tok::Eq {
            continue;
        }
        match check_equation(&toks, e, bindings) {
            Some(false) => return Some(false),
            Some(true) => any_true = true,
            None => {}
        }
    }
    any_true.then_some(true)
}

/// The equation around the `=` at index `e`.
fn check_equation(toks: &[Token], e: usize, bindings: &[(String, BigRational)]) -> Option<bool> {
    let (ls, le) = left_run(toks, e, bindings)?;
    let (rs, re) = right_run(toks, e, bindings)?;
    // `Day 1 = 5 apples`, `Step 2 = ...`: a lone number right after a word is a label, not
    // a side of an equation (and a lone number equal to a lone number checks nothing).
    let lone_label = le - ls == 1
        && matches!(toks[ls].tok, Tok::Num { .. })
        && ls > 0
        && matches!(toks[ls - 1].tok, Tok::Word(_));
    if lone_label {
        return None;
    }
    let lhs = evaluate_tokens(&toks[ls..le], bindings);
    let rhs = evaluate_tokens(&toks[rs..re], bindings);
    match (lhs, rhs) {
        (Ok(l), Ok(r)) => Some(l == r),
        // `27 / 0 = 3` is a false claim, not an unreadable one.
        (Err(MathError::DivisionByZero), _) | (_, Err(MathError::DivisionByZero)) => Some(false),
        _ => None,
    }
}

fn in_run(t: &Tok, bindings: &[(String, BigRational)]) -> bool {
    match t {
        Tok::Num { .. }
        | Tok::Var(_)
        | Tok::Plus
        | Tok::Minus
        | Tok::Times
        | Tok::Divide
        | Tok::Caret
        | Tok::Percent
        | Tok::LParen
        | Tok::RParen
        | Tok::LBracket
        | Tok::RBracket
        | Tok::LBrace
        | Tok::RBrace
        | Tok::Frac
        | Tok::Sqrt => true,
        Tok::Word(w) => bindings.iter().any(|(n, _)| n == w),
        _ => false,
    }
}

/// True when the token bordering a run is a word that continues the arithmetic in prose.
/// `and` counts only between numbers (`the sum of 3 and 4 = 7`), not as a connective
/// (`17 * 4 = 68, and 68 - 8 = 60`).
fn arithmetic_border(t: Option<&Token>, beyond: Option<&Token>) -> bool {
    match t.map(|t| &t.tok) {
        Some(Tok::Word(w)) if w.eq_ignore_ascii_case("and") => {
            matches!(
                beyond.map(|t| &t.tok),
                Some(Tok::Num { .. } | Tok::Var(_) | Tok::RParen)
            )
        }
        Some(Tok::Word(w)) => ARITHMETIC_WORDS.contains(&w.to_ascii_lowercase().as_str()),
        _ => false,
    }
}

fn is_open(t: &Tok) -> bool {
    matches!(t, Tok::LParen | Tok::LBracket | Tok::LBrace)
}

fn is_close(t: &Tok) -> bool {
    matches!(t, Tok::RParen | Tok::RBracket | Tok::RBrace)
}

/// `[start, end)` of the run ending just before `e`; closers without an opener inside the run
/// (`2) 68 - 8 = 60`, a numbered list) cut it.
fn left_run(
    toks: &[Token],
    e: usize,
    bindings: &[(String, BigRational)],
) -> Option<(usize, usize)> {
    let mut start = e;
    while start > 0 && in_run(&toks[start - 1].tok, bindings) {
        start -= 1;
    }
    if start > 0
        && arithmetic_border(
            toks.get(start - 1),
            start.checked_sub(2).and_then(|k| toks.get(k)),
        )
    {
        return None;
    }
    // Walk right: an unmatched closer moves the start past it.
    let mut depth = 0i64;
    let mut s = start;
    for (k, t) in toks.iter().enumerate().take(e).skip(start) {
        if is_open(&t.tok) {
            depth += 1;
        } else if is_close(&t.tok) {
            depth -= 1;
            if depth < 0 {
                depth = 0;
                s = k + 1;
            }
        }
    }
    // Unmatched openers at the far left (`(so 17 * 4 = 68)`): drop them.
    while s < e && depth > 0 && is_open(&toks[s].tok) {
        s += 1;
        depth -= 1;
    }
    (s < e).then_some((s, e))
}

/// `[start, end)` of the run starting just after `e`.
fn right_run(
    toks: &[Token],
    e: usize,
    bindings: &[(String, BigRational)],
) -> Option<(usize, usize)> {
    let start = e + 1;
    let mut end = start;
    while end < toks.len() && in_run(&toks[end].tok, bindings) {
        end += 1;
    }
    if arithmetic_border(toks.get(end), toks.get(end + 1)) {
        return None;
    }
    // Walk left: an unmatched opener moves the end before it.
    let mut depth = 0i64;
    let mut en = end;
    for k in (start..end).rev() {
        let t = &toks[k].tok;
        if is_close(t) {
            depth += 1;
        } else if is_open(t) {
            depth -= 1;
            if depth < 0 {
                depth = 0;
                en = k;
            }
        }
    }
    // Unmatched closers at the far right (`(so 17 * 4 = 68)`): drop them.
    while en > start && depth > 0 && is_close(&toks[en - 1].tok) {
        en -= 1;
        depth -= 1;
    }
    (start < en).then_some((start, en))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> BigRational {
        s.parse().unwrap()
    }

    fn c(s: &str) -> Option<bool> {
        check_step(s, &[])
    }

    #[test]
    fn plain_equations() {
        assert_eq!(c("17 * 4 = 68"), Some(true));
        assert_eq!(c("68 - 8 = 61"), Some(false));
        assert_eq!(c("So 17 * 4 = 68."), Some(true));
        assert_eq!(c("First, 17 * 4 = 68"), Some(true));
        assert_eq!(c("(17*4 - 8)/6 = 60/6 = 10"), Some(true));
        assert_eq!(c("(17*4 - 8)/6 = 60/6 = 11"), Some(false));
        assert_eq!(c("2) 68 - 8 = 60"), Some(true));
        assert_eq!(c("We know (17 * 4 = 68) here"), Some(true));
        assert_eq!(c(r"$\frac{3}{4} \times 8 = 6$"), Some(true));
        assert_eq!(c("12 ÷ 4 · 2 = 6"), Some(true));
        assert_eq!(c("1/3 = 0.333"), Some(false));
        assert_eq!(c("17 * 4 = 68, and 68 - 8 = 60"), Some(true));
        assert_eq!(c("17 * 4 = 68, and 68 - 8 = 61"), Some(false));
        assert_eq!(c("1,000 + 24 = 1,024"), Some(true));
        assert_eq!(c("27 / 0 = 3"), Some(false));
    }

    #[test]
    fn nothing_to_check() {
        assert_eq!(c("Let us think about the problem."), None);
        assert_eq!(c("So a = 5"), None);
        assert_eq!(c("half of 10 = 5"), None);
        assert_eq!(c("the sum of 3 and 4 = 7"), None);
        assert_eq!(c("Day 1 = 5 apples"), None);
        assert_eq!(c("= 5"), None);
        assert_eq!(c("3 ≈ 3.1"), None);
        assert_eq!(c("x <= 4"), None);
        assert_eq!(c("2 >= 1 != 3"), None);
    }

    #[test]
    fn variables() {
        let b = vec![("x".to_string(), q("4")), ("y".to_string(), q("-1/2"))];
        assert_eq!(check_step("3x + 5 = 17", &b), Some(true));
        assert_eq!(check_step("3x + 5 = 18", &b), Some(false));
        assert_eq!(
            check_step("Subtract 5 from both sides: 3x = 12", &b),
            Some(true)
        );
        assert_eq!(check_step("2(x + 1) - 4y = 12", &b), Some(true));
        assert_eq!(check_step("x = 4, y = -1/2", &b), Some(true));
        assert_eq!(check_step("z = 4", &b), None);
        assert_eq!(check_step("3x + 5 = 17", &[]), None);
    }

    #[test]
    fn bounded() {
        let deep = format!("{}1{} = 1", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(c(&deep), None);
        assert_eq!(c("9^9^9^9 = 1"), None);
        assert_eq!(c(&"1".repeat(1 << 20)), None);
    }
}

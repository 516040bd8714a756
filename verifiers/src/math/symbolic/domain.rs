//! Whether an application of a built-in function to an expression with variables has a real
//! value anywhere.
//!
//! Atoms are independent indeterminates, so an atom that is nowhere defined still cancels
//! (`\ln(-1-x^2) - \ln(-1-x^2)`) or vanishes times zero (`0 \cdot \sqrt{-x^2-y^2-1}`), and the
//! expression would equal `0`. The parser keeps every application whose argument is not shown
//! to be inside its function's domain somewhere, and refuses a value from which one vanished
//! (see `parse::parse`). Shown means: at one of a fixed set of rational points, the argument
//! is strictly inside the domain — an open condition, so a whole neighbourhood is inside too.
//! Arguments that are not rational functions of plain variables (π, radicals, other
//! applications in them) are never shown, which refuses more than needed, never less.

use std::collections::BTreeMap;

use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

use super::Sym;

/// Coordinates of the sample points: small integers and fractions of both signs, so a
/// polynomial positive only far out, near zero or in one quadrant is still seen positive.
const COORDINATES: [(i64, i64); 16] = [
    (0, 1),
    (1, 1),
    (-1, 1),
    (2, 1),
    (-2, 1),
    (1, 2),
    (-1, 2),
    (3, 1),
    (-3, 1),
    (1, 3),
    (10, 1),
    (-10, 1),
    (1, 10),
    (5, 1),
    (-5, 1),
    (100, 1),
];

/// Points tried for two or more variables, each variable's coordinate a different mix of the
/// point's index (a grid would be 256 points for two: a millisecond per failing argument).
const MIXED_POINTS: usize = 32;

/// Arguments larger than this are not sampled (not shown, so kept as fragile).
const MAX_SAMPLED_TERMS: usize = 64;

/// Whether the argument's value is `inside` at one of the sample points.
pub(super) fn somewhere(arg: &Sym, inside: impl Fn(&BigRational) -> bool) -> bool {
    if arg.num.len() + arg.den.len() > MAX_SAMPLED_TERMS {
        return false;
    }
    let (Some(mut names), Some(den_names)) = (arg.num.plain_variables(), arg.den.plain_variables())
    else {
        return false;
    };
    names.extend(den_names);
    let names: Vec<&str> = names.into_iter().collect();
    let coordinate = |k: usize| {
        let (n, d) = COORDINATES[k % COORDINATES.len()];
        BigRational::new(n.into(), d.into())
    };
    let n = COORDINATES.len();
    let points: Vec<Vec<usize>> = match names.len() {
        0 => vec![vec![]],
        1 => (0..n).map(|i| vec![i]).collect(),
        k => (0..MIXED_POINTS)
            .map(|p| (0..k).map(|v| p * (2 * v + 1) + v * v).collect())
            .collect(),
    };
    points.into_iter().any(|point| {
        let values: BTreeMap<&str, BigRational> = names
            .iter()
            .zip(&point)
            .map(|(name, &k)| (*name, coordinate(k)))
            .collect();
        let at = |name: &str| values.get(name).cloned();
        match (arg.num.eval_at(&at), arg.den.eval_at(&at)) {
            (Some(num), Some(den)) if !den.is_zero() => inside(&(num / den)),
            _ => false,
        }
    })
}

/// Whether `fname(arg)` is shown to have a real value on an open set. Functions defined
/// everywhere (`sin`, `exp`, one the answer names) always are.
pub(super) fn application_defined(fname: &str, arg: &Sym) -> bool {
    let one = BigRational::one();
    match fname {
        "ln" | "log" | "lg" => somewhere(arg, |v| v.is_positive()),
        // The base was checked when the name was read (`parse::undefined`); a variable base
        // is not sampled.
        _ if fname.starts_with("log_") => {
            fname[4..].parse::<BigRational>().is_ok() && somewhere(arg, |v| v.is_positive())
        }
        "arcsin" | "arccos" => somewhere(arg, |v| v.abs() < one),
        // At a rational, tan and sec are defined (π/2 is irrational), and cot and csc away
        // from 0.
        "tan" | "sec" => somewhere(arg, |_| true),
        "cot" | "csc" => somewhere(arg, |v| !v.is_zero()),
        _ => true,
    }
}

/// Whether an even root of `x` (or a power of `x` to an exponent with variables) is shown to
/// have a real value on an open set.
pub(super) fn positive_somewhere(x: &Sym) -> bool {
    somewhere(x, |v| v.is_positive())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::lexer::lex;

    fn sym(text: &str) -> Sym {
        super::super::parse_tokens(&lex(text).unwrap()).unwrap()
    }

    #[test]
    fn shown_inside_at_a_sample_point_or_not_at_all() {
        assert!(positive_somewhere(&sym("x^2 - 50")));
        assert!(positive_somewhere(&sym("x y - 1")));
        assert!(positive_somewhere(&sym("\\frac{1}{x - 3}")));
        assert!(!positive_somewhere(&sym("-x^2 - 1")));
        assert!(!positive_somewhere(&sym("2xy - x^2 - y^2")));
        // π in the argument: never evaluated, so never shown.
        assert!(!positive_somewhere(&sym("x + \\pi")));
        assert!(application_defined("arcsin", &sym("x^2")));
        assert!(!application_defined("arcsin", &sym("x^2 + 1")));
        assert!(application_defined("cot", &sym("\\frac{x}{y}")));
        assert!(!application_defined("cot", &sym("\\frac{0}{y}")));
        assert!(application_defined("sin", &sym("x + \\pi")));
    }
}

//! Parsed answers ([`MathValue`]), their canonical text and the equivalence rule.
//!
//! Equivalence rules (the table in `verifiers/tests/data/math_pairs.jsonl` pins them down):
//! - numbers are equal when their exact values are equal (`2/4` = `0.5` = `\frac12`,
//!   `-0` = `0`, `0.333` ≠ `1/3`);
//! - a percentage `p%` is the number p/100; when the *gold* is a percentage the prediction may
//!   leave the `%` out (it is then a unit). So gold `0.5` = `50%`, gold `50%` = `50` = `0.5`;
//!   but a prediction's own `%` always means /100: gold `50` ≠ `50%`, gold `0.5` ≠ `0.5%`;
//! - tuples match element-wise in order, and so do bracketed lists, but a `[...]` never equals
//!   a `(...)` (`[1, 2]` is a closed interval or a list, `(1, 2)` a pair or an open interval);
//!   sets ignore order and repetition;
//! - named answers (`x = 4, y = -1/2`) match by name when both sides name the same variables,
//!   otherwise by position, and against an unnamed tuple or number by position.

use std::fmt;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, Zero};

/// An exact answer: a number, a tuple, a set, or named values.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MathValue {
    /// `value` is exact; `percent` records a trailing `%` (then `value` is already divided
    /// by 100).
    Number {
        value: BigRational,
        percent: bool,
    },
    Tuple(Vec<MathValue>),
    /// `[1, 2]`: a closed interval or a list. Equal only to another `[...]`, element-wise: the
    /// brackets are part of the answer (`[1, 2]` ≠ `(1, 2)`).
    Bracketed(Vec<MathValue>),
    Set(Vec<MathValue>),
    /// `x = 4, y = -1/2`, in the order written.
    Named(Vec<(String, MathValue)>),
}

impl MathValue {
    /// A plain number.
    pub fn number(value: BigRational) -> Self {
        MathValue::Number {
            value,
            percent: false,
        }
    }

    /// Whether `self` (the prediction) matches `gold` under the rules of this module.
    pub fn equivalent(&self, gold: &MathValue) -> bool {
        use MathValue::*;
        match (self, gold) {
            (
                Number {
                    value: a,
                    percent: pa,
                },
                Number {
                    value: b,
                    percent: pb,
                },
            ) => {
                // Only the gold's `%` may be omitted; see the module docs.
                let hundred = BigRational::from_integer(BigInt::from(100));
                a == b || (*pb && !*pa && *a == b * &hundred)
            }
            (Tuple(a), Tuple(b)) | (Bracketed(a), Bracketed(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equivalent(y))
            }
            (Set(a), Set(b)) => {
                a.iter().all(|x| b.iter().any(|y| x.equivalent(y)))
                    && b.iter().all(|y| a.iter().any(|x| x.equivalent(y)))
            }
            (Named(a), Named(b)) => {
                let same_names =
                    a.len() == b.len() && b.iter().all(|(n, _)| a.iter().any(|(m, _)| m == n));
                if same_names {
                    b.iter()
                        .all(|(n, y)| a.iter().any(|(m, x)| m == n && x.equivalent(y)))
                } else {
                    a.len() == b.len() && a.iter().zip(b).all(|((_, x), (_, y))| x.equivalent(y))
                }
            }
            (Named(a), Tuple(b)) | (Tuple(b), Named(a)) => {
                a.len() == b.len() && a.iter().zip(b).all(|((_, x), y)| x.equivalent(y))
            }
            (Named(a), other @ Number { .. }) | (other @ Number { .. }, Named(a)) => {
                a.len() == 1 && a.first().is_some_and(|(_, x)| x.equivalent(other))
            }
            _ => false,
        }
    }
}

/// Canonical text of an exact rational: `47`, `-1/2`.
pub fn canonical_rational(v: &BigRational) -> String {
    if v.is_zero() {
        return "0".into();
    }
    v.to_string()
}

/// Canonical text of a percentage p: the terminating decimal when there is a short one
/// (`12.5`), else the fraction.
fn percent_text(p: &BigRational) -> String {
    if p.is_integer() {
        return p.to_integer().to_string();
    }
    // p = n/d terminates in decimal iff d has only factors 2 and 5.
    let mut d = p.denom().clone();
    let (two, five) = (BigInt::from(2), BigInt::from(5));
    let mut places = 0u32;
    while (&d % &two).is_zero() || (&d % &five).is_zero() {
        if (&d % &two).is_zero() {
            d /= &two;
        } else {
            d /= &five;
        }
        places += 1;
        if places > 12 {
            return canonical_rational(p);
        }
    }
    if d != BigInt::from(1) {
        return canonical_rational(p);
    }
    // Enough places for both factors; then trim trailing zeros.
    let scaled = (p.abs()
        * BigRational::from_integer(num_traits::pow(BigInt::from(10), places as usize)))
    .to_integer();
    let digits = format!(
        "{:0>width$}",
        scaled.to_string(),
        width = places as usize + 1
    );
    let (int, frac) = digits.split_at(digits.len() - places as usize);
    let frac = frac.trim_end_matches('0');
    let sign = if p.is_negative() { "-" } else { "" };
    if frac.is_empty() {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac}")
    }
}

fn join(f: &mut fmt::Formatter<'_>, items: &[MathValue]) -> fmt::Result {
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{x}")?;
    }
    Ok(())
}

/// Canonical text: `1/2`, `50%`, `(3, -1/2)`, `{1, 2}` (sorted), `x = 4, y = -1/2`.
impl fmt::Display for MathValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MathValue::Number {
                value,
                percent: false,
            } => f.write_str(&canonical_rational(value)),
            MathValue::Number {
                value,
                percent: true,
            } => {
                let p = value * BigRational::from_integer(BigInt::from(100));
                write!(f, "{}%", percent_text(&p))
            }
            MathValue::Tuple(items) => {
                f.write_str("(")?;
                join(f, items)?;
                f.write_str(")")
            }
            MathValue::Bracketed(items) => {
                f.write_str("[")?;
                join(f, items)?;
                f.write_str("]")
            }
            MathValue::Set(items) => {
                let mut sorted = items.clone();
                sorted.sort_by(|a, b| match (a, b) {
                    (MathValue::Number { value: x, .. }, MathValue::Number { value: y, .. }) => {
                        x.cmp(y)
                    }
                    _ => a.to_string().cmp(&b.to_string()),
                });
                sorted.dedup_by(|a, b| a.equivalent(b));
                f.write_str("{")?;
                join(f, &sorted)?;
                f.write_str("}")
            }
            MathValue::Named(items) => {
                for (i, (n, x)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n} = {x}")?;
                }
                Ok(())
            }
        }
    }
}

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
//!   otherwise by position, and against an unnamed tuple or number by position; `y = 2x + 1`
//!   matches `2x + 1` when `y` does not occur on the right; `x = 1, x = 2` is the set `{1, 2}`;
//! - symbolic values ([`Sym`]) are equal when exactly equal (see [`super::symbolic`]);
//! - a list without brackets (`1, 2`, `1 and 2`) is a list of answers: it matches another list
//!   or a set as a set (order and repetition aside), and a tuple in order;
//! - intervals and relations follow [`super::interval`]; `(a, b)` and `[a, b]` also match
//!   the open and closed interval;
//! - matrices match entry by entry; a one-row or one-column matrix also matches a tuple.
//!
//! Anything that cannot be decided within the bounds is unequal.

use std::fmt;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, Zero};

use super::interval::{End, Piece, Region, Relation};
use super::symbolic::Sym;

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
    /// A value that is not a rational number: `2\sqrt{2}`, `\frac{x+1}{2}`, `3\pi`.
    Expr(Sym),
    /// A top-level list without brackets: `1, 2`.
    List(Vec<MathValue>),
    /// An interval, a union of intervals, or a one-variable relation.
    Region(Region),
    /// Any other relation or equation: `y \ge 2x + 1`.
    Relation(Relation),
    /// Rows of entries.
    Matrix(Vec<Vec<MathValue>>),
    /// `204_5`: a numeral in another base, equal only to the same digits in the same base
    /// (a question that asks for base 5 is not answered by `54`).
    Numeral {
        digits: String,
        base: u32,
    },
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
            (Numeral { digits: a, base: x }, Numeral { digits: b, base: y }) => a == b && x == y,
            (Tuple(a), Tuple(b))
            | (Bracketed(a), Bracketed(b))
            | (List(a), Tuple(b))
            | (Tuple(a), List(b)) => all_pairs(a, b),
            // Lists without brackets are answers listed in any order (`1, 2` = `2, 1`).
            (List(a), List(b)) if distinct_values(a) && distinct_values(b) => same_set(a, b),
            // Solutions of a system, `(3, 17), (17, 3), (3, 17)`: a pair said twice is one
            // solution (multiplicity is a property of roots, `2, 2, 3`, not of pairs).
            (List(a), List(b)) if all_tuples(a) && all_tuples(b) => same_set(a, b),
            (List(a), List(b)) => same_multiset(a, b),
            (Set(a), Set(b)) | (List(a), Set(b)) | (Set(a), List(b)) => same_set(a, b),
            (Named(a), Set(b)) | (Set(b), Named(a)) => {
                one_name(a).is_some_and(|vals| same_set(&vals, b))
            }
            (Named(a), Named(b)) => named(a, b),
            // `x = 1, x = 2` against `1, 2`: alternatives, compared as a set.
            // (Each with its multiplicity, as lists of roots: `x = 2, 3` is not `2, 2, 3`.)
            (Named(a), List(b)) | (List(b), Named(a)) if a.len() > 1 && one_name(a).is_some() => {
                one_name(a).is_some_and(|vals| {
                    if distinct_values(&vals) && distinct_values(b) {
                        same_set(&vals, b)
                    } else {
                        same_multiset(&vals, b)
                    }
                })
            }
            // A list without brackets by position, as written; a tuple only when the names are
            // distinct and in order (`x = 4, y = -1/2` is the pair `(4, -1/2)`; `y = 1, x = 2`
            // is not `(1, 2)`).
            (Named(a), List(b)) | (List(b), Named(a)) => {
                distinct(a)
                    && a.len() == b.len()
                    && a.iter().zip(b).all(|((_, x), y)| x.equivalent(y))
            }
            (Named(a), Tuple(b)) | (Tuple(b), Named(a)) => {
                ascending(a)
                    && a.len() == b.len()
                    && a.iter().zip(b).all(|((_, x), y)| x.equivalent(y))
            }
            (Named(a), other @ (Number { .. } | Expr(_)))
            | (other @ (Number { .. } | Expr(_)), Named(a)) => match a.as_slice() {
                [(n, x)] => !other.mentions(n) && x.equivalent(other),
                _ => false,
            },
            (Expr(_), Number { .. } | Expr(_)) | (Number { .. }, Expr(_)) => {
                match (self.as_sym(), gold.as_sym()) {
                    (Some(a), Some(b)) => a.equals(&b).unwrap_or(false),
                    _ => false,
                }
            }
            (Region(a), _) | (_, Region(a)) => {
                let other = if matches!(self, Region(_)) {
                    gold
                } else {
                    self
                };
                other
                    .as_region()
                    .is_some_and(|b| a.equals(&b).unwrap_or(false))
            }
            (Relation(a), Relation(b)) => a.equals(b).unwrap_or(false),
            (Named(n), Relation(r)) | (Relation(r), Named(n)) => match n.as_slice() {
                [(name, v)] => v.as_sym().is_some_and(|v| {
                    super::interval::Relation::new(&Sym::variable(name), None, &v)
                        .and_then(|m| m.equals(r))
                        .unwrap_or(false)
                }),
                _ => false,
            },
            (Matrix(a), Matrix(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| all_pairs(x, y))
            }
            (Matrix(m), Tuple(t) | List(t)) | (Tuple(t) | List(t), Matrix(m)) => {
                vector(m).is_some_and(|v| all_pairs(&v, t))
            }
            _ => false,
        }
    }

    /// The value as a symbolic expression, when it is a number or an expression.
    pub(crate) fn as_sym(&self) -> Option<Sym> {
        match self {
            MathValue::Number { value, .. } => Some(Sym::rational(value.clone())),
            MathValue::Expr(s) => Some(s.clone()),
            _ => None,
        }
    }

    /// Whether a number or expression mentions the variable `name`.
    fn mentions(&self, name: &str) -> bool {
        matches!(self, MathValue::Expr(s) if s.mentions(name))
    }

    /// The value read as an interval: `(a, b)` open, `[a, b]` closed, a region as itself.
    pub(crate) fn as_region(&self) -> Option<Region> {
        let ends = |items: &[MathValue], closed: bool| -> Option<Region> {
            let [a, b] = items else { return None };
            let piece = Piece {
                lo: End::finite(a.as_sym()?, closed),
                hi: End::finite(b.as_sym()?, closed),
            };
            Some(Region::of(None, vec![piece]))
        };
        match self {
            MathValue::Region(r) => Some(r.clone()),
            MathValue::Tuple(items) => ends(items, false),
            MathValue::Bracketed(items) => ends(items, true),
            _ => None,
        }
    }
}

fn all_pairs(a: &[MathValue], b: &[MathValue]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.equivalent(y))
}

/// Every item a tuple (`(1, 2), (3, 4)`).
fn all_tuples(a: &[MathValue]) -> bool {
    a.iter().all(|x| matches!(x, MathValue::Tuple(_)))
}

/// No two equal values (`3, 4, 4` has two).
fn distinct_values(a: &[MathValue]) -> bool {
    a.iter()
        .enumerate()
        .all(|(i, x)| a[..i].iter().all(|y| !x.equivalent(y)))
}

/// Equal as multisets: `3, 4, 4` is not `3, 3, 4`.
fn same_multiset(a: &[MathValue], b: &[MathValue]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut used = vec![false; b.len()];
    a.iter().all(|x| {
        let hit = (0..b.len()).find(|&j| !used[j] && x.equivalent(&b[j]));
        if let Some(j) = hit {
            used[j] = true;
        }
        hit.is_some()
    })
}

fn same_set(a: &[MathValue], b: &[MathValue]) -> bool {
    a.iter().all(|x| b.iter().any(|y| x.equivalent(y)))
        && b.iter().all(|y| a.iter().any(|x| x.equivalent(y)))
}

/// `x = 1, x = 2`: the values, when every name is the same one.
pub(super) fn one_name(a: &[(String, MathValue)]) -> Option<Vec<MathValue>> {
    let (first, _) = a.first()?;
    a.iter()
        .all(|(n, _)| n == first)
        .then(|| a.iter().map(|(_, v)| v.clone()).collect())
}

/// Named values against named values: the same names with equal values; or, when a name is
/// repeated (`x = 1, x = 2`: alternatives), one name on both sides and the same set of values.
/// Different names never match by position (`y = 1, z = 2` is not `x = 1, y = 2`).
fn named(a: &[(String, MathValue)], b: &[(String, MathValue)]) -> bool {
    if distinct(a) && distinct(b) {
        let same_names = a.len() == b.len() && b.iter().all(|(n, _)| a.iter().any(|(m, _)| m == n));
        return same_names
            && b.iter()
                .all(|(n, y)| a.iter().any(|(m, x)| m == n && x.equivalent(y)));
    }
    match (one_name(a), one_name(b)) {
        (Some(x), Some(y)) => {
            a.first().map(|p| &p.0) == b.first().map(|p| &p.0) && same_set(&x, &y)
        }
        _ => false,
    }
}

fn distinct(a: &[(String, MathValue)]) -> bool {
    a.iter()
        .enumerate()
        .all(|(i, (n, _))| a[..i].iter().all(|(m, _)| m != n))
}

/// Names strictly in order (`x < y < z`, `x_1 < x_2`, `a < b`): the order of a tuple.
fn ascending(a: &[(String, MathValue)]) -> bool {
    // Single lowercase letters in alphabetical order, or one letter with numeric subscripts in
    // numeric order (`x_2` before `x_10`); any other mix has no order of its own.
    let key = |n: &str| -> Option<(char, u64)> {
        match n.split_once('_') {
            None => {
                let mut cs = n.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) if c.is_ascii_lowercase() => Some((c, 0)),
                    _ => None,
                }
            }
            Some((l, sub)) => {
                let mut cs = l.chars();
                match (cs.next(), cs.next()) {
                    (Some(c), None) => sub.parse().ok().map(|k| (c, k)),
                    _ => None,
                }
            }
        }
    };
    let keys: Option<Vec<(char, u64)>> = a.iter().map(|(n, _)| key(n)).collect();
    let Some(keys) = keys else { return false };
    let subscripted = keys.iter().all(|k| k.1 > 0) && keys.windows(2).all(|w| w[0].0 == w[1].0);
    let letters = keys.iter().all(|k| k.1 == 0);
    (subscripted || letters) && keys.windows(2).all(|w| w[0] < w[1])
}

/// A one-row or one-column matrix's entries in order.
fn vector(m: &[Vec<MathValue>]) -> Option<Vec<MathValue>> {
    match m {
        [row] => Some(row.clone()),
        rows if rows.iter().all(|r| r.len() == 1) => {
            Some(rows.iter().filter_map(|r| r.first().cloned()).collect())
        }
        _ => None,
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
            MathValue::Expr(e) => write!(f, "{e}"),
            MathValue::Numeral { digits, base } if *base < 10 => write!(f, "{digits}_{base}"),
            MathValue::Numeral { digits, base } => write!(f, "{digits}_{{{base}}}"),
            MathValue::List(items) => join(f, items),
            MathValue::Region(r) => write!(f, "{r}"),
            MathValue::Relation(r) => write!(f, "{r}"),
            MathValue::Matrix(rows) => {
                f.write_str("[")?;
                for (i, row) in rows.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    join(f, row)?;
                }
                f.write_str("]")
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

//! Intervals, unions of them and relations: `[-2, 7)`, `(-\infty, 1) \cup (2, \infty)`,
//! `-2 \le x \le 7`, `x \ne 3`, `y \ge 2x + 1`.
//!
//! A relation in one variable against bounds free of it is a [`Region`] (`x \le 5` is
//! `x ∈ (-∞, 5]`), so it equals the interval written with brackets. Unions compare as sets of
//! pieces, without merging touching pieces (`[1, 2] \cup [2, 3]` is not recognised as
//! `[1, 3]`: a false negative, never a false positive). Any other relation is a
//! [`Relation`] `d < 0`, `d ≤ 0`, `d ≠ 0` or `d = 0` over `d = lhs - rhs`, equal to another when
//! the differences are positive rational multiples of each other (`2x ≤ 10` is `x ≤ 5`; for
//! `≠` and `=` any nonzero multiple).

use std::fmt;

use super::lexer::Rel;
use super::symbolic::Sym;
use super::MathError;

/// One end of an interval: `None` is infinite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct End {
    pub value: Option<Sym>,
    pub closed: bool,
}

impl End {
    pub(crate) fn finite(value: Sym, closed: bool) -> Self {
        End {
            value: Some(value),
            closed,
        }
    }

    pub(crate) fn infinite() -> Self {
        End {
            value: None,
            closed: false,
        }
    }

    fn equals(&self, o: &End) -> Result<bool, MathError> {
        match (&self.value, &o.value) {
            (None, None) => Ok(true),
            (Some(a), Some(b)) => Ok(self.closed == o.closed && a.equals(b)?),
            _ => Ok(false),
        }
    }
}

/// An interval of the real line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub lo: End,
    pub hi: End,
}

impl Piece {
    fn equals(&self, o: &Piece) -> Result<bool, MathError> {
        Ok(self.lo.equals(&o.lo)? && self.hi.equals(&o.hi)?)
    }
}

/// A union of intervals, maybe of a named variable (`x ∈ …`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub var: Option<String>,
    pub pieces: Vec<Piece>,
}

impl Region {
    pub(crate) fn of(var: Option<String>, pieces: Vec<Piece>) -> Self {
        Region { var, pieces }
    }

    /// The region `var R bound` (`x < 5`), or `bound R var` when `flipped` (`5 > x`).
    pub(crate) fn from_relation(var: &str, rel: Rel, bound: Sym, flipped: bool) -> Self {
        let rel = if flipped { flip(rel) } else { rel };
        let b = |closed| End::finite(bound.clone(), closed);
        let pieces = match rel {
            Rel::Lt => vec![Piece {
                lo: End::infinite(),
                hi: b(false),
            }],
            Rel::Le => vec![Piece {
                lo: End::infinite(),
                hi: b(true),
            }],
            Rel::Gt => vec![Piece {
                lo: b(false),
                hi: End::infinite(),
            }],
            Rel::Ge => vec![Piece {
                lo: b(true),
                hi: End::infinite(),
            }],
            Rel::Ne => vec![
                Piece {
                    lo: End::infinite(),
                    hi: b(false),
                },
                Piece {
                    lo: b(false),
                    hi: End::infinite(),
                },
            ],
        };
        Region::of(Some(var.to_string()), pieces)
    }

    /// Equal as sets of pieces, and of the same variable when both name one.
    pub fn equals(&self, o: &Region) -> Result<bool, MathError> {
        if let (Some(a), Some(b)) = (&self.var, &o.var) {
            if a != b {
                return Ok(false);
            }
        }
        let covers = |a: &[Piece], b: &[Piece]| -> Result<bool, MathError> {
            for x in a {
                let mut found = false;
                for y in b {
                    if x.equals(y)? {
                        found = true;
                        break;
                    }
                }
                if !found {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        Ok(covers(&self.pieces, &o.pieces)? && covers(&o.pieces, &self.pieces)?)
    }
}

/// `a R b` read right to left: `<` becomes `>`.
pub(crate) fn flip(rel: Rel) -> Rel {
    match rel {
        Rel::Lt => Rel::Gt,
        Rel::Le => Rel::Ge,
        Rel::Gt => Rel::Lt,
        Rel::Ge => Rel::Le,
        Rel::Ne => Rel::Ne,
    }
}

/// A relation `diff R 0` with `R` one of `<`, `≤`, `≠`, or an equation (`rel` is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub diff: Sym,
    pub rel: Option<Rel>,
}

impl Relation {
    /// `lhs R rhs`, normalised so that `R` is `<`, `≤`, `≠` or `=`.
    pub(crate) fn new(lhs: &Sym, rel: Option<Rel>, rhs: &Sym) -> Result<Self, MathError> {
        // `\frac{x^2 y}{x} \le 0` is not `xy \le 0` (at x = 0, and in sign): no fractions.
        if !lhs.is_polynomial() || !rhs.is_polynomial() {
            return Err(MathError::Syntax(
                "a relation between fractions with unknowns in a denominator".into(),
            ));
        }
        Ok(match rel {
            Some(Rel::Gt | Rel::Ge) => Relation {
                diff: rhs.sub(lhs)?,
                rel: rel.map(flip),
            },
            _ => Relation {
                diff: lhs.sub(rhs)?,
                rel,
            },
        })
    }

    pub fn equals(&self, o: &Relation) -> Result<bool, MathError> {
        if self.rel != o.rel {
            return Ok(false);
        }
        if self.diff.positive_multiple_of(&o.diff)? {
            return Ok(true);
        }
        let symmetric = matches!(self.rel, None | Some(Rel::Ne));
        Ok(symmetric && self.diff.positive_multiple_of(&o.diff.neg())?)
    }
}

fn rel_text(rel: Option<Rel>) -> &'static str {
    match rel {
        None => "=",
        Some(Rel::Lt) => "<",
        Some(Rel::Le) => "<=",
        Some(Rel::Gt) => ">",
        Some(Rel::Ge) => ">=",
        Some(Rel::Ne) => "!=",
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} 0", self.diff, rel_text(self.rel))
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = &self.var {
            write!(f, "{v} in ")?;
        }
        if self.pieces.is_empty() {
            return f.write_str("{}");
        }
        for (i, p) in self.pieces.iter().enumerate() {
            if i > 0 {
                f.write_str(" U ")?;
            }
            match &p.lo.value {
                None => f.write_str("(-oo")?,
                Some(v) => write!(f, "{}{v}", if p.lo.closed { "[" } else { "(" })?,
            }
            f.write_str(", ")?;
            match &p.hi.value {
                None => f.write_str("oo)")?,
                Some(v) => write!(f, "{v}{}", if p.hi.closed { "]" } else { ")" })?,
            }
        }
        Ok(())
    }
}

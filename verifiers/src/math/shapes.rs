//! Structured answers built from tokens: unions of intervals (`[a, b) \cup \{c\}`),
//! relations (`-2 \le x < 7`, `y \ge 2x + 1`), intervals whose brackets only an interval has
//! (`(-\infty, 3]`), and matrices (`pmatrix`, `bmatrix`, `array`). The value rules are in
//! [`super::interval`] and [`super::value`]; the plain parts of an answer come from
//! [`super::answer`].

use num_rational::BigRational;

use super::answer::element;
use super::brackets::{close_of, split_commas, split_top};
use super::interval::{flip, End, Piece, Region, Relation};
use super::lexer::{Rel, Tok, Token};
use super::statement::single;
use super::symbolic::{parse_tokens, Sym};
use super::value::{one_name, MathValue};
use super::{MathError, MAX_ELEMENTS};

/// Tokens at bracket depth 0.
pub(super) fn top_level(toks: &[Token]) -> impl Iterator<Item = &Token> {
    let mut depth = 0i64;
    toks.iter().filter(move |t| {
        depth += t.tok.nesting();
        depth == 0 && t.tok.nesting() == 0
    })
}

/// `A ∪ B`, `x < 1 or x > 2`: a union of interval-like parts, if the top level has a `\cup` or
/// an `or` between relations.
pub(super) fn union(toks: &[Token]) -> Result<Option<MathValue>, MathError> {
    let is_sep = |t: &Token| match &t.tok {
        Tok::Union => true,
        Tok::Word(w) | Tok::Text(w) => w.eq_ignore_ascii_case("or"),
        _ => false,
    };
    let has_union = top_level(toks).any(|t| t.tok == Tok::Union);
    let has_or = top_level(toks).any(&is_sep);
    let has_rel = top_level(toks).any(|t| matches!(t.tok, Tok::Rel(_)));
    if !(has_union || (has_or && has_rel)) {
        return Ok(None);
    }
    let mut var: Option<String> = None;
    let mut pieces = Vec::new();
    for (p, _) in split_top(toks, is_sep) {
        let value = single(p, 1)?;
        let region = match &value {
            // `\{-1\} \cup [0, 7)`: points are closed intervals of length zero.
            MathValue::Set(points) => points_region(None, points)?,
            // `x \in \{-1\}`, `x = -1`: one variable's points.
            MathValue::Named(pairs) => match one_name(pairs) {
                Some(points) => points_region(Some(pairs[0].0.clone()), &points)?,
                None => {
                    return Err(MathError::Syntax(
                        "a union of something that is not an interval".into(),
                    ))
                }
            },
            _ => value.as_region().ok_or_else(|| {
                MathError::Syntax("a union of something that is not an interval".into())
            })?,
        };
        if let Some(v) = region.var {
            if var.as_ref().is_some_and(|w| *w != v) {
                return Err(MathError::Syntax("a union over different variables".into()));
            }
            var = Some(v);
        }
        pieces.extend(region.pieces);
        if pieces.len() > MAX_ELEMENTS {
            return Err(MathError::TooManyElements { max: MAX_ELEMENTS });
        }
    }
    Ok(Some(MathValue::Region(Region::of(var, pieces))))
}

/// `\{-1, 2\}` as a range: each point a closed interval of length zero.
fn points_region(var: Option<String>, points: &[MathValue]) -> Result<Region, MathError> {
    let mut pieces = Vec::with_capacity(points.len());
    for x in points {
        let x = x.as_sym().ok_or_else(|| {
            MathError::Syntax("a range with a set of things that are not numbers".into())
        })?;
        pieces.push(Piece {
            lo: End::finite(x.clone(), true),
            hi: End::finite(x, true),
        });
    }
    Ok(Region::of(var, pieces))
}

/// A number or expression side of a relation or an interval end.
fn sym(toks: &[Token], depth: usize) -> Result<Sym, MathError> {
    element(toks, depth + 1)?
        .as_sym()
        .ok_or_else(|| MathError::Syntax("a relation between things that are not numbers".into()))
}

/// The variable a relation is about: a name (`x`) or an application (`0 < f(x) < 1`).
/// `|z|`: the variable inside bars.
fn abs_var(toks: &[Token]) -> Option<String> {
    let bar = |t: &Token| matches!(&t.tok, Tok::Other(s) if s == "|");
    match toks {
        [l, Token {
            tok: Tok::Var(v), ..
        }, r]
            if bar(l) && bar(r) && v != "e" && v != "i" =>
        {
            Some(v.clone())
        }
        _ => None,
    }
}

/// `1 \le |z| \le \frac{3}{2}`: the two mirrored intervals `[-3/2, -1] ∪ [1, 3/2]` (one
/// interval when the lower bound is 0 and included), for rational bounds `0 ≤ a ≤ b`.
fn abs_between(
    a: &[Token],
    v: String,
    b: &[Token],
    r1: Rel,
    r2: Rel,
    depth: usize,
) -> Result<MathValue, MathError> {
    let refuse = || MathError::Syntax("a relation on |x| that is not a pair of intervals".into());
    let up = |r: Rel| matches!(r, Rel::Lt | Rel::Le);
    let (lo, lo_closed, hi, hi_closed) = if up(r1) && up(r2) {
        (a, r1 == Rel::Le, b, r2 == Rel::Le)
    } else if !up(r1) && !up(r2) && r1 != Rel::Ne && r2 != Rel::Ne {
        (b, r2 == Rel::Ge, a, r1 == Rel::Ge)
    } else {
        return Err(refuse());
    };
    let zero = BigRational::from_integer(0.into());
    let (Some(lo), Some(hi)) = (sym(lo, depth)?.as_rational(), sym(hi, depth)?.as_rational())
    else {
        return Err(refuse());
    };
    if lo < zero || hi < lo {
        return Err(refuse());
    }
    let end = |x: &BigRational, closed: bool| End::finite(Sym::rational(x.clone()), closed);
    let pieces = if lo == zero && lo_closed {
        vec![Piece {
            lo: end(&-hi.clone(), hi_closed),
            hi: end(&hi, hi_closed),
        }]
    } else {
        vec![
            Piece {
                lo: end(&-hi.clone(), hi_closed),
                hi: end(&-lo.clone(), lo_closed),
            },
            Piece {
                lo: end(&lo, lo_closed),
                hi: end(&hi, hi_closed),
            },
        ]
    };
    Ok(MathValue::Region(Region::of(Some(v), pieces)))
}

fn lone_var(toks: &[Token]) -> Option<String> {
    match toks {
        [Token {
            tok: Tok::Var(v), ..
        }] if v != "e" => Some(v.clone()),
        [Token {
            tok: Tok::Var(_), ..
        }] => None,
        _ => parse_tokens(toks)
            .ok()?
            .as_atom()
            .filter(|a| a.contains('('))
            .map(|a| a.to_string()),
    }
}

/// `x \le 5`, `5 > x`, `-2 \le x < 7`, `y \ge 2x + 1`.
pub(super) fn relation(toks: &[Token], depth: usize) -> Result<MathValue, MathError> {
    let parts = split_top(toks, |t| matches!(t.tok, Tok::Rel(_)));
    let sides: Vec<&[Token]> = parts.iter().map(|(p, _)| *p).collect();
    let rels: Vec<Rel> = parts
        .iter()
        .filter_map(|(_, t)| match t.map(|t| &t.tok) {
            Some(Tok::Rel(r)) => Some(*r),
            _ => None,
        })
        .collect();
    match (sides.as_slice(), rels.as_slice()) {
        ([a, b], [r]) => {
            if let Some(v) = lone_var(a) {
                let bound = sym(b, depth)?;
                if !bound.mentions(&v) {
                    return Ok(MathValue::Region(Region::from_relation(
                        &v, *r, bound, false,
                    )));
                }
            }
            if let Some(v) = lone_var(b) {
                let bound = sym(a, depth)?;
                if !bound.mentions(&v) {
                    return Ok(MathValue::Region(Region::from_relation(
                        &v, *r, bound, true,
                    )));
                }
            }
            let rel = Relation::new(&sym(a, depth)?, Some(*r), &sym(b, depth)?)?;
            // Linear in one variable: solved for it (`-x > -1` is `x < 1`, `2x ≤ 10` is `x ≤ 5`).
            if let Some((v, k, c)) = rel.diff.linear() {
                let bound = c.neg().div(&Sym::rational(k.clone()))?;
                let r = match rel.rel {
                    Some(r) if k < BigRational::from_integer(0.into()) => flip(r),
                    Some(r) => r,
                    None => return Ok(MathValue::Relation(rel)),
                };
                return Ok(MathValue::Region(Region::from_relation(
                    &v, r, bound, false,
                )));
            }
            Ok(MathValue::Relation(rel))
        }
        ([a, m, b], [r1, r2]) => {
            if let Some(v) = abs_var(m) {
                return abs_between(a, v, b, *r1, *r2, depth);
            }
            let v = lone_var(m)
                .ok_or_else(|| MathError::Syntax("a chained relation without a variable".into()))?;
            let up = |r: &Rel| matches!(r, Rel::Lt | Rel::Le);
            let down = |r: &Rel| matches!(r, Rel::Gt | Rel::Ge);
            let (lo, lo_rel, hi, hi_rel) = if up(r1) && up(r2) {
                (a, *r1, b, *r2)
            } else if down(r1) && down(r2) {
                (b, flip(*r2), a, flip(*r1))
            } else {
                return Err(MathError::Syntax(
                    "a chained relation that is not an interval".into(),
                ));
            };
            let (lo, hi) = (sym(lo, depth)?, sym(hi, depth)?);
            if lo.mentions(&v) || hi.mentions(&v) {
                return Err(MathError::Syntax(
                    "an interval whose ends use its variable".into(),
                ));
            }
            let piece = Piece {
                lo: End::finite(lo, lo_rel == Rel::Le),
                hi: End::finite(hi, hi_rel == Rel::Le),
            };
            Ok(MathValue::Region(Region::of(
                Some(v.to_string()),
                vec![piece],
            )))
        }
        _ => Err(MathError::Syntax(
            "a relation of more than three sides".into(),
        )),
    }
}

/// `[a, b)`, `(-\infty, 3]`, `(2, \infty)`: brackets that only an interval has (mismatched, or
/// an infinite end). `(a, b)` and `[a, b]` stay tuples and lists, which also match intervals.
pub(super) fn interval(toks: &[Token], depth: usize) -> Result<Option<MathValue>, MathError> {
    let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
        return Ok(None);
    };
    let opens = matches!(first.tok, Tok::LParen | Tok::LBracket);
    let closes = matches!(last.tok, Tok::RParen | Tok::RBracket);
    if !opens || !closes || toks.len() < 3 {
        return Ok(None);
    }
    // The opening bracket must close at the end, whatever its kind.
    if close_of(toks) != Some(toks.len() - 1) {
        return Ok(None);
    }
    let parts = split_commas(&toks[1..toks.len() - 1])?;
    let [lo, hi] = parts.as_slice() else {
        return Ok(None);
    };
    let infinite = |p: &[Token]| -> Option<bool> {
        match p {
            [Token {
                tok: Tok::Infinity, ..
            }]
            | [Token { tok: Tok::Plus, .. }, Token {
                tok: Tok::Infinity, ..
            }] => Some(true),
            [Token {
                tok: Tok::Minus, ..
            }, Token {
                tok: Tok::Infinity, ..
            }] => Some(false),
            _ => None,
        }
    };
    let mismatched = (first.tok == Tok::LParen) != (last.tok == Tok::RParen);
    if !mismatched && infinite(lo).is_none() && infinite(hi).is_none() {
        return Ok(None);
    }
    // `-\infty` only at an open low end, `\infty` only at an open high end.
    let end = |part: &[Token], high: bool, open: bool| match infinite(part) {
        Some(positive) if positive == high && open => Ok(End::infinite()),
        Some(_) => Err(MathError::Syntax(
            "an interval with a wrong infinite end".into(),
        )),
        None => Ok(End::finite(sym(part, depth)?, !open)),
    };
    let lo_end = end(lo, false, first.tok == Tok::LParen)?;
    let hi_end = end(hi, true, last.tok == Tok::RParen)?;
    let piece = Piece {
        lo: lo_end,
        hi: hi_end,
    };
    Ok(Some(MathValue::Region(Region::of(None, vec![piece]))))
}

/// The inside of `\begin{pmatrix} … \end{pmatrix}`: rows split by `\\`, entries by `&`.
pub(super) fn matrix(inner: &[Token], depth: usize) -> Result<MathValue, MathError> {
    let mut rows: Vec<Vec<MathValue>> = Vec::new();
    let mut row_toks: Vec<Vec<&[Token]>> = vec![Vec::new()];
    for (cell, end) in split_top(inner, |t| matches!(t.tok, Tok::Amp | Tok::RowSep)) {
        if let Some(r) = row_toks.last_mut() {
            r.push(cell);
        }
        if end.is_some_and(|t| t.tok == Tok::RowSep) {
            row_toks.push(Vec::new());
        }
    }
    // A trailing `\\` leaves an empty last row.
    if row_toks
        .last()
        .is_some_and(|r| r.len() == 1 && r[0].is_empty())
        && row_toks.len() > 1
    {
        row_toks.pop();
    }
    let mut cells = 0;
    for r in row_toks {
        cells += r.len();
        if cells > MAX_ELEMENTS {
            return Err(MathError::TooManyElements { max: MAX_ELEMENTS });
        }
        rows.push(
            r.iter()
                .map(|c| element(c, depth + 1))
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    let width = rows.first().map_or(0, Vec::len);
    if rows.iter().any(|r| r.len() != width) || width == 0 {
        return Err(MathError::Syntax("matrix rows of different lengths".into()));
    }
    Ok(MathValue::Matrix(rows))
}

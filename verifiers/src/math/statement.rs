//! One answer without a top-level comma: a value, a named value (`x = 5`, `f(x) = 1`,
//! `(x, y) = (4, -1/2)`), an equation or chain read as its last side (`12 + 35 = 47`,
//! `x = 5+6 = 11`), an exact value with its approximation (`x = 1/3 \approx 0.33`), `1 \pm \sqrt{2}`, `x \in
//! [0, 1)`, or a relation.

use num_rational::BigRational;
use num_traits::Signed;

use super::answer::element;
use super::brackets::{split_commas, split_top};
use super::interval::{Region, Relation};
use super::lexer::{Tok, Token};
use super::shapes::{relation, top_level, union};
use super::symbolic::{greek_name, parse_tokens};
use super::value::MathValue;
use super::MathError;

/// `x = rest` with a one-letter name: the name and the rest.
pub(super) fn name_of(part: &[Token]) -> Option<(String, &[Token])> {
    match part {
        [Token {
            tok: Tok::Var(n), ..
        }, Token { tok: Tok::Eq, .. }, rest @ ..]
            if !rest.is_empty() =>
        {
            Some((n.clone(), rest))
        }
        // `AB = 4`: a name of capital letters (a segment, an angle); `\theta = 4`: the
        // letter's name, as the symbolic parser names the variable.
        [Token {
            tok: Tok::Word(n), ..
        }, Token { tok: Tok::Eq, .. }, rest @ ..]
            if !rest.is_empty() =>
        {
            if n.bytes().all(|b| b.is_ascii_uppercase()) {
                Some((n.clone(), rest))
            } else {
                greek_name(n).map(|g| (g.to_string(), rest))
            }
        }
        _ => None,
    }
}

/// The whole answer when it has no top-level comma: maybe named, maybe an equation.
pub(super) fn single(toks: &[Token], depth: usize) -> Result<MathValue, MathError> {
    // `x = 1/3 \approx 0.33`: the exact value stated before the approximation is the answer,
    // when the approximation is one decimal that rounds it; an approximation alone (`x \approx
    // 0.33`) is not an answer, and one that does not agree (`x = 11 \approx 12`) is refused.
    let approx = |t: &Token| matches!(&t.tok, Tok::Word(w) if w == "\\approx");
    if let [(exact, Some(_)), ..] = split_top(toks, approx).as_slice() {
        // What follows the first top-level `\approx`.
        let approx = &toks[exact.len() + 1..];
        if !exact.iter().any(|t| t.tok == Tok::Eq) {
            return Err(MathError::Syntax(
                "an approximation, not an exact answer".into(),
            ));
        }
        let value = single(exact, depth + 1)?;
        rounds_to(&value, approx)?;
        return Ok(value);
    }
    // `1 \pm \sqrt{2}`: the set of both values (one `\pm` at most).
    let pm: Vec<usize> = toks
        .iter()
        .enumerate()
        .filter(|(_, t)| matches!(&t.tok, Tok::Word(w) if w == "\\pm"))
        .map(|(i, _)| i)
        .collect();
    if let [at] = pm.as_slice() {
        let mut values = Vec::with_capacity(2);
        for sign in [Tok::Plus, Tok::Minus] {
            let mut v = toks.to_vec();
            v[*at].tok = sign;
            values.push(element(&v, depth + 1)?);
        }
        return Ok(MathValue::Set(values));
    }
    if let Some((n, rest)) = name_of(toks) {
        if !rest.iter().any(|t| t.tok == Tok::Eq) {
            return Ok(MathValue::Named(vec![(n, element(rest, depth + 1)?)]));
        }
        // `x = 5 + 6 = 11`: a worked chain names its last side.
        if !top_level(rest).any(|t| matches!(t.tok, Tok::Rel(_))) {
            let sides = rest.split(|t| t.tok == Tok::Eq);
            return Ok(MathValue::Named(vec![(n, chain(sides, depth)?)]));
        }
    }
    if let [Token {
        tok: Tok::Var(v), ..
    }, Token {
        tok: Tok::Word(w), ..
    }, rest @ ..] = toks
    {
        if w == "\\in" {
            // `x \in \{-1\} \cup [0, 7)`: a union is a range too.
            let range = match union(rest)? {
                Some(u) => u,
                None => element(rest, depth + 1)?,
            };
            // `x \in \{1, 2\}`: x's values, as `x = 1, x = 2` says them.
            if let MathValue::Set(points) = range {
                // `x \in \emptyset`: no value at all.
                if points.is_empty() {
                    return Ok(MathValue::Set(points));
                }
                return Ok(MathValue::Named(
                    points.into_iter().map(|p| (v.clone(), p)).collect(),
                ));
            }
            return match range.as_region() {
                Some(r) => Ok(MathValue::Region(Region::of(Some(v.clone()), r.pieces))),
                None => Err(MathError::Syntax("`\\in` needs an interval".into())),
            };
        }
    }
    if top_level(toks).any(|t| matches!(t.tok, Tok::Rel(_))) {
        return relation(toks, depth);
    }
    let sides: Vec<&[Token]> = toks.split(|t| t.tok == Tok::Eq).collect();
    if sides.len() == 1 {
        return element(toks, depth + 1);
    }
    // `f(x) = 1`: the left side is the asked quantity, a single application.
    if let [lhs, rhs] = sides.as_slice() {
        if let Ok(l) = parse_tokens(lhs) {
            // Not a built-in function: `\sin x = 2` is an equation to solve.
            let named = |a: &&super::symbolic::Atom| {
                a.split_once('(')
                    .is_some_and(|(head, _)| !super::symbolic::is_builtin_function(head))
            };
            if let Some(a) = l.as_atom().filter(named) {
                let v = element(rhs, depth + 1)?;
                if !v.as_sym().is_some_and(|s| s.mentions(a)) {
                    return Ok(MathValue::Named(vec![(a.to_string(), v)]));
                }
            }
        }
    }
    // `(x, y) = (4, -1/2)`.
    if let [lhs, rhs] = sides.as_slice() {
        let Some(names) = tuple_names(lhs) else {
            return equation(sides, depth);
        };
        if names
            .iter()
            .enumerate()
            .any(|(i, n)| names[..i].contains(n))
        {
            return Err(MathError::Syntax("a name is given two values".into()));
        }
        if let MathValue::Tuple(values) = element(rhs, depth + 1)? {
            if values.len() == names.len() {
                return Ok(MathValue::Named(names.into_iter().zip(values).collect()));
            }
        }
        return Err(MathError::Syntax(
            "named tuple and values differ in length".into(),
        ));
    }
    equation(sides, depth)
}

/// An equation `12 + 35 = 47` between constants: its last side is the answer.
fn equation(sides: Vec<&[Token]>, depth: usize) -> Result<MathValue, MathError> {
    // `3x + 2y = 6`: an equation with unknowns is a relation, not a checked identity.
    if let [a, b] = sides.as_slice() {
        let (l, r) = (element(a, depth + 1)?, element(b, depth + 1)?);
        if let (Some(l), Some(r)) = (l.as_sym(), r.as_sym()) {
            if !l.is_constant() || !r.is_constant() {
                return Ok(MathValue::Relation(Relation::new(&l, None, &r)?));
            }
        }
    }
    chain(sides, depth)
}

/// Checks that `approx` is one decimal literal within a unit of its last place of `value`'s
/// rational value (`1/3` and `0.33`, `2/3` and `0.66` or `0.67`; not `11` and `12`).
fn rounds_to(value: &MathValue, approx: &[Token]) -> Result<(), MathError> {
    let refuse = |why: &str| Err(MathError::Syntax(format!("an approximation that {why}")));
    let exact = match value {
        MathValue::Named(pairs) if pairs.len() == 1 => pairs[0].1.as_sym(),
        v => v.as_sym(),
    }
    .and_then(|s| s.as_rational());
    let Some(exact) = exact else {
        return refuse("approximates no rational value");
    };
    let literal = match approx {
        [Token {
            tok: Tok::Num { value, .. },
            ..
        }] => value.clone(),
        [Token {
            tok: Tok::Minus, ..
        }, Token {
            tok: Tok::Num { value, .. },
            ..
        }] => -value.clone(),
        _ => return refuse("is not one decimal number"),
    };
    // The unit of the literal's last place: the least 10^-d that makes it whole.
    let ten = BigRational::from_integer(10.into());
    let mut unit = BigRational::from_integer(1.into());
    while !(&literal / &unit).is_integer() {
        if unit.denom().bits() > 128 {
            return refuse("has too many decimals");
        }
        unit /= &ten;
    }
    if (&exact - &literal).abs() < unit {
        Ok(())
    } else {
        refuse(&format!("does not round the value ({literal} for {exact})"))
    }
}

/// The value of `a = b = …`: its last side, as graders read a worked chain (`x = 5 + 5 + 1 =
/// 11` answers 11, even with a slip on the way: the answer is graded, not the working). Every
/// side must still parse, so text that is not mathematics is no answer.
fn chain<'a>(
    sides: impl IntoIterator<Item = &'a [Token]>,
    depth: usize,
) -> Result<MathValue, MathError> {
    let mut last: Option<MathValue> = None;
    for side in sides {
        last = Some(element(side, depth + 1)?);
    }
    last.ok_or(MathError::Empty)
}

/// Whether every equation chain in an answer holds: in each comma-separated part, the sides
/// after a leading name (`x =`, `AB =`, `(x, y) =`) are pairwise equal values. Two sides with
/// unknowns (`3x + 2y = 6`) are a relation, not a chain, and hold. A side that does not parse
/// does not hold. For the reward's answer-line mode, where `x = 2 + 2 = 3` and `x = \pi = 6`
/// are refused although graders read a chain by its last side.
pub(crate) fn chains_hold(text: &str) -> bool {
    if !text.contains('=') {
        return true;
    }
    let Ok(toks) = super::lexer::lex(text) else {
        return true; // it will not parse as an answer either
    };
    let Ok(parts) = split_commas(&toks) else {
        return true;
    };
    parts.iter().all(|part| {
        let sides: Vec<&[Token]> = split_top(part, |t| t.tok == Tok::Eq)
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        let named = |side: &[Token]| {
            matches!(
                side,
                [Token {
                    tok: Tok::Var(_) | Tok::Word(_),
                    ..
                }]
            ) || tuple_names(side).is_some()
        };
        let values = match sides.as_slice() {
            [first, rest @ ..] if named(first) => rest,
            all => all,
        };
        if values.len() < 2 {
            return true;
        }
        let Ok(parsed) = values
            .iter()
            .map(|v| element(v, 1))
            .collect::<Result<Vec<_>, _>>()
        else {
            return false;
        };
        let constant = |v: &MathValue| v.as_sym().is_none_or(|s| s.is_constant());
        if values.len() == sides.len() && values.len() == 2 && !parsed.iter().all(constant) {
            return true;
        }
        parsed.windows(2).all(|w| w[0].equivalent(&w[1]))
    })
}

/// `(x, y)`: the names, if the tokens are exactly a parenthesised list of variables.
fn tuple_names(toks: &[Token]) -> Option<Vec<String>> {
    let inner = match toks {
        [Token {
            tok: Tok::LParen, ..
        }, inner @ .., Token {
            tok: Tok::RParen, ..
        }] => inner,
        _ => return None,
    };
    let mut names = Vec::new();
    for (i, t) in inner.iter().enumerate() {
        match (&t.tok, i % 2) {
            (Tok::Var(n), 0) => names.push(n.clone()),
            (Tok::Comma, 1) => {}
            _ => return None,
        }
    }
    (names.len() > 1).then_some(names)
}

//! From answer text to a [`MathValue`]: numbers, tuples, sets and named values, with units.
//!
//! Units: trailing words are dropped only when they are clearly a unit, not part of the
//! answer — at most two words (`10 apples`, `5 square meters`, `10\text{ cm}`, `90°`) none of
//! which is a connective or qualifier (`4 or 5`, `5 thousand`, `about 3`, `50% of 20` stay
//! unparseable, so such answers are wrong). `percent` is read as `%`.
//! An answer line that is a true equation (`12 + 35 = 47`) means its last side; a false one
//! is an error.

use num_rational::BigRational;

use super::eval::{describe, evaluate};
use super::lexer::{lex, Tok, Token};
use super::value::MathValue;
use super::{MathError, MAX_DEPTH, MAX_ELEMENTS};

/// Words that change or qualify a number, so they are never stripped as units.
const NOT_UNITS: &[&str] = &[
    "or",
    "and",
    "to",
    "plus",
    "minus",
    "times",
    "over",
    "divided",
    "by",
    "not",
    "than",
    "less",
    "more",
    "but",
    "maybe",
    "either",
    "nor",
    "if",
    "is",
    "are",
    "was",
    "of",
    "about",
    "approximately",
    "approx",
    "roughly",
    "around",
    "nearly",
    "almost",
    "perhaps",
    "probably",
    "wrong",
    "incorrect",
    "no",
    "hundred",
    "hundreds",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "billions",
    "trillion",
    "half",
    "halves",
    "quarter",
    "quarters",
    "third",
    "thirds",
    "dozen",
    "dozens",
    "squared",
    "cubed",
    "point",
    "negative",
    "positive",
    "except",
    "with",
    "without",
    "from",
    "between",
    "at",
    "least",
    "most",
    "per",
    "each",
    "every",
    "in",
    "on",
    "the",
    "a",
    "an",
    "all",
    "none",
    "any",
    "some",
    "answer",
    "equals",
    "equal",
    "x",
    "y",
    "z",
    "e",
    "i",
];

/// Parses an answer (a number, tuple, set or named values) from answer text.
pub fn parse_answer(text: &str) -> Result<MathValue, MathError> {
    let mut toks = lex(text)?;
    strip_trailing(&mut toks);
    join_named(&mut toks);
    if toks.is_empty() {
        return Err(MathError::Empty);
    }
    let parts = split_commas(&toks)?;
    if parts.len() == 1 {
        return single(&toks, 0);
    }
    let mut named = Vec::new();
    let mut plain = Vec::new();
    for p in &parts {
        match name_of(p) {
            Some((n, rest)) => named.push((n, element(rest, 1)?)),
            None => plain.push(element(p, 1)?),
        }
    }
    match (named.is_empty(), plain.is_empty()) {
        (true, _) => Ok(MathValue::Tuple(plain)),
        (false, true) => Ok(MathValue::Named(named)),
        (false, false) => Err(MathError::Syntax(
            "some values are named and some are not".into(),
        )),
    }
}

/// Drops sentence punctuation and unit words after the answer.
fn strip_trailing(toks: &mut Vec<Token>) {
    const ENDS: [&str; 4] = [".", ";", "!", "°"];
    while let Some(Token {
        tok: Tok::Other(s),
        space_before,
        ..
    }) = toks.last()
    {
        // `5!` and `(n+1)!` are factorials, not exclamations: a `!` touching a value stays.
        let touches_value = !space_before
            && s == "!"
            && toks.len() >= 2
            && match &toks[toks.len() - 2].tok {
                Tok::Num { .. } | Tok::RParen | Tok::RBracket | Tok::RBrace | Tok::Var(_) => true,
                Tok::Other(prev) => prev == "!",
                _ => false,
            };
        if !ENDS.contains(&s.as_str()) || touches_value {
            break;
        }
        toks.pop();
    }
    // `90^\circ`.
    let n = toks.len();
    if n >= 2
        && matches!(&toks[n - 1].tok, Tok::Word(w) if w == "\\circ")
        && toks[n - 2].tok == Tok::Caret
    {
        toks.truncate(n - 2);
    }
    let mut words = 0;
    while let Some(last) = toks.last() {
        let unit_words: Vec<&str> = match &last.tok {
            Tok::Word(w) if !w.starts_with('\\') => vec![w.as_str()],
            Tok::Text(t) => t.split_whitespace().collect(),
            _ => break,
        };
        if unit_words.iter().any(|w| w.eq_ignore_ascii_case("percent")) && unit_words.len() == 1 {
            if let Some(t) = toks.last_mut() {
                t.tok = Tok::Percent;
            }
            break;
        }
        words += unit_words.len();
        let is_unit = unit_words.iter().all(|w| {
            w.chars()
                .all(|c| c.is_ascii_alphabetic() || c == '.' || c == '^' || c.is_ascii_digit())
                && !NOT_UNITS.contains(&w.to_ascii_lowercase().as_str())
        });
        // A unit must follow a value, with nothing left dangling before it.
        let before = toks
            .len()
            .checked_sub(2)
            .and_then(|k| toks.get(k))
            .map(|t| &t.tok);
        let after_value = matches!(
            before,
            Some(
                Tok::Num { .. }
                    | Tok::RParen
                    | Tok::RBrace
                    | Tok::Percent
                    | Tok::Word(_)
                    | Tok::Text(_)
            )
        );
        if !is_unit || words > 2 || !after_value {
            break;
        }
        toks.pop();
    }
}

/// `x = 4 and y = -1/2`, `x = 4; y = 2`: an `and` or `;` right before another `name =`
/// separates named values like a comma. (`4 and 5` stays unparseable.)
fn join_named(toks: &mut [Token]) {
    for i in 0..toks.len().saturating_sub(2) {
        let sep = match &toks[i].tok {
            Tok::Word(w) => w.eq_ignore_ascii_case("and"),
            Tok::Other(s) => s == ";",
            _ => false,
        };
        if sep && matches!(toks[i + 1].tok, Tok::Var(_)) && toks[i + 2].tok == Tok::Eq {
            toks[i].tok = Tok::Comma;
        }
    }
}

/// Splits at top-level commas; brackets of every kind nest.
fn split_commas(toks: &[Token]) -> Result<Vec<&[Token]>, MathError> {
    let mut parts = Vec::new();
    let mut depth: i64 = 0;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace | Tok::SetOpen => depth += 1,
            Tok::RParen | Tok::RBracket | Tok::RBrace | Tok::SetClose => depth -= 1,
            Tok::Comma if depth == 0 => {
                parts.push(&toks[start..i]);
                start = i + 1;
                if parts.len() > MAX_ELEMENTS {
                    return Err(MathError::TooManyElements { max: MAX_ELEMENTS });
                }
            }
            _ => {}
        }
    }
    parts.push(&toks[start..]);
    Ok(parts)
}

/// `x = rest` with a one-letter name: the name and the rest.
fn name_of(part: &[Token]) -> Option<(String, &[Token])> {
    match part {
        [Token {
            tok: Tok::Var(n), ..
        }, Token { tok: Tok::Eq, .. }, rest @ ..]
            if !rest.is_empty() =>
        {
            Some((n.clone(), rest))
        }
        _ => None,
    }
}

/// The whole answer when it has no top-level comma: maybe named, maybe an equation.
fn single(toks: &[Token], depth: usize) -> Result<MathValue, MathError> {
    if let Some((n, rest)) = name_of(toks) {
        if !rest.iter().any(|t| t.tok == Tok::Eq) {
            return Ok(MathValue::Named(vec![(n, element(rest, depth + 1)?)]));
        }
    }
    let sides: Vec<&[Token]> = toks.split(|t| t.tok == Tok::Eq).collect();
    if sides.len() == 1 {
        return element(toks, depth + 1);
    }
    // `(x, y) = (4, -1/2)`.
    if let [lhs, rhs] = sides.as_slice() {
        let Some(names) = tuple_names(lhs) else {
            return equation(sides, depth);
        };
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

/// An equation `12 + 35 = 47`: every side must have the same value, which is the answer.
fn equation(sides: Vec<&[Token]>, depth: usize) -> Result<MathValue, MathError> {
    let mut last: Option<MathValue> = None;
    for side in sides {
        let v = element(side, depth + 1)?;
        if let Some(prev) = &last {
            if !prev.equivalent(&v) {
                return Err(MathError::Syntax(format!(
                    "the answer is an equation that does not hold: {prev} ≠ {v}"
                )));
            }
        }
        last = Some(v);
    }
    last.ok_or(MathError::Empty)
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

/// One value: a tuple `(a, b)`, a set `\{a, b\}`, or a number.
fn element(toks: &[Token], depth: usize) -> Result<MathValue, MathError> {
    if depth > MAX_DEPTH {
        return Err(MathError::TooDeep { max: MAX_DEPTH });
    }
    let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
        return Err(MathError::Empty);
    };
    let wrapped = toks.len() >= 2 && matching_close(toks) == Some(toks.len() - 1);
    if wrapped {
        let inner = &toks[1..toks.len() - 1];
        let is_set = matches!(first.tok, Tok::SetOpen) || matches!(first.tok, Tok::LBrace);
        let parts = if inner.is_empty() {
            Vec::new()
        } else {
            split_commas(inner)?
        };
        if is_set && (matches!(first.tok, Tok::SetOpen) || parts.len() > 1) {
            let items = parts
                .iter()
                .map(|p| element(p, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(MathValue::Set(items));
        }
        if matches!(first.tok, Tok::LParen | Tok::LBracket) && parts.len() > 1 {
            let items = parts
                .iter()
                .map(|p| element(p, depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            // `[1, 2]` (a closed interval, or a list) is not the pair or open interval `(1, 2)`.
            return Ok(if first.tok == Tok::LBracket {
                MathValue::Bracketed(items)
            } else {
                MathValue::Tuple(items)
            });
        }
    }
    if let Some(t) = toks
        .iter()
        .find(|t| matches!(t.tok, Tok::Comma | Tok::Eq | Tok::SetOpen | Tok::SetClose))
    {
        return Err(MathError::Syntax(format!(
            "unexpected {}",
            describe(&t.tok)
        )));
    }
    let value: BigRational = evaluate(toks, &[])?;
    Ok(MathValue::Number {
        value,
        percent: last.tok == Tok::Percent,
    })
}

/// Index of the bracket closing `toks[0]`, if `toks[0]` opens one.
fn matching_close(toks: &[Token]) -> Option<usize> {
    let close = match toks.first()?.tok {
        Tok::LParen => Tok::RParen,
        Tok::LBracket => Tok::RBracket,
        Tok::LBrace => Tok::RBrace,
        Tok::SetOpen => Tok::SetClose,
        _ => return None,
    };
    let mut depth = 0i64;
    for (i, t) in toks.iter().enumerate() {
        match t.tok {
            Tok::LParen | Tok::LBracket | Tok::LBrace | Tok::SetOpen => depth += 1,
            Tok::RParen | Tok::RBracket | Tok::RBrace | Tok::SetClose => {
                depth -= 1;
                if depth == 0 {
                    return (t.tok == close).then_some(i);
                }
            }
            _ => {}
        }
    }
    None
}

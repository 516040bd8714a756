//! From answer text to a [`MathValue`]: numbers, tuples, sets and named values, with units.
//!
//! Units: trailing words are dropped only when they are clearly a unit, not part of the
//! answer — at most two words (`10 apples`, `5 square meters`, `10\text{ cm}`, `90°`) none of
//! which is a connective or qualifier (`4 or 5`, `5 thousand`, `about 3`, `50% of 20` stay
//! unparseable, so such answers are wrong). `percent` is read as `%`.
//! An answer line that is a true equation (`12 + 35 = 47`) means its last side; a false one
//! is an error.

use num_rational::BigRational;

use super::brackets::{matching_close, split_commas, split_top};
use super::cursor::describe;
use super::eval::evaluate;
use super::lexer::{lex, Tok, Token};
use super::shapes::{interval, matrix, union};
use super::statement::{name_of, single};
use super::symbolic::{domain, parse_tokens};
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

/// Whether `w` can be a unit after a value: a known short unit (`cm`, `kg`), or a word of four
/// or more letters (`apples`, `meters`) that neither qualifies nor changes the value (`never`,
/// `possibly`, `thousand`, `squared`). Two- and three-letter words are otherwise products of
/// variables (`2ab`), and single letters are variables.
fn unit_word(w: &str) -> bool {
    let lower = w.trim_end_matches('.').to_ascii_lowercase();
    super::commit::SHORT_UNITS.contains(&lower.as_str())
        || (super::commit::unit_word(w)
            && !NOT_UNITS.contains(&lower.as_str())
            && !super::commit::NUMBER_WORDS.contains(&lower.as_str()))
}

/// Parses an answer (a number, tuple, set or named values) from answer text.
pub fn parse_answer(text: &str) -> Result<MathValue, MathError> {
    parse_answer_with_unit(text).map(|(v, _)| v)
}

/// [`parse_answer`], also returning the unit words stripped from its end (`cm` of `10\text{ cm}`).
/// An application that may be defined nowhere and vanished from the value is refused (see
/// [`domain`]).
pub(crate) fn parse_answer_with_unit(text: &str) -> Result<(MathValue, Option<String>), MathError> {
    let mut toks = lex(text)?;
    // `\$2` is two dollars: the sign is read as layout, but it is the answer's unit, so that
    // `2 \text{ cents}` does not match it.
    let unit = strip_trailing(&mut toks).or_else(|| text.contains("\\$").then(|| "dollar".into()));
    let (value, notes) = domain::with_ledger(|| parse_tokens_answer(toks));
    let value = value?;
    if !notes.is_empty() {
        // `x = 5, y = 3 + 0 \cdot \ln(-x)`: the answer's own values of its names count.
        let fixed = match &value {
            MathValue::Named(pairs) => pairs
                .iter()
                .filter_map(|(name, v)| match v {
                    MathValue::Number { value, .. } => Some((name.clone(), value.clone())),
                    _ => None,
                })
                .collect(),
            _ => Default::default(),
        };
        domain::check_with(&notes, &value.to_string(), &fixed)?;
    }
    Ok((value, unit))
}

fn parse_tokens_answer(mut toks: Vec<Token>) -> Result<MathValue, MathError> {
    if toks.is_empty() {
        return Err(MathError::Empty);
    }
    // Before `or` becomes a comma: `x < 1 or x > 2` is a union.
    if let Some(region) = union(&toks)? {
        return Ok(region);
    }
    if let Some(systems) = solutions_of_a_system(&toks)? {
        return Ok(systems);
    }
    let alternatives = join_named(&mut toks);
    let parts = split_commas(&toks)?;
    if parts.len() == 1 {
        return single(&toks, 0);
    }
    let mut named = Vec::new();
    let mut plain = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        match name_of(p) {
            Some((n, rest)) => named.push((n, element(rest, 1)?)),
            None if i == 0 => match single(p, 1)? {
                // `(x, y) = (5, 8), (8, 5)`: the names cover the pairs after them.
                MathValue::Named(pairs) if pairs.len() > 1 => {
                    return named_tuples(pairs, &parts[1..]);
                }
                // `f(x) = 1, 2`: a named value, never a plain one.
                MathValue::Named(pairs) => named.extend(pairs),
                v => plain.push(v),
            },
            None => plain.push(element(p, 1)?),
        }
    }
    // `a = 4, -8, -10`: one name, then more values of it (`a = 4, a = -8, a = -10`).
    if let [(n, _)] = named.as_slice() {
        if name_of(parts[0]).is_some() && !alternatives {
            let n = n.clone();
            named.extend(plain.drain(..).map(|v| (n.clone(), v)));
        }
    }
    // `x = 1 or y = 2` is neither a pair nor a set of one variable's values.
    let repeated = named
        .iter()
        .all(|(n, _)| named.first().is_some_and(|(m, _)| m == n));
    if alternatives && !named.is_empty() && !repeated {
        return Err(MathError::Syntax(
            "alternatives (`or`) between different variables".into(),
        ));
    }
    match (named.is_empty(), plain.is_empty()) {
        // `1 or 2` states alternatives: a set, never an ordered pair.
        (true, _) if alternatives => Ok(MathValue::Set(plain)),
        (true, _) => Ok(MathValue::List(plain)),
        (false, true) => Ok(MathValue::Named(named)),
        (false, false) => Err(MathError::Syntax(
            "some values are named and some are not".into(),
        )),
    }
}

/// `p = 5, q = 2; p = 7, q = 2`: solutions of a system, one per `;`-separated group that names
/// two or more distinct variables, as a list of named tuples. `None` when the answer is not so.
fn solutions_of_a_system(toks: &[Token]) -> Result<Option<MathValue>, MathError> {
    let semicolon = |t: &Token| matches!(&t.tok, Tok::Other(s) if s == ";");
    let groups = split_top(toks, semicolon);
    if groups.len() < 2 || groups.len() > MAX_ELEMENTS {
        return Ok(None);
    }
    let mut solutions = Vec::with_capacity(groups.len());
    for (group, _) in groups {
        let parts = split_commas(group)?;
        let mut pairs: Vec<(String, MathValue)> = Vec::with_capacity(parts.len());
        for p in parts {
            let Some((n, rest)) = name_of(p) else {
                return Ok(None);
            };
            if pairs.iter().any(|(m, _)| *m == n) {
                return Ok(None);
            }
            pairs.push((n, element(rest, 1)?));
        }
        if pairs.len() < 2 {
            return Ok(None);
        }
        // Every solution names the same unknowns in the same order (`x=1, y=2; a=3, b=4` is
        // not two solutions of one system).
        if let Some(MathValue::Named(first)) = solutions.first() {
            let same = first.len() == pairs.len()
                && first.iter().zip(&pairs).all(|((m, _), (n, _))| m == n);
            if !same {
                return Err(MathError::Syntax(
                    "solutions of a system that name different unknowns".into(),
                ));
            }
        }
        solutions.push(MathValue::Named(pairs));
    }
    Ok(Some(MathValue::List(solutions)))
}

/// `(x, y) = (5, 8), (8, 5)`: the first solution named, the rest tuples of the same length,
/// as a list of named tuples.
fn named_tuples(
    first: Vec<(String, MathValue)>,
    rest: &[&[Token]],
) -> Result<MathValue, MathError> {
    let names: Vec<String> = first.iter().map(|(n, _)| n.clone()).collect();
    let mut solutions = vec![MathValue::Named(first)];
    for p in rest {
        match element(p, 1)? {
            MathValue::Tuple(values) if values.len() == names.len() => {
                solutions.push(MathValue::Named(
                    names.iter().cloned().zip(values).collect(),
                ));
            }
            _ => {
                return Err(MathError::Syntax(
                    "named pairs followed by something that is not a pair".into(),
                ))
            }
        }
    }
    Ok(MathValue::List(solutions))
}

/// Drops sentence punctuation and unit words after the answer; returns the unit words.
fn strip_trailing(toks: &mut Vec<Token>) -> Option<String> {
    const ENDS: [&str; 4] = [".", ";", "!", "°"];
    // A degree sign is a unit too, so that `30^\circ` is not `30` radians; but not after a
    // function or π, where it changes the value (`\sin 30^\circ` is not `\sin 30`, `\pi^\circ`
    // is not π): such an answer keeps its sign and does not parse.
    let angle_inside = toks.iter().any(|t| {
        matches!(&t.tok, Tok::Word(w) if w == "\\pi"
            || super::symbolic::is_builtin_function(w.trim_start_matches('\\')))
    });
    let mut degrees = false;
    while let Some(Token {
        tok: Tok::Other(s), ..
    }) = toks.last()
    {
        // `5!`, `(n+1)!`, `5 !` and `5\!!` are factorials, not exclamations: a `!` after a
        // value stays (and the answer does not parse unless it is a factorial).
        let touches_value = s == "!"
            && toks.len() >= 2
            && match &toks[toks.len() - 2].tok {
                Tok::Num { .. } | Tok::RParen | Tok::RBracket | Tok::RBrace | Tok::Var(_) => true,
                Tok::Other(prev) => prev == "!",
                _ => false,
            };
        // `0.333...` is not `0.333`: an ellipsis stays, and the answer does not parse.
        let ellipsis = s == "."
            && toks.len() >= 2
            && matches!(&toks[toks.len() - 2].tok, Tok::Other(p) if p == ".");
        if !ENDS.contains(&s.as_str()) || touches_value || ellipsis || (s == "°" && angle_inside) {
            break;
        }
        if s == "°" {
            degrees = true;
        }
        toks.pop();
    }
    // `90^\circ` and `90^{\circ}`.
    let n = toks.len();
    let circ = |t: &Token| matches!(&t.tok, Tok::Word(w) if w == "\\circ");
    if angle_inside {
        // Left in place (see above).
    } else if n >= 2 && circ(&toks[n - 1]) && toks[n - 2].tok == Tok::Caret {
        toks.truncate(n - 2);
        degrees = true;
    } else if n >= 4
        && toks[n - 1].tok == Tok::RBrace
        && circ(&toks[n - 2])
        && toks[n - 3].tok == Tok::LBrace
        && toks[n - 4].tok == Tok::Caret
    {
        toks.truncate(n - 4);
        degrees = true;
    }
    if degrees {
        return Some("degree".into());
    }
    let mut words = 0;
    let mut unit: Vec<String> = Vec::new();
    while let Some(last) = toks.last() {
        if let Tok::Word(w) = &last.tok {
            if !last.space_before && !super::commit::SHORT_UNITS.contains(&w.as_str()) {
                break;
            }
        }
        let unit_words: Vec<&str> = match &last.tok {
            Tok::Word(w) if !w.starts_with('\\') => vec![w.as_str()],
            Tok::Text(t) => t.split_whitespace().collect(),
            _ => break,
        };
        let percent = |w: &&str| {
            ["percent", "percentage", "pct"]
                .iter()
                .any(|p| w.eq_ignore_ascii_case(p))
        };
        // `28% percentage` is not 0.28%: one percent sign.
        let after_percent = toks
            .len()
            .checked_sub(2)
            .and_then(|k| toks.get(k))
            .is_some_and(|t| t.tok == Tok::Percent);
        if unit_words.iter().any(percent) && unit_words.len() == 1 && !after_percent {
            if let Some(t) = toks.last_mut() {
                t.tok = Tok::Percent;
            }
            break;
        }
        words += unit_words.len();
        let is_unit = unit_words.iter().all(|w| unit_word(w));
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
        unit.splice(0..0, unit_words.iter().map(|w| w.to_string()));
        toks.pop();
    }
    (!unit.is_empty()).then(|| unit.join(" "))
}

/// `x = 4 and y = -1/2`, `x = 4; y = 2`, `1 and 2`, `(11, 7) or (7, 11)`: an `and` or `or`
/// between two values outside brackets, or a `;` before another `name =`, separates values
/// like a comma. Inside brackets it does not: `(1 \text{ or } 2)` is not the pair `(1, 2)`.
/// Returns whether an `or` was one of them.
fn join_named(toks: &mut [Token]) -> bool {
    let mut alternatives = false;
    let mut depth: i64 = 0;
    let depths: Vec<i64> = toks
        .iter()
        .map(|t| {
            depth += t.tok.nesting();
            depth
        })
        .collect();
    for i in 1..toks.len().saturating_sub(1) {
        if depths[i] != 0 {
            continue;
        }
        let (word, semicolon) = match &toks[i].tok {
            Tok::Word(w) | Tok::Text(w) => (
                w.eq_ignore_ascii_case("and") || w.eq_ignore_ascii_case("or"),
                false,
            ),
            Tok::Other(s) => (false, s == ";"),
            _ => (false, false),
        };
        let named_next = matches!(toks[i + 1].tok, Tok::Var(_))
            && toks.get(i + 2).is_some_and(|t| t.tok == Tok::Eq);
        let value_before = matches!(
            toks[i - 1].tok,
            Tok::Num { .. }
                | Tok::Var(_)
                | Tok::RParen
                | Tok::RBracket
                | Tok::RBrace
                | Tok::SetClose
                | Tok::MatrixClose
        );
        let value_after = matches!(
            toks[i + 1].tok,
            Tok::Num { .. }
                | Tok::Var(_)
                | Tok::Minus
                | Tok::LParen
                | Tok::LBracket
                | Tok::SetOpen
                | Tok::MatrixOpen
                | Tok::Frac
                | Tok::Sqrt
        );
        if (word && (named_next || (value_before && value_after))) || (semicolon && named_next) {
            alternatives |=
                matches!(&toks[i].tok, Tok::Word(w) | Tok::Text(w) if w.eq_ignore_ascii_case("or"));
            toks[i].tok = Tok::Comma;
        }
    }
    alternatives
}

/// One value: a tuple `(a, b)`, a set `\{a, b\}`, or a number.
pub(super) fn element(toks: &[Token], depth: usize) -> Result<MathValue, MathError> {
    if depth > MAX_DEPTH {
        return Err(MathError::TooDeep { max: MAX_DEPTH });
    }
    let (Some(first), Some(_)) = (toks.first(), toks.last()) else {
        return Err(MathError::Empty);
    };
    if let Some(v) = interval(toks, depth)? {
        return Ok(v);
    }
    if first.tok == Tok::MatrixOpen && matching_close(toks) == Some(toks.len() - 1) {
        return matrix(&toks[1..toks.len() - 1], depth);
    }
    if toks.iter().filter(|t| t.tok == Tok::MatrixOpen).count() >= 2 {
        if let Some(v) = super::matrix_algebra::matrix_expression(toks, depth)? {
            return Ok(v);
        }
    }
    // `\left[\begin{array}…\end{array}\right]`, `(\begin{pmatrix}…\end{pmatrix})`.
    if matches!(first.tok, Tok::LParen | Tok::LBracket)
        && matching_close(toks) == Some(toks.len() - 1)
        && toks.len() > 2
        && toks[1].tok == Tok::MatrixOpen
        && matching_close(&toks[1..toks.len() - 1]) == Some(toks.len() - 3)
    {
        return element(&toks[1..toks.len() - 1], depth + 1);
    }
    if first.tok == Tok::EmptySet && toks.len() == 1 {
        return Ok(MathValue::Set(Vec::new()));
    }
    if let [Token {
        tok: Tok::Numeral { digits, base },
        ..
    }] = toks
    {
        return Ok(MathValue::Numeral {
            digits: digits.clone(),
            base: *base,
        });
    }
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
    let value: BigRational = match evaluate(toks, &[]) {
        Ok(v) => v,
        Err(
            e @ (MathError::NotRational(_) | MathError::UnknownSymbol(_) | MathError::Syntax(_)),
        ) => match parse_tokens(toks) {
            Ok(s) => match s.as_rational() {
                Some(q) => q,
                None => return Ok(MathValue::Expr(s)),
            },
            Err(se) if se.is_limit() || matches!(se, MathError::Undefined(_)) => return Err(se),
            Err(_) => return Err(e),
        },
        Err(e) => return Err(e),
    };
    Ok(MathValue::Number {
        value,
        // A `%` anywhere (`50% + 0`) means the value is already divided, never an omitted `%`.
        percent: toks.iter().any(|t| t.tok == Tok::Percent),
    })
}

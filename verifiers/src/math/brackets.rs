//! Runs of tokens split at their top-level separators, and the brackets that close them:
//! the helpers every reader of a structured answer (lists, intervals, sets, statements,
//! matrices) shares.

use super::lexer::{Tok, Token};
use super::{MathError, MAX_ELEMENTS};

/// Splits `toks` at the depth-0 tokens for which `sep` holds (brackets of every kind nest):
/// each part with the separator that ends it (`None` for the last).
pub(super) fn split_top(
    toks: &[Token],
    sep: impl Fn(&Token) -> bool,
) -> Vec<(&[Token], Option<&Token>)> {
    let mut parts = Vec::new();
    let mut depth: i64 = 0;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        depth += t.tok.nesting();
        if depth == 0 && t.tok.nesting() == 0 && sep(t) {
            parts.push((&toks[start..i], Some(t)));
            start = i + 1;
        }
    }
    parts.push((&toks[start..], None));
    parts
}

/// Splits at top-level commas.
pub(super) fn split_commas(toks: &[Token]) -> Result<Vec<&[Token]>, MathError> {
    let parts = split_top(toks, |t| t.tok == Tok::Comma);
    if parts.len() > MAX_ELEMENTS + 1 {
        return Err(MathError::TooManyElements { max: MAX_ELEMENTS });
    }
    Ok(parts.into_iter().map(|(p, _)| p).collect())
}

/// Index of the bracket closing `toks[0]`, whatever its kind, if `toks[0]` opens one.
pub(super) fn close_of(toks: &[Token]) -> Option<usize> {
    if toks.first()?.tok.nesting() != 1 {
        return None;
    }
    let mut depth = 0i64;
    toks.iter().position(|t| {
        depth += t.tok.nesting();
        depth == 0
    })
}

/// Index of the bracket closing `toks[0]`, if `toks[0]` opens one and the kinds match.
pub(super) fn matching_close(toks: &[Token]) -> Option<usize> {
    let close = match toks.first()?.tok {
        Tok::LParen => Tok::RParen,
        Tok::LBracket => Tok::RBracket,
        Tok::LBrace => Tok::RBrace,
        Tok::SetOpen => Tok::SetClose,
        Tok::MatrixOpen => Tok::MatrixClose,
        _ => return None,
    };
    close_of(toks).filter(|&i| toks[i].tok == close)
}

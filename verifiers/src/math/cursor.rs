//! A cursor over tokens, shared by the exact evaluator ([`super::eval`]) and the symbolic
//! parser ([`super::symbolic`]): lookahead, expected tokens, the nesting bound and the check
//! that a parse used every token. Each parser derefs to its cursor.

use super::exact;
use super::lexer::{Tok, Token};
use super::{MathError, MAX_DEPTH};

/// `impl Deref<Target = Cursor>` (and `DerefMut`) for a parser whose field `c` is its cursor.
macro_rules! deref_to_cursor {
    ($parser:ident) => {
        impl<'a> std::ops::Deref for $parser<'a> {
            type Target = $crate::math::cursor::Cursor<'a>;
            fn deref(&self) -> &Self::Target {
                &self.c
            }
        }

        impl std::ops::DerefMut for $parser<'_> {
            fn deref_mut(&mut self) -> &mut Self::Target {
                &mut self.c
            }
        }
    };
}
pub(crate) use deref_to_cursor;

pub(crate) struct Cursor<'a> {
    pub toks: &'a [Token],
    pub pos: usize,
    depth: usize,
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `toks`; nothing to parse is [`MathError::Empty`].
    pub fn new(toks: &'a [Token]) -> Result<Self, MathError> {
        if toks.is_empty() {
            return Err(MathError::Empty);
        }
        Ok(Cursor {
            toks,
            pos: 0,
            depth: 0,
        })
    }

    pub fn peek(&self) -> Option<&'a Tok> {
        self.toks.get(self.pos).map(|t| &t.tok)
    }

    pub fn peek_at(&self, k: usize) -> Option<&'a Token> {
        self.toks.get(self.pos + k)
    }

    /// The next token, consumed.
    pub fn next_token(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.pos)?;
        self.pos += 1;
        Some(t)
    }

    pub fn eat(&mut self, want: &Tok) -> bool {
        if self.peek() == Some(want) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, want: &Tok) -> Result<(), MathError> {
        if self.eat(want) {
            return Ok(());
        }
        let found = self.peek().map_or_else(|| "the end".to_string(), describe);
        Err(MathError::Syntax(format!(
            "expected {}, found {found}",
            describe(want)
        )))
    }

    /// One nesting level deeper, refusing past [`MAX_DEPTH`]; pair with [`Cursor::ascend`].
    pub fn descend(&mut self) -> Result<(), MathError> {
        if self.depth >= MAX_DEPTH {
            return Err(MathError::TooDeep { max: MAX_DEPTH });
        }
        self.depth += 1;
        Ok(())
    }

    pub fn ascend(&mut self) {
        self.depth -= 1;
    }

    /// Consumes a `!` touching the value just parsed: a factorial (never sentence punctuation:
    /// `5!` is 120). `n!!`, the double factorial, is refused rather than read as `(n!)!`.
    pub fn factorial_bang(&mut self) -> Result<bool, MathError> {
        let bang = |k: usize| matches!(self.peek_at(k), Some(Token { tok: Tok::Other(s), space_before: false, .. }) if s == "!");
        if !bang(0) {
            return Ok(false);
        }
        if bang(1) {
            return Err(MathError::Syntax(
                "double factorial `!!` is not supported".into(),
            ));
        }
        self.pos += 1;
        Ok(true)
    }

    /// Every token was used.
    pub fn finish(&self) -> Result<(), MathError> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(MathError::Syntax(format!("unexpected {}", describe(t)))),
        }
    }
}

/// A short human-readable name of a token, for error messages.
pub(crate) fn describe(t: &Tok) -> String {
    match t {
        Tok::Num { value, .. } => format!("number {}", exact::short(&value.to_string())),
        Tok::Var(s) | Tok::Word(s) => format!("`{s}`"),
        Tok::Text(s) => format!("text `{s}`"),
        Tok::Other(s) => format!("`{s}`"),
        other => format!("{other:?}").to_lowercase(),
    }
}

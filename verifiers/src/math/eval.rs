//! A recursive-descent evaluator over [`Token`]s: exact values, bounded depth and size.
//!
//! Grammar (lowest precedence first):
//! ```text
//! expr    := term (('+' | '-') term)*
//! term    := unary (('*' | '/') unary | implicit)*      implicit: 3x, 2(x+1), )(, 2\sqrt{4}
//! unary   := ('+' | '-') unary | power
//! power   := primary '!'* ('^' unary)? '%'*              right-associative, -2^2 = -4; `5!` = 120
//! primary := number | mixed | var | (expr) | [expr] | {expr} | \frac{expr}{expr}
//!          | \sqrt[n]{expr} | \sqrt primary
//! mixed   := int int '/' int  |  int \frac{int}{int}      (proper fractions: 1 1/2 = 3/2)
//! ```
//! Every recursion passes through `unary`, which counts depth against [`MAX_DEPTH`], so
//! 10,000 nested parentheses are an error, not a stack overflow. Each operation checks the
//! size bound of [`super::exact`] first. Two numbers side by side (`2 3`) are an error, not a
//! product: in a step that is a typo or prose, never arithmetic.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{ToPrimitive, Zero};

use super::cursor::{deref_to_cursor, describe, Cursor};
use super::exact;
use super::lexer::{Tok, Token};
use super::MathError;
#[cfg(doc)]
use super::MAX_DEPTH;

/// Evaluates the whole token slice as one expression; `vars` binds variable names.
pub(crate) fn evaluate(
    toks: &[Token],
    vars: &[(String, BigRational)],
) -> Result<BigRational, MathError> {
    let mut p = Parser {
        c: Cursor::new(toks)?,
        vars,
    };
    let v = p.expr()?;
    p.finish()?;
    Ok(v)
}

struct Parser<'a> {
    c: Cursor<'a>,
    vars: &'a [(String, BigRational)],
}

deref_to_cursor!(Parser);

impl Parser<'_> {
    fn expr(&mut self) -> Result<BigRational, MathError> {
        let mut acc = self.term()?;
        loop {
            if self.eat(&Tok::Plus) {
                acc = exact::add(&acc, &self.term()?)?;
            } else if self.eat(&Tok::Minus) {
                acc = exact::sub(&acc, &self.term()?)?;
            } else {
                return Ok(acc);
            }
        }
    }

    fn term(&mut self) -> Result<BigRational, MathError> {
        let mut acc = self.unary()?;
        loop {
            if self.eat(&Tok::Times) {
                acc = exact::mul(&acc, &self.unary()?)?;
            } else if self.eat(&Tok::Divide) {
                acc = exact::div(&acc, &self.unary()?)?;
            } else if matches!(
                self.peek(),
                Some(Tok::Var(_) | Tok::LParen | Tok::Frac | Tok::Sqrt)
            ) {
                // Implicit multiplication binds like `*`; the factor has no sign of its own.
                let f = self.guarded(Self::power)?;
                acc = exact::mul(&acc, &f)?;
            } else if matches!(self.peek(), Some(Tok::Num { .. })) {
                return Err(MathError::Syntax("two numbers side by side".into()));
            } else {
                return Ok(acc);
            }
        }
    }

    /// Runs `f` one nesting level deeper (see [`Cursor::descend`]).
    fn guarded(
        &mut self,
        f: fn(&mut Self) -> Result<BigRational, MathError>,
    ) -> Result<BigRational, MathError> {
        self.descend()?;
        let r = f(self);
        self.ascend();
        r
    }

    fn unary(&mut self) -> Result<BigRational, MathError> {
        self.guarded(|p| {
            if p.eat(&Tok::Minus) {
                Ok(-p.unary()?)
            } else if p.eat(&Tok::Plus) {
                p.unary()
            } else {
                p.power()
            }
        })
    }

    fn power(&mut self) -> Result<BigRational, MathError> {
        let mut base = self.primary()?;
        if self.factorial_bang()? {
            base = exact::factorial(&base)?;
        }
        let mut v = if self.eat(&Tok::Caret) {
            exact::pow(&base, &self.unary()?)?
        } else {
            base
        };
        while self.eat(&Tok::Percent) {
            v = exact::div(&v, &BigRational::from_integer(BigInt::from(100)))?;
        }
        Ok(v)
    }

    fn group(&mut self, close: &Tok) -> Result<BigRational, MathError> {
        let v = self.guarded(Self::expr)?;
        self.expect(close)?;
        Ok(v)
    }

    fn primary(&mut self) -> Result<BigRational, MathError> {
        let Some(t) = self.next_token() else {
            return Err(MathError::Syntax("expression ends early".into()));
        };
        match &t.tok {
            Tok::Num { value, integer } => {
                let whole = value.clone();
                if *integer {
                    if let Some(frac) = self.mixed_fraction()? {
                        return exact::add(&whole, &frac);
                    }
                }
                Ok(whole)
            }
            Tok::Var(name) | Tok::Word(name) => match self.vars.iter().find(|(n, _)| n == name) {
                Some((_, v)) => Ok(v.clone()),
                None if name.starts_with('\\') => Err(MathError::NotRational(name.clone())),
                None => Err(MathError::UnknownSymbol(name.clone())),
            },
            Tok::LParen => self.group(&Tok::RParen),
            Tok::LBracket => self.group(&Tok::RBracket),
            Tok::LBrace => self.group(&Tok::RBrace),
            Tok::Frac => {
                self.expect(&Tok::LBrace)?;
                let n = self.group(&Tok::RBrace)?;
                self.expect(&Tok::LBrace)?;
                let d = self.group(&Tok::RBrace)?;
                exact::div(&n, &d)
            }
            Tok::Sqrt => {
                let mut index = 2u32;
                if self.eat(&Tok::LBracket) {
                    let n = self.group(&Tok::RBracket)?;
                    index = n
                        .is_integer()
                        .then(|| n.to_integer().to_u32())
                        .flatten()
                        .ok_or_else(|| MathError::NotRational(format!("root of index {n}")))?;
                }
                let x = if self.eat(&Tok::LBrace) {
                    self.group(&Tok::RBrace)?
                } else {
                    self.guarded(Self::primary)?
                };
                exact::root(&x, index)
            }
            other => Err(MathError::Syntax(format!("unexpected {}", describe(other)))),
        }
    }

    /// After an integer literal: a proper fraction of integer literals that makes it a mixed
    /// number (`1 1/2`, `1\frac{1}{2}`); consumes it and returns its value if so. One followed
    /// by a power, a bracket, a letter or a number is refused: `2\frac{1}{2}^2` is `(5/2)^2`
    /// to a reader of mixed numbers and `2 \cdot (1/2)^2` to the grammar.
    fn mixed_fraction(&mut self) -> Result<Option<BigRational>, MathError> {
        // `1/2 1/2` is not `1/(2 1/2)`: a mixed number never follows an operator.
        let after_operator = self.pos >= 2
            && matches!(
                self.toks.get(self.pos - 2).map(|t| &t.tok),
                Some(Tok::Divide | Tok::Times | Tok::Caret)
            );
        if after_operator {
            return Ok(None);
        }
        let int_at = |k: usize| match self.peek_at(k).map(|t| &t.tok) {
            Some(Tok::Num {
                value,
                integer: true,
            }) => Some(value.clone()),
            _ => None,
        };
        let tok_at = |k: usize| self.peek_at(k).map(|t| &t.tok);
        let shape = || {
            if self.peek_at(0).is_some_and(|t| t.space_before) && tok_at(1) == Some(&Tok::Divide) {
                Some((int_at(0)?, int_at(2)?, 3))
            } else if tok_at(0) == Some(&Tok::Frac)
                && tok_at(1) == Some(&Tok::LBrace)
                && tok_at(3) == Some(&Tok::RBrace)
                && tok_at(4) == Some(&Tok::LBrace)
                && tok_at(6) == Some(&Tok::RBrace)
            {
                Some((int_at(2)?, int_at(5)?, 7))
            } else {
                None
            }
        };
        let Some((n, d, len)) = shape() else {
            return Ok(None);
        };
        if n.is_zero() || n >= d {
            return Ok(None);
        }
        let next = self.peek_at(len).map(|t| &t.tok);
        if matches!(
            next,
            Some(Tok::Caret | Tok::Var(_) | Tok::LParen | Tok::Num { .. })
        ) {
            return Err(MathError::Syntax(
                "a mixed number followed by a power, a bracket, a letter or a number is ambiguous"
                    .into(),
            ));
        }
        self.pos += len;
        Ok(Some(n / d))
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn ev(s: &str) -> Result<BigRational, MathError> {
        evaluate(&lex(s).unwrap(), &[])
    }

    fn q(s: &str) -> BigRational {
        s.parse().unwrap()
    }

    #[test]
    fn arithmetic() {
        assert_eq!(ev("(17 * 4 - 8) / 6").unwrap(), q("10"));
        assert_eq!(ev("-2^2").unwrap(), q("-4"));
        assert_eq!(ev("2^3^2").unwrap(), q("512"));
        assert_eq!(ev("2^-1").unwrap(), q("1/2"));
        assert_eq!(ev(r"\frac{1}{2} + \dfrac12").unwrap(), q("1"));
        assert_eq!(ev(r"\left(3 \cdot 4\right) \div 6").unwrap(), q("2"));
        assert_eq!(ev("3 × 4 ÷ 6 − 1").unwrap(), q("1"));
        assert_eq!(ev(r"\sqrt{16} + \sqrt[3]{27} + √9").unwrap(), q("10"));
        assert_eq!(ev("1 1/2").unwrap(), q("3/2"));
        assert_eq!(ev("-1 1/2").unwrap(), q("-3/2"));
        assert_eq!(ev(r"2\frac{1}{4}").unwrap(), q("9/4"));
        assert_eq!(ev("50%").unwrap(), q("1/2"));
        assert_eq!(ev("2 ** 10").unwrap(), q("1024"));
        assert_eq!(ev("1,000 + 0.5").unwrap(), q("2001/2"));
        assert_eq!(ev("2(3 + 1)(2)").unwrap(), q("16"));
    }

    #[test]
    fn variables_and_errors() {
        let vars = vec![("x".to_string(), q("4")), ("y".to_string(), q("-1/2"))];
        assert_eq!(evaluate(&lex("3x + 2y").unwrap(), &vars).unwrap(), q("11"));
        assert!(matches!(ev("3z"), Err(MathError::UnknownSymbol(_))));
        assert!(matches!(ev("2 3"), Err(MathError::Syntax(_))));
        assert!(matches!(ev("1/0"), Err(MathError::DivisionByZero)));
        assert!(matches!(ev(r"\sqrt{2}"), Err(MathError::NotRational(_))));
        assert!(matches!(ev(r"\pi"), Err(MathError::NotRational(_))));
        assert!(matches!(ev("(1 + 2"), Err(MathError::Syntax(_))));
    }

    #[test]
    fn bounds() {
        assert!(ev("9^9^9^9").unwrap_err().is_limit());
        let deep = format!("{}1{}", "(".repeat(2000), ")".repeat(2000));
        assert!(matches!(ev(&deep), Err(MathError::TooDeep { .. })));
        let minus = format!("{}1", "-".repeat(3000));
        assert!(matches!(ev(&minus), Err(MathError::TooDeep { .. })));
        let tower = format!("2{}", "^2".repeat(2000));
        assert!(ev(&tower).unwrap_err().is_limit());
    }
}

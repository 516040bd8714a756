//! An independent evaluator for the tests: exact rationals, `+ - * /`, parentheses, unary minus,
//! single-letter variables and implicit products (`3x`, `2(x + 1)`). It shares no code with the
//! generators' printers, so a printing bug cannot hide behind a matching parser bug.

use num_bigint::BigInt;
use num_rational::BigRational as Q;
use num_traits::Zero;

pub(crate) fn eval(s: &str) -> Option<Q> {
    eval_with(s, &[])
}

pub(crate) fn eval_with(s: &str, vars: &[(char, Q)]) -> Option<Q> {
    let mut p = Parser {
        s: s.as_bytes(),
        i: 0,
        vars,
    };
    let v = p.expr()?;
    p.ws();
    (p.i == p.s.len()).then_some(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    vars: &'a [(char, Q)],
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i) == Some(&b' ') {
            self.i += 1;
        }
    }
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }
    fn expr(&mut self) -> Option<Q> {
        let mut v = self.term()?;
        while let Some(c @ (b'+' | b'-')) = self.peek() {
            self.i += 1;
            let r = self.term()?;
            v = if c == b'+' { v + r } else { v - r };
        }
        Some(v)
    }
    fn term(&mut self) -> Option<Q> {
        let mut v = self.unary()?;
        loop {
            match self.peek() {
                Some(b'*') => {
                    self.i += 1;
                    v *= self.unary()?;
                }
                Some(b'/') => {
                    self.i += 1;
                    let r = self.unary()?;
                    if r.is_zero() {
                        return None;
                    }
                    v /= r;
                }
                Some(c) if c == b'(' || c.is_ascii_alphabetic() => v *= self.primary()?,
                _ => return Some(v),
            }
        }
    }
    fn unary(&mut self) -> Option<Q> {
        if self.peek() == Some(b'-') {
            self.i += 1;
            return Some(-self.unary()?);
        }
        self.primary()
    }
    fn primary(&mut self) -> Option<Q> {
        match self.peek()? {
            b'(' => {
                self.i += 1;
                let v = self.expr()?;
                (self.peek() == Some(b')')).then_some(())?;
                self.i += 1;
                Some(v)
            }
            c if c.is_ascii_digit() => {
                let start = self.i;
                while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                    self.i += 1;
                }
                let n: BigInt = std::str::from_utf8(&self.s[start..self.i])
                    .ok()?
                    .parse()
                    .ok()?;
                Some(Q::from_integer(n))
            }
            c if c.is_ascii_alphabetic() => {
                self.i += 1;
                self.vars
                    .iter()
                    .find(|(name, _)| *name as u32 == u32::from(c))
                    .map(|(_, v)| v.clone())
            }
            _ => None,
        }
    }
}

#[test]
fn evaluator_handles_the_step_syntax() {
    let x = Q::from_integer(4.into());
    assert_eq!(eval("(17 * 4 - 8) / 6"), Some(Q::from_integer(10.into())));
    assert_eq!(eval("5 - (-3)"), Some(Q::from_integer(8.into())));
    assert_eq!(eval("69/7 / 2"), Some(Q::new(69.into(), 14.into())));
    assert_eq!(
        eval_with("3x + 5", &[('x', x.clone())]),
        Some(Q::from_integer(17.into()))
    );
    assert_eq!(
        eval_with("-2(x - 1)", &[('x', x)]),
        Some(Q::from_integer((-6).into()))
    );
    assert_eq!(eval("1 / 0"), None);
    assert_eq!(eval("2 +"), None);
}

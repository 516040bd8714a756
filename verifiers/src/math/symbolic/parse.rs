//! Tokens to a [`Sym`]: the grammar of [`crate::math::eval`] over symbolic values, plus
//! variables, `π`, `e`, functions by name and powers and roots of anything.
//!
//! ```text
//! expr    := term (('+' | '-') term)*
//! term    := unary (('*' | '/') unary | implicit)*   implicit: 2x, xy, 3\pi, x(x+1), 2\sqrt3
//! unary   := ('+' | '-') unary | power
//! power   := primary '!'? ('^' unary)? '%'*
//! primary := number | var | word | f(expr) | func arg | (expr) | [expr] | {expr}
//!          | \frac{expr}{expr} | \sqrt[n]{expr} | \sqrt primary
//! func    := \sin | \cos | … | \log_b | \ln | \exp  with an optional power: \sin^2 x
//! arg     := (expr) | {expr} | a run of numbers, variables, π, fractions and roots: \sin 2x
//! ```
//! Ambiguities are refused, not guessed: implicit multiplication right after a division
//! (`1/2x`: is it `x/2` or `1/(2x)`?), `\sin^{-1}`, a number right after a value (`2 3`).
//! A multi-letter word of two or three letters is a product of variables (`ab`, `xyz`) unless it
//! is an English word; `f`, `g` and `h` before `(` are functions, other letters multiply.

use std::sync::Arc;

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};

use super::domain;
use super::names::is_function;
use super::poly::Poly;
use super::radical::MAX_ROOT_INDEX;
use super::Sym;
use crate::math::cursor::{deref_to_cursor, describe, Cursor};
use crate::math::exact;
use crate::math::lexer::{Tok, Token};
use crate::math::MathError;

mod indexed;

/// Lower-case Greek letters read as variables (`\pi` is the constant).
const GREEK: &[&str] = &[
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
];

/// Short words that are English, never a product of variables.
const ENGLISH: &[&str] = &[
    "no", "on", "yes", "not", "and", "or", "the", "is", "are", "to", "of", "in", "it", "at", "by",
    "an", "as", "be", "do", "if", "so", "up", "we", "all", "any", "but", "can", "for", "has",
    "its", "may", "nor", "one", "two", "six", "ten", "too", "was", "who", "why", "how", "yet",
    "off", "out", "own", "few", "odd", "per", "via", "non", "none", "und", "et", "ou", "oui",
];

/// Parses the whole token slice as one symbolic expression.
/// An application that may be defined nowhere and vanished from the value is refused (see
/// [`domain`]); the notes go on to the answer's ledger.
pub(crate) fn parse(toks: &[Token]) -> Result<Sym, MathError> {
    let (v, notes) = domain::with_ledger(|| {
        let mut p = Parser {
            c: Cursor::new(toks)?,
            bound: Vec::new(),
        };
        let v = p.expr()?;
        p.finish()?;
        Ok(v)
    });
    let v = v?;
    if !notes.is_empty() {
        domain::check(&notes, &v.to_string())?;
        domain::forward(notes);
    }
    Ok(v)
}

fn atom(s: &str) -> Sym {
    Sym::atom(Arc::from(s))
}

fn int(k: i64) -> Sym {
    Sym::rational(BigRational::from_integer(BigInt::from(k)))
}

struct Parser<'a> {
    c: Cursor<'a>,
    /// The index variables of the sums and products being parsed, innermost last, each with
    /// the name it takes inside them (`#0`, `#1`: by depth, so `\sum_{k=1}^n k` and
    /// `\sum_{j=1}^n j` are the same atom; no input spells a `#` name).
    bound: Vec<(String, String)>,
}

deref_to_cursor!(Parser);

impl Parser<'_> {
    /// Runs `f` one nesting level deeper (see [`Cursor::descend`]).
    fn guarded(&mut self, f: fn(&mut Self) -> Result<Sym, MathError>) -> Result<Sym, MathError> {
        self.descend()?;
        let out = f(self);
        self.ascend();
        out
    }

    fn expr(&mut self) -> Result<Sym, MathError> {
        let mut acc = self.term()?;
        loop {
            if self.eat(&Tok::Plus) {
                acc = acc.add(&self.term()?)?;
            } else if self.eat(&Tok::Minus) {
                acc = acc.sub(&self.term()?)?;
            } else {
                return Ok(acc);
            }
        }
    }

    /// Whether the next token starts an implicitly multiplied factor.
    fn starts_factor(&self) -> bool {
        match self.peek() {
            Some(Tok::Var(_) | Tok::LParen | Tok::Frac | Tok::Sqrt) => true,
            Some(Tok::Word(w)) => {
                !w.starts_with('\\') || w == "\\pi" || is_function(w) || is_greek(w)
            }
            _ => false,
        }
    }

    fn term(&mut self) -> Result<Sym, MathError> {
        let mut acc = self.unary()?;
        let mut after_division = false;
        loop {
            if self.eat(&Tok::Times) {
                acc = acc.mul(&self.unary()?)?;
                after_division = false;
            } else if self.eat(&Tok::Divide) {
                acc = acc.div(&self.unary()?)?;
                after_division = true;
            } else if self.starts_factor() {
                // `2\frac{1}{2}` is a mixed number or a product: refused inside an expression.
                if self.peek() == Some(&Tok::Frac)
                    && matches!(
                        self.toks.get(self.pos.wrapping_sub(1)).map(|t| &t.tok),
                        Some(Tok::Num { .. })
                    )
                {
                    return Err(MathError::Syntax(
                        "a number before `\\frac` is ambiguous (mixed number or product)".into(),
                    ));
                }
                if after_division {
                    return Err(MathError::Syntax(
                        "implicit multiplication after `/` is ambiguous (`1/2x`)".into(),
                    ));
                }
                let f = self.guarded(Self::power)?;
                acc = acc.mul(&f)?;
            } else if matches!(self.peek(), Some(Tok::Num { .. })) {
                return Err(MathError::Syntax("two numbers side by side".into()));
            } else {
                return Ok(acc);
            }
        }
    }

    fn unary(&mut self) -> Result<Sym, MathError> {
        self.guarded(|p| {
            if p.eat(&Tok::Minus) {
                Ok(p.unary()?.neg())
            } else if p.eat(&Tok::Plus) {
                p.unary()
            } else {
                p.power()
            }
        })
    }

    fn power(&mut self) -> Result<Sym, MathError> {
        let mut base = self.primary()?;
        if self.factorial_bang()? {
            let n = base
                .as_rational()
                .ok_or_else(|| MathError::Syntax("factorial of a non-numeric expression".into()))?;
            base = Sym::rational(exact::factorial(&n)?);
        }
        let mut v = if self.eat(&Tok::Caret) {
            let e = self.unary()?;
            power_of(&base, &e)?
        } else {
            base
        };
        while self.eat(&Tok::Percent) {
            v = v.div(&int(100))?;
        }
        Ok(v)
    }

    fn group(&mut self, close: &Tok) -> Result<Sym, MathError> {
        let v = self.guarded(Self::expr)?;
        self.expect(close)?;
        Ok(v)
    }

    fn primary(&mut self) -> Result<Sym, MathError> {
        let Some(t) = self.next_token() else {
            return Err(MathError::Syntax("expression ends early".into()));
        };
        match &t.tok {
            Tok::Num { value, .. } => Ok(Sym::rational(value.clone())),
            Tok::Var(name) => {
                // `k` and `a_k` inside a sum over `k`, `a_{n+1}`: the name the atom takes.
                let name = match self.bound_name(name) {
                    Some(n) => n,
                    None if self.captures_index(name) => {
                        return Err(MathError::Syntax(format!(
                            "a sum's index inside the subscript of `{name}`"
                        )));
                    }
                    None => self.indexed(name)?.unwrap_or_else(|| name.clone()),
                };
                // `f_{n}(x)`, `P_{n+1}(x)`: a function's name may carry an index.
                let head = name.split('_').next().unwrap_or(&name);
                if matches!(head, "f" | "g" | "h") || head.chars().all(|c| c.is_ascii_uppercase()) {
                    // `f^{-1}(x)`: an inverse or a power, never guessed.
                    if matches!(head, "f" | "g" | "h") && self.peek() == Some(&Tok::Caret) {
                        return Err(MathError::Syntax(format!(
                            "`{name}^` is ambiguous (a power or an inverse function)"
                        )));
                    }
                    return self.maybe_call(&name);
                }
                Ok(atom(&name))
            }
            Tok::Word(w) => self.word(w),
            // `\mathrm{e}`, `\text{x}`: an upright letter is still the letter.
            Tok::Text(t) if letter(t).is_some() => {
                let l = letter(t).unwrap_or_default();
                Ok(atom(&self.bound_name(l).unwrap_or_else(|| l.to_string())))
            }
            Tok::LParen => self.group(&Tok::RParen),
            Tok::LBracket => self.group(&Tok::RBracket),
            Tok::LBrace => self.group(&Tok::RBrace),
            Tok::Frac => {
                self.expect(&Tok::LBrace)?;
                let n = self.group(&Tok::RBrace)?;
                self.expect(&Tok::LBrace)?;
                let d = self.group(&Tok::RBrace)?;
                n.div(&d)
            }
            Tok::Sqrt => {
                let mut index = 2u32;
                if self.eat(&Tok::LBracket) {
                    let n = self.group(&Tok::RBracket)?;
                    index = n
                        .as_rational()
                        .filter(|n| n.is_integer() && n.is_positive())
                        .and_then(|n| n.to_integer().to_u32())
                        .filter(|n| *n <= MAX_ROOT_INDEX)
                        .ok_or_else(|| MathError::Syntax(format!("root of index {n}")))?;
                }
                let x = if self.eat(&Tok::LBrace) {
                    self.group(&Tok::RBrace)?
                } else {
                    self.guarded(Self::primary)?
                };
                root_of(&x, index)
            }
            other => Err(MathError::Syntax(format!("unexpected {}", describe(other)))),
        }
    }

    fn word(&mut self, w: &str) -> Result<Sym, MathError> {
        if w == "\\pi" {
            return Ok(atom("π"));
        }
        // `\theta`: a variable, named by its letter (no plain word of three letters or more
        // becomes an atom, so `theta` cannot collide).
        if let Some(name) = greek_name(w) {
            // `\zeta(3)`, `\varphi(n)`: a function named by its letter, as `f(x)` is.
            return self.maybe_call(name);
        }
        if is_function(w) {
            return self.apply(w.trim_start_matches('\\'));
        }
        if w == "\\sum" || w == "\\prod" {
            return self.big_operator(&w[1..]);
        }
        let lower = w.chars().all(|c| c.is_ascii_lowercase());
        // A lone word is a word (`top` is not `pot`), never a product of letters.
        let alone = self.toks.len() == 1;
        if !w.starts_with('\\')
            && lower
            && !alone
            && (2..=3).contains(&w.len())
            && !ENGLISH.contains(&w)
        {
            // `xy^2` is `x·y²`: a power binds to the last letter only.
            let mut acc = int(1);
            let last = w.len() - 1;
            for (i, c) in w.char_indices() {
                // `\sum_{k=1}^{n} kx`: a letter of the word may be the index.
                let letter = c.to_string();
                let mut f = atom(&self.bound_name(&letter).unwrap_or(letter));
                if i == last && self.eat(&Tok::Caret) {
                    f = power_of(&f, &self.unary()?)?;
                }
                acc = acc.mul(&f)?;
            }
            return Ok(acc);
        }
        if w.starts_with('\\') {
            return Err(MathError::NotRational(w.to_string()));
        }
        Err(MathError::UnknownSymbol(w.to_string()))
    }

    /// `name(arg)` when a bracket touches the name (`f(x)`, not `f (x)`, which multiplies),
    /// else the variable `name`.
    fn maybe_call(&mut self, name: &str) -> Result<Sym, MathError> {
        let touching = matches!(
            self.peek_at(0),
            Some(Token {
                tok: Tok::LParen,
                space_before: false,
                ..
            })
        );
        if !touching {
            return Ok(atom(name));
        }
        self.pos += 1;
        let arg = self.group(&Tok::RParen)?;
        Ok(atom(&format!("{name}({arg})")))
    }

    /// A function application after its name: `\sin^2 x`, `\log_2(8)`, `\ln(x+1)`.
    fn apply(&mut self, name: &str) -> Result<Sym, MathError> {
        let mut power = None;
        if self.eat(&Tok::Caret) {
            let k = self.guarded(Self::primary)?;
            let k = k
                .as_rational()
                .filter(|k| k.is_integer() && k.is_positive())
                .and_then(|k| k.to_integer().to_i64())
                .ok_or_else(|| {
                    MathError::Syntax(format!(
                        "`\\{name}^{k}` is ambiguous (a power or an inverse)"
                    ))
                })?;
            power = Some(k);
        }
        let mut fname = name.to_string();
        if matches!(self.peek(), Some(Tok::Other(s)) if s == "_") {
            self.pos += 1;
            let base = self.guarded(Self::primary)?;
            fname = format!("{name}_{base}");
        }
        let arg = match self.peek() {
            Some(Tok::LParen | Tok::LBrace | Tok::LBracket) => self.guarded(Self::primary)?,
            _ => self.guarded(Self::chain)?,
        };
        if domain::undefined(&fname, &arg) {
            // `\tan\frac{\pi}{2}`, `\ln 0`: an atom of no value would still cancel
            // (`5 + \tan\frac{\pi}{2} - \tan\frac{\pi}{2}`) or vanish times zero.
            return Err(MathError::Undefined(format!("{fname} at {arg}")));
        }
        let v = match fname.as_str() {
            "exp" => exp_of(&arg),
            "tan" | "cot" | "sec" | "csc" if arg.is_polynomial() && arg.num.in_variables() => {
                // In sines and cosines, so that the Pythagorean identity reaches them (see
                // `Poly::reduce_sines`). Not through `div`, whose guard refuses every function
                // in a denominator: the sine and cosine of a non-constant polynomial are not
                // identically zero.
                let (sin, cos) = (
                    atom(&format!("sin({arg})")).num,
                    atom(&format!("cos({arg})")).num,
                );
                let (num, den) = match fname.as_str() {
                    "tan" => (sin, cos),
                    "cot" => (cos, sin),
                    "sec" => (Poly::one(), cos),
                    _ => (Poly::one(), sin),
                };
                Sym::fraction(num, den)?
            }
            _ => {
                let text = format!("{fname}({arg})");
                domain::note_application(&text, &fname, &arg);
                atom(&text)
            }
        };
        match power {
            Some(k) => v.powi(k),
            None => Ok(v),
        }
    }

    /// A function's unparenthesised argument: numbers, variables, `π`, fractions and roots
    /// side by side (`\sin 2x`, `\cos \frac{\pi}{3}`), stopping at anything else.
    fn chain(&mut self) -> Result<Sym, MathError> {
        let mut acc: Option<Sym> = None;
        loop {
            let simple = match self.peek() {
                Some(Tok::Num { .. }) => acc.is_none(),
                Some(Tok::Var(_) | Tok::Frac | Tok::Sqrt) => true,
                Some(Tok::Word(w)) => w == "\\pi" || is_greek(w),
                _ => false,
            };
            if !simple {
                break;
            }
            let f = self.power()?;
            acc = Some(match acc {
                Some(a) => a.mul(&f)?,
                None => f,
            });
        }
        acc.ok_or_else(|| MathError::Syntax("a function without an argument".into()))
    }
}

/// `e`, `C` or the choice `(C)`: the letter of an upright-text single letter.
fn letter(t: &str) -> Option<&str> {
    let t = t
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .unwrap_or(t);
    (t.len() == 1 && t.bytes().all(|b| b.is_ascii_alphabetic())).then_some(t)
}

fn is_greek(w: &str) -> bool {
    greek_name(w).is_some()
}

/// The variable a Greek letter's command names (`\theta` → `theta`); a letter's variant
/// form is the same letter (`\vartheta` is `theta`), so `\theta - \vartheta` is zero.
pub(crate) fn greek_name(w: &str) -> Option<&str> {
    let letter = w.strip_prefix('\\').filter(|l| GREEK.contains(l))?;
    Some(letter.strip_prefix("var").unwrap_or(letter))
}

/// `e^x` and `\exp(x)` are one atom.
fn exp_of(x: &Sym) -> Sym {
    atom(&format!("exp({x})"))
}

/// The real `n`-th root: exact for rationals, an atom `root(n, x)` otherwise.
fn root_of(x: &Sym, n: u32) -> Result<Sym, MathError> {
    if let Some(q) = x.as_rational() {
        return Ok(Sym::from_poly(Poly::root_of(&q, n)?));
    }
    // `\sqrt{-1-x^2}`: an even root of something that is negative for large x may be nowhere
    // real; refused rather than kept as an atom that could cancel (`\sqrt{-1-x^2} \cdot 0`).
    // A sine or cosine bounds its expression without its leading coefficient saying so
    // (`-1 - \sin^2 x` is `\cos^2 x - 2`): an even root of one is refused outright.
    // A constant with π, e or an application in it has a sign this algebra cannot read off
    // (`\sqrt{\pi - 4}`, `\sqrt{\ln\frac{1}{2}}`) unless it is a positive multiple of a
    // product of π and e.
    if n.is_multiple_of(2)
        && (x.leading_sign() < 0 || x.has_trig() || (x.is_atom_constant() && !x.positive_pi_e()))
    {
        return Err(MathError::NotRational(format!(
            "an even root of {x}, negative for large values"
        )));
    }
    let text = format!("root({n}, {x})");
    if n.is_multiple_of(2) {
        domain::note(&text, x, domain::Inside::Positive);
    }
    Ok(atom(&text))
}

/// `base ^ e`: integer powers exactly; `q^(a/b)` for rational `q` through an exact radical;
/// `x^(a/b)` as `x^k · root(b, x)^r`; `e^x` as `exp(x)`; any other power as an atom.
fn power_of(base: &Sym, e: &Sym) -> Result<Sym, MathError> {
    let is_e = *base == atom("e");
    let Some(q) = e.as_rational() else {
        if is_e {
            return Ok(exp_of(e));
        }
        // `0^x` is undefined for x ≤ 0.
        if base.as_rational().is_some_and(|b| b.is_zero()) {
            return Err(MathError::Syntax(
                "a power of zero with a symbolic exponent".into(),
            ));
        }
        let text = format!("pow({base}, {e})");
        domain::note(&text, base, domain::Inside::Positive);
        return Ok(atom(&text));
    };
    if q.is_integer() {
        if let Some(b) = base.as_rational() {
            return Ok(Sym::rational(exact::pow(&b, &q)?));
        }
        let k = q
            .to_integer()
            .to_i64()
            .ok_or_else(|| MathError::ExponentTooLarge {
                exponent: exact::short(&q.to_string()),
            })?;
        return base.powi(k);
    }
    if is_e {
        return Ok(exp_of(e));
    }
    // `(-8)^{2/6}` is 2 or undefined by the order of reduction (see `exact::pow`).
    if base.as_rational().is_some_and(|b| b.is_negative()) {
        return Err(MathError::NotRational(format!(
            "a negative number to the fractional power {q}"
        )));
    }
    let den = q
        .denom()
        .to_u32()
        .filter(|d| *d <= MAX_ROOT_INDEX)
        .ok_or_else(|| MathError::ExponentTooLarge {
            exponent: q.to_string(),
        })?;
    let num = q
        .numer()
        .to_i64()
        .ok_or_else(|| MathError::ExponentTooLarge {
            exponent: q.to_string(),
        })?;
    if base.as_rational().is_some_and(|b| b.is_zero()) {
        return if num > 0 {
            Ok(int(0))
        } else {
            Err(MathError::DivisionByZero)
        };
    }
    let r = root_of(base, den)?;
    // x^(a/b) = root(b, x)^a, with whole powers of x taken out of the root.
    let whole = num.div_euclid(i64::from(den));
    let rest = num.rem_euclid(i64::from(den));
    if base.as_rational().is_some() {
        return r.powi(num);
    }
    base.powi(whole)?.mul(&r.powi(rest)?)
}

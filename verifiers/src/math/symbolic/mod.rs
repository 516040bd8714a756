//! Exact symbolic values: rational functions whose numerator and denominator are canonical
//! polynomials ([`poly`]) over ℚ with real radicals ([`radical`]), in atoms — variables, `π`,
//! `e`, function applications by name (`sin(x)`), and roots or powers of non-constant
//! expressions, each keyed by its argument's canonical text.
//!
//! Equality is decided, never sampled: polynomials compare by canonical form, fractions by
//! cross-multiplication (`a/b = c/d` iff `a·d = c·b`, which holds in any integral domain, and
//! these polynomials are one). So `\frac{x^2-1}{x-1}` = `x+1`, `\frac{1}{1+\sqrt2}` = `\sqrt2-1`
//! and `(x+1)^2` = `x^2+2x+1`. Atoms are treated as independent indeterminates: that is exact
//! for variables and (π being transcendental) for π, and only conservative for the rest — two
//! forms equal for a reason outside this algebra (`e^{\ln 2}` = `2`, `\sin 2x` = `2\sin x\cos x`)
//! are reported unequal, never the reverse. One identity is built in: `sin(u)² + cos(u)² = 1`
//! for each argument `u` (see `Poly::reduce_sines`), with `tan`, `cot`, `sec` and `csc` of a
//! polynomial in variables written in sines and cosines, so `\tan^2 x + 1` = `\sec^2 x`.

pub(crate) mod domain;
mod names;
mod parse;
mod poly;
pub(crate) mod radical;

use std::fmt;

use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

use super::MathError;
pub(crate) use names::is_builtin_function;
pub(crate) use parse::{greek_name, parse as parse_tokens};
pub(crate) use poly::{Atom, Poly};

/// An exact symbolic value: `num / den`, the denominator never zero and, when it has no atoms,
/// folded into the numerator (so constants are plain polynomials: `1/√2` is stored as `√2/2`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sym {
    num: Poly,
    den: Poly,
}

impl Sym {
    pub(crate) fn from_poly(p: Poly) -> Self {
        Sym {
            num: p,
            den: Poly::one(),
        }
    }

    pub(crate) fn rational(q: BigRational) -> Self {
        Sym::from_poly(Poly::constant(q))
    }

    /// A variable (or `e`, `π`) by name.
    pub(crate) fn variable(name: &str) -> Self {
        Sym::atom(Atom::from(name))
    }

    pub(crate) fn atom(a: Atom) -> Self {
        Sym::from_poly(Poly::atom(a))
    }

    /// `num / den`, normalised; a zero denominator is [`MathError::DivisionByZero`].
    fn fraction(num: Poly, den: Poly) -> Result<Self, MathError> {
        if den.is_zero() {
            return Err(MathError::DivisionByZero);
        }
        if num.is_zero() {
            return Ok(Sym::from_poly(Poly::zero()));
        }
        if den.is_one() {
            return Ok(Sym { num, den });
        }
        if let Some(inv) = den.constant_inverse()? {
            return Ok(Sym::from_poly(num.mul(&inv)?));
        }
        // A fixed scale: the denominator's leading coefficient is 1.
        let lead = den.leading().cloned().unwrap_or_else(BigRational::one);
        let k = BigRational::one() / lead;
        Ok(Sym {
            num: num.scale(&k)?,
            den: den.scale(&k)?,
        })
    }

    /// `a·v + b` in one variable `v` with rational `a ≠ 0` and constant `b`: `(v, a, b)`.
    pub(crate) fn linear(&self) -> Option<(Atom, BigRational, Sym)> {
        if !self.den.is_one() {
            return None;
        }
        let (v, a, b) = self.num.linear()?;
        Some((v, a, Sym::from_poly(b)))
    }

    /// The atom, when the value is exactly one atom: a variable or an application (`f(x)`).
    pub(crate) fn as_atom(&self) -> Option<&Atom> {
        if !self.den.is_one() {
            return None;
        }
        self.num.as_atom()
    }

    /// The sign of the leading coefficient (highest degree first) of the numerator, times the
    /// denominator's: -1, 0 or 1.
    pub(crate) fn leading_sign(&self) -> i32 {
        let sign = |p: &Poly| match p.leading() {
            Some(c) if c.is_positive() => 1,
            Some(c) if c.is_negative() => -1,
            _ => 0,
        };
        sign(&self.num) * sign(&self.den)
    }

    /// The value when it is a rational number.
    pub fn as_rational(&self) -> Option<BigRational> {
        if self.den.is_one() {
            self.num.as_rational()
        } else {
            None
        }
    }

    /// Whether the value is a real constant (rationals, radicals; no atom at all).
    pub fn is_constant(&self) -> bool {
        self.num.is_constant() && self.den.is_constant()
    }

    /// Whether the variable or constant `name` occurs (not counting inside function arguments).
    pub fn mentions(&self, name: &str) -> bool {
        self.num.mentions(name) || self.den.mentions(name)
    }

    /// `q` when the value is `q·π` for a rational `q`.
    pub(crate) fn pi_multiple(&self) -> Option<BigRational> {
        if !self.den.is_one() {
            return None;
        }
        self.num.pi_multiple()
    }

    /// Whether a variable occurs, inside applications too.
    pub(crate) fn mentions_variable(&self) -> bool {
        self.num.has_variable() || self.den.has_variable()
    }

    /// The sign of a value that is one term, a rational times radicals and powers of π (no
    /// `e`, no application): `None` for any other value.
    pub(crate) fn single_term_sign(&self) -> Option<i32> {
        if !self.den.is_one() {
            return None;
        }
        self.num.single_term_sign()
    }

    /// Whether the value has atoms but no variable in them (`π - 4`, `\ln 2`): a real constant
    /// whose sign the algebra does not know.
    pub(crate) fn is_atom_constant(&self) -> bool {
        !self.is_constant() && !self.mentions_variable()
    }

    /// Whether the value is one term, a positive rational times powers of π and e.
    pub(crate) fn positive_pi_e(&self) -> bool {
        self.den.is_one() && self.num.positive_pi_e()
    }

    /// Whether a sine or cosine occurs (not counting inside function arguments).
    pub(crate) fn has_trig(&self) -> bool {
        self.num.has_trig() || self.den.has_trig()
    }

    /// Whether the value is a polynomial (no denominator with atoms).
    pub fn is_polynomial(&self) -> bool {
        self.den.is_one()
    }

    pub(crate) fn add(&self, o: &Sym) -> Result<Self, MathError> {
        if self.den == o.den {
            return Sym::fraction(self.num.add(&o.num)?, self.den.clone());
        }
        let num = self.num.mul(&o.den)?.add(&o.num.mul(&self.den)?)?;
        Sym::fraction(num, self.den.mul(&o.den)?)
    }

    pub(crate) fn neg(&self) -> Self {
        Sym {
            num: self.num.neg(),
            den: self.den.clone(),
        }
    }

    pub(crate) fn sub(&self, o: &Sym) -> Result<Self, MathError> {
        self.add(&o.neg())
    }

    pub(crate) fn mul(&self, o: &Sym) -> Result<Self, MathError> {
        Sym::fraction(self.num.mul(&o.num)?, self.den.mul(&o.den)?)
    }

    pub(crate) fn div(&self, o: &Sym) -> Result<Self, MathError> {
        if o.num.is_zero() {
            return Err(MathError::DivisionByZero);
        }
        // `\frac{\sin \pi}{\sin \pi}`: an application may be zero for a reason outside this
        // algebra, and cross-multiplication would then accept 0/0.
        if o.num.may_vanish() {
            return Err(MathError::Syntax(
                "division by an expression with a function in it".into(),
            ));
        }
        Sym::fraction(self.num.mul(&o.den)?, self.den.mul(&o.num)?)
    }

    /// `self^k` for an integer `k` (negative: the reciprocal's power).
    pub(crate) fn powi(&self, k: i64) -> Result<Self, MathError> {
        let mag = u32::try_from(k.unsigned_abs()).map_err(|_| MathError::ExponentTooLarge {
            exponent: k.to_string(),
        })?;
        if k == 0 && self.num.may_vanish() {
            return Err(MathError::Syntax(
                "the zeroth power of an expression that may be zero".into(),
            ));
        }
        if self.num.is_zero() {
            return match k.signum() {
                1 => Ok(self.clone()),
                0 => Err(MathError::ZeroToZero),
                _ => Err(MathError::DivisionByZero),
            };
        }
        if k < 0 && self.num.may_vanish() {
            return Err(MathError::Syntax(
                "a negative power of an expression with a function in it".into(),
            ));
        }
        let (n, d) = (self.num.pow(mag)?, self.den.pow(mag)?);
        if k >= 0 {
            Sym::fraction(n, d)
        } else {
            Sym::fraction(d, n)
        }
    }

    /// Exact equality of values (see the module docs).
    pub fn equals(&self, o: &Sym) -> Result<bool, MathError> {
        if self.den == o.den {
            return Ok(self.num == o.num);
        }
        Ok(self.num.mul(&o.den)? == o.num.mul(&self.den)?)
    }

    /// Whether `self = c · o` for some rational `c > 0` (relations compare this way: `2x ≤ 10`
    /// is `x ≤ 5`). Only polynomials are scaled: a denominator with atoms may change sign.
    pub fn positive_multiple_of(&self, o: &Sym) -> Result<bool, MathError> {
        if !self.den.is_one() || !o.den.is_one() {
            return self.equals(o);
        }
        let (Some(a), Some(b)) = (self.num.leading(), o.num.leading()) else {
            return Ok(self.num.is_zero() && o.num.is_zero());
        };
        let c = a / b;
        if c <= BigRational::zero() {
            return Ok(false);
        }
        let scaled = Sym::fraction(o.num.scale(&c)?, o.den.clone())?;
        self.equals(&scaled)
    }
}

/// Canonical text: the polynomial, or `(num)/(den)`.
impl fmt::Display for Sym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den.is_one() {
            return write!(f, "{}", self.num);
        }
        let num = self.num.to_string();
        if self.num.is_single_term() && !num.contains('/') {
            write!(f, "{num}")?;
        } else {
            write!(f, "({num})")?;
        }
        // `1/(2*x)`, not `1/2*x`: only a lone atom or power goes bare after the slash.
        let den = self.den.to_string();
        if self.den.is_single_term() && !den.contains('*') {
            write!(f, "/{den}")
        } else {
            write!(f, "/({den})")
        }
    }
}

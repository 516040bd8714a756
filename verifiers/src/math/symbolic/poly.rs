//! Polynomials over ℚ in atoms (variables, `π`, `e`, function applications, roots of
//! non-constant expressions) with real radicals of rationals in the coefficients, kept in a
//! canonical form: a map from monomial to a nonzero rational coefficient. Two polynomials are
//! equal as values exactly when their maps are equal (see [`super::radical`] for why radicals
//! keep that true). Sizes are bounded: [`MAX_TERMS`] terms and total degree [`MAX_DEGREE`],
//! checked before the work; coefficient arithmetic goes through [`crate::math::exact`], so it
//! charges the per-attempt work budget and respects the bit bound.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

mod eval;

use super::names::{is_builtin_function, is_variable};
use super::radical::{self, Radical};
use crate::math::{exact, MathError};

/// Most terms of any polynomial built.
pub const MAX_TERMS: usize = 512;
/// Highest total degree in atoms of any term.
pub const MAX_DEGREE: u32 = 128;

/// The canonical text of an atom: `x`, `π`, `e`, `sin(x)`, `root(2, x + 1)`.
pub(crate) type Atom = Arc<str>;

/// A product of atoms to positive powers and of prime radicals.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Monomial {
    /// Sorted by atom, powers at least 1.
    atoms: Vec<(Atom, u32)>,
    /// Sorted by prime.
    radicals: Vec<Radical>,
}

impl Monomial {
    fn degree(&self) -> u32 {
        self.atoms.iter().map(|(_, k)| k).sum()
    }

    fn is_one(&self) -> bool {
        self.atoms.is_empty() && self.radicals.is_empty()
    }

    /// The product, and the rational factor whole powers of radicals give.
    fn mul(&self, other: &Monomial) -> Result<(BigRational, Monomial), MathError> {
        let mut atoms = Vec::with_capacity(self.atoms.len() + other.atoms.len());
        let (a, b) = (&self.atoms, &other.atoms);
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            match (a.get(i), b.get(j)) {
                (Some(x), Some(y)) if x.0 == y.0 => {
                    atoms.push((x.0.clone(), x.1 + y.1));
                    i += 1;
                    j += 1;
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    atoms.push(x.clone());
                    i += 1;
                }
                (Some(x), None) => {
                    atoms.push(x.clone());
                    i += 1;
                }
                (_, Some(y)) => {
                    atoms.push(y.clone());
                    j += 1;
                }
                (None, None) => break,
            }
        }
        let (c, radicals) = if other.radicals.is_empty() {
            (BigRational::one(), self.radicals.clone())
        } else {
            radical::mul(&self.radicals, &other.radicals)?
        };
        Ok((c, Monomial { atoms, radicals }))
    }
}

/// A polynomial in canonical form (no zero coefficients).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub(crate) struct Poly {
    terms: BTreeMap<Monomial, BigRational>,
}

impl Poly {
    pub fn zero() -> Self {
        Poly::default()
    }

    pub fn constant(c: BigRational) -> Self {
        let mut p = Poly::zero();
        if !c.is_zero() {
            p.terms.insert(Monomial::default(), c);
        }
        p
    }

    pub fn one() -> Self {
        Poly::constant(BigRational::one())
    }

    pub fn atom(a: Atom) -> Self {
        let m = Monomial {
            atoms: vec![(a, 1)],
            radicals: Vec::new(),
        };
        Poly {
            terms: BTreeMap::from([(m, BigRational::one())]),
        }
    }

    /// The real `n`-th root of a rational, in canonical radical form.
    pub fn root_of(q: &BigRational, n: u32) -> Result<Self, MathError> {
        let (c, radicals) = radical::root(q, n)?;
        if c.is_zero() {
            return Ok(Poly::zero());
        }
        let m = Monomial {
            atoms: Vec::new(),
            radicals,
        };
        Ok(Poly {
            terms: BTreeMap::from([(m, c)]),
        })
    }

    /// Whether the polynomial is the constant 1 (without building one to compare).
    pub fn is_one(&self) -> bool {
        let mut it = self.terms.iter();
        matches!((it.next(), it.next()), (Some((m, c)), None) if m.is_one() && c.is_one())
    }

    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value, when the polynomial is a rational constant.
    pub fn as_rational(&self) -> Option<BigRational> {
        match self.terms.len() {
            0 => Some(BigRational::zero()),
            1 => self
                .terms
                .iter()
                .next()
                .filter(|(m, _)| m.is_one())
                .map(|(_, c)| c.clone()),
            _ => None,
        }
    }

    /// Whether no atom occurs (a real constant: rationals and radicals).
    pub fn is_constant(&self) -> bool {
        self.terms.keys().all(|m| m.atoms.is_empty())
    }

    /// Whether the name occurs anywhere, inside applications too (`x` in `sin(x)`).
    pub fn mentions(&self, name: &str) -> bool {
        self.terms
            .keys()
            .any(|m| m.atoms.iter().any(|(a, _)| names_in(a).any(|w| w == name)))
    }

    /// Whether the polynomial may be zero for a reason outside this algebra, so that it must
    /// not be a denominator: a sum with an application in it (`\sin^2 x + \cos^2 x - 1`,
    /// `\sqrt{x}^2 - x`), or an application of a constant (`\sin \pi`, `\log_2 2 - 1`). A
    /// single term of applications of variables (`3\sqrt[3]{x}^2`) is not.
    pub fn may_vanish(&self) -> bool {
        let applications = || {
            self.terms
                .keys()
                .flat_map(|m| m.atoms.iter())
                .filter(|(a, _)| a.contains('('))
        };
        let constant_argument = |a: &str| {
            let args = a.split_once('(').map_or("", |(_, r)| r);
            !names_in(args).any(is_variable)
        };
        // Odd roots of polynomials in variables are the only applications whose zeros are the
        // argument's, which is not identically zero. An argument with an application in it
        // may be (`\sqrt[3]{x^2 - \sqrt{x^4}}`), or have no value anywhere.
        let odd_root = |a: &str| {
            a.strip_prefix("root(")
                .and_then(|r| r.split_once(','))
                .is_some_and(|(n, arg)| {
                    n.parse::<u32>().is_ok_and(|n| n % 2 == 1)
                        && !arg.trim_end_matches(')').contains('(')
                })
        };
        (self.terms.len() > 1 && applications().next().is_some())
            || applications().any(|(a, _)| constant_argument(a) || !odd_root(a))
    }

    /// `a·v + b` with one variable `v` (a name, not `e`, `π` or an application), a rational
    /// `a ≠ 0` and a constant `b`: `(v, a, b)`.
    pub fn linear(&self) -> Option<(Atom, BigRational, Poly)> {
        let mut var: Option<(Atom, BigRational)> = None;
        let mut rest = Poly::zero();
        for (m, c) in &self.terms {
            match m.atoms.as_slice() {
                [] => {
                    rest.terms.insert(m.clone(), c.clone());
                }
                [(a, 1)] if m.radicals.is_empty() && var.is_none() && is_variable(a) => {
                    var = Some((a.clone(), c.clone()));
                }
                _ => return None,
            }
        }
        var.map(|(v, a)| (v, a, rest))
    }

    /// The monomial and coefficient of a polynomial of exactly one term.
    fn single_term(&self) -> Option<(&Monomial, &BigRational)> {
        let mut it = self.terms.iter();
        match (it.next(), it.next()) {
            (Some(term), None) => Some(term),
            _ => None,
        }
    }

    /// The single atom, when the polynomial is exactly one atom (`f(x)`, `y`).
    pub fn as_atom(&self) -> Option<&Atom> {
        match self.single_term()? {
            (m, c) if c.is_one() && m.radicals.is_empty() => match m.atoms.as_slice() {
                [(a, 1)] => Some(a),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn neg(&self) -> Self {
        Poly {
            terms: self.terms.iter().map(|(m, c)| (m.clone(), -c)).collect(),
        }
    }

    fn add_term(&mut self, m: Monomial, c: BigRational) -> Result<(), MathError> {
        match self.terms.get_mut(&m) {
            Some(old) => {
                let sum = exact::add(old, &c)?;
                if sum.is_zero() {
                    self.terms.remove(&m);
                } else {
                    *old = sum;
                }
            }
            None if !c.is_zero() => {
                self.terms.insert(m, c);
                if self.terms.len() > MAX_TERMS {
                    return Err(too_many_terms());
                }
            }
            None => {}
        }
        Ok(())
    }

    pub fn add(&self, other: &Poly) -> Result<Self, MathError> {
        let mut out = self.clone();
        for (m, c) in &other.terms {
            out.add_term(m.clone(), c.clone())?;
        }
        Ok(out)
    }

    pub fn scale(&self, k: &BigRational) -> Result<Self, MathError> {
        let mut out = Poly::zero();
        for (m, c) in &self.terms {
            out.add_term(m.clone(), exact::mul(c, k)?)?;
        }
        Ok(out)
    }

    pub fn mul(&self, other: &Poly) -> Result<Self, MathError> {
        if self.terms.len().saturating_mul(other.terms.len()) > MAX_TERMS * 16 {
            return Err(too_many_terms());
        }
        let degree = self.degree() + other.degree();
        if degree > MAX_DEGREE {
            return Err(MathError::Bound(format!(
                "degree {degree} is over the limit of {MAX_DEGREE}"
            )));
        }
        let mut out = Poly::zero();
        for (ma, ca) in &self.terms {
            for (mb, cb) in &other.terms {
                let (k, m) = ma.mul(mb)?;
                let mut c = exact::mul(ca, cb)?;
                if !k.is_one() {
                    c = exact::mul(&c, &k)?;
                }
                out.add_term(m, c)?;
            }
        }
        out.reduce_sines()
    }

    /// The canonical form modulo `sin(u)² + cos(u)² = 1`, one relation per argument `u`: every
    /// power of a sine above the first becomes `sin(u)^(k mod 2) · (1 - cos(u)²)^(k div 2)`.
    /// That is the normal form for these relations (each is monic in its own sine, and the
    /// relations share no atoms), so polynomials equal by the Pythagorean identity
    /// (`\tan^2 x + 1` and `\sec^2 x` once cross-multiplied) have one form. The identity holds
    /// for every real argument, so this never equates what differs; and the ring stays an
    /// integral domain (`x² + y² - 1` is irreducible), so fractions still compare by
    /// cross-multiplication. Degrees do not grow; terms are bounded as everywhere.
    fn reduce_sines(self) -> Result<Self, MathError> {
        let is_sine_power = |(a, k): &(Atom, u32)| *k >= 2 && plain_trig(a, "sin(");
        if !self.terms.keys().any(|m| m.atoms.iter().any(is_sine_power)) {
            return Ok(self);
        }
        let mut out = Poly::zero();
        for (m, c) in self.terms {
            let mut rest = Monomial {
                atoms: Vec::with_capacity(m.atoms.len()),
                radicals: m.radicals,
            };
            let mut factor = Poly::one();
            for (a, k) in m.atoms {
                if !is_sine_power(&(a.clone(), k)) {
                    rest.atoms.push((a, k));
                    continue;
                }
                let cos = Poly::atom(Atom::from(format!("cos{}", &a["sin".len()..])));
                let sin_squared = Poly::one().add(&cos.pow(2)?.neg())?;
                // No sine in it, so this multiplication has nothing to reduce.
                factor = factor.mul(&sin_squared.pow(k / 2)?)?;
                if k % 2 == 1 {
                    rest.atoms.push((a, 1));
                }
            }
            // `rest` keeps the sorted order of the atoms and at most the first power of a sine.
            let term = Poly {
                terms: BTreeMap::from([(rest, c)]),
            };
            for (m, c) in term.mul(&factor)?.terms {
                out.add_term(m, c)?;
            }
        }
        Ok(out)
    }

    /// Whether the polynomial is a non-constant polynomial in variables, with `π` and radicals
    /// the only other constants (`2x + π`, not `e·x`, `x·sin(x)` or `root(2, x)`): then, π being
    /// transcendental, it is a non-constant function, and its sine and cosine are nowhere
    /// identically zero.
    pub fn in_variables(&self) -> bool {
        let atoms = || self.terms.keys().flat_map(|m| m.atoms.iter());
        // `i` may be the imaginary unit (`\csc(i^2 + 1)` is csc 0).
        let variable = |a: &str| is_variable(a) && a != "i";
        atoms().all(|(a, _)| variable(a) || &**a == "π") && atoms().any(|(a, _)| variable(a))
    }

    /// `q` when the polynomial is the single term `q·π`.
    pub fn pi_multiple(&self) -> Option<BigRational> {
        match self.single_term()? {
            (m, c) if m.radicals.is_empty() => match m.atoms.as_slice() {
                [(a, 1)] if &**a == "π" => Some(c.clone()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Whether a variable occurs, inside applications too (`x` in `sin(x)`).
    pub fn has_variable(&self) -> bool {
        self.terms
            .keys()
            .flat_map(|m| m.atoms.iter())
            .any(|(a, _)| names_in(a).any(|w| is_variable(w) && !is_builtin_function(w)))
    }

    /// Whether the polynomial is one term, a positive rational (radicals allowed) times powers
    /// of π and e.
    pub fn positive_pi_e(&self) -> bool {
        self.single_term().is_some_and(|(m, c)| {
            c.is_positive() && m.atoms.iter().all(|(a, _)| &**a == "π" || &**a == "e")
        })
    }

    /// The sign of a single term whose only atom is π (radicals allowed): `None` otherwise.
    pub fn single_term_sign(&self) -> Option<i32> {
        if self.is_zero() {
            return Some(0);
        }
        let (m, c) = self.single_term()?;
        m.atoms
            .iter()
            .all(|(a, _)| &**a == "π")
            .then(|| if c.is_positive() { 1 } else { -1 })
    }

    /// Whether a sine or cosine atom occurs.
    pub fn has_trig(&self) -> bool {
        self.terms
            .keys()
            .flat_map(|m| m.atoms.iter())
            .any(|(a, _)| a.starts_with("sin(") || a.starts_with("cos("))
    }

    /// `self^k`, by squaring.
    pub fn pow(&self, k: u32) -> Result<Self, MathError> {
        let degree = u64::from(self.degree()) * u64::from(k);
        if degree > u64::from(MAX_DEGREE) {
            return Err(MathError::Bound(format!(
                "degree {degree} is over the limit of {MAX_DEGREE}"
            )));
        }
        // `n` terms to the power `k` have at most C(n + k - 1, k) terms (the multisets of `k`
        // terms): refuse before the work when that is over the bound and cancellation would be
        // needed to stay under it.
        if multisets(self.terms.len() as u64, u64::from(k)) > MAX_TERMS as u64 {
            return Err(too_many_terms());
        }
        let mut acc = Poly::one();
        let mut base = self.clone();
        let mut e = k;
        while e > 0 {
            if e & 1 == 1 {
                acc = acc.mul(&base)?;
            }
            e >>= 1;
            if e > 0 {
                base = base.mul(&base)?;
            }
        }
        Ok(acc)
    }

    /// Highest total degree in atoms.
    pub fn degree(&self) -> u32 {
        self.terms.keys().map(Monomial::degree).max().unwrap_or(0)
    }

    /// The inverse when the polynomial is one term with no atoms (`3√2` → `√2/6`).
    pub fn constant_inverse(&self) -> Result<Option<Self>, MathError> {
        let Some((m, c)) = self.single_term() else {
            return Ok(None);
        };
        if !m.atoms.is_empty() {
            return Ok(None);
        }
        let (k, radicals) = radical::inverse(&m.radicals)?;
        let c = exact::div(&k, c)?;
        let m = Monomial {
            atoms: Vec::new(),
            radicals,
        };
        Ok(Some(Poly {
            terms: BTreeMap::from([(m, c)]),
        }))
    }

    /// The coefficient of the greatest term in display order (to normalise fractions).
    pub fn leading(&self) -> Option<&BigRational> {
        self.ordered().first().map(|(_, c)| *c)
    }

    /// Terms by descending degree, then by monomial.
    fn ordered(&self) -> Vec<(&Monomial, &BigRational)> {
        let mut v: Vec<_> = self.terms.iter().collect();
        v.sort_by(|(a, _), (b, _)| b.degree().cmp(&a.degree()).then_with(|| a.cmp(b)));
        v
    }

    /// The polynomial as a single term (`c · monomial`), if it is one: for printing.
    pub fn is_single_term(&self) -> bool {
        self.terms.len() == 1
    }
}

/// Whether `a` is `name` (`sin(`) applied to a plain argument: no application, root or
/// division by a variable inside (`sin(1/2*x + π)`, not `sin(ln(0))`, `sin(tan(1/2*π))` or
/// `sin(1/x)`), so that the
/// argument is a real number wherever its variables are, and the Pythagorean identity holds.
fn plain_trig(a: &str, name: &str) -> bool {
    a.strip_prefix(name)
        .and_then(|r| r.strip_suffix(')'))
        .is_some_and(|arg| {
            // `1/2*x` divides by a number; `1/x` by a variable, which may be zero.
            !arg.contains(['(', ')'])
                && arg
                    .match_indices('/')
                    .all(|(i, _)| arg[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
        })
}

/// The names in an atom's text (`sin`, `x` in `sin(2*x)`): its runs of letters, digits and `_`.
fn names_in(a: &str) -> impl Iterator<Item = &str> {
    a.split(|c: char| !(c.is_alphanumeric() || c == '_'))
}

/// C(n + k - 1, k), saturating early above [`MAX_TERMS`].
fn multisets(n: u64, k: u64) -> u64 {
    if n <= 1 {
        return n;
    }
    // C(n - 1 + k, min(k, n - 1)), the product built so every step is an integer.
    let (top, r) = (n - 1 + k, k.min(n - 1));
    let mut c: u64 = 1;
    for i in 1..=r {
        c = c * (top - r + i) / i;
        if c > MAX_TERMS as u64 {
            return c;
        }
    }
    c
}

fn too_many_terms() -> MathError {
    MathError::Bound(format!("more than {MAX_TERMS} terms"))
}

fn write_monomial(f: &mut fmt::Formatter<'_>, m: &Monomial) -> fmt::Result {
    let mut first = true;
    let mut sep = |f: &mut fmt::Formatter<'_>| {
        let s = if first { "" } else { "*" };
        first = false;
        f.write_str(s)
    };
    for r in &m.radicals {
        sep(f)?;
        if (r.num, r.den) == (1, 2) {
            write!(f, "sqrt({})", r.prime)?;
        } else {
            write!(f, "{}^({}/{})", r.prime, r.num, r.den)?;
        }
    }
    for (a, k) in &m.atoms {
        sep(f)?;
        if *k == 1 {
            write!(f, "{a}")?;
        } else {
            write!(f, "{a}^{k}")?;
        }
    }
    Ok(())
}

/// Canonical text: `x^2 + 2*x + 1`, `1/2*sqrt(2)`, `2*π`. Equal polynomials print the same,
/// and the text is unambiguous, so it serves as the key of function applications.
impl fmt::Display for Poly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.terms.is_empty() {
            return f.write_str("0");
        }
        for (i, (m, c)) in self.ordered().into_iter().enumerate() {
            let neg = c.is_negative();
            match (i, neg) {
                (0, true) => f.write_str("-")?,
                (0, false) => {}
                (_, true) => f.write_str(" - ")?,
                (_, false) => f.write_str(" + ")?,
            }
            let a = c.abs();
            if m.is_one() {
                write!(f, "{a}")?;
            } else {
                if !a.is_one() {
                    write!(f, "{a}*")?;
                }
                write_monomial(f, m)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn term_bound_of_powers() {
        assert_eq!(multisets(2, 100), 101); // (x + 1)^100
        assert_eq!(multisets(3, 2), 6); // (x + y + z)^2
        assert_eq!(multisets(1, 1000), 1);
        assert!(multisets(4, 40) > MAX_TERMS as u64); // (x + y + z + w)^40
        let x_plus_1 = Poly::atom(Atom::from("x")).add(&Poly::one()).unwrap();
        assert_eq!(x_plus_1.pow(100).unwrap().terms.len(), 101);
    }
}

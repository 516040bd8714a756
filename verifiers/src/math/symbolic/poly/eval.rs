//! A polynomial's value at a point of rationals, for the domain checks of
//! [`super::super::domain`]. Only polynomials in plain variables are evaluated: a value of π, a
//! radical or an application would not be exact.

use std::collections::BTreeSet;

use num_rational::BigRational;
use num_traits::Zero;

use super::super::names::is_variable;
use super::Poly;
use crate::math::exact;

impl Poly {
    /// The variables, when every atom is one and no term has a radical: `None` when an atom
    /// is `π`, `e`, `i` (which may be the imaginary unit) or an application.
    pub fn plain_variables(&self) -> Option<BTreeSet<&str>> {
        let mut names = BTreeSet::new();
        for m in self.terms.keys() {
            if !m.radicals.is_empty() {
                return None;
            }
            for (a, _) in &m.atoms {
                if !is_variable(a) || &**a == "i" {
                    return None;
                }
                names.insert(&**a);
            }
        }
        Some(names)
    }

    /// The value with each variable given by `value`: `None` where a variable has none, an
    /// atom is not a plain variable, or the arithmetic exceeds its bounds.
    pub fn eval_at(&self, value: &dyn Fn(&str) -> Option<BigRational>) -> Option<BigRational> {
        let mut sum = BigRational::zero();
        for (m, c) in &self.terms {
            if !m.radicals.is_empty() {
                return None;
            }
            let mut term = c.clone();
            for (a, k) in &m.atoms {
                let v = value(a)?;
                let power = exact::pow(&v, &BigRational::from_integer((*k).into())).ok()?;
                term = exact::mul(&term, &power).ok()?;
            }
            sum = exact::add(&sum, &term).ok()?;
        }
        Some(sum)
    }

    /// The number of terms.
    pub fn len(&self) -> usize {
        self.terms.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::symbolic::Atom;

    #[test]
    fn evaluates_plain_polynomials_only() {
        let x = Poly::atom(Atom::from("x"));
        let p = x.mul(&x).unwrap().add(&Poly::one().neg()).unwrap(); // x² - 1
        let three = BigRational::from_integer(3.into());
        let at = |name: &str| (name == "x").then(|| three.clone());
        assert_eq!(p.eval_at(&at), Some(BigRational::from_integer(8.into())));
        assert_eq!(p.plain_variables(), Some(BTreeSet::from(["x"])));
        let with_pi = p.add(&Poly::atom(Atom::from("π"))).unwrap();
        assert_eq!(with_pi.plain_variables(), None);
        assert_eq!(with_pi.eval_at(&at), None);
        let y = Poly::atom(Atom::from("y"));
        assert_eq!(p.mul(&y).unwrap().eval_at(&at), None);
    }
}

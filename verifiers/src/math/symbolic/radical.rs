//! Real radicals of rationals in a canonical form: `c · ∏ pᵢ^(aᵢ/bᵢ)` with distinct primes
//! `pᵢ` and every exponent strictly between 0 and 1.
//!
//! Why this form decides equality: by Besicovitch's theorem (1940), the real positive roots
//! `∏ pᵢ^(aᵢ/n)`, `0 ≤ aᵢ < n`, of distinct primes are linearly independent over ℚ (and so over
//! ℚ(π, x, …) when those are treated as indeterminates). A sum of canonical radical monomials
//! with rational coefficients is therefore zero only if every coefficient is, so two values are
//! equal exactly when their canonical forms are: `√8 = 2√2`, `1/√2 = √2/2`, `∛16 = 2∛2`.
//!
//! Factoring is what makes a form canonical, so it is bounded: trial division up to
//! [`TRIAL_LIMIT`], then a deterministic Miller–Rabin test, a square and a cube test of the
//! cofactor. A radicand whose cofactor is a product of two large primes is refused (a limit
//! error), never guessed.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use crate::math::MathError;

/// Trial division stops at this divisor (about 33,000 divisions at worst).
const TRIAL_LIMIT: u64 = 1 << 16;
/// The largest denominator of an exponent (`p^(a/b)`, `b` at most this).
pub(crate) const MAX_ROOT_INDEX: u32 = 360;

/// `p^(num/den)` with `0 < num < den`, the fraction reduced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Radical {
    pub prime: u64,
    pub num: u32,
    pub den: u32,
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

fn limit(what: &str) -> MathError {
    MathError::Bound(what.to_string())
}

/// Splits the exponent `n/d` of prime `p` (any sign) into an integer part, applied to `coeff`,
/// and a fractional radical in `(0, 1)`, pushed onto `out`.
fn carry(
    p: u64,
    n: i64,
    d: u32,
    coeff: &mut BigRational,
    out: &mut Vec<Radical>,
) -> Result<(), MathError> {
    let d = i64::from(d);
    let whole = n.div_euclid(d);
    let frac = n.rem_euclid(d);
    if whole != 0 {
        let base = BigRational::from_integer(BigInt::from(p));
        let factor = crate::math::exact::pow(&base, &BigRational::from_integer(whole.into()))?;
        *coeff = crate::math::exact::mul(coeff, &factor)?;
    }
    if frac != 0 {
        let (frac, d) = (frac as u32, d as u32);
        let g = gcd(frac, d);
        out.push(Radical {
            prime: p,
            num: frac / g,
            den: d / g,
        });
    }
    Ok(())
}

/// The real `n`-th root of `q` as `(coefficient, radicals)`: `√12 = (2, [3^(1/2)])`.
/// An even root of a negative number is not real: [`MathError::NotRational`].
pub(crate) fn root(q: &BigRational, n: u32) -> Result<(BigRational, Vec<Radical>), MathError> {
    if n == 0 || n > MAX_ROOT_INDEX {
        return Err(MathError::ExponentTooLarge {
            exponent: format!("root index {n}"),
        });
    }
    if q.is_zero() {
        return Ok((BigRational::zero(), Vec::new()));
    }
    if q.is_negative() && n.is_multiple_of(2) {
        return Err(MathError::NotRational(format!(
            "even root of the negative number {q}"
        )));
    }
    let sign = if q.is_negative() { -1 } else { 1 };
    let mut coeff = BigRational::from_integer(BigInt::from(sign));
    let mut exps: Vec<(u64, i64)> = Vec::new();
    for (part, s) in [(q.numer(), 1i64), (q.denom(), -1i64)] {
        let m = part
            .abs()
            .to_u64()
            .ok_or_else(|| limit("radicand over 64 bits"))?;
        for (p, e) in factor(m)? {
            exps.push((p, s * i64::from(e)));
        }
    }
    exps.sort_unstable();
    let mut out = Vec::new();
    for (p, e) in exps {
        carry(p, e, n, &mut coeff, &mut out)?;
    }
    Ok((coeff, out))
}

/// The product of two canonical radical lists: the merged list and the rational factor that
/// whole powers of primes contribute (`√6 · √3 = 3√2`).
pub(crate) fn mul(a: &[Radical], b: &[Radical]) -> Result<(BigRational, Vec<Radical>), MathError> {
    let mut coeff = BigRational::one();
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x.prime == y.prime => {
                let den = lcm(x.den, y.den)?;
                let num = x.num * (den / x.den) + y.num * (den / y.den);
                carry(x.prime, i64::from(num), den, &mut coeff, &mut out)?;
                i += 1;
                j += 1;
            }
            (Some(x), Some(y)) if x.prime < y.prime => {
                out.push(*x);
                i += 1;
            }
            (Some(x), None) => {
                out.push(*x);
                i += 1;
            }
            (_, Some(y)) => {
                out.push(*y);
                j += 1;
            }
            (None, None) => break,
        }
    }
    Ok((coeff, out))
}

/// The inverse of a radical product: `1/√2 = √2 / 2`.
pub(crate) fn inverse(a: &[Radical]) -> Result<(BigRational, Vec<Radical>), MathError> {
    let mut coeff = BigRational::one();
    let mut out = Vec::with_capacity(a.len());
    for r in a {
        carry(r.prime, -i64::from(r.num), r.den, &mut coeff, &mut out)?;
    }
    Ok((coeff, out))
}

fn lcm(a: u32, b: u32) -> Result<u32, MathError> {
    let l = u64::from(a) / u64::from(gcd(a, b)) * u64::from(b);
    u32::try_from(l)
        .ok()
        .filter(|l| *l <= MAX_ROOT_INDEX)
        .ok_or_else(|| MathError::ExponentTooLarge {
            exponent: format!("root index {l}"),
        })
}

/// Prime factorisation of `n ≥ 1`, bounded (see the module docs).
pub(crate) fn factor(mut n: u64) -> Result<Vec<(u64, u32)>, MathError> {
    let mut out = Vec::new();
    let mut take = |n: &mut u64, p: u64| {
        let mut e = 0;
        while (*n).is_multiple_of(p) {
            *n /= p;
            e += 1;
        }
        if e > 0 {
            out.push((p, e));
        }
    };
    take(&mut n, 2);
    let mut d = 3;
    while d < TRIAL_LIMIT && d * d <= n {
        take(&mut n, d);
        d += 2;
    }
    if n == 1 {
        return Ok(out);
    }
    // Every prime factor of the cofactor is at least `d`.
    if d.saturating_mul(d) > n || is_prime(n) {
        out.push((n, 1));
    } else if let Some(r) = exact_root(n, 2).filter(|r| is_prime(*r)) {
        out.push((r, 2));
    } else if let Some(r) = exact_root(n, 3).filter(|r| is_prime(*r)) {
        out.push((r, 3));
    } else {
        return Err(limit("radicand too hard to factor"));
    }
    out.sort_unstable();
    Ok(out)
}

fn exact_root(n: u64, k: u32) -> Option<u64> {
    let r = num_integer::Roots::nth_root(&n, k);
    (r.checked_pow(k) == Some(n)).then_some(r)
}

fn mul_mod(a: u64, b: u64, m: u64) -> u64 {
    (u128::from(a) * u128::from(b) % u128::from(m)) as u64
}

fn pow_mod(mut b: u64, mut e: u64, m: u64) -> u64 {
    let mut acc = 1 % m;
    b %= m;
    while e > 0 {
        if e & 1 == 1 {
            acc = mul_mod(acc, b, m);
        }
        b = mul_mod(b, b, m);
        e >>= 1;
    }
    acc
}

/// Deterministic Miller–Rabin for every `u64` (these twelve bases suffice below 3.3·10²⁴).
fn is_prime(n: u64) -> bool {
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    if n < 2 {
        return false;
    }
    for p in BASES {
        if n.is_multiple_of(p) {
            return n == p;
        }
    }
    let (mut d, mut s) = (n - 1, 0);
    while d.is_multiple_of(2) {
        d /= 2;
        s += 1;
    }
    'witness: for a in BASES {
        let mut x = pow_mod(a, d, n);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mul_mod(x, x, n);
            if x == n - 1 {
                continue 'witness;
            }
        }
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(s: &str) -> BigRational {
        s.parse().unwrap()
    }

    fn r(prime: u64, num: u32, den: u32) -> Radical {
        Radical { prime, num, den }
    }

    #[test]
    fn roots_are_canonical() {
        assert_eq!(root(&q("8"), 2).unwrap(), (q("2"), vec![r(2, 1, 2)]));
        assert_eq!(root(&q("1/2"), 2).unwrap(), (q("1/2"), vec![r(2, 1, 2)]));
        assert_eq!(root(&q("16"), 3).unwrap(), (q("2"), vec![r(2, 1, 3)]));
        assert_eq!(root(&q("-16"), 3).unwrap(), (q("-2"), vec![r(2, 1, 3)]));
        assert_eq!(root(&q("36"), 2).unwrap(), (q("6"), vec![]));
        assert_eq!(
            root(&q("12/5"), 2).unwrap(),
            (q("2/5"), vec![r(3, 1, 2), r(5, 1, 2)])
        );
        assert!(root(&q("-4"), 2).is_err());
    }

    #[test]
    fn products_carry_whole_powers() {
        let (c, v) = mul(&[r(2, 1, 2), r(3, 1, 2)], &[r(3, 1, 2)]).unwrap();
        assert_eq!((c, v), (q("3"), vec![r(2, 1, 2)]));
        let (c, v) = mul(&[r(2, 1, 2)], &[r(2, 1, 3)]).unwrap();
        assert_eq!((c, v), (q("1"), vec![r(2, 5, 6)]));
        assert_eq!(
            inverse(&[r(2, 1, 2)]).unwrap(),
            (q("1/2"), vec![r(2, 1, 2)])
        );
    }

    #[test]
    fn factoring_is_bounded_and_right() {
        assert_eq!(factor(360).unwrap(), vec![(2, 3), (3, 2), (5, 1)]);
        assert_eq!(factor(1_000_000_007).unwrap(), vec![(1_000_000_007, 1)]);
        let p = 4_294_967_291u64; // the largest prime below 2^32
        assert_eq!(factor(p * 3).unwrap(), vec![(3, 1), (p, 1)]);
        assert!(factor(65_537 * 65_539).is_err());
        assert!(is_prime(18_446_744_073_709_551_557));
    }
}

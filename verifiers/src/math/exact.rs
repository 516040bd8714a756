//! Exact rational arithmetic with a size bound checked before each operation.
//!
//! The bound is on bits (numerator plus denominator), checked from the operands' sizes before
//! any big-number work starts, so `2^100000000` or `9^9^9^9` is refused in microseconds
//! instead of allocating gigabytes.

use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::{MathError, MAX_BITS};

/// The largest root index accepted in `x^(p/q)` and `\sqrt[q]{x}`.
const MAX_ROOT: u32 = 64;

/// Bits of numerator plus denominator.
pub(crate) fn size(x: &BigRational) -> u64 {
    x.numer().bits() + x.denom().bits()
}

fn check(bits: u64) -> Result<(), MathError> {
    if bits > MAX_BITS {
        return Err(MathError::TooBig {
            bits,
            max: MAX_BITS,
        });
    }
    charge(bits)
}

/// The work budget of the current grading, per thread: `(units left, units given)`.
/// `None` outside [`with_work_budget`].
struct Budget {
    left: u64,
    given: u64,
    exceeded: bool,
}

thread_local! {
    static BUDGET: std::cell::RefCell<Option<Budget>> = const { std::cell::RefCell::new(None) };
}

/// Charges one operation on operands of `bits` bits: a unit per 64² bit pairs (big-number
/// multiplication and the gcd of normalizing a fraction are quadratic), at least one.
fn charge(bits: u64) -> Result<(), MathError> {
    BUDGET.with(|b| match b.borrow_mut().as_mut() {
        None => Ok(()),
        Some(budget) => {
            let cost = (bits * bits) / 4096 + 1;
            if budget.exceeded || cost > budget.left {
                budget.exceeded = true;
                budget.left = 0;
                Err(MathError::WorkBudget { max: budget.given })
            } else {
                budget.left -= cost;
                Ok(())
            }
        }
    })
}

/// Runs `f` with `units` of arithmetic work to spend on this thread (every step and the
/// answer of one attempt share them), and says whether it ran out. Deterministic: units count
/// operand sizes, not time.
pub fn with_work_budget<T>(units: u64, f: impl FnOnce() -> T) -> (T, bool) {
    let outer = BUDGET.with(|b| {
        b.borrow_mut().replace(Budget {
            left: units,
            given: units,
            exceeded: false,
        })
    });
    let out = f();
    let exceeded = BUDGET.with(|b| {
        let mut slot = b.borrow_mut();
        let exceeded = slot.as_ref().is_some_and(|b| b.exceeded);
        *slot = outer;
        exceeded
    });
    (out, exceeded)
}

/// Runs `f` under a work budget of `units` unless one is already set on this thread (then the
/// outer one counts: a verifier's budget covers an attempt's steps and answer together).
pub(crate) fn with_default_budget<T>(units: u64, f: impl FnOnce() -> T) -> T {
    if BUDGET.with(|b| b.borrow().is_some()) {
        f()
    } else {
        with_work_budget(units, f).0
    }
}

pub(crate) fn add(a: &BigRational, b: &BigRational) -> Result<BigRational, MathError> {
    check(size(a) + size(b) + 1)?;
    // Integers need no gcd (`Ratio`'s operators always reduce).
    if a.is_integer() && b.is_integer() {
        return Ok(BigRational::from_integer(a.numer() + b.numer()));
    }
    Ok(a + b)
}

pub(crate) fn sub(a: &BigRational, b: &BigRational) -> Result<BigRational, MathError> {
    check(size(a) + size(b) + 1)?;
    Ok(a - b)
}

pub(crate) fn mul(a: &BigRational, b: &BigRational) -> Result<BigRational, MathError> {
    check(size(a) + size(b))?;
    if a.is_integer() && b.is_integer() {
        return Ok(BigRational::from_integer(a.numer() * b.numer()));
    }
    Ok(a * b)
}

pub(crate) fn div(a: &BigRational, b: &BigRational) -> Result<BigRational, MathError> {
    if b.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    check(size(a) + size(b))?;
    Ok(a / b)
}

/// `base ^ exp` for a rational exponent: integer exponents directly, `p/q` through an exact
/// `q`-th root (an irrational result is [`MathError::NotRational`]).
pub(crate) fn pow(base: &BigRational, exp: &BigRational) -> Result<BigRational, MathError> {
    if exp.is_integer() {
        return pow_int(base, exp.numer());
    }
    // `(-8)^{2/6}` is 2 or undefined depending on whether the exponent is reduced first.
    if base.is_negative() {
        return Err(MathError::NotRational(format!(
            "a negative number to the fractional power {exp}"
        )));
    }
    let q = exp
        .denom()
        .to_u32()
        .filter(|q| *q <= MAX_ROOT)
        .ok_or_else(|| MathError::ExponentTooLarge {
            exponent: exp.to_string(),
        })?;
    let r = root(base, q)?;
    pow_int(&r, exp.numer())
}

fn pow_int(base: &BigRational, e: &BigInt) -> Result<BigRational, MathError> {
    if base.is_zero() {
        return match e.sign() {
            num_bigint::Sign::Plus => Ok(BigRational::zero()),
            num_bigint::Sign::NoSign => Err(MathError::ZeroToZero),
            num_bigint::Sign::Minus => Err(MathError::DivisionByZero),
        };
    }
    if base.abs().is_one() {
        let negative = base.is_negative() && e.is_odd();
        return Ok(if negative {
            -BigRational::one()
        } else {
            BigRational::one()
        });
    }
    let too_large = || MathError::ExponentTooLarge {
        exponent: short(&e.to_string()),
    };
    let mag = e.abs().to_u64().ok_or_else(too_large)?;
    check(size(base).saturating_mul(mag))?;
    let e32 = e.to_i32().ok_or_else(too_large)?;
    Ok(num_traits::Pow::pow(base, e32))
}

/// `n!` for a non-negative integer `n`, its size bounded before any work (`1000000!` is
/// refused at once).
pub(crate) fn factorial(n: &BigRational) -> Result<BigRational, MathError> {
    if !n.is_integer() || n.is_negative() {
        return Err(MathError::Syntax(format!(
            "factorial of {}, which is not a non-negative integer",
            short(&n.to_string())
        )));
    }
    let too_large = || MathError::TooBig {
        bits: u64::MAX,
        max: super::MAX_BITS,
    };
    let k = n.numer().to_u64().ok_or_else(too_large)?;
    // log2(k!) <= k * log2(k), rounded up: the bits of the result.
    let bits = k.saturating_mul(u64::from(64 - k.leading_zeros()));
    check(bits)?;
    let mut acc = BigInt::one();
    for i in 2..=k {
        acc *= i;
    }
    Ok(BigRational::from_integer(acc))
}

/// The exact `q`-th root of `x`, or [`MathError::NotRational`].
pub(crate) fn root(x: &BigRational, q: u32) -> Result<BigRational, MathError> {
    if q == 0 || q > MAX_ROOT {
        return Err(MathError::ExponentTooLarge {
            exponent: format!("root index {q}"),
        });
    }
    if x.is_negative() && q.is_multiple_of(2) {
        return Err(MathError::NotRational(format!("even root of {x}")));
    }
    let n = int_root(x.numer(), q);
    let d = int_root(x.denom(), q);
    match (n, d) {
        (Some(n), Some(d)) => Ok(BigRational::new(n, d)),
        _ => Err(MathError::NotRational(format!("root {q} of {x}"))),
    }
}

fn int_root(n: &BigInt, q: u32) -> Option<BigInt> {
    let r = n.nth_root(q);
    (num_traits::Pow::pow(&r, q) == *n).then_some(r)
}

/// The first 40 characters of a long number, for error messages.
pub(crate) fn short(s: &str) -> String {
    if s.len() <= 40 {
        s.to_string()
    } else {
        format!("{}… ({} digits)", &s[..40], s.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i64, d: i64) -> BigRational {
        BigRational::new(n.into(), d.into())
    }

    #[test]
    fn powers_and_roots() {
        assert_eq!(pow(&r(2, 1), &r(10, 1)).unwrap(), r(1024, 1));
        assert_eq!(pow(&r(2, 1), &r(-2, 1)).unwrap(), r(1, 4));
        assert_eq!(pow(&r(4, 9), &r(1, 2)).unwrap(), r(2, 3));
        // `(-8)^{2/6}` would be 2 or undefined by the order of reduction: refused (the root
        // `\sqrt[3]{-8}` is still -2).
        assert!(pow(&r(-8, 1), &r(1, 3)).is_err());
        assert_eq!(root(&r(-8, 1), 3).unwrap(), r(-2, 1));
        assert!(matches!(
            pow(&r(2, 1), &r(1, 2)),
            Err(MathError::NotRational(_))
        ));
        assert!(matches!(
            pow(&r(0, 1), &r(0, 1)),
            Err(MathError::ZeroToZero)
        ));
        assert_eq!(
            pow(
                &r(-1, 1),
                &BigRational::from_integer(BigInt::from(10).pow(100u32))
            )
            .unwrap(),
            r(1, 1)
        );
    }

    #[test]
    fn huge_powers_are_refused_before_work() {
        let e = pow(&r(2, 1), &r(100_000_000, 1)).unwrap_err();
        assert!(e.is_limit(), "{e}");
        let e = pow(
            &r(9, 1),
            &BigRational::from_integer(BigInt::from(10).pow(50u32)),
        )
        .unwrap_err();
        assert!(e.is_limit(), "{e}");
    }
}

//! Arithmetic chains: multi-step + − × ÷ with integers and exact fractions.
//!
//! A problem is a random expression tree over a left-to-right row of operands: adjacent pairs are
//! combined until one tree remains, so the shape (and with it the nesting of parentheses) is
//! random while every operand keeps its place. Difficulty adds operations, larger operands,
//! fractions and negative numbers; lower levels keep every intermediate result a non-negative
//! integer, as school exercises do.

use mull_data::Family;
use mull_data::Problem;
use num_bigint::BigInt;
use num_traits::{One, Signed, Zero};
use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::expr::{fmt_q, q, Expr, Kind, Op, Q};
use crate::{GenError, Generator, Request};

pub(crate) struct Arithmetic;

const VERSION: u32 = 1;
const LEVELS: u8 = 6;

/// The knobs of one difficulty level.
struct Level {
    /// Number of operands (inclusive range).
    operands: (usize, usize),
    /// Largest integer operand.
    max_int: i64,
    /// Allow results that are not integers (non-exact division, fraction operands).
    fractions: bool,
    /// Probability that an operand is a fraction `a/b` (when fractions are allowed).
    fraction_leaf: f64,
    /// Probability that an operand is negative.
    negative_leaf: f64,
    /// Bound on |numerator| and denominator of every intermediate result.
    bound: i64,
    /// Always combine the leftmost pair: a flat chain, read left to right.
    chain: bool,
}

fn level(d: u8) -> Level {
    match d {
        1 => Level {
            operands: (3, 3),
            max_int: 20,
            fractions: false,
            fraction_leaf: 0.0,
            negative_leaf: 0.0,
            bound: 1_000,
            chain: true,
        },
        2 => Level {
            operands: (3, 4),
            max_int: 50,
            fractions: false,
            fraction_leaf: 0.0,
            negative_leaf: 0.0,
            bound: 5_000,
            chain: true,
        },
        3 => Level {
            operands: (4, 5),
            max_int: 100,
            fractions: false,
            fraction_leaf: 0.0,
            negative_leaf: 0.0,
            bound: 100_000,
            chain: false,
        },
        4 => Level {
            operands: (4, 5),
            max_int: 30,
            fractions: true,
            fraction_leaf: 0.25,
            negative_leaf: 0.0,
            bound: 10_000,
            chain: false,
        },
        5 => Level {
            operands: (5, 6),
            max_int: 50,
            fractions: true,
            fraction_leaf: 0.25,
            negative_leaf: 0.2,
            bound: 50_000,
            chain: false,
        },
        _ => Level {
            operands: (6, 8),
            max_int: 200,
            fractions: true,
            fraction_leaf: 0.2,
            negative_leaf: 0.2,
            bound: 1_000_000,
            chain: false,
        },
    }
}

impl Generator for Arithmetic {
    fn family(&self) -> &'static str {
        Family::Arithmetic.as_str()
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn levels(&self) -> u8 {
        LEVELS
    }
    fn build(&self, req: &Request) -> Result<Problem, GenError> {
        req.check_level(Family::Arithmetic.as_str(), LEVELS)?;
        let mut rng = req.rng(VERSION);
        let lv = level(req.difficulty);
        let expr = build_expr(&mut rng, &lv);
        let shown = expr.display();
        let lead = [
            format!("Compute {shown}."),
            format!("Evaluate the expression {shown}."),
            format!("What is the exact value of {shown}?"),
            format!("Calculate {shown}, working exactly (no decimals)."),
        ];
        let lead = lead.choose(&mut rng).cloned().unwrap_or_default();
        let format = if lv.fractions {
            "Give the result as an integer or as a fraction a/b in lowest terms."
        } else {
            "Give the result as an integer."
        };
        let prompt = format!(
            "{lead} {format} Think step by step, writing one calculation per line, then give the final answer on a line `Answer: <value>`."
        );
        let payload = serde_json::json!({ "expression": shown });
        Ok(req.problem(
            Family::Arithmetic.as_str(),
            VERSION,
            prompt,
            fmt_q(&expr.value),
            expr.steps(),
            payload,
        ))
    }
}

fn build_expr(rng: &mut ChaCha8Rng, lv: &Level) -> Expr {
    let n = rng.random_range(lv.operands.0..=lv.operands.1);
    let mut row: Vec<Expr> = (0..n).map(|_| Expr::leaf(operand(rng, lv))).collect();
    while row.len() > 1 {
        let i = if lv.chain {
            0
        } else {
            rng.random_range(0..row.len() - 1)
        };
        let r = row.remove(i + 1);
        let l = row.remove(i);
        row.insert(i, combine(rng, lv, l, r));
    }
    row.pop().unwrap_or_else(|| Expr::leaf(q(0)))
}

fn operand(rng: &mut ChaCha8Rng, lv: &Level) -> Q {
    let mut v = if lv.fractions && rng.random_bool(lv.fraction_leaf) {
        let den = rng.random_range(2..=9i64);
        let mut num = rng.random_range(1..=2 * den);
        if num % den == 0 {
            num += 1;
        }
        Q::new(BigInt::from(num), BigInt::from(den))
    } else {
        q(rng.random_range(1..=lv.max_int))
    };
    if lv.negative_leaf > 0.0 && rng.random_bool(lv.negative_leaf) {
        v = -v;
    }
    v
}

fn within(v: &Q, lv: &Level) -> bool {
    let b = BigInt::from(lv.bound);
    v.numer().abs() <= b && v.denom() <= &b
}

/// Joins `l` and `r` with a random operator that keeps the level's rules; `+` is the fallback,
/// which always keeps them at the lower levels since operands are positive there.
fn combine(rng: &mut ChaCha8Rng, lv: &Level, l: Expr, mut r: Expr) -> Expr {
    for _ in 0..8 {
        let op = *Op::ALL.choose(rng).unwrap_or(&Op::Add);
        if op == Op::Div && !lv.fractions && !divides(&r.value, &l.value) {
            // Make exact division common: swap a leaf divisor for a divisor of the dividend.
            if let (Kind::Leaf, Some(d)) = (&r.kind, small_divisor(rng, &l.value, lv.max_int)) {
                r = Expr::leaf(q(d));
            } else {
                continue;
            }
        }
        if op == Op::Mul && (r.value.is_one() || l.value.is_one()) {
            continue;
        }
        let Some(e) = Expr::bin(op, l.clone(), r.clone()) else {
            continue;
        };
        if !within(&e.value, lv)
            || (!lv.fractions && (e.value.is_negative() || !e.value.is_integer()))
        {
            continue;
        }
        return e;
    }
    let sum = Expr::bin(Op::Add, l.clone(), r.clone());
    sum.unwrap_or(l)
}

fn divides(d: &Q, n: &Q) -> bool {
    !d.is_zero() && d.is_integer() && n.is_integer() && (n.numer() % d.numer()).is_zero()
}

/// A divisor of the integer `n` in `2..=max` other than `n` itself, if there is one.
fn small_divisor(rng: &mut ChaCha8Rng, n: &Q, max: i64) -> Option<i64> {
    if !n.is_integer() || n.is_zero() {
        return None;
    }
    let n: i64 = n.numer().abs().try_into().ok()?;
    let ds: Vec<i64> = (2..=max.min(n / 2)).filter(|d| n % d == 0).collect();
    ds.choose(rng).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_eval::eval;

    #[test]
    fn gold_answers_and_steps_check_with_an_independent_evaluator() {
        for d in 1..=LEVELS {
            for i in 0..1000 {
                let p = Arithmetic.generate(11, i, d, None).expect("valid request");
                let expr = p.payload["expression"]
                    .as_str()
                    .expect("expression in payload");
                assert!(p.prompt.contains(expr), "{}", p.prompt);
                let value = eval(expr).expect("prompt expression evaluates");
                assert_eq!(
                    value,
                    eval(&p.answer).expect("answer parses"),
                    "{expr} -> {}",
                    p.answer
                );
                assert_eq!(p.answer, fmt_q(&value));
                assert!(!p.reference.is_empty());
                for step in &p.reference {
                    let (lhs, rhs) = step.split_once(" = ").expect("step is an equation");
                    assert_eq!(eval(lhs), eval(rhs), "step `{step}` of {expr}");
                }
                let last = p
                    .reference
                    .last()
                    .map(|s| s.rsplit(" = ").next().unwrap_or_default());
                assert_eq!(last, Some(p.answer.as_str()));
                if d <= 3 {
                    assert!(
                        value.is_integer() && !value.is_negative(),
                        "{expr} = {value}"
                    );
                }
            }
        }
    }

    #[test]
    fn difficulty_grows_the_chain() {
        let ops = |d| {
            (0..200)
                .map(|i| {
                    Arithmetic
                        .generate(3, i, d, None)
                        .map(|p| p.reference.len())
                        .unwrap_or(0)
                })
                .sum::<usize>()
        };
        assert!(ops(1) < ops(3) && ops(3) < ops(6));
        let fractions = (0..200)
            .filter(|i| {
                Arithmetic
                    .generate(3, *i, 5, None)
                    .map(|p| p.answer.contains('/'))
                    .unwrap_or(false)
            })
            .count();
        assert!(
            fractions > 20,
            "only {fractions} fractional answers at level 5"
        );
    }
}

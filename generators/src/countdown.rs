//! Countdown: reach a target from given numbers, each used at most once, with + − × ÷.
//!
//! The target is made by building a random expression tree over a random subset of the numbers,
//! keeping every intermediate result a positive integer (as the game's rules demand), so a
//! solution always exists; that solution is the gold answer and its operations the steps.
//! Difficulty adds numbers, uses more of them, and raises the target.

use mull_data::Family;
use mull_data::{CountdownPayload, Problem};
use num_bigint::BigInt;
use num_traits::{One, ToPrimitive};
use rand::seq::{IndexedRandom, SliceRandom};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::expr::{q, Expr, Op};
use crate::{GenError, Generator, Request};

pub(crate) struct Countdown;

const VERSION: u32 = 1;
const LEVELS: u8 = 6;

struct Level {
    /// How many numbers are offered.
    numbers: usize,
    /// How many large numbers (25, 50, 75, 100) at most are among them.
    large: usize,
    /// How many of the numbers the intended solution uses.
    used: (usize, usize),
    /// The range the target should fall in.
    target: (i64, i64),
}

fn level(d: u8) -> Level {
    match d {
        1 => Level {
            numbers: 3,
            large: 0,
            used: (2, 3),
            target: (10, 100),
        },
        2 => Level {
            numbers: 4,
            large: 1,
            used: (3, 3),
            target: (10, 200),
        },
        3 => Level {
            numbers: 5,
            large: 1,
            used: (3, 4),
            target: (20, 400),
        },
        4 => Level {
            numbers: 6,
            large: 2,
            used: (4, 5),
            target: (100, 999),
        },
        5 => Level {
            numbers: 6,
            large: 2,
            used: (5, 6),
            target: (100, 999),
        },
        _ => Level {
            numbers: 7,
            large: 3,
            used: (5, 7),
            target: (100, 2000),
        },
    }
}

/// Bound on intermediate results, so products stay in a range people compute by hand.
const BOUND: i64 = 20_000;

impl Generator for Countdown {
    fn family(&self) -> &'static str {
        Family::Countdown.as_str()
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn levels(&self) -> u8 {
        LEVELS
    }
    fn build(&self, req: &Request) -> Result<Problem, GenError> {
        req.check_level(Family::Countdown.as_str(), LEVELS)?;
        let mut rng = req.rng(VERSION);
        let lv = level(req.difficulty);
        let (numbers, expr, target) = puzzle(&mut rng, &lv);
        let list = numbers
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let prompt = format!(
            "Using the numbers {list}, make {target}. You may use +, -, * and / with parentheses; each number can be used at most once and you do not have to use all of them. Every intermediate result must be a positive whole number, so division must be exact. Think step by step, writing one operation per line (such as `25 - 3 = 22`), then give the final answer on a line `Answer: <expression>` with a single expression that evaluates to {target}."
        );
        let payload =
            serde_json::to_value(CountdownPayload { numbers, target }).unwrap_or_default();
        Ok(req.problem(
            Family::Countdown.as_str(),
            VERSION,
            prompt,
            expr.display(),
            expr.steps(),
            payload,
        ))
    }
}

fn draw_numbers(rng: &mut ChaCha8Rng, lv: &Level) -> Vec<i64> {
    let large_n = rng.random_range(0..=lv.large);
    let mut large = vec![25, 50, 75, 100];
    large.shuffle(rng);
    let mut numbers: Vec<i64> = large.into_iter().take(large_n).collect();
    // As in the game, each small number is available twice.
    let mut small: Vec<i64> = (1..=10).chain(1..=10).collect();
    small.shuffle(rng);
    numbers.extend(small.into_iter().take(lv.numbers - large_n));
    numbers.shuffle(rng);
    numbers
}

/// The offered numbers, the intended solution and its value (the target).
fn puzzle(rng: &mut ChaCha8Rng, lv: &Level) -> (Vec<i64>, Expr, i64) {
    let mut last = None;
    for _ in 0..64 {
        let numbers = draw_numbers(rng, lv);
        let mut subset = numbers.clone();
        subset.shuffle(rng);
        subset.truncate(rng.random_range(lv.used.0..=lv.used.1));
        let expr = tree(rng, &subset);
        let Some(target) = expr.value.to_integer().to_i64() else {
            continue;
        };
        let good = (lv.target.0..=lv.target.1).contains(&target) && !numbers.contains(&target);
        if good {
            return (numbers, expr, target);
        }
        last = Some((numbers, expr, target));
    }
    // Rare: no draw landed in the preferred range; the last puzzle is still solvable.
    last.unwrap_or_else(|| {
        (
            vec![1, 2],
            Expr::bin(Op::Add, Expr::leaf(q(1)), Expr::leaf(q(2))).unwrap_or(Expr::leaf(q(3))),
            3,
        )
    })
}

fn tree(rng: &mut ChaCha8Rng, subset: &[i64]) -> Expr {
    let mut row: Vec<Expr> = subset.iter().map(|n| Expr::leaf(q(*n))).collect();
    while row.len() > 1 {
        let i = rng.random_range(0..row.len() - 1);
        let r = row.remove(i + 1);
        let l = row.remove(i);
        row.insert(i, combine(rng, l, r));
    }
    row.pop().unwrap_or_else(|| Expr::leaf(q(0)))
}

fn as_int(e: &Expr) -> i64 {
    e.value.to_integer().to_i64().unwrap_or(0)
}

/// A random operation on two positive integers whose result is a positive integer within
/// [`BOUND`], avoiding the do-nothing moves `× 1` and `÷ 1`; `+` is the fallback.
fn combine(rng: &mut ChaCha8Rng, l: Expr, r: Expr) -> Expr {
    let (a, b) = (as_int(&l), as_int(&r));
    for _ in 0..6 {
        let op = *Op::ALL.choose(rng).unwrap_or(&Op::Add);
        let (x, y) = match op {
            Op::Sub if a == b => continue,
            Op::Sub if a < b => (r.clone(), l.clone()),
            Op::Mul if a == 1 || b == 1 || a * b > BOUND => continue,
            Op::Div if b > 1 && a % b == 0 => (l.clone(), r.clone()),
            Op::Div if a > 1 && b % a == 0 => (r.clone(), l.clone()),
            Op::Div => continue,
            _ => (l.clone(), r.clone()),
        };
        if let Some(e) = Expr::bin(op, x, y) {
            if e.value.is_integer()
                && e.value >= q(1)
                && e.value.numer() <= &BigInt::from(BOUND)
                && !e.value.is_one()
            {
                return e;
            }
        }
    }
    let sum = Expr::bin(Op::Add, l.clone(), r);
    sum.unwrap_or(l)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_eval::eval;
    use std::collections::HashMap;

    #[test]
    fn answers_reach_the_target_using_each_number_at_most_once() {
        for d in 1..=LEVELS {
            for i in 0..1000 {
                let p = Countdown.generate(2, i, d, None).expect("valid request");
                let pl: CountdownPayload = p.payload_as().expect("typed payload");
                assert_eq!(
                    eval(&p.answer),
                    Some(q(pl.target)),
                    "{} != {}",
                    p.answer,
                    pl.target
                );
                let mut avail: HashMap<i64, i32> = HashMap::new();
                for n in &pl.numbers {
                    *avail.entry(*n).or_default() += 1;
                }
                for tok in p
                    .answer
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|t| !t.is_empty())
                {
                    let n: i64 = tok.parse().expect("number");
                    let left = avail.entry(n).or_default();
                    *left -= 1;
                    assert!(
                        *left >= 0,
                        "{n} overused in {} from {:?}",
                        p.answer,
                        pl.numbers
                    );
                }
                for step in &p.reference {
                    let (l, r) = step.split_once(" = ").expect("equation");
                    let v = eval(r).expect("integer result");
                    assert_eq!(eval(l), Some(v.clone()), "{step}");
                    assert!(v.is_integer() && v >= q(1), "{step}");
                }
                assert!(p
                    .reference
                    .last()
                    .is_some_and(|s| s.ends_with(&format!("= {}", pl.target))));
            }
        }
    }

    #[test]
    fn targets_mostly_fall_in_the_level_range() {
        for d in 1..=LEVELS {
            let lv = level(d);
            let inside = (0..300)
                .filter_map(|i| Countdown.generate(9, i, d, None).ok())
                .filter_map(|p| p.payload_as::<CountdownPayload>().ok())
                .filter(|pl| {
                    (lv.target.0..=lv.target.1).contains(&pl.target)
                        && pl.numbers.len() == lv.numbers
                })
                .count();
            assert!(inside >= 290, "level {d}: only {inside}/300 in range");
        }
    }
}

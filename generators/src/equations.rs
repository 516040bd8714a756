//! Linear equations: one unknown at the lower levels (with brackets and rational solutions as
//! difficulty rises), a 2×2 system at the top levels.
//!
//! Every reference step is an equation that holds when the solution is substituted, so a step
//! checker can verify each line exactly and a wrong number makes its line false. Products of a
//! coefficient and a variable are written implicitly (`3x`), products of numbers explicitly.

use mull_data::Family;
use mull_data::{EquationsPayload, Problem};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};
use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::expr::{fmt_q, operand, q, Op, Q};
use crate::{GenError, Generator, Request};

pub(crate) struct Equations;

const VERSION: u32 = 1;
const LEVELS: u8 = 6;

/// A generated equation problem before it is worded.
pub(crate) struct Parts {
    pub(crate) equations: Vec<String>,
    pub(crate) variables: Vec<(char, Q)>,
    pub(crate) steps: Vec<String>,
}

impl Generator for Equations {
    fn family(&self) -> &'static str {
        Family::Equations.as_str()
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn levels(&self) -> u8 {
        LEVELS
    }
    fn build(&self, req: &Request) -> Result<Problem, GenError> {
        req.check_level(Family::Equations.as_str(), LEVELS)?;
        let mut rng = req.rng(VERSION);
        let parts = parts(&mut rng, req.difficulty);
        let (prompt, answer) = if let [(v, value)] = parts.variables.as_slice() {
            let eq = &parts.equations[0];
            let lead = [
                format!("Solve for {v}: {eq}."),
                format!("Find the value of {v} that satisfies {eq}."),
                format!("Solve the equation {eq} for {v}."),
            ];
            let lead = lead.choose(&mut rng).cloned().unwrap_or_default();
            let prompt = format!(
                "{lead} Give {v} as an integer or a fraction in lowest terms (such as -7/3). Think step by step, writing one equation per line, then give the final answer on a line `Answer: <value>`."
            );
            (prompt, fmt_q(value))
        } else {
            let names: Vec<String> = parts.variables.iter().map(|(v, _)| v.to_string()).collect();
            let (a, b) = (names[0].as_str(), names[1].as_str());
            let prompt = format!(
                "Solve the system of equations\n{}\n{}\nfor {a} and {b}. Give the solution as an ordered pair ({a}, {b}) of integers or fractions in lowest terms (such as -7/3). Think step by step, writing one equation per line, then give the final answer on a line `Answer: ({a}, {b})`.",
                parts.equations[0], parts.equations[1]
            );
            let values: Vec<String> = parts.variables.iter().map(|(_, x)| fmt_q(x)).collect();
            (prompt, format!("({})", values.join(", ")))
        };
        let payload = EquationsPayload {
            variables: parts
                .variables
                .iter()
                .map(|(v, x)| (v.to_string(), fmt_q(x)))
                .collect(),
        };
        let payload = serde_json::to_value(payload).unwrap_or_default();
        Ok(req.problem(
            Family::Equations.as_str(),
            VERSION,
            prompt,
            answer,
            parts.steps,
            payload,
        ))
    }
}

pub(crate) fn parts(rng: &mut ChaCha8Rng, difficulty: u8) -> Parts {
    let mut parts = draw(rng, difficulty);
    // A zero solution makes `x = 0 / 5` true whatever the divisor, so a corrupted step could go
    // unnoticed (and it is a dull answer): redraw, a bounded number of times.
    for _ in 0..32 {
        if parts.variables.iter().all(|(_, v)| !v.is_zero()) {
            break;
        }
        parts = draw(rng, difficulty);
    }
    parts
}

fn draw(rng: &mut ChaCha8Rng, difficulty: u8) -> Parts {
    if difficulty <= 4 {
        one_unknown(rng, difficulty)
    } else {
        system(rng, difficulty)
    }
}

fn nonzero(rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> i64 {
    let v = rng.random_range(lo..=hi);
    if v == 0 {
        hi
    } else {
        v
    }
}

/// `k` times variable `v`: `3x`, `x`, `-x`.
fn term(k: &Q, v: char) -> String {
    if k.is_one() {
        v.to_string()
    } else if k == &-Q::one() {
        format!("-{v}")
    } else {
        format!("{}{v}", fmt_q(k))
    }
}

/// Joins signed parts: the first keeps its sign, later ones become ` + p` / ` - p`.
fn join(parts: &[String]) -> String {
    let mut s = String::new();
    for (i, p) in parts.iter().enumerate() {
        match (i, p.strip_prefix('-')) {
            (0, _) => s.push_str(p),
            (_, Some(rest)) => {
                s.push_str(" - ");
                s.push_str(rest);
            }
            _ => {
                s.push_str(" + ");
                s.push_str(p);
            }
        }
    }
    s
}

/// `a - b` with the sign of a negative `b` folded: `12 - 5`, `12 + 5` for `b = -5`.
fn minus(a: &Q, b: &Q) -> String {
    if b.is_negative() {
        format!("{} + {}", fmt_q(a), fmt_q(&-b))
    } else {
        format!("{} - {}", fmt_q(a), fmt_q(b))
    }
}

/// `k(v + c)`, e.g. `3(x - 2)`, `-(x + 4)`.
fn bracket(k: i64, v: char, c: i64) -> String {
    let inner = join(&[v.to_string(), c.to_string()]);
    match k {
        1 => format!("({inner})"),
        -1 => format!("-({inner})"),
        _ => format!("{k}({inner})"),
    }
}

/// Steps from `a v + b = c v + d` (already written) to the solution.
fn solve_steps(steps: &mut Vec<String>, v: char, a: &Q, b: &Q, c: &Q, d: &Q) -> Q {
    let k = a - c;
    let r = d - b;
    let lhs: Vec<String> = [term(a, v), term(&-c, v)]
        .into_iter()
        .zip([a, c])
        .filter(|(_, k)| !k.is_zero())
        .map(|(t, _)| t)
        .collect();
    let lhs = join(&lhs);
    let rhs = if b.is_zero() { fmt_q(d) } else { minus(d, b) };
    steps.push(format!("{lhs} = {rhs}"));
    steps.push(format!("{} = {}", term(&k, v), fmt_q(&r)));
    let x = &r / &k;
    if !k.is_one() {
        steps.push(format!(
            "{v} = {} / {}",
            operand(&r, Some(Op::Div)),
            operand(&k, Some(Op::Div))
        ));
        steps.push(format!("{v} = {}", fmt_q(&x)));
    }
    x
}

fn one_unknown(rng: &mut ChaCha8Rng, difficulty: u8) -> Parts {
    let v = *['x', 'y', 'n', 't', 'z'].choose(rng).unwrap_or(&'x');
    let mut steps = Vec::new();
    let equation;
    let x;
    match difficulty {
        1 => {
            let (a, sol, b) = (
                rng.random_range(2..=9),
                nonzero(rng, -10, 10),
                nonzero(rng, -20, 20),
            );
            let c = a * sol + b;
            equation = format!("{} = {c}", join(&[term(&q(a), v), b.to_string()]));
            steps.push(equation.clone());
            x = solve_steps(&mut steps, v, &q(a), &q(b), &q(0), &q(c));
        }
        2 => {
            let a = nonzero(rng, -9, 12);
            let mut c = nonzero(rng, -9, 9);
            if c == a {
                c = a + 1 + rng.random_range(0..3);
            }
            let (sol, b) = (nonzero(rng, -12, 12), nonzero(rng, -30, 30));
            let d = (a - c) * sol + b;
            equation = format!(
                "{} = {}",
                join(&[term(&q(a), v), b.to_string()]),
                join(&[term(&q(c), v), d.to_string()])
            );
            steps.push(equation.clone());
            x = solve_steps(&mut steps, v, &q(a), &q(b), &q(c), &q(d));
        }
        3 => {
            // a(v + b) = c v + d; the solution (d - ab)/(a - c) is rational in general.
            let a = nonzero(rng, -9, 9);
            let mut c = nonzero(rng, -9, 9);
            if c == a {
                c = -a;
            }
            let (b, d) = (nonzero(rng, -12, 12), nonzero(rng, -40, 40));
            equation = format!(
                "{} = {}",
                bracket(a, v, b),
                join(&[term(&q(c), v), d.to_string()])
            );
            steps.push(equation.clone());
            steps.push(format!(
                "{} = {}",
                join(&[term(&q(a), v), (a * b).to_string()]),
                join(&[term(&q(c), v), d.to_string()])
            ));
            x = solve_steps(&mut steps, v, &q(a), &q(a * b), &q(c), &q(d));
        }
        _ => {
            // a(v + b) + c(v + e) = f v + g: expand, collect, solve.
            let (a, c) = (nonzero(rng, -9, 9), nonzero(rng, -9, 9));
            let mut f = nonzero(rng, -9, 9);
            if f == a + c {
                f += 1 + rng.random_range(0..3);
            }
            let (b, e, g) = (
                nonzero(rng, -15, 15),
                nonzero(rng, -15, 15),
                nonzero(rng, -60, 60),
            );
            let rhs = join(&[term(&q(f), v), g.to_string()]);
            equation = format!("{} = {rhs}", join(&[bracket(a, v, b), bracket(c, v, e)]));
            steps.push(equation.clone());
            let expanded = join(&[
                term(&q(a), v),
                (a * b).to_string(),
                term(&q(c), v),
                (c * e).to_string(),
            ]);
            steps.push(format!("{expanded} = {rhs}"));
            let (ac, be) = (a + c, a * b + c * e);
            let collected = match (ac, be) {
                (0, _) => be.to_string(),
                (_, 0) => term(&q(ac), v),
                _ => join(&[term(&q(ac), v), be.to_string()]),
            };
            steps.push(format!("{collected} = {rhs}"));
            x = solve_steps(&mut steps, v, &q(ac), &q(be), &q(f), &q(g));
        }
    }
    Parts {
        equations: vec![equation],
        variables: vec![(v, x)],
        steps,
    }
}

fn system(rng: &mut ChaCha8Rng, difficulty: u8) -> Parts {
    let (u, w) = *[('x', 'y'), ('a', 'b'), ('m', 'n'), ('p', 'q')]
        .choose(rng)
        .unwrap_or(&('x', 'y'));
    let lim = if difficulty == 5 { 6 } else { 9 };
    let (a, b, mut c, d) = (
        nonzero(rng, -lim, lim),
        nonzero(rng, -lim, lim),
        nonzero(rng, -lim, lim),
        nonzero(rng, -lim, lim),
    );
    if a * d == b * c {
        // A singular system: change one coefficient (nonzero, since |c| + 1 > 0 keeps the sign).
        c += c.signum();
    }
    let (e, f) = if difficulty == 5 {
        let (x0, y0) = (nonzero(rng, -9, 9), nonzero(rng, -9, 9));
        (a * x0 + b * y0, c * x0 + d * y0)
    } else {
        (nonzero(rng, -40, 40), nonzero(rng, -40, 40))
    };
    let eq = |p: i64, r: i64, s: i64| format!("{} = {s}", join(&[term(&q(p), u), term(&q(r), w)]));
    let (eq1, eq2) = (eq(a, b, e), eq(c, d, f));
    // Eliminate the second unknown: scale so both of its coefficients equal b*d/g, subtract.
    let g = BigInt::from(b).gcd(&BigInt::from(d));
    let g: i64 = g.try_into().unwrap_or(1);
    let (mut m1, mut m2) = (d / g, b / g);
    if m1 < 0 {
        m1 = -m1;
        m2 = -m2;
    }
    let mut steps = Vec::new();
    let (l1, l2) = (eq(a * m1, b * m1, e * m1), eq(c * m2, d * m2, f * m2));
    if m1 != 1 {
        steps.push(l1.clone());
    }
    if m2 != 1 {
        steps.push(l2.clone());
    }
    let side = |s: &str| s.split(" = ").next().unwrap_or_default().to_string();
    steps.push(format!(
        "({}) - ({}) = {} - {}",
        side(&l1),
        side(&l2),
        e * m1,
        operand(&q(f * m2), Some(Op::Sub))
    ));
    let (k, r) = (q(a * m1 - c * m2), q(e * m1 - f * m2));
    steps.push(format!("{} = {}", term(&k, u), fmt_q(&r)));
    let x = &r / &k;
    if !k.is_one() {
        steps.push(format!(
            "{u} = {} / {}",
            operand(&r, Some(Op::Div)),
            operand(&k, Some(Op::Div))
        ));
        steps.push(format!("{u} = {}", fmt_q(&x)));
    }
    // Back-substitute into the first equation.
    let ax = q(a) * &x;
    let (bq, eq_) = (q(b), q(e));
    let prod = if a == 1 {
        operand(&x, Some(Op::Add))
    } else {
        format!("{a} * {}", operand(&x, Some(Op::Mul)))
    };
    steps.push(format!("{} = {e}", join(&[prod, term(&bq, w)])));
    steps.push(format!("{} = {e}", join(&[fmt_q(&ax), term(&bq, w)])));
    steps.push(format!(
        "{} = {e} - {}",
        term(&bq, w),
        operand(&ax, Some(Op::Sub))
    ));
    let rest = &eq_ - &ax;
    steps.push(format!("{} = {}", term(&bq, w), fmt_q(&rest)));
    let y = &rest / &bq;
    if !bq.is_one() {
        steps.push(format!(
            "{w} = {} / {}",
            operand(&rest, Some(Op::Div)),
            operand(&bq, Some(Op::Div))
        ));
        steps.push(format!("{w} = {}", fmt_q(&y)));
    }
    Parts {
        equations: vec![eq1, eq2],
        variables: vec![(u, x), (w, y)],
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_eval::eval_with;
    use rand::SeedableRng;

    fn holds(eq: &str, vars: &[(char, Q)]) -> bool {
        let Some((l, r)) = eq.split_once(" = ") else {
            return false;
        };
        matches!((eval_with(l, vars), eval_with(r, vars)), (Some(a), Some(b)) if a == b)
    }

    #[test]
    fn solutions_satisfy_the_equations_and_every_step() {
        for d in 1..=LEVELS {
            for i in 0..1000u64 {
                let mut rng = ChaCha8Rng::seed_from_u64(i * 31 + u64::from(d));
                let p = parts(&mut rng, d);
                assert_eq!(p.variables.len(), if d <= 4 { 1 } else { 2 });
                for eq in p.equations.iter().chain(&p.steps) {
                    assert!(
                        holds(eq, &p.variables),
                        "level {d}: `{eq}` fails for {:?} ({:?})",
                        p.variables,
                        p.equations
                    );
                }
                // The last step states the (last) unknown's value.
                let (v, x) = p.variables.last().cloned().unwrap_or(('?', q(0)));
                assert_eq!(
                    p.steps.last().cloned(),
                    Some(format!("{v} = {}", fmt_q(&x)))
                );
            }
        }
    }

    #[test]
    fn a_wrong_number_in_a_step_makes_it_false() {
        for i in 0..300u64 {
            let mut rng = ChaCha8Rng::seed_from_u64(i);
            let p = parts(&mut rng, (i % 6 + 1) as u8);
            for step in &p.steps {
                // Bump the last number of the step by one.
                let end = step.rfind(|c: char| c.is_ascii_digit()).unwrap_or(0);
                let start = step[..=end]
                    .rfind(|c: char| !c.is_ascii_digit())
                    .map_or(0, |s| s + 1);
                let n: i64 = step[start..=end].parse().unwrap_or(0);
                let bad = format!("{}{}{}", &step[..start], n + 1, &step[end + 1..]);
                assert!(
                    !holds(&bad, &p.variables),
                    "corrupted `{bad}` still holds for {:?}",
                    p.variables
                );
            }
        }
    }

    #[test]
    fn problems_read_well() {
        let p = Equations.generate(5, 1, 1, None).expect("valid");
        assert!(p.prompt.contains("Answer: <value>"), "{}", p.prompt);
        let p = Equations.generate(5, 1, 6, None).expect("valid");
        assert!(
            p.answer.starts_with('(') && p.answer.contains(", "),
            "{}",
            p.answer
        );
        let payload: EquationsPayload = p.payload_as().expect("typed payload");
        assert_eq!(payload.variables.len(), 2);
    }
}

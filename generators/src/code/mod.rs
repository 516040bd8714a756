//! The code family: write a small Python function from a specification.
//!
//! Each template (in `strings.rs`, `lists.rs`, `numbers.rs`) draws its parameters and test
//! inputs from the problem's seed, states the specification (stricter or with more edge cases as
//! difficulty rises), and computes every expected output in Rust with its own implementation of
//! that specification. The Python reference solution is the gold answer; the pipeline runs it
//! against the tests, so a disagreement between the two implementations cannot pass unseen.
//! Expected values are JSON and compared type-strictly on the Python side: ints stay ints,
//! booleans stay booleans, `None` is `null`, and no test uses tuples (JSON has none).

mod lists;
mod numbers;
mod strings;

use mull_data::Family;
use mull_data::{CodePayload, CodeTest, Problem};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::{GenError, Generator, Request};

pub(crate) struct Code;

const VERSION: u32 = 1;
const LEVELS: u8 = 5;

/// One instantiated template.
pub(crate) struct Task {
    pub(crate) entry_point: &'static str,
    /// The signature without `def` and colon: `reverse_words(s: str) -> str`.
    pub(crate) signature: &'static str,
    pub(crate) spec: String,
    pub(crate) solution: String,
    pub(crate) plan: Vec<String>,
    pub(crate) tests: Vec<CodeTest>,
}

/// A template: its lowest difficulty level and its builder.
pub(crate) struct Template {
    pub(crate) min_level: u8,
    pub(crate) build: fn(&mut ChaCha8Rng, u8) -> Task,
}

pub(crate) fn templates() -> Vec<Template> {
    let mut all = strings::templates();
    all.extend(lists::templates());
    all.extend(numbers::templates());
    all
}

impl Generator for Code {
    fn family(&self) -> &'static str {
        Family::Code.as_str()
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn levels(&self) -> u8 {
        LEVELS
    }
    fn build(&self, req: &Request) -> Result<Problem, GenError> {
        req.check_level(Family::Code.as_str(), LEVELS)?;
        let mut rng = req.rng(VERSION);
        let pool: Vec<Template> = templates()
            .into_iter()
            .filter(|t| t.min_level <= req.difficulty)
            .collect();
        let template = &pool[rng.random_range(0..pool.len())];
        let task = (template.build)(&mut rng, req.difficulty);
        Ok(problem(req, task))
    }
}

fn problem(req: &Request, task: Task) -> Problem {
    let example = task
        .tests
        .iter()
        .rev()
        .find(|t| t.args.iter().all(|a| !is_empty(a)))
        .or(task.tests.last())
        .map(|t| {
            let args: Vec<String> = t.args.iter().map(py_literal).collect();
            format!(
                "\n\nFor example, `{}({})` returns `{}`.",
                task.entry_point,
                args.join(", "),
                py_literal(&t.expected)
            )
        })
        .unwrap_or_default();
    let prompt = format!(
        "Write a Python function `{}`.\n\n{}{example}\n\nThink step by step about the approach, then, after your reasoning, give the complete function in a single fenced ```python code block. Use only the Python standard library; do not read input or print anything.",
        task.signature, task.spec
    );
    let payload = CodePayload {
        entry_point: task.entry_point.to_string(),
        tests: task.tests,
    };
    let payload = serde_json::to_value(payload).unwrap_or_default();
    req.problem(
        Family::Code.as_str(),
        VERSION,
        prompt,
        task.solution,
        task.plan,
        payload,
    )
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A JSON value written as a Python literal (`true` -> `True`, `null` -> `None`). JSON string
/// escapes are valid Python string escapes, so strings keep their JSON spelling.
pub(crate) fn py_literal(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(py_literal).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(o) => {
            let items: Vec<String> = o
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        serde_json::to_string(k).unwrap_or_default(),
                        py_literal(v)
                    )
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Test inputs: the edge cases first, then random ones up to a total of 6..=10, without
/// repeats (a bounded number of draws, so a small input space cannot loop forever).
pub(crate) fn inputs<I: PartialEq>(
    rng: &mut ChaCha8Rng,
    edges: Vec<I>,
    mut draw: impl FnMut(&mut ChaCha8Rng) -> I,
) -> Vec<I> {
    let total = rng.random_range(6..=10usize).max(edges.len());
    let mut out: Vec<I> = Vec::with_capacity(total);
    for e in edges {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    let mut tries = 0;
    while out.len() < total && tries < 200 {
        tries += 1;
        let x = draw(rng);
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

pub(crate) fn test(args: Vec<Value>, expected: Value) -> CodeTest {
    CodeTest { args, expected }
}

/// A list of random integers.
pub(crate) fn int_list(rng: &mut ChaCha8Rng, len: usize, lo: i64, hi: i64) -> Vec<i64> {
    (0..len).map(|_| rng.random_range(lo..=hi)).collect()
}

/// Lines of a plan.
pub(crate) fn plan(lines: &[&str]) -> Vec<String> {
    lines.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests;

//! The code verifier: runs the candidate's last ```python block against the problem's hidden
//! unit tests inside the [`sandbox`], with type-strict comparison.
//!
//! # How a pass is established
//!
//! One harness program is built: it loads the test *arguments* (never the expected values) with
//! `json.loads`, compiles and executes the candidate in its own namespace (`__name__ ==
//! "candidate"`, so `if __name__ == "__main__":` blocks do not run), calls `entry_point(*args)`
//! for each test, and writes one JSON record per test — the returned value in a type-preserving
//! encoding, or the exception — to the sandbox's report channel (file descriptor 3), each
//! tagged with a random per-run nonce, and finally a `done` record.
//!
//! The grader (this module, outside the sandbox) then compares each returned value with the
//! hidden expected value *type-strictly* (`True != 1`, `1.0 != 1`, a tuple is never a list,
//! dicts key by key, lists element-wise). So a pass needs the right values for every test, the
//! `done` record and a clean exit (status 0):
//!
//! - a program that exits early (`sys.exit(0)`, `os._exit(0)`) has no records: failure;
//! - prints on stdout never count (records go to fd 3, and must carry the nonce);
//! - the expected outputs never enter the sandbox, so even a candidate that inspects the
//!   interpreter (and could thus find the nonce) cannot learn them: faking a pass means
//!   computing the right answers.

use std::fmt::Write as _;

use mull_data::{Attempt, CodePayload, Problem, Verdict};
use serde_json::Value;

use crate::sandbox::{self, cut, SandboxLimits, SandboxOutcome};
use crate::Verifier;

const NAME: &str = "code";
const VERSION: u32 = 1;

/// The harness; `@NONCE@`, `@ENTRY@`, `@ARGS@` and `@SOURCE@` become Python string literals.
const HARNESS: &str = r#"import json as _mull_json, os as _mull_os
def _mull_main():
    _type, _str, _repr, _callable = type, str, repr, callable
    _dumps, _loads = _mull_json.dumps, _mull_json.loads
    _inf = float("inf")
    _out = _mull_os.fdopen(3, "w", encoding="utf-8")
    _nonce = @NONCE@
    _entry = @ENTRY@
    _tests = _loads(@ARGS@)
    def emit(rec):
        rec["nonce"] = _nonce
        _out.write(_dumps(rec) + "\n")
        _out.flush()
    def short(v):
        try:
            s = _repr(v)
        except BaseException as e:
            s = "<unrepresentable " + _type(v).__name__ + ">"
        return s if len(s) <= 300 else s[:300] + "..."
    def describe(e):
        try:
            msg = _str(e)
        except BaseException:
            msg = ""
        name = _type(e).__name__
        return (name + ": " + msg if msg else name)[:500]
    def enc(v, depth):
        if depth > 64:
            raise ValueError("result nested too deeply")
        t = _type(v)
        if v is None or t is bool or t is str:
            return v
        if t is int:
            if -(1 << 63) <= v < (1 << 64):
                return v
            return {"__mull__": "int", "repr": short(v)}
        if t is float:
            if v == v and v != _inf and v != -_inf:
                return v
            return {"__mull__": "float", "repr": short(v)}
        if t is list:
            return [enc(x, depth + 1) for x in v]
        if t is dict and all(_type(k) is str for k in v):
            return {k: enc(x, depth + 1) for k, x in v.items()}
        return {"__mull__": t.__name__, "repr": short(v)}
    ns = {"__name__": "candidate"}
    try:
        exec(compile(@SOURCE@, "candidate.py", "exec"), ns)
    except BaseException as e:
        emit({"load_error": describe(e)})
        return
    fn = ns.get(_entry)
    if not _callable(fn):
        emit({"load_error": "the program defines no function " + _entry})
        return
    for i, args in enumerate(_tests):
        try:
            r = fn(*args)
        except Exception as e:
            emit({"i": i, "error": describe(e)})
            continue
        except BaseException as e:
            emit({"i": i, "error": describe(e)})
            return
        try:
            emit({"i": i, "value": enc(r, 0), "repr": short(r)})
        except Exception as e:
            emit({"i": i, "error": "its result cannot be encoded: " + describe(e)})
    emit({"done": len(_tests)})
_mull_main()
"#;

/// Verifies `code`-family attempts by running them in the sandbox.
#[derive(Debug, Clone, Default)]
pub struct CodeVerifier {
    limits: SandboxLimits,
}

impl CodeVerifier {
    pub fn new(limits: SandboxLimits) -> Self {
        CodeVerifier { limits }
    }

    pub fn limits(&self) -> &SandboxLimits {
        &self.limits
    }

    /// Grades `source` (already extracted) against `payload`: the verdict `verify` returns.
    pub fn verify_source(&self, source: &str, payload: &CodePayload) -> Verdict {
        if payload.tests.is_empty() {
            return Verdict::error("the problem has no unit tests", NAME, VERSION);
        }
        let nonce = sandbox::nonce();
        let program = match harness(source, payload, &nonce) {
            Ok(p) => p,
            Err(e) => {
                return Verdict::error(format!("cannot build the test harness: {e}"), NAME, VERSION)
            }
        };
        match sandbox::run_python(&program, &self.limits) {
            Ok(outcome) => judge(&outcome, payload, &nonce),
            Err(e) => Verdict::error(format!("sandbox: {e}"), NAME, VERSION),
        }
    }

    /// Code verdicts per second for a trivial passing program, run `runs` times on `threads`
    /// threads at once (the figure `mull bench verify` reports). Also checks every verdict is
    /// correct, returning an error naming the first that is not.
    pub fn verdicts_per_second(&self, runs: usize, threads: usize) -> Result<f64, String> {
        let (problem, attempt) = bench_case();
        let threads = threads.max(1);
        let start = std::time::Instant::now();
        let failures: Vec<String> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let (problem, attempt) = (&problem, &attempt);
                    s.spawn(move || {
                        (t..runs)
                            .step_by(threads)
                            .map(|_| self.verify(problem, attempt))
                            .filter(|v| !v.correct)
                            .map(|v| v.reason)
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|_| vec!["panicked".into()]))
                .collect()
        });
        if let Some(first) = failures.first() {
            return Err(format!(
                "{} of {runs} benchmark verdicts failed: {first}",
                failures.len()
            ));
        }
        Ok(runs as f64 / start.elapsed().as_secs_f64().max(1e-9))
    }
}

impl Verifier for CodeVerifier {
    fn name(&self) -> &'static str {
        NAME
    }

    fn version(&self) -> u32 {
        VERSION
    }

    fn verify(&self, problem: &Problem, attempt: &Attempt) -> Verdict {
        let payload = match problem.payload_as::<CodePayload>() {
            Ok(p) => p,
            Err(e) => return Verdict::error(e.to_string(), NAME, VERSION),
        };
        match mull_data::cot::extract_code_block(&attempt.completion) {
            Some(source) if !source.trim().is_empty() => self.verify_source(&source, &payload),
            _ => Verdict::incorrect("no python block", NAME, VERSION),
        }
    }
}

/// A small passing problem and attempt, for benchmarks and smoke tests.
pub fn bench_case() -> (Problem, Attempt) {
    let tests: Vec<Value> = (0..5)
        .map(|i| serde_json::json!({"args": [[i, i + 1, i + 2]], "expected": [i + 2, i + 1, i]}))
        .collect();
    let problem = Problem {
        id: "bench-code-0000".into(),
        family: "code".into(),
        generator_version: 1,
        seed: 0,
        index: 0,
        difficulty: 1,
        prompt: "Write reverse_list(xs) returning xs reversed.".into(),
        answer: "def reverse_list(xs):\n    return xs[::-1]".into(),
        reference: vec!["Slicing with step -1 reverses a list.".into()],
        payload: serde_json::json!({"entry_point": "reverse_list", "tests": tests}),
    };
    let completion = "<think>\nSlicing with step -1 reverses a list.\n</think>\n```python\ndef reverse_list(xs):\n    return xs[::-1]\n```";
    let attempt = Attempt::from_completion(&problem.id, 0, completion.into());
    (problem, attempt)
}

/// The harness program for `source` and the test arguments of `payload`.
fn harness(source: &str, payload: &CodePayload, nonce: &str) -> Result<String, serde_json::Error> {
    let args: Vec<&Vec<Value>> = payload.tests.iter().map(|t| &t.args).collect();
    // A JSON string is also a valid Python string literal (serde_json escapes only `"`, `\` and
    // control characters, all with escapes Python shares).
    let lit = |s: &str| serde_json::to_string(s);
    Ok(HARNESS
        .replace("@NONCE@", &lit(nonce)?)
        .replace("@ENTRY@", &lit(&payload.entry_point)?)
        .replace("@ARGS@", &lit(&serde_json::to_string(&args)?)?)
        .replace("@SOURCE@", &lit(source)?))
}

/// One harness record (fields absent where they do not apply).
#[derive(Debug, Default, serde::Deserialize)]
struct Report {
    nonce: String,
    i: Option<usize>,
    // A result of `None` arrives as `"value": null`, which plain `Option<Value>` would read as
    // "no value"; keep presence and content apart.
    #[serde(default, deserialize_with = "present")]
    value: Option<Value>,
    repr: Option<String>,
    error: Option<String>,
    load_error: Option<String>,
    done: Option<usize>,
}

/// Deserializes a field that is present (even as `null`) into `Some`.
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    <Value as serde::Deserialize>::deserialize(d).map(Some)
}

/// Turns a sandbox outcome into a verdict (see the module overview).
fn judge(outcome: &SandboxOutcome, payload: &CodePayload, nonce: &str) -> Verdict {
    let records: Vec<Report> = outcome
        .report
        .lines()
        .filter_map(|l| serde_json::from_str::<Report>(l).ok())
        .filter(|r| r.nonce == nonce)
        .collect();
    let fail = |reason: String| Verdict::incorrect(reason, NAME, VERSION);
    if let Some(err) = records.iter().find_map(|r| r.load_error.as_deref()) {
        return fail(format!("the program failed to load: {}", cut(err, 300)));
    }
    let entry = &payload.entry_point;
    for (i, test) in payload.tests.iter().enumerate() {
        let call = cut(&format!("{entry}({})", py_args(&test.args)), 200);
        let Some(rec) = records.iter().find(|r| r.i == Some(i)) else {
            let reason = match i {
                0 => format!("no test ran: {}", outcome.reason()),
                _ => format!(
                    "stopped after {i} of {} tests: {}",
                    payload.tests.len(),
                    outcome.reason()
                ),
            };
            return fail(with_stderr(reason, outcome));
        };
        if let Some(err) = &rec.error {
            return fail(format!("{call} raised {}", cut(err, 300)));
        }
        let matches = rec
            .value
            .as_ref()
            .is_some_and(|v| strict_eq(v, &test.expected));
        if !matches {
            let got = rec.repr.as_deref().unwrap_or("?");
            return fail(format!(
                "{call} returned {}, expected {}",
                cut(got, 200),
                cut(&py_literal(&test.expected), 200)
            ));
        }
    }
    let n = payload.tests.len();
    if !records.iter().any(|r| r.done == Some(n)) || !outcome.success() {
        return fail(format!(
            "all {n} tests returned the expected values, but then {}",
            outcome.reason()
        ));
    }
    Verdict::correct(format!("passed {n}/{n} tests"), NAME, VERSION)
}

/// Adds the last stderr line where the outcome's reason does not already show it.
fn with_stderr(reason: String, outcome: &SandboxOutcome) -> String {
    let last = sandbox::last_line(&outcome.stderr);
    if last.is_empty() || reason.contains(&last) {
        reason
    } else {
        format!("{reason} (stderr: {last})")
    }
}

/// Type-strict equality of JSON values as Python would see them: `true` is not `1`, `1.0` is
/// not `1`, arrays element-wise, objects key by key.
pub fn strict_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => match (x.is_f64(), y.is_f64()) {
            (true, true) => x.as_f64() == y.as_f64(),
            (false, false) => x.as_i64() == y.as_i64() && x.as_u64() == y.as_u64(),
            _ => false,
        },
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| strict_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| strict_eq(v, w)))
        }
        _ => false,
    }
}

fn py_args(args: &[Value]) -> String {
    args.iter().map(py_literal).collect::<Vec<_>>().join(", ")
}

/// A JSON value written as the Python literal `json.loads` would give (`None`, `True`, `'s'`).
pub fn py_literal(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => py_str(s),
        Value::Array(xs) => format!("[{}]", py_args(xs)),
        Value::Object(m) => {
            let items: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", py_str(k), py_literal(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

fn py_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_returned_none_is_a_value_not_a_missing_one() {
        let r: Report = serde_json::from_str(r#"{"nonce": "n", "i": 0, "value": null}"#).unwrap();
        assert_eq!(r.value, Some(Value::Null));
        let r: Report = serde_json::from_str(r#"{"nonce": "n", "i": 0}"#).unwrap();
        assert_eq!(r.value, None);
    }

    #[test]
    fn strict_equality_is_type_strict() {
        assert!(strict_eq(
            &json!([1, "a", null, {"k": [true]}]),
            &json!([1, "a", null, {"k": [true]}])
        ));
        assert!(!strict_eq(&json!(true), &json!(1)));
        assert!(!strict_eq(&json!(1.0), &json!(1)));
        assert!(strict_eq(&json!(2.5), &json!(2.5)));
        assert!(!strict_eq(&json!([1, 2]), &json!([2, 1])));
        assert!(!strict_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(!strict_eq(
            &json!({"__mull__": "tuple", "repr": "(1, 2)"}),
            &json!([1, 2])
        ));
        assert!(!strict_eq(&json!(-1), &json!(u64::MAX)));
    }

    #[test]
    fn python_literals() {
        assert_eq!(
            py_literal(&json!([1, "it's", null, true, {"a": 1.5}])),
            r#"[1, "it's", None, True, {'a': 1.5}]"#
        );
        assert_eq!(py_literal(&json!("a\nb'\"")), r#"'a\nb\'"'"#);
    }

    #[test]
    fn harness_embeds_no_expected_values() {
        let payload = CodePayload {
            entry_point: "f".into(),
            tests: vec![mull_data::CodeTest {
                args: vec![json!(1)],
                expected: json!("SECRET-EXPECTED"),
            }],
        };
        let program =
            harness("def f(x):\n    return '\"\\u00e9'", &payload, "MULL-00").unwrap_or_default();
        assert!(!program.contains("SECRET-EXPECTED"));
        assert!(program.contains("MULL-00"));
    }
}

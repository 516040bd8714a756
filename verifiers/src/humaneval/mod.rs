//! Grading of HumanEval-format records (`task_id`, `prompt`, `test`, `entry_point` and a
//! solution field) in the [`sandbox`], as `mull grade humaneval` does.
//!
//! The candidate (`prompt + solution`) and the test are always separate compilation units —
//! never one concatenated source, so a candidate cannot reach into the test's text (a trailing
//! decorator that swallows `def check` is just a syntax error of the candidate). A task takes
//! one of two paths, decided once per test by a sandboxed run of the test alone (`plan`):
//!
//! - **Judged outside** (`"judged": "outside"`): where `check` is a list of assertions of the
//!   common shape (`assert candidate(ARGS) == EXPECTED` and its kin), the planning run turns the
//!   test into argument and expected *values*. The candidate then runs in a sandbox that holds
//!   only the arguments — the expected values never enter it — and returns each result in a
//!   strict encoding of builtin types; Python's `==` is decided here, in Rust (`value`). A
//!   returned object whose `__eq__` always says true, a patched `builtins`, a trace hook: none
//!   changes a value that is compared outside the interpreter.
//! - **Judged inside** (`"judged": "inside"`): any other shape (loops, helper variables, random
//!   inputs) runs the test's `check` in the sandbox, as the standard harness does, but hardened:
//!   the test (after the task's prompt alone, whose helper functions some tests call) is
//!   compiled and executed *before* the candidate, so `check` is bound first; after
//!   the candidate's module has run, `builtins`, the trace and profile hooks, the test's globals,
//!   the modules it imported and its functions' code are restored, a thread the candidate left
//!   running fails the task, and every value the candidate returns must be of a builtin type.
//!   A candidate with the whole interpreter at hand (frame inspection, `ctypes`) could still
//!   forge this path's pass record: its trust level is the standard harness's, with the sandbox
//!   containing the damage.
//!
//! Either way a pass needs the final record with the run's random nonce on the report channel
//! (file descriptor 3) and a clean exit; `sys.exit(0)`, `os._exit(0)` or a printed marker fail.

mod plan;
mod value;

use plan::{literal, Case, Expect, Plan};
use value::{PyValue, ENCODER};

use serde::{Deserialize, Serialize};

use crate::sandbox::{self, cut, SandboxLimits, SandboxOutcome};

/// One HumanEval-format record; extra fields are allowed and ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HumanEvalTask {
    pub task_id: String,
    pub prompt: String,
    pub test: String,
    pub entry_point: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical_solution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completion: Option<String>,
}

/// Which solution field to grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HumanEvalField {
    Completion,
    CanonicalSolution,
}

impl HumanEvalField {
    /// The field's name in the records (`completion`, `canonical_solution`).
    pub fn as_str(self) -> &'static str {
        match self {
            HumanEvalField::Completion => "completion",
            HumanEvalField::CanonicalSolution => "canonical_solution",
        }
    }
}

impl std::str::FromStr for HumanEvalField {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "completion" => Ok(HumanEvalField::Completion),
            "canonical_solution" => Ok(HumanEvalField::CanonicalSolution),
            other => Err(format!(
                "unknown field {other:?}: expected completion or canonical_solution"
            )),
        }
    }
}

/// Where a task's results were judged (see the module overview).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Judged {
    /// Returned values compared in Rust; the expected values never entered the sandbox.
    Outside,
    /// The test's own `check` ran in the sandbox, after the candidate.
    #[default]
    Inside,
}

/// The grade of one task: one output line of `mull grade humaneval`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HumanEvalResult {
    pub task_id: String,
    pub passed: bool,
    pub reason: String,
    #[serde(default)]
    pub judged: Judged,
}

/// Python helpers shared by the two harnesses: `describe(e)` (type and message, bounded) and
/// `where(e, sources)` (the last line of a named source the traceback passes through).
const DIAGNOSE: &str = r#"
def _mull_diagnose():
    import traceback as _tb
    _type, _str, _len = type, str, len
    def describe(e):
        try:
            msg = _str(e)
        except BaseException:
            msg = ""
        name = _type(e).__name__
        return ((name + ": " + msg) if msg else name)[:300]
    def where(e, sources):
        try:
            frames = [f for f in _tb.extract_tb(e.__traceback__) if f.filename in sources]
            if frames:
                lines = sources[frames[-1].filename].splitlines()
                n = frames[-1].lineno
                if n and 0 < n <= _len(lines):
                    return (" at %s line %d: %s" % (frames[-1].filename, n, lines[n - 1].strip()))[:300]
        except BaseException:
            pass
        return ""
    return describe, where
"#;

/// The candidate run of the outside path: only the arguments go in, values come out.
const VALUES_HARNESS: &str = r#"import json as _mull_json, os as _mull_os, sys as _mull_sys
def _mull_main():
    enc, dec, short = _mull_codec()
    describe, where = _mull_diagnose()
    _callable, _enumerate, _len, _dumps = callable, enumerate, len, _mull_json.dumps
    out = _mull_os.fdopen(3, "w", encoding="utf-8")
    nonce, entry, src = @NONCE@, @ENTRY@, @SOURCE@
    calls = [[dec(a) for a in args] for args in _mull_json.loads(@ARGS@)]
    sources = {"candidate.py": src}
    def emit(rec):
        rec["nonce"] = nonce
        out.write(_dumps(rec) + "\n")
        out.flush()
    ns = {"__name__": "candidate"}
    try:
        exec(compile(src, "candidate.py", "exec"), ns)
    except BaseException as e:
        return emit({"load_error": describe(e) + where(e, sources)})
    fn = ns.get(entry)
    if not _callable(fn):
        return emit({"load_error": "the program defines no function " + entry})
    for i, args in _enumerate(calls):
        try:
            r = fn(*args)
        except Exception as e:
            emit({"i": i, "error": describe(e) + where(e, sources)})
            continue
        except BaseException as e:
            return emit({"i": i, "error": describe(e)})
        try:
            emit({"i": i, "value": enc(r), "repr": short(r)})
        except Exception as e:
            emit({"i": i, "error": "its result cannot be encoded: " + describe(e)})
    emit({"done": _len(calls)})
_mull_sys.set_int_max_str_digits(0)
_mull_main()
"#;

/// The inside path: the test first, then the candidate, then the restored state, then `check`.
const CHECK_HARNESS: &str = r#"import builtins as _mull_b, json as _mull_json, os as _mull_os, sys as _mull_sys, _thread as _mull_thread
def _mull_main():
    describe, where = _mull_diagnose()
    _type, _dict, _callable, _dumps = type, dict, callable, _mull_json.dumps
    _clear, _update, _count = dict.clear, dict.update, _mull_thread._count
    _settrace, _setprofile, _modules = _mull_sys.settrace, _mull_sys.setprofile, _mull_sys.modules
    _module_type, _function_type = _type(_mull_sys), _type(_mull_main)
    _plain = (type(None), bool, int, float, complex, str, bytes, list, tuple, set, frozenset, dict)
    _bdict = _mull_b.__dict__
    out = _mull_os.fdopen(3, "w", encoding="utf-8")
    nonce, entry, src, test, prompt = @NONCE@, @ENTRY@, @SOURCE@, @TEST@, @PROMPT@
    sources = {"candidate.py": src, "test.py": test, "prompt.py": prompt}
    def emit(rec):
        rec["nonce"] = nonce
        out.write(_dumps(rec) + "\n")
        out.flush()
    try:
        test_code = compile(test, "test.py", "exec")
        code = compile(src, "candidate.py", "exec")
    except BaseException as e:
        return emit({"error": describe(e) + where(e, sources)})
    # The prompt alone (trusted task text) gives the test the helpers it may call.
    tns = {"__name__": "test"}
    try:
        exec(compile(prompt, "prompt.py", "exec"), tns)
    except BaseException:
        tns = {"__name__": "test"}
    try:
        exec(test_code, tns)
    except BaseException as e:
        return emit({"error": "the test failed to load: " + describe(e) + where(e, sources)})
    check = tns.get("check")
    if not _callable(check):
        return emit({"error": "the test defines no check function"})
    saved_builtins, saved_tns = _dict(_bdict), _dict(tns)
    modules = [(m, _dict(m.__dict__)) for m in saved_tns.values() if _type(m) is _module_type]
    functions = [(f, f.__code__, f.__defaults__, f.__kwdefaults__)
                 for f in saved_tns.values() if _type(f) is _function_type]
    threads = _count()
    ns = {"__name__": "candidate"}
    try:
        exec(code, ns)
    except BaseException as e:
        return emit({"error": describe(e) + where(e, sources)})
    fn = ns.get(entry)
    _settrace(None)
    _setprofile(None)
    threading = _modules.get("threading")
    if threading is not None and _type(threading) is _module_type:
        threading.settrace(None)
        threading.setprofile(None)
    for d, saved in [(_bdict, saved_builtins), (tns, saved_tns)] + [(m.__dict__, s) for m, s in modules]:
        _clear(d)
        _update(d, saved)
    for f, c, dflt, kw in functions:
        f.__code__, f.__defaults__, f.__kwdefaults__ = c, dflt, kw
    if _count() != threads:
        return emit({"error": "the candidate left a thread running"})
    if not _callable(fn):
        return emit({"error": "the program defines no function " + entry})
    def plain(v, depth=0):
        t = _type(v)
        if t not in _plain or depth > 64:
            raise TypeError("the candidate returned a %s, not a builtin value" % t.__name__)
        if t in (list, tuple, set, frozenset):
            for x in v:
                plain(x, depth + 1)
        elif t is dict:
            for k, x in _dict.items(v):
                plain(k, depth + 1)
                plain(x, depth + 1)
    def candidate(*args, **kwargs):
        r = fn(*args, **kwargs)
        plain(r)
        return r
    # Where the test names the entry point itself, it means the candidate (one module in the
    # standard harness), guarded like the argument.
    tns[entry] = candidate
    try:
        check(candidate)
    except BaseException as e:
        return emit({"error": describe(e) + where(e, sources)})
    emit({"passed": True})
_mull_main()
"#;

/// Grades `field` of `task` in the sandbox under `limits`.
pub fn grade_humaneval(
    task: &HumanEvalTask,
    field: HumanEvalField,
    limits: &SandboxLimits,
) -> HumanEvalResult {
    let result = |passed: bool, reason: String, judged: Judged| HumanEvalResult {
        task_id: task.task_id.clone(),
        passed,
        reason,
        judged,
    };
    let solution = match field {
        HumanEvalField::Completion => task.completion.as_deref(),
        HumanEvalField::CanonicalSolution => task.canonical_solution.as_deref(),
    };
    let Some(solution) = solution else {
        let reason = format!("the record has no {} field", field.as_str());
        return result(false, reason, Judged::default());
    };
    let candidate = format!("{}{}", task.prompt, solution);
    let plan = match plan::plan_for(&task.prompt, &task.test, &task.entry_point, limits) {
        Ok(plan) => plan,
        Err(e) => return result(false, e, Judged::default()),
    };
    let nonce = sandbox::nonce();
    let (program, judged) = match &*plan {
        Plan::Values(cases) => {
            let args: Vec<&Vec<serde_json::Value>> = cases.iter().map(|c| &c.args).collect();
            let args = serde_json::to_string(&args).unwrap_or_default();
            let harness = VALUES_HARNESS
                .replace("@NONCE@", &literal(&nonce))
                .replace("@ENTRY@", &literal(&task.entry_point))
                .replace("@ARGS@", &literal(&args))
                .replace("@SOURCE@", &literal(&candidate));
            (harness, Judged::Outside)
        }
        Plan::Check(_) => {
            let harness = CHECK_HARNESS
                .replace("@NONCE@", &literal(&nonce))
                .replace("@ENTRY@", &literal(&task.entry_point))
                .replace("@TEST@", &literal(&task.test))
                .replace("@PROMPT@", &literal(&task.prompt))
                .replace("@SOURCE@", &literal(&candidate));
            (harness, Judged::Inside)
        }
    };
    let program = format!("{ENCODER}\n{DIAGNOSE}\n{program}");
    let outcome = match sandbox::run_python(&program, limits) {
        Ok(o) => o,
        Err(e) => return result(false, format!("sandbox: {e}"), judged),
    };
    let records: Vec<Record> = outcome
        .report
        .lines()
        .filter_map(|l| serde_json::from_str::<Record>(l).ok())
        .filter(|r| r.nonce == nonce)
        .collect();
    let (passed, reason) = match &*plan {
        Plan::Values(cases) => judge_values(cases, &records, &outcome),
        Plan::Check(why) => judge_check(&records, &outcome, why),
    };
    result(passed, reason, judged)
}

/// Grades `field` of every task on `jobs` threads; results in input order.
pub fn grade_humaneval_all(
    tasks: &[HumanEvalTask],
    field: HumanEvalField,
    limits: &SandboxLimits,
    jobs: usize,
) -> Vec<HumanEvalResult> {
    let chunk = tasks.len().div_ceil(jobs.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = tasks
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|t| grade_humaneval(t, field, limits))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(tasks.chunks(chunk))
            .flat_map(|(h, part)| {
                h.join().unwrap_or_else(|_| {
                    part.iter()
                        .map(|t| HumanEvalResult {
                            task_id: t.task_id.clone(),
                            passed: false,
                            reason: "the grading thread panicked".into(),
                            judged: Judged::default(),
                        })
                        .collect()
                })
            })
            .collect()
    })
}

/// One harness record (fields absent where they do not apply).
#[derive(Debug, Default, Deserialize)]
struct Record {
    nonce: String,
    #[serde(default)]
    i: Option<usize>,
    #[serde(default, deserialize_with = "crate::code::present")]
    value: Option<serde_json::Value>,
    #[serde(default)]
    repr: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    load_error: Option<String>,
    #[serde(default)]
    done: Option<usize>,
    #[serde(default)]
    passed: bool,
}

/// The outside path's verdict: every case's value as its assertion demands, in order.
fn judge_values(cases: &[Case], records: &[Record], outcome: &SandboxOutcome) -> (bool, String) {
    if let Some(err) = records.iter().find_map(|r| r.load_error.as_deref()) {
        return (false, cut(err, 400));
    }
    for (i, case) in cases.iter().enumerate() {
        let mut mine = records.iter().filter(|r| r.i == Some(i));
        let (Some(rec), None) = (mine.next(), mine.next()) else {
            if records.iter().filter(|r| r.i == Some(i)).count() > 1 {
                return (false, format!("more than one result for test {i}"));
            }
            return (
                false,
                format!("{} did not complete: {}", case.source, outcome.reason()),
            );
        };
        if let Some(err) = &rec.error {
            return (false, cut(&format!("{err} (in {})", case.source), 400));
        }
        let returned = rec.repr.as_deref().unwrap_or("?");
        let Some(value) = rec.value.as_ref().and_then(PyValue::decode) else {
            return (false, format!("test {i} returned an undecodable value"));
        };
        let ok = match &case.expect {
            Expect::Equal(expected) => value.py_eq(expected),
            Expect::Is(expected) => value.is_same_singleton(expected),
            Expect::Truthy => value.truthy() == Some(true),
            Expect::Falsy => value.truthy() == Some(false),
            Expect::Close {
                value: expected,
                tolerance,
            } => value.close_to(expected, *tolerance),
        };
        if !ok {
            let kind = match value {
                PyValue::Other(ref name) => format!(", a {name}, which is not a builtin value"),
                _ => String::new(),
            };
            let reason = format!(
                "AssertionError: {} (it returned {returned}{kind})",
                case.source
            );
            return (false, cut(&reason, 400));
        }
    }
    if !records.iter().any(|r| r.done == Some(cases.len())) {
        return (
            false,
            format!("the tests did not complete: {}", outcome.reason()),
        );
    }
    if !outcome.success() {
        return (
            false,
            format!("all tests passed, but then {}", outcome.reason()),
        );
    }
    (true, "passed".into())
}

/// The inside path's verdict: the pass record after `check` returned, and a clean exit.
fn judge_check(records: &[Record], outcome: &SandboxOutcome, why: &str) -> (bool, String) {
    if let Some(err) = records.iter().find_map(|r| r.error.as_deref()) {
        return (false, cut(err, 400));
    }
    match (records.iter().any(|r| r.passed), outcome.success()) {
        (true, true) => (true, format!("passed (check ran inside: {why})")),
        (true, false) => (
            false,
            format!("check passed, but then {}", outcome.reason()),
        ),
        (false, _) => {
            let last = sandbox::last_line(&outcome.stderr);
            let mut reason = format!("check did not complete: {}", outcome.reason());
            if !last.is_empty() && !reason.contains(&last) {
                reason = format!("{reason} (stderr: {last})");
            }
            (false, reason)
        }
    }
}

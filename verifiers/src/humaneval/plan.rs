//! The plan of a HumanEval test: whether its `check` has the common shape whose results can be
//! judged outside Python, and if so its cases — argument and expected *values*.
//!
//! The plan is made by a sandboxed run of the test alone (never with a candidate in the same
//! interpreter): it parses the test with `ast`, executes the task's prompt (for the helper
//! functions some tests call, such as `poly` in HumanEval/32) and the test's top level, and
//! walks `check`'s body.
//! The common shape is a body of only docstrings, `pass`, imports and assertions of the forms
//!
//! ```text
//! assert candidate(ARGS) == EXPECTED      (or EXPECTED == candidate(ARGS))
//! assert candidate(ARGS) is True|False|None
//! assert candidate(ARGS)                  /   assert not candidate(ARGS)
//! assert abs(candidate(ARGS) - EXPECTED) < TOLERANCE
//! assert <a true constant>                (skipped)
//! ```
//!
//! with an optional message, where neither `ARGS` nor `EXPECTED` mentions `candidate` and both
//! evaluate to builtin values. Any other statement (a loop, an assignment, another assertion
//! form) makes the whole test take the `check` path. Plans are cached per (test, entry point)
//! for the life of the process, so grading k completions of a task makes one plan run.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;
use serde_json::Value;

use super::value::{PyValue, ENCODER};
use crate::sandbox::{self, SandboxLimits};

/// How one case's returned value is judged.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expect {
    Equal(PyValue),
    /// `is True`, `is False`, `is None`.
    Is(PyValue),
    Truthy,
    Falsy,
    Close {
        value: PyValue,
        tolerance: f64,
    },
}

/// One assertion of the common shape.
#[derive(Debug, Clone)]
pub(super) struct Case {
    /// Tagged-JSON arguments, passed to the candidate run as they are.
    pub args: Vec<Value>,
    pub expect: Expect,
    /// The assertion's source (`candidate('a') == 'b'`), for reasons.
    pub source: String,
}

/// How a task is graded.
#[derive(Debug, Clone)]
pub(super) enum Plan {
    /// Common shape: the candidate run returns values, judged here.
    Values(Vec<Case>),
    /// Any other shape (the reason says which statement): the test's `check` runs in the
    /// sandbox after the candidate, with the interpreter's state restored in between.
    Check(String),
}

const PLANNER: &str = r#"import ast as _ast, json as _json, os as _os, sys as _sys
def _mull_plan():
    enc, dec, short = _mull_codec()
    out = _os.fdopen(3, "w", encoding="utf-8")
    src, prompt, entry = @TEST@, @PROMPT@, @ENTRY@
    def emit(rec):
        out.write(_json.dumps(rec) + "\n")
        out.flush()
    try:
        mod = _ast.parse(src)
    except SyntaxError as e:
        return emit({"check": "the test does not parse: %s" % e})
    checks = [n for n in mod.body if isinstance(n, _ast.FunctionDef) and n.name == "check"]
    if len(checks) != 1 or len(checks[0].args.args) != 1:
        return emit({"check": "the test has no check(candidate) function"})
    check = checks[0]
    param = check.args.args[0].arg
    # The entry point's name is the candidate too (the standard harness shares one module).
    def mentions(node):
        return any(isinstance(n, _ast.Name) and n.id in (param, entry) for n in _ast.walk(node))
    def call(node):
        if (isinstance(node, _ast.Call) and isinstance(node.func, _ast.Name)
                and node.func.id == param and not node.keywords
                and not any(isinstance(a, _ast.Starred) or mentions(a) for a in node.args)):
            return node
        return None
    def classify(t):
        if isinstance(t, _ast.Constant):
            return ("skip",) if t.value else None
        if call(t):
            return ("truthy", call(t))
        if isinstance(t, _ast.UnaryOp) and isinstance(t.op, _ast.Not) and call(t.operand):
            return ("falsy", call(t.operand))
        if not (isinstance(t, _ast.Compare) and len(t.ops) == 1):
            return None
        op, left, right = t.ops[0], t.left, t.comparators[0]
        if isinstance(op, _ast.Eq):
            if call(left) and not mentions(right):
                return ("eq", call(left), right)
            if call(right) and not mentions(left):
                return ("eq", call(right), left)
        if (isinstance(op, _ast.Is) and call(left) and isinstance(right, _ast.Constant)
                and right.value in (True, False, None) and type(right.value) in (bool, type(None))):
            return ("is", call(left), right)
        if (isinstance(op, _ast.Lt) and isinstance(left, _ast.Call)
                and isinstance(left.func, _ast.Name) and left.func.id == "abs"
                and len(left.args) == 1 and not left.keywords
                and isinstance(left.args[0], _ast.BinOp) and isinstance(left.args[0].op, _ast.Sub)
                and call(left.args[0].left) and not mentions(left.args[0].right)
                and not mentions(right)):
            return ("close", call(left.args[0].left), left.args[0].right, right)
        return None
    ns = {"__name__": "test"}
    try:
        exec(compile(prompt, "prompt.py", "exec"), ns)
    except BaseException:
        ns = {"__name__": "test"}
    try:
        exec(compile(mod, "test.py", "exec"), ns)
    except BaseException as e:
        return emit({"check": "the test's top level raised %s" % type(e).__name__})
    local = {}
    def value(node):
        return eval(compile(_ast.Expression(node), "test.py", "eval"), ns, local)
    def plain(j):
        if type(j) is list:
            return all(plain(x) for x in j)
        if type(j) is dict:
            (tag, x), = j.items() if len(j) == 1 else (("other", None),)
            return tag != "other" and (type(x) is not list or plain(x))
        return True
    cases = []
    for st in check.body:
        if isinstance(st, _ast.Pass) or (isinstance(st, _ast.Expr) and isinstance(st.value, _ast.Constant)):
            continue
        if isinstance(st, (_ast.Import, _ast.ImportFrom)):
            exec(compile(_ast.Module([st], []), "test.py", "exec"), ns, local)
            continue
        if not isinstance(st, _ast.Assert):
            return emit({"check": "line %d of the test: %s statement" % (st.lineno, type(st).__name__)})
        shape = classify(st.test)
        if shape is None:
            return emit({"check": "line %d of the test asserts another shape" % st.lineno})
        if shape[0] == "skip":
            continue
        try:
            args = [value(a) for a in shape[1].args]
            expected = value(shape[2]) if len(shape) > 2 else None
            tol = value(shape[3]) if len(shape) > 3 else None
        except BaseException as e:
            return emit({"check": "line %d of the test raised %s" % (st.lineno, type(e).__name__)})
        if not all(plain(enc(v)) for v in args + [expected]) or not (tol is None or type(tol) in (int, float)):
            return emit({"check": "line %d of the test uses values that are not builtin" % st.lineno})
        case = {"kind": shape[0], "args": [enc(a) for a in args], "expected": enc(expected),
                "source": _ast.unparse(st.test)[:300]}
        if tol is not None:
            case["tolerance"] = float(tol)
        cases.append(case)
    if not cases:
        return emit({"check": "check asserts nothing about the candidate"})
    emit({"cases": cases})
_sys.set_int_max_str_digits(0)
_mull_plan()
"#;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanRecord {
    #[serde(default)]
    cases: Option<Vec<CaseRecord>>,
    #[serde(default)]
    check: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseRecord {
    kind: String,
    args: Vec<Value>,
    expected: Value,
    source: String,
    #[serde(default)]
    tolerance: Option<f64>,
}

impl CaseRecord {
    fn into_case(self) -> Option<Case> {
        let expected = PyValue::decode(&self.expected)?;
        let expect = match (self.kind.as_str(), self.tolerance) {
            ("eq", None) => Expect::Equal(expected),
            ("is", None) => Expect::Is(expected),
            ("truthy", None) => Expect::Truthy,
            ("falsy", None) => Expect::Falsy,
            ("close", Some(tolerance)) => Expect::Close {
                value: expected,
                tolerance,
            },
            _ => return None,
        };
        Some(Case {
            args: self.args,
            expect,
            source: self.source,
        })
    }
}

/// A Python string literal (a JSON string is one: serde_json escapes only what Python does).
pub(super) fn literal(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "''".into())
}

/// Makes the plan of `test` in the sandbox (no cache). `Err` is a sandbox failure.
fn make_plan(
    prompt: &str,
    test: &str,
    entry: &str,
    limits: &SandboxLimits,
) -> Result<Plan, sandbox::SandboxError> {
    let planner = PLANNER
        .replace("@TEST@", &literal(test))
        .replace("@ENTRY@", &literal(entry))
        .replace("@PROMPT@", &literal(prompt));
    let program = format!("{ENCODER}\n{planner}");
    let outcome = sandbox::run_python(&program, limits)?;
    let record = outcome
        .report
        .lines()
        .find_map(|l| serde_json::from_str::<PlanRecord>(l).ok());
    let plan = match record {
        Some(PlanRecord {
            cases: Some(cases), ..
        }) => match cases.into_iter().map(CaseRecord::into_case).collect() {
            Some(cases) => Plan::Values(cases),
            None => Plan::Check("the test's values could not be decoded".into()),
        },
        Some(PlanRecord {
            check: Some(reason),
            ..
        }) => Plan::Check(reason),
        _ => Plan::Check(format!("planning the test failed: {}", outcome.reason())),
    };
    Ok(plan)
}

type PlanCache = Mutex<HashMap<String, Arc<Plan>>>;

/// The plan of `test` (with the task's `prompt`, whose helper functions tests may call, and
/// `entry`, the candidate's name), from the process-wide cache or made now.
pub(super) fn plan_for(
    prompt: &str,
    test: &str,
    entry: &str,
    limits: &SandboxLimits,
) -> Result<Arc<Plan>, String> {
    static CACHE: OnceLock<PlanCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = format!("{prompt}\0{test}\0{entry}");
    if let Some(plan) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return Ok(plan);
    }
    let plan = make_plan(prompt, test, entry, limits).map_err(|e| format!("sandbox: {e}"))?;
    let plan = Arc::new(plan);
    if let Ok(mut c) = cache.lock() {
        c.insert(key, Arc::clone(&plan));
    }
    Ok(plan)
}

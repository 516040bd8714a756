//! Grading of HumanEval-format records (`task_id`, `prompt`, `test`, `entry_point` and a
//! solution field) in the [`sandbox`], as `mull grade humaneval` does.
//!
//! The task program is `prompt + solution + "\n" + test + "\n" + "check(entry_point)\n"`, the
//! layout of the original HumanEval harness. A small wrapper executes it in its own namespace
//! and, only once `check` has returned, writes a pass record carrying a random per-run nonce to
//! the sandbox's report channel (file descriptor 3). A task passes iff that record arrives and
//! the program exits with status 0: `sys.exit(0)` or `os._exit(0)` in the solution, a print of a
//! fake marker, a timeout or a crash all fail. (The test's assertions run inside the sandbox, so
//! unlike the code verifier a candidate that inspects its own interpreter could forge the
//! record; this is the trust level of the standard HumanEval harness, with the sandbox
//! containing the damage.)

use serde::{Deserialize, Serialize};

use crate::sandbox::{self, cut, SandboxLimits};

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

/// The grade of one task: one output line of `mull grade humaneval`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HumanEvalResult {
    pub task_id: String,
    pub passed: bool,
    pub reason: String,
}

const WRAPPER: &str = r#"import json as _mull_json, os as _mull_os, traceback as _mull_tb
def _mull_main():
    _type, _str, _dumps = type, str, _mull_json.dumps
    _out = _mull_os.fdopen(3, "w", encoding="utf-8")
    _nonce = @NONCE@
    _src = @SOURCE@
    def emit(rec):
        rec["nonce"] = _nonce
        _out.write(_dumps(rec) + "\n")
        _out.flush()
    ns = {"__name__": "candidate"}
    try:
        exec(compile(_src, "task.py", "exec"), ns)
    except BaseException as e:
        try:
            msg = _str(e)
        except BaseException:
            msg = ""
        where = ""
        try:
            frames = [f for f in _mull_tb.extract_tb(e.__traceback__) if f.filename == "task.py"]
            if frames:
                lines = _src.splitlines()
                n = frames[-1].lineno
                if n and 0 < n <= len(lines):
                    where = " at line %d: %s" % (n, lines[n - 1].strip())
        except BaseException:
            pass
        name = _type(e).__name__
        emit({"error": ((name + ": " + msg) if msg else name)[:300] + where[:300]})
        return
    emit({"passed": True})
_mull_main()
"#;

#[derive(Debug, Deserialize)]
struct Record {
    nonce: String,
    #[serde(default)]
    passed: bool,
    #[serde(default)]
    error: Option<String>,
}

/// Grades `field` of `task` in the sandbox under `limits`.
pub fn grade_humaneval(
    task: &HumanEvalTask,
    field: HumanEvalField,
    limits: &SandboxLimits,
) -> HumanEvalResult {
    let result = |passed: bool, reason: String| HumanEvalResult {
        task_id: task.task_id.clone(),
        passed,
        reason,
    };
    let solution = match field {
        HumanEvalField::Completion => task.completion.as_deref(),
        HumanEvalField::CanonicalSolution => task.canonical_solution.as_deref(),
    };
    let Some(solution) = solution else {
        return result(false, format!("the record has no {} field", field.as_str()));
    };
    let source = format!(
        "{}{}\n{}\ncheck({})\n",
        task.prompt, solution, task.test, task.entry_point
    );
    let nonce = sandbox::nonce();
    let lit = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "''".into());
    let program = WRAPPER
        .replace("@NONCE@", &lit(&nonce))
        .replace("@SOURCE@", &lit(&source));
    let outcome = match sandbox::run_python(&program, limits) {
        Ok(o) => o,
        Err(e) => return result(false, format!("sandbox: {e}")),
    };
    let records: Vec<Record> = outcome
        .report
        .lines()
        .filter_map(|l| serde_json::from_str::<Record>(l).ok())
        .filter(|r| r.nonce == nonce)
        .collect();
    if let Some(err) = records.iter().find_map(|r| r.error.as_deref()) {
        return result(false, cut(err, 400));
    }
    match (records.iter().any(|r| r.passed), outcome.success()) {
        (true, true) => result(true, "passed".into()),
        (true, false) => result(
            false,
            format!("check passed, but then {}", outcome.reason()),
        ),
        (false, _) => {
            let last = sandbox::last_line(&outcome.stderr);
            let mut reason = format!("check did not complete: {}", outcome.reason());
            if !last.is_empty() && !reason.contains(&last) {
                reason = format!("{reason} (stderr: {last})");
            }
            result(false, reason)
        }
    }
}

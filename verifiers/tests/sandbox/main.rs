//! The code sandbox, the code verifier and HumanEval grading: positive controls first, then
//! hostile programs. Every hostile program must end as a failure within its limits, with the
//! grader (this test process) alive, no process left behind and no file written outside the
//! sandbox. These tests need root (namespaces, mounts), as the sandbox itself does.

use std::net::TcpListener;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use mull_data::{Attempt, Problem, VerdictStatus};
use mull_verifiers::code::{bench_case, CodeVerifier};
use mull_verifiers::humaneval::{grade_humaneval, HumanEvalField, HumanEvalTask};
use mull_verifiers::sandbox::{run_python, ExitKind, SandboxLimits, SandboxOutcome};
use mull_verifiers::Verifier;
use serde_json::{json, Value};

/// Short limits so the whole suite stays fast.
fn hostile_limits() -> SandboxLimits {
    SandboxLimits {
        wall: Duration::from_secs(2),
        cpu_seconds: 2,
        ..SandboxLimits::default()
    }
}

fn roomy_limits() -> SandboxLimits {
    SandboxLimits {
        wall: Duration::from_secs(8),
        cpu_seconds: 4,
        ..SandboxLimits::default()
    }
}

/// A string no other test (or earlier run) uses, to find leftovers by.
fn marker(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "mullhostile{tag}{}x{}x{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn proc_entries() -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc") {
        for e in dir.flatten() {
            if e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
            {
                out.push(e.path());
            }
        }
    }
    out
}

/// Processes whose real uid is `uid`.
fn processes_of_uid(uid: u32) -> Vec<String> {
    proc_entries()
        .into_iter()
        .filter(|p| {
            std::fs::read_to_string(p.join("status")).is_ok_and(|s| {
                s.lines().any(|l| {
                    l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some(&uid.to_string())
                })
            })
        })
        .map(|p| p.display().to_string())
        .collect()
}

/// Processes whose command line contains `marker`.
fn processes_with(marker: &str) -> Vec<String> {
    proc_entries()
        .into_iter()
        .filter(|p| {
            std::fs::read(p.join("cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(marker))
        })
        .map(|p| p.display().to_string())
        .collect()
}

/// The test process's own cgroup path for `controller` (cgroup v1), or `/`.
fn own_cgroup(controller: &str) -> String {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    text.lines()
        .find_map(|l| {
            let mut parts = l.splitn(3, ':');
            let (_, ctrls, path) = (parts.next()?, parts.next()?, parts.next()?);
            ctrls
                .split(',')
                .any(|c| c == controller)
                .then(|| path.to_string())
        })
        .unwrap_or_else(|| "/".into())
}

/// No process of the run left, no working directory left, no file at any of `outside`.
fn assert_clean(o: &SandboxOutcome, marker: &str, outside: &[String]) {
    assert!(
        processes_of_uid(o.uid).is_empty(),
        "leftover processes of uid {}: {:?}",
        o.uid,
        processes_of_uid(o.uid)
    );
    assert!(
        processes_with(marker).is_empty(),
        "leftover processes: {:?}",
        processes_with(marker)
    );
    for controller in ["pids", "memory"] {
        let dir = format!(
            "/sys/fs/cgroup/{controller}{}/mull-sandbox-{}",
            own_cgroup(controller),
            o.uid
        );
        assert!(
            !Path::new(&dir.replace("//", "/")).exists(),
            "cgroup {dir} left behind"
        );
    }
    for path in outside {
        assert!(!Path::new(path).exists(), "the sandbox wrote {path}");
    }
}

fn run(source: &str, limits: &SandboxLimits) -> SandboxOutcome {
    match run_python(source, limits) {
        Ok(o) => o,
        Err(e) => panic!("the sandbox could not run: {e}"),
    }
}

fn code_problem(entry_point: &str, tests: Value) -> Problem {
    Problem {
        id: "test-code".into(),
        family: "code".into(),
        generator_version: 1,
        seed: 0,
        index: 0,
        difficulty: 1,
        prompt: String::new(),
        answer: String::new(),
        reference: vec![],
        payload: json!({"entry_point": entry_point, "tests": tests}),
    }
}

fn attempt(source: &str) -> Attempt {
    Attempt::from_completion(
        "test-code",
        0,
        format!("<think>\nwrite it\n</think>\n```python\n{source}\n```"),
    )
}

fn sort_problem() -> Problem {
    code_problem(
        "sort_words",
        json!([
            {"args": ["b a c"], "expected": ["a", "b", "c"]},
            {"args": [""], "expected": []},
            {"args": ["z y"], "expected": ["y", "z"]},
        ]),
    )
}

mod controls;
mod forgery;
mod hostile;
mod isolation;

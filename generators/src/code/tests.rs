use super::*;
use std::collections::HashSet;

fn all_problems(per_level: u64) -> Vec<Problem> {
    let mut out = Vec::new();
    for d in 1..=LEVELS {
        for i in 0..per_level {
            out.push(Code.generate(21, i, d, None).expect("valid request"));
        }
    }
    out
}

#[test]
fn every_problem_has_5_to_10_distinct_tests_and_a_matching_solution() {
    let mut seen = HashSet::new();
    for p in all_problems(400) {
        let pl: CodePayload = p.payload_as().expect("typed payload");
        seen.insert(pl.entry_point.clone());
        assert!(
            (5..=10).contains(&pl.tests.len()),
            "{}: {} tests",
            pl.entry_point,
            pl.tests.len()
        );
        for (i, t) in pl.tests.iter().enumerate() {
            assert!(
                pl.tests[..i].iter().all(|u| u.args != t.args),
                "{}: repeated test",
                pl.entry_point
            );
        }
        assert!(
            p.answer.contains(&format!("def {}(", pl.entry_point)),
            "{}",
            p.answer
        );
        assert!(p.prompt.contains("```python") && p.prompt.contains(&pl.entry_point));
        assert!(!p.reference.is_empty());
    }
    assert!(
        seen.len() >= 12,
        "only {} templates reached: {seen:?}",
        seen.len()
    );
    assert_eq!(seen.len(), templates().len());
}

#[test]
fn python_literals() {
    let v = serde_json::json!([1, "a\"b", true, null, [false]]);
    assert_eq!(py_literal(&v), r#"[1, "a\"b", True, None, [False]]"#);
}

/// Runs every reference solution against its tests with the system Python, comparing
/// type-strictly, so the Rust and Python implementations of each spec must agree. Skipped
/// (with a note) where `/usr/bin/python3` is missing.
#[test]
fn reference_solutions_pass_their_tests_in_python() {
    let python = std::path::Path::new("/usr/bin/python3");
    if !python.exists() {
        eprintln!("skipping: /usr/bin/python3 not found");
        return;
    }
    let cases: Vec<Value> = all_problems(60)
        .into_iter()
        .map(|p| serde_json::json!({"id": p.id, "solution": p.answer, "payload": p.payload}))
        .collect();
    let dir = std::env::temp_dir().join(format!("mull-generators-code-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let data = dir.join("cases.json");
    std::fs::write(&data, serde_json::to_vec(&cases).expect("json")).expect("write cases");
    let script = r#"
import json, sys
def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b
bad = 0
for case in json.load(open(sys.argv[1])):
    ns = {}
    exec(case["solution"], ns)
    f = ns[case["payload"]["entry_point"]]
    for t in case["payload"]["tests"]:
        got = f(*t["args"])
        if not same(got, t["expected"]):
            bad += 1
            print("MISMATCH", case["payload"]["entry_point"], t["args"], "expected", repr(t["expected"]), "got", repr(got))
print("checked", flush=True)
sys.exit(1 if bad else 0)
"#;
    let out = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .arg(&data)
        .output()
        .expect("run python");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("checked"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

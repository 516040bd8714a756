//! HumanEval forgeries: wrong completions that passed the standard harness layout (prompt,
//! completion and test concatenated into one program, as `mull grade humaneval` ran them before
//! issue 12). Each must fail on both paths: a test judged outside (values compared in Rust) and
//! one whose `check` runs inside after the interpreter's state is restored.

use mull_verifiers::humaneval::Judged;

use super::*;

/// `assert candidate(2) == 4`: judged outside.
const TEST_EQUAL: &str = "def check(candidate):\n    assert candidate(2) == 4\n";
/// `abs(candidate(x) - v) < tol`: judged outside too.
const TEST_CLOSE: &str = "def check(candidate):\n    assert abs(candidate(1.5) - 3.0) < 1e-6\n";
/// A loop, a module and a builtin in the test: judged inside.
const TEST_LOOP: &str = "import math\ndef check(candidate):\n    for x in [1.5, 2.5]:\n        \
                         assert math.fabs(candidate(x) - 2 * x) < 1e-6\n        \
                         assert abs(candidate(x) - 2 * x) < 1e-6\n";

/// Wrong completions of `def double(x):`, each a forgery of the old layout (checked with plain
/// `python3` when this suite was written: every one exits 0 there against at least one test).
const FORGERIES: [(&str, &str); 6] = [
    // A trailing decorator swallows the test's `def check`.
    ("decorator", "    return 0\n@lambda f: (lambda c: None)\n"),
    // A returned object that equals everything (and subtracts to 0).
    (
        "always-equal",
        "    class E:\n        def __eq__(s, o): return True\n        def __sub__(s, o): return 0\n    return E()\n",
    ),
    // A trace hook that swaps check's `candidate` for an always-equal one.
    (
        "settrace",
        "    return 0\nimport sys\nclass _E:\n    def __eq__(s, o): return True\n    def __sub__(s, o): return 0\n\
         def _t(frame, event, arg):\n    if event == 'call' and frame.f_code.co_name == 'check':\n        \
         frame.f_locals['candidate'] = lambda *a: _E()\n    return None\nsys.settrace(_t)\n",
    ),
    // Patching what the test calls.
    (
        "builtins",
        "    return 0\nimport builtins, math\nbuiltins.abs = lambda v: 0\nmath.fabs = lambda v: 0\n",
    ),
    // Reading the expected value out of the test's compiled constants.
    (
        "test-constants",
        "    import sys\n    f = sys._getframe()\n    while f.f_back is not None:\n        f = f.f_back\n    \
         for c in f.f_code.co_consts:\n        if hasattr(c, 'co_name') and c.co_name == 'check':\n            \
         return max(k for k in c.co_consts if type(k) is int)\n    return 0\n",
    ),
    // A thread that patches the builtins while the test runs.
    (
        "late-thread",
        "    return 0\nimport threading, builtins, math, time\ndef _later():\n    time.sleep(0.3)\n    \
         builtins.abs = lambda v: 0\n    math.fabs = lambda v: 0\nthreading.Thread(target=_later).start()\n",
    ),
];

fn task(test: &str, completion: &str) -> HumanEvalTask {
    HumanEvalTask {
        task_id: "forgery/0".into(),
        prompt: "def double(x):\n".into(),
        test: test.into(),
        entry_point: "double".into(),
        canonical_solution: Some("    return 2 * x\n".into()),
        completion: Some(completion.into()),
    }
}

#[test]
fn forgery_correct_solutions_pass_on_both_paths() {
    for (test, judged) in [
        (TEST_EQUAL, Judged::Outside),
        (TEST_CLOSE, Judged::Outside),
        (TEST_LOOP, Judged::Inside),
    ] {
        let r = grade_humaneval(
            &task(test, ""),
            HumanEvalField::CanonicalSolution,
            &roomy_limits(),
        );
        assert!(r.passed, "{test}: {}", r.reason);
        assert_eq!(r.judged, judged, "{test}");
    }
}

#[test]
fn forgery_every_known_forgery_fails_on_both_paths() {
    for (name, completion) in FORGERIES {
        for test in [TEST_EQUAL, TEST_CLOSE, TEST_LOOP] {
            let r = grade_humaneval(
                &task(test, completion),
                HumanEvalField::Completion,
                &hostile_limits(),
            );
            assert!(!r.passed, "{name} forged a pass on\n{test}");
        }
    }
}

#[test]
fn forgery_reasons_name_what_was_returned() {
    let r = grade_humaneval(
        &task(TEST_EQUAL, FORGERIES[1].1),
        HumanEvalField::Completion,
        &hostile_limits(),
    );
    assert!(
        r.reason.contains("which is not a builtin value"),
        "{}",
        r.reason
    );
    let r = grade_humaneval(
        &task(TEST_LOOP, FORGERIES[1].1),
        HumanEvalField::Completion,
        &hostile_limits(),
    );
    assert!(r.reason.contains("not a builtin value"), "{}", r.reason);
    let r = grade_humaneval(
        &task(TEST_LOOP, FORGERIES[5].1),
        HumanEvalField::Completion,
        &hostile_limits(),
    );
    assert!(r.reason.contains("left a thread running"), "{}", r.reason);
}

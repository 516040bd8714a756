//! Positive controls (correct programs pass, runs are reproducible) and wrong answers.

use super::*;

// ---------------------------------------------------------------- positive controls

#[test]
fn sandbox_runs_python_as_an_unprivileged_user_in_an_empty_private_directory() {
    let src = "import os, sys\n\
               print(os.getuid() != 0, os.listdir('.'), os.getcwd() == os.environ['HOME'] == '/tmp/sandbox', os.listdir('/tmp'))\n\
               open('scratch.txt', 'w').write('ok')\n\
               print(open('scratch.txt').read(), sorted(os.environ))\n\
               os.write(3, b'report line')\n\
               print('to stderr', file=sys.stderr)\n";
    let o = run(src, &roomy_limits());
    assert_eq!(o.exit, ExitKind::Exited(0), "{}", o.stderr);
    let mut lines = o.stdout.lines();
    assert_eq!(lines.next(), Some("True [] True ['sandbox']"));
    let env_line = lines.next().unwrap_or_default();
    assert!(
        env_line.starts_with("ok ['HOME', 'LANG', 'PATH', 'PYTHON"),
        "{env_line}"
    );
    assert_eq!(o.report, "report line");
    assert_eq!(o.stderr, "to stderr\n");
    assert!(!o.truncated);
    assert_clean(&o, "unused-marker", &[]);
}

#[test]
fn runs_are_reproducible() {
    // PYTHONHASHSEED is fixed, so set and dict orders (and hence verdict reasons) repeat.
    let src =
        "print(list({'pear', 'apple', 'fig', 'kiwi', 'plum'}), hash('mull'), object(), id([]))";
    let a = run(src, &roomy_limits());
    let b = run(src, &roomy_limits());
    assert!(a.success(), "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn correct_solutions_pass_with_standard_modules() {
    let src = "import collections, itertools, re, functools, math\n\
               def sort_words(s):\n    words = re.findall(r'\\w+', s)\n    counts = collections.Counter(words)\n    \
               return sorted(itertools.chain.from_iterable([w] * counts[w] for w in counts))\n";
    let v = CodeVerifier::new(roomy_limits()).verify(&sort_problem(), &attempt(src));
    assert!(v.correct, "{}", v.reason);
    assert_eq!(v.reason, "passed 3/3 tests");
    assert_eq!(v.verifier, "code");
}

#[test]
fn correct_solutions_pass_while_printing_a_lot_and_using_a_second_of_cpu() {
    // A second of CPU while loading, then 3 MB of prints (over the 1 MiB capture bound): still a
    // pass, because results travel on their own channel.
    let src = "import time\n\
               t = time.process_time()\nwhile time.process_time() - t < 1.0:\n    pass\n\
               def sort_words(s):\n    for i in range(10000):\n        print('noise' * 60, i)\n    \
               return sorted(s.split())\n";
    let v = CodeVerifier::new(roomy_limits()).verify(&sort_problem(), &attempt(src));
    assert!(v.correct, "{}", v.reason);
}

#[test]
fn bench_case_passes_and_verdicts_per_second_is_positive() {
    let verifier = CodeVerifier::default();
    let (problem, attempt) = bench_case();
    let v = verifier.verify(&problem, &attempt);
    assert!(v.correct, "{}", v.reason);
    let rate = verifier.verdicts_per_second(4, 2);
    assert!(rate.as_ref().is_ok_and(|r| *r > 0.0), "{rate:?}");
}

#[test]
fn humaneval_contract_records_grade_as_expected() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/contract/humaneval_two.jsonl"
    ))
    .or_else(|_| std::fs::read_to_string("/work/shared/contract/humaneval_two.jsonl"));
    let Ok(text) = text else {
        eprintln!("skipping: shared/contract/humaneval_two.jsonl not found");
        return;
    };
    let tasks: Vec<HumanEvalTask> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!(tasks.len(), 2);
    let limits = roomy_limits();
    let canonical: Vec<bool> = tasks
        .iter()
        .map(|t| grade_humaneval(t, HumanEvalField::CanonicalSolution, &limits).passed)
        .collect();
    assert_eq!(canonical, [true, true]);
    let completion: Vec<_> = tasks
        .iter()
        .map(|t| grade_humaneval(t, HumanEvalField::Completion, &limits))
        .collect();
    assert!(completion[0].passed, "{}", completion[0].reason);
    assert!(!completion[1].passed);
    assert!(
        completion[1].reason.contains("AssertionError"),
        "{}",
        completion[1].reason
    );
    assert!(
        completion[1].reason.contains("candidate('hello world')"),
        "{}",
        completion[1].reason
    );
}

fn humaneval_task(solution: &str) -> HumanEvalTask {
    HumanEvalTask {
        task_id: "t/0".into(),
        prompt: "def double(x):\n".into(),
        test: "def check(candidate):\n    assert candidate(2) == 4\n".into(),
        entry_point: "double".into(),
        canonical_solution: Some("    return 2 * x\n".into()),
        completion: Some(solution.into()),
    }
}

#[test]
fn humaneval_needs_check_to_return() {
    let limits = hostile_limits();
    for (solution, fragment) in [
        ("    return x\nimport sys\nsys.exit(0)\n", "SystemExit"),
        ("    return x\nimport os\nos._exit(0)\n", "did not complete"),
        ("    return x\nprint('passed')\n", "AssertionError"),
        ("    while True: pass\n", "timeout after 2 s"),
    ] {
        let r = grade_humaneval(
            &humaneval_task(solution),
            HumanEvalField::Completion,
            &limits,
        );
        assert!(!r.passed, "{solution:?} passed");
        assert!(r.reason.contains(fragment), "{solution:?}: {}", r.reason);
    }
    let missing = HumanEvalTask {
        completion: None,
        ..humaneval_task("")
    };
    assert!(!grade_humaneval(&missing, HumanEvalField::Completion, &limits).passed);
}

// ---------------------------------------------------------------- wrong answers

#[test]
fn wrong_answers_fail_type_strictly_with_the_first_failing_test_named() {
    let problem = code_problem(
        "f",
        json!([
            {"args": [[1, 2]], "expected": [1, 2]},
            {"args": [2], "expected": 1},
        ]),
    );
    let verifier = CodeVerifier::new(roomy_limits());
    let cases = [
        (
            "def f(x):\n    return x[::-1]",
            "f([1, 2]) returned [2, 1], expected [1, 2]",
        ),
        (
            "def f(x):\n    return tuple(x) if isinstance(x, list) else 1",
            "f([1, 2]) returned (1, 2), expected [1, 2]",
        ),
        (
            "def f(x):\n    return x if isinstance(x, list) else True",
            "f(2) returned True, expected 1",
        ),
        (
            "def f(x):\n    return x if isinstance(x, list) else 1.0",
            "f(2) returned 1.0, expected 1",
        ),
        (
            "def f(x):\n    return x if isinstance(x, list) else 1 // 0",
            "f(2) raised ZeroDivisionError: integer division or modulo by zero",
        ),
        ("def g(x):\n    return x", "defines no function f"),
        ("def f(x:\n    return x", "SyntaxError"),
    ];
    for (src, reason) in cases {
        let v = verifier.verify(&problem, &attempt(src));
        assert_eq!(v.status, VerdictStatus::Incorrect, "{src}: {}", v.reason);
        assert!(v.reason.contains(reason), "{src}: {}", v.reason);
    }
    let prose =
        Attempt::from_completion("test-code", 0, "<think>\nhmm\n</think>\nAnswer: 42".into());
    assert_eq!(verifier.verify(&problem, &prose).reason, "no python block");
    let passing = verifier.verify(
        &problem,
        &attempt("def f(x):\n    return x if isinstance(x, list) else 1"),
    );
    assert!(passing.correct, "{}", passing.reason);
}

#[test]
fn exiting_or_faking_success_before_the_tests_fails() {
    let problem = sort_problem();
    let verifier = CodeVerifier::new(hostile_limits());
    let cases = [
        ("import sys\nsys.exit(0)\ndef sort_words(s):\n    return sorted(s.split())", "SystemExit"),
        ("import os\nos._exit(0)", "no test ran: exited with status 0"),
        ("def sort_words(s):\n    import sys\n    sys.exit(0)", "raised SystemExit"),
        (
            "import os\nfor i in range(3):\n    print('MULL-PASS', i)\n    \
             os.write(3, ('{\"nonce\": \"MULL-0000000000000000\", \"i\": %d, \"value\": []}\\n' % i).encode())\n\
             os.write(3, b'{\"nonce\": \"MULL-0000000000000000\", \"done\": 3}\\n')\nos._exit(0)",
            "no test ran",
        ),
        ("def sort_words(s):\n    return sorted(s.split())\nimport atexit, os\natexit.register(lambda: os._exit(3))", "but then exited with status 3"),
    ];
    std::thread::scope(|s| {
        for (src, reason) in cases {
            let (problem, verifier) = (&problem, &verifier);
            s.spawn(move || {
                let v = verifier.verify(problem, &attempt(src));
                assert_eq!(v.status, VerdictStatus::Incorrect, "{src}: {}", v.reason);
                assert!(v.reason.contains(reason), "{src}: {}", v.reason);
            });
        }
    });
}

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
        (
            "    return x\nimport os\nos._exit(0)\n",
            "check did not complete",
        ),
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

// ---------------------------------------------------------------- hostile programs

#[test]
fn hostile_infinite_loop_times_out() {
    let m = marker("loop");
    let o = run(
        &format!("# {m}\nwhile True:\n    pass\n"),
        &hostile_limits(),
    );
    assert!(!o.success());
    assert!(
        matches!(
            o.exit,
            ExitKind::Timeout(_) | ExitKind::Signaled(libc::SIGXCPU | libc::SIGKILL)
        ),
        "{:?}",
        o.exit
    );
    assert_clean(&o, &m, &[]);
    let v = CodeVerifier::new(hostile_limits()).verify(
        &sort_problem(),
        &attempt("def sort_words(s):\n    while True:\n        pass"),
    );
    assert!(!v.correct);
    assert!(
        v.reason.contains("timeout after 2 s") || v.reason.contains("CPU time"),
        "{}",
        v.reason
    );
}

#[test]
fn hostile_ignoring_sigterm_still_dies() {
    let m = marker("term");
    let src = format!(
        "import signal, os\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n\
         os.fork()\nwhile True:\n    pass  # {m}\n"
    );
    let o = run(&src, &hostile_limits());
    assert!(!o.success(), "{:?}", o.exit);
    assert_clean(&o, &m, &[]);
}

#[test]
fn hostile_fork_bomb_is_contained() {
    let m = marker("fork");
    let src = format!(
        "import os, time\nn = 0\nwhile True:\n    try:\n        os.fork()\n        n += 1\n    except OSError:\n        time.sleep(0.01)  # {m}\n"
    );
    let o = run(&src, &hostile_limits());
    assert!(!o.success(), "{:?}", o.exit);
    assert_clean(&o, &m, &[]);
    // The grader can still start processes and sandboxes.
    assert!(std::process::Command::new("/bin/true")
        .status()
        .is_ok_and(|s| s.success()));
    assert!(run("print(1)", &hostile_limits()).success());
}

#[test]
fn hostile_memory_hogs_fail() {
    let m = marker("mem");
    let one = run(
        &format!("# {m}\nx = []\nwhile True:\n    x.append(bytearray(16 << 20))\n"),
        &roomy_limits(), // ends by MemoryError, whose reason is checked
    );
    assert_eq!(one.exit, ExitKind::Exited(1));
    assert!(
        one.reason().starts_with("memory limit exceeded"),
        "{}",
        one.reason()
    );
    assert_clean(&one, &m, &[]);
    // Many processes, each under its own RLIMIT_AS, together over the limit.
    let many = run(
        &format!(
            "import os, time\nfor _ in range(6):\n    if os.fork() == 0:\n        break\n\
             x = []\ntry:\n    for _ in range(25):\n        x.append(bytearray(16 << 20))\nexcept MemoryError:\n    pass\n\
             time.sleep(5)  # {m}\n"
        ),
        &hostile_limits(),
    );
    assert!(!many.success(), "{:?}", many.exit);
    assert_clean(&many, &m, &[]);
}

#[test]
fn hostile_writes_outside_the_directory_fail() {
    let m = marker("write");
    let targets: Vec<String> = [
        "/tmp",
        "/var/tmp",
        "/dev/shm",
        "/run/lock",
        env!("CARGO_MANIFEST_DIR"),
    ]
    .iter()
    .map(|d| format!("{d}/{m}"))
    .collect();
    let src = format!(
        "import os, sys\nok = 0\nfor p in {targets:?} + ['../{m}', '../../{m}', os.path.expanduser('~/../{m}')]:\n    try:\n        \
         open(p, 'w').write('x')\n        ok += 1\n    except OSError as e:\n        print(p, e)\n\
         sys.exit(1 if ok == 0 else 0)\n"
    );
    let o = run(&src, &hostile_limits());
    assert_eq!(o.exit, ExitKind::Exited(1), "{}", o.stdout);
    assert_eq!(o.stdout.lines().count(), 8, "{}", o.stdout);
    assert_clean(&o, &m, &targets);
}

#[test]
fn hostile_killing_the_parent_and_everyone_fails() {
    let m = marker("kill");
    let src = format!(
        "import os, signal, sys\nres = []\nfor pid in [os.getppid(), -1, 1, {grader}]:\n    try:\n        os.kill(pid, signal.SIGKILL)\n        \
         res.append('sent')\n    except OSError as e:\n        res.append(type(e).__name__)\n\
         print(res)  # {m}\nsys.stdout.flush()\nos.killpg({grader}, signal.SIGKILL)\n",
        grader = std::process::id()
    );
    let o = run(&src, &hostile_limits());
    // The namespace init (its parent) refuses; kill(-1) reaches only the program's own processes
    // (none besides itself); the grader's pid and process group do not exist in its namespace.
    assert!(!o.success());
    assert_eq!(
        o.stdout.trim(),
        "['PermissionError', 'ProcessLookupError', 'PermissionError', 'ProcessLookupError']"
    );
    assert_clean(&o, &m, &[]);
    // kill(0) reaches its own process group: only the sandbox's processes, itself included.
    let pg = run("import os\nos.kill(0, 9)\n", &hostile_limits());
    assert_eq!(pg.exit, ExitKind::Signaled(libc::SIGKILL));
    let v = CodeVerifier::new(hostile_limits()).verify(&sort_problem(), &attempt(&src));
    assert!(!v.correct);
}

#[test]
fn hostile_network_connections_fail() {
    let m = marker("net");
    let listener =
        TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("cannot listen: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    listener
        .set_nonblocking(true)
        .unwrap_or_else(|e| panic!("{e}"));
    let src = format!(
        "import socket, sys\nok = 0\nfor host, port in [('127.0.0.1', {port}), ('1.1.1.1', 53), ('8.8.8.8', 443)]:\n    try:\n        \
         socket.create_connection((host, port), timeout=0.5).close()\n        ok += 1\n    except OSError as e:\n        \
         print(host, e)\ntry:\n    socket.getaddrinfo('example.com', 80)\n    ok += 1\nexcept OSError as e:\n    print('dns', e)\n\
         sys.exit(3 if ok else 1)  # {m}\n"
    );
    let o = run(&src, &hostile_limits());
    assert_eq!(o.exit, ExitKind::Exited(1), "{}\n{}", o.stdout, o.stderr);
    assert!(
        listener.accept().is_err(),
        "the sandbox reached the test's listener"
    );
    assert_clean(&o, &m, &[]);
}

#[test]
fn hostile_setsid_orphans_are_killed() {
    let m = marker("orphan");
    let src = format!(
        "import os, subprocess\n\
         subprocess.Popen(['/bin/sh', '-c', 'sleep 1000; echo {m}'], start_new_session=True)\n\
         if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        os.execv('/bin/sh', ['/bin/sh', '-c', 'sleep 1000; echo {m}'])\n    os._exit(0)\n\
         import time\ntime.sleep(0.3)\nos._exit(0)\n"
    );
    let o = run(&src, &hostile_limits());
    assert_eq!(o.exit, ExitKind::Exited(0), "{}", o.stderr);
    assert_clean(&o, &m, &[]);
    // Through the verifier the same program is a failure (it exits before any test).
    let v = CodeVerifier::new(hostile_limits()).verify(&sort_problem(), &attempt(&src));
    assert!(!v.correct);
    assert!(processes_with(&m).is_empty());
}

#[test]
fn hostile_gigabyte_of_stdout_is_drained_and_bounded() {
    let m = marker("out");
    let limits = hostile_limits();
    let src = format!(
        "import sys\nb = 'x' * (1 << 20)\nfor _ in range(1024):\n    sys.stdout.write(b)  # {m}\n"
    );
    let o = run(&src, &limits);
    assert!(o.truncated);
    assert!(o.stdout.len() <= limits.output_bytes);
    assert_clean(&o, &m, &[]);
    let v = CodeVerifier::new(limits).verify(&sort_problem(), &attempt(&src));
    assert!(!v.correct, "{}", v.reason);
}

#[test]
fn hostile_huge_files_fail() {
    let m = marker("file");
    let sparse = run(
        &format!("f = open('big', 'wb')\nf.seek(10 << 30)\nf.write(b'x')\nf.close()  # {m}\n"),
        &roomy_limits(),
    );
    assert_eq!(sparse.exit, ExitKind::Exited(1));
    assert!(
        sparse.reason().starts_with("file size limit exceeded"),
        "{}",
        sparse.reason()
    );
    let dense = run(
        &format!("b = b'x' * (1 << 20)\nwith open('big', 'wb') as f:\n    for _ in range(10 << 10):\n        f.write(b)  # {m}\n"),
        &roomy_limits(),
    );
    assert!(
        dense.reason().starts_with("file size limit exceeded"),
        "{}",
        dense.reason()
    );
    // Many files under the per-file limit fill the tmpfs instead of the disk.
    let many = run(
        &format!("b = b'x' * (8 << 20)\nfor i in range(100):\n    open('f%d' % i, 'wb').write(b)  # {m}\n"),
        &roomy_limits(),
    );
    assert!(!many.success());
    assert!(
        many.reason().contains("limit exceeded"),
        "{}",
        many.reason()
    );
    for o in [&sparse, &dense, &many] {
        assert_clean(o, &m, &[]);
    }
}

/// `cargo test -p mull-verifiers --release --test sandbox -- --ignored --nocapture` prints the
/// code verdicts per second (sequential and on every core) and the reasons hostile programs get.
#[test]
#[ignore]
fn report_code_verdicts_per_second_and_hostile_reasons() {
    let verifier = CodeVerifier::default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    for threads in [1, cores] {
        let before = children_cpu_seconds();
        match verifier.verdicts_per_second(100, threads) {
            Ok(rate) => println!(
                "code verdicts/s on {threads} thread(s): {rate:.1} ({:.1} ms of sandbox CPU per verdict)",
                (children_cpu_seconds() - before) * 10.0
            ),
            Err(e) => panic!("{e}"),
        }
    }
    let limits = hostile_limits();
    let verifier = CodeVerifier::new(limits.clone());
    for src in [
        "def sort_words(s):\n    while True:\n        pass",
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        "x = []\nwhile True:\n    x.append(bytearray(16 << 20))",
        "open('/tmp/mull-hostile-report', 'w')",
        "import os\nos.kill(os.getppid(), 9)",
        "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)",
        "import sys\nsys.exit(0)",
        "import os\nos._exit(0)",
        "f = open('big', 'wb')\nf.seek(10 << 30)\nf.write(b'x')",
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass",
    ] {
        let v = verifier.verify(&sort_problem(), &attempt(src));
        println!(
            "{:?} -> {:?}: {}",
            src.lines().last().unwrap_or(""),
            v.status,
            v.reason
        );
    }
}

/// User + system CPU seconds of all reaped descendants (the sandboxes' processes).
fn children_cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the zeroed struct we pass.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut u);
        u
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

#[test]
fn hostile_user_namespaces_do_not_regain_write_access() {
    let m = marker("userns");
    let target = format!("/var/tmp/{m}");
    let script = format!(
        "mount -o remount,rw,bind /var/tmp; mount -o remount,rw /; mount -t tmpfs none /mnt; touch {target}; ls /proc | head -50 | tr '\\n' ' '"
    );
    let src = format!(
        "import subprocess\nr = subprocess.run(['/usr/bin/unshare', '-Urm', '/bin/sh', '-c', {script:?}], capture_output=True, text=True)\n\
         print(r.returncode, r.stdout, r.stderr)\nraise SystemExit(1)\n"
    );
    let o = run(&src, &hostile_limits());
    assert_eq!(o.exit, ExitKind::Exited(1), "{}", o.stderr);
    // The inner user namespace works, but the read-only mounts it inherits stay locked...
    assert!(o.stdout.contains("Read-only file system"), "{}", o.stdout);
    // ...and its /proc lists only the sandbox's few processes (exit code first, then pids).
    let pids = o
        .stdout
        .split_whitespace()
        .skip(1)
        .filter(|w| w.bytes().all(|b| b.is_ascii_digit()))
        .count();
    assert!(pids < 12, "the sandbox sees host processes: {}", o.stdout);
    assert_clean(&o, &m, &[target]);
}

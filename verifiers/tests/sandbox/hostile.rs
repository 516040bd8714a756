//! Hostile programs: each ends as a failure within its limits, with the grader alive and nothing left behind.

use super::*;

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
fn hostile_user_namespaces_cannot_be_made() {
    let m = marker("userns");
    let target = format!("/tmp/sandbox/{m}");
    let script = format!("mount -t tmpfs none /tmp; touch {target}");
    let src = format!(
        "import subprocess\nr = subprocess.run(['/usr/bin/unshare', '-Urm', '/bin/sh', '-c', {script:?}], capture_output=True, text=True)\n\
         print(r.returncode, r.stdout, r.stderr)\nraise SystemExit(1)\n"
    );
    let o = run(&src, &hostile_limits());
    assert_eq!(o.exit, ExitKind::Exited(1), "{}", o.stderr);
    // The seccomp filter refuses `unshare` (and `clone` with CLONE_NEWUSER) outright.
    assert!(
        o.stdout.contains("unshare failed: Operation not permitted"),
        "{}",
        o.stdout
    );
    assert_clean(&o, &m, &[]);
}

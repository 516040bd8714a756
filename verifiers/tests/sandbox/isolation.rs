//! What the sandbox's own root, procfs, capability set and seccomp filter hide: each test is an
//! attack that got through before them (issue 12) and must now fail.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;

use super::*;

/// A world-readable directory of the host (not hidden like `/tmp`), as a run directory is.
fn host_dir(m: &str) -> std::path::PathBuf {
    let dir = Path::new("/var/tmp").join(m);
    std::fs::create_dir_all(dir.join("runs")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("{e}"));
    dir
}

#[test]
fn isolation_host_files_processes_and_mounts_are_invisible() {
    let m = marker("files");
    let dir = host_dir(&m);
    let secret = dir.join("runs/problems.jsonl");
    std::fs::write(&secret, "{\"expected\": 42}\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644))
        .unwrap_or_else(|e| panic!("{e}"));
    let grader = std::env::args().next().unwrap_or_default();
    // The program knows the path (the strongest form of the /proc/1/cmdline attack) and looks
    // for the grader's command line in every /proc entry it can see.
    let src = format!(
        "import os, json\nseen = {{}}\ntry:\n    seen['secret'] = open({secret:?}).read()\nexcept OSError as e:\n    \
         seen['secret'] = type(e).__name__\nseen['root'] = sorted(os.listdir('/'))\n\
         seen['pids'] = sorted(p for p in os.listdir('/proc') if p.isdigit())\ncmdlines = []\n\
         for p in seen['pids'] + ['1']:\n    try:\n        cmdlines.append(open('/proc/%s/cmdline' % p, 'rb').read().decode('utf-8', 'replace'))\n    \
         except OSError as e:\n        cmdlines.append(type(e).__name__)\nseen['cmdlines'] = cmdlines\n\
         seen['mounts'] = [l.split()[4] for l in open('/proc/self/mountinfo')]\n\
         seen['etc'] = sorted(os.listdir('/etc'))\nprint(json.dumps(seen))\n"
    );
    let o = run(&src, &roomy_limits());
    std::fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert!(o.success(), "{}", o.stderr);
    let seen: Value = serde_json::from_str(o.stdout.trim()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(seen["secret"], "FileNotFoundError", "{seen}");
    let root: Vec<&str> = seen["root"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for name in &root {
        assert!(
            [
                "bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "sbin", "tmp",
                "usr"
            ]
            .contains(name),
            "unexpected /{name} in the sandbox root: {root:?}"
        );
    }
    assert_eq!(seen["etc"], json!(["ld.so.cache"]), "{seen}");
    // Only the program's own process: the init (a fork of the grader) is hidden.
    assert_eq!(seen["pids"].as_array().map(Vec::len), Some(1), "{seen}");
    let cmdlines = seen["cmdlines"].to_string();
    assert!(cmdlines.contains("python3"), "{cmdlines}");
    assert!(
        !cmdlines.contains(&grader),
        "the grader's argv leaked: {cmdlines}"
    );
    let mounts = seen["mounts"].to_string();
    for host_only in ["/var", "/work", "/sys", "/root", "/home"] {
        assert!(!mounts.contains(host_only), "host mount visible: {mounts}");
    }
    assert_clean(&o, &m, &[]);
}

#[test]
fn isolation_host_unix_socket_is_unreachable() {
    let m = marker("unix");
    let dir = host_dir(&m);
    let path = dir.join("listener.sock");
    let listener = UnixListener::bind(&path).unwrap_or_else(|e| panic!("cannot listen: {e}"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777))
        .unwrap_or_else(|e| panic!("{e}"));
    listener
        .set_nonblocking(true)
        .unwrap_or_else(|e| panic!("{e}"));
    let src = format!(
        "import socket, sys\nreached = 0\nfor family, addr in [(socket.AF_UNIX, {path:?}), (socket.AF_UNIX, '\\0{m}'), \
         (socket.AF_INET, ('127.0.0.1', 22))]:\n    try:\n        s = socket.socket(family, socket.SOCK_STREAM)\n        \
         s.connect(addr)\n        s.sendall(b'{m}')\n        reached += 1\n    except OSError as e:\n        print(type(e).__name__, e)\n\
         sys.exit(3 if reached else 1)\n"
    );
    let o = run(&src, &hostile_limits());
    let accepted = listener.accept();
    std::fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(o.exit, ExitKind::Exited(1), "{}\n{}", o.stdout, o.stderr);
    assert!(
        accepted.is_err(),
        "the sandbox reached the host's UNIX socket"
    );
    // The seccomp filter refuses the socket itself, whatever the address.
    assert_eq!(
        o.stdout.matches("PermissionError").count(),
        3,
        "{}",
        o.stdout
    );
    assert_clean(&o, &m, &[]);
}

#[test]
fn isolation_no_capabilities_and_a_seccomp_filter() {
    let src = "import os, socket, threading, ctypes, json\n\
               status = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines() if ':' in l)\n\
               keys = ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb', 'NoNewPrivs', 'Seccomp']\n\
               out = {k: status.get(k, '').strip() for k in keys}\n\
               libc = ctypes.CDLL(None, use_errno=True)\n\
               out['unshare'] = [libc.unshare(0x10000000), ctypes.get_errno()]\n\
               out['setns'] = [libc.setns(0, 0), ctypes.get_errno()]\n\
               a, b = socket.socketpair(); a.sendall(b'x'); out['socketpair'] = b.recv(1).decode()\n\
               box = []\n\
               t = threading.Thread(target=lambda: box.append(1)); t.start(); t.join(); out['thread'] = box\n\
               pid = os.fork()\n\
               if pid == 0:\n    os._exit(7)\n\
               out['fork'] = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])\n\
               print(json.dumps(out))\n";
    let o = run(src, &roomy_limits());
    assert!(o.success(), "{}", o.stderr);
    let seen: Value = serde_json::from_str(o.stdout.trim()).unwrap_or_else(|e| panic!("{e}"));
    for cap in ["CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"] {
        assert_eq!(seen[cap], "0000000000000000", "{cap}: {seen}");
    }
    assert_eq!(seen["NoNewPrivs"], "1");
    assert_eq!(seen["Seccomp"], "2", "no seccomp filter: {seen}");
    assert_eq!(seen["unshare"], json!([-1, libc::EPERM]));
    assert_eq!(seen["setns"], json!([-1, libc::EPERM]));
    // What Python needs keeps working: socketpair (asyncio), threads (clone3 falls back to
    // clone), fork.
    assert_eq!(seen["socketpair"], "x");
    assert_eq!(seen["thread"], json!([1]));
    assert_eq!(seen["fork"], 7);
}

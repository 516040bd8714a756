//! A sandbox for running untrusted Python programs (candidate solutions and their hidden tests).
//!
//! [`run_python`] runs `/usr/bin/python3 -s -S -B -` on a program fed through stdin and returns
//! a [`SandboxOutcome`]: how it ended, its captured stdout/stderr and a separate *report* channel
//! (file descriptor 3) that harnesses use for results, so that a program's own prints can never
//! be mistaken for them.
//!
//! # Mechanism
//!
//! Linux namespaces, as `bubblewrap` and `unshare(1)` use them, plus rlimits and cgroups, set up
//! directly with system calls between `fork` and `execve` (see `child.rs`):
//!
//! - **Process tree**: a new PID namespace. Its init (PID 1) is a tiny reaper forked by mull;
//!   the program is its child. When the program exits, or when the wall-clock limit SIGKILLs the
//!   init, the kernel kills every process left in the namespace, including `setsid` and
//!   double-fork orphans. A grader that dies takes the sandbox with it (parent-death signals).
//! - **Process count**: a `pids` cgroup (`processes` + 2) where cgroup v1 is writable, plus
//!   RLIMIT_NPROC for the sandbox's uid (each run gets its own uid, so it counts only that run).
//! - **Memory**: RLIMIT_AS (`memory_bytes`) per process and, where available, a `memory` cgroup
//!   of twice that for the whole tree (tmpfs files included); an OOM kill is reported as such.
//! - **CPU**: RLIMIT_CPU per process (SIGXCPU, then SIGKILL one second later).
//! - **Files**: a root of its own (`root.rs`): a fresh tmpfs holding read-only, `nosuid` bind
//!   mounts of `/usr` (the interpreter and its libraries), the host's `/bin`-style symlinks into
//!   it, `/etc/ld.so.cache` and four device nodes (`null`, `zero`, `random`, `urandom`), entered
//!   with `pivot_root`, the host's root detached. No other host file, directory, UNIX socket or
//!   mount exists for the program. A tmpfs of `disk_bytes` (root-owned, read-only to the
//!   program) on `/tmp` holds the working directory [`WORKDIR`] (`/tmp/sandbox`, owned by the
//!   program's uid): the only writable place, empty at the start, gone with the namespace, and
//!   the same path in every run. RLIMIT_FSIZE caps each file, RLIMIT_NOFILE open files; no core
//!   dumps. Nothing is created on the host filesystem.
//! - **Processes visible**: `/proc` is a fresh procfs of the sandbox's PID namespace mounted
//!   read-only with `hidepid=2`: the program sees its own processes only, not the namespace's
//!   init (a fork of the grader, whose command line names the grader's input files).
//! - **Network**: a new network namespace with only a loopback interface that is down: no
//!   connection to the host, the machine's loopback services or the internet.
//! - **Reproducibility**: fixed paths, environment and hash seed, and address-space layout
//!   randomisation off (`personality(ADDR_NO_RANDOMIZE)`), so reprs such as `<object at 0x...>`
//!   repeat between runs; only resource-limit outcomes depend on timing.
//! - **Privileges**: the program runs as an unprivileged uid/gid (1,000,000 and up, unique per
//!   run, in no group) with no capabilities, an empty capability bounding set and
//!   `no_new_privs`, so set-uid binaries cannot give root back, it cannot remount anything, and
//!   it cannot signal the grader (which is both outside its PID namespace and another user) or
//!   processes of other runs.
//! - **System calls**: a seccomp deny-list (`seccomp.rs`, where the choice of a deny-list over
//!   an allow-list is argued): no sockets of any family, no new namespaces, no ptrace, no
//!   mounts, no bpf, perf events, userfaultfd, io_uring or keyrings; a denied call fails with
//!   `EPERM`.
//! - **IPC/UTS**: new IPC (System V, POSIX queues) and UTS namespaces.
//! - **Environment**: only `PATH=/usr/bin:/bin`, `LANG=C.UTF-8`, `HOME` and `TMPDIR` = the
//!   working directory, `PYTHONHASHSEED=0` (deterministic set/dict ordering, hence reproducible
//!   verdicts), `PYTHONDONTWRITEBYTECODE=1`, `PYTHONSAFEPATH=1`, `PYTHONNOUSERSITE=1`. Python
//!   runs with `-s -S -B` (no user or site packages, no bytecode files); `-E`/`-I` are not used
//!   because they would ignore `PYTHONHASHSEED`, and the environment is already clean.
//! - **Output**: stdout, stderr and the report channel are each captured up to `output_bytes`;
//!   the rest is read and discarded, so a gigabyte of output neither blocks nor fills memory.
//!   Stdin carries the program text and is at end-of-file once Python has read it.
//!
//! # What is not isolated
//!
//! - **Reading `/usr`**: every world-readable file under `/usr` is visible (read-only), and
//!   `/proc` shows the kernel's global files (`/proc/cpuinfo`, `/proc/meminfo`, `/proc/sys`).
//! - **CPU and memory bandwidth** are shared with the grader and other runs (no CPU cgroup);
//!   the kernel, its attack surface beyond the seccomp deny-list, and timing side channels are
//!   shared.
//! - **Same-process harness data**: code running inside the Python interpreter can inspect that
//!   interpreter. The code verifier therefore keeps the expected outputs outside the sandbox and
//!   compares in Rust; a pass needs the right values, not only a marker (see [`crate::code`]).
//! - **Python itself**: only the standard library is importable (`-S`: no site-packages);
//!   there is no `/dev/shm`, so `multiprocessing` synchronisation primitives fail; there is no
//!   `/etc` beyond the loader cache, so the time zone is UTC and `pwd` knows no users.
//! - **Speed**: each run forks the grader and starts a fresh interpreter: about 6 ms of CPU for
//!   the sandbox plus Python's own start-up (about 20 ms of CPU on the reference machine).
//! - **Root required**: namespaces and mounts need root (or CAP_SYS_ADMIN). Without them every
//!   run fails with [`SandboxError::Setup`] naming the step; there is no weaker fallback.

mod cgroup;
mod child;
mod root;
mod run;
mod seccomp;

use std::time::Duration;

pub use run::{cgroups_available, run_python};

/// The interpreter every sandboxed program runs under (not the `python3` on `PATH`, which may
/// be a pyenv shim that breaks in a clean environment).
pub const PYTHON: &str = "/usr/bin/python3";

/// The program's working directory (and `HOME`, `TMPDIR`) inside the sandbox: the same path in
/// every run, so that error messages, and hence verdict reasons, do not vary between runs.
pub const WORKDIR: &str = "/tmp/sandbox";

/// Resource limits of one sandboxed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxLimits {
    /// Wall-clock limit; the whole process tree is SIGKILLed when it runs out.
    pub wall: Duration,
    /// CPU seconds per process (RLIMIT_CPU).
    pub cpu_seconds: u64,
    /// Address space per process (RLIMIT_AS); with cgroups the whole tree gets twice this.
    pub memory_bytes: u64,
    /// Processes (and threads) of the whole tree.
    pub processes: u64,
    /// Largest file the program may write (RLIMIT_FSIZE).
    pub file_size_bytes: u64,
    /// Size of the tmpfs working directory (all files together).
    pub disk_bytes: u64,
    /// Bytes captured from each of stdout, stderr and the report channel; the rest is discarded.
    pub output_bytes: usize,
}

impl Default for SandboxLimits {
    fn default() -> Self {
        SandboxLimits {
            wall: Duration::from_secs(10),
            cpu_seconds: 5,
            memory_bytes: 512 << 20,
            processes: 32,
            file_size_bytes: 16 << 20,
            disk_bytes: 64 << 20,
            output_bytes: 1 << 20,
        }
    }
}

/// How a sandboxed program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExitKind {
    /// It exited with this status.
    Exited(i32),
    /// It was killed by this signal.
    Signaled(i32),
    /// The wall-clock limit (given) ran out and the tree was killed.
    Timeout(Duration),
}

/// The result of one sandboxed run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxOutcome {
    pub exit: ExitKind,
    /// Captured stdout (lossy UTF-8), at most `output_bytes`.
    pub stdout: String,
    /// Captured stderr (lossy UTF-8), at most `output_bytes`.
    pub stderr: String,
    /// What the program wrote to file descriptor 3 (lossy UTF-8), at most `output_bytes`.
    pub report: String,
    /// Whether any of the three streams went over `output_bytes`.
    pub truncated: bool,
    pub wall: Duration,
    /// The unprivileged uid the program ran as (unique per run; tests look for leftovers by it).
    pub uid: u32,
    /// The memory cgroup's OOM killer fired.
    pub memory_limit_hit: bool,
    /// A fork was refused by the pids cgroup.
    pub process_limit_hit: bool,
}

impl SandboxOutcome {
    /// Exited with status 0.
    pub fn success(&self) -> bool {
        self.exit == ExitKind::Exited(0)
    }

    /// A one-line reason: `timeout after 2 s`, `killed by SIGKILL (memory limit?)`,
    /// `file size limit exceeded: OSError: [Errno 27] File too large`, `exited with status 1:
    /// ValueError: ...`.
    pub fn reason(&self) -> String {
        let last = last_line(&self.stderr);
        match self.exit {
            ExitKind::Timeout(limit) => format!("timeout after {} s", fmt_secs(limit)),
            ExitKind::Signaled(sig) => {
                let name = signal_name(sig);
                match sig {
                    libc::SIGKILL if self.memory_limit_hit => {
                        "killed by SIGKILL (memory limit exceeded)".to_string()
                    }
                    libc::SIGKILL => "killed by SIGKILL (memory limit?)".to_string(),
                    libc::SIGXCPU => "CPU time limit exceeded (SIGXCPU)".to_string(),
                    libc::SIGXFSZ => "file size limit exceeded (SIGXFSZ)".to_string(),
                    _ => format!("killed by {name}"),
                }
            }
            ExitKind::Exited(code) => {
                let hint = if last.contains("[Errno 27]") || last.contains("File too large") {
                    "file size limit exceeded: "
                } else if last.contains("[Errno 28]") {
                    "disk limit exceeded: "
                } else if last.starts_with("MemoryError") || self.memory_limit_hit {
                    "memory limit exceeded: "
                } else if last.contains("[Errno 11]") || self.process_limit_hit {
                    "process limit reached: "
                } else {
                    ""
                };
                match (code, last.is_empty()) {
                    (0, _) => format!("{hint}exited with status 0"),
                    (_, true) => format!("{hint}exited with status {code}"),
                    (_, false) => format!("{hint}exited with status {code}: {last}"),
                }
            }
        }
    }
}

/// The last non-empty line of `text`, cut to 300 characters.
pub(crate) fn last_line(text: &str) -> String {
    let line = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    cut(line, 300)
}

/// `text` cut to at most `max` characters, with `...` when cut.
pub(crate) fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text.to_string(),
    }
}

/// A per-run token of 16 random hex digits (`MULL-...`) for harness records: unguessable by a
/// program that cannot read the harness.
pub(crate) fn nonce() -> String {
    use std::io::Read;
    let mut bytes = [0u8; 8];
    let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    // The clock mixed in keeps nonces distinct even if /dev/urandom were unreadable.
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    format!(
        "MULL-{:016x}",
        u64::from_le_bytes(bytes) ^ (t.as_nanos() as u64)
    )
}

fn fmt_secs(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        d.as_secs().to_string()
    } else {
        format!("{:.1}", d.as_secs_f64())
    }
}

fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// Why a sandbox could not be run at all (as opposed to a program that failed inside it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SandboxError {
    #[error("cannot create the sandbox's pipes: {0}")]
    Pipe(std::io::Error),
    #[error("cannot fork the sandbox: {0}")]
    Fork(std::io::Error),
    /// A setup step in the forked child failed; `stage` names it (and what it needs).
    #[error("sandbox setup failed while {stage}: {source}")]
    Setup {
        stage: &'static str,
        source: std::io::Error,
    },
    #[error("sandbox I/O failed: {0}")]
    Io(std::io::Error),
    #[error("the sandbox ended without reporting the program's status")]
    NoStatus,
    #[error("the program text contains a NUL byte or the working directory path is not valid")]
    BadInput,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_name_the_limit() {
        let mut o = SandboxOutcome {
            exit: ExitKind::Timeout(Duration::from_secs(2)),
            stdout: String::new(),
            stderr: String::new(),
            report: String::new(),
            truncated: false,
            wall: Duration::from_secs(2),
            uid: 1,
            memory_limit_hit: false,
            process_limit_hit: false,
        };
        assert_eq!(o.reason(), "timeout after 2 s");
        o.exit = ExitKind::Signaled(libc::SIGKILL);
        assert_eq!(o.reason(), "killed by SIGKILL (memory limit?)");
        o.exit = ExitKind::Exited(1);
        o.stderr = "Traceback\nOSError: [Errno 27] File too large\n".into();
        assert!(
            o.reason()
                .starts_with("file size limit exceeded: exited with status 1"),
            "{}",
            o.reason()
        );
        assert_eq!(cut("abcdef", 3), "abc...");
    }
}

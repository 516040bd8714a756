//! The grader's side of a run: prepare, fork, feed stdin, capture output, reap, clean up.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use super::cgroup::Cgroups;
use super::child::{self, ExecArgs, Plan, Record};
use super::root::RootPlan;
use super::seccomp;
use super::{ExitKind, SandboxError, SandboxLimits, SandboxOutcome, PYTHON, WORKDIR};

/// Extra time the grader allows past the keeper's own wall-clock limit before killing it.
const GRACE: Duration = Duration::from_secs(2);
const OPEN_FILES: u64 = 256;

static RUNS: AtomicU32 = AtomicU32::new(0);

/// A uid (and gid) for one run: unique within this process for 4096 concurrent runs and
/// distinct across processes with different pids, never 0 and outside the usual system range.
fn run_uid() -> u32 {
    let n = RUNS.fetch_add(1, Ordering::Relaxed) % 4096;
    1_000_000 + ((std::process::id() % 4096) << 12 | n)
}

/// Whether `pids` and `memory` cgroups can be created here (for documentation and tests).
pub fn cgroups_available() -> bool {
    let g = Cgroups::create(&format!("mull-probe-{}", std::process::id()), 4, 64 << 20);
    g.has_pids()
}

fn pipe() -> Result<(OwnedFd, OwnedFd), SandboxError> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` is a valid array of two ints for pipe2 to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(SandboxError::Pipe(io::Error::last_os_error()));
    }
    // SAFETY: pipe2 succeeded, so both are fresh descriptors owned by nobody else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn set_nonblocking(fd: &OwnedFd) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

fn cstring(s: impl Into<Vec<u8>>) -> Result<CString, SandboxError> {
    CString::new(s).map_err(|_| SandboxError::BadInput)
}

/// A stream captured up to a bound; the rest is counted and dropped.
struct Capture {
    fd: Option<OwnedFd>,
    data: Vec<u8>,
    limit: usize,
    truncated: bool,
}

impl Capture {
    fn new(fd: OwnedFd, limit: usize) -> Self {
        set_nonblocking(&fd);
        Capture {
            fd: Some(fd),
            data: Vec::new(),
            limit,
            truncated: false,
        }
    }

    /// Reads until the pipe is empty (or closed), keeping at most `limit` bytes.
    fn drain(&mut self, scratch: &mut [u8]) {
        while let Some(fd) = &self.fd {
            // SAFETY: reading into a live buffer of the given length from a descriptor we own.
            let n =
                unsafe { libc::read(fd.as_raw_fd(), scratch.as_mut_ptr().cast(), scratch.len()) };
            if n > 0 {
                let got = &scratch[..n as usize];
                let room = self.limit.saturating_sub(self.data.len());
                self.data.extend_from_slice(&got[..got.len().min(room)]);
                self.truncated |= got.len() > room;
            } else if n == 0 {
                self.fd = None;
            } else {
                match io::Error::last_os_error().raw_os_error() {
                    Some(libc::EINTR) => {}
                    Some(libc::EAGAIN) => return,
                    _ => self.fd = None,
                }
            }
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// Runs `source` under `/usr/bin/python3` in the sandbox described in [`super`].
///
/// A program that fails, crashes, runs out of time or breaks a limit is an `Ok` outcome; an
/// `Err` means the sandbox itself could not be set up (no root, no `/usr/bin/python3`, ...).
pub fn run_python(source: &str, limits: &SandboxLimits) -> Result<SandboxOutcome, SandboxError> {
    let uid = run_uid();
    // The tree's memory cap is twice the per-process one: a single process runs into RLIMIT_AS
    // first (a clean MemoryError) instead of the cgroup's reclaim and OOM killer.
    let tree_memory = limits.memory_bytes.saturating_mul(2);
    let mut cgroups = Cgroups::create(
        &format!("mull-sandbox-{uid}"),
        limits.processes,
        tree_memory,
    );

    let (stdin_r, stdin_w) = pipe()?;
    let (stdout_r, stdout_w) = pipe()?;
    let (stderr_r, stderr_w) = pipe()?;
    let (report_r, report_w) = pipe()?;
    let (status_r, status_w) = pipe()?;

    let mut envp = vec![format!("HOME={WORKDIR}"), format!("TMPDIR={WORKDIR}")];
    for var in [
        "PATH=/usr/bin:/bin",
        "LANG=C.UTF-8",
        "PYTHONHASHSEED=0",
        "PYTHONDONTWRITEBYTECODE=1",
        "PYTHONSAFEPATH=1",
        "PYTHONNOUSERSITE=1",
    ] {
        envp.push(var.to_string());
    }
    let rl = |v: u64| v as libc::rlim_t;
    let plan = Plan {
        // SAFETY: getpid has no preconditions.
        grader_pid: unsafe { libc::getpid() },
        cgroup_fds: cgroups.procs_fds(),
        fds: [
            stdin_r.as_raw_fd(),
            stdout_w.as_raw_fd(),
            stderr_w.as_raw_fd(),
            report_w.as_raw_fd(),
            status_w.as_raw_fd(),
        ],
        root: RootPlan::new(WORKDIR, limits.disk_bytes)?,
        workdir: cstring(WORKDIR)?,
        seccomp: seccomp::filter(),
        uid,
        gid: uid,
        rlimits: vec![
            (
                libc::RLIMIT_CPU,
                rl(limits.cpu_seconds.max(1)),
                rl(limits.cpu_seconds.max(1) + 1),
            ),
            (
                libc::RLIMIT_AS,
                rl(limits.memory_bytes),
                rl(limits.memory_bytes),
            ),
            (
                libc::RLIMIT_NPROC,
                rl(limits.processes),
                rl(limits.processes),
            ),
            (
                libc::RLIMIT_FSIZE,
                rl(limits.file_size_bytes),
                rl(limits.file_size_bytes),
            ),
            (libc::RLIMIT_NOFILE, rl(OPEN_FILES), rl(OPEN_FILES)),
            (libc::RLIMIT_CORE, 0, 0),
        ],
        wall_ms: limits.wall.as_millis().min(i32::MAX as u128) as i32,
        program: cstring(PYTHON)?,
        argv: ["python3", "-s", "-S", "-B", "-"]
            .into_iter()
            .map(cstring)
            .collect::<Result<_, _>>()?,
        envp: envp.into_iter().map(cstring).collect::<Result<_, _>>()?,
    };
    let exec = ExecArgs::new(&plan);

    let start = Instant::now();
    // SAFETY: the child runs only `child::keeper`, which makes raw system calls on memory
    // prepared above and never returns (no allocation, no locks: safe in a multi-threaded
    // parent).
    let keeper = unsafe { libc::fork() };
    if keeper < 0 {
        return Err(SandboxError::Fork(io::Error::last_os_error()));
    }
    if keeper == 0 {
        // SAFETY: we are the freshly forked child; see above.
        unsafe { child::keeper(&plan, &exec) }
    }
    // The keeper has its own copies; closing ours lets EOFs and EPIPEs arrive.
    drop((stdin_r, stdout_w, stderr_w, report_w, status_w));
    cgroups.close_procs();

    let mut reaper = Keeper {
        pid: keeper,
        reaped: false,
    };
    let captures = feed_and_capture(
        &mut reaper,
        source.as_bytes(),
        [stdout_r, stderr_r, report_r],
        stdin_w,
        limits,
        start,
    );
    let wall = start.elapsed();
    reaper.reap();
    let [stdout, stderr, report] = captures?;

    let mut status_bytes = Vec::new();
    let mut status = Capture::new(status_r, 4096);
    status.drain(&mut [0u8; 256]);
    status_bytes.extend_from_slice(&status.data);
    let records: Vec<Record> = status_bytes
        .chunks(Record::SIZE)
        .filter_map(Record::parse)
        .collect();

    let memory_limit_hit = cgroups.oom_killed();
    let process_limit_hit = cgroups.pids_limit_hit();
    cgroups.remove();

    if let Some(err) = records.iter().find(|r| r.tag == child::TAG_SETUP_ERROR) {
        let stage = child::STAGE_NAMES
            .get(err.a as usize)
            .copied()
            .unwrap_or("setting up");
        return Err(SandboxError::Setup {
            stage,
            source: io::Error::from_raw_os_error(err.b),
        });
    }
    let timed_out =
        records.iter().any(|r| r.tag == child::TAG_TIMEOUT) || wall >= limits.wall + GRACE;
    let exit = if timed_out {
        ExitKind::Timeout(limits.wall)
    } else {
        let Some(prog) = records.iter().find(|r| r.tag == child::TAG_PROGRAM_STATUS) else {
            return Err(SandboxError::NoStatus);
        };
        let st = prog.a;
        if libc::WIFEXITED(st) {
            ExitKind::Exited(libc::WEXITSTATUS(st))
        } else {
            ExitKind::Signaled(libc::WTERMSIG(st))
        }
    };
    Ok(SandboxOutcome {
        exit,
        truncated: stdout.truncated || stderr.truncated || report.truncated,
        stdout: stdout.text(),
        stderr: stderr.text(),
        report: report.text(),
        wall,
        uid,
        memory_limit_hit,
        process_limit_hit,
    })
}

/// The keeper process: reaped exactly once, killed first if still running when dropped.
struct Keeper {
    pid: libc::pid_t,
    reaped: bool,
}

impl Keeper {
    fn kill(&self) {
        if !self.reaped {
            // SAFETY: our own unreaped child, so the pid cannot have been reused.
            unsafe { libc::kill(self.pid, libc::SIGKILL) };
        }
    }

    /// Non-blocking check; reaps the keeper if it has exited.
    fn try_reap(&mut self) -> bool {
        if !self.reaped {
            let mut st = 0;
            // SAFETY: waitpid on our own child with a valid status pointer.
            let r = unsafe { libc::waitpid(self.pid, &mut st, libc::WNOHANG) };
            self.reaped = r == self.pid || r < 0;
        }
        self.reaped
    }

    fn reap(&mut self) {
        while !self.reaped {
            let mut st = 0;
            // SAFETY: waitpid on our own child with a valid status pointer.
            let r = unsafe { libc::waitpid(self.pid, &mut st, 0) };
            if r == self.pid
                || (r < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR))
            {
                self.reaped = true;
            }
        }
    }
}

impl Drop for Keeper {
    fn drop(&mut self) {
        self.kill();
        self.reap();
    }
}

/// Feeds the program text to stdin and captures the three output streams until the keeper
/// exits (or the grader's own deadline passes, when it kills the keeper).
fn feed_and_capture(
    keeper: &mut Keeper,
    source: &[u8],
    outputs: [OwnedFd; 3],
    stdin_w: OwnedFd,
    limits: &SandboxLimits,
    start: Instant,
) -> Result<[Capture; 3], SandboxError> {
    let deadline = start + limits.wall + GRACE;
    // SAFETY: pidfd_open on our own unreaped child; the result is checked below.
    let raw = unsafe { libc::syscall(libc::SYS_pidfd_open, keeper.pid, 0) } as RawFd;
    // SAFETY: a non-negative result is a fresh descriptor that we own.
    let pidfd = (raw >= 0).then(|| unsafe { OwnedFd::from_raw_fd(raw) });
    let mut caps = outputs.map(|fd| Capture::new(fd, limits.output_bytes));
    set_nonblocking(&stdin_w);
    let mut stdin = Some(stdin_w);
    let mut written = 0usize;
    let mut scratch = vec![0u8; 64 << 10];
    loop {
        let now = Instant::now();
        if now >= deadline {
            keeper.kill();
            break;
        }
        let mut pfds: Vec<libc::pollfd> = Vec::with_capacity(5);
        let pollfd = |fd: RawFd, events| libc::pollfd {
            fd,
            events,
            revents: 0,
        };
        for c in &caps {
            pfds.push(pollfd(
                c.fd.as_ref().map_or(-1, |f| f.as_raw_fd()),
                libc::POLLIN,
            ));
        }
        pfds.push(pollfd(
            stdin.as_ref().map_or(-1, |f| f.as_raw_fd()),
            libc::POLLOUT,
        ));
        pfds.push(pollfd(
            pidfd.as_ref().map_or(-1, |f| f.as_raw_fd()),
            libc::POLLIN,
        ));
        // Without a pidfd, wake up regularly to check on the keeper.
        let wait = if pidfd.is_some() {
            deadline - now
        } else {
            (deadline - now).min(Duration::from_millis(10))
        };
        let ms = wait.as_millis().clamp(1, i32::MAX as u128) as i32;
        // SAFETY: `pfds` is a live array of the given length.
        let r = unsafe { libc::poll(pfds.as_mut_ptr(), pfds.len() as libc::nfds_t, ms) };
        if r < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            keeper.kill();
            return Err(SandboxError::Io(io::Error::last_os_error()));
        }
        for (c, p) in caps.iter_mut().zip(&pfds) {
            if p.revents != 0 {
                c.drain(&mut scratch);
            }
        }
        if let (Some(fd), true) = (&stdin, pfds[3].revents != 0) {
            let rest = &source[written..];
            // SAFETY: writing from a live buffer of the given length to a descriptor we own.
            let n = unsafe { libc::write(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len()) };
            if n >= 0 {
                written += n as usize;
            }
            let err = io::Error::last_os_error().raw_os_error();
            if written >= source.len()
                || (n < 0 && err != Some(libc::EAGAIN) && err != Some(libc::EINTR))
            {
                stdin = None; // EOF for the program, or it is gone (EPIPE)
            }
        }
        if (pidfd.is_some() && pfds[4].revents != 0) || (pidfd.is_none() && keeper.try_reap()) {
            break;
        }
    }
    keeper.reap();
    // Everything that could write is dead now: what is still in the pipes is all there is.
    for c in &mut caps {
        c.drain(&mut scratch);
        c.fd = None;
    }
    Ok(caps)
}

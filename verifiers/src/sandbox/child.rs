//! The forked side of the sandbox: what runs between `fork` and `execve`.
//!
//! Three processes take part (see the module overview in [`super`]):
//!
//! 1. the *keeper*, forked from the grader: joins the cgroups, moves its file descriptors into
//!    place, starts new mount, network, IPC, UTS and PID namespaces, builds the sandbox root
//!    (`root.rs`: a tmpfs with read-only binds of `/usr` and a few device nodes, and a tmpfs on
//!    `/tmp` holding the working directory) and pivots into it; it then owns the wall-clock
//!    timer and SIGKILLs the namespace's init when it runs out;
//! 2. the *init*, PID 1 of the new PID namespace: mounts a fresh `/proc` (other uids' processes
//!    hidden), forks the program and reaps zombies until the program exits; when it exits the
//!    kernel kills everything left in the namespace (`setsid` orphans included);
//! 3. the *program*: sets its rlimits, empties the capability bounding set, drops to an
//!    unprivileged uid with `no_new_privs`, installs the seccomp filter (`seccomp.rs`) and
//!    execs Python.
//!
//! The grader may have many threads, so after `fork` only async-signal-safe calls are allowed:
//! everything here is a raw system call on data prepared before the fork (no allocation, no
//! locks). Failures are reported to the grader as a [`Record`] on the status pipe.

use std::ffi::CString;

use libc::{c_char, c_int, c_ulong};

use super::root::{self, BuildStep, RootPlan};
use super::seccomp;

/// File descriptors in the keeper after setup: program stdio, the report pipe, the status pipe.
const STDIN: c_int = 0;
const STDOUT: c_int = 1;
const STDERR: c_int = 2;
const REPORT: c_int = 3;
const STATUS: c_int = 4;

/// Status-pipe record tags.
pub(super) const TAG_PROGRAM_STATUS: u32 = 1;
pub(super) const TAG_TIMEOUT: u32 = 2;
pub(super) const TAG_SETUP_ERROR: u32 = 3;

/// Setup stages, named in errors (index into [`STAGE_NAMES`]).
pub(super) const STAGE_NAMES: [&str; 20] = [
    "duplicating file descriptors",
    "joining the cgroup",
    "closing inherited file descriptors",
    "setting the parent-death signal",
    "unsharing namespaces (needs root or CAP_SYS_ADMIN)",
    "making mounts private (needs root or CAP_SYS_ADMIN)",
    "mounting the tmpfs of the sandbox root",
    "bind-mounting /usr and the device nodes into the sandbox root",
    "mounting the tmpfs on /tmp",
    "pivoting into the sandbox root",
    "forking the namespace init",
    "mounting /proc",
    "forking the program",
    "setting rlimits",
    "entering the working directory",
    "dropping the capability bounding set",
    "dropping privileges",
    "setting no_new_privs",
    "installing the seccomp filter",
    "executing /usr/bin/python3 (is Debian's python3 package installed?)",
];
const S_DUP: u32 = 0;
const S_CGROUP: u32 = 1;
const S_CLOSE: u32 = 2;
const S_PDEATHSIG: u32 = 3;
const S_UNSHARE: u32 = 4;
const S_PRIVATE: u32 = 5;
const S_ROOT_TMPFS: u32 = 6;
const S_POPULATE: u32 = 7;
const S_TMPFS: u32 = 8;
const S_PIVOT: u32 = 9;
const S_FORK_INIT: u32 = 10;
const S_PROC: u32 = 11;
const S_FORK_PROGRAM: u32 = 12;
const S_RLIMIT: u32 = 13;
const S_CHDIR: u32 = 14;
const S_CAPS: u32 = 15;
const S_PRIVS: u32 = 16;
const S_NO_NEW_PRIVS: u32 = 17;
const S_SECCOMP: u32 = 18;
const S_EXEC: u32 = 19;

/// One fixed-size message on the status pipe (12 bytes, written atomically).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Record {
    pub tag: u32,
    pub a: i32,
    pub b: i32,
}

impl Record {
    pub(super) const SIZE: usize = 12;

    fn bytes(self) -> [u8; Self::SIZE] {
        let mut out = [0u8; Self::SIZE];
        out[0..4].copy_from_slice(&self.tag.to_ne_bytes());
        out[4..8].copy_from_slice(&self.a.to_ne_bytes());
        out[8..12].copy_from_slice(&self.b.to_ne_bytes());
        out
    }

    pub(super) fn parse(chunk: &[u8]) -> Option<Record> {
        let word = |i: usize| -> Option<[u8; 4]> { chunk.get(i..i + 4)?.try_into().ok() };
        Some(Record {
            tag: u32::from_ne_bytes(word(0)?),
            a: i32::from_ne_bytes(word(4)?),
            b: i32::from_ne_bytes(word(8)?),
        })
    }
}

/// Everything the forked processes need, prepared (allocated) before the fork.
pub(super) struct Plan {
    pub grader_pid: libc::pid_t,
    /// `cgroup.procs` files of the sandbox's cgroups, opened for writing.
    pub cgroup_fds: Vec<c_int>,
    /// Grader-created pipe ends: stdin read, stdout write, stderr write, report write, status write.
    pub fds: [c_int; 5],
    /// The sandbox's root filesystem.
    pub root: RootPlan,
    /// The working directory as the program sees it (after `pivot_root`).
    pub workdir: CString,
    /// The seccomp filter, where the architecture has one.
    pub seccomp: Option<Vec<libc::sock_filter>>,
    pub uid: libc::uid_t,
    pub gid: libc::gid_t,
    pub rlimits: Vec<(libc::__rlimit_resource_t, libc::rlim_t, libc::rlim_t)>,
    pub wall_ms: c_int,
    pub program: CString,
    pub argv: Vec<CString>,
    pub envp: Vec<CString>,
}

/// Null-terminated pointer arrays for `execve`, built before the fork.
pub(super) struct ExecArgs {
    argv: Vec<*const c_char>,
    envp: Vec<*const c_char>,
}

impl ExecArgs {
    pub(super) fn new(plan: &Plan) -> Self {
        let ptrs = |v: &[CString]| {
            v.iter()
                .map(|s| s.as_ptr())
                .chain(std::iter::once(std::ptr::null()))
                .collect()
        };
        ExecArgs {
            argv: ptrs(&plan.argv),
            envp: ptrs(&plan.envp),
        }
    }
}

fn write_record(fd: c_int, record: Record) {
    let bytes = record.bytes();
    // SAFETY: `bytes` is a live stack buffer of the given length.
    unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
}

fn errno() -> c_int {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// Reports a failed setup stage and exits; the grader turns it into `SandboxError::Setup`.
fn fail(status_fd: c_int, stage: u32) -> ! {
    let err = errno();
    write_record(
        status_fd,
        Record {
            tag: TAG_SETUP_ERROR,
            a: stage as i32,
            b: err,
        },
    );
    // SAFETY: `_exit` is async-signal-safe and never returns.
    unsafe { libc::_exit(127) }
}

/// Writes `n` in decimal into `buf`, returning the used tail (no allocation).
fn decimal(mut n: u32, buf: &mut [u8; 12]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// The keeper: runs in the child of the grader's `fork` and never returns.
///
/// # Safety
/// Must only be called in a freshly forked child, with `plan` and `exec` prepared before the fork.
pub(super) unsafe fn keeper(plan: &Plan, exec: &ExecArgs) -> ! {
    // SAFETY (whole function): only raw system calls on memory prepared before the fork.
    unsafe {
        let early_status = plan.fds[4];
        // Join the cgroups first, so every later process (the whole tree) is counted and killable.
        let mut buf = [0u8; 12];
        let pid = decimal(libc::getpid() as u32, &mut buf);
        for &fd in &plan.cgroup_fds {
            if libc::write(fd, pid.as_ptr().cast(), pid.len()) < 0 {
                fail(early_status, S_CGROUP);
            }
        }
        // Move the pipe ends to 0..=4: first out of the way (>= 64), then into place, so that no
        // `dup2` clobbers a descriptor still needed.
        let mut high = [0 as c_int; 5];
        for (slot, &fd) in high.iter_mut().zip(plan.fds.iter()) {
            *slot = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 64);
            if *slot < 0 {
                fail(early_status, S_DUP);
            }
        }
        for (&target, &fd) in [STDIN, STDOUT, STDERR, REPORT, STATUS]
            .iter()
            .zip(high.iter())
        {
            if libc::dup2(fd, target) < 0 {
                fail(early_status, S_DUP);
            }
        }
        // Drop every other descriptor the grader had open (other sandboxes' pipes, sockets).
        if libc::syscall(
            libc::SYS_close_range,
            5 as libc::c_uint,
            libc::c_uint::MAX,
            0,
        ) < 0
        {
            for fd in 5..65_536 {
                libc::close(fd);
            }
        }
        if libc::fcntl(STATUS, libc::F_SETFD, libc::FD_CLOEXEC) < 0 {
            fail(STATUS, S_CLOSE);
        }
        // Our own session, so nothing in the sandbox shares the grader's process group.
        libc::setsid();
        let mut empty: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut empty);
        libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
        // Die with the grader (thread) that forked us, and check it did not die already.
        if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as c_ulong) < 0 {
            fail(STATUS, S_PDEATHSIG);
        }
        if libc::getppid() != plan.grader_pid {
            libc::_exit(126);
        }
        let flags = libc::CLONE_NEWNS
            | libc::CLONE_NEWNET
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUTS
            | libc::CLONE_NEWPID;
        if libc::unshare(flags) < 0 {
            fail(STATUS, S_UNSHARE);
        }
        // Private propagation, so nothing below leaks back into the grader's mount namespace.
        let root = c"/";
        let null = std::ptr::null::<c_char>();
        if libc::mount(
            null,
            root.as_ptr(),
            null,
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        ) < 0
        {
            fail(STATUS, S_PRIVATE);
        }
        if let Err(step) = root::build(&plan.root, plan.uid, plan.gid) {
            fail(
                STATUS,
                match step {
                    BuildStep::RootTmpfs => S_ROOT_TMPFS,
                    BuildStep::Populate => S_POPULATE,
                    BuildStep::WorkTmpfs => S_TMPFS,
                    BuildStep::Pivot => S_PIVOT,
                },
            );
        }
        let init = libc::fork();
        if init < 0 {
            fail(STATUS, S_FORK_INIT);
        }
        if init == 0 {
            namespace_init(plan, exec);
        }
        // The keeper: wait for the init, SIGKILLing it at the wall-clock limit. Killing the init
        // of a PID namespace kills every process in it.
        let pidfd = libc::syscall(libc::SYS_pidfd_open, init, 0) as c_int;
        if pidfd >= 0 {
            let mut pfd = libc::pollfd {
                fd: pidfd,
                events: libc::POLLIN,
                revents: 0,
            };
            let ready = loop {
                let r = libc::poll(&mut pfd, 1, plan.wall_ms);
                if !(r < 0 && errno() == libc::EINTR) {
                    break r;
                }
            };
            if ready == 0 {
                write_record(
                    STATUS,
                    Record {
                        tag: TAG_TIMEOUT,
                        a: 0,
                        b: 0,
                    },
                );
                libc::kill(init, libc::SIGKILL);
            }
        }
        // Without pidfds (old kernels) the grader's own deadline kills us, and the parent-death
        // signal takes the init down.
        let mut status = 0;
        while libc::waitpid(init, &mut status, 0) < 0 && errno() == libc::EINTR {}
        libc::_exit(0)
    }
}

/// PID 1 of the sandbox's PID namespace.
unsafe fn namespace_init(plan: &Plan, exec: &ExecArgs) -> ! {
    // SAFETY (whole function): raw system calls on memory prepared before the fork.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as c_ulong);
        // A /proc of this PID namespace, where `hidepid` hides the processes of other uids: the
        // program sees only its own, not this init (a fork of the grader, whose command line
        // would name the grader's input files).
        let proc_ = c"proc";
        let point = c"/proc";
        let options = c"hidepid=2";
        let flags = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC | libc::MS_RDONLY;
        if libc::mount(
            proc_.as_ptr(),
            point.as_ptr(),
            proc_.as_ptr(),
            flags,
            options.as_ptr().cast(),
        ) < 0
        {
            fail(STATUS, S_PROC);
        }
        let program = libc::fork();
        if program < 0 {
            fail(STATUS, S_FORK_PROGRAM);
        }
        if program == 0 {
            program_process(plan, exec);
        }
        // Reap everything (orphans are re-parented to us) until the program itself exits; then
        // exiting makes the kernel kill whatever is left in the namespace.
        loop {
            let mut status = 0;
            let pid = libc::waitpid(-1, &mut status, 0);
            if pid == program {
                write_record(
                    STATUS,
                    Record {
                        tag: TAG_PROGRAM_STATUS,
                        a: status,
                        b: 0,
                    },
                );
                libc::_exit(0);
            }
            if pid < 0 && errno() != libc::EINTR {
                libc::_exit(0);
            }
        }
    }
}

/// The program's process: limits, privilege drop, exec.
unsafe fn program_process(plan: &Plan, exec: &ExecArgs) -> ! {
    // SAFETY (whole function): raw system calls on memory prepared before the fork.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        for &(resource, soft, hard) in &plan.rlimits {
            let lim = libc::rlimit {
                rlim_cur: soft,
                rlim_max: hard,
            };
            if libc::setrlimit(resource, &lim) < 0 {
                fail(STATUS, S_RLIMIT);
            }
        }
        if libc::chdir(plan.workdir.as_ptr()) < 0 {
            fail(STATUS, S_CHDIR);
        }
        // An empty capability bounding set: no exec (set-uid or file capabilities) can bring a
        // capability back. Dropping stops at the first number past the kernel's last one.
        for cap in 0..64 {
            if libc::prctl(libc::PR_CAPBSET_DROP, cap as c_ulong, 0, 0, 0) < 0 {
                if errno() == libc::EINVAL && cap > 0 {
                    break;
                }
                fail(STATUS, S_CAPS);
            }
        }
        // Groups, then gid, then uid: once the uid is not 0 every capability is gone.
        if libc::setgroups(0, std::ptr::null()) < 0
            || libc::setresgid(plan.gid, plan.gid, plan.gid) < 0
            || libc::setresuid(plan.uid, plan.uid, plan.uid) < 0
        {
            fail(STATUS, S_PRIVS);
        }
        // Fixed addresses: reprs like `<object at 0x...>` (hence verdict reasons) repeat.
        libc::personality(libc::ADDR_NO_RANDOMIZE as libc::c_ulong);
        // No way back to root through set-uid binaries (su, mount, ...).
        if libc::prctl(
            libc::PR_SET_NO_NEW_PRIVS,
            1 as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
            0 as c_ulong,
        ) < 0
        {
            fail(STATUS, S_NO_NEW_PRIVS);
        }
        if let Some(prog) = &plan.seccomp {
            if seccomp::install(prog) < 0 {
                fail(STATUS, S_SECCOMP);
            }
        }
        // stdio and the report pipe (0..=3) stay open across exec; the status pipe closes.
        libc::execve(
            plan.program.as_ptr(),
            exec.argv.as_ptr(),
            exec.envp.as_ptr(),
        );
        fail(STATUS, S_EXEC)
    }
}

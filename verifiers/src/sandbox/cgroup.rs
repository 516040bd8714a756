//! Best-effort cgroup (v1) confinement of one sandbox run: a `pids` cgroup caps the number of
//! processes of the whole tree (RLIMIT_NPROC is not enforced for root and counts per uid), and a
//! `memory` cgroup caps the memory of the whole tree including its tmpfs working directory
//! (RLIMIT_AS only caps each process). Each cgroup is created under the grader's own cgroup, so
//! it also stays inside whatever limits the grader runs under, and is removed after the run.
//!
//! Where the hierarchy is missing or not writable (no root, cgroup v2 only, a read-only
//! `/sys/fs/cgroup`) the run goes on without it: the PID namespace still kills the whole tree at
//! the end, and the per-process rlimits still hold.

use std::fs::{self, File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROOT: &str = "/sys/fs/cgroup";

/// The cgroups of one run. Removed (after killing any member left) by [`Cgroups::remove`].
#[derive(Debug, Default)]
pub(super) struct Cgroups {
    pids: Option<PathBuf>,
    memory: Option<PathBuf>,
    /// `cgroup.procs` of each cgroup, open for the keeper to write its own pid into.
    procs: Vec<File>,
}

/// The grader's own cgroup path for `controller`, from `/proc/self/cgroup`.
fn own_path(controller: &str) -> Option<String> {
    let text = fs::read_to_string("/proc/self/cgroup").ok()?;
    text.lines().find_map(|line| {
        let mut parts = line.splitn(3, ':');
        let _id = parts.next()?;
        let controllers = parts.next()?;
        let path = parts.next()?;
        controllers
            .split(',')
            .any(|c| c == controller)
            .then(|| path.to_string())
    })
}

fn create(controller: &str, name: &str, settings: &[(&str, String)]) -> Option<PathBuf> {
    let parent = Path::new(ROOT).join(controller);
    let own = own_path(controller)?;
    let dir = parent.join(own.trim_start_matches('/')).join(name);
    fs::create_dir(&dir).ok()?;
    for (file, value) in settings {
        if fs::write(dir.join(file), value).is_err() {
            let _ = fs::remove_dir(&dir);
            return None;
        }
    }
    Some(dir)
}

impl Cgroups {
    /// Creates `pids` and `memory` cgroups named `name`, where possible.
    pub(super) fn create(name: &str, processes: u64, memory_bytes: u64) -> Cgroups {
        // +2: the keeper and the namespace init are members too.
        let pids = create("pids", name, &[("pids.max", (processes + 2).to_string())]);
        let memory = create(
            "memory",
            name,
            &[
                ("memory.limit_in_bytes", memory_bytes.to_string()),
                ("memory.swappiness", "0".into()),
            ],
        );
        let mut procs = Vec::new();
        for dir in pids.iter().chain(memory.iter()) {
            if let Ok(f) = OpenOptions::new()
                .write(true)
                .open(dir.join("cgroup.procs"))
            {
                procs.push(f);
            }
        }
        Cgroups {
            pids,
            memory,
            procs,
        }
    }

    /// Raw descriptors of the `cgroup.procs` files, for the keeper.
    pub(super) fn procs_fds(&self) -> Vec<i32> {
        self.procs.iter().map(|f| f.as_raw_fd()).collect()
    }

    /// Closes the `cgroup.procs` files (the keeper has its own copies).
    pub(super) fn close_procs(&mut self) {
        self.procs.clear();
    }

    /// Whether the pids cgroup is in force for this run.
    pub(super) fn has_pids(&self) -> bool {
        self.pids.is_some()
    }

    /// Whether the memory cgroup's OOM killer fired during the run.
    pub(super) fn oom_killed(&self) -> bool {
        let Some(dir) = &self.memory else {
            return false;
        };
        let text = fs::read_to_string(dir.join("memory.oom_control")).unwrap_or_default();
        text.lines()
            .any(|l| l.strip_prefix("oom_kill ").is_some_and(|n| n.trim() != "0"))
    }

    /// Whether a fork was refused because the process limit was reached.
    pub(super) fn pids_limit_hit(&self) -> bool {
        let Some(dir) = &self.pids else { return false };
        let text = fs::read_to_string(dir.join("pids.events")).unwrap_or_default();
        text.lines()
            .any(|l| l.strip_prefix("max ").is_some_and(|n| n.trim() != "0"))
    }

    /// Kills any member left (there should be none once the namespace init is gone) and removes
    /// the cgroups, retrying for a short while as exiting processes leave.
    pub(super) fn remove(&mut self) {
        self.procs.clear();
        let deadline = Instant::now() + Duration::from_secs(5);
        for dir in [self.pids.take(), self.memory.take()].into_iter().flatten() {
            loop {
                if let Ok(text) = fs::read_to_string(dir.join("cgroup.procs")) {
                    for pid in text.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                        // SAFETY: kill(2) has no memory-safety preconditions.
                        unsafe { libc::kill(pid, libc::SIGKILL) };
                    }
                }
                if fs::remove_dir(&dir).is_ok() || !dir.exists() || Instant::now() > deadline {
                    break;
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

impl Drop for Cgroups {
    fn drop(&mut self) {
        self.remove();
    }
}

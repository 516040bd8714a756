//! The sandbox's root filesystem: a fresh tmpfs holding only what `/usr/bin/python3` needs.
//!
//! The layout is decided in the grader (allocations allowed) as a list of [`Entry`]s under a
//! staging mount point; [`build`] then realises it in the keeper between `fork` and `execve`
//! with raw system calls only, and pivots into it:
//!
//! ```text
//! /usr                 read-only, nosuid, nodev bind mount of the host's /usr (Python, libc)
//! /bin /lib /lib64 …   the host's merged-/usr symlinks, or read-only binds where they are dirs
//! /etc/ld.so.cache     read-only bind (the dynamic loader's index; no other file of /etc)
//! /dev/null /dev/zero /dev/random /dev/urandom   read-only binds of the device nodes
//! /proc                empty; the namespace init mounts a procfs of the sandbox's PID namespace
//! /tmp                 a tmpfs of `disk_bytes` holding the working directory
//! ```
//!
//! The root tmpfs itself is remounted read-only once populated. Nothing else of the host — its
//! files, its UNIX sockets, `/sys`, its `/proc` — exists in the sandbox's mount namespace: the
//! old root is detached after `pivot_root`.

use std::ffi::CString;
use std::path::Path;

use libc::{c_char, c_ulong};

use super::SandboxError;

/// Where the root is assembled in the keeper's private mount namespace before `pivot_root`
/// (hidden from the host: the mount namespace is private).
const STAGE: &str = "/tmp";

/// Host directories that, on a merged-/usr system, are symlinks into `/usr`.
const TOP_LEVEL_LIB_DIRS: [&str; 6] = ["/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"];

/// Device nodes Python (and `os.urandom`'s fallback) may open.
const DEVICES: [&str; 4] = ["/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"];

/// One thing to create in the staged root; every path is already under [`STAGE`].
#[derive(Debug)]
pub(super) enum Entry {
    Dir(CString),
    Symlink {
        target: CString,
        link: CString,
    },
    /// A read-only bind mount of `source` (a directory, or a file when `file`) at `target`;
    /// device nodes keep their device semantics (`dev`), everything else is `nodev`.
    Bind {
        source: CString,
        target: CString,
        file: bool,
        dev: bool,
    },
}

/// Everything [`build`] needs, prepared before the fork.
#[derive(Debug)]
pub(super) struct RootPlan {
    stage: CString,
    root_options: CString,
    entries: Vec<Entry>,
    /// The working tmpfs's mount point (`STAGE/tmp`) and options.
    tmp: CString,
    tmp_options: CString,
    /// The working directory, staged (`STAGE/tmp/sandbox`).
    workdir: CString,
}

fn cstring(s: impl Into<Vec<u8>>) -> Result<CString, SandboxError> {
    CString::new(s).map_err(|_| SandboxError::BadInput)
}

fn staged(path: &str) -> Result<CString, SandboxError> {
    cstring(format!("{STAGE}{path}"))
}

impl RootPlan {
    /// The layout for this host; `workdir` is the program's working directory under `/tmp`.
    pub(super) fn new(workdir: &str, disk_bytes: u64) -> Result<Self, SandboxError> {
        let mut entries = vec![Entry::Bind {
            source: cstring("/usr")?,
            target: staged("/usr")?,
            file: false,
            dev: false,
        }];
        for dir in TOP_LEVEL_LIB_DIRS {
            let Ok(meta) = std::fs::symlink_metadata(dir) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(dir).map_err(SandboxError::Io)?;
                entries.push(Entry::Symlink {
                    target: cstring(target.into_os_string().into_encoded_bytes())?,
                    link: staged(dir)?,
                });
            } else if meta.is_dir() {
                entries.push(Entry::Bind {
                    source: cstring(dir)?,
                    target: staged(dir)?,
                    file: false,
                    dev: false,
                });
            }
        }
        if Path::new("/etc/ld.so.cache").is_file() {
            entries.push(Entry::Dir(staged("/etc")?));
            entries.push(Entry::Bind {
                source: cstring("/etc/ld.so.cache")?,
                target: staged("/etc/ld.so.cache")?,
                file: true,
                dev: false,
            });
        }
        entries.push(Entry::Dir(staged("/dev")?));
        for dev in DEVICES {
            if Path::new(dev).exists() {
                entries.push(Entry::Bind {
                    source: cstring(dev)?,
                    target: staged(dev)?,
                    file: true,
                    dev: true,
                });
            }
        }
        entries.push(Entry::Dir(staged("/proc")?));
        entries.push(Entry::Dir(staged("/tmp")?));
        Ok(RootPlan {
            stage: cstring(STAGE)?,
            // Only directories, symlinks and mount points: a few inodes.
            root_options: cstring("size=64k,nr_inodes=64,mode=0755")?,
            entries,
            tmp: staged("/tmp")?,
            tmp_options: cstring(format!(
                "size={},nr_inodes=4096,mode=0755",
                disk_bytes.max(4096)
            ))?,
            workdir: staged(workdir)?,
        })
    }
}

/// Which step of [`build`] failed (errno is left as the failing call set it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BuildStep {
    RootTmpfs,
    Populate,
    WorkTmpfs,
    Pivot,
}

/// Builds the root described by `plan` and pivots into it; the working directory is created
/// and owned by `uid`/`gid`. Must run in a private mount namespace.
///
/// # Safety
/// Async-signal-safe: raw system calls on memory prepared before the fork.
pub(super) unsafe fn build(
    plan: &RootPlan,
    uid: libc::uid_t,
    gid: libc::gid_t,
) -> Result<(), BuildStep> {
    let null = std::ptr::null::<c_char>();
    let tmpfs = c"tmpfs";
    // SAFETY (whole block): raw system calls on NUL-terminated strings that outlive them.
    unsafe {
        let fs_flags = libc::MS_NOSUID | libc::MS_NODEV;
        if libc::mount(
            tmpfs.as_ptr(),
            plan.stage.as_ptr(),
            tmpfs.as_ptr(),
            fs_flags,
            plan.root_options.as_ptr().cast(),
        ) < 0
        {
            return Err(BuildStep::RootTmpfs);
        }
        for entry in &plan.entries {
            let ok = match entry {
                Entry::Dir(path) => libc::mkdir(path.as_ptr(), 0o755) == 0,
                Entry::Symlink { target, link } => {
                    libc::symlink(target.as_ptr(), link.as_ptr()) == 0
                }
                Entry::Bind {
                    source,
                    target,
                    file,
                    dev,
                } => {
                    let made = if *file {
                        let fd = libc::open(
                            target.as_ptr(),
                            libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                            0o644,
                        );
                        fd >= 0 && libc::close(fd) == 0
                    } else {
                        libc::mkdir(target.as_ptr(), 0o755) == 0
                    };
                    // A bind mount takes the source's flags; the read-only remount sets ours.
                    let nodev = if *dev { 0 } else { libc::MS_NODEV };
                    let remount = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY;
                    made && libc::mount(
                        source.as_ptr(),
                        target.as_ptr(),
                        null,
                        libc::MS_BIND,
                        std::ptr::null(),
                    ) == 0
                        && libc::mount(
                            null,
                            target.as_ptr(),
                            null,
                            remount | libc::MS_NOSUID | nodev,
                            std::ptr::null(),
                        ) == 0
                }
            };
            if !ok {
                return Err(BuildStep::Populate);
            }
        }
        if libc::mount(
            tmpfs.as_ptr(),
            plan.tmp.as_ptr(),
            tmpfs.as_ptr(),
            fs_flags,
            plan.tmp_options.as_ptr().cast(),
        ) < 0
            || libc::mkdir(plan.workdir.as_ptr(), 0o700) < 0
            || libc::chown(plan.workdir.as_ptr(), uid, gid) < 0
        {
            return Err(BuildStep::WorkTmpfs);
        }
        // pivot_root(".", "."): the old root ends up stacked on the new one, where it is
        // detached; no directory for it is needed in the new root.
        let dot = c".";
        let root = c"/";
        if libc::chdir(plan.stage.as_ptr()) < 0
            || libc::syscall(libc::SYS_pivot_root, dot.as_ptr(), dot.as_ptr()) < 0
            || libc::umount2(dot.as_ptr(), libc::MNT_DETACH) < 0
            || libc::chdir(root.as_ptr()) < 0
        {
            return Err(BuildStep::Pivot);
        }
        let read_only = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY | fs_flags;
        if libc::mount(
            null,
            root.as_ptr(),
            null,
            read_only as c_ulong,
            std::ptr::null(),
        ) < 0
        {
            return Err(BuildStep::Pivot);
        }
    }
    Ok(())
}

//! The sandbox's seccomp filter: a deny-list of the system calls that reach kernel surface an
//! unprivileged Python program has no use for.
//!
//! A deny-list, not an allow-list: the set of system calls CPython and its standard library
//! make changes with the interpreter version, the C library and the modules a test imports, and
//! an allow-list that misses one turns a correct program into a failure that no one can explain
//! from its verdict. The sandbox's other layers (namespaces, an unprivileged uid, no
//! capabilities, a root holding only the interpreter) already stop what a privileged call could
//! do; the filter removes what an *unprivileged* process can still reach:
//!
//! - `socket` in every family (the tests need none; `socketpair` stays, for `asyncio`);
//! - new namespaces (`unshare`, `setns`, `clone` with any `CLONE_NEW*` flag; `clone3`, whose
//!   flags a filter cannot read, answers `ENOSYS`, so the C library falls back to `clone`) —
//!   unprivileged user namespaces are the usual door to kernel bugs;
//! - `ptrace`, `process_vm_readv`/`writev`, `kcmp`, `pidfd_getfd`;
//! - mounting in every form (`mount`, `umount2`, `pivot_root`, `chroot`, the new mount API);
//! - `bpf`, `perf_event_open`, `userfaultfd`, `io_uring_*` (which performs socket and file
//!   operations the filter would not see), `keyctl`/`add_key`/`request_key`;
//! - module loading, `kexec`, `open_by_handle_at`, swap, reboot, clocks, `acct`, `quotactl`.
//!
//! Denied calls fail with `EPERM`, so Python raises `PermissionError` and the verdict names it.
//! A system call of another architecture (x86-64's x32 ABI, or a foreign audit arch) kills the
//! process. On architectures other than x86-64 and aarch64 no filter is installed.

use libc::{c_uint, sock_filter};

/// `AUDIT_ARCH_*` from `<linux/audit.h>` (not in the `libc` crate).
#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7;

/// `struct seccomp_data` offsets: `nr`, `arch`, and the low half of `args[0]` (little endian).
const OFFSET_NR: u32 = 0;
const OFFSET_ARCH: u32 = 4;
const OFFSET_ARG0_LOW: u32 = 16;

/// Every `CLONE_NEW*` flag.
const CLONE_NEW_ANY: u32 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWCGROUP) as u32;

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
const DENIED: &[libc::c_long] = &[
    libc::SYS_socket,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_kcmp,
    libc::SYS_pidfd_getfd,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_chroot,
    libc::SYS_open_tree,
    libc::SYS_move_mount,
    libc::SYS_fsopen,
    libc::SYS_fsconfig,
    libc::SYS_fsmount,
    libc::SYS_fspick,
    libc::SYS_mount_setattr,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_reboot,
    libc::SYS_settimeofday,
    libc::SYS_clock_settime,
    libc::SYS_clock_adjtime,
    libc::SYS_adjtimex,
    libc::SYS_acct,
    libc::SYS_quotactl,
    libc::SYS_syslog,
    libc::SYS_vhangup,
];

fn stmt(code: u32, k: u32) -> sock_filter {
    sock_filter {
        code: code as u16,
        jt: 0,
        jf: 0,
        k,
    }
}

/// `if A == k` fall through, else skip the next instruction.
fn if_eq(k: u32) -> sock_filter {
    sock_filter {
        code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
        jt: 0,
        jf: 1,
        k,
    }
}

fn load(offset: u32) -> sock_filter {
    stmt(libc::BPF_LD | libc::BPF_W | libc::BPF_ABS, offset)
}

fn ret(action: c_uint) -> sock_filter {
    stmt(libc::BPF_RET | libc::BPF_K, action)
}

/// The filter program, or `None` where the architecture has none (see the module docs).
pub(super) fn filter() -> Option<Vec<sock_filter>> {
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    {
        let eperm = libc::SECCOMP_RET_ERRNO | libc::EPERM as c_uint;
        let enosys = libc::SECCOMP_RET_ERRNO | libc::ENOSYS as c_uint;
        let mut prog = vec![
            load(OFFSET_ARCH),
            if_eq(AUDIT_ARCH),
            stmt(libc::BPF_JMP | libc::BPF_JA | libc::BPF_K, 1),
            ret(libc::SECCOMP_RET_KILL_PROCESS),
            load(OFFSET_NR),
        ];
        // x32 system calls are x86-64 numbers with bit 30 set: none is needed.
        #[cfg(target_arch = "x86_64")]
        prog.extend([
            sock_filter {
                code: (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16,
                jt: 0,
                jf: 1,
                k: 0x4000_0000,
            },
            ret(libc::SECCOMP_RET_KILL_PROCESS),
        ]);
        for &nr in DENIED {
            prog.extend([if_eq(nr as u32), ret(eperm)]);
        }
        prog.extend([if_eq(libc::SYS_clone3 as u32), ret(enosys)]);
        // clone: its flags are argument 0 on both architectures.
        prog.extend([
            sock_filter {
                code: (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
                jt: 0,
                jf: 3,
                k: libc::SYS_clone as u32,
            },
            load(OFFSET_ARG0_LOW),
            sock_filter {
                code: (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16,
                jt: 0,
                jf: 1,
                k: CLONE_NEW_ANY,
            },
            ret(eperm),
            ret(libc::SECCOMP_RET_ALLOW),
        ]);
        Some(prog)
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        None
    }
}

/// Installs `prog` for the calling thread and its future children; needs `no_new_privs` (or
/// CAP_SYS_ADMIN). Returns the raw system call result (negative with errno set on failure).
///
/// # Safety
/// Async-signal-safe; `prog` must be a valid filter program.
pub(super) unsafe fn install(prog: &[sock_filter]) -> libc::c_long {
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_ptr().cast_mut(),
    };
    // SAFETY: `fprog` points at `prog`, which outlives the call; the kernel copies it.
    unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0 as c_uint,
            &fprog as *const libc::sock_fprog,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_jump_lands_inside_the_program() {
        let Some(prog) = filter() else { return };
        assert!(prog.len() < 4096);
        for (i, ins) in prog.iter().enumerate() {
            let is_jump = u32::from(ins.code) & 0x07 == libc::BPF_JMP;
            if is_jump {
                let far = if u32::from(ins.code) & 0xf0 == libc::BPF_JA {
                    ins.k as usize
                } else {
                    usize::from(ins.jt.max(ins.jf))
                };
                assert!(i + 1 + far < prog.len(), "jump at {i} leaves the program");
            }
        }
        let last = prog.last().map(|i| u32::from(i.code));
        assert_eq!(last, Some(libc::BPF_RET | libc::BPF_K));
    }
}

//! Interrupts (SIGINT, SIGTERM, SIGHUP) end `mull` without debris: the signals are blocked in
//! every thread (threads started later inherit the mask) and one thread waits for them; on one,
//! it removes the temporary files still being written and exits with 128 + the signal's number,
//! as a shell reports a process killed by it. The code sandbox resets the mask of its children.

use nix::sys::signal::{SigSet, Signal};

/// Installs the handling thread. Call first in `main`, before any other thread starts.
pub fn install() {
    let mut set = SigSet::empty();
    for sig in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        set.add(sig);
    }
    // Without the mask the default actions stay: an interrupt still ends the process, only
    // without the clean-up.
    if set.thread_block().is_err() {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("mull-signals".into())
        .spawn(move || {
            if let Ok(sig) = set.wait() {
                mull_data::shard::remove_temp_files();
                std::process::exit(128 + sig as i32);
            }
        });
    if spawned.is_err() {
        // No thread to receive them: give the signals their default actions back.
        let _ = set.thread_unblock();
    }
}

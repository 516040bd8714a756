//! Finding and running the `mull` binary.

use std::path::PathBuf;
use std::process::{Command, Output};

/// The `mull` binary of this build: `cargo test --workspace` builds it beside the test binary
/// (`target/<profile>/mull`, the test itself being in `target/<profile>/deps/`).
pub fn mull_bin() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary lives in target/<profile>/deps");
    let bin = profile_dir.join("mull");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p mull-pipeline` (cargo test --workspace builds it)",
        bin.display()
    );
    bin
}

/// Runs `mull` with `args` and returns its output.
pub fn mull(args: &[&str]) -> Output {
    Command::new(mull_bin())
        .args(args)
        .output()
        .expect("mull runs")
}

/// Runs `mull` and asserts it succeeded, returning stdout.
pub fn mull_ok(args: &[&str]) -> String {
    let out = mull(args);
    assert!(
        out.status.success(),
        "mull {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 stdout")
}

/// Runs `mull`, asserts it failed with one clear error line and no panic, returns stderr.
pub fn mull_err(args: &[&str]) -> String {
    let out = mull(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "mull {args:?} should fail");
    assert!(
        !stderr.contains("panicked"),
        "mull {args:?} panicked: {stderr}"
    );
    assert!(stderr.starts_with("error: "), "mull {args:?}: {stderr}");
    stderr
}

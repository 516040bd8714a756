//! The binary starts and reports its version.
//!
//! Being an integration test of this package, it also makes `cargo test --workspace` build the
//! `mull` binary, which the end-to-end tests in `mull-tests` drive (cargo builds a package's
//! binaries for its own integration tests only).

use std::process::Command;

#[test]
fn version_names_the_package_version() {
    let out = Command::new(env!("CARGO_BIN_EXE_mull"))
        .arg("--version")
        .output()
        .expect("the mull binary runs");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("mull {}", env!("CARGO_PKG_VERSION"))
    );
}

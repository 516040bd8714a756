//! `mull run` across processes when one goes missing: a peer that never connects ends the
//! others with one error after `--connect-timeout`, and a peer lost mid-run ends them with one
//! error saying how to resume — no panic cascade, no temporary files — after which the same
//! commands finish the run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::mull_bin;

/// A hostfile of `n` free loopback ports.
fn hostfile(dir: &Path, n: usize) -> PathBuf {
    let lines: String = (0..n)
        .map(|_| {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            format!("127.0.0.1:{port}\n")
        })
        .collect();
    let path = dir.join(format!("hosts-{n}"));
    std::fs::write(&path, lines).unwrap();
    path
}

fn process(config: &Path, out: &Path, hosts: &Path, i: usize, extra: &[&str]) -> Child {
    Command::new(mull_bin())
        .args([
            "run",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ])
        .args(["-w", "1", "--quiet", "--processes", "2", "--process"])
        .arg(i.to_string())
        .args(["--hostfile", hosts.to_str().unwrap()])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// An oracle run of enough blocks that a kill lands in the middle of it.
fn config(dir: &Path) -> PathBuf {
    let path = dir.join("cluster.toml");
    let mut text = String::from(
        "out = \"unused\"\nseed = 3\nshard-size = 50\nblocks-in-flight = 2\n\
         [teacher]\nkind = \"oracle\"\n[sampling]\nattempts = 2\n",
    );
    for family in ["arithmetic", "equations", "countdown", "cipher"] {
        text.push_str(&format!("[families.{family}]\ncount = 1000\n"));
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.file_name().unwrap().to_string_lossy().starts_with(".tmp") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn a_peer_that_never_connects_ends_the_others_after_the_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let hosts = hostfile(tmp.path(), 2);
    let out = tmp.path().join("run");
    let start = Instant::now();
    let alone = process(
        &config(tmp.path()),
        &out,
        &hosts,
        0,
        &["--connect-timeout", "2"],
    );
    let output = alone.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("not every process connected within 2 s"),
        "{stderr}"
    );
    assert!(stderr.contains(hosts.to_str().unwrap()), "{stderr}");
    assert!(start.elapsed() < Duration::from_secs(60));
    assert!(temporaries(&out).is_empty());
}

#[test]
fn a_peer_lost_mid_run_is_one_error_and_the_same_commands_resume() {
    let tmp = tempfile::tempdir().unwrap();
    let config = config(tmp.path());
    let hosts = hostfile(tmp.path(), 2);
    let out = tmp.path().join("run");
    let first = process(&config, &out, &hosts, 0, &[]);
    let mut second = process(&config, &out, &hosts, 1, &[]);
    // Kill process 1 once a block is written, so the run is under way.
    let deadline = Instant::now() + Duration::from_secs(120);
    let written = |dir: &Path| {
        std::fs::read_dir(dir.join("problems"))
            .map(|d| {
                d.flatten()
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".sha256"))
                    .count()
            })
            .unwrap_or(0)
    };
    while written(&out) == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    second.kill().unwrap();
    second.wait().unwrap();
    let output = first.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        // The run ended before the kill landed: nothing left to check.
        return;
    }
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("the cluster lost a process"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(temporaries(&out).is_empty(), "{:?}", temporaries(&out));

    let again: Vec<Child> = (0..2)
        .map(|i| process(&config, &out, &hosts, i, &[]))
        .collect();
    for child in again {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let manifest = mull_data::manifest::Manifest::read(&out.join("manifest.json")).unwrap();
    manifest.verify(&out).unwrap();
    assert_eq!(manifest.counts["problems"], 4000);
}

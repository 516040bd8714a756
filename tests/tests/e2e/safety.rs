//! No command destroys its input, leaves a stale sidecar, or takes a bad count silently; a
//! closed pipe is a normal end and an error is said once.

use std::process::{Command, Stdio};

use crate::support::{mull_bin, mull_err, mull_ok};

fn generate(path: &std::path::Path, count: &str) {
    mull_ok(&[
        "generate",
        "--family",
        "arithmetic",
        "--count",
        count,
        "--out",
        path.to_str().unwrap(),
    ]);
}

#[test]
fn an_output_that_is_an_input_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let problems = dir.path().join("p.jsonl");
    generate(&problems, "3");
    let before = std::fs::read(&problems).unwrap();
    let p = problems.to_str().unwrap();
    let dotted = format!("{}/./p.jsonl", dir.path().display());
    let link = dir.path().join("hard.jsonl");
    std::fs::hard_link(&problems, &link).unwrap();
    for out in [p, dotted.as_str(), link.to_str().unwrap()] {
        let err = mull_err(&["verify", "--reference", "--in", p, "--out", out]);
        assert!(err.contains("is the input"), "{err}");
        let err = mull_err(&["grade", "math", "--in", p, "--out", out]);
        assert!(err.contains("is the input"), "{err}");
        let err = mull_err(&["verify", "--problems", p, "--in", "/dev/null", "--out", out]);
        assert!(err.contains("is the input"), "{err}");
    }
    assert_eq!(
        std::fs::read(&problems).unwrap(),
        before,
        "the input is intact"
    );
}

#[test]
fn a_plain_file_written_over_a_shard_takes_its_sidecar_away() {
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("s.jsonl.zst");
    let mut w = mull_data::shard::ShardWriter::create(&shard).unwrap();
    w.write(&serde_json::json!({"old": true})).unwrap();
    w.finish().unwrap();
    assert!(mull_data::shard::sidecar_path(&shard).exists());
    generate(&shard, "2");
    assert!(!mull_data::shard::sidecar_path(&shard).exists());
    let out = mull_ok(&["inspect", shard.to_str().unwrap()]);
    assert!(out.contains("\"family\": \"arithmetic\""), "{out}");
}

#[test]
fn bad_counts_and_duplicate_ids_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let problems = dir.path().join("p.jsonl");
    generate(&problems, "2");
    let p = problems.to_str().unwrap();
    for (args, what) in [
        (
            vec!["verify", "--reference", "--in", p, "-j", "0"],
            "at least 1",
        ),
        (
            vec!["grade", "humaneval", "--in", p, "--timeout", "0"],
            "at least 1",
        ),
        (
            vec!["sample", "--model", p, "--problems", p, "--block", "0"],
            "at least 1",
        ),
        (
            vec![
                "generate",
                "--family",
                "arithmetic",
                "--count",
                "5",
                "--start",
                "18446744073709551614",
            ],
            "past the last index",
        ),
    ] {
        let out = crate::support::mull(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(what),
            "{args:?}: {stderr}"
        );
    }
    let text = std::fs::read_to_string(&problems).unwrap();
    let first = text.lines().next().unwrap();
    let twice = dir.path().join("twice.jsonl");
    std::fs::write(&twice, format!("{text}{first}\n")).unwrap();
    let err = mull_err(&[
        "verify",
        "--problems",
        twice.to_str().unwrap(),
        "--in",
        "/dev/null",
    ]);
    assert!(
        err.contains("twice.jsonl:3") && err.contains("appears twice"),
        "{err}"
    );
}

#[test]
fn a_closed_pipe_is_a_normal_end_and_errors_are_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.jsonl");
    generate(&big, "5000");
    let mut child = Command::new(mull_bin())
        .args(["inspect", big.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, then hang up, as `| head -1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = [0u8; 64];
    std::io::Read::read_exact(&mut stdout, &mut buf).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let err = mull_err(&["inspect", "/nonexistent/x.jsonl"]);
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
}

/// Sends `signal` (by name, through `kill`) to a child after `after_ms`, and waits for it.
fn interrupt(
    mut child: std::process::Child,
    signal: &str,
    after_ms: u64,
) -> std::process::ExitStatus {
    std::thread::sleep(std::time::Duration::from_millis(after_ms));
    let ok = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{signal}");
    child.wait().unwrap()
}

fn hidden_temporaries(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(hidden_temporaries(&p));
        } else if p.to_string_lossy().contains(".tmp-") {
            out.push(p);
        }
    }
    out
}

#[test]
fn an_interrupted_command_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let out = dir.path().join(format!("{signal}.jsonl.zst"));
        let child = Command::new(mull_bin())
            .args([
                "generate",
                "--family",
                "cipher",
                "--count",
                "100000000",
                "--out",
            ])
            .arg(&out)
            .spawn()
            .unwrap();
        let status = interrupt(child, signal, 400);
        assert_eq!(status.code(), Some(code), "{signal}");
        assert!(
            hidden_temporaries(dir.path()).is_empty(),
            "{signal}: {:?}",
            hidden_temporaries(dir.path())
        );
        assert!(!out.exists(), "no half-written file under the real name");
    }
    // A run, interrupted while it writes shards, leaves none either.
    let config = dir.path().join("big.toml");
    std::fs::write(
        &config,
        "out = \"x\"\nseed = 1\nshard-size = 500\n[families.arithmetic]\ncount = 1000000\n\
         [teacher]\nkind = \"oracle\"\n",
    )
    .unwrap();
    let run_dir = dir.path().join("run");
    let child = Command::new(mull_bin())
        .arg("run")
        .arg(&config)
        .arg("--out")
        .arg(&run_dir)
        .args(["-w", "2", "--quiet"])
        .spawn()
        .unwrap();
    let status = interrupt(child, "INT", 1500);
    assert_eq!(status.code(), Some(130));
    assert!(
        hidden_temporaries(&run_dir).is_empty(),
        "{:?}",
        hidden_temporaries(&run_dir)
    );
}

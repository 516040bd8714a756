//! The command-line contract: output shapes, bad input, determinism across thread counts.

use std::io::Write;

use crate::support::{mull_err, mull_ok};

#[test]
fn missing_and_malformed_input_are_one_clear_error() {
    let err = mull_err(&["grade", "math", "--in", "/nonexistent/pairs.jsonl"]);
    assert!(err.contains("/nonexistent/pairs.jsonl"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.jsonl");
    let mut f = std::fs::File::create(&bad).unwrap();
    writeln!(f, r#"{{"gold": "1", "pred": "Answer: 1"}}"#).unwrap();
    writeln!(f, r#"{{"gold": "1", "pred": }}"#).unwrap();
    drop(f);
    let err = mull_err(&["grade", "math", "--in", bad.to_str().unwrap()]);
    assert!(
        err.contains("bad.jsonl:2"),
        "the error names the line: {err}"
    );

    let err = mull_err(&["generate", "--family", "poetry", "--count", "1"]);
    assert!(
        err.contains("poetry") && err.contains("arithmetic"),
        "{err}"
    );
}

#[test]
fn a_failed_command_leaves_no_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    mull_err(&[
        "generate",
        "--family",
        "arithmetic",
        "--count",
        "3",
        "--difficulty",
        "99",
        "--out",
        out.to_str().unwrap(),
    ]);
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn verify_grades_attempts_and_names_unknown_problems() {
    let dir = tempfile::tempdir().unwrap();
    let problems = dir.path().join("p.jsonl");
    let p = problems.to_str().unwrap();
    mull_ok(&[
        "generate",
        "--family",
        "arithmetic",
        "--count",
        "4",
        "--seed",
        "3",
        "--out",
        p,
    ]);
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&problems)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // Attempt 0 answers with the gold answer, attempt 1 with a wrong one.
    let attempts = dir.path().join("a.jsonl");
    let mut f = std::fs::File::create(&attempts).unwrap();
    for prob in &lines {
        let id = prob["id"].as_str().unwrap();
        let gold = prob["answer"].as_str().unwrap();
        for (i, answer) in [gold.to_string(), format!("{gold}1")].iter().enumerate() {
            let attempt = mull_data::Attempt::from_completion(
                id,
                i as u32,
                format!("<think>\nsome thought\n</think>\nAnswer: {answer}"),
            );
            writeln!(f, "{}", serde_json::to_string(&attempt).unwrap()).unwrap();
        }
    }
    drop(f);
    let a = attempts.to_str().unwrap();
    let graded = mull_ok(&["verify", "--problems", p, "--in", a, "-j", "1"]);
    let verdicts: Vec<bool> = graded
        .lines()
        .map(|l| serde_json::from_str::<mull_data::Attempt>(l).unwrap())
        .map(|a| a.verdict.unwrap().correct)
        .collect();
    assert_eq!(verdicts, [true, false].repeat(4));
    // The same bytes whatever the number of threads.
    assert_eq!(
        graded,
        mull_ok(&["verify", "--problems", p, "--in", a, "-j", "3"])
    );

    let stray = dir.path().join("stray.jsonl");
    std::fs::write(
        &stray,
        serde_json::to_string(&mull_data::Attempt::from_completion(
            "00000000deadbeef",
            0,
            "x".into(),
        ))
        .unwrap(),
    )
    .unwrap();
    let err = mull_err(&["verify", "--problems", p, "--in", stray.to_str().unwrap()]);
    assert!(
        err.contains("stray.jsonl:1") && err.contains("00000000deadbeef"),
        "{err}"
    );
}

#[test]
fn grade_math_writes_one_canonical_line_per_input() {
    let dir = tempfile::tempdir().unwrap();
    let pairs = dir.path().join("pairs.jsonl");
    std::fs::write(
        &pairs,
        "{\"gold\": \"1/2\", \"pred\": \"\\\\boxed{\\\\frac{2}{4}}\"}\n\n{\"gold\": \"3\", \"pred\": \"Answer: -3\"}\n",
    )
    .unwrap();
    let out = mull_ok(&["grade", "math", "--in", pairs.to_str().unwrap()]);
    let rows: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["correct"], true);
    assert_eq!(rows[0]["pred"], "1/2");
    assert_eq!(rows[1]["correct"], false);
    assert!(rows[1]["reason"].as_str().is_some_and(|r| !r.is_empty()));
}

#[test]
fn zstd_output_round_trips_through_inspect_and_corruption_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let shard = dir.path().join("c.jsonl.zst");
    let s = shard.to_str().unwrap();
    mull_ok(&[
        "generate", "--family", "cipher", "--count", "5", "--seed", "2", "--out", s,
    ]);
    let shown = mull_ok(&["inspect", s]);
    assert_eq!(shown.matches("\"ciphertext\"").count(), 5, "{shown}");

    let bytes = std::fs::read(&shard).unwrap();
    std::fs::write(&shard, &bytes[..bytes.len() / 2]).unwrap();
    let err = mull_err(&["inspect", s]);
    assert!(err.contains("c.jsonl.zst"), "{err}");
}

/// The help texts are the interface other tools read: changes to them should be deliberate.
#[test]
fn help_texts_are_stable() {
    for args in [
        &["--help"][..],
        &["run", "--help"],
        &["generate", "--help"],
        &["verify", "--help"],
        &["grade", "math", "--help"],
        &["grade", "humaneval", "--help"],
        &["sample", "--help"],
        &["bench", "--help"],
        &["distill", "sft", "--help"],
        &["distill", "prm", "--help"],
        &["export", "--help"],
        &["eval", "--help"],
        &["report", "--help"],
    ] {
        let name = format!("help-{}", args[..args.len() - 1].join("-"));
        let text = mull_ok(args);
        insta::with_settings!({ snapshot_suffix => name.trim_end_matches('-').to_string() }, {
            insta::assert_snapshot!(text);
        });
    }
}

/// `mull distill sft`: a misspelt spec key names the file, line and key; nothing is written.
#[test]
fn distill_sft_errors_name_the_key_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let spec = dir.path().join("student.toml");
    std::fs::write(
        &spec,
        "[model]\nhidden-size = 8\nintermediate-size = 8\nlayers = 1\nheads = 2\nmax-positions = 64\n\n[train]\nstepz = 3\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let (s, o) = (spec.to_str().unwrap(), out.to_str().unwrap());
    let err = mull_err(&[
        "distill", "sft", "--data", "nowhere", "--model", s, "--out", o,
    ]);
    assert!(
        err.contains("student.toml: line 9: unknown field `stepz`"),
        "{err}"
    );
    assert!(!out.exists());
    let shipped = concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/student-tiny.toml");
    let err = mull_err(&[
        "distill", "sft", "--data", "nowhere", "--model", shipped, "--out", o, "--resume",
    ]);
    assert!(err.contains("holds no checkpoint to resume"), "{err}");
    let err = mull_err(&[
        "distill", "sft", "--data", "nowhere", "--model", shipped, "--out", o,
    ]);
    assert!(err.contains("nowhere"), "{err}");
    assert!(!out.join("state.json").exists());
}

/// Every shipped config parses: a run config (it has families) or a student spec.
#[test]
fn shipped_configs_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if text.contains("[families.") {
            mull_pipeline::config::RunConfig::from_file(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        } else {
            mull_distill::train::spec::StudentSpec::from_file(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        seen += 1;
    }
    assert!(seen >= 9, "{seen} configs");
}

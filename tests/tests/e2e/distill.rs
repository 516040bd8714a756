//! Distillation through the binary: a tiny run, a student and a PRM trained for a few steps,
//! evaluation (held-out seeds enforced, the same bytes twice) and export.

use crate::support::{mull_err, mull_ok};

const SPEC: &str = "[model]\nhidden-size = 32\nintermediate-size = 64\nlayers = 1\nheads = 2\n\
                    max-positions = 320\n\n[train]\nsteps = 4\nwarmup-steps = 1\n\
                    batch-tokens = 2048\nmax-tokens = 320\neval-every = 2\ncheckpoint-every = 2\n";

#[test]
fn train_evaluate_and_export_a_tiny_student() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    std::fs::write(p("student.toml"), SPEC).unwrap();
    let tiny = concat!(env!("CARGO_MANIFEST_DIR"), "/../configs/tiny.toml");
    mull_ok(&["run", tiny, "--out", &p("run"), "--quiet"]);
    let (run, spec) = (p("run"), p("student.toml"));
    mull_ok(&[
        "distill",
        "sft",
        "--data",
        &run,
        "--model",
        &spec,
        "--out",
        &p("sft"),
        "-q",
    ]);
    mull_ok(&[
        "distill",
        "prm",
        "--data",
        &run,
        "--model",
        &spec,
        "--out",
        &p("prm"),
        "-q",
    ]);

    // Every step is logged once, each with the checkpoint that holds it.
    let log = std::fs::read_to_string(dir.path().join("sft/metrics.jsonl")).unwrap();
    let steps: Vec<u64> = log
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["step"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(steps, [1, 2, 3, 4], "{log}");

    // The tiny config generates arithmetic at seed 7: the student has seen those problems.
    let err = mull_err(&[
        "eval",
        "--model",
        &p("sft"),
        "--family",
        "arithmetic",
        "--count",
        "2",
        "--seed",
        "7",
        "-k",
        "2",
        "--out",
        &p("never"),
    ]);
    assert!(err.contains("overlap the training run"), "{err}");
    assert!(!dir.path().join("never").exists());

    let eval = |out: &str| {
        mull_ok(&[
            "eval",
            "--model",
            &p("sft"),
            "--prm",
            &p("prm"),
            "--family",
            "arithmetic",
            "--count",
            "2",
            "--seed",
            "900001",
            "--difficulty",
            "1",
            "2",
            "-k",
            "4",
            "--out",
            &p(out),
            "-q",
        ])
    };
    eval("eval");
    eval("eval2");
    for file in ["pool.jsonl", "metrics.json", "metrics.md"] {
        let a = std::fs::read(dir.path().join("eval").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("eval2").join(file)).unwrap();
        assert!(a == b, "{file} differs between two evaluations");
    }
    let pool = std::fs::read_to_string(dir.path().join("eval/pool.jsonl")).unwrap();
    assert_eq!(
        pool.lines().count(),
        2 * 2 * 4,
        "2 levels × 2 problems × 4 samples"
    );
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("eval/metrics.json")).unwrap())
            .unwrap();
    let rows = metrics["rows"].as_array().unwrap();
    // all, and arithmetic at levels 1 and 2.
    assert_eq!(rows.len(), 3, "{metrics}");
    for row in rows {
        for key in [
            "pass@1",
            "pass@4",
            "maj@4",
            "prm-best-min@4",
            "tokens@4",
            "prm-beam@4",
            "beam-tokens@4",
        ] {
            assert!(row.get(key).is_some(), "{key} missing in {row}");
        }
    }

    mull_ok(&["export", &p("sft"), "--out", &p("hf")]);
    assert!(dir.path().join("hf/model.safetensors").is_file());

    mull_ok(&[
        "report",
        &p("eval"),
        &p("sft"),
        &p("prm"),
        "--out",
        &p("report"),
    ]);
    for plot in [
        "accuracy-samples",
        "accuracy-tokens",
        "accuracy-difficulty",
        "loss",
    ] {
        for ext in ["png", "svg"] {
            let path = dir.path().join(format!("report/{plot}.{ext}"));
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            assert!(size > 1024, "{} is {size} bytes", path.display());
        }
    }
    let md = std::fs::read_to_string(dir.path().join("report/report.md")).unwrap();
    assert!(md.contains("| 4 |") && md.contains("| sft | 4 |"), "{md}");
    let err = mull_err(&["report", &p("run"), "--out", &p("bad-report")]);
    assert!(err.contains("neither an evaluation"), "{err}");
}

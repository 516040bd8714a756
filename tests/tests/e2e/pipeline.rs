//! `mull run`: the dataflow's output against a plain sequential implementation of the same
//! steps, and the same bytes across worker counts, processes, kills and incremental runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use mull_data::shard::read_shard;
use mull_data::{Attempt, LabelSource, PrmRecord, Problem, RejectRecord, SftRecord, VerdictStatus};
use mull_pipeline::config::{Overrides, RunConfig};
use mull_pipeline::jobs::run::{run, RunOptions};
use mull_pipeline::progress::ProgressMode;
use mull_pipeline::stages::aggregate::{aggregate, ProblemAggregate};
use mull_pipeline::stages::generate;
use mull_pipeline::stages::label::label;
use mull_pipeline::stages::oracle::{Oracle, OracleOutcome};
use mull_pipeline::stages::sample::Teacher;
use mull_pipeline::stages::verify::verify;
use mull_pipeline::stages::ProblemWork;
use mull_verifiers::Verifiers;

use crate::support::{mull, mull_bin};

fn tiny() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/tiny.toml")
}

/// sha256 of every shard, sidecar and the manifest, by relative path: a run's data.
fn data_of(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in walk(dir) {
        let name = entry.to_string_lossy().into_owned();
        if name.ends_with(".zst") || name.ends_with(".sha256") || name.ends_with("manifest.json") {
            let rel = entry
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.insert(rel, mull_data::shard::sha256_file(&entry).unwrap());
        }
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn run_bin(config: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "run",
        config.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let o = mull(&args);
    assert!(
        o.status.success(),
        "mull run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn read<T: serde::de::DeserializeOwned>(dir: &Path, kind: &str) -> Vec<T> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(kind))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".jsonl.zst"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| read_shard::<T>(f).unwrap().map(Result::unwrap))
        .collect()
}

#[test]
fn tiny_run_matches_a_sequential_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    let summary = run(&RunOptions {
        config: tiny(),
        overrides: Overrides {
            out: Some(dir.clone()),
            workers: Some(2),
        },
        cluster: None,
        progress: ProgressMode::Quiet,
    })
    .unwrap()
    .expect("process 0 returns the summary");

    let config = RunConfig::from_file(&tiny()).unwrap();
    let oracle = Oracle {
        run_seed: config.seed,
        attempts: config.sampling.attempts,
        corrupt_rate: config.teacher.corrupt_rate,
    };
    let verifiers = Verifiers::default();
    let problems: BTreeMap<String, Problem> = read::<Problem>(&dir, "problems")
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let attempts: BTreeMap<String, Attempt> = read::<Attempt>(&dir, "attempts")
        .into_iter()
        .map(|a| (a.id.clone(), a))
        .collect();
    let prm: BTreeMap<String, PrmRecord> = read::<PrmRecord>(&dir, "prm")
        .into_iter()
        .map(|r| (r.attempt_id.clone(), r))
        .collect();
    let sft: BTreeMap<String, SftRecord> = read::<SftRecord>(&dir, "sft")
        .into_iter()
        .map(|r| (r.problem_id.clone(), r))
        .collect();
    let rejects: Vec<RejectRecord> = read(&dir, "rejects");

    let mut expected_count = 0;
    let mut seen_first_errors = 0;
    let mut rollouts_spent = 0u64;
    let (mut expected_correct, mut expected_distinct) = (0, 0);
    for (family, fc) in &config.families {
        for index in 0..fc.count {
            expected_count += 1;
            let p = generate::problem(*family, fc, config.seed, index).unwrap();
            assert_eq!(problems.get(&p.id), Some(&p), "problem {family} #{index}");
            let reference = mull_data::Attempt::from_completion(&p.id, 0, p.reference_completion());
            let reference_checks = verifiers
                .for_family(&p.family)
                .unwrap()
                .verify(&p, &reference)
                .step_checks;
            let mut best_sft: Option<&Attempt> = None;
            for a in 0..config.sampling.attempts {
                let id = mull_data::ids::attempt_id(&p.id, a);
                let attempt = &attempts[&id];
                let verdict = attempt.verdict.as_ref().unwrap();
                let outcome = oracle.outcome(&p, a);
                let record = prm.get(&id);
                match outcome {
                    OracleOutcome::Malformed => {
                        assert!(
                            record.is_none(),
                            "{id}: a malformed attempt is not labelled"
                        );
                        assert!(
                            rejects.iter().any(|r| r.id == id && r.stage == "label"),
                            "{id}: a malformed attempt is a reject"
                        );
                    }
                    OracleOutcome::CorruptStep(i) => {
                        assert!(!verdict.correct, "{id}");
                        let r = record.unwrap();
                        if reference_checks.get(i).copied().flatten() == Some(true) {
                            assert_eq!(r.first_error, Some(i), "{id}: the corrupted step");
                            assert_eq!(r.label_source[i], LabelSource::Exact);
                            seen_first_errors += 1;
                        }
                        let fe = r.first_error.unwrap_or(r.labels.len());
                        for (j, label) in r.labels.iter().enumerate() {
                            if j > fe {
                                assert!(!label);
                                assert_eq!(r.label_source[j], LabelSource::AfterFirstError);
                            }
                        }
                    }
                    OracleOutcome::WrongAnswer | OracleOutcome::Reference => {
                        let correct = outcome == OracleOutcome::Reference;
                        assert_eq!(verdict.correct, correct, "{id}: {}", verdict.reason);
                        let r = record.unwrap();
                        assert_eq!(r.first_error, None, "{id}");
                        assert_eq!(r.prompt, p.prompt);
                        assert_eq!(r.completions, p.reference);
                        for (j, label) in r.labels.iter().enumerate() {
                            if r.label_source[j] == LabelSource::Rollout {
                                continue; // checked against the sequential run below
                            }
                            let exact = reference_checks.get(j).copied().flatten().is_some();
                            assert_eq!(*label, exact || correct, "{id} step {j}");
                        }
                        if correct && best_sft.is_none() {
                            best_sft = Some(attempt);
                        }
                    }
                }
                if verdict.status == VerdictStatus::Error {
                    assert!(rejects.iter().any(|r| r.id == id && r.stage == "verify"));
                }
            }
            // The same stages called one after another, without the dataflow.
            let (sequential, aggregate) =
                sequential_problem(&config, &oracle, &verifiers, p.clone());
            expected_correct += aggregate.correct;
            expected_distinct += aggregate.distinct_verified;
            for r in &sequential.prm {
                assert_eq!(prm.get(&r.attempt_id), Some(r), "{}", r.attempt_id);
                rollouts_spent += r.rollouts.iter().map(|[_, n]| u64::from(*n)).sum::<u64>();
            }
            assert_eq!(sequential.sft.as_ref(), sft.get(&p.id));
            // Every correct attempt replays the reference, so the first one is the shortest.
            assert_eq!(
                sft.get(&p.id).map(|r| r.attempt_id.as_str()),
                best_sft.map(|a| a.id.as_str()),
                "{}: the sft record is the shortest verified chain",
                p.id
            );
        }
    }
    assert_eq!(problems.len(), expected_count);
    assert!(
        seen_first_errors > 10,
        "{seen_first_errors} corrupted steps found"
    );
    assert_eq!(summary.tally.problems, expected_count as u64);
    assert_eq!(summary.tally.attempts, attempts.len() as u64);
    // The reduce's figures: correct replays of the same reference are one distinct chain.
    assert_eq!(summary.tally.correct, expected_correct);
    assert_eq!(summary.tally.distinct_verified, expected_distinct);
    assert!(
        expected_distinct < expected_correct,
        "tiny has duplicate chains"
    );
    assert_eq!(summary.tally.prm, prm.len() as u64);
    assert_eq!(summary.tally.rejects, rejects.len() as u64);
    assert!(rollouts_spent > 0, "tiny runs rollouts");
    assert_eq!(summary.tally.rollouts, rollouts_spent);
    let manifest = mull_data::manifest::Manifest::read(&dir.join("manifest.json")).unwrap();
    manifest.verify(&dir).unwrap();
    assert_eq!(manifest.counts["problems"], expected_count as u64);
    assert_eq!(manifest.shards.len(), 5 * summary.blocks);
    assert!(summary.blocks >= 6, "tiny spans several blocks");
}

/// One problem through the stages in order, going around the rollout loop until it is labelled,
/// then aggregated.
fn sequential_problem(
    config: &RunConfig,
    oracle: &Oracle,
    verifiers: &Verifiers,
    problem: Problem,
) -> (ProblemWork, ProblemAggregate) {
    let teacher = Teacher::Oracle(*oracle);
    let mut work = vec![ProblemWork::new(problem)];
    loop {
        teacher.sample(&mut work, config.labels.rollouts);
        verify(verifiers, &mut work[0]);
        if !label(&mut work[0], &config.labels) {
            break;
        }
    }
    let aggregate = aggregate(&mut work[0]);
    (work.remove(0), aggregate)
}

#[test]
fn workers_and_processes_give_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let w1 = tmp.path().join("w1");
    let w2 = tmp.path().join("w2");
    let p2 = tmp.path().join("p2");
    run_bin(&tiny(), &w1, &["-w", "1"]);
    run_bin(&tiny(), &w2, &["-w", "2"]);
    let reference = data_of(&w1);
    assert!(reference.len() > 30, "{} files", reference.len());
    assert_eq!(reference, data_of(&w2), "-w 1 and -w 2");

    // Two processes on loopback, two workers each.
    let ports: Vec<u16> = (0..2)
        .map(|_| {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        })
        .collect();
    let hostfile = tmp.path().join("hosts");
    std::fs::write(
        &hostfile,
        format!("127.0.0.1:{}\n127.0.0.1:{}\n", ports[0], ports[1]),
    )
    .unwrap();
    let children: Vec<_> = (0..2)
        .map(|i| {
            Command::new(mull_bin())
                .args([
                    "run",
                    tiny().to_str().unwrap(),
                    "--out",
                    p2.to_str().unwrap(),
                ])
                .args(["-w", "2", "--quiet", "--processes", "2"])
                .args([
                    "--process",
                    &i.to_string(),
                    "--hostfile",
                    hostfile.to_str().unwrap(),
                ])
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(reference, data_of(&p2), "2 processes on loopback");
}

#[test]
fn killed_runs_resume_to_the_same_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("fresh");
    run_bin(&tiny(), &fresh, &["-w", "2"]);
    let reference = data_of(&fresh);
    for (i, delay_ms) in [20u64, 150, 400].into_iter().enumerate() {
        let dir = tmp.path().join(format!("killed{i}"));
        let mut child = Command::new(mull_bin())
            .args([
                "run",
                tiny().to_str().unwrap(),
                "--out",
                dir.to_str().unwrap(),
            ])
            .args(["-w", "2", "--quiet"])
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        run_bin(&tiny(), &dir, &["-w", "1"]);
        assert_eq!(reference, data_of(&dir), "killed after {delay_ms} ms");
        let leftovers: Vec<PathBuf> = walk(&dir)
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn damaged_shards_are_redone_and_an_edited_manifest_is_rewritten() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run_bin(&tiny(), &dir, &[]);
    let reference = data_of(&dir);

    let shard = dir.join("prm/cipher-00000000-00000016.jsonl.zst");
    let mut bytes = std::fs::read(&shard).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&shard, &bytes).unwrap();
    let out = run_bin(&tiny(), &dir, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cipher-00000000-00000016"), "{stderr}");
    assert_eq!(reference, data_of(&dir));

    // A kill during a shard write leaves a hidden temporary file, and a kill between the
    // sidecar's rename and the shard's leaves a shard that does not match its sidecar.
    let temp = dir.join("attempts/.arithmetic-00000000-00000016.jsonl.zst.tmp-999-0");
    std::fs::write(&temp, b"half a shard").unwrap();
    let torn = dir.join("sft/equations-00000016-00000024.jsonl.zst");
    let bytes = std::fs::read(&torn).unwrap();
    std::fs::write(&torn, &bytes[..bytes.len() / 2]).unwrap();
    let root_temps = [
        dir.join(".config.toml.tmp-999-1"),
        dir.join(".manifest.json.tmp-999-2"),
    ];
    for t in &root_temps {
        std::fs::write(t, b"half").unwrap();
    }
    run_bin(&tiny(), &dir, &[]);
    assert!(
        !temp.exists(),
        "the temporary file of a killed write is removed"
    );
    assert!(
        root_temps.iter().all(|t| !t.exists()),
        "and those of the config and manifest"
    );
    assert_eq!(reference, data_of(&dir));

    // A run killed while it wrote its config left only that config's temporary: it resumes.
    let early = tmp.path().join("early");
    std::fs::create_dir(&early).unwrap();
    std::fs::write(early.join(".config.toml.tmp-999-0"), b"half").unwrap();
    run_bin(&tiny(), &early, &[]);
    assert_eq!(reference, data_of(&early));
    assert!(!early.join(".config.toml.tmp-999-0").exists());

    let manifest = dir.join("manifest.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replacen("\"problems\": ", "\"problems\": 1", 1),
    )
    .unwrap();
    let out = run_bin(&tiny(), &dir, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("manifest.json did not match"), "{stderr}");
    assert_eq!(reference, data_of(&dir));
}

#[test]
fn a_larger_run_computes_only_what_is_new_and_ends_as_a_fresh_one() {
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(tiny()).unwrap();
    // A smaller nightly: fewer arithmetic problems (a partial last block), no code family.
    let small_text = text
        .replace("count = 40", "count = 20")
        .replace("[families.code]\ncount = 4\ndifficulty = [1, 2]\n", "");
    assert_ne!(small_text, text);
    let small = tmp.path().join("small.toml");
    std::fs::write(&small, small_text).unwrap();

    let dir = tmp.path().join("nightly");
    run_bin(&small, &dir, &[]);
    let before = data_of(&dir);
    run_bin(&tiny(), &dir, &[]);
    let fresh = tmp.path().join("fresh");
    run_bin(&tiny(), &fresh, &[]);
    assert_eq!(data_of(&fresh), data_of(&dir));
    // Whole blocks of the smaller run were kept as they were.
    let kept = "attempts/arithmetic-00000000-00000016.jsonl.zst";
    assert_eq!(before.get(kept), data_of(&dir).get(kept));

    // The smaller config again, over the larger run: refused, nothing lost.
    let after = data_of(&dir);
    let out = mull(&[
        "run",
        small.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("would lose them"),
        "{stderr}"
    );
    assert_eq!(after, data_of(&dir));
}

#[test]
fn a_directory_of_another_config_is_refused_naming_the_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("run");
    run_bin(&tiny(), &dir, &[]);
    let other = tmp.path().join("other.toml");
    let text = std::fs::read_to_string(tiny()).unwrap();
    std::fs::write(
        &other,
        text.replace("seed = 7", "seed = 8")
            .replace("attempts = 4", "attempts = 3"),
    )
    .unwrap();
    let out = mull(&[
        "run",
        other.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("seed") && stderr.contains("sampling.attempts"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

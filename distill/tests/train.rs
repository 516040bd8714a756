//! Training end to end on hand-made run directories: a tiny model overfits a tiny set, a stopped
//! and resumed run ends bit for bit where an uninterrupted one does, and a directory holding a
//! run is not trained over.

use std::path::{Path, PathBuf};

use mull_data::shard::ShardWriter;
use mull_data::{Message, SftRecord};
use mull_distill::train::checkpoint::{TrainState, OPTIMIZER_FILE, WEIGHTS_FILE};
use mull_distill::train::sft::{train_sft, Student};
use mull_distill::train::spec::{ModelSpec, TrainSpec};
use mull_distill::train::trainer::Job;

/// A run directory whose sft/ shard holds `n` short conversations.
fn tiny_run(dir: &Path, n: u32) -> PathBuf {
    let run = dir.join("run");
    std::fs::create_dir_all(run.join("sft")).unwrap_or_else(|e| panic!("{e}"));
    let path = run.join("sft/arithmetic-00000000-00000099.jsonl.zst");
    let mut w = ShardWriter::create(&path).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..n {
        let (a, b) = (i % 7 + 1, i / 7 + 2);
        let record = SftRecord {
            messages: vec![
                Message {
                    role: "user".into(),
                    content: format!("{a}*{b}?"),
                },
                Message {
                    role: "assistant".into(),
                    content: format!("{a}*{b}={}", a * b),
                },
            ],
            problem_id: format!("{i:016x}"),
            attempt_id: format!("{i:016x}"),
        };
        w.write(&record).unwrap_or_else(|e| panic!("{e}"));
    }
    w.finish().unwrap_or_else(|e| panic!("{e}"));
    run
}

fn student() -> Student {
    Student::Scratch(ModelSpec {
        hidden_size: 32,
        intermediate_size: 64,
        layers: 2,
        heads: 4,
        kv_heads: Some(2),
        max_positions: 64,
        rope_theta: 10_000.0,
        tie_embeddings: false,
    })
}

fn job(run: &Path, out: &Path, steps: u64) -> Job {
    Job {
        data: vec![run.to_path_buf()],
        train: TrainSpec {
            steps,
            learning_rate: 1e-2,
            min_learning_rate: 1e-3,
            warmup_steps: 10,
            batch_tokens: 256,
            max_tokens: 64,
            held_out_percent: 0,
            eval_every: 50,
            checkpoint_every: 10,
            ..TrainSpec::default()
        },
        out: out.to_path_buf(),
        resume: false,
        stop_after: None,
    }
}

#[test]
fn a_tiny_model_overfits_a_tiny_set() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = tiny_run(dir.path(), 12);
    let mut losses = Vec::new();
    let summary = train_sft(
        &job(&run, &dir.path().join("out"), 300),
        &student(),
        &mut |s| losses.push(s.loss),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(summary.summary.steps, 300);
    assert_eq!(summary.summary.train_examples, 12);
    let first = losses.first().copied().unwrap_or(0.0);
    let last = losses.iter().rev().take(10).sum::<f64>() / 10.0;
    assert!(
        first > 2.0,
        "a fresh model should be near ln(vocab): {first}"
    );
    assert!(last < 0.05, "the last losses average {last} (from {first})");
}

#[test]
fn a_stopped_and_resumed_run_ends_bit_for_bit_like_an_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = tiny_run(dir.path(), 30);
    let whole = dir.path().join("whole");
    train_sft(&job(&run, &whole, 40), &student(), &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));

    let parts = dir.path().join("parts");
    let mut first = job(&run, &parts, 40);
    // Stops mid-epoch (30 short examples make a few batches an epoch): the data position and
    // the shuffle's state must come back too.
    first.stop_after = Some(17);
    train_sft(&first, &student(), &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    let stopped = TrainState::read(&parts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stopped.step, 17);
    let mut rest = job(&run, &parts, 40);
    rest.resume = true;
    let mut steps = Vec::new();
    train_sft(&rest, &student(), &mut |s| steps.push(s.step)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(steps.first(), Some(&18));
    for file in [WEIGHTS_FILE, OPTIMIZER_FILE] {
        let a = std::fs::read(whole.join(file)).unwrap_or_else(|e| panic!("{e}"));
        let b = std::fs::read(parts.join(file)).unwrap_or_else(|e| panic!("{e}"));
        assert!(a == b, "{file} differs after stop and resume");
    }
    let (a, b) = (
        TrainState::read(&whole).unwrap_or_else(|e| panic!("{e}")),
        TrainState::read(&parts).unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!((a.step, a.epoch, a.batch), (b.step, b.epoch, b.batch));
}

#[test]
fn a_directory_holding_a_run_is_refused_and_a_torn_checkpoint_too() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = tiny_run(dir.path(), 6);
    let out = dir.path().join("out");
    train_sft(&job(&run, &out, 3), &student(), &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    let again = train_sft(&job(&run, &out, 3), &student(), &mut |_| {});
    let message = again.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.contains("already holds a training run"),
        "{message}"
    );
    let mut other = job(&run, &out, 5);
    other.resume = true;
    let message = train_sft(&other, &student(), &mut |_| {})
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("other settings"), "{message}");
    // A kill between renames: the weights no longer match state.json.
    std::fs::write(out.join(WEIGHTS_FILE), b"torn").unwrap_or_else(|e| panic!("{e}"));
    let mut resume = job(&run, &out, 3);
    resume.resume = true;
    let message = train_sft(&resume, &student(), &mut |_| {})
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(message.contains("torn"), "{message}");
}

/// A run directory whose prm/ shard holds steps `x=1` (right) and `x=2` (wrong) in every order.
fn prm_run(dir: &Path) -> PathBuf {
    let run = dir.join("prm-run");
    std::fs::create_dir_all(run.join("prm")).unwrap_or_else(|e| panic!("{e}"));
    let path = run.join("prm/arithmetic-00000000-00000099.jsonl.zst");
    let mut w = ShardWriter::create(&path).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..80u32 {
        let steps: Vec<bool> = (0..3).map(|k| (i >> k) & 1 == 0).collect();
        // Labels as the pipeline writes them: wrong from the first wrong step on.
        let first = steps.iter().position(|ok| !ok);
        let labels: Vec<bool> = (0..3).map(|k| first.is_none_or(|f| k < f)).collect();
        let record = mull_data::PrmRecord {
            prompt: format!("Q{i}"),
            completions: steps
                .iter()
                .map(|ok| if *ok { "x=1".into() } else { "x=2".into() })
                .collect(),
            labels,
            // Hashed ids, so the held-out split (by id) is a random one.
            problem_id: mull_data::ids::problem_id("test", 1, 0, u64::from(i)),
            attempt_id: format!("{i:016x}"),
            first_error: first,
            step_checks: Vec::new(),
            rollouts: Vec::new(),
            label_source: Vec::new(),
        };
        w.write(&record).unwrap_or_else(|e| panic!("{e}"));
    }
    w.finish().unwrap_or_else(|e| panic!("{e}"));
    run
}

#[test]
fn a_prm_learns_which_steps_are_wrong() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = prm_run(dir.path());
    let mut prm = job(&run, &dir.path().join("prm"), 150);
    prm.train.held_out_percent = 25;
    let mut losses = Vec::new();
    let summary =
        mull_distill::train::prm::train_prm(&prm, &student(), &mut |s| losses.push(s.loss))
            .unwrap_or_else(|e| panic!("{e}"));
    let held = summary
        .held_out
        .unwrap_or_else(|| panic!("no held-out split"));
    assert!(held.records > 0);
    let first = losses.first().copied().unwrap_or(0.0);
    let last = losses.last().copied().unwrap_or(1.0);
    assert!(last < first / 4.0, "loss {first} → {last}");
    assert!(held.step_accuracy > 0.95, "{held:?}");
    assert!(held.first_error_f1 > 0.9, "{held:?}");
}

/// `steps` greedy tokens after `prompt` from the model in `dir`.
fn greedy(dir: &Path, prompt: &[u32], steps: usize) -> Vec<u32> {
    use candle_core::{Device, Tensor, D};
    let model = mull_models::llama::io::load_safetensors_dir(dir, &Device::Cpu)
        .unwrap_or_else(|e| panic!("{e}"));
    let mut tokens = prompt.to_vec();
    for _ in 0..steps {
        let input = Tensor::new(tokens.as_slice(), &Device::Cpu)
            .and_then(|t| t.unsqueeze(0))
            .unwrap_or_else(|e| panic!("{e}"));
        let logits = model
            .forward_train(&input)
            .unwrap_or_else(|e| panic!("{e}"));
        let next = logits
            .squeeze(0)
            .and_then(|l| l.get(tokens.len() - 1))
            .and_then(|l| l.argmax(D::Minus1))
            .and_then(|t| t.to_scalar::<u32>())
            .unwrap_or_else(|e| panic!("{e}"));
        tokens.push(next);
    }
    tokens[prompt.len()..].to_vec()
}

#[test]
fn an_export_reloads_with_the_same_greedy_tokens_and_hf_files() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let run = tiny_run(dir.path(), 12);
    let ckpt = dir.path().join("ckpt");
    train_sft(&job(&run, &ckpt, 40), &student(), &mut |_| {}).unwrap_or_else(|e| panic!("{e}"));
    let hf = dir.path().join("hf");
    let exported = mull_distill::export::export(&ckpt, &hf).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(exported.architecture, "LlamaForCausalLM");
    let prompt = [1, 20, 21, 22];
    assert_eq!(greedy(&ckpt, &prompt, 12), greedy(&hf, &prompt, 12));
    let config: serde_json::Value = serde_json::from_slice(
        &std::fs::read(hf.join("config.json")).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(config["architectures"][0], "LlamaForCausalLM");
    assert_eq!(config["model_type"], "llama");
    let bytes = std::fs::read(hf.join("model.safetensors")).unwrap_or_else(|e| panic!("{e}"));
    let (_, meta) =
        safetensors::SafeTensors::read_metadata(&bytes).unwrap_or_else(|e| panic!("{e}"));
    let format = meta
        .metadata()
        .as_ref()
        .and_then(|m| m.get("format").cloned());
    assert_eq!(format.as_deref(), Some("pt"));
    for file in [
        "tokenizer.json",
        "tokenizer_config.json",
        "generation_config.json",
        "README.md",
    ] {
        assert!(hf.join(file).is_file(), "{file}");
    }
    let card = std::fs::read_to_string(hf.join("README.md")).unwrap_or_else(|e| panic!("{e}"));
    assert!(card.contains("| steps | 40 |"), "{card}");
    let refused = mull_distill::export::export(&ckpt, &ckpt);
    assert!(refused.is_err());
}

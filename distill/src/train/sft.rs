//! Supervised fine-tuning: next-token cross-entropy on the completion tokens of verified chains.
//!
//! [`train_sft`] trains a student from scratch (a [`ModelSpec`] with the character-level
//! tokenizer) or continues a checkpoint, with AdamW, warm-up and cosine decay, gradient
//! clipping and length-packed batches, and writes checkpoints from which `resume` continues
//! exactly: a run stopped and resumed ends with the same weights, bit for bit, as one that was
//! not stopped (the test suite checks it).

use std::path::PathBuf;
use std::time::Instant;

use candle_core::{DType, Device, Tensor, D};
use candle_nn::{VarBuilder, VarMap};
use mull_models::llama::Llama;
use mull_models::tokenizer::Tokenizer;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::batching::{epoch_batches, Batch, Example};
use super::checkpoint::{self, TrainState, TOKENIZER_FILE};
use super::data::load_sft;
use super::optimizer::{AdamW, AdamWParams};
use super::schedule::learning_rate;
use super::spec::{char_alphabet, ModelSpec, TrainSpec};
use super::TrainError;

/// Where the student comes from.
#[derive(Debug, Clone)]
pub enum Student {
    /// A new model with the character-level tokenizer.
    Scratch(ModelSpec),
    /// A mull checkpoint or HF safetensors directory with a `tokenizer.json`.
    Checkpoint(PathBuf),
}

/// One SFT job.
#[derive(Debug, Clone)]
pub struct SftJob {
    pub data: Vec<PathBuf>,
    pub student: Student,
    pub train: TrainSpec,
    pub out: PathBuf,
    /// Continue the checkpoint in `out`.
    pub resume: bool,
    /// Stop (with a checkpoint) after this many steps in all: how tests interrupt a run.
    pub stop_after: Option<u64>,
}

/// What a step reports to the caller (for progress bars and logs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepLog {
    pub step: u64,
    pub total: u64,
    pub lr: f64,
    pub loss: f64,
    pub grad_norm: f64,
    /// Real (non-padding) tokens read this step.
    pub tokens: usize,
    pub held_out_loss: Option<f64>,
}

/// The end of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct SftSummary {
    pub steps: u64,
    pub train_examples: usize,
    pub held_out_examples: usize,
    /// Examples cut to `max-tokens`.
    pub cut: usize,
    pub train_loss: Option<f64>,
    pub held_out_loss: Option<f64>,
    pub tokens: u64,
    pub seconds: f64,
}

/// Masked mean cross-entropy of `model` on `batch` (a scalar tensor).
pub fn completion_loss(model: &Llama, batch: &Batch) -> Result<Tensor, TrainError> {
    let device = model.device();
    let inputs = Tensor::from_slice(&batch.inputs, (batch.rows, batch.width), device)?;
    let targets = Tensor::from_slice(&batch.targets, (batch.rows * batch.width, 1), device)?;
    let mask = Tensor::from_slice(&batch.mask, batch.rows * batch.width, device)?;
    let logits = model.forward_train(&inputs)?; // (b, t, vocab)
    let logp = candle_nn::ops::log_softmax(&logits.flatten_to(1)?, D::Minus1)?; // (b·t, vocab)
    let picked = logp.gather(&targets, 1)?.squeeze(1)?; // (b·t)
    let n = batch.trained_tokens().max(1) as f64;
    Ok(((picked * mask)?.sum_all()? / (-n))?)
}

/// Token-weighted mean loss over `examples` (no gradient).
pub fn mean_loss(
    model: &Llama,
    examples: &[Example],
    batch_tokens: usize,
    pad: u32,
) -> Result<Option<f64>, TrainError> {
    if examples.is_empty() {
        return Ok(None);
    }
    let (mut sum, mut count) = (0f64, 0usize);
    for idx in epoch_batches(examples, batch_tokens, 0) {
        let rows: Vec<&Example> = idx.iter().map(|&i| &examples[i]).collect();
        let batch = Batch::new(&rows, pad);
        let n = batch.trained_tokens();
        sum += completion_loss(model, &batch)?.to_scalar::<f32>()? as f64 * n as f64;
        count += n;
    }
    Ok(Some(sum / count.max(1) as f64))
}

/// Deterministic initial weights: uniform with standard deviation 0.02 from a stream seeded by
/// each tensor's name, residual output projections scaled by 1/√(2·layers) (GPT-2), RMSNorm
/// gains at 1. (candle's own initialisers draw from an unseeded generator.)
fn initialise(varmap: &VarMap, layers: usize, seed: u64) -> Result<(), TrainError> {
    let vars = varmap
        .data()
        .lock()
        .map_err(|_| TrainError::Invalid("a variable map was poisoned".into()))?;
    let mut names: Vec<&String> = vars.keys().collect();
    names.sort();
    for name in names {
        let var = &vars[name];
        if name.contains("norm") {
            continue;
        }
        let scale = if name.ends_with("o_proj.weight") || name.ends_with("down_proj.weight") {
            1.0 / (2.0 * layers as f64).sqrt()
        } else {
            1.0
        };
        let half_width = (0.02 * 3f64.sqrt() * scale) as f32;
        let mut rng = ChaCha8Rng::seed_from_u64(mull_data::ids::init_seed(seed, name));
        let values: Vec<f32> = (0..var.elem_count())
            .map(|_| rng.random_range(-half_width..half_width))
            .collect();
        var.set(&Tensor::from_vec(values, var.dims(), var.device())?)?;
    }
    Ok(())
}

/// The model, its variables and tokenizer for `job`.
fn build_student(job: &SftJob) -> Result<(Llama, VarMap, Tokenizer), TrainError> {
    let device = Device::Cpu;
    if job.resume {
        let (model, varmap) = mull_models::llama::io::load_trainable(&job.out, &device)?;
        let tokenizer = Tokenizer::from_file(&job.out.join(TOKENIZER_FILE))?;
        return Ok((model, varmap, tokenizer));
    }
    match &job.student {
        Student::Scratch(spec) => {
            let tokenizer = Tokenizer::try_char_level(&char_alphabet())?;
            let (bos, eos) = (
                mull_models::tokenizer::char_level::BOS_ID,
                mull_models::tokenizer::char_level::EOS_ID,
            );
            let cfg = spec.config(tokenizer.vocab_size(), bos, eos);
            let varmap = VarMap::new();
            let model = Llama::new(&cfg, VarBuilder::from_varmap(&varmap, DType::F32, &device))?;
            initialise(&varmap, spec.layers, job.train.seed)?;
            Ok((model, varmap, tokenizer))
        }
        Student::Checkpoint(dir) => {
            let (model, varmap) = mull_models::llama::io::load_trainable(dir, &device)?;
            let tokenizer = Tokenizer::from_file(&dir.join(TOKENIZER_FILE))?;
            Ok((model, varmap, tokenizer))
        }
    }
}

fn check_out(job: &SftJob) -> Result<Option<TrainState>, TrainError> {
    let exists = TrainState::exists(&job.out);
    match (job.resume, exists) {
        (true, true) => {
            let state = TrainState::read(&job.out)?;
            let data: Vec<String> = job.data.iter().map(|p| p.display().to_string()).collect();
            if state.data != data {
                return Err(TrainError::Checkpoint {
                    path: job.out.join(checkpoint::STATE_FILE),
                    message: format!(
                        "was trained on {:?}; resume with the same --data",
                        state.data
                    ),
                });
            }
            if state.kind != "sft" || state.spec != job.train {
                return Err(TrainError::Checkpoint {
                    path: job.out.join(checkpoint::STATE_FILE),
                    message: "was trained with other settings; resume with the same spec".into(),
                });
            }
            Ok(Some(state))
        }
        (true, false) => Err(TrainError::Checkpoint {
            path: job.out.clone(),
            message: "holds no checkpoint to resume".into(),
        }),
        (false, true) => Err(TrainError::Checkpoint {
            path: job.out.clone(),
            message: "already holds a training run: --resume to continue it, or another --out"
                .into(),
        }),
        (false, false) => Ok(None),
    }
}

/// Runs `job`, calling `on_step` after every optimizer step.
pub fn train_sft(
    job: &SftJob,
    on_step: &mut dyn FnMut(&StepLog),
) -> Result<SftSummary, TrainError> {
    let start = Instant::now();
    let spec = &job.train;
    spec.check().map_err(TrainError::Invalid)?;
    let resumed = check_out(job)?;
    let (model, varmap, tokenizer) = build_student(job)?;
    let pad = mull_models::tokenizer::char_level::PAD_ID;
    let data = load_sft(
        &job.data,
        &tokenizer,
        spec.max_tokens,
        spec.held_out_percent,
    )?;
    let max_len = data.train.iter().map(|e| e.tokens.len()).max().unwrap_or(0);
    if max_len > model.config().max_position_embeddings {
        return Err(TrainError::Invalid(format!(
            "examples of {max_len} tokens exceed the model's {} positions: lower max-tokens",
            model.config().max_position_embeddings
        )));
    }
    let params: Vec<(String, candle_core::Var)> = varmap
        .data()
        .lock()
        .map_err(|_| TrainError::Invalid("a variable map was poisoned".into()))?
        .iter()
        .map(|(n, v)| (n.clone(), v.clone()))
        .collect();
    let mut optimizer = AdamW::new(
        params,
        AdamWParams {
            beta1: spec.beta1,
            beta2: spec.beta2,
            eps: spec.eps,
            weight_decay: spec.weight_decay,
            clip: spec.grad_clip,
        },
    )?;
    let mut state = TrainState {
        kind: "sft".into(),
        step: 0,
        epoch: 0,
        batch: 0,
        spec: spec.clone(),
        data: job.data.iter().map(|p| p.display().to_string()).collect(),
        train_examples: data.train.len(),
        held_out_examples: data.held_out.len(),
        train_loss: None,
        held_out_loss: None,
        weights_sha256: String::new(),
        optimizer_sha256: String::new(),
    };
    if let Some(saved) = resumed {
        optimizer.load(&job.out.join(checkpoint::OPTIMIZER_FILE), saved.step)?;
        state = saved;
    }
    std::fs::create_dir_all(&job.out).map_err(|source| TrainError::Io {
        path: job.out.clone(),
        source,
    })?;
    let shuffle = |epoch| mull_data::ids::shuffle_seed(spec.seed, epoch);
    let mut batches = epoch_batches(&data.train, spec.batch_tokens, shuffle(state.epoch));
    let end = job.stop_after.map_or(spec.steps, |s| s.min(spec.steps));
    let mut tokens = 0u64;
    while state.step < end {
        if state.batch >= batches.len() {
            state.epoch += 1;
            state.batch = 0;
            batches = epoch_batches(&data.train, spec.batch_tokens, shuffle(state.epoch));
        }
        let rows: Vec<&Example> = batches[state.batch]
            .iter()
            .map(|&i| &data.train[i])
            .collect();
        let batch = Batch::new(&rows, pad);
        let loss = completion_loss(&model, &batch)?;
        let grads = loss.backward()?;
        let lr = learning_rate(
            state.step + 1,
            spec.steps,
            spec.warmup_steps,
            spec.learning_rate,
            spec.min_learning_rate,
        );
        let report = optimizer.step(&grads, lr)?;
        state.step += 1;
        state.batch += 1;
        let loss = loss.to_scalar::<f32>()? as f64;
        state.train_loss = Some(loss);
        let read: usize = rows.iter().map(|e| e.tokens.len() - 1).sum();
        tokens += read as u64;
        let last = state.step == end;
        let held_out_loss = if state.step.is_multiple_of(spec.eval_every.max(1)) || last {
            let l = mean_loss(&model, &data.held_out, spec.batch_tokens, pad)?;
            state.held_out_loss = l;
            l
        } else {
            None
        };
        on_step(&StepLog {
            step: state.step,
            total: spec.steps,
            lr,
            loss,
            grad_norm: report.grad_norm,
            tokens: read,
            held_out_loss,
        });
        if state.step.is_multiple_of(spec.checkpoint_every.max(1)) || last {
            checkpoint::save(&job.out, &model, &tokenizer, &optimizer, state.clone())?;
        }
    }
    Ok(SftSummary {
        steps: state.step,
        train_examples: data.train.len(),
        held_out_examples: data.held_out.len(),
        cut: data.cut,
        train_loss: state.train_loss,
        held_out_loss: state.held_out_loss,
        tokens,
        seconds: start.elapsed().as_secs_f64(),
    })
}

//! Supervised fine-tuning: next-token cross-entropy on the completion tokens of verified chains.
//!
//! [`train_sft`] trains a student from scratch (a [`ModelSpec`] with the character-level
//! tokenizer) or continues a checkpoint, through the shared loop of [`super::trainer`]: a run
//! stopped and resumed ends with the same weights, bit for bit, as one that was not stopped (the
//! test suite checks it).

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, D};
use candle_nn::{VarBuilder, VarMap};
use mull_models::llama::Llama;
use mull_models::tokenizer::Tokenizer;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::batching::{Batch, Example};
use super::checkpoint::TOKENIZER_FILE;
use super::data::load_sft;
use super::spec::{char_alphabet, ModelSpec};
use super::trainer::{self, Job, Objective, StepLog, Summary};
use super::TrainError;

/// Where the student comes from.
#[derive(Debug, Clone)]
pub enum Student {
    /// A new model with the character-level tokenizer.
    Scratch(ModelSpec),
    /// A mull checkpoint or HF safetensors directory with a `tokenizer.json`.
    Checkpoint(PathBuf),
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

/// Deterministic initial weights: uniform with standard deviation 0.02 from a stream seeded by
/// each tensor's name, residual output projections scaled by 1/√(2·layers) (GPT-2), RMSNorm
/// gains at 1. (candle's own initialisers draw from an unseeded generator.)
pub(super) fn initialise(varmap: &VarMap, layers: usize, seed: u64) -> Result<(), TrainError> {
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
fn build_student(job: &Job, student: &Student) -> Result<(Llama, VarMap, Tokenizer), TrainError> {
    let device = Device::Cpu;
    if job.resume {
        let (model, varmap) = mull_models::llama::io::load_trainable(&job.out, &device)?;
        let tokenizer = Tokenizer::from_file(&job.out.join(TOKENIZER_FILE))?;
        return Ok((model, varmap, tokenizer));
    }
    match student {
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

/// The SFT objective: completion-only next-token loss of a language model.
pub struct Sft {
    pub model: Llama,
    pub pad: u32,
}

impl Objective for Sft {
    type Example = Example;
    const KIND: &'static str = "sft";

    fn length(example: &Example) -> usize {
        example.tokens.len().saturating_sub(1)
    }

    fn loss(&self, rows: &[&Example]) -> Result<(Tensor, usize), TrainError> {
        let batch = Batch::new(rows, self.pad);
        Ok((
            completion_loss(&self.model, &batch)?,
            batch.trained_tokens(),
        ))
    }

    fn save_weights(&self, dir: &Path) -> Result<(), TrainError> {
        Ok(mull_models::llama::io::save_checkpoint(&self.model, dir)?)
    }
}

/// What `train_sft` adds to the loop's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SftSummary {
    pub summary: Summary,
    /// Examples cut to `max-tokens`.
    pub cut: usize,
}

/// Trains `student` as `job` says, calling `on_step` after every optimizer step.
pub fn train_sft(
    job: &Job,
    student: &Student,
    on_step: &mut dyn FnMut(&StepLog),
) -> Result<SftSummary, TrainError> {
    let spec = &job.train;
    spec.check().map_err(TrainError::Invalid)?;
    let resumed = trainer::check_out(job, Sft::KIND)?;
    let (model, varmap, tokenizer) = build_student(job, student)?;
    let data = load_sft(
        &job.data,
        &tokenizer,
        spec.max_tokens,
        spec.held_out_percent,
    )?;
    let longest = data.train.iter().map(|e| e.tokens.len()).max().unwrap_or(0);
    if longest > model.config().max_position_embeddings {
        return Err(TrainError::Invalid(format!(
            "examples of {longest} tokens exceed the model's {} positions: lower max-tokens",
            model.config().max_position_embeddings
        )));
    }
    let objective = Sft {
        model,
        pad: mull_models::tokenizer::char_level::PAD_ID,
    };
    let summary = trainer::run(
        job,
        &objective,
        &varmap,
        &tokenizer,
        &data.train,
        &data.held_out,
        resumed,
        on_step,
    )?;
    Ok(SftSummary {
        summary,
        cut: data.cut,
    })
}

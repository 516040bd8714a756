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
    Ok(completion_losses(model, None, batch)?.0)
}

/// The masked mean cross-entropy of `model` on `batch` and, with a teacher, the masked mean
/// KL(teacher ‖ student) over the same positions (scalar tensors; the teacher gets no gradient).
fn completion_losses(
    model: &Llama,
    teacher: Option<&Llama>,
    batch: &Batch,
) -> Result<(Tensor, Option<Tensor>), TrainError> {
    let device = model.device();
    let inputs = Tensor::from_slice(&batch.inputs, (batch.rows, batch.width), device)?;
    let targets = Tensor::from_slice(&batch.targets, (batch.rows * batch.width, 1), device)?;
    let mask = Tensor::from_slice(&batch.mask, batch.rows * batch.width, device)?;
    let logits = model.forward_train(&inputs)?; // (b, t, vocab)
    let logp = candle_nn::ops::log_softmax(&logits.flatten_to(1)?, D::Minus1)?; // (b·t, vocab)
    let picked = logp.gather(&targets, 1)?.squeeze(1)?; // (b·t)
    let n = batch.trained_tokens().max(1) as f64;
    let ce = ((picked * &mask)?.sum_all()? / (-n))?;
    let Some(teacher) = teacher else {
        return Ok((ce, None));
    };
    let t_logits = teacher.forward_train(&inputs)?.detach(); // (b, t, vocab)
    let t_logp = candle_nn::ops::log_softmax(&t_logits.flatten_to(1)?, D::Minus1)?; // (b·t, vocab)
    let per_position = (t_logp.exp()? * (&t_logp - &logp)?)?.sum(D::Minus1)?; // (b·t)
    let kl = ((per_position * mask)?.sum_all()? / n)?;
    Ok((ce, Some(kl)))
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

/// The SFT objective: completion-only next-token loss of a language model, optionally mixed
/// with a token-level KL to a teacher.
pub struct Sft {
    pub model: Llama,
    pub pad: u32,
    /// The teacher and the KL term's weight (`kl-teacher`, `kl-weight`).
    pub teacher: Option<(Llama, f64)>,
}

impl Objective for Sft {
    type Example = Example;
    const KIND: &'static str = "sft";

    fn length(example: &Example) -> usize {
        example.tokens.len().saturating_sub(1)
    }

    fn loss(&self, rows: &[&Example]) -> Result<(Tensor, usize), TrainError> {
        let batch = Batch::new(rows, self.pad);
        let teacher = self.teacher.as_ref().map(|(t, _)| t);
        let loss = match (
            completion_losses(&self.model, teacher, &batch)?,
            &self.teacher,
        ) {
            ((ce, Some(kl)), Some((_, w))) => ((ce * (1.0 - w))? + (kl * *w)?)?,
            ((ce, _), _) => ce,
        };
        Ok((loss, batch.trained_tokens()))
    }

    fn held_out_loss(&self, rows: &[&Example]) -> Result<(Tensor, usize), TrainError> {
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

/// The KL teacher in `dir`, which must read text as the student does: the same tokens under
/// the same ids (a KL between distributions over different vocabularies means nothing).
fn load_teacher(dir: &Path, student: &Tokenizer) -> Result<Llama, TrainError> {
    let path = dir.join(TOKENIZER_FILE);
    let theirs = Tokenizer::from_file(&path)?;
    let same = theirs.vocab_size() == student.vocab_size()
        && (0..student.vocab_size() as u32).all(|id| theirs.token(id) == student.token(id));
    if !same {
        return Err(TrainError::Invalid(format!(
            "kl-teacher {}: its tokenizer is not the student's ({} against {} tokens, or other \
             tokens under the same ids)",
            path.display(),
            theirs.vocab_size(),
            student.vocab_size()
        )));
    }
    let (teacher, _) = mull_models::llama::io::load_trainable(dir, &Device::Cpu)?;
    Ok(teacher)
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
    let teacher = match &spec.kl_teacher {
        Some(dir) => {
            let teacher = load_teacher(dir, &tokenizer)?;
            let (theirs, ours) = (teacher.config().vocab_size, model.config().vocab_size);
            if theirs != ours {
                return Err(TrainError::Invalid(format!(
                    "kl-teacher {}: {theirs} logits against the student's {ours}",
                    dir.display()
                )));
            }
            Some((teacher, spec.kl_weight))
        }
        None => None,
    };
    let objective = Sft {
        model,
        pad: mull_models::tokenizer::char_level::PAD_ID,
        teacher,
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

#[cfg(test)]
mod tests {
    use super::*;
    use mull_models::llama::Config;

    fn example() -> Example {
        Example::new(1, &[5, 6, 7], &[8, 9, 10, 11], 2, 64).0
    }

    fn loss_of(objective: &Sft) -> f32 {
        let e = example();
        objective.loss(&[&e]).unwrap().0.to_scalar().unwrap()
    }

    #[test]
    fn kl_to_a_teacher_is_zero_for_itself_and_mixes_by_its_weight() {
        let cfg = Config::tiny(40);
        let (varmap, other) = (VarMap::new(), VarMap::new());
        let student = |v: &VarMap| {
            let m = Llama::new(&cfg, VarBuilder::from_varmap(v, DType::F32, &Device::Cpu)).unwrap();
            initialise(v, cfg.num_hidden_layers, 1).unwrap();
            m
        };
        let mut sft = Sft {
            model: student(&varmap),
            pad: 0,
            teacher: None,
        };
        let ce = loss_of(&sft);
        // The same weights: KL 0, so the loss is (1 − w) · CE.
        sft.teacher = Some((student(&varmap), 0.25));
        assert!((loss_of(&sft) - 0.75 * ce).abs() < 1e-5);
        // Another model: KL > 0 adds to it; the held-out loss stays the cross-entropy.
        let differs = student(&other);
        initialise(&other, cfg.num_hidden_layers, 2).unwrap();
        sft.teacher = Some((differs, 0.25));
        assert!(loss_of(&sft) > 0.75 * ce + 1e-6);
        let e = example();
        let held: f32 = sft.held_out_loss(&[&e]).unwrap().0.to_scalar().unwrap();
        assert_eq!(held, ce);
    }

    #[test]
    fn a_teacher_with_another_tokenizer_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        Tokenizer::try_char_level("abc")
            .unwrap()
            .save(&dir.path().join(TOKENIZER_FILE))
            .unwrap();
        let ours = Tokenizer::try_char_level(&char_alphabet()).unwrap();
        let err = load_teacher(dir.path(), &ours).err().unwrap().to_string();
        assert!(
            err.contains("kl-teacher") && err.contains("not the student's"),
            "{err}"
        );
    }
}

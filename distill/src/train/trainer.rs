//! The training loop both objectives share: seeded length-packed batches, AdamW with warm-up
//! and cosine decay, periodic held-out loss and checkpoints, exact resume.
//!
//! An [`Objective`] says what an example is, how long it is and what the loss of a batch is;
//! [`run`] does the rest. Resume is exact because everything a step depends on is in the
//! checkpoint or derived from it: the weights, AdamW's moments and step count, the epoch and the
//! position in its order (whose shuffle is drawn from `ids::shuffle_seed(seed, epoch)`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::Tensor;
use candle_nn::VarMap;
use mull_models::tokenizer::Tokenizer;

use super::batching::epoch_batches;
use super::checkpoint::{self, TrainState};
use super::optimizer::{AdamW, AdamWParams};
use super::schedule::learning_rate;
use super::spec::TrainSpec;
use super::TrainError;

/// What is trained, on what examples.
pub trait Objective {
    type Example;
    /// `sft` or `prm`, recorded in checkpoints.
    const KIND: &'static str;
    /// Tokens the model reads for `example` (for packing batches).
    fn length(example: &Self::Example) -> usize;
    /// The mean loss of a batch (a scalar tensor) and how many targets it averages.
    fn loss(&self, rows: &[&Self::Example]) -> Result<(Tensor, usize), TrainError>;
    /// The loss reported on the held-out split: the objective's own, without auxiliary terms.
    fn held_out_loss(&self, rows: &[&Self::Example]) -> Result<(Tensor, usize), TrainError> {
        self.loss(rows)
    }
    /// Writes the model's weights and config into `dir`.
    fn save_weights(&self, dir: &Path) -> Result<(), TrainError>;
}

/// The settings of a job that do not depend on the objective.
#[derive(Debug, Clone)]
pub struct Job {
    pub data: Vec<PathBuf>,
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
    /// Tokens read this step (without padding).
    pub tokens: usize,
    pub held_out_loss: Option<f64>,
    /// A checkpoint holding this step was written: a resumed job continues after it, so what
    /// was logged up to here may be kept.
    pub checkpointed: bool,
}

/// The end of a job.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub steps: u64,
    pub train_examples: usize,
    pub held_out_examples: usize,
    pub train_loss: Option<f64>,
    pub held_out_loss: Option<f64>,
    /// Tokens read in this invocation.
    pub tokens: u64,
    pub seconds: f64,
}

/// The state to resume from, after checking that `job.out` may be written: a fresh directory,
/// or with `resume` a checkpoint of the same kind, data and settings.
pub fn check_out(job: &Job, kind: &str) -> Result<Option<TrainState>, TrainError> {
    let state_path = job.out.join(checkpoint::STATE_FILE);
    let refuse = |message: String| TrainError::Checkpoint {
        path: state_path.clone(),
        message,
    };
    match (job.resume, TrainState::exists(&job.out)) {
        (true, true) => {
            let state = TrainState::read(&job.out)?;
            let data: Vec<String> = job.data.iter().map(|p| p.display().to_string()).collect();
            if state.kind != kind {
                return Err(refuse(format!(
                    "is a {} checkpoint, not {kind}",
                    state.kind
                )));
            }
            if state.data != data {
                return Err(refuse(format!(
                    "was trained on {:?}; resume with the same --data",
                    state.data
                )));
            }
            if state.spec != job.train {
                return Err(refuse(
                    "was trained with other settings; resume with the same spec".into(),
                ));
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

/// Target-weighted mean loss over `examples` (no gradient); `None` when there are none.
pub fn mean_loss<O: Objective>(
    objective: &O,
    examples: &[O::Example],
    batch_tokens: usize,
) -> Result<Option<f64>, TrainError> {
    if examples.is_empty() {
        return Ok(None);
    }
    let lengths: Vec<usize> = examples.iter().map(O::length).collect();
    let (mut sum, mut count) = (0f64, 0usize);
    for idx in epoch_batches(&lengths, batch_tokens, 0) {
        let rows: Vec<&O::Example> = idx.iter().map(|&i| &examples[i]).collect();
        let (loss, n) = objective.held_out_loss(&rows)?;
        sum += loss.to_scalar::<f32>()? as f64 * n as f64;
        count += n;
    }
    Ok((count > 0).then(|| sum / count as f64))
}

/// Trains `objective`'s model (whose variables are `varmap`) on `train`, reporting held-out
/// loss on `held_out`, from `resumed` if given.
#[allow(clippy::too_many_arguments)]
pub fn run<O: Objective>(
    job: &Job,
    objective: &O,
    varmap: &VarMap,
    tokenizer: &Tokenizer,
    train: &[O::Example],
    held_out: &[O::Example],
    resumed: Option<TrainState>,
    on_step: &mut dyn FnMut(&StepLog),
) -> Result<Summary, TrainError> {
    let start = Instant::now();
    let spec = &job.train;
    if train.is_empty() {
        return Err(TrainError::Invalid("no training examples".into()));
    }
    let mut optimizer = AdamW::from_varmap(
        varmap,
        AdamWParams {
            beta1: spec.beta1,
            beta2: spec.beta2,
            eps: spec.eps,
            weight_decay: spec.weight_decay,
            clip: spec.grad_clip,
        },
    )?;
    let mut state = TrainState {
        kind: O::KIND.into(),
        step: 0,
        epoch: 0,
        batch: 0,
        spec: spec.clone(),
        data: job.data.iter().map(|p| p.display().to_string()).collect(),
        train_examples: train.len(),
        held_out_examples: held_out.len(),
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
    let lengths: Vec<usize> = train.iter().map(O::length).collect();
    let shuffle = |epoch| mull_data::ids::shuffle_seed(spec.seed, epoch);
    let mut batches = epoch_batches(&lengths, spec.batch_tokens, shuffle(state.epoch));
    let end = job.stop_after.map_or(spec.steps, |s| s.min(spec.steps));
    let mut tokens = 0u64;
    while state.step < end {
        if state.batch >= batches.len() {
            state.epoch += 1;
            state.batch = 0;
            batches = epoch_batches(&lengths, spec.batch_tokens, shuffle(state.epoch));
        }
        let idx = &batches[state.batch];
        let rows: Vec<&O::Example> = idx.iter().map(|&i| &train[i]).collect();
        let (loss, _) = objective.loss(&rows)?;
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
        let read: usize = idx.iter().map(|&i| lengths[i]).sum();
        tokens += read as u64;
        let last = state.step == end;
        let held_out_loss = if state.step.is_multiple_of(spec.eval_every.max(1)) || last {
            state.held_out_loss = mean_loss(objective, held_out, spec.batch_tokens)?;
            state.held_out_loss
        } else {
            None
        };
        let checkpointed = state.step.is_multiple_of(spec.checkpoint_every.max(1)) || last;
        if checkpointed {
            objective.save_weights(&job.out)?;
            checkpoint::save(&job.out, tokenizer, &optimizer, state.clone())?;
        }
        on_step(&StepLog {
            step: state.step,
            total: spec.steps,
            lr,
            loss,
            grad_norm: report.grad_norm,
            tokens: read,
            held_out_loss,
            checkpointed,
        });
    }
    Ok(Summary {
        steps: state.step,
        train_examples: train.len(),
        held_out_examples: held_out.len(),
        train_loss: state.train_loss,
        held_out_loss: state.held_out_loss,
        tokens,
        seconds: start.elapsed().as_secs_f64(),
    })
}

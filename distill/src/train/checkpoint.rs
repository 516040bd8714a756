//! Training checkpoints: a directory that is also a model (`config.json`, `model.safetensors`,
//! `tokenizer.json`, loadable wherever a model directory is), plus what resuming needs:
//! `optimizer.safetensors` (AdamW's moments) and `state.json` (step, data position, the settings,
//! and the sha256 of both tensor files).
//!
//! Each file is written under a temporary name and renamed; `state.json` goes last and names the
//! hashes of the tensor files it belongs to, so a run killed between two renames leaves a
//! checkpoint that [`TrainState::read`] refuses as torn rather than one that resumes wrongly.
//! The shuffle's random state is the seed, the epoch and the position within it: every epoch's
//! order is drawn from `ids::shuffle_seed(seed, epoch)`.

use std::path::{Path, PathBuf};

use mull_models::tokenizer::Tokenizer;
use serde::{Deserialize, Serialize};

use super::optimizer::AdamW;
use super::spec::TrainSpec;
use super::TrainError;

pub const STATE_FILE: &str = "state.json";
pub const OPTIMIZER_FILE: &str = "optimizer.safetensors";
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const TOKENIZER_FILE: &str = "tokenizer.json";

/// The hidden temporary name `path` is written under before the rename.
pub fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Writes `path` under its [`temporary`] name with `write`, then renames it into place.
fn save_through_temporary(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), TrainError>,
) -> Result<(), TrainError> {
    let tmp = temporary(path);
    write(&tmp)?;
    std::fs::rename(&tmp, path).map_err(io(path))
}

/// `state.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TrainState {
    /// `sft` or `prm`.
    pub kind: String,
    /// Optimizer steps taken.
    pub step: u64,
    /// The epoch of the next batch, and its index in that epoch's order.
    pub epoch: u64,
    pub batch: usize,
    pub spec: TrainSpec,
    /// The run directories trained on, as given.
    pub data: Vec<String>,
    pub train_examples: usize,
    pub held_out_examples: usize,
    pub train_loss: Option<f64>,
    pub held_out_loss: Option<f64>,
    pub weights_sha256: String,
    pub optimizer_sha256: String,
}

/// Maps an I/O error to one naming `path`.
pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrainError + '_ {
    move |source| TrainError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl TrainState {
    /// Reads `dir/state.json` and checks that the tensor files are the ones it names.
    pub fn read(dir: &Path) -> Result<Self, TrainError> {
        let path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&path).map_err(io(&path))?;
        let state: TrainState =
            serde_json::from_str(&text).map_err(|e| TrainError::Checkpoint {
                path: path.clone(),
                message: e.to_string(),
            })?;
        for (file, want) in [
            (WEIGHTS_FILE, &state.weights_sha256),
            (OPTIMIZER_FILE, &state.optimizer_sha256),
        ] {
            let got = mull_data::shard::sha256_file(&dir.join(file))?;
            if &got != want {
                return Err(TrainError::Checkpoint {
                    path: dir.join(file),
                    message: format!(
                        "does not match {STATE_FILE} (a checkpoint torn by a kill?): resume from \
                         a copy, or start again in a new directory"
                    ),
                });
            }
        }
        Ok(state)
    }

    /// Whether `dir` holds a checkpoint.
    pub fn exists(dir: &Path) -> bool {
        dir.join(STATE_FILE).is_file()
    }
}

/// Completes a checkpoint whose weights are already in `dir`: the tokenizer, `optimizer`'s
/// state and `state` (whose hashes are filled in here), in that order.
pub fn save(
    dir: &Path,
    tokenizer: &Tokenizer,
    optimizer: &AdamW,
    mut state: TrainState,
) -> Result<(), TrainError> {
    let tok = dir.join(TOKENIZER_FILE);
    if !tok.is_file() {
        save_through_temporary(&tok, |tmp| Ok(tokenizer.save(tmp)?))?;
    }
    let moments = dir.join(OPTIMIZER_FILE);
    save_through_temporary(&moments, |tmp| optimizer.save(tmp))?;
    state.weights_sha256 = mull_data::shard::sha256_file(&dir.join(WEIGHTS_FILE))?;
    state.optimizer_sha256 = mull_data::shard::sha256_file(&moments)?;
    let text = serde_json::to_string_pretty(&state)
        .map_err(|e| TrainError::Invalid(format!("cannot encode the state: {e}")))?;
    Ok(mull_data::shard::write_file_atomic(
        &dir.join(STATE_FILE),
        (text + "\n").as_bytes(),
    )?)
}

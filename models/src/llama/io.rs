//! Checkpoints in the HF layout: a directory with `config.json` and `model.safetensors`
//! (`tokenizer.json` beside them is the tokenizer's business). mull's own checkpoints use the same
//! layout, so an exported student loads in HF `transformers` and back here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};

use super::config::Config;
use super::model::Llama;
use crate::error::{ModelError, Result};

pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";

fn bad(path: &Path, message: impl Into<String>) -> ModelError {
    ModelError::BadFile {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Checks that `path` is a complete safetensors file before candle maps it, so truncation is
/// reported as such (with the file name) rather than as a bare parse error.
pub fn check_safetensors(path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    safetensors::SafeTensors::deserialize(&bytes).map_err(|e| {
        bad(
            path,
            format!("not a complete safetensors file (truncated or corrupt?): {e}"),
        )
    })?;
    Ok(())
}

fn weights_path(dir: &Path) -> Result<PathBuf> {
    let path = dir.join(WEIGHTS_FILE);
    if !path.is_file() {
        if dir.join("model.safetensors.index.json").is_file() {
            return Err(bad(
                dir,
                "sharded safetensors checkpoints are not supported (expected one model.safetensors)",
            ));
        }
        return Err(bad(
            &path,
            "missing: expected a model directory with config.json and model.safetensors",
        ));
    }
    check_safetensors(&path)?;
    Ok(path)
}

/// Loads an inference (read-only) model from an HF-layout directory; bf16/f16 weights become f32.
pub fn load_safetensors_dir(dir: &Path, device: &Device) -> Result<Llama> {
    let cfg = Config::from_file(&dir.join(CONFIG_FILE))?;
    let path = weights_path(dir)?;
    // SAFETY: the file is memory-mapped read-only; mull never writes a checkpoint in place (it
    // writes a new file and renames), so the mapping does not change under us.
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(&[&path], DType::F32, device) }
        .map_err(|e| bad(&path, format!("cannot map safetensors: {e}")))?;
    Llama::new(&cfg, vb).map_err(|e| bad(&path, format!("not a checkpoint of this config: {e}")))
}

/// Loads a trainable model: fresh variables in a `VarMap`, then overwritten from the checkpoint.
pub fn load_trainable(dir: &Path, device: &Device) -> Result<(Llama, VarMap)> {
    let cfg = Config::from_file(&dir.join(CONFIG_FILE))?;
    let path = weights_path(dir)?;
    let mut varmap = VarMap::new();
    let model = Llama::new(&cfg, VarBuilder::from_varmap(&varmap, DType::F32, device))?;
    varmap
        .load(&path)
        .map_err(|e| bad(&path, format!("not a checkpoint of this config: {e}")))?;
    Ok((model, varmap))
}

/// Writes `config.json` and `model.safetensors` into `dir` (created if needed). The weights are
/// written to a temporary name and renamed, so a crash never leaves a half-written checkpoint.
pub fn save_checkpoint(model: &Llama, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let tensors: HashMap<String, candle_core::Tensor> =
        model.named_tensors()?.into_iter().collect();
    let tmp = dir.join(format!("{WEIGHTS_FILE}.tmp"));
    candle_core::safetensors::save(&tensors, &tmp)
        .map_err(|e| bad(&tmp, format!("cannot write safetensors: {e}")))?;
    let path = dir.join(WEIGHTS_FILE);
    std::fs::rename(&tmp, &path).map_err(|source| ModelError::Io { path, source })?;
    model.config().save(&dir.join(CONFIG_FILE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Tensor;

    fn tiny() -> (Llama, VarMap) {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        (Llama::new(&Config::tiny(40), vb).unwrap(), varmap)
    }

    #[test]
    fn checkpoint_round_trip_gives_the_same_logits() {
        let (model, _vm) = tiny();
        let dir = tempfile::tempdir().unwrap();
        save_checkpoint(&model, dir.path()).unwrap();
        let tokens = Tensor::new(&[[1u32, 5, 7, 9]], &Device::Cpu).unwrap();
        let a = model.forward_train(&tokens).unwrap();
        let b = load_safetensors_dir(dir.path(), &Device::Cpu)
            .unwrap()
            .forward_train(&tokens)
            .unwrap();
        let (c, _) = load_trainable(dir.path(), &Device::Cpu).unwrap();
        let c = c.forward_train(&tokens).unwrap();
        for other in [b, c] {
            let d = (&a - other).unwrap().abs().unwrap().max_all().unwrap();
            assert_eq!(d.to_scalar::<f32>().unwrap(), 0.0);
        }
    }

    #[test]
    fn truncated_safetensors_is_a_clear_error() {
        let (model, _vm) = tiny();
        let dir = tempfile::tempdir().unwrap();
        save_checkpoint(&model, dir.path()).unwrap();
        let path = dir.path().join(WEIGHTS_FILE);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let err = load_safetensors_dir(dir.path(), &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("model.safetensors") && err.contains("truncated"),
            "{err}"
        );
    }

    #[test]
    fn missing_weights_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        Config::tiny(10)
            .save(&dir.path().join(CONFIG_FILE))
            .unwrap();
        let err = load_safetensors_dir(dir.path(), &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("model.safetensors") && err.contains("missing"),
            "{err}"
        );
        let err = load_safetensors_dir(&dir.path().join("nope"), &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(err.contains("config.json"), "{err}");
    }
}

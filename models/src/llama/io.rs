//! Checkpoints in the HF layout: a directory with `config.json` and `model.safetensors`, or the
//! shards named by `model.safetensors.index.json` (`tokenizer.json` beside them is the tokenizer's
//! business). mull's own checkpoints use the same layout, so an exported student loads in HF
//! `transformers` and back here.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};

use super::config::Config;
use super::model::Llama;
use crate::error::{ModelError, Result};

pub const CONFIG_FILE: &str = "config.json";
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const WEIGHTS_INDEX_FILE: &str = "model.safetensors.index.json";

fn bad(path: &Path, message: impl Into<String>) -> ModelError {
    ModelError::BadFile {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Checks that `path` is a complete safetensors file before candle maps it, so truncation is
/// reported as such (with the file name) rather than as a bare parse error. The file is mapped,
/// not read: only its header is touched.
pub fn check_safetensors(path: &Path) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // SAFETY: mapped read-only and only for this check; mull never writes a checkpoint in place.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    safetensors::SafeTensors::deserialize(&map).map_err(|e| {
        bad(
            path,
            format!("not a complete safetensors file (truncated or corrupt?): {e}"),
        )
    })?;
    Ok(())
}

/// The weight files of an HF-layout directory: `model.safetensors`, or the shards its index
/// names (each once, in name order), each checked to be a complete safetensors file.
pub fn weights_paths(dir: &Path) -> Result<Vec<PathBuf>> {
    let single = dir.join(WEIGHTS_FILE);
    let index = dir.join(WEIGHTS_INDEX_FILE);
    let paths = if single.is_file() {
        vec![single]
    } else if index.is_file() {
        shard_paths(dir, &index)?
    } else {
        return Err(bad(
            &single,
            "missing: expected a model directory with config.json and model.safetensors \
             (or model.safetensors.index.json and its shards)",
        ));
    };
    for path in &paths {
        check_safetensors(path)?;
    }
    Ok(paths)
}

/// The shard files named in an index's `weight_map`, which must be plain file names in `dir`.
fn shard_paths(dir: &Path, index: &Path) -> Result<Vec<PathBuf>> {
    #[derive(serde::Deserialize)]
    struct Index {
        weight_map: std::collections::BTreeMap<String, String>,
    }
    let text = std::fs::read_to_string(index).map_err(|source| ModelError::Io {
        path: index.to_path_buf(),
        source,
    })?;
    let parsed: Index = serde_json::from_str(&text)
        .map_err(|e| bad(index, format!("not a safetensors index (weight_map): {e}")))?;
    let mut files: Vec<&String> = parsed.weight_map.values().collect();
    files.sort();
    files.dedup();
    if files.is_empty() {
        return Err(bad(index, "weight_map names no shard"));
    }
    files
        .into_iter()
        .map(|f| {
            let plain = Path::new(f).file_name().is_some_and(|n| n == f.as_str());
            if !plain {
                return Err(bad(
                    index,
                    format!("shard {f:?} is not a plain file name in the model directory"),
                ));
            }
            let path = dir.join(f);
            if !path.is_file() {
                return Err(bad(&path, "missing: named by the safetensors index"));
            }
            Ok(path)
        })
        .collect()
}

/// Loads an inference (read-only) model from an HF-layout directory; bf16/f16 weights become f32.
pub fn load_safetensors_dir(dir: &Path, device: &Device) -> Result<Llama> {
    load_safetensors_files(dir, &weights_paths(dir)?, device)
}

/// The path errors about `paths` name: the one weights file, or the directory of the shards.
fn named<'a>(dir: &'a Path, paths: &'a [PathBuf]) -> &'a Path {
    match paths {
        [one] => one,
        _ => dir,
    }
}

/// As [`load_safetensors_dir`], from weight files already found by [`weights_paths`].
pub fn load_safetensors_files(dir: &Path, paths: &[PathBuf], device: &Device) -> Result<Llama> {
    let cfg = Config::from_file(&dir.join(CONFIG_FILE))?;
    let named = named(dir, paths);
    // SAFETY: the files are memory-mapped read-only; mull never writes a checkpoint in place (it
    // writes a new file and renames), so the mappings do not change under us.
    let vb = unsafe { VarBuilder::from_mmaped_safetensors(paths, DType::F32, device) }
        .map_err(|e| bad(named, format!("cannot map safetensors: {e}")))?;
    Llama::new(&cfg, vb).map_err(|e| bad(named, format!("not a checkpoint of this config: {e}")))
}

/// Loads a trainable model: fresh variables in a `VarMap`, then overwritten from the checkpoint.
pub fn load_trainable(dir: &Path, device: &Device) -> Result<(Llama, VarMap)> {
    let cfg = Config::from_file(&dir.join(CONFIG_FILE))?;
    let varmap = VarMap::new();
    let model = Llama::new(&cfg, VarBuilder::from_varmap(&varmap, DType::F32, device))?;
    load_vars(&varmap, dir, device, |_| false)?;
    Ok((model, varmap))
}

/// Overwrites every variable of `varmap` with the tensor of the same name in the checkpoint in
/// `dir`; a variable the checkpoint lacks is an error unless `may_lack(name)` (then it keeps its
/// initial value: a new head on a trained body).
pub fn load_vars(
    varmap: &VarMap,
    dir: &Path,
    device: &Device,
    may_lack: impl Fn(&str) -> bool,
) -> Result<()> {
    let paths = weights_paths(dir)?;
    let named = named(dir, &paths);
    // SAFETY: as in `load_safetensors_dir`.
    let files = unsafe { candle_core::safetensors::MmapedSafetensors::multi(&paths) }
        .map_err(|e| bad(named, format!("cannot map safetensors: {e}")))?;
    let vars = varmap
        .data()
        .lock()
        .map_err(|_| ModelError::Invalid("a variable map was poisoned by a panic".into()))?;
    for (name, var) in vars.iter() {
        if may_lack(name) && files.get(name).is_err() {
            continue;
        }
        files
            .load(name, device)
            .and_then(|t| t.to_dtype(DType::F32))
            .and_then(|t| var.set(&t))
            .map_err(|e| {
                bad(
                    named,
                    format!("not a checkpoint of this config ({name}): {e}"),
                )
            })?;
    }
    Ok(())
}

/// Writes named tensors and `cfg` as a checkpoint (see [`save_checkpoint`]).
pub fn save_tensors(
    tensors: Vec<(String, candle_core::Tensor)>,
    cfg: &Config,
    dir: &Path,
) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| ModelError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let tensors: HashMap<String, candle_core::Tensor> = tensors.into_iter().collect();
    let tmp = dir.join(format!(".{WEIGHTS_FILE}.tmp"));
    candle_core::safetensors::save(&tensors, &tmp)
        .map_err(|e| bad(&tmp, format!("cannot write safetensors: {e}")))?;
    let path = dir.join(WEIGHTS_FILE);
    std::fs::rename(&tmp, &path).map_err(|source| ModelError::Io { path, source })?;
    cfg.save(&dir.join(CONFIG_FILE))
}

/// Writes `config.json` and `model.safetensors` into `dir` (created if needed). The weights are
/// written to a temporary name and renamed, so a crash never leaves a half-written checkpoint.
pub fn save_checkpoint(model: &Llama, dir: &Path) -> Result<()> {
    save_tensors(model.named_tensors()?, model.config(), dir)
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
        assert_loads_as(&model, dir.path());
    }

    /// Both loaders give `model`'s logits exactly from the checkpoint in `dir`.
    fn assert_loads_as(model: &Llama, dir: &Path) {
        let tokens = Tensor::new(&[[1u32, 5, 7, 9]], &Device::Cpu).unwrap();
        let a = model.forward_train(&tokens).unwrap();
        let b = load_safetensors_dir(dir, &Device::Cpu)
            .unwrap()
            .forward_train(&tokens)
            .unwrap();
        let (c, _) = load_trainable(dir, &Device::Cpu).unwrap();
        let c = c.forward_train(&tokens).unwrap();
        for other in [b, c] {
            let d = (&a - other).unwrap().abs().unwrap().max_all().unwrap();
            assert_eq!(d.to_scalar::<f32>().unwrap(), 0.0);
        }
    }

    /// Splits a saved checkpoint's weights into two shards with an index, as HF writes them.
    fn shard(dir: &Path) {
        let single = dir.join(WEIGHTS_FILE);
        let tensors = candle_core::safetensors::load(&single, &Device::Cpu).unwrap();
        let mut names: Vec<&String> = tensors.keys().collect();
        names.sort();
        let (a, b) = names.split_at(names.len() / 2);
        let mut map = serde_json::Map::new();
        for (file, part) in [
            ("model-00001-of-00002.safetensors", a),
            ("model-00002-of-00002.safetensors", b),
        ] {
            let part: HashMap<String, Tensor> = part
                .iter()
                .map(|n| ((*n).clone(), tensors[*n].clone()))
                .collect();
            candle_core::safetensors::save(&part, dir.join(file)).unwrap();
            for n in part.keys() {
                map.insert(n.clone(), file.into());
            }
        }
        let index = serde_json::json!({ "metadata": {}, "weight_map": map });
        std::fs::write(dir.join(WEIGHTS_INDEX_FILE), index.to_string()).unwrap();
        std::fs::remove_file(single).unwrap();
    }

    #[test]
    fn sharded_checkpoints_load_like_single_files() {
        let (model, _vm) = tiny();
        let dir = tempfile::tempdir().unwrap();
        save_checkpoint(&model, dir.path()).unwrap();
        shard(dir.path());
        assert_eq!(weights_paths(dir.path()).unwrap().len(), 2);
        assert_loads_as(&model, dir.path());
        // A shard the index names but the directory lacks, and one outside the directory.
        let second = dir.path().join("model-00002-of-00002.safetensors");
        std::fs::rename(&second, dir.path().join("moved")).unwrap();
        let load_err = || {
            load_safetensors_dir(dir.path(), &Device::Cpu)
                .unwrap_err()
                .to_string()
        };
        let err = load_err();
        assert!(
            err.contains("model-00002-of-00002") && err.contains("missing"),
            "{err}"
        );
        let index = dir.path().join(WEIGHTS_INDEX_FILE);
        let text = std::fs::read_to_string(&index).unwrap();
        std::fs::write(&index, text.replace("model-00002-of-00002", "../escape")).unwrap();
        let err = load_err();
        assert!(err.contains("not a plain file name"), "{err}");
        std::fs::write(&index, "{\"weight_map\": 3}").unwrap();
        let err = load_err();
        assert!(
            err.contains("index.json") && err.contains("weight_map"),
            "{err}"
        );
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

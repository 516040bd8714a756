//! The one entry point the CLI and the pipeline call: a path in, a ready-to-sample model out
//! (weights, tokenizer, chat template, end-of-sequence ids, provenance hash).

use std::io::Read;
use std::path::{Path, PathBuf};

use candle_core::Device;
use sha2::{Digest, Sha256};

use crate::chat_template::ChatTemplate;
use crate::error::{ModelError, Result};
use crate::llama::gguf::{load_gguf, GgufWeights};
use crate::llama::io::{load_safetensors_files, weights_paths};
use crate::llama::{Config, Llama};
use crate::sampler::{Attempt, PromptJob, Sampler, Score};
use crate::sampling::SamplingParams;
use crate::tokenizer::Tokenizer;

/// Which weights to hold for sampling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WeightsKind {
    /// The fastest: for GGUF on CPU, the native weights (fastest at every batch size measured
    /// by `mull bench sample`); f32 otherwise.
    #[default]
    Auto,
    /// Everything dequantized to f32.
    F32,
    /// GGUF projections re-quantized to Q8_0 on candle's integer kernel (activations quantized
    /// to 8 bits).
    Q8_0,
    /// GGUF projections as the file's exact integers; on CPU, mull's kernel
    /// ([`crate::block_int8`]) runs Q4_0, Q4_1 and Q8_0 on activations rounded to 16 bits per
    /// block, so the logits are the dequantized model's to about 1e-2 on SmolLM2.
    Native,
}

#[derive(Debug, Clone)]
pub struct LoadOptions {
    pub weights: WeightsKind,
    pub device: Device,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            weights: WeightsKind::Auto,
            device: Device::Cpu,
        }
    }
}

/// The weights held for sampling.
pub enum Weights {
    F32(Llama),
    Quantized(Llama),
}

/// A loaded model with everything needed to prompt it.
pub struct LoadedModel {
    pub weights: Weights,
    pub tokenizer: Tokenizer,
    pub chat_template: ChatTemplate,
    pub eos_ids: Vec<u32>,
    /// `sha256:<hex>` of the weights: the GGUF file, `model.safetensors`, or the shards one after
    /// another in name order.
    pub weights_sha256: String,
    pub path: PathBuf,
}

impl LoadedModel {
    pub fn config(&self) -> &Config {
        self.model().config()
    }

    /// The weights sampling runs on.
    pub fn model(&self) -> &Llama {
        match &self.weights {
            Weights::F32(m) | Weights::Quantized(m) => m,
        }
    }

    /// The dense f32 weights, when held.
    pub fn f32(&self) -> Option<&Llama> {
        match &self.weights {
            Weights::F32(m) => Some(m),
            Weights::Quantized(_) => None,
        }
    }

    /// The quantized weights, when held.
    pub fn quantized(&self) -> Option<&Llama> {
        match &self.weights {
            Weights::Quantized(m) => Some(m),
            Weights::F32(_) => None,
        }
    }

    /// Samples `jobs` in fixed blocks of `prompts_per_block` prompts.
    pub fn sample(
        &self,
        jobs: &[PromptJob],
        params: &SamplingParams,
        prompts_per_block: usize,
    ) -> Result<Vec<Vec<Attempt>>> {
        Sampler::new(self.model(), &self.tokenizer, self.eos_ids.clone()).sample(
            jobs,
            params,
            prompts_per_block,
        )
    }

    /// Log-likelihood of `completion` after `prompt`.
    pub fn score(&self, prompt: &[u32], completion: &[u32]) -> Result<Score> {
        crate::sampler::score(self.model(), prompt, completion)
    }

    /// Log-likelihoods of many `(prompt, completion)` pairs, scored in fixed blocks of
    /// `pairs_per_block` pairs (each block one forward pass; see [`crate::sampler::score_batch`]).
    pub fn score_batch(
        &self,
        pairs: &[(&[u32], &[u32])],
        pairs_per_block: usize,
    ) -> Result<Vec<Score>> {
        let mut out = Vec::with_capacity(pairs.len());
        for block in pairs.chunks(pairs_per_block.max(1)) {
            out.extend(crate::sampler::score_batch(self.model(), block)?);
        }
        Ok(out)
    }

    /// The chat prompt for one user message, as token ids.
    pub fn chat_prompt(&self, system: Option<&str>, user: &str) -> Result<Vec<u32>> {
        let mut messages = Vec::new();
        if let Some(s) = system {
            messages.push(("system".to_string(), s.to_string()));
        }
        messages.push(("user".to_string(), user.to_string()));
        self.tokenizer
            .encode(&self.chat_template.render(&messages, true))
    }
}

/// `sha256:<hex>` of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String> {
    sha256_files(&[path.to_path_buf()])
}

/// `sha256:<hex>` of the files' bytes one after another, streamed (one file: its own hash).
pub fn sha256_files(paths: &[PathBuf]) -> Result<String> {
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    for path in paths {
        let io = |source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        loop {
            let n = file.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
    }
    let hex: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("sha256:{hex}"))
}

fn is_gguf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && &magic == b"GGUF"
}

fn eos_ids(cfg: &Config, tokenizer: &Tokenizer) -> Vec<u32> {
    let mut ids: Vec<u32> = cfg
        .eos_token_id
        .as_ref()
        .map(|e| e.to_vec())
        .unwrap_or_default();
    if let Some(e) = tokenizer.eos_token_id() {
        if !ids.contains(&e) {
            ids.push(e);
        }
    }
    ids
}

/// Loads a GGUF llama file or an HF-layout directory (`config.json`, `model.safetensors`,
/// `tokenizer.json`).
pub fn load(path: &Path, opts: LoadOptions) -> Result<LoadedModel> {
    if path.is_dir() {
        return load_dir(path, &opts);
    }
    if !path.exists() {
        return Err(ModelError::BadFile {
            path: path.to_path_buf(),
            message: "no such file (expected a GGUF llama file or a model directory)".into(),
        });
    }
    if !is_gguf(path) {
        return Err(ModelError::BadFile {
            path: path.to_path_buf(),
            message: "not a GGUF file (expected the magic bytes \"GGUF\") nor a directory with \
                      config.json and model.safetensors"
                .into(),
        });
    }
    let dev = &opts.device;
    let (weights, content) = match opts.weights {
        WeightsKind::F32 => {
            let (m, c) = load_gguf(path, GgufWeights::F32, dev)?;
            (Weights::F32(m), c)
        }
        WeightsKind::Q8_0 => {
            let (m, c) = load_gguf(path, GgufWeights::Q8_0, dev)?;
            (Weights::Quantized(m), c)
        }
        WeightsKind::Native => {
            let (m, c) = load_gguf(path, GgufWeights::Native, dev)?;
            (Weights::Quantized(m), c)
        }
        WeightsKind::Auto if dev.is_cpu() => {
            let (m, c) = load_gguf(path, GgufWeights::Native, dev)?;
            (Weights::Quantized(m), c)
        }
        WeightsKind::Auto => {
            let (m, c) = load_gguf(path, GgufWeights::F32, dev)?;
            (Weights::F32(m), c)
        }
    };
    let tokenizer = Tokenizer::from_gguf(&content, path)?;
    let mut loaded = LoadedModel {
        weights,
        chat_template: ChatTemplate::for_tokenizer(&tokenizer),
        eos_ids: Vec::new(),
        tokenizer,
        weights_sha256: sha256_file(path)?,
        path: path.to_path_buf(),
    };
    loaded.eos_ids = eos_ids(loaded.config(), &loaded.tokenizer);
    Ok(loaded)
}

fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<LoadedModel> {
    if matches!(opts.weights, WeightsKind::Q8_0 | WeightsKind::Native) {
        return Err(ModelError::Invalid(format!(
            "{}: quantized weights are only available for GGUF files; use f32 or auto",
            dir.display()
        )));
    }
    let paths = weights_paths(dir)?;
    let model = load_safetensors_files(dir, &paths, &opts.device)?;
    let tok_path = dir.join("tokenizer.json");
    let tokenizer = Tokenizer::from_file(&tok_path)?;
    let cfg = model.config().clone();
    let eos_first = cfg
        .eos_token_id
        .as_ref()
        .and_then(|e| e.to_vec().first().copied());
    let tokenizer = tokenizer.with_special_ids(cfg.bos_token_id, eos_first)?;
    Ok(LoadedModel {
        eos_ids: eos_ids(&cfg, &tokenizer),
        chat_template: ChatTemplate::for_tokenizer(&tokenizer),
        tokenizer,
        weights_sha256: sha256_files(&paths)?,
        path: dir.to_path_buf(),
        weights: Weights::F32(model),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llama::io::save_checkpoint;
    use candle_core::DType;
    use candle_nn::{VarBuilder, VarMap};

    #[test]
    fn loads_a_model_directory_and_samples() {
        let tok = Tokenizer::char_level("abc0123 \n");
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let model = Llama::new(&Config::tiny(tok.vocab_size()), vb).unwrap();
        let dir = tempfile::tempdir().unwrap();
        save_checkpoint(&model, dir.path()).unwrap();
        tok.save(&dir.path().join("tokenizer.json")).unwrap();
        let loaded = load(dir.path(), LoadOptions::default()).unwrap();
        assert_eq!(loaded.chat_template, ChatTemplate::Plain);
        assert!(loaded.f32().is_some() && loaded.quantized().is_none());
        assert!(loaded.weights_sha256.starts_with("sha256:") && loaded.weights_sha256.len() == 71);
        let prompt = loaded.tokenizer.encode("ab").unwrap();
        let params = SamplingParams {
            max_new_tokens: 5,
            ..SamplingParams::default()
        };
        let jobs = vec![PromptJob {
            prompt: prompt.clone(),
            seeds: vec![1, 2, 3],
        }];
        let out = loaded.sample(&jobs, &params, 1).unwrap();
        assert_eq!(out[0].len(), 3);
        let s = loaded.score(&prompt, &out[0][0].tokens).unwrap();
        assert_eq!(s.per_token.len(), out[0][0].tokens.len());
        let err = load(
            dir.path(),
            LoadOptions {
                weights: WeightsKind::Q8_0,
                ..Default::default()
            },
        );
        assert!(err.is_err());
    }

    #[test]
    fn bad_paths_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.gguf");
        let err = load(&missing, LoadOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("missing.gguf") && err.contains("no such file"),
            "{err}"
        );
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "hello").unwrap();
        let err = load(&text, LoadOptions::default())
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("notes.txt") && err.contains("not a GGUF file"),
            "{err}"
        );
    }
}

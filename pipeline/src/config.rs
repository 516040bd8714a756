//! The run config (`mull run CONFIG.toml`): TOML, every key kebab-case, an unknown key an error
//! naming it and its line. It is resolved once (flags over file) before any work starts, and the
//! resolved config is the first file written into the run directory.
//!
//! What determines the data ([`RunConfig::identity`]) is kept apart from what only says how to
//! run it (workers, output path, blocks in flight): the manifest's config hash covers the first
//! alone, so `-w 1` and `-w 2` give the same bytes, and a run directory is refused only when the
//! first changed (counts may grow and families may be added: that is an incremental run).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use mull_data::ids::{hex, IdField, IdHasher};
use mull_data::Family;
use serde::{Deserialize, Serialize};

use crate::error::PipelineError;

/// The version of the prompt format (system prompt, few-shot turns, problem turn). Bumped when
/// the same config would render different prompts.
pub const PROMPT_TEMPLATE_VERSION: u32 = 1;

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RunConfig {
    /// The run directory (relative paths are relative to the working directory).
    pub out: PathBuf,
    /// Timely worker threads in this process.
    #[serde(default = "defaults::workers")]
    pub workers: usize,
    /// The run seed: every sampling, rollout and few-shot draw derives from it and record ids.
    pub seed: u64,
    /// Problems per shard; a shard holds one family's block of consecutive indices.
    #[serde(default = "defaults::shard_size")]
    pub shard_size: u64,
    /// Blocks admitted into the dataflow per worker before the oldest has been written (flow
    /// control: memory is bounded by this and the workers, not by the run's size).
    #[serde(default = "defaults::blocks_in_flight")]
    pub blocks_in_flight: u64,
    /// Problem families, each with its count and difficulty range.
    pub families: BTreeMap<Family, FamilyConfig>,
    pub teacher: TeacherConfig,
    #[serde(default)]
    pub sampling: SamplingConfig,
    #[serde(default)]
    pub prompt: PromptConfig,
    #[serde(default)]
    pub verifier: VerifierConfig,
    #[serde(default)]
    pub labels: LabelConfig,
}

/// One family of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FamilyConfig {
    /// Problems of this family (indices `0..count`).
    pub count: u64,
    /// Lowest and highest difficulty level; each problem's level is drawn from its index.
    /// Absent: drawn over the family's whole ladder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<[u8; 2]>,
    /// A fixed variant (cipher: caesar, vigenere, substitution, pair-average).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// The generator seed; the run seed when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

/// Who writes the chains of thought.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TeacherKind {
    /// Replays each problem's reference chain, corrupting some at a seeded step: no model,
    /// seconds, and every label known in advance (for tests and benchmarks).
    Oracle,
    /// A model: a GGUF file, an HF directory or a mull checkpoint (`path`).
    Model,
}

/// The weights a model teacher samples with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightsConfig {
    /// Native integer kernel for GGUF on CPU, f32 otherwise.
    #[default]
    Auto,
    F32,
    #[serde(rename = "q8_0")]
    Q8_0,
    Native,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TeacherConfig {
    pub kind: TeacherKind,
    /// The model (kind = "model"); `~/` is the home directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    #[serde(default)]
    pub weights: WeightsConfig,
    /// Oracle only: the share of attempts whose chain is corrupted at one step.
    #[serde(default = "defaults::corrupt_rate")]
    pub corrupt_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct SamplingConfig {
    /// Attempts (chains of thought) per problem.
    pub attempts: u32,
    pub temperature: f32,
    /// Nucleus mass; 1 disables.
    pub top_p: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<usize>,
    pub max_new_tokens: usize,
    #[serde(default)]
    pub stop: Vec<String>,
    /// Problems decoded together (all attempts of each share one prefill).
    pub prompts_per_block: usize,
}

impl Default for SamplingConfig {
    fn default() -> Self {
        SamplingConfig {
            attempts: 4,
            temperature: 0.8,
            top_p: 0.95,
            top_k: None,
            max_new_tokens: 256,
            stop: Vec::new(),
            prompts_per_block: 4,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct PromptConfig {
    /// The system message.
    pub system: String,
    /// Worked examples (the family's reference chains, from a seed of their own) shown as
    /// earlier turns, so a small instruct model learns the `<think>` / `Answer:` format.
    pub few_shot: usize,
}

impl Default for PromptConfig {
    fn default() -> Self {
        PromptConfig {
            system: defaults::SYSTEM_PROMPT.to_string(),
            few_shot: 2,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct VerifierConfig {
    /// Wall-clock limit of one sandboxed code run, in milliseconds.
    pub code_timeout_ms: u64,
    /// Memory limit of one sandboxed code run, in MiB.
    pub code_memory_mib: u64,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            code_timeout_ms: 10_000,
            code_memory_mib: 512,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct LabelConfig {
    /// Label steps by the verifiers' exact step checks where the family has them.
    pub step_checks: bool,
    /// Continuations per probed step; 0 runs no rollouts (unchecked steps then take the
    /// attempt's outcome as their label).
    pub rollouts: u32,
    /// Problems of each family (the first indices) whose failed attempts get rollouts.
    pub rollout_problems: u64,
}

impl Default for LabelConfig {
    fn default() -> Self {
        LabelConfig {
            step_checks: true,
            rollouts: 0,
            rollout_problems: 0,
        }
    }
}

mod defaults {
    pub const SYSTEM_PROMPT: &str = "You are a careful problem solver. Think step by step inside \
        <think> and </think>, one step per line, then give the final answer on its own line as \
        `Answer: <value>`.";
    pub fn workers() -> usize {
        1
    }
    pub fn shard_size() -> u64 {
        64
    }
    pub fn blocks_in_flight() -> u64 {
        4
    }
    pub fn corrupt_rate() -> f64 {
        0.3
    }
}

/// Command-line values that override the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub out: Option<PathBuf>,
    pub workers: Option<usize>,
}

impl RunConfig {
    /// Reads and checks a config file; errors name the file, and the key and line for TOML
    /// errors.
    pub fn from_file(path: &Path) -> Result<Self, PipelineError> {
        let text = std::fs::read_to_string(path).map_err(|source| PipelineError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_toml(&text, path)
    }

    /// Parses config text; `path` names it in errors.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, PipelineError> {
        let config: RunConfig = toml::from_str(text).map_err(|e| PipelineError::Config {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// Applies command-line overrides and expands `~/` in paths.
    pub fn resolve(mut self, overrides: &Overrides, path: &Path) -> Result<Self, PipelineError> {
        if let Some(out) = &overrides.out {
            self.out = out.clone();
        }
        if let Some(w) = overrides.workers {
            self.workers = w;
        }
        self.out = expand_home(&self.out);
        self.teacher.path = self.teacher.path.as_deref().map(expand_home);
        self.validate(path)?;
        Ok(self)
    }

    fn validate(&self, path: &Path) -> Result<(), PipelineError> {
        let bad = |key: &str, message: String| PipelineError::Config {
            path: path.to_path_buf(),
            message: format!("`{key}`: {message}"),
        };
        if self.workers == 0 {
            return Err(bad("workers", "must be at least 1".into()));
        }
        if self.shard_size == 0 {
            return Err(bad("shard-size", "must be at least 1".into()));
        }
        if self.blocks_in_flight == 0 {
            return Err(bad("blocks-in-flight", "must be at least 1".into()));
        }
        if self.families.is_empty() {
            return Err(bad("families", "name at least one family".into()));
        }
        for (family, f) in &self.families {
            if let Some([lo, hi]) = f.difficulty {
                if lo == 0 || lo > hi {
                    return Err(bad(
                        &format!("families.{family}.difficulty"),
                        format!("[{lo}, {hi}] is not a range of levels 1 ..= top"),
                    ));
                }
            }
        }
        if self.sampling.attempts == 0 {
            return Err(bad("sampling.attempts", "must be at least 1".into()));
        }
        if self.sampling.prompts_per_block == 0 {
            return Err(bad(
                "sampling.prompts-per-block",
                "must be at least 1".into(),
            ));
        }
        match self.teacher.kind {
            TeacherKind::Model if self.teacher.path.is_none() => {
                return Err(bad("teacher.path", "a model teacher needs a path".into()))
            }
            TeacherKind::Oracle if !(0.0..=1.0).contains(&self.teacher.corrupt_rate) => {
                return Err(bad("teacher.corrupt-rate", "must be within [0, 1]".into()))
            }
            _ => {}
        }
        if self.verifier.code_timeout_ms == 0 {
            return Err(bad("verifier.code-timeout-ms", "must be at least 1".into()));
        }
        Ok(())
    }

    /// The resolved config as TOML (the run directory's `config.toml`).
    pub fn to_toml(&self) -> Result<String, PipelineError> {
        toml::to_string_pretty(self).map_err(|e| PipelineError::Config {
            path: PathBuf::from("config.toml"),
            message: format!("cannot encode the resolved config: {e}"),
        })
    }

    /// What determines the data, as JSON: the config without workers, paths and flow control,
    /// with the teacher named by the hash of its weights. `teacher_hash` is that hash.
    pub fn identity(&self, teacher_hash: &str) -> serde_json::Value {
        let mut teacher = serde_json::json!({
            "kind": self.teacher.kind,
            "weights-sha256": teacher_hash,
        });
        match self.teacher.kind {
            TeacherKind::Oracle => teacher["corrupt-rate"] = self.teacher.corrupt_rate.into(),
            TeacherKind::Model => teacher["weights"] = serde_json::json!(self.teacher.weights),
        }
        serde_json::json!({
            "seed": self.seed,
            "shard-size": self.shard_size,
            "families": self.families,
            "teacher": teacher,
            "sampling": self.sampling,
            "prompt": self.prompt,
            "verifier": self.verifier,
            "labels": self.labels,
            "prompt-template-version": PROMPT_TEMPLATE_VERSION,
        })
    }

    /// `sha256:<hex>` of [`identity`](Self::identity) in its canonical JSON (keys sorted).
    pub fn config_hash(&self, teacher_hash: &str) -> String {
        let canonical = self.identity(teacher_hash).to_string();
        let digest = IdHasher::new("config")
            .field(IdField::Str(&canonical))
            .digest();
        format!("sha256:{}", hex(&digest))
    }
}

/// The keys of two identities that differ, dotted (`sampling.temperature`), ignoring family
/// counts and families only one side has: those make an incremental run, not another run.
pub fn differing_keys(old: &serde_json::Value, new: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    diff(old, new, "", &mut out);
    out.retain(|k| {
        let parts: Vec<&str> = k.split('.').collect();
        !(parts.first() == Some(&"families")
            && (parts.len() == 2 || parts.get(2) == Some(&"count")))
    });
    out
}

fn diff(a: &serde_json::Value, b: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match (x.get(k), y.get(k)) {
                    (Some(va), Some(vb)) => diff(va, vb, &key, out),
                    _ => out.push(key),
                }
            }
        }
        _ if a != b => out.push(prefix.to_string()),
        _ => {}
    }
}

fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY: &str = r#"
out = "runs/t"
seed = 7
[families.arithmetic]
count = 10
difficulty = [1, 2]
[teacher]
kind = "oracle"
"#;

    #[test]
    fn unknown_keys_are_errors_naming_the_key_and_line() {
        let text = format!("{TINY}\n[sampling]\nattempts = 2\ntemprature = 0.5\n");
        let err = RunConfig::from_toml(&text, Path::new("c.toml"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("temprature") && err.contains("c.toml"),
            "{err}"
        );
        assert!(err.contains("line 12"), "{err}");
    }

    #[test]
    fn identity_ignores_workers_and_paths_and_diffs_name_keys() {
        let a = RunConfig::from_toml(TINY, Path::new("c")).unwrap();
        let mut b = a.clone();
        b.workers = 3;
        b.out = "elsewhere".into();
        assert_eq!(a.config_hash("x"), b.config_hash("x"));
        b.sampling.temperature = 0.1;
        b.families.get_mut(&Family::Arithmetic).unwrap().count = 99;
        b.families.insert(
            Family::Cipher,
            FamilyConfig {
                count: 1,
                difficulty: None,
                variant: None,
                seed: None,
            },
        );
        assert_ne!(a.config_hash("x"), b.config_hash("x"));
        let keys = differing_keys(&a.identity("x"), &b.identity("x"));
        assert_eq!(keys, vec!["sampling.temperature".to_string()]);
        b.families.get_mut(&Family::Arithmetic).unwrap().difficulty = Some([1, 3]);
        let keys = differing_keys(&a.identity("x"), &b.identity("x"));
        assert!(
            keys.contains(&"families.arithmetic.difficulty".to_string()),
            "{keys:?}"
        );
    }

    #[test]
    fn bad_values_name_their_key() {
        let text = TINY.replace("difficulty = [1, 2]", "difficulty = [3, 2]");
        let err = RunConfig::from_toml(&text, Path::new("c"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("families.arithmetic.difficulty"), "{err}");
        let text = TINY.replace("arithmetic", "arithmetik");
        let err = RunConfig::from_toml(&text, Path::new("c"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("arithmetik"), "{err}");
    }
}

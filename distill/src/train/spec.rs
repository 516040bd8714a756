//! The student spec: a TOML file with the model to train from scratch (`[model]`) and how to
//! train it (`[train]`), as `configs/student-tiny.toml` ships them. Every key is checked: an
//! unknown or misspelt key is an error naming it.

use std::path::Path;

use mull_models::llama::Config;
use serde::{Deserialize, Serialize};

use super::TrainError;

/// The characters of the from-scratch student's tokenizer, fixed so that every char-level
/// student agrees on its ids: printable ASCII, newline and tab (anything else is `<unk>`).
pub fn char_alphabet() -> String {
    let mut s: String = (0x20u8..0x7f).map(char::from).collect();
    s.push('\n');
    s.push('\t');
    s
}

/// A student spec file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct StudentSpec {
    /// The architecture of a model trained from scratch; absent when training a checkpoint.
    #[serde(default)]
    pub model: Option<ModelSpec>,
    #[serde(default)]
    pub train: TrainSpec,
}

/// A Llama-family decoder with the character-level tokenizer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ModelSpec {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub layers: usize,
    pub heads: usize,
    /// Grouped-query attention; equal to `heads` when absent.
    #[serde(default)]
    pub kv_heads: Option<usize>,
    /// The longest sequence (prompt and completion) the model is built for.
    pub max_positions: usize,
    #[serde(default = "default_rope_theta")]
    pub rope_theta: f64,
    #[serde(default)]
    pub tie_embeddings: bool,
}

fn default_rope_theta() -> f64 {
    10_000.0
}

/// Optimisation settings. Defaults suit a small model trained from scratch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct TrainSpec {
    /// Optimizer steps in all (epochs follow from the data size).
    pub steps: u64,
    pub learning_rate: f64,
    /// The cosine decay ends here.
    pub min_learning_rate: f64,
    pub warmup_steps: u64,
    pub weight_decay: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    /// Global gradient-norm clipping.
    pub grad_clip: f64,
    /// Padded tokens per batch (rows × longest row), at most.
    pub batch_tokens: usize,
    /// Examples longer than this many tokens are cut (their completion's end is lost; counted).
    pub max_tokens: usize,
    /// Percent of problems (by id, so all attempts of a problem fall on one side) held out.
    pub held_out_percent: u64,
    /// Held-out loss every this many steps (and at the end).
    pub eval_every: u64,
    /// A checkpoint every this many steps (and at the end).
    pub checkpoint_every: u64,
    /// Seeds the initial weights and every epoch's shuffle.
    pub seed: u64,
    /// PRM only: train on rollout fractions where rollouts ran (`soft`), or on labels (`hard`).
    pub prm_targets: PrmTargets,
    /// PRM only: weight of an auxiliary next-token loss on the tokens of the steps labelled
    /// correct (0: none, as TRL). Two labels a step teach the body little; predicting a right
    /// step token by token teaches it what a right step is (`2 * 13 = 26`), which the score
    /// head then reads. Held-out loss stays the PRM's alone.
    pub lm_weight: f64,
    /// SFT only: a teacher checkpoint that shares the student's tokenizer. The loss becomes
    /// (1 − `kl-weight`) · cross-entropy + `kl-weight` · KL(teacher ‖ student), token by token
    /// over the completion; the held-out loss stays the cross-entropy.
    pub kl_teacher: Option<std::path::PathBuf>,
    /// SFT only: the weight of the KL term when `kl-teacher` is set.
    pub kl_weight: f64,
}

/// The targets a PRM trains on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrmTargets {
    Hard,
    #[default]
    Soft,
}

impl Default for TrainSpec {
    fn default() -> Self {
        TrainSpec {
            steps: 200,
            learning_rate: 3e-3,
            min_learning_rate: 3e-4,
            warmup_steps: 20,
            weight_decay: 0.1,
            beta1: 0.9,
            beta2: 0.95,
            eps: 1e-8,
            grad_clip: 1.0,
            batch_tokens: 4096,
            max_tokens: 512,
            held_out_percent: 10,
            eval_every: 50,
            checkpoint_every: 100,
            seed: 1,
            prm_targets: PrmTargets::Soft,
            lm_weight: 0.0,
            kl_teacher: None,
            kl_weight: 0.5,
        }
    }
}

impl StudentSpec {
    /// Reads and checks a spec file.
    pub fn from_file(path: &Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path).map_err(|source| TrainError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let spec: StudentSpec = toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            TrainError::Spec {
                path: path.to_path_buf(),
                message: match line {
                    Some(line) => format!("line {line}: {}", e.message()),
                    None => e.message().to_string(),
                },
            }
        })?;
        spec.train.check().map_err(|message| TrainError::Spec {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(spec)
    }
}

impl TrainSpec {
    /// Values that would make training meaningless or panic are errors.
    pub fn check(&self) -> Result<(), String> {
        if self.steps == 0 || self.batch_tokens == 0 || self.max_tokens < 2 {
            return Err("steps, batch-tokens and max-tokens must be positive".into());
        }
        if self.max_tokens > self.batch_tokens {
            return Err(format!(
                "max-tokens {} exceeds batch-tokens {}: a long example would not fit a batch",
                self.max_tokens, self.batch_tokens
            ));
        }
        if self.held_out_percent >= 100 {
            return Err("held-out-percent must be below 100".into());
        }
        if !(self.learning_rate > 0.0 && self.min_learning_rate >= 0.0 && self.grad_clip > 0.0) {
            return Err("learning rates and grad-clip must be positive".into());
        }
        if !(0.0..=1.0).contains(&self.kl_weight) {
            return Err(format!("kl-weight {} must be in [0, 1]", self.kl_weight));
        }
        if !(self.lm_weight >= 0.0 && self.lm_weight.is_finite()) {
            return Err(format!(
                "lm-weight {} must be zero or positive",
                self.lm_weight
            ));
        }
        Ok(())
    }
}

impl ModelSpec {
    /// The decoder's config for a vocabulary of `vocab_size` ids.
    pub fn config(&self, vocab_size: usize, bos: u32, eos: u32) -> Config {
        Config {
            hidden_size: self.hidden_size,
            intermediate_size: self.intermediate_size,
            num_hidden_layers: self.layers,
            num_attention_heads: self.heads,
            num_key_value_heads: Some(self.kv_heads.unwrap_or(self.heads)),
            rms_norm_eps: 1e-5,
            rope_theta: self.rope_theta,
            vocab_size,
            max_position_embeddings: self.max_positions,
            tie_word_embeddings: self.tie_embeddings,
            bos_token_id: Some(bos),
            eos_token_id: Some(mull_models::llama::EosIds::One(eos)),
            model_type: "llama".into(),
        }
    }
}

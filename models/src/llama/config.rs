//! The decoder's hyper-parameters, read from (and written to) a Hugging Face `config.json`.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// `eos_token_id` in HF configs is either one id or a list of ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EosIds {
    One(u32),
    Many(Vec<u32>),
}

impl EosIds {
    pub fn to_vec(&self) -> Vec<u32> {
        match self {
            EosIds::One(id) => vec![*id],
            EosIds::Many(ids) => ids.clone(),
        }
    }
}

fn default_rope_theta() -> f64 {
    10_000.0
}
fn default_eps() -> f64 {
    1e-5
}
fn default_max_pos() -> usize {
    2048
}

/// A Llama-family decoder as HF `LlamaForCausalLM` describes it. Unknown fields of a
/// `config.json` (architectures, torch_dtype, ...) are ignored so real checkpoints load.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub hidden_size: usize,
    pub intermediate_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    /// Grouped-query attention: each key/value head serves `num_attention_heads / num_key_value_heads`
    /// query heads. Absent in old configs, where it equals the number of heads.
    #[serde(default)]
    pub num_key_value_heads: Option<usize>,
    #[serde(default = "default_eps")]
    pub rms_norm_eps: f64,
    #[serde(default = "default_rope_theta")]
    pub rope_theta: f64,
    pub vocab_size: usize,
    #[serde(default = "default_max_pos")]
    pub max_position_embeddings: usize,
    #[serde(default)]
    pub tie_word_embeddings: bool,
    #[serde(default)]
    pub bos_token_id: Option<u32>,
    #[serde(default)]
    pub eos_token_id: Option<EosIds>,
    /// Written so that HF `transformers` recognises exported checkpoints.
    #[serde(default = "default_model_type")]
    pub model_type: String,
}

fn default_model_type() -> String {
    "llama".to_string()
}

impl Config {
    /// A tiny random-initialisable model for tests: 2 layers, GQA with 4 query and 2 kv heads.
    pub fn tiny(vocab_size: usize) -> Self {
        Config {
            hidden_size: 32,
            intermediate_size: 64,
            num_hidden_layers: 2,
            num_attention_heads: 4,
            num_key_value_heads: Some(2),
            rms_norm_eps: 1e-5,
            rope_theta: 10_000.0,
            vocab_size,
            max_position_embeddings: 256,
            tie_word_embeddings: false,
            bos_token_id: None,
            eos_token_id: None,
            model_type: default_model_type(),
        }
    }

    pub fn num_kv_heads(&self) -> usize {
        self.num_key_value_heads.unwrap_or(self.num_attention_heads)
    }

    pub fn head_dim(&self) -> usize {
        self.hidden_size / self.num_attention_heads.max(1)
    }

    /// Checks the shape relations the model relies on, so a bad config is an error at load and not
    /// a shape panic deep inside a forward pass.
    pub fn validate(&self) -> std::result::Result<(), String> {
        let (h, nh, nkv) = (
            self.hidden_size,
            self.num_attention_heads,
            self.num_kv_heads(),
        );
        if h == 0 || nh == 0 || nkv == 0 || self.vocab_size == 0 || self.num_hidden_layers == 0 {
            return Err("hidden_size, heads, layers and vocab_size must be positive".into());
        }
        if h % nh != 0 {
            return Err(format!(
                "hidden_size {h} is not a multiple of num_attention_heads {nh}"
            ));
        }
        if nh % nkv != 0 {
            return Err(format!(
                "num_attention_heads {nh} is not a multiple of num_key_value_heads {nkv}"
            ));
        }
        if !self.head_dim().is_multiple_of(2) {
            return Err(format!(
                "head dimension {} must be even for rope",
                self.head_dim()
            ));
        }
        Ok(())
    }

    /// Reads and validates a HF `config.json`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let cfg: Config = serde_json::from_str(&text).map_err(|e| ModelError::BadFile {
            path: path.to_path_buf(),
            message: format!("expected a Llama config.json: {e}"),
        })?;
        cfg.validate().map_err(|message| ModelError::BadFile {
            path: path.to_path_buf(),
            message,
        })?;
        Ok(cfg)
    }

    /// Writes `config.json` in the HF layout (with `architectures` so `transformers` loads it).
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut value = serde_json::to_value(self)
            .map_err(|e| ModelError::Invalid(format!("cannot serialise config: {e}")))?;
        if let Some(obj) = value.as_object_mut() {
            obj.insert(
                "architectures".into(),
                serde_json::json!(["LlamaForCausalLM"]),
            );
            obj.insert("hidden_act".into(), serde_json::json!("silu"));
            obj.insert("torch_dtype".into(), serde_json::json!("float32"));
        }
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| ModelError::Invalid(format!("cannot serialise config: {e}")))?;
        std::fs::write(path, text).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_smollm2_style_config() {
        let json = r#"{"architectures":["LlamaForCausalLM"],"hidden_size":576,"intermediate_size":1536,
            "num_hidden_layers":30,"num_attention_heads":9,"num_key_value_heads":3,"rms_norm_eps":1e-5,
            "rope_theta":100000,"vocab_size":49152,"max_position_embeddings":8192,
            "tie_word_embeddings":true,"bos_token_id":1,"eos_token_id":2,"torch_dtype":"bfloat16"}"#;
        let cfg: Config = serde_json::from_str(json).unwrap();
        assert_eq!(cfg.head_dim(), 64);
        assert_eq!(cfg.num_kv_heads(), 3);
        assert_eq!(cfg.eos_token_id.unwrap().to_vec(), vec![2]);
        assert!(cfg.tie_word_embeddings);
    }

    #[test]
    fn rejects_inconsistent_heads() {
        let mut cfg = Config::tiny(10);
        cfg.num_key_value_heads = Some(3);
        assert!(cfg.validate().unwrap_err().contains("num_key_value_heads"));
    }

    #[test]
    fn round_trips_through_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        let cfg = Config::tiny(17);
        cfg.save(&path).unwrap();
        assert_eq!(Config::from_file(&path).unwrap(), cfg);
    }
}

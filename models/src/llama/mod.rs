//! One Llama-family decoder (RMSNorm, RoPE, SwiGLU, grouped-query attention), trainable and
//! sampling with an explicit KV cache; loads HF safetensors directories, its own checkpoints and
//! GGUF llama files.
//!
//! - [`config`]: `Config` from HF `config.json`;
//! - [`model`]: the decoder (`forward_train`, `forward_cached`, `prefill`);
//! - `parts`: where a block's tensors come from, and which kernels a pass uses;
//! - `attention`: grouped-query self-attention and rope;
//! - [`cache`]: the preallocated per-layer KV cache with left padding and `fork`;
//! - `cached_attention`: attention over the cache on CPU as one op, over exactly the visible
//!   columns of each query;
//! - [`linear`]: dense or quantized projections;
//! - `swiglu`: the gated activation of a fused gate-and-up projection as one CPU op;
//! - [`gguf`]: GGUF loading (dequantized, Q8_0, or native quantization);
//! - [`io`]: safetensors checkpoints in the HF layout;
//! - [`score`]: the decoder with a per-token score head (a process reward model).

mod attention;
pub mod cache;
mod cached_attention;
pub mod config;
pub mod gguf;
pub mod io;
pub mod linear;
pub mod model;
mod parts;
pub mod score;
mod swiglu;

pub use cache::KvCache;
pub use config::{Config, EosIds};
pub use gguf::GgufWeights;
pub use model::{Llama, Logits};
pub use score::LlamaScorer;

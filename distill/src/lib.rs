//! Distillation and evaluation.
//!
//! - [`train`]: supervised fine-tuning of a student (from scratch with the character-level
//!   tokenizer, or from a checkpoint) on the `sft/` shards of run directories, with checkpoints
//!   that resume bit for bit;
//! - [`eval`]: pass@k, majority voting, PRM best-of-N and weighted majority from one pool;
//! - [`export`]: a checkpoint in the Hugging Face layout, with a model card;
//! - [`metrics`]: the unbiased pass@k estimator and majority voting (maj@k).
//!
//! `distill` reads records (`mull-data`) and trains models (`mull-models`); it never names a
//! generator or a verifier.

pub mod eval;
pub mod export;
pub mod metrics;
pub mod train;

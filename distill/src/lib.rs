//! Distillation and evaluation.
//!
//! This round holds the evaluation metrics that every later stage reports: the unbiased
//! pass@k estimator and majority voting (maj@k). Training (SFT, PRM) and PRM-guided search
//! arrive with the pipeline (DESIGN.md, roadmap round 2) and build on `mull-models`.

pub mod metrics;

//! Training throughput for `mull bench train`: tokens per second of whole optimizer steps
//! (forward, backward, AdamW) on synthetic batches, and model FLOP utilisation (MFU) against the
//! f32 matrix-multiply rate measured in the same process.
//!
//! Model FLOPs per token are `6 · parameters + 12 · layers · hidden · sequence` (PaLM's count:
//! forward and backward through every weight, plus attention scores and mixing).

use std::time::Instant;

use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use mull_models::llama::Llama;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::batching::{Batch, Example};
use super::optimizer::{AdamW, AdamWParams};
use super::sft::{completion_loss, initialise};
use super::spec::{char_alphabet, ModelSpec};
use super::TrainError;

/// One measured model.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainBench {
    pub parameters: usize,
    pub tokens_per_step: usize,
    pub seconds_per_step: f64,
    /// Of which the optimizer update (gradient norm, clipping, AdamW).
    pub optimizer_seconds_per_step: f64,
    pub tokens_per_second: f64,
    pub model_flops_per_second: f64,
    /// Model FLOPs per second over the measured matmul rate.
    pub mfu: f64,
}

/// FLOP/s of an `n`×`n` by `n`×`n` f32 matrix product, the best of `reps`.
pub fn matmul_rate(n: usize, reps: usize) -> Result<f64, TrainError> {
    let device = Device::Cpu;
    let a = Tensor::randn(0f32, 1.0, (n, n), &device)?;
    let b = Tensor::randn(0f32, 1.0, (n, n), &device)?;
    let _warm = a.matmul(&b)?;
    let mut best = f64::INFINITY;
    for _ in 0..reps.max(1) {
        let start = Instant::now();
        let c = a.matmul(&b)?;
        // Touch the result so the product is certainly computed.
        let _ = c.get(0)?.get(0)?.to_scalar::<f32>()?;
        best = best.min(start.elapsed().as_secs_f64());
    }
    Ok(2.0 * (n as f64).powi(3) / best.max(1e-12))
}

/// Times `steps` optimizer steps (after one untimed) of `spec` on `rows` × `sequence` random
/// tokens, all of them trained.
pub fn bench_train(
    spec: &ModelSpec,
    rows: usize,
    sequence: usize,
    steps: usize,
    matmul_flops: f64,
) -> Result<TrainBench, TrainError> {
    let device = Device::Cpu;
    let vocab = char_alphabet().chars().count() + 4;
    let cfg = spec.config(vocab, 1, 2);
    let varmap = VarMap::new();
    let model = Llama::new(&cfg, VarBuilder::from_varmap(&varmap, DType::F32, &device))?;
    initialise(&varmap, spec.layers, 1)?;
    let mut optimizer = AdamW::from_varmap(
        &varmap,
        AdamWParams {
            beta1: 0.9,
            beta2: 0.95,
            eps: 1e-8,
            weight_decay: 0.1,
            clip: 1.0,
        },
    )?;
    let parameters: usize = optimizer.params().iter().map(|(_, v)| v.elem_count()).sum();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let examples: Vec<Example> = (0..rows)
        .map(|_| Example {
            tokens: (0..=sequence)
                .map(|_| rng.random_range(4..vocab as u32))
                .collect(),
            completion_start: 1,
        })
        .collect();
    let refs: Vec<&Example> = examples.iter().collect();
    let batch = Batch::new(&refs, 0);
    let mut in_optimizer = 0f64;
    let mut step = || -> Result<(), TrainError> {
        let loss = completion_loss(&model, &batch)?;
        let grads = loss.backward()?;
        let start = Instant::now();
        optimizer.step(&grads, 1e-4)?;
        in_optimizer += start.elapsed().as_secs_f64();
        Ok(())
    };
    step()?;
    let start = Instant::now();
    for _ in 0..steps.max(1) {
        step()?;
    }
    let seconds_per_step = start.elapsed().as_secs_f64() / steps.max(1) as f64;
    // Averaged over every step, the untimed first one included.
    let optimizer_seconds_per_step = in_optimizer / (steps.max(1) + 1) as f64;
    let tokens_per_step = rows * sequence;
    let tokens_per_second = tokens_per_step as f64 / seconds_per_step;
    let per_token =
        6.0 * parameters as f64 + 12.0 * (spec.layers * spec.hidden_size * sequence) as f64;
    let model_flops_per_second = per_token * tokens_per_second;
    Ok(TrainBench {
        parameters,
        tokens_per_step,
        seconds_per_step,
        optimizer_seconds_per_step,
        tokens_per_second,
        model_flops_per_second,
        mfu: model_flops_per_second / matmul_flops.max(1.0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tiny_student_is_timed_and_its_parameters_counted() {
        let spec = ModelSpec {
            hidden_size: 16,
            intermediate_size: 32,
            layers: 1,
            heads: 2,
            kv_heads: None,
            max_positions: 16,
            rope_theta: 10_000.0,
            tie_embeddings: false,
        };
        let b = bench_train(&spec, 2, 8, 1, 1e9).unwrap();
        // Embedding and head 2·101·16, attention 4·16², MLP 3·16·32, three norms of 16.
        assert_eq!(
            b.parameters,
            2 * 101 * 16 + 4 * 16 * 16 + 3 * 16 * 32 + 3 * 16
        );
        assert_eq!(b.tokens_per_step, 16);
        assert!(b.tokens_per_second > 0.0 && b.mfu > 0.0);
        assert!(matmul_rate(32, 1).unwrap() > 0.0);
    }
}

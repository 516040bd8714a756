//! Examples (prompt and completion token ids) and the batches a training step sees.
//!
//! An example's tokens are `<bos> prompt completion <eos>`; the model reads all but the last
//! and predicts all but the first, and the loss counts only the predictions of completion tokens
//! and the final `<eos>` ([`Batch::mask`]). Batches are formed per epoch, deterministically from
//! the seed: the examples are shuffled, cut into windows of 64 batches' worth, each window is
//! sorted by length and cut into batches whose padded size (rows × longest row) stays within the
//! token budget, and the batches are shuffled again, so similar lengths share a batch (little
//! padding) while the order stays random.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// One training example.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// `<bos> prompt completion <eos>`, cut to the spec's `max-tokens`.
    pub tokens: Vec<u32>,
    /// Index in `tokens` of the first completion token: predictions of positions from here on
    /// are trained.
    pub completion_start: usize,
}

impl Example {
    /// Builds `<bos> prompt completion <eos>`, cut to `max_tokens` (returns whether it was cut).
    pub fn new(
        bos: u32,
        prompt: &[u32],
        completion: &[u32],
        eos: u32,
        max_tokens: usize,
    ) -> (Self, bool) {
        let mut tokens = Vec::with_capacity(prompt.len() + completion.len() + 2);
        tokens.push(bos);
        tokens.extend_from_slice(prompt);
        let completion_start = tokens.len();
        tokens.extend_from_slice(completion);
        tokens.push(eos);
        let cut = tokens.len() > max_tokens;
        tokens.truncate(max_tokens);
        (
            Example {
                tokens,
                completion_start,
            },
            cut,
        )
    }

    /// Completion tokens whose prediction is trained.
    pub fn trained_tokens(&self) -> usize {
        self.tokens
            .len()
            .saturating_sub(self.completion_start.max(1))
    }
}

/// A padded batch, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub rows: usize,
    /// Positions per row (the longest example's length minus one).
    pub width: usize,
    /// Model inputs (rows × width), padded with `pad`.
    pub inputs: Vec<u32>,
    /// Next-token targets (rows × width); 0 where masked.
    pub targets: Vec<u32>,
    /// 1.0 where the target is a completion token (or the final `<eos>`), else 0.0.
    pub mask: Vec<f32>,
}

impl Batch {
    /// Pads `examples` into one batch.
    pub fn new(examples: &[&Example], pad: u32) -> Batch {
        let width = examples
            .iter()
            .map(|e| e.tokens.len().saturating_sub(1))
            .max()
            .unwrap_or(0)
            .max(1);
        let rows = examples.len();
        let mut inputs = vec![pad; rows * width];
        let mut targets = vec![0u32; rows * width];
        let mut mask = vec![0f32; rows * width];
        for (r, e) in examples.iter().enumerate() {
            let n = e.tokens.len().saturating_sub(1);
            for p in 0..n {
                inputs[r * width + p] = e.tokens[p];
                // Position p predicts token p + 1.
                if p + 1 >= e.completion_start {
                    targets[r * width + p] = e.tokens[p + 1];
                    mask[r * width + p] = 1.0;
                }
            }
        }
        Batch {
            rows,
            width,
            inputs,
            targets,
            mask,
        }
    }

    /// Trained target tokens in the batch.
    pub fn trained_tokens(&self) -> usize {
        self.mask.iter().filter(|m| **m > 0.0).count()
    }
}

/// The batches of one epoch, as index lists into the examples whose token counts are
/// `lengths`.
pub fn epoch_batches(lengths: &[usize], batch_tokens: usize, seed: u64) -> Vec<Vec<usize>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..lengths.len()).collect();
    order.shuffle(&mut rng);
    let len = |i: usize| lengths[i].max(1);
    let mean = (lengths.iter().sum::<usize>() / lengths.len().max(1)).max(1);
    let window = (64 * batch_tokens / mean).max(1);
    let mut batches = Vec::new();
    for chunk in order.chunks_mut(window) {
        // Stable on equal lengths, so the shuffle decides among them.
        chunk.sort_by_key(|&i| len(i));
        let mut current: Vec<usize> = Vec::new();
        let mut widest = 0;
        for &i in chunk.iter() {
            let w = widest.max(len(i));
            if !current.is_empty() && w * (current.len() + 1) > batch_tokens {
                batches.push(std::mem::take(&mut current));
                widest = 0;
            }
            widest = widest.max(len(i));
            current.push(i);
        }
        if !current.is_empty() {
            batches.push(current);
        }
    }
    batches.shuffle(&mut rng);
    batches
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_completion_predictions_are_trained() {
        // <bos>=1, prompt [10, 11], completion [20, 21], <eos>=2.
        let (e, cut) = Example::new(1, &[10, 11], &[20, 21], 2, 64);
        assert!(!cut);
        assert_eq!(e.tokens, [1, 10, 11, 20, 21, 2]);
        let (short, _) = Example::new(1, &[10], &[20], 2, 64);
        let b = Batch::new(&[&e, &short], 0);
        assert_eq!((b.rows, b.width), (2, 5));
        assert_eq!(b.inputs, [1, 10, 11, 20, 21, 1, 10, 20, 0, 0]);
        // Row 0: positions 0, 1 predict the prompt's 10, 11 (masked); 2, 3, 4 predict 20, 21, eos.
        assert_eq!(b.mask, [0., 0., 1., 1., 1., 0., 1., 1., 0., 0.]);
        assert_eq!(b.targets, [0, 0, 20, 21, 2, 0, 20, 2, 0, 0]);
        assert_eq!(b.trained_tokens(), 5);
        assert_eq!(e.trained_tokens(), 3);
    }

    #[test]
    fn long_examples_are_cut_and_batches_respect_the_budget() {
        let (e, cut) = Example::new(1, &[5; 10], &[6; 10], 2, 8);
        assert!(cut);
        assert_eq!(e.tokens.len(), 8);
        let examples: Vec<Example> = (0..50)
            .map(|i| Example::new(1, &vec![5; i % 7 + 1], &[6; 3], 2, 64).0)
            .collect();
        let lengths: Vec<usize> = examples.iter().map(|e| e.tokens.len() - 1).collect();
        let batches = epoch_batches(&lengths, 40, 7);
        let mut seen: Vec<usize> = batches.iter().flatten().copied().collect();
        seen.sort_unstable();
        assert_eq!(seen, (0..50).collect::<Vec<_>>(), "every example once");
        for b in &batches {
            let widest = b
                .iter()
                .map(|&i| examples[i].tokens.len() - 1)
                .max()
                .unwrap_or(0);
            assert!(widest * b.len() <= 40 || b.len() == 1);
        }
        assert_eq!(
            batches,
            epoch_batches(&lengths, 40, 7),
            "same seed, same batches"
        );
        assert_ne!(batches, epoch_batches(&lengths, 40, 8));
    }
}

//! The batched sampler: many attempts per prompt with one shared prefill, and teacher scoring.
//!
//! A *block* is a fixed list of prompt jobs (each a prompt and the seeds of its N attempts). The
//! block's prompts are prefilled once as one left-padded batch, each prompt's cache row is forked
//! into its N attempt rows, and all rows decode together; rows that finish are dropped from the
//! batch. The batch is a function of the block alone (its ids and seeds), never of arrival order,
//! and each attempt draws only from its own seeded stream, so the same attempt seed gives the same
//! tokens in any block on the f32 path. Quantized (Q8_0) decoding quantizes each activation row on
//! its own, so it too is row-independent in practice; the tests check greedy agreement there.
//!
//! Finish reasons: `eos` (an end-of-sequence id was drawn: it is kept in `tokens`/`logprobs` but
//! not in `text`), `stop` (a stop string appeared: `text` is cut where it starts, `tokens` hold
//! everything drawn up to then), `length` (`max_new_tokens` drawn).

use candle_core::Tensor;

use crate::error::{ModelError, Result};
use crate::llama::{Llama, Logits};
use crate::parallel::for_each_mut;
use crate::sampling::{draw_token, AttemptRng, SamplingParams, StopMatcher};
use crate::tokenizer::Tokenizer;

/// Why an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    Eos,
    Length,
}

impl FinishReason {
    /// The record spelling: `stop`, `eos`, `length`.
    pub fn as_str(&self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Eos => "eos",
            FinishReason::Length => "length",
        }
    }
}

/// One sampled attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub text: String,
    pub tokens: Vec<u32>,
    /// Log-probability of each token under the model's plain softmax (temperature 1).
    pub logprobs: Vec<f32>,
    pub finish: FinishReason,
}

/// A prompt (token ids) and the seeds of its attempts, one per attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptJob {
    pub prompt: Vec<u32>,
    pub seeds: Vec<u64>,
}

/// Log-likelihood of a completion given a prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// Sum of `per_token` (accumulated in f64).
    pub total: f64,
    /// `log p(completion[i] | prompt, completion[..i])`.
    pub per_token: Vec<f32>,
}

struct Row {
    rng: AttemptRng,
    tokens: Vec<u32>,
    logprobs: Vec<f32>,
    text: String,
    finish: Option<FinishReason>,
}

/// Samples from one model with its tokenizer and end-of-sequence ids.
pub struct Sampler<'a> {
    model: &'a Llama,
    tokenizer: &'a Tokenizer,
    eos: Vec<u32>,
}

impl<'a> Sampler<'a> {
    pub fn new(model: &'a Llama, tokenizer: &'a Tokenizer, eos: Vec<u32>) -> Self {
        Sampler {
            model,
            tokenizer,
            eos,
        }
    }

    /// Samples `jobs` in consecutive fixed blocks of `prompts_per_block` prompts. Returns, per
    /// job, its attempts in seed order.
    pub fn sample(
        &self,
        jobs: &[PromptJob],
        params: &SamplingParams,
        prompts_per_block: usize,
    ) -> Result<Vec<Vec<Attempt>>> {
        let mut out = Vec::with_capacity(jobs.len());
        for block in jobs.chunks(prompts_per_block.max(1)) {
            out.extend(self.sample_block(block, params)?);
        }
        Ok(out)
    }

    /// Samples one block: one batched prefill of its prompts, N forked rows per prompt, decoded
    /// together until every row has finished.
    pub fn sample_block(
        &self,
        jobs: &[PromptJob],
        params: &SamplingParams,
    ) -> Result<Vec<Vec<Attempt>>> {
        params.validate()?;
        let live: Vec<usize> = (0..jobs.len())
            .filter(|&j| !jobs[j].seeds.is_empty())
            .collect();
        let mut rows: Vec<Row> = Vec::new();
        let mut owner: Vec<usize> = Vec::new(); // job of each row
        for &j in &live {
            for &seed in &jobs[j].seeds {
                rows.push(Row {
                    rng: AttemptRng::new(seed),
                    tokens: Vec::new(),
                    logprobs: Vec::new(),
                    text: String::new(),
                    finish: None,
                });
                owner.push(j);
            }
        }
        if !rows.is_empty() && params.max_new_tokens > 0 {
            self.decode_rows(jobs, &live, &owner, &mut rows, params)?;
        }
        let mut out: Vec<Vec<Attempt>> = vec![Vec::new(); jobs.len()];
        for (row, &j) in rows.into_iter().zip(&owner) {
            out[j].push(Attempt {
                text: row.text,
                tokens: row.tokens,
                logprobs: row.logprobs,
                finish: row.finish.unwrap_or(FinishReason::Length),
            });
        }
        Ok(out)
    }

    fn decode_rows(
        &self,
        jobs: &[PromptJob],
        live: &[usize],
        owner: &[usize],
        rows: &mut [Row],
        params: &SamplingParams,
    ) -> Result<()> {
        let prompts: Vec<&[u32]> = live.iter().map(|&j| jobs[j].prompt.as_slice()).collect();
        let (cache, logits) = self.model.prefill(&prompts, params.max_new_tokens)?;
        // Prompt index (within `live`) of every attempt row: the fork pattern.
        let fork: Vec<usize> = owner
            .iter()
            .map(|j| live.iter().position(|l| l == j).unwrap_or(0))
            .collect();
        let mut cache = cache.fork(&fork)?;
        let idx = Tensor::new(
            fork.iter()
                .map(|&r| r as u32)
                .collect::<Vec<_>>()
                .as_slice(),
            logits.device(),
        )?;
        let mut logits: Vec<Vec<f32>> = logits.index_select(&idx, 0)?.to_vec2()?;
        let stops = StopMatcher::new(&params.stop);
        let has_stops = !params.stop.is_empty();
        // Cache row r holds attempt row active[r].
        let mut active: Vec<usize> = (0..rows.len()).collect();
        loop {
            // Each row draws from its own stream, so the draws can run in parallel: take the
            // active rows' streams out, draw, and put them back.
            let mut draws: Vec<(AttemptRng, Result<(u32, f32)>)> = active
                .iter()
                .map(|&r| {
                    let rng = std::mem::replace(&mut rows[r].rng, AttemptRng::new(0));
                    (rng, Ok((0, 0.0)))
                })
                .collect();
            for_each_mut(&mut draws, |i, (rng, out)| {
                *out = draw_token(&logits[i], params, rng);
            });
            let draws: Vec<Result<(u32, f32)>> = active
                .iter()
                .zip(draws)
                .map(|(&r, (rng, out))| {
                    rows[r].rng = rng;
                    out
                })
                .collect();
            let mut next_tokens = Vec::with_capacity(active.len());
            let mut keep = Vec::with_capacity(active.len());
            for (pos, (&r, draw)) in active.iter().zip(draws).enumerate() {
                let (tok, lp) = draw?;
                let row = &mut rows[r];
                row.tokens.push(tok);
                row.logprobs.push(lp);
                if self.eos.contains(&tok) {
                    row.text = self.decode_text(&row.tokens[..row.tokens.len() - 1])?;
                    row.finish = Some(FinishReason::Eos);
                    continue;
                }
                if has_stops {
                    let text = self.decode_text(&row.tokens)?;
                    if let Some(at) = stops.find(&text) {
                        row.text = text[..at].to_string();
                        row.finish = Some(FinishReason::Stop);
                        continue;
                    }
                }
                if row.tokens.len() >= params.max_new_tokens {
                    row.text = self.decode_text(&row.tokens)?;
                    row.finish = Some(FinishReason::Length);
                    continue;
                }
                next_tokens.push(tok);
                keep.push(pos);
            }
            if keep.is_empty() {
                return Ok(());
            }
            if keep.len() != active.len() {
                // Drop finished rows so they cost nothing more; the copy happens once per
                // step in which some row finished.
                cache = cache.fork(&keep)?;
                active = keep.iter().map(|&p| active[p]).collect();
            }
            let n = next_tokens.len();
            let tokens = Tensor::from_vec(next_tokens, (n, 1), self.model.device())?;
            logits = self
                .model
                .forward_cached(&tokens, &mut cache, Logits::Last)?
                .to_vec2()?;
        }
    }

    fn decode_text(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer.decode(ids)
    }

    /// Log-likelihood of `completion` after `prompt` (teacher forcing, one forward pass).
    pub fn score(&self, prompt: &[u32], completion: &[u32]) -> Result<Score> {
        score(self.model, prompt, completion)
    }
}

/// Log-likelihood of `completion` after `prompt` under `model` (teacher forcing).
pub fn score(model: &Llama, prompt: &[u32], completion: &[u32]) -> Result<Score> {
    let mut scores = score_batch(model, &[(prompt, completion)])?;
    scores
        .pop()
        .ok_or_else(|| ModelError::Invalid("score: no result".into()))
}

/// [`score`] for many `(prompt, completion)` pairs in one left-padded forward pass. The logits of
/// every completion position are held at once (rows × longest sequence × vocabulary floats), so
/// callers with many or long pairs pass them in blocks. On CPU each pair's scores are the same
/// bits as scoring it alone (attention skips padding; quantized projections are row-exact).
pub fn score_batch(model: &Llama, pairs: &[(&[u32], &[u32])]) -> Result<Vec<Score>> {
    if pairs.iter().any(|(p, _)| p.is_empty()) {
        return Err(ModelError::Invalid(
            "score: the prompt must hold at least one token".into(),
        ));
    }
    // Pairs with something to score, as full sequences.
    let live: Vec<usize> = (0..pairs.len())
        .filter(|&i| !pairs[i].1.is_empty())
        .collect();
    let mut out: Vec<Score> = pairs
        .iter()
        .map(|_| Score {
            total: 0.0,
            per_token: Vec::new(),
        })
        .collect();
    if live.is_empty() {
        return Ok(out);
    }
    let seqs: Vec<Vec<u32>> = live
        .iter()
        .map(|&i| pairs[i].0.iter().chain(pairs[i].1).copied().collect())
        .collect();
    let width = seqs.iter().map(Vec::len).max().unwrap_or(0);
    let pads: Vec<usize> = seqs.iter().map(|s| width - s.len()).collect();
    let mut ids = Vec::with_capacity(seqs.len() * width);
    for (s, &pad) in seqs.iter().zip(&pads) {
        ids.extend(std::iter::repeat_n(0u32, pad));
        ids.extend_from_slice(s);
    }
    let tokens = Tensor::from_vec(ids, (seqs.len(), width), model.device())?;
    let mut cache = model.new_cache(pads.clone(), width)?;
    let logits: Vec<Vec<Vec<f32>>> = model
        .forward_cached(&tokens, &mut cache, Logits::All)? // (rows, width, vocab)
        .to_vec3()?;
    // Position j of a row predicts the token at j + 1: completion tokens follow the prompt.
    let mut jobs: Vec<(usize, usize, u32, Result<f64>)> = Vec::new();
    for (row, &i) in live.iter().enumerate() {
        let (prompt, completion) = pairs[i];
        let first = pads[row] + prompt.len() - 1;
        for (k, &tok) in completion.iter().enumerate() {
            jobs.push((row, first + k, tok, Ok(0.0)));
        }
    }
    for_each_mut(&mut jobs, |_, (row, pos, tok, lp)| {
        *lp = log_prob(&logits[*row][*pos], *tok);
    });
    let mut jobs = jobs.into_iter();
    for &i in &live {
        let score = &mut out[i];
        for (_, _, _, lp) in jobs.by_ref().take(pairs[i].1.len()) {
            let lp = lp?;
            score.total += lp;
            score.per_token.push(lp as f32);
        }
    }
    Ok(out)
}

/// `log softmax(logits)[tok]` in f64.
pub(crate) fn log_prob(logits: &[f32], tok: u32) -> Result<f64> {
    let x = logits.get(tok as usize).ok_or_else(|| {
        ModelError::Invalid(format!(
            "token {tok} is outside the vocabulary of {}",
            logits.len()
        ))
    })?;
    let max = logits.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
    let z: f64 = logits.iter().map(|&l| (l as f64 - max).exp()).sum();
    Ok(*x as f64 - max - z.ln())
}

#[cfg(test)]
#[path = "sampler_tests.rs"]
mod tests;

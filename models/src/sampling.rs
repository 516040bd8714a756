//! Per-attempt seeded token draws: temperature, top-k, top-p, and stop strings.
//!
//! Determinism is the point of this module. Each attempt owns an [`AttemptRng`] seeded by the
//! caller (mull derives every seed in one place, `mull_data::ids`), and [`draw_token`] takes exactly one
//! uniform number from it per sampled token (none at temperature 0), so an attempt's tokens never
//! depend on which other rows share its batch, nor on how many workers run. The algorithm below is
//! part of the data format: changing the candidate order, the uniform's construction or the seed
//! encoding changes every sampled dataset, so each is fixed by a known-answer test.
//!
//! The draw, for logits `l` over a vocabulary of `V` ids (exponentials in f32 by mull's own `exp`,
//! which gives the same bits on every machine; vocabulary-wide sums in f64 over eight interleaved
//! lanes, see `vmath`):
//! 1. temperature 0: the arg-max, lowest id on ties; top-k/top-p do not matter.
//! 2. weights `w_i = exp((l_i - max l) / T)`; top-k keeps the `k` largest logits (ties → lower id);
//!    top-p then keeps the smallest prefix, in order of decreasing logit (ties → lower id), whose
//!    mass reaches `top_p` of the mass left after top-k (the HF `transformers` order: temperature,
//!    top-k, top-p).
//! 3. one uniform `u` in [0, 1) (53 bits of one `next_u64`) picks the candidate whose cumulative
//!    weight interval holds `u · total`, walking the candidates in that logit order — or in id
//!    order when neither top-k nor top-p cut anything (saves sorting the vocabulary).
//!
//! The returned log-probability is always that of the chosen token under the plain softmax of the
//! raw logits (temperature 1, no truncation): what teacher scoring and PRM work need.

mod stop;

pub use stop::StopMatcher;

use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::vmath;

/// How to sample one attempt. Deserializes from the run config (`temperature = 0.8`,
/// `top-k = 40`, `top-p = 0.95`, `max-new-tokens = 256`, `stop = ["\n\n"]`); missing fields take
/// the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct SamplingParams {
    /// Softmax temperature; 0 means greedy (arg-max).
    pub temperature: f32,
    /// Keep only the `k` most likely tokens.
    pub top_k: Option<usize>,
    /// Keep the smallest set of most likely tokens whose probability reaches `p` (nucleus).
    pub top_p: Option<f32>,
    /// Stop after this many generated tokens.
    pub max_new_tokens: usize,
    /// Stop when the generated text contains one of these; the text is cut where it starts.
    pub stop: Vec<String>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.8,
            top_k: None,
            top_p: Some(0.95),
            max_new_tokens: 256,
            stop: Vec::new(),
        }
    }
}

impl SamplingParams {
    /// Greedy decoding (temperature 0) with the other defaults.
    pub fn greedy() -> Self {
        Self {
            temperature: 0.0,
            ..Self::default()
        }
    }

    /// Checks every field; the error names the field (in its config spelling) and the valid range.
    pub fn validate(&self) -> Result<()> {
        let bad = |msg: String| Err(ModelError::Invalid(format!("sampling: {msg}")));
        if !self.temperature.is_finite() || self.temperature < 0.0 {
            return bad(format!(
                "temperature is {}; expected a finite number >= 0 (0 = greedy)",
                self.temperature
            ));
        }
        if self.top_k == Some(0) {
            return bad("top-k is 0; expected at least 1 (or leave it out)".to_owned());
        }
        if let Some(p) = self.top_p {
            if !(p > 0.0 && p <= 1.0) {
                return bad(format!("top-p is {p}; expected a number in (0, 1]"));
            }
        }
        if self.max_new_tokens == 0 {
            return bad("max-new-tokens is 0; expected at least 1".to_owned());
        }
        if let Some(i) = self.stop.iter().position(String::is_empty) {
            return bad(format!(
                "stop[{i}] is empty; an empty stop string would end every attempt at once"
            ));
        }
        Ok(())
    }
}

/// The random stream of one attempt: ChaCha20 keyed by the attempt's seed. ChaCha's output is
/// fixed by its specification and `rand_chacha` promises value stability, so the same seed gives
/// the same draws in every release.
#[derive(Debug, Clone)]
pub struct AttemptRng {
    inner: ChaCha20Rng,
    draws: u64,
}

impl AttemptRng {
    /// The stream for `seed` (mull's come from `mull_data::ids::attempt_seed`). The 32-byte ChaCha key is the seed in
    /// little-endian followed by zeros: built by hand rather than through `seed_from_u64`, whose
    /// expansion is an implementation detail of `rand_core`.
    pub fn new(seed: u64) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        Self {
            inner: ChaCha20Rng::from_seed(key),
            draws: 0,
        }
    }

    /// One uniform number in [0, 1): the top 53 bits of one `u64`, scaled (every value exactly
    /// representable in f64, no rounding up to 1).
    pub fn uniform(&mut self) -> f64 {
        self.draws += 1;
        (self.inner.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// How many uniforms this stream has given (one per sampled token).
    pub fn draws(&self) -> u64 {
        self.draws
    }
}

/// Draws one token from `logits` (see the module docs for the exact algorithm) and returns it
/// with its log-probability under the plain softmax of the raw logits. Temperature 0 takes the
/// arg-max and consumes no randomness; otherwise exactly one uniform is taken from `rng`.
/// Errors: invalid `params`, empty logits, a NaN or +∞ logit, or every logit −∞.
pub fn draw_token(
    logits: &[f32],
    params: &SamplingParams,
    rng: &mut AttemptRng,
) -> Result<(u32, f32)> {
    params.validate()?;
    if logits.is_empty() {
        return Err(ModelError::Invalid("draw_token: empty logits".to_owned()));
    }
    if u32::try_from(logits.len()).is_err() {
        return Err(ModelError::Invalid(format!(
            "draw_token: {} logits do not fit u32 token ids",
            logits.len()
        )));
    }
    // Arg-max (first maximum = lowest id) and input checks in one pass.
    let mut best = 0usize;
    for (i, &l) in logits.iter().enumerate() {
        if l.is_nan() || l == f32::INFINITY {
            return Err(ModelError::Invalid(format!(
                "draw_token: logit of token {i} is {l}; the model produced a non-finite value"
            )));
        }
        if l > logits[best] {
            best = i;
        }
    }
    let max = f64::from(logits[best]);
    if max == f64::NEG_INFINITY {
        return Err(ModelError::Invalid(
            "draw_token: every logit is -inf; no token can be drawn".to_owned(),
        ));
    }
    // exp in f32 (mull's own, vectorized; relative error ~1e-7 per term), summed in f64.
    let max32 = logits[best];
    let sum = with_scratch(logits.len(), |buf| {
        vmath::exp_shifted_sum(logits, max32, buf)
    });
    let log_z = max + sum.ln();

    let token = if params.temperature == 0.0 {
        best
    } else {
        let u = rng.uniform();
        sample(logits, max, params, u)
    };
    let log_prob = (f64::from(logits[token]) - log_z) as f32;
    // `token < logits.len() <= u32::MAX`, checked above.
    Ok((token as u32, log_prob))
}

/// Steps 2–3 of the module docs; `max` is the largest (finite) logit, `u` in [0, 1).
fn sample(logits: &[f32], max: f64, params: &SamplingParams, u: f64) -> usize {
    let inv_t = 1.0 / f64::from(params.temperature);
    // The exponent in f64 (a tiny temperature must not turn 0 · ∞ into NaN), exp in f32 (fast).
    let weight = |i: usize| f64::from(vmath::exp(((f64::from(logits[i]) - max) * inv_t) as f32));
    let n = logits.len();
    let k = params.top_k.unwrap_or(n).min(n);
    let top_p = params.top_p.map_or(1.0, f64::from);
    // Decreasing logit, lower id first on ties: a total order, so the result is deterministic.
    let by_logit = |a: &usize, b: &usize| logits[*b].total_cmp(&logits[*a]).then(a.cmp(b));

    if k == n && top_p >= 1.0 {
        // Every weight once, into the scratch buffer (`pick` walks its candidates twice).
        return with_scratch(n, |w| {
            vmath::exp_scaled_sum(logits, max, inv_t, w);
            pick(w.iter().map(|&v| f64::from(v)).enumerate(), u)
        });
    }
    if k == n {
        // The nucleus of the whole vocabulary: every weight and their total in one vector pass.
        return with_scratch(n, |w| {
            let total = vmath::exp_scaled_sum(logits, max, inv_t, w);
            let positive = w.iter().filter(|&&v| v > 0.0).count();
            let cand = w
                .iter()
                .enumerate()
                .filter(|&(_, &v)| v > 0.0)
                .map(|(i, &v)| (i, f64::from(v)));
            nucleus(cand, positive, total, top_p, by_logit, u)
        });
    }

    let mut cand: Vec<usize> = (0..n).collect();
    cand.select_nth_unstable_by(k - 1, by_logit);
    cand.truncate(k);
    let mut cand: Vec<(usize, f64)> = cand
        .into_iter()
        .map(|i| (i, weight(i)))
        .filter(|&(_, w)| w > 0.0)
        .collect();
    if top_p < 1.0 {
        let total: f64 = cand.iter().map(|c| c.1).sum();
        let positive = cand.len();
        return nucleus(cand.into_iter(), positive, total, top_p, by_logit, u);
    }
    cand.sort_unstable_by(|a, b| by_logit(&a.0, &b.0));
    pick(cand.into_iter(), u)
}

/// Top-p over `cand` (`positive` candidates with weights > 0 summing to `total`), then the pick.
fn nucleus(
    cand: impl Iterator<Item = (usize, f64)>,
    positive: usize,
    total: f64,
    top_p: f64,
    by_logit: impl Fn(&usize, &usize) -> std::cmp::Ordering,
    u: f64,
) -> usize {
    // A token whose probability is below (1 - top_p) / m (m candidates) has more than top_p of
    // the mass above it, so it lies outside the nucleus: dropping it before sorting is exact and
    // leaves little to sort when the distribution is peaked.
    let floor = (1.0 - top_p) * total / positive as f64;
    let mut cand: Vec<(usize, f64)> = cand.filter(|c| c.1 >= floor).collect();
    cand.sort_unstable_by(|a, b| by_logit(&a.0, &b.0));
    let target = top_p * total;
    let mut cum = 0.0;
    let mut keep = cand.len();
    for (j, c) in cand.iter().enumerate() {
        cum += c.1;
        if cum >= target {
            keep = j + 1;
            break;
        }
    }
    cand.truncate(keep);
    pick(cand.into_iter(), u)
}

thread_local! {
    /// One vocabulary-sized buffer per thread, reused by every draw on it.
    static SCRATCH: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `f` on this thread's scratch buffer, resized to `n`.
fn with_scratch<R>(n: usize, f: impl FnOnce(&mut [f32]) -> R) -> R {
    SCRATCH.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.resize(n, 0.0);
        f(&mut buf)
    })
}

/// The candidate whose cumulative-weight interval holds `u · total`; the last candidate with a
/// positive weight when rounding leaves `u · total` past the end. The arg-max always has weight 1,
/// so some candidate is positive.
fn pick(cands: impl Iterator<Item = (usize, f64)> + Clone, u: f64) -> usize {
    let total: f64 = cands.clone().map(|c| c.1).sum();
    let target = u * total;
    let mut cum = 0.0;
    let mut last = 0;
    for (i, w) in cands {
        if w <= 0.0 {
            continue;
        }
        cum += w;
        last = i;
        if target < cum {
            return i;
        }
    }
    last
}

#[cfg(test)]
mod tests;

//! Activations rounded to 16-bit integers per block of 32, the input of the integer kernels.
//!
//! Block `b` of row `i` is `scale · q` with `scale = max|x| / 32767` over the block and
//! `q = round_ties_even(x · (32767 / max|x|))`, so `|q| <= 32767` and each element is within
//! `scale / 2` of its value (up to the rounding of that product). A block whose largest magnitude
//! is below 2⁻¹⁰⁰ rounds to zeros. A block with a NaN or an infinity gets a NaN scale (and zero
//! integers), so the outputs it feeds are NaN rather than silently finite.

use super::BLOCK;
use std::mem::MaybeUninit;

use crate::parallel::{filled_vec, for_ranges, SharedMut};
use crate::vmath::multiversion;

/// The largest integer an activation rounds to: products with 8-bit weights summed over a block
/// (32 · 32767 · 128 < 2³¹) cannot overflow an i32 lane, nor a pair sum an i16 multiply-add.
const Q_MAX: f32 = 32767.0;

/// Blocks below this magnitude round to zeros (their reciprocal scale could overflow).
const TINY: f32 = 7.888_609e-31; // 2⁻¹⁰⁰

/// 1.5 · 2²³ (see the rounding in [`quantize`]).
const ROUND: f32 = 12_582_912.0;

/// `(m, cols)` activations as integers with per-block scales.
#[derive(Debug, Clone)]
pub(super) struct QuantizedRows {
    cols: usize,
    /// `(m, cols)`.
    pub(super) q: Vec<i16>,
    /// `(m, cols / 32)`: each block's scale.
    pub(super) scales: Vec<f32>,
    /// `(m, cols / 32)`: `scale · Σ q` of each block, for weights with offsets; else empty.
    pub(super) sums: Vec<f32>,
}

impl QuantizedRows {
    /// Rounds `x` `(m, cols)`; `with_sums` also keeps each block's sum (for offset weights).
    pub fn new(x: &[f32], cols: usize, with_sums: bool) -> Self {
        assert!(
            cols > 0 && cols.is_multiple_of(BLOCK) && x.len().is_multiple_of(cols),
            "activations of {} values in rows of {cols}",
            x.len()
        );
        let blocks = x.len() / BLOCK;
        let (rows, nb) = (x.len() / cols, cols / BLOCK);
        let mut scales = vec![0f32; blocks];
        let mut sums = vec![0f32; if with_sums { blocks } else { 0 }];
        let (ss, sm) = (SharedMut::new(&mut scales), SharedMut::new(&mut sums));
        let fill = |qs: &SharedMut<MaybeUninit<i16>>| {
            // Blocks are independent, so the threads take ranges of rows.
            for_ranges(rows, |r| {
                let (x, n) = (&x[r.start * cols..r.end * cols], r.len());
                // SAFETY: the row ranges of one call are disjoint, so are these parts.
                let (q, s, m) = unsafe {
                    (
                        qs.part(r.start * cols, n * cols),
                        ss.part(r.start * nb, n * nb),
                        if with_sums {
                            sm.part(r.start * nb, n * nb)
                        } else {
                            &mut []
                        },
                    )
                };
                quantize(x, q, s, m);
            });
        };
        // SAFETY: the row ranges cover every row, and `quantize` writes every integer of its rows.
        let q = unsafe { filled_vec(x.len(), fill) };
        QuantizedRows {
            cols,
            q,
            scales,
            sums,
        }
    }

    pub fn rows(&self) -> usize {
        self.q.len() / self.cols
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    pub fn has_sums(&self) -> bool {
        !self.sums.is_empty() || self.q.is_empty()
    }

    /// The values the integers stand for, `(m, cols)` (for tests and error bounds).
    #[cfg(test)]
    pub fn dequantize(&self) -> Vec<f32> {
        self.q
            .chunks_exact(BLOCK)
            .zip(&self.scales)
            .flat_map(|(q, &s)| q.iter().map(move |&v| v as f32 * s))
            .collect()
    }
}

multiversion! {
    /// Rounds every block of `x` into `q`, its scale into `scales` and, when `sums` is not
    /// empty, `scale · Σ q` into `sums`.
    pub fn quantize(x: &[f32], q: &mut [MaybeUninit<i16>], scales: &mut [f32], sums: &mut [f32]) -> () {
        for (b, (xb, qb)) in x.chunks_exact(BLOCK).zip(q.chunks_exact_mut(BLOCK)).enumerate() {
            // The largest magnitude, as bits: for non-negative floats the integer order is the
            // float order (and a NaN is above +∞), and an integer maximum vectorizes.
            let top = xb.iter().fold(0u32, |m, v| m.max(v.to_bits() & 0x7FFF_FFFF));
            let amax = f32::from_bits(top);
            let (scale, inv) = if !amax.is_finite() {
                (f32::NAN, 0.0)
            } else if amax < TINY {
                (0.0, 0.0)
            } else {
                (amax / Q_MAX, Q_MAX / amax)
            };
            let mut total = 0i32;
            for (o, &v) in qb.iter_mut().zip(xb) {
                // A NaN here is a non-finite block's element times `inv = 0`: its integer is 0.
                let y = v * inv;
                let y = if y.is_nan() { 0.0 } else { y };
                // |v · inv| <= 32767 up to rounding. Adding 1.5 · 2²³ then rounds to the nearest
                // integer, ties to even, in the low bits (|y| < 2²²) — as `round_ties_even`,
                // but vectorized (a saturating `as i32` is not).
                #[allow(clippy::manual_clamp)]
                let y = y.max(-Q_MAX).min(Q_MAX);
                let r = (y + ROUND).to_bits() as i32 - ROUND.to_bits() as i32;
                o.write(r as i16);
                total += r;
            }
            scales[b] = scale;
            if let Some(s) = sums.get_mut(b) {
                *s = scale * total as f32;
            }
        }
    }
}

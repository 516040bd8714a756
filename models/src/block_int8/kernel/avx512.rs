//! AVX-512: tiles of up to 4 activation rows × 4 weight rows. Each block of 32 weights is
//! converted once per tile to two vectors of sixteen f32 values `q·scale (+ min)` (one multiply or
//! fused multiply-add), then every output element of the tile takes two fused multiply-adds per
//! block into its own accumulator, summed across lanes at the end. Tiles only share conversions
//! and loads; each element's sequence of operations is the same in every tile shape.

use std::ops::Range;

use super::{Activations, BlockInt8Matrix, BLOCK};
use std::arch::x86_64::*;

/// `y` `(m, rows.len())` row-major `= x · W[rows]ᵀ`.
pub(super) fn tiles(w: &BlockInt8Matrix, rows: Range<usize>, a: Activations, y: &mut [f32]) {
    let cols = w.cols;
    let n = rows.len();
    let m = a.x.len() / cols.max(1);
    assert!(
        cols.is_multiple_of(BLOCK)
            && rows.end <= w.rows
            && a.x.len() == m * cols
            && y.len() == m * n
    );
    assert!(std::arch::is_x86_feature_detected!("avx512f"));
    let mut j = 0;
    while j < n {
        let r = rows.start + j;
        let (start, stride) = w.row_blocks(r);
        // Four rows share one interleaved stream when r starts a group of four.
        let four = stride == 4 && start % 4 == 0 && j + 4 <= n;
        let mut i = 0;
        while i < m {
            // SAFETY: AVX-512F is present (asserted); the tile reads blocks `start + b·stride
            // (+ 0..4)` of the matrix, which `row_blocks` places inside it, and activation rows
            // below m.
            unsafe {
                match (m - i >= 4, four, w.mins.is_some()) {
                    (true, true, false) => tile::<4, 4, false>(w, start, stride, a, y, i, j, n),
                    (true, false, false) => tile::<4, 1, false>(w, start, stride, a, y, i, j, n),
                    (false, true, false) => tile::<1, 4, false>(w, start, stride, a, y, i, j, n),
                    (false, false, false) => tile::<1, 1, false>(w, start, stride, a, y, i, j, n),
                    (true, true, true) => tile::<4, 4, true>(w, start, stride, a, y, i, j, n),
                    (true, false, true) => tile::<4, 1, true>(w, start, stride, a, y, i, j, n),
                    (false, true, true) => tile::<1, 4, true>(w, start, stride, a, y, i, j, n),
                    (false, false, true) => tile::<1, 1, true>(w, start, stride, a, y, i, j, n),
                }
            }
            i += if m - i >= 4 { 4 } else { 1 };
        }
        j += if four { 4 } else { 1 };
    }
}

/// Activation rows `i0..i0 + R` × the NR weight rows whose block `b` is block number
/// `start + b·stride + jj` (jj < NR), written to columns `j0..j0 + NR` of `y` (n columns).
/// `OFFSETS`: the weights have block offsets (`mins` is `Some`).
///
/// # Safety
/// AVX-512F is available and every block and activation row named above exists.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f")]
unsafe fn tile<const R: usize, const NR: usize, const OFFSETS: bool>(
    w: &BlockInt8Matrix,
    start: usize,
    stride: usize,
    a: Activations,
    y: &mut [f32],
    i0: usize,
    j0: usize,
    n: usize,
) {
    let cols = w.cols;
    let nb = cols / BLOCK;
    let qp = w.qs.as_ptr();
    let sp = w.scales.as_ptr();
    let mp = w.mins.as_deref().unwrap_or(&w.scales).as_ptr();
    let xp: [*const f32; R] = std::array::from_fn(|ii| a.x.as_ptr().wrapping_add((i0 + ii) * cols));
    let mut acc = [[_mm512_setzero_ps(); NR]; R];
    for b in 0..nb {
        let first = start + b * stride;
        let mut wv = [[_mm512_setzero_ps(); 2]; NR];
        for (jj, v) in wv.iter_mut().enumerate() {
            let blk = first + jj;
            // SAFETY: block `blk` exists (see the function's contract).
            let (d, lo, hi) = unsafe {
                (
                    _mm512_set1_ps(*sp.add(blk)),
                    _mm_loadu_si128(qp.add(blk * BLOCK) as *const __m128i),
                    _mm_loadu_si128(qp.add(blk * BLOCK + 16) as *const __m128i),
                )
            };
            let lo = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo));
            let hi = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi));
            if OFFSETS {
                let m = unsafe { _mm512_set1_ps(*mp.add(blk)) };
                v[0] = _mm512_fmadd_ps(lo, d, m);
                v[1] = _mm512_fmadd_ps(hi, d, m);
            } else {
                v[0] = _mm512_mul_ps(lo, d);
                v[1] = _mm512_mul_ps(hi, d);
            }
        }
        for (acc_row, x) in acc.iter_mut().zip(xp) {
            // SAFETY: activation row i0 + ii exists and b·32 + 32 <= cols.
            let (x0, x1) = unsafe {
                (
                    _mm512_loadu_ps(x.add(b * BLOCK)),
                    _mm512_loadu_ps(x.add(b * BLOCK + 16)),
                )
            };
            for (acc_el, v) in acc_row.iter_mut().zip(&wv) {
                *acc_el = _mm512_fmadd_ps(v[0], x0, *acc_el);
                *acc_el = _mm512_fmadd_ps(v[1], x1, *acc_el);
            }
        }
    }
    for (ii, acc_row) in acc.iter().enumerate() {
        for (jj, acc_el) in acc_row.iter().enumerate() {
            y[(i0 + ii) * n + j0 + jj] = _mm512_reduce_add_ps(*acc_el);
        }
    }
}

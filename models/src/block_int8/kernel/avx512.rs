//! AVX-512: tiles of up to 4 activation rows × 4 weight rows. Each block of 32 weights is
//! converted to two vectors of sixteen f32 values `q·scale (+ min)` (one multiply or fused
//! multiply-add), then every output element of the tile takes two fused multiply-adds per block
//! into its own accumulator, summed across lanes at the end.
//!
//! With few activation rows the conversion happens in the tile, once per tile. With many
//! ([`PANEL_MIN_ROWS`]) a group of weight rows is converted once into an f32 panel that stays in
//! L1 and every tile of activation rows reads it, so the conversion is paid once per weight
//! instead of once per four activation rows. Converted values are the same either way and tiles
//! only share conversions and loads: each element's sequence of operations is the same in every
//! tile shape and batch size.

use std::ops::Range;

use super::{Activations, BlockInt8Matrix, Out, BLOCK};
use std::arch::x86_64::*;

/// From this many activation rows on, weights are converted into a panel first.
const PANEL_MIN_ROWS: usize = 8;

/// `x · W[rows]ᵀ` `(m, rows.len())` into `out`.
///
/// # Safety
/// `out`'s columns `j0..j0 + rows.len()` belong to this call alone.
pub(super) unsafe fn tiles(w: &BlockInt8Matrix, rows: Range<usize>, a: Activations, out: &Out) {
    let cols = w.cols;
    let n = rows.len();
    let m = a.x.len() / cols.max(1);
    assert!(cols.is_multiple_of(BLOCK) && rows.end <= w.rows && a.x.len() == m * cols);
    assert!(std::arch::is_x86_feature_detected!("avx512f"));
    let nb = cols / BLOCK;
    let offsets = w.mins.is_some();
    let mut panel = if m >= PANEL_MIN_ROWS {
        vec![0f32; nb * 4 * BLOCK]
    } else {
        Vec::new()
    };
    let mut j = 0;
    while j < n {
        let r = rows.start + j;
        let (start, stride) = w.row_blocks(r);
        // Four rows share one interleaved stream when r starts a group of four.
        let four = stride == 4 && start % 4 == 0 && j + 4 <= n;
        if !panel.is_empty() {
            // SAFETY: as for `tile` below; the panel holds nb · 4 blocks.
            unsafe {
                match (four, offsets) {
                    (true, false) => convert::<4, false>(w, start, stride, &mut panel),
                    (false, false) => convert::<1, false>(w, start, stride, &mut panel),
                    (true, true) => convert::<4, true>(w, start, stride, &mut panel),
                    (false, true) => convert::<1, true>(w, start, stride, &mut panel),
                }
                // The panel tiles below are compute-bound; have the next group's weights on
                // their way from memory meanwhile instead of stalling its conversion on them.
                let next = j + if four { 4 } else { 1 };
                if next < n {
                    prefetch_rows(w, rows.start + next, (n - next).min(4));
                }
                let mut i = 0;
                while i < m {
                    match (m - i >= 4, four) {
                        (true, true) => panel_tile::<4, 4>(&panel, a, out, i, j, cols),
                        (true, false) => panel_tile::<4, 1>(&panel, a, out, i, j, cols),
                        (false, true) => panel_tile::<1, 4>(&panel, a, out, i, j, cols),
                        (false, false) => panel_tile::<1, 1>(&panel, a, out, i, j, cols),
                    }
                    i += if m - i >= 4 { 4 } else { 1 };
                }
            }
            j += if four { 4 } else { 1 };
            continue;
        }
        let mut i = 0;
        while i < m {
            // SAFETY: AVX-512F is present (asserted); the tile reads blocks `start + b·stride
            // (+ 0..4)` of the matrix, which `row_blocks` places inside it, and activation rows
            // below m.
            unsafe {
                match (m - i >= 4, four, w.mins.is_some()) {
                    (true, true, false) => tile::<4, 4, false>(w, start, stride, a, out, i, j),
                    (true, false, false) => tile::<4, 1, false>(w, start, stride, a, out, i, j),
                    (false, true, false) => tile::<1, 4, false>(w, start, stride, a, out, i, j),
                    (false, false, false) => tile::<1, 1, false>(w, start, stride, a, out, i, j),
                    (true, true, true) => tile::<4, 4, true>(w, start, stride, a, out, i, j),
                    (true, false, true) => tile::<4, 1, true>(w, start, stride, a, out, i, j),
                    (false, true, true) => tile::<1, 4, true>(w, start, stride, a, out, i, j),
                    (false, false, true) => tile::<1, 1, true>(w, start, stride, a, out, i, j),
                }
            }
            i += if m - i >= 4 { 4 } else { 1 };
        }
        j += if four { 4 } else { 1 };
    }
}

/// Activation rows `i0..i0 + R` × the NR weight rows whose block `b` is block number
/// `start + b·stride + jj` (jj < NR), written to columns `j0..j0 + NR` of `out`.
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
    out: &Out,
    i0: usize,
    j0: usize,
) {
    let cols = w.cols;
    let nb = cols / BLOCK;
    let (qp, sp, mp) = pointers(w);
    let xp: [*const f32; R] = std::array::from_fn(|ii| a.x.as_ptr().wrapping_add((i0 + ii) * cols));
    let mut acc = [[_mm512_setzero_ps(); NR]; R];
    for b in 0..nb {
        let first = start + b * stride;
        // SAFETY: blocks first..first + NR exist (see the function's contract).
        let wv: [[__m512; 2]; NR] =
            std::array::from_fn(|jj| unsafe { convert_block::<OFFSETS>(qp, sp, mp, first + jj) });
        // SAFETY: activation rows i0..i0 + R exist and b·32 + 32 <= cols.
        unsafe { fma_block(&mut acc, &wv, &xp, b) };
    }
    // SAFETY: columns j0..j0 + NR are this call's (see `tiles`).
    unsafe { store(&acc, out, i0, j0) };
}

/// Asks for the blocks of weight rows `first..first + count` (integers, scales, offsets) to be
/// brought into cache. A hint: it changes no result.
fn prefetch_rows(w: &BlockInt8Matrix, first: usize, count: usize) {
    let nb = w.cols / BLOCK;
    let (start, stride) = w.row_blocks(first);
    // Rows of one group are interleaved (stride 4), rows after the groups are contiguous: either
    // way the `count · nb` blocks from `start` hold them (a group is fetched whole).
    let blocks = if stride == 1 { count * nb } else { stride * nb };
    let lines = |bytes: &[u8]| {
        for at in (0..bytes.len()).step_by(64) {
            // SAFETY: prefetching is a hint on an address inside the slice; it never faults.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(bytes.as_ptr().add(at) as *const i8) };
        }
    };
    let end = (start + blocks).min(w.scales.len());
    let as_bytes = |v: &[f32]| -> &[u8] {
        // SAFETY: any f32 slice is a valid byte slice of four times its length.
        unsafe { std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v)) }
    };
    let q = &w.qs[start * BLOCK..end * BLOCK];
    // SAFETY: i8 and u8 have the same layout.
    lines(unsafe { std::slice::from_raw_parts(q.as_ptr() as *const u8, q.len()) });
    lines(as_bytes(&w.scales[start..end]));
    if let Some(mins) = &w.mins {
        lines(as_bytes(&mins[start..end]));
    }
}

/// The integers, scales and offsets (the scales again when there are none) of `w`.
fn pointers(w: &BlockInt8Matrix) -> (*const i8, *const f32, *const f32) {
    let mins = w.mins.as_deref().unwrap_or(&w.scales);
    (w.qs.as_ptr(), w.scales.as_ptr(), mins.as_ptr())
}

/// Block `blk` as two vectors of sixteen f32 values `q·scale (+ min)`.
///
/// # Safety
/// AVX-512F is available and block `blk` exists behind the three pointers.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn convert_block<const OFFSETS: bool>(
    qp: *const i8,
    sp: *const f32,
    mp: *const f32,
    blk: usize,
) -> [__m512; 2] {
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
        [_mm512_fmadd_ps(lo, d, m), _mm512_fmadd_ps(hi, d, m)]
    } else {
        [_mm512_mul_ps(lo, d), _mm512_mul_ps(hi, d)]
    }
}

/// Converts the NR weight rows whose block `b` is block `start + b·stride + jj` into `panel`,
/// block b of row jj at floats `(b·NR + jj)·32`.
///
/// # Safety
/// AVX-512F is available, the blocks exist, and `panel` holds `nb · NR · 32` floats.
#[target_feature(enable = "avx512f")]
unsafe fn convert<const NR: usize, const OFFSETS: bool>(
    w: &BlockInt8Matrix,
    start: usize,
    stride: usize,
    panel: &mut [f32],
) {
    let nb = w.cols / BLOCK;
    assert!(panel.len() >= nb * NR * BLOCK);
    let (qp, sp, mp) = pointers(w);
    let out = panel.as_mut_ptr();
    for b in 0..nb {
        for jj in 0..NR {
            let at = (b * NR + jj) * BLOCK;
            unsafe {
                let [v0, v1] = convert_block::<OFFSETS>(qp, sp, mp, start + b * stride + jj);
                _mm512_storeu_ps(out.add(at), v0);
                _mm512_storeu_ps(out.add(at + 16), v1);
            }
        }
    }
}

/// As [`tile`], reading the NR converted weight rows from `panel` (see [`convert`]).
///
/// # Safety
/// AVX-512F is available, `panel` holds the converted rows, activation rows `i0..i0 + R` exist.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f")]
unsafe fn panel_tile<const R: usize, const NR: usize>(
    panel: &[f32],
    a: Activations,
    out: &Out,
    i0: usize,
    j0: usize,
    cols: usize,
) {
    let nb = cols / BLOCK;
    let pp = panel.as_ptr();
    let xp: [*const f32; R] = std::array::from_fn(|ii| a.x.as_ptr().wrapping_add((i0 + ii) * cols));
    let mut acc = [[_mm512_setzero_ps(); NR]; R];
    for b in 0..nb {
        // SAFETY: the panel holds block b of every row jj < NR.
        let wv: [[__m512; 2]; NR] = std::array::from_fn(|jj| unsafe {
            let at = (b * NR + jj) * BLOCK;
            [
                _mm512_loadu_ps(pp.add(at)),
                _mm512_loadu_ps(pp.add(at + 16)),
            ]
        });
        // SAFETY: activation rows i0..i0 + R exist and b·32 + 32 <= cols.
        unsafe { fma_block(&mut acc, &wv, &xp, b) };
    }
    // SAFETY: columns j0..j0 + NR are this call's (see `tiles`).
    unsafe { store(&acc, out, i0, j0) };
}

/// Block `b` of the tile: `acc[ii][jj] += wv[jj] · x[ii][b]`, two fused multiply-adds per element
/// in a fixed order. Inlined into the AVX-512 functions that call it.
///
/// # Safety
/// AVX-512F is available and every `xp[ii]` has at least `b·32 + 32` values.
#[inline(always)]
unsafe fn fma_block<const R: usize, const NR: usize>(
    acc: &mut [[__m512; NR]; R],
    wv: &[[__m512; 2]; NR],
    xp: &[*const f32; R],
    b: usize,
) {
    for (acc_row, x) in acc.iter_mut().zip(xp) {
        unsafe {
            let x0 = _mm512_loadu_ps(x.add(b * BLOCK));
            let x1 = _mm512_loadu_ps(x.add(b * BLOCK + 16));
            for (acc_el, v) in acc_row.iter_mut().zip(wv) {
                *acc_el = _mm512_fmadd_ps(v[0], x0, *acc_el);
                *acc_el = _mm512_fmadd_ps(v[1], x1, *acc_el);
            }
        }
    }
}

/// Sums each accumulator across its lanes into element `(i0 + ii, j0 + jj)` of `out`.
///
/// # Safety
/// AVX-512F is available and columns `j0..j0 + NR` of `out` are the caller's.
#[target_feature(enable = "avx512f")]
unsafe fn store<const R: usize, const NR: usize>(
    acc: &[[__m512; NR]; R],
    out: &Out,
    i0: usize,
    j0: usize,
) {
    for (ii, acc_row) in acc.iter().enumerate() {
        for (jj, acc_el) in acc_row.iter().enumerate() {
            // SAFETY: the caller's contract.
            unsafe { out.set(i0 + ii, j0 + jj, _mm512_reduce_add_ps(*acc_el)) };
        }
    }
}

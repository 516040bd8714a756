//! AVX-512 with VNNI: each tile's 16 outputs are the 16 lanes of a vector. For each pair of input
//! columns of a block, 32 weight bytes sign-extend to 16 × 2 i16 and `vpdpwssd` adds both
//! products of every lane to its i32 accumulator, against the activation pair broadcast — one
//! instruction per 32 multiply-adds, with no conversion of weights to floating point. At the end
//! of each block the accumulators are converted and scaled into f32 totals.
//!
//! A call covers R activation rows × C tiles, so each weight vector serves R rows and each
//! broadcast activation C tiles, and R · C independent accumulators hide the instruction's
//! latency: 8 × 2 for batches, 1 × 4 for a single row.

use std::arch::x86_64::*;
use std::ops::Range;

use super::{BlockInt8Matrix, Out, QuantizedRows, BLOCK, TILE, TILE_BLOCK};

/// `x · W[tiles]ᵀ` into the tiles' columns of `out`.
///
/// # Safety
/// The CPU has AVX-512F, AVX-512BW and AVX-512 VNNI; `tiles` are tiles of `w`, `x` has `w`'s
/// width (and block sums when `w` has offsets); the tiles' columns of `out` are this call's.
pub(super) unsafe fn tiles(w: &BlockInt8Matrix, tiles: Range<usize>, x: &QuantizedRows, out: &Out) {
    let m = x.rows();
    let offsets = w.mins.is_some();
    let rows_for = |left: usize| match left {
        8.. => 8,
        4..=7 => 4,
        2..=3 => 2,
        _ => 1,
    };
    // Tiles per call, from the widest row group: 16 accumulators in all, at most 4 tiles.
    let wide = (16 / rows_for(m)).min(4);
    let mut t = tiles.start;
    while t < tiles.end {
        let c = if tiles.end - t >= wide { wide } else { 1 };
        let mut i = 0;
        while i < m {
            let rows = rows_for(m - i);
            macro_rules! go {
                ($($r:literal),*) => {
                    match (rows, c, offsets) {
                        $(
                            ($r, 1, false) => block_tile::<$r, 1, false>(w, t, x, out, i),
                            ($r, 1, true) => block_tile::<$r, 1, true>(w, t, x, out, i),
                            ($r, 2, false) => block_tile::<$r, 2, false>(w, t, x, out, i),
                            ($r, 2, true) => block_tile::<$r, 2, true>(w, t, x, out, i),
                            ($r, 4, false) => block_tile::<$r, 4, false>(w, t, x, out, i),
                            ($r, 4, true) => block_tile::<$r, 4, true>(w, t, x, out, i),
                        )*
                        _ => unreachable!("row and tile counts are chosen above"),
                    }
                };
            }
            // SAFETY: the function's contract; rows i..i + rows and tiles t..t + c exist.
            unsafe { go!(8, 4, 2, 1) };
            i += rows;
        }
        t += c;
    }
}

/// Activation rows `i0..i0 + R` × tiles `t0..t0 + C`.
///
/// # Safety
/// As for [`tiles`], with those rows and tiles in range.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn block_tile<const R: usize, const C: usize, const OFFSETS: bool>(
    w: &BlockInt8Matrix,
    t0: usize,
    x: &QuantizedRows,
    out: &Out,
    i0: usize,
) {
    let cols = w.cols;
    let nb = cols / BLOCK;
    assert!(i0 + R <= x.rows() && (t0 + C) * nb * TILE_BLOCK <= w.qs.len());
    let mins = w.mins.as_deref().unwrap_or(&w.scales);
    let xq: [*const i16; R] = std::array::from_fn(|ii| x.q[(i0 + ii) * cols..].as_ptr());
    let mut total = [[_mm512_setzero_ps(); C]; R];
    for b in 0..nb {
        let wb: [*const i8; C] =
            std::array::from_fn(|c| w.qs[((t0 + c) * nb + b) * TILE_BLOCK..].as_ptr());
        let mut acc = [[_mm512_setzero_si512(); C]; R];
        for p in 0..BLOCK / 2 {
            // SAFETY: pair p of block b lies inside tile t0 + c's block (asserted above) and
            // inside each activation row.
            unsafe {
                let wv: [__m512i; C] = std::array::from_fn(|c| {
                    _mm512_cvtepi8_epi16(_mm256_loadu_si256(wb[c].add(p * 2 * TILE).cast()))
                });
                for (acc_row, xr) in acc.iter_mut().zip(&xq) {
                    let pair = xr.add(b * BLOCK + 2 * p).cast::<i32>().read_unaligned();
                    let xv = _mm512_set1_epi32(pair);
                    for (a, wc) in acc_row.iter_mut().zip(&wv) {
                        *a = _mm512_dpwssd_epi32(*a, *wc, xv);
                    }
                }
            }
        }
        for c in 0..C {
            let at = ((t0 + c) * nb + b) * TILE;
            // SAFETY: the tile's 16 scales (offsets) of block b are in range.
            let (sw, mw) = unsafe {
                (
                    _mm512_loadu_ps(w.scales[at..at + TILE].as_ptr()),
                    _mm512_loadu_ps(mins[at..at + TILE].as_ptr()),
                )
            };
            for ii in 0..R {
                let row = (i0 + ii) * nb + b;
                let s = _mm512_mul_ps(sw, _mm512_set1_ps(x.scales[row]));
                let dot = _mm512_cvtepi32_ps(acc[ii][c]);
                total[ii][c] = _mm512_fmadd_ps(dot, s, total[ii][c]);
                if OFFSETS {
                    total[ii][c] = _mm512_fmadd_ps(mw, _mm512_set1_ps(x.sums[row]), total[ii][c]);
                }
            }
        }
    }
    for (ii, row) in total.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            // SAFETY: tile t0 + c is this call's (the contract); the mask writes its `len` lanes.
            unsafe {
                let (at, len) = out.tile_ptr(i0 + ii, t0 + c, w.rows);
                let mask = (((1u32 << len) - 1) & 0xFFFF) as __mmask16;
                _mm512_mask_storeu_ps(at, mask, *v);
            }
        }
    }
}

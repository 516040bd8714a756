//! AVX2: as the AVX-512 kernel with 8-lane vectors, so a tile is two halves, and `vpmaddwd`
//! plus an integer add in place of `vpdpwssd` (the same exact integer sums).

use std::arch::x86_64::*;
use std::ops::Range;

use super::{BlockInt8Matrix, Out, QuantizedRows, BLOCK, TILE, TILE_BLOCK};

/// `x · W[tiles]ᵀ` into the tiles' columns of `out`.
///
/// # Safety
/// The CPU has AVX2 and FMA; otherwise as for the AVX-512 kernel.
pub(super) unsafe fn tiles(w: &BlockInt8Matrix, tiles: Range<usize>, x: &QuantizedRows, out: &Out) {
    let m = x.rows();
    let offsets = w.mins.is_some();
    for t in tiles {
        let mut i = 0;
        while i < m {
            // SAFETY: the function's contract; rows i..i + 2 (or i) and tile t exist.
            unsafe {
                match (m - i >= 2, offsets) {
                    (true, false) => block_tile::<2, false>(w, t, x, out, i),
                    (true, true) => block_tile::<2, true>(w, t, x, out, i),
                    (false, false) => block_tile::<1, false>(w, t, x, out, i),
                    (false, true) => block_tile::<1, true>(w, t, x, out, i),
                }
            }
            i += if m - i >= 2 { 2 } else { 1 };
        }
    }
}

/// Activation rows `i0..i0 + R` × tile `t`.
///
/// # Safety
/// As for [`tiles`], with those rows and the tile in range.
#[target_feature(enable = "avx2,fma")]
unsafe fn block_tile<const R: usize, const OFFSETS: bool>(
    w: &BlockInt8Matrix,
    t: usize,
    x: &QuantizedRows,
    out: &Out,
    i0: usize,
) {
    let cols = w.cols;
    let nb = cols / BLOCK;
    assert!(i0 + R <= x.rows() && (t + 1) * nb * TILE_BLOCK <= w.qs.len());
    let mins = w.mins.as_deref().unwrap_or(&w.scales);
    let xq: [*const i16; R] = std::array::from_fn(|ii| x.q[(i0 + ii) * cols..].as_ptr());
    let mut total = [[_mm256_setzero_ps(); 2]; R];
    for b in 0..nb {
        let wb = w.qs[(t * nb + b) * TILE_BLOCK..].as_ptr();
        let mut acc = [[_mm256_setzero_si256(); 2]; R];
        for p in 0..BLOCK / 2 {
            // SAFETY: pair p of block b lies inside the tile's block (asserted above) and inside
            // each activation row.
            unsafe {
                let line = wb.add(p * 2 * TILE);
                let wv = [
                    _mm256_cvtepi8_epi16(_mm_loadu_si128(line.cast())),
                    _mm256_cvtepi8_epi16(_mm_loadu_si128(line.add(TILE).cast())),
                ];
                for (acc_row, xr) in acc.iter_mut().zip(&xq) {
                    let pair = xr.add(b * BLOCK + 2 * p).cast::<i32>().read_unaligned();
                    let xv = _mm256_set1_epi32(pair);
                    for (a, wh) in acc_row.iter_mut().zip(&wv) {
                        *a = _mm256_add_epi32(*a, _mm256_madd_epi16(*wh, xv));
                    }
                }
            }
        }
        let at = (t * nb + b) * TILE;
        for half in 0..2 {
            let lanes = at + 8 * half..at + 8 * half + 8;
            // SAFETY: the tile's scales (offsets) of block b are in range.
            let (sw, mw) = unsafe {
                (
                    _mm256_loadu_ps(w.scales[lanes.clone()].as_ptr()),
                    _mm256_loadu_ps(mins[lanes].as_ptr()),
                )
            };
            for ii in 0..R {
                let row = (i0 + ii) * nb + b;
                let s = _mm256_mul_ps(sw, _mm256_set1_ps(x.scales[row]));
                let dot = _mm256_cvtepi32_ps(acc[ii][half]);
                total[ii][half] = _mm256_fmadd_ps(dot, s, total[ii][half]);
                if OFFSETS {
                    let sum = _mm256_set1_ps(x.sums[row]);
                    total[ii][half] = _mm256_fmadd_ps(mw, sum, total[ii][half]);
                }
            }
        }
    }
    for (ii, halves) in total.iter().enumerate() {
        let mut lanes = [0f32; TILE];
        // SAFETY: `lanes` holds 16 floats; tile t is this call's (the contract).
        unsafe {
            _mm256_storeu_ps(lanes.as_mut_ptr(), halves[0]);
            _mm256_storeu_ps(lanes.as_mut_ptr().add(8), halves[1]);
            out.tile(i0 + ii, t, w.rows, &lanes);
        }
    }
}

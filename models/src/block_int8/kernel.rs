//! The inner loops of [`super::BlockInt8Matrix::matmul_quantized`]: a range of weight tiles
//! against every activation row. An AVX-512 VNNI kernel, an AVX2 one and a portable one; the
//! first the CPU runs is used.
//!
//! All three compute output `(i, r)` by the same sequence: for each block `b` in order,
//! `total = fma(f32(Σ_k q_w · q_x), scale_w · scale_x, total)`, then for offset weights
//! `total = fma(min_w, sum_x, total)`. The integer sum is exact, so the result is the same bits in
//! every kernel, tile shape and batch size.

mod avx2;
mod avx512;

use std::mem::MaybeUninit;
use std::ops::Range;

use super::{BlockInt8Matrix, QuantizedRows, BLOCK, TILE, TILE_BLOCK};
use crate::parallel::SharedMut;

/// Where the tasks of one matmul write: element `(i, j)` of the `(m, ld)` output is
/// `y[i · ld + j]`; each task owns the columns of its tiles, and every element is written once.
pub(super) struct Out<'a, 'y> {
    pub y: &'a SharedMut<'y, MaybeUninit<f32>>,
    pub ld: usize,
}

impl Out<'_, '_> {
    /// Where row `i`'s outputs of tile `t` go, and how many there are: 16, or fewer in the last
    /// tile of a matrix whose rows are not a multiple of 16.
    ///
    /// # Safety
    /// Tile `t` belongs to the calling task (no other task reaches its columns).
    #[inline(always)]
    pub unsafe fn tile_ptr(&self, i: usize, t: usize, rows: usize) -> (*mut f32, usize) {
        let j = t * TILE;
        let len = TILE.min(rows - j);
        // SAFETY: the caller's contract; `part` checks the bounds.
        let span = unsafe { self.y.part(i * self.ld + j, len) };
        (span.as_mut_ptr().cast(), len)
    }

    /// Writes row `i`'s outputs of tile `t` (the first `len` lanes, see [`Out::tile_ptr`]).
    ///
    /// # Safety
    /// As for [`Out::tile_ptr`].
    #[inline(always)]
    pub unsafe fn tile(&self, i: usize, t: usize, rows: usize, lanes: &[f32; TILE]) {
        // SAFETY: the caller's contract; `len` elements from `at` are this tile's.
        unsafe {
            let (at, len) = self.tile_ptr(i, t, rows);
            std::ptr::copy_nonoverlapping(lanes.as_ptr(), at, len);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kernel {
    Avx512,
    Avx2,
    Portable,
}

/// The fastest kernel this CPU runs.
pub(super) fn select() -> Kernel {
    [Kernel::Avx512, Kernel::Avx2]
        .into_iter()
        .find(|k| k.runs_here())
        .unwrap_or(Kernel::Portable)
}

impl Kernel {
    /// Whether this CPU runs the kernel.
    pub fn runs_here(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::is_x86_feature_detected as has;
            match self {
                Kernel::Avx512 => has!("avx512f") && has!("avx512bw") && has!("avx512vnni"),
                Kernel::Avx2 => has!("avx2") && has!("fma"),
                Kernel::Portable => true,
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            self == Kernel::Portable
        }
    }

    /// `x · W[tiles]ᵀ` into the tiles' columns of `out`.
    ///
    /// # Safety
    /// `out`'s columns of `tiles` belong to this task alone.
    pub unsafe fn run(
        self,
        w: &BlockInt8Matrix,
        tiles: Range<usize>,
        x: &QuantizedRows,
        out: &Out,
    ) {
        assert!(
            self.runs_here(),
            "{self:?} kernel on a CPU without its features"
        );
        assert!(tiles.end <= w.tiles() && x.cols() == w.cols);
        assert_eq!(w.qs.len(), w.tiles() * (w.cols / BLOCK) * TILE_BLOCK);
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU has the kernel's features and the tiles are in range (asserted
            // above); the caller's contract covers `out`.
            Kernel::Avx512 => unsafe { avx512::tiles(w, tiles, x, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Kernel::Avx2 => unsafe { avx2::tiles(w, tiles, x, out) },
            // SAFETY: the caller's contract.
            _ => unsafe { portable(w, tiles, x, out) },
        }
    }
}

/// Block `b` of tile `t`, activation row `i`: `Σ_k q_w · q_x` for each of the tile's 16 rows.
fn block_dots(w: &BlockInt8Matrix, t: usize, b: usize, x: &QuantizedRows, i: usize) -> [i32; TILE] {
    let nb = w.cols / BLOCK;
    let wq = &w.qs[(t * nb + b) * TILE_BLOCK..][..TILE_BLOCK];
    let xq = &x.q[i * w.cols + b * BLOCK..][..BLOCK];
    let mut dots = [0i32; TILE];
    for (pair, xs) in wq.chunks_exact(2 * TILE).zip(xq.chunks_exact(2)) {
        for (d, ws) in dots.iter_mut().zip(pair.chunks_exact(2)) {
            *d += ws[0] as i32 * xs[0] as i32 + ws[1] as i32 * xs[1] as i32;
        }
    }
    dots
}

/// # Safety
/// `out`'s columns of `tiles` belong to this task alone.
unsafe fn portable(w: &BlockInt8Matrix, tiles: Range<usize>, x: &QuantizedRows, out: &Out) {
    let nb = w.cols / BLOCK;
    for t in tiles {
        for i in 0..x.rows() {
            let mut total = [0f32; TILE];
            for b in 0..nb {
                let dots = block_dots(w, t, b, x, i);
                let at = (t * nb + b) * TILE;
                let xs = x.scales[i * nb + b];
                for (c, tot) in total.iter_mut().enumerate() {
                    *tot = (dots[c] as f32).mul_add(w.scales[at + c] * xs, *tot);
                    if let Some(mins) = &w.mins {
                        *tot = mins[at + c].mul_add(x.sums[i * nb + b], *tot);
                    }
                }
            }
            // SAFETY: tile t is this task's.
            unsafe { out.tile(i, t, w.rows, &total) };
        }
    }
}

//! The inner loops of [`super::BlockInt8Matrix::matmul`]: a range of weight rows against every
//! activation row. An AVX-512 tile kernel, an AVX2+FMA row kernel, and a portable one; the first
//! the CPU runs is used.
//!
//! Each computes every output element by one fixed sequence of operations that does not depend on
//! how many activation rows or weight rows it is given, so a row's result is the same alone or in
//! any batch (on one CPU; the three kernels round differently from each other).

mod avx2;
mod avx512;

use std::ops::Range;

use super::{BlockInt8Matrix, BLOCK};
use crate::parallel::SharedMut;

/// One weight row: block `b` is block number `b · stride` of `q` (32 integers each), `scales`
/// and `mins` (offsets, for Q4_1), all starting at the row's first block.
#[derive(Clone, Copy)]
pub(super) struct WeightRow<'a> {
    pub cols: usize,
    pub stride: usize,
    pub q: &'a [i8],
    pub scales: &'a [f32],
    pub mins: Option<&'a [f32]>,
}

impl BlockInt8Matrix {
    pub(super) fn row(&self, r: usize) -> WeightRow<'_> {
        let (start, stride) = self.row_blocks(r);
        WeightRow {
            cols: self.cols,
            stride,
            q: &self.qs[start * BLOCK..],
            scales: &self.scales[start..],
            mins: self.mins.as_ref().map(|m| &m[start..]),
        }
    }
}

/// Activations: `x` `(m, cols)` and, for kernels that ask for them ([`Kernel::needs_sums`]) when
/// the weights have offsets, `sums` `(m, cols / 32)`, the sum of each block of `x`.
#[derive(Clone, Copy)]
pub(super) struct Activations<'a> {
    pub x: &'a [f32],
    pub sums: &'a [f32],
}

/// Where a task writes: element `(i, j)` of its `(m, rows.len())` result goes to
/// `y[i · ld + j0 + j]` of the whole `(m, ld)` output, which the tasks of one matmul share
/// (each owns its columns), so results land in place instead of in a buffer copied afterwards.
pub(super) struct Out<'a, 'y> {
    pub y: &'a SharedMut<'y, f32>,
    pub ld: usize,
    pub j0: usize,
}

impl Out<'_, '_> {
    /// # Safety
    /// `j` is one of this task's columns (no other task writes it).
    #[inline(always)]
    pub unsafe fn set(&self, i: usize, j: usize, v: f32) {
        // SAFETY: the caller's contract; `write` checks the bounds.
        unsafe { self.y.write(i * self.ld + self.j0 + j, v) }
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
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        if has!("avx512f") {
            return Kernel::Avx512;
        }
        if has!("avx2") && has!("fma") {
            return Kernel::Avx2;
        }
    }
    Kernel::Portable
}

impl Kernel {
    /// Whether [`Activations::sums`] must be filled for weights with offsets.
    pub fn needs_sums(self) -> bool {
        self != Kernel::Avx512
    }

    /// `x · W[rows]ᵀ` `(m, rows.len())`, into `out`.
    ///
    /// # Safety
    /// `out`'s columns `j0..j0 + rows.len()` belong to this task alone.
    pub unsafe fn run(self, w: &BlockInt8Matrix, rows: Range<usize>, a: Activations, out: &Out) {
        let m = a.x.len() / w.cols.max(1);
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the caller's contract.
            Kernel::Avx512 => unsafe { avx512::tiles(w, rows, a, out) },
            _ => {
                let mut col = vec![0f32; m];
                for (j, r) in rows.enumerate() {
                    match self {
                        #[cfg(target_arch = "x86_64")]
                        Kernel::Avx2 => avx2::dot(w.row(r), a, &mut col),
                        _ => portable_dot(w.row(r), a, &mut col),
                    }
                    for (i, &v) in col.iter().enumerate() {
                        // SAFETY: j < n is one of this task's columns.
                        unsafe { out.set(i, j, v) };
                    }
                }
            }
        }
    }
}

/// Σ of one block of activations, in a fixed order.
pub(super) fn block_sum(x: &[f32]) -> f32 {
    x.iter().sum()
}

pub(super) fn portable_dot(w: WeightRow, a: Activations, y: &mut [f32]) {
    let (cols, stride) = (w.cols, w.stride);
    let nb = cols / BLOCK;
    for (row, yv) in y.iter_mut().enumerate() {
        let xr = &a.x[row * cols..(row + 1) * cols];
        let mut acc = 0f32;
        for (b, xb) in xr.chunks_exact(BLOCK).enumerate() {
            let at = b * stride;
            let qb = &w.q[at * BLOCK..(at + 1) * BLOCK];
            let t: f32 = qb.iter().zip(xb).map(|(&q, &v)| q as f32 * v).sum();
            acc += t * w.scales[at];
        }
        if let Some(mins) = w.mins {
            let sums = &a.sums[row * nb..(row + 1) * nb];
            acc += (0..nb).map(|b| mins[b * stride] * sums[b]).sum::<f32>();
        }
        *yv = acc;
    }
}

//! AVX2+FMA: per activation row, `Σ_b scale_b · (Σ_i q_i x_i) + Σ_b min_b · sum_b`; four
//! activation rows share each conversion of the weights to f32.

use super::{Activations, WeightRow, BLOCK};
use std::arch::x86_64::*;

pub(super) fn dot(w: WeightRow, a: Activations, y: &mut [f32]) {
    let (cols, stride) = (w.cols, w.stride);
    let nb = cols / BLOCK;
    let last = nb.saturating_sub(1) * stride;
    assert!(cols % BLOCK == 0 && w.q.len() >= (last + 1) * BLOCK && w.scales.len() > last);
    assert!(a.x.len() == y.len() * cols);
    // The offsets of the row, gathered once from their stride.
    let mins: Option<Vec<f32>> = w.mins.map(|m| (0..nb).map(|b| m[b * stride]).collect());
    if mins.is_some() {
        assert!(a.sums.len() == y.len() * nb);
    }
    let mins = mins.as_deref();
    let mut row = 0;
    // SAFETY: `select` returns this kernel only when AVX2 and FMA are present; the asserts above
    // bound every pointer the kernels read.
    unsafe {
        while row + 4 <= y.len() {
            let out = rows::<4>(w, mins, a, row);
            y[row..row + 4].copy_from_slice(&out);
            row += 4;
        }
        while row < y.len() {
            let [v] = rows::<1>(w, mins, a, row);
            y[row] = v;
            row += 1;
        }
    }
}

/// Activation rows `first..first + R` against one weight row (`mins`: its offsets, contiguous).
///
/// # Safety
/// The CPU has AVX2 and FMA; the slices have the lengths `dot` asserts, with at least
/// `first + R` activation rows.
#[target_feature(enable = "avx2,fma")]
unsafe fn rows<const R: usize>(
    w: WeightRow,
    mins: Option<&[f32]>,
    a: Activations,
    first: usize,
) -> [f32; R] {
    let (cols, stride) = (w.cols, w.stride);
    let nb = cols / BLOCK;
    let mut acc = [_mm256_setzero_ps(); R];
    let qp = w.q.as_ptr();
    // SAFETY (all pointer arithmetic and loads below): within the bounds `dot` asserts.
    let xp = unsafe { a.x.as_ptr().add(first * cols) };
    for b in 0..nb {
        let at = b * stride;
        let d = w.scales[at];
        // 32 weights → four vectors of eight f32 (exact: |q| ≤ 128).
        let (lo, hi) = unsafe {
            (
                _mm_loadu_si128(qp.add(at * BLOCK) as *const __m128i),
                _mm_loadu_si128(qp.add(at * BLOCK + 16) as *const __m128i),
            )
        };
        let w0 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo));
        let w1 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)));
        let w2 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi));
        let w3 = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)));
        let s = _mm256_set1_ps(d);
        for (r, acc_r) in acc.iter_mut().enumerate() {
            let xv = unsafe {
                let xb = xp.add(r * cols + b * BLOCK);
                [
                    _mm256_loadu_ps(xb),
                    _mm256_loadu_ps(xb.add(8)),
                    _mm256_loadu_ps(xb.add(16)),
                    _mm256_loadu_ps(xb.add(24)),
                ]
            };
            let mut t = _mm256_mul_ps(w0, xv[0]);
            t = _mm256_fmadd_ps(w1, xv[1], t);
            t = _mm256_fmadd_ps(w2, xv[2], t);
            t = _mm256_fmadd_ps(w3, xv[3], t);
            *acc_r = _mm256_fmadd_ps(t, s, *acc_r);
        }
    }
    let mut out = [0f32; R];
    for (o, v) in out.iter_mut().zip(acc) {
        *o = hsum(v);
    }
    if let Some(mins) = mins {
        // Σ_b min_b · sum_b, eight blocks per vector, the rest in scalar order.
        let full = nb / 8 * 8;
        for (r, o) in out.iter_mut().enumerate() {
            let sums = &a.sums[(first + r) * nb..(first + r + 1) * nb];
            let mut v = _mm256_setzero_ps();
            for j in (0..full).step_by(8) {
                let (m8, s8) = unsafe {
                    (
                        _mm256_loadu_ps(mins.as_ptr().add(j)),
                        _mm256_loadu_ps(sums.as_ptr().add(j)),
                    )
                };
                v = _mm256_fmadd_ps(m8, s8, v);
            }
            let mut t = hsum(v);
            for j in full..nb {
                t += mins[j] * sums[j];
            }
            *o += t;
        }
    }
    out
}

#[target_feature(enable = "avx2,fma")]
fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    let s = _mm_add_ss(s, _mm_movehdup_ps(s));
    _mm_cvtss_f32(s)
}

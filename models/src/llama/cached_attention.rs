//! Attention of new queries over the KV cache on CPU, as one op instead of candle's chain
//! (score matmul, scale, mask add, softmax, value matmul, transpose).
//!
//! Each (row, head, query) is computed on its own, over exactly the columns it may see: from its
//! row's first real column to itself (a padding query sees only itself, as in
//! [`super::KvCache`]'s mask). Masked columns are skipped rather than given zero weight, so a row's
//! output does not depend on how much padding its batch adds, and with the block-int8 projections
//! an attempt's logits are the same bits alone and in any batch.

use candle_core::{CpuStorage, CustomOp3, Layout, Shape};

use crate::parallel::{for_ranges, SharedMut};
use crate::vmath;

/// Queries `(b, n_heads, t, hd)` over key and value buffers `(b, n_kv, max_len, hd)` whose columns
/// `..offset + t` are filled → `(b, t, n_heads · hd)`.
pub(super) struct CachedAttention<'a> {
    /// Left padding of each row.
    pub pads: &'a [usize],
    /// Column of the first new query.
    pub offset: usize,
    /// Query heads per key/value head (grouped-query attention, HF's repeat_kv order).
    pub n_rep: usize,
}

/// Shapes, from the three layouts.
struct Dims {
    nh: usize,
    t: usize,
    hd: usize,
    nkv: usize,
    max_len: usize,
}

fn slice<'s>(s: &'s CpuStorage, l: &Layout, what: &str) -> candle_core::Result<&'s [f32]> {
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&s.as_slice::<f32>()?[a..b]),
        None => candle_core::bail!("cached attention: {what} must be contiguous"),
    }
}

impl CustomOp3 for CachedAttention<'_> {
    fn name(&self) -> &'static str {
        "cached-attention"
    }

    fn cpu_fwd(
        &self,
        qs: &CpuStorage,
        ql: &Layout,
        ks: &CpuStorage,
        kl: &Layout,
        vs: &CpuStorage,
        vl: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (b, nh, t, hd) = ql.shape().dims4()?;
        let (kb, nkv, max_len, khd) = kl.shape().dims4()?;
        if kl.shape() != vl.shape()
            || kb != b
            || khd != hd
            || nkv * self.n_rep != nh
            || self.pads.len() != b
            || self.offset + t > max_len
        {
            candle_core::bail!(
                "cached attention: q {:?}, k {:?}, v {:?}, {} pads, offset {}, n_rep {}",
                ql.shape(),
                kl.shape(),
                vl.shape(),
                self.pads.len(),
                self.offset,
                self.n_rep
            );
        }
        let (q, k, v) = (
            slice(qs, ql, "q")?,
            slice(ks, kl, "k")?,
            slice(vs, vl, "v")?,
        );
        let d = Dims {
            nh,
            t,
            hd,
            nkv,
            max_len,
        };
        let mut out = vec![0f32; b * t * nh * hd];
        let shared = SharedMut::new(&mut out);
        let units = b * nh * t;
        #[cfg(target_arch = "x86_64")]
        let avx2 = std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma");
        for_ranges(units, |range| {
            let mut scores = Vec::new();
            for unit in range {
                let (row, rest) = (unit / (nh * t), unit % (nh * t));
                let (h, s) = (rest / t, rest % t);
                // SAFETY: each unit owns the hd outputs at ((row·t + s)·nh + h)·hd.
                let dst = unsafe { shared.part(((row * t + s) * nh + h) * hd, hd) };
                #[cfg(target_arch = "x86_64")]
                if avx2 {
                    // SAFETY: the CPU has AVX2 and FMA (checked above).
                    unsafe { self.unit_avx2(&d, q, k, v, (row, h, s), &mut scores, dst) };
                    continue;
                }
                self.unit(&d, q, k, v, (row, h, s), &mut scores, dst);
            }
        });
        Ok((CpuStorage::F32(out), Shape::from((b, t, nh * hd))))
    }
}

impl CachedAttention<'_> {
    /// [`Self::unit`] compiled for AVX2 (its loops vectorize eight lanes wide).
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn unit_avx2(
        &self,
        d: &Dims,
        q: &[f32],
        k: &[f32],
        v: &[f32],
        at: (usize, usize, usize),
        scores: &mut Vec<f32>,
        dst: &mut [f32],
    ) {
        self.unit(d, q, k, v, at, scores, dst)
    }

    /// One query `(row, head, s)`: softmax(q·Kᵀ / √hd) · V over its visible columns, into `dst`.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn unit(
        &self,
        d: &Dims,
        q: &[f32],
        k: &[f32],
        v: &[f32],
        (row, h, s): (usize, usize, usize),
        scores: &mut Vec<f32>,
        dst: &mut [f32],
    ) {
        let hd = d.hd;
        let c = self.offset + s;
        let pad = self.pads[row];
        let first = if c >= pad { pad } else { c };
        let qv = &q[((row * d.nh + h) * d.t + s) * hd..][..hd];
        let g = h / self.n_rep;
        let base = (row * d.nkv + g) * d.max_len * hd;
        let scale = 1.0 / (hd as f32).sqrt();
        scores.clear();
        let mut max = f32::NEG_INFINITY;
        for col in first..=c {
            let sc = dot(qv, &k[base + col * hd..][..hd]) * scale;
            max = max.max(sc);
            scores.push(sc);
        }
        for sc in scores.iter_mut() {
            *sc = vmath::exp(*sc - max);
        }
        let sum = vmath::lane_sum(scores) as f32;
        dst.fill(0.0);
        for (col, &w) in (first..=c).zip(scores.iter()) {
            axpy(dst, w / sum, &v[base + col * hd..][..hd]);
        }
    }
}

/// `Σ a_i b_i` with eight independent partial sums (vectorizable), then summed in a fixed order.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ac
        .remainder()
        .iter()
        .zip(bc.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ac.zip(bc) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// `y += alpha · x`.
#[inline(always)]
fn axpy(y: &mut [f32], alpha: f32, x: &[f32]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    /// The op (the AVX2 build where the CPU has it) agrees with the portable computation, with
    /// padding, several queries per row and grouped heads.
    #[test]
    fn the_op_matches_the_portable_unit() {
        for hd in [64, 128, 24] {
            let (b, nh, nkv, t, max_len, offset) = (2, 6, 2, 3, 10, 4);
            let pads = [0usize, 5];
            let dev = Device::Cpu;
            let q = Tensor::randn(0f32, 1.0, (b, nh, t, hd), &dev).unwrap();
            let k = Tensor::randn(0f32, 1.0, (b, nkv, max_len, hd), &dev).unwrap();
            let v = Tensor::randn(0f32, 1.0, (b, nkv, max_len, hd), &dev).unwrap();
            let op = CachedAttention {
                pads: &pads,
                offset,
                n_rep: nh / nkv,
            };
            let got: Vec<f32> = q
                .apply_op3_no_bwd(&k, &v, &op)
                .unwrap()
                .flatten_all()
                .unwrap()
                .to_vec1()
                .unwrap();
            let (qv, kv, vv): (Vec<f32>, Vec<f32>, Vec<f32>) = (
                q.flatten_all().unwrap().to_vec1().unwrap(),
                k.flatten_all().unwrap().to_vec1().unwrap(),
                v.flatten_all().unwrap().to_vec1().unwrap(),
            );
            let d = Dims {
                nh,
                t,
                hd,
                nkv,
                max_len,
            };
            let mut scores = Vec::new();
            let mut want = vec![0f32; hd];
            for row in 0..b {
                for h in 0..nh {
                    for s in 0..t {
                        op.unit(&d, &qv, &kv, &vv, (row, h, s), &mut scores, &mut want);
                        let at = ((row * t + s) * nh + h) * hd;
                        for (g, w) in got[at..at + hd].iter().zip(&want) {
                            assert!((g - w).abs() < 1e-5, "hd {hd}: {g} vs {w}");
                        }
                    }
                }
            }
        }
    }
}

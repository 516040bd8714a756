//! SwiGLU of a fused gate-and-up projection as one CPU op: `silu(g) · u` for `[g | u]` rows.
//!
//! The unfused form is three candle ops (two strided narrows, `silu` with libm's `expf` one
//! element at a time, a strided multiply). This one reads each row once, on both threads, with
//! [`crate::vmath::exp`] (vectorized, and the same bits on every machine).

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Tensor};

use std::mem::MaybeUninit;

use crate::parallel::{filled_vec, for_ranges, SharedMut};
use crate::vmath::{exp, multiversion};

/// `y` `(.., 2 i)` = `[gate | up]` → `silu(gate) · up` `(.., i)`. Inference only (no backward).
pub(super) fn swiglu(y: &Tensor) -> Result<Tensor> {
    if !y.device().is_cpu() || y.dtype() != candle_core::DType::F32 {
        let i = y.dim(candle_core::D::Minus1)? / 2;
        let gate = y.narrow(candle_core::D::Minus1, 0, i)?;
        let up = y.narrow(candle_core::D::Minus1, i, i)?;
        return candle_nn::ops::silu(&gate)? * up;
    }
    y.apply_op1_no_bwd(&SwiGlu)
}

struct SwiGlu;

multiversion! {
    /// Each row `[g | u]` of `y` (rows of `2 i`) → `g / (1 + e^(-g)) · u` into `out` (rows of `i`).
    pub fn gated_rows(y: &[f32], i: usize, out: &mut [MaybeUninit<f32>]) -> () {
        for (row, o) in y.chunks_exact(2 * i).zip(out.chunks_exact_mut(i)) {
            let (g, u) = row.split_at(i);
            for ((o, &g), &u) in o.iter_mut().zip(g).zip(u) {
                o.write(g / (1.0 + exp(-g)) * u);
            }
        }
    }
}

impl CustomOp1 for SwiGlu {
    fn name(&self) -> &'static str {
        "swiglu"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let dims = layout.shape().dims();
        let Some((&width, lead)) = dims.split_last() else {
            candle_core::bail!("swiglu: a scalar input");
        };
        if width % 2 != 0 {
            candle_core::bail!("swiglu: odd last dimension {width}");
        }
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("swiglu: input must be contiguous");
        };
        let y = &storage.as_slice::<f32>()?[start..end];
        let i = width / 2;
        let rows = y.len() / width.max(1);
        let fill = |out: &SharedMut<MaybeUninit<f32>>| {
            for_ranges(rows, |r| {
                // SAFETY: the row ranges of one call are disjoint.
                let o = unsafe { out.part(r.start * i, r.len() * i) };
                gated_rows(&y[r.start * width..r.end * width], i, o);
            });
        };
        // SAFETY: the row ranges cover every row, and `gated_rows` writes each row's i outputs.
        let out = unsafe { filled_vec(rows * i, fill) };
        let mut shape = lead.to_vec();
        shape.push(i);
        Ok((CpuStorage::F32(out), Shape::from(shape)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn matches_silu_times_up() {
        // Gates from -6.25 to 6.25 (and large ones, where e^(-g) under- or overflows).
        let mut values: Vec<f32> = (0..384)
            .map(|i| ((i * 37 % 101) as f32 - 50.0) / 8.0)
            .collect();
        values[0] = 200.0;
        values[1] = -200.0;
        let y = Tensor::from_vec(values, (2, 3, 64), &Device::Cpu).unwrap();
        let got = swiglu(&y).unwrap();
        let gate = y.narrow(2, 0, 32).unwrap();
        let want = (candle_nn::ops::silu(&gate).unwrap() * y.narrow(2, 32, 32).unwrap()).unwrap();
        assert_eq!(got.dims(), &[2, 3, 32]);
        let d = crate::testing::max_abs_diff(&got, &want);
        assert!(d < 1e-5, "max abs diff {d}");
        let odd = Tensor::zeros((2, 5), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(swiglu(&odd).is_err());
    }
}

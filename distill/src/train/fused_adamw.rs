//! AdamW on the CPU in one pass per parameter: the gradient is read once and the parameter and
//! both moments are written in place, where the tensor formulation runs about ten element-wise
//! ops per parameter, each allocating a fresh buffer. The arithmetic is the same formula in
//! `f32`, element by element; results are deterministic (no threads, fixed order), so a resumed
//! run still ends bit for bit like an uninterrupted one.

use std::cell::RefCell;

use candle_core::{CpuStorage, InplaceOp1, Layout, Storage, Tensor};

/// The scalars of one step for one parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coefficients {
    /// Gradient scale from clipping.
    pub scale: f32,
    pub beta1: f32,
    pub beta2: f32,
    /// `1 − lr·λ` (decoupled weight decay; 1 for parameters without decay).
    pub keep: f32,
    pub lr: f32,
    /// Bias corrections `1 − β₁ᵗ` and `1 − β₂ᵗ`.
    pub bc1: f32,
    pub bc2: f32,
    pub eps: f32,
}

/// The in-place update of one parameter, holding its gradient and moments.
struct Update<'a> {
    g: &'a [f32],
    m: RefCell<&'a mut [f32]>,
    v: RefCell<&'a mut [f32]>,
    c: Coefficients,
}

impl InplaceOp1 for Update<'_> {
    fn name(&self) -> &'static str {
        "fused-adamw"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        let CpuStorage::F32(data) = storage else {
            candle_core::bail!("fused AdamW needs f32 parameters");
        };
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("fused AdamW needs a contiguous parameter");
        };
        let p = &mut data[start..end];
        let (mut m, mut v) = (self.m.borrow_mut(), self.v.borrow_mut());
        if p.len() != self.g.len() || p.len() != m.len() || p.len() != v.len() {
            candle_core::bail!("fused AdamW: parameter, gradient and moments differ in size");
        }
        let c = self.c;
        let (one_b1, one_b2) = (1.0 - c.beta1, 1.0 - c.beta2);
        for (((p, &g), m), v) in p.iter_mut().zip(self.g).zip(m.iter_mut()).zip(v.iter_mut()) {
            let g = g * c.scale;
            *m = *m * c.beta1 + g * one_b1;
            *v = *v * c.beta2 + g * g * one_b2;
            let update = (*m / c.bc1) / ((*v / c.bc2).sqrt() + c.eps);
            *p = *p * c.keep - update * c.lr;
        }
        Ok(())
    }
}

/// The contiguous `f32` values of a CPU tensor, for `read` to borrow; `None` on another
/// device, dtype or layout (then the tensor formulation runs instead).
pub(crate) fn with_cpu_f32<T>(t: &Tensor, read: impl FnOnce(&[f32]) -> T) -> Option<T> {
    let (storage, layout) = t.storage_and_layout();
    let Storage::Cpu(CpuStorage::F32(data)) = &*storage else {
        return None;
    };
    let (start, end) = layout.contiguous_offsets()?;
    Some(read(&data[start..end]))
}

/// Sum of squares, accumulated in `f64`.
pub(crate) fn sum_of_squares(x: &[f32]) -> f64 {
    x.iter().map(|&g| f64::from(g) * f64::from(g)).sum()
}

/// Updates `param` in place from its gradient `g` and its moments `m`, `v` (updated too).
pub(crate) fn update(
    param: &Tensor,
    g: &[f32],
    m: &mut [f32],
    v: &mut [f32],
    c: Coefficients,
) -> candle_core::Result<()> {
    param.inplace_op1(&Update {
        g,
        m: RefCell::new(m),
        v: RefCell::new(v),
        c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    #[test]
    fn one_step_matches_the_formula() {
        let p0 = [1.0f32, -2.0, 0.5, 0.0];
        let g = [0.1f32, -0.3, 2.0, 0.0];
        let (m0, v0) = ([0.01f32, 0.0, -0.2, 0.0], [0.001f32, 0.0, 0.5, 0.0]);
        let param = Tensor::new(&p0, &Device::Cpu).unwrap();
        let (mut m, mut v) = (m0, v0);
        let c = Coefficients {
            scale: 0.5,
            beta1: 0.9,
            beta2: 0.95,
            keep: 1.0 - 1e-3 * 0.1,
            lr: 1e-3,
            bc1: 1.0 - 0.9f32.powi(3),
            bc2: 1.0 - 0.95f32.powi(3),
            eps: 1e-8,
        };
        update(&param, &g, &mut m, &mut v, c).unwrap();
        let got = param.to_vec1::<f32>().unwrap();
        for i in 0..4 {
            let (b1, b2, gs) = (0.9f64, 0.95f64, f64::from(g[i]) * 0.5);
            let mi = b1 * f64::from(m0[i]) + (1.0 - b1) * gs;
            let vi = b2 * f64::from(v0[i]) + (1.0 - b2) * gs * gs;
            let upd = (mi / (1.0 - b1.powi(3))) / ((vi / (1.0 - b2.powi(3))).sqrt() + 1e-8);
            let want = f64::from(p0[i]) * (1.0 - 1e-4) - 1e-3 * upd;
            assert!(
                (f64::from(got[i]) - want).abs() < 1e-6,
                "{i}: {} vs {want}",
                got[i]
            );
            assert!((f64::from(m[i]) - mi).abs() < 1e-7 && (f64::from(v[i]) - vi).abs() < 1e-7);
        }
    }
}

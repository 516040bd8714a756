//! What the decoder's blocks are built from and run with: [`Src`] gives a block its tensors
//! (from a `VarBuilder`, or its projections from quantized weights) and [`Ops`] says which
//! kernels a forward pass uses.

use std::collections::HashMap;
use std::sync::Arc;

use candle_core::quantized::QTensor;
use candle_core::Tensor;
use candle_nn::{Init, VarBuilder};

use super::linear::{Linear, QuantKernel};
use crate::error::{ModelError, Result};

/// Quantized weights by their HF name (`model.layers.0.self_attn.q_proj.weight`); a linear found
/// here is used quantized, everything else comes from the `VarBuilder`.
pub type QuantWeights = HashMap<String, Arc<QTensor>>;

/// Which kernels a forward pass uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ops {
    /// Differentiable primitives (training, gradient checks).
    Train,
    /// Fused, non-differentiable kernels (inference).
    Fused,
}

/// The standard deviation of freshly initialized weights (HF's `initializer_range`).
pub(super) const INIT_STD: f64 = 0.02;

/// Builds a block's tensors from a `VarBuilder`, or its projections from quantized weights.
pub(super) struct Src<'a> {
    pub(super) vb: VarBuilder<'a>,
    pub(super) quant: Option<&'a QuantWeights>,
    pub(super) kernel: QuantKernel,
}

impl Src<'_> {
    pub(super) fn pp(&self, name: &str) -> Self {
        Src {
            vb: self.vb.pp(name),
            quant: self.quant,
            kernel: self.kernel,
        }
    }

    pub(super) fn linear(&self, out_dim: usize, in_dim: usize, name: &str) -> Result<Linear> {
        let vb = self.vb.pp(name);
        if let Some(q) = self
            .quant
            .and_then(|m| m.get(&format!("{}.weight", vb.prefix())))
        {
            if q.shape().dims() != [out_dim, in_dim] {
                return Err(ModelError::Invalid(format!(
                    "{}.weight: expected shape ({out_dim}, {in_dim}), found {:?}",
                    vb.prefix(),
                    q.shape()
                )));
            }
            return Ok(Linear::quantized_with(q.clone(), self.kernel)?);
        }
        let init = Init::Randn {
            mean: 0.0,
            stdev: INIT_STD,
        };
        Ok(Linear::dense(vb.get_with_hints(
            (out_dim, in_dim),
            "weight",
            init,
        )?))
    }

    pub(super) fn norm(&self, dim: usize, name: &str) -> Result<Tensor> {
        Ok(self
            .vb
            .pp(name)
            .get_with_hints(dim, "weight", Init::Const(1.0))?)
    }
}

//! A projection whose weight is a dense f32 tensor (trainable, or dequantized GGUF), a quantized
//! GGUF tensor used through candle's `QMatMul`, or the exact integers of one run by mull's
//! integer kernel on 16-bit activations ([`crate::block_int8`]).

use candle_core::quantized::{QMatMul, QStorage, QTensor};
use candle_core::{Module, Result, Tensor};
use std::sync::Arc;

use crate::block_int8::{BlockInt8MatMul, BlockInt8Matrix};

/// Which kernel runs quantized projections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantKernel {
    /// candle's integer kernels: activations are quantized to 8 bits; any GGML type and device.
    Candle,
    /// mull's kernel on the file's exact integers with activations rounded to 16 bits per block
    /// (CPU; Q4_0, Q4_1 and Q8_0); other types and devices fall back to candle's.
    BlockInt8,
}

/// `y = x Wᵀ` with `W` of shape `(out, in)` as in HF checkpoints.
#[derive(Debug, Clone)]
pub enum Linear {
    Dense(Tensor),
    Quantized { mm: QMatMul, out_dim: usize },
    BlockInt8(Arc<BlockInt8Matrix>),
}

impl Linear {
    pub fn dense(weight: Tensor) -> Self {
        Linear::Dense(weight)
    }

    /// A quantized projection on `kernel`, falling back to candle's where mull's does not apply.
    pub fn quantized_with(q: Arc<QTensor>, kernel: QuantKernel) -> Result<Self> {
        if kernel == QuantKernel::BlockInt8 && q.device().is_cpu() {
            if let Some(m) = BlockInt8Matrix::from_qtensor(&q)? {
                return Ok(Linear::BlockInt8(Arc::new(m)));
            }
        }
        Self::quantized(q)
    }

    pub fn quantized(q: Arc<QTensor>) -> Result<Self> {
        let (out_dim, _in) = q.shape().dims2()?;
        Ok(Linear::Quantized {
            mm: QMatMul::from_arc(q)?,
            out_dim,
        })
    }

    pub fn is_quantized(&self) -> bool {
        !matches!(self, Linear::Dense(_))
    }

    /// The dense weight, when there is one (tied embeddings share it).
    pub fn weight(&self) -> Option<&Tensor> {
        match self {
            Linear::Dense(w) => Some(w),
            Linear::Quantized { .. } | Linear::BlockInt8(_) => None,
        }
    }

    /// One quantized projection whose rows are those of `parts` stacked (q, k, v or gate, up), so
    /// inference pays one activation quantization and one parallel dispatch instead of several.
    /// `None` unless every part is a quantized tensor of one dtype and one input width.
    pub fn fuse_quantized(parts: &[&Linear]) -> Result<Option<Linear>> {
        if let Some(Linear::BlockInt8(_)) = parts.first() {
            let mats: Option<Vec<&BlockInt8Matrix>> = parts
                .iter()
                .map(|p| match p {
                    Linear::BlockInt8(m) => Some(m.as_ref()),
                    _ => None,
                })
                .collect();
            return Ok(mats
                .and_then(|m| BlockInt8Matrix::stack(&m))
                .map(|m| Linear::BlockInt8(Arc::new(m))));
        }
        let mut tensors = Vec::with_capacity(parts.len());
        for part in parts {
            match part {
                Linear::Quantized {
                    mm: QMatMul::QTensor(q),
                    ..
                } => tensors.push(q.clone()),
                _ => return Ok(None),
            }
        }
        let Some(first) = tensors.first() else {
            return Ok(None);
        };
        let (dtype, in_dim, device) = (first.dtype(), first.shape().dims2()?.1, first.device());
        let mut rows = 0;
        let mut bytes = Vec::new();
        for q in &tensors {
            let (out, inp) = q.shape().dims2()?;
            if q.dtype() != dtype || inp != in_dim {
                return Ok(None);
            }
            rows += out;
            // Quantized blocks run along the input dim, so each row is a contiguous byte run and
            // stacking rows is concatenating the data.
            bytes.extend_from_slice(&q.data()?);
        }
        let storage = QStorage::from_data(std::borrow::Cow::Owned(bytes), &device, dtype)?;
        Ok(Some(Linear::quantized(Arc::new(QTensor::new(
            storage,
            (rows, in_dim),
        )?))?))
    }

    /// `x`: `(..., in)` → `(..., out)`. Leading dims are flattened into one matmul so a batch of
    /// rows costs one weight pass.
    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dims = x.dims().to_vec();
        let in_dim = dims.last().copied().unwrap_or(0);
        let rows = x.elem_count() / in_dim.max(1);
        let mut out_dims = dims.clone();
        match self {
            Linear::Dense(w) => {
                let out_dim = w.dim(0)?;
                if let Some(last) = out_dims.last_mut() {
                    *last = out_dim;
                }
                // (rows, in) x (in, out): the transposed view is handled by gemm without a copy.
                x.reshape((rows, in_dim))?
                    .matmul(&w.t()?)?
                    .reshape(out_dims)
            }
            Linear::Quantized { mm, out_dim } => {
                if let Some(last) = out_dims.last_mut() {
                    *last = *out_dim;
                }
                // candle's quantized matmul rejects strided inputs ("input tensor is not
                // contiguous", the stock batched-prefill bug), so make the rows contiguous first.
                let x2 = x.reshape((rows, in_dim))?.contiguous()?;
                mm.forward(&x2)?.reshape(out_dims)
            }
            Linear::BlockInt8(w) => {
                if let Some(last) = out_dims.last_mut() {
                    *last = w.rows();
                }
                let x2 = x.reshape((rows, in_dim))?.contiguous()?;
                x2.apply_op1_no_bwd(&BlockInt8MatMul(w))?.reshape(out_dims)
            }
        }
    }
}

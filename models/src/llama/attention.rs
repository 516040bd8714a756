//! Grouped-query self-attention with HF's half-rotation rope: the differentiable chain for
//! training, and on CPU inference one op over the KV cache ([`super::cached_attention`]).

use candle_core::{Tensor, D};

use super::cached_attention::CachedAttention;
use super::config::Config;
use super::linear::Linear;
use super::parts::{Ops, Src};
use crate::error::Result;

/// HF rope: pairs `i` and `i + hd/2` (rotate_half), not interleaved pairs.
/// `x`: (b, h, t, hd); `cos`, `sin`: (b, t, hd/2).
fn rope(x: &Tensor, cos: &Tensor, sin: &Tensor, ops: Ops) -> Result<Tensor> {
    Ok(match ops {
        Ops::Fused => candle_nn::rotary_emb::rope(&x.contiguous()?, cos, sin)?,
        Ops::Train => {
            let hd = x.dim(D::Minus1)?;
            let half = hd / 2;
            let cos = cos.unsqueeze(1)?; // (b, 1, t, hd/2)
            let sin = sin.unsqueeze(1)?;
            let x1 = x.narrow(D::Minus1, 0, half)?;
            let x2 = x.narrow(D::Minus1, half, half)?;
            let r1 = (x1.broadcast_mul(&cos)? - x2.broadcast_mul(&sin)?)?;
            let r2 = (x2.broadcast_mul(&cos)? + x1.broadcast_mul(&sin)?)?;
            Tensor::cat(&[r1, r2], D::Minus1)?
        }
    })
}

/// One layer's view of the KV cache in a forward pass.
#[derive(Clone, Copy)]
pub(super) struct LayerCache<'a> {
    /// Key and value buffers `(b, n_kv, max_len, hd)`.
    pub kv: &'a (Tensor, Tensor),
    /// Column where the new keys go.
    pub offset: usize,
    /// Left padding of each row.
    pub pads: &'a [usize],
}

#[derive(Debug, Clone)]
pub(super) struct Attention {
    pub(super) q_proj: Linear,
    pub(super) k_proj: Linear,
    pub(super) v_proj: Linear,
    pub(super) o_proj: Linear,
    /// q, k and v stacked, for quantized inference (see `Linear::fuse_quantized`).
    qkv: Option<Linear>,
    n_heads: usize,
    n_kv: usize,
    head_dim: usize,
}

impl Attention {
    pub(super) fn new(cfg: &Config, src: &Src) -> Result<Self> {
        let (d, hd, nh, nkv) = (
            cfg.hidden_size,
            cfg.head_dim(),
            cfg.num_attention_heads,
            cfg.num_kv_heads(),
        );
        let q_proj = src.linear(nh * hd, d, "q_proj")?;
        let k_proj = src.linear(nkv * hd, d, "k_proj")?;
        let v_proj = src.linear(nkv * hd, d, "v_proj")?;
        let qkv = Linear::fuse_quantized(&[&q_proj, &k_proj, &v_proj])?;
        Ok(Attention {
            q_proj,
            k_proj,
            v_proj,
            qkv,
            o_proj: src.linear(d, nh * hd, "o_proj")?,
            n_heads: nh,
            n_kv: nkv,
            head_dim: hd,
        })
    }

    /// `x`: (b, t, d); `mask`: additive (b or 1, 1, 1, t, kv); `cache`: this layer's buffers,
    /// the column where the new keys go, and the rows' padding.
    pub(super) fn forward(
        &self,
        x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        mask: &Tensor,
        cache: Option<LayerCache>,
        ops: Ops,
    ) -> Result<Tensor> {
        let (b, t, _) = x.dims3()?;
        let (nh, nkv, hd) = (self.n_heads, self.n_kv, self.head_dim);
        let n_rep = nh / nkv;
        let (q, k, v) = match &self.qkv {
            Some(qkv) => {
                let y = qkv.forward(x)?; // (b, t, (nh + 2 nkv) hd)
                (
                    y.narrow(2, 0, nh * hd)?,
                    y.narrow(2, nh * hd, nkv * hd)?,
                    y.narrow(2, (nh + nkv) * hd, nkv * hd)?,
                )
            }
            None => (
                self.q_proj.forward(x)?,
                self.k_proj.forward(x)?,
                self.v_proj.forward(x)?,
            ),
        };
        let q = q.reshape((b, t, nh, hd))?.transpose(1, 2)?; // (b, nh, t, hd)
        let k = k.reshape((b, t, nkv, hd))?.transpose(1, 2)?; // (b, nkv, t, hd)
        let v = v.reshape((b, t, nkv, hd))?.transpose(1, 2)?;
        let q = rope(&q, cos, sin, ops)?.contiguous()?;
        let k = rope(&k, cos, sin, ops)?.contiguous()?;
        let v = v.contiguous()?;
        let (k, v) = match cache {
            Some(LayerCache {
                kv: (kbuf, vbuf),
                offset,
                pads,
            }) => {
                kbuf.slice_set(&k, 2, offset)?;
                vbuf.slice_set(&v, 2, offset)?;
                if ops == Ops::Fused && x.device().is_cpu() {
                    let op = CachedAttention {
                        pads,
                        offset,
                        n_rep,
                    };
                    let out = q.apply_op3_no_bwd(kbuf, vbuf, &op)?; // (b, t, nh hd)
                    return Ok(self.o_proj.forward(&out)?);
                }
                // (b, nkv, offset + t, hd), a strided view of the preallocated buffer.
                (
                    kbuf.narrow(2, 0, offset + t)?,
                    vbuf.narrow(2, 0, offset + t)?,
                )
            }
            None => (k, v),
        };
        let kv_len = k.dim(2)?;
        // Grouped-query attention without copying keys: query heads h = g * n_rep + r share kv
        // head g (HF's repeat_kv order), so fold the n_rep heads of a group into the rows.
        let q = q.reshape((b, nkv, n_rep * t, hd))?;
        let scale = 1.0 / (hd as f64).sqrt();
        let scores = (q.matmul(&k.t()?)? * scale)?; // (b, nkv, n_rep*t, kv)
        let scores = scores
            .reshape((b, nkv, n_rep, t, kv_len))?
            .broadcast_add(mask)?;
        let probs = match ops {
            Ops::Fused => candle_nn::ops::softmax_last_dim(&scores)?,
            Ops::Train => candle_nn::ops::softmax(&scores, D::Minus1)?,
        };
        let out = probs.reshape((b, nkv, n_rep * t, kv_len))?.matmul(&v)?; // (b, nkv, n_rep*t, hd)
        let out = out
            .reshape((b, nh, t, hd))?
            .transpose(1, 2)?
            .reshape((b, t, nh * hd))?;
        Ok(self.o_proj.forward(&out)?)
    }
}

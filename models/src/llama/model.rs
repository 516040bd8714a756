//! The Llama-family decoder: RMSNorm, half-rotation RoPE (as HF), SwiGLU, grouped-query
//! attention, tied or untied embeddings.
//!
//! One set of blocks serves two paths:
//! - [`Llama::forward_train`]: differentiable ops only (RMSNorm from primitives,
//!   `candle_nn::ops::softmax`, rope from narrow/cat), logits at every position. candle's fused
//!   `rms_norm`, `softmax_last_dim` and `rope` have no backward and would stop gradients silently.
//! - [`Llama::forward_cached`]: fused kernels, an explicit [`KvCache`], left padding with per-row
//!   positions, logits at every or only the last position; weights may be quantized.

use candle_core::{DType, Device, Tensor, D};
use candle_nn::{Init, VarBuilder};

use super::attention::{Attention, LayerCache};
use super::cache::KvCache;
use super::config::Config;
use super::linear::{Linear, QuantKernel};
pub use super::parts::QuantWeights;
use super::parts::{Ops, Src, INIT_STD};
use crate::error::{ModelError, Result};

/// Which positions get logits from [`Llama::forward_cached`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logits {
    All,
    Last,
}

fn rms_norm(x: &Tensor, w: &Tensor, eps: f64, ops: Ops) -> Result<Tensor> {
    Ok(match ops {
        Ops::Fused => candle_nn::ops::rms_norm(&x.contiguous()?, w, eps as f32)?,
        Ops::Train => {
            // x / sqrt(mean(x²) + eps) * w, from primitives so every step has a backward.
            let ms = x.sqr()?.mean_keepdim(D::Minus1)?;
            x.broadcast_div(&(ms + eps)?.sqrt()?)?.broadcast_mul(w)?
        }
    })
}

#[derive(Debug, Clone)]
struct Mlp {
    gate_proj: Linear,
    up_proj: Linear,
    down_proj: Linear,
    /// gate and up stacked, for quantized inference.
    gate_up: Option<Linear>,
}

impl Mlp {
    fn new(cfg: &Config, src: &Src) -> Result<Self> {
        let (d, i) = (cfg.hidden_size, cfg.intermediate_size);
        let gate_proj = src.linear(i, d, "gate_proj")?;
        let up_proj = src.linear(i, d, "up_proj")?;
        let gate_up = Linear::fuse_quantized(&[&gate_proj, &up_proj])?;
        Ok(Mlp {
            gate_proj,
            up_proj,
            down_proj: src.linear(d, i, "down_proj")?,
            gate_up,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let gated = match &self.gate_up {
            // (b, t, 2 i) → (b, t, i) in one op.
            Some(gu) => super::swiglu::swiglu(&gu.forward(x)?)?,
            None => {
                let gate = candle_nn::ops::silu(&self.gate_proj.forward(x)?)?;
                (gate * self.up_proj.forward(x)?)?
            }
        };
        Ok(self.down_proj.forward(&gated)?)
    }
}

#[derive(Debug, Clone)]
struct Block {
    self_attn: Attention,
    mlp: Mlp,
    input_layernorm: Tensor,
    post_attention_layernorm: Tensor,
    eps: f64,
}

impl Block {
    fn new(cfg: &Config, src: &Src) -> Result<Self> {
        Ok(Block {
            self_attn: Attention::new(cfg, &src.pp("self_attn"))?,
            mlp: Mlp::new(cfg, &src.pp("mlp"))?,
            input_layernorm: src.norm(cfg.hidden_size, "input_layernorm")?,
            post_attention_layernorm: src.norm(cfg.hidden_size, "post_attention_layernorm")?,
            eps: cfg.rms_norm_eps,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn forward(
        &self,
        x: &Tensor,
        cos: &Tensor,
        sin: &Tensor,
        mask: &Tensor,
        cache: Option<LayerCache>,
        ops: Ops,
    ) -> Result<Tensor> {
        let h = rms_norm(x, &self.input_layernorm, self.eps, ops)?;
        let x = (x + self.self_attn.forward(&h, cos, sin, mask, cache, ops)?)?;
        let h = rms_norm(&x, &self.post_attention_layernorm, self.eps, ops)?;
        Ok((&x + self.mlp.forward(&h)?)?)
    }
}

/// The decoder. Build a trainable one with `Llama::new(cfg, VarBuilder::from_varmap(..))`, a
/// pretrained one from safetensors or GGUF with the loaders in [`super::io`] and [`super::gguf`].
#[derive(Debug, Clone)]
pub struct Llama {
    cfg: Config,
    embed_tokens: Tensor, // (vocab, d)
    layers: Vec<Block>,
    norm: Tensor,
    lm_head: Linear,
    cos: Tensor, // (max_pos, hd/2)
    sin: Tensor,
    device: Device,
}

impl Llama {
    /// Builds the model from `vb` with HF checkpoint names (`model.embed_tokens`,
    /// `model.layers.{i}.self_attn.q_proj`, ..., `model.norm`, `lm_head`). With a `VarMap`-backed
    /// builder the weights are fresh trainable variables (normal(0, 0.02), norms at 1).
    pub fn new(cfg: &Config, vb: VarBuilder) -> Result<Self> {
        Self::new_with_quant(cfg, vb, None, QuantKernel::Candle)
    }

    /// As [`Llama::new`], but projections named in `quant` are used quantized, on `kernel`.
    pub fn new_with_quant(
        cfg: &Config,
        vb: VarBuilder,
        quant: Option<&QuantWeights>,
        kernel: QuantKernel,
    ) -> Result<Self> {
        cfg.validate().map_err(ModelError::Invalid)?;
        let device = vb.device().clone();
        let src = Src { vb, quant, kernel };
        let model = src.pp("model");
        let embed_tokens = model.vb.pp("embed_tokens").get_with_hints(
            (cfg.vocab_size, cfg.hidden_size),
            "weight",
            Init::Randn {
                mean: 0.0,
                stdev: INIT_STD,
            },
        )?;
        let mut layers = Vec::with_capacity(cfg.num_hidden_layers);
        let layer_src = model.pp("layers");
        for i in 0..cfg.num_hidden_layers {
            layers.push(Block::new(cfg, &layer_src.pp(&i.to_string()))?);
        }
        let norm = model.norm(cfg.hidden_size, "norm")?;
        let quant_head = quant.is_some_and(|q| q.contains_key("lm_head.weight"));
        let lm_head = if cfg.tie_word_embeddings && !quant_head {
            // Tied: the same tensor (the same Var when training) embeds and projects.
            Linear::dense(embed_tokens.clone())
        } else {
            src.linear(cfg.vocab_size, cfg.hidden_size, "lm_head")?
        };
        let (cos, sin) = rope_tables(cfg, &device)?;
        Ok(Llama {
            cfg: cfg.clone(),
            embed_tokens,
            layers,
            norm,
            lm_head,
            cos,
            sin,
            device,
        })
    }

    pub fn config(&self) -> &Config {
        &self.cfg
    }

    pub fn device(&self) -> &Device {
        &self.device
    }

    /// True when the projections run on quantized weights.
    pub fn is_quantized(&self) -> bool {
        self.lm_head.is_quantized()
            || self
                .layers
                .first()
                .is_some_and(|l| l.self_attn.q_proj.is_quantized())
    }

    fn embed(&self, tokens: &Tensor) -> Result<Tensor> {
        let (b, t) = tokens.dims2()?;
        let ids = tokens.flatten_all()?;
        Ok(self
            .embed_tokens
            .index_select(&ids, 0)?
            .reshape((b, t, self.cfg.hidden_size))?)
    }

    fn check_tokens(&self, tokens: &Tensor) -> Result<()> {
        let ids = tokens.flatten_all()?.to_vec1::<u32>()?;
        if let Some(bad) = ids.iter().find(|&&id| id as usize >= self.cfg.vocab_size) {
            return Err(ModelError::Invalid(format!(
                "token id {bad} is outside the vocabulary of {} ids",
                self.cfg.vocab_size
            )));
        }
        Ok(())
    }

    /// Training forward: `tokens` (b, t) u32 → logits (b, t, vocab) at every position, with
    /// differentiable ops so every parameter receives a gradient.
    pub fn forward_train(&self, tokens: &Tensor) -> Result<Tensor> {
        Ok(self.lm_head.forward(&self.hidden_train(tokens)?)?)
    }

    /// The language model's logits (b, t, vocab) of final-normed hidden states (b, t, d).
    pub fn logits_of(&self, hidden: &Tensor) -> Result<Tensor> {
        Ok(self.lm_head.forward(hidden)?)
    }

    /// As [`Llama::forward_train`], but the final-normed hidden states (b, t, d) instead of
    /// logits, for heads other than the language model's (a PRM's score head).
    pub fn hidden_train(&self, tokens: &Tensor) -> Result<Tensor> {
        self.check_tokens(tokens)?;
        let (_b, t) = tokens.dims2()?;
        if t > self.cfg.max_position_embeddings {
            return Err(ModelError::Invalid(format!(
                "sequence of {t} tokens exceeds max_position_embeddings {}",
                self.cfg.max_position_embeddings
            )));
        }
        // Tables and mask follow the weights' dtype, so an f64 model (gradient checks) works.
        let dtype = self.embed_tokens.dtype();
        let cos = self.cos.narrow(0, 0, t)?.unsqueeze(0)?.to_dtype(dtype)?; // (1, t, hd/2)
        let sin = self.sin.narrow(0, 0, t)?.unsqueeze(0)?.to_dtype(dtype)?;
        let mut m = vec![0f32; t * t];
        for q in 0..t {
            for k in q + 1..t {
                m[q * t + k] = f32::NEG_INFINITY;
            }
        }
        let mask = Tensor::from_vec(m, (1, 1, 1, t, t), &self.device)?.to_dtype(dtype)?;
        let mut x = self.embed(tokens)?;
        for layer in &self.layers {
            x = layer.forward(&x, &cos, &sin, &mask, None, Ops::Train)?;
        }
        rms_norm(&x, &self.norm, self.cfg.rms_norm_eps, Ops::Train)
    }

    /// An empty cache for rows with the given left padding, holding at most `max_len` columns.
    pub fn new_cache(&self, pads: Vec<usize>, max_len: usize) -> Result<KvCache> {
        KvCache::new(
            self.cfg.num_hidden_layers,
            self.cfg.num_kv_heads(),
            self.cfg.head_dim(),
            pads,
            max_len,
            &self.device,
        )
    }

    /// Inference forward of `t` new columns per row: `tokens` (b, t) u32 are written at columns
    /// `cache.len()..` of every row. Returns logits (b, t, vocab) or, for [`Logits::Last`],
    /// (b, vocab).
    pub fn forward_cached(
        &self,
        tokens: &Tensor,
        cache: &mut KvCache,
        which: Logits,
    ) -> Result<Tensor> {
        self.check_tokens(tokens)?;
        let (b, t) = tokens.dims2()?;
        if b != cache.batch_size() {
            return Err(ModelError::Invalid(format!(
                "{b} token rows for a cache of {} rows",
                cache.batch_size()
            )));
        }
        if cache.len + t > cache.max_len {
            return Err(ModelError::Invalid(format!(
                "KV cache full: {} + {t} columns exceed its {} columns",
                cache.len, cache.max_len
            )));
        }
        let positions = cache.positions(t);
        if let Some(&p) = positions.iter().max() {
            if p as usize >= self.cfg.max_position_embeddings {
                return Err(ModelError::Invalid(format!(
                    "position {p} exceeds max_position_embeddings {}",
                    self.cfg.max_position_embeddings
                )));
            }
        }
        let pos = Tensor::new(positions.as_slice(), &self.device)?;
        let half = self.cfg.head_dim() / 2;
        let cos = self.cos.index_select(&pos, 0)?.reshape((b, t, half))?;
        let sin = self.sin.index_select(&pos, 0)?.reshape((b, t, half))?;
        // On CPU attention runs as one op over each query's visible columns and needs no mask.
        let mask = if self.device.is_cpu() {
            Tensor::zeros(1, DType::F32, &self.device)?
        } else {
            cache.mask(t, &self.device)?
        };
        let offset = cache.len;
        let mut x = self.embed(tokens)?;
        for (layer, kv) in self.layers.iter().zip(cache.layers.iter()) {
            let lc = LayerCache {
                kv,
                offset,
                pads: &cache.pads,
            };
            x = layer.forward(&x, &cos, &sin, &mask, Some(lc), Ops::Fused)?;
        }
        cache.len += t;
        let x = match which {
            Logits::All => x,
            Logits::Last => x.narrow(1, t - 1, 1)?,
        };
        let x = rms_norm(&x, &self.norm, self.cfg.rms_norm_eps, Ops::Fused)?;
        let logits = self.lm_head.forward(&x)?;
        Ok(match which {
            Logits::All => logits,
            Logits::Last => logits.squeeze(1)?,
        })
    }

    /// Prefills prompts of different lengths as one left-padded batch. Returns the cache (room
    /// for `extra` more columns) and the last-position logits (b, vocab).
    pub fn prefill(&self, prompts: &[&[u32]], extra: usize) -> Result<(KvCache, Tensor)> {
        let width = prompts.iter().map(|p| p.len()).max().unwrap_or(0);
        if width == 0 || prompts.iter().any(|p| p.is_empty()) {
            return Err(ModelError::Invalid(
                "prefill needs at least one prompt and no empty prompt".into(),
            ));
        }
        let pads: Vec<usize> = prompts.iter().map(|p| width - p.len()).collect();
        let mut ids = Vec::with_capacity(prompts.len() * width);
        for (p, &pad) in prompts.iter().zip(&pads) {
            ids.extend(std::iter::repeat_n(0u32, pad));
            ids.extend_from_slice(p);
        }
        let tokens = Tensor::from_vec(ids, (prompts.len(), width), &self.device)?;
        let mut cache = self.new_cache(pads, width + extra)?;
        let logits = self.forward_cached(&tokens, &mut cache, Logits::Last)?;
        Ok((cache, logits))
    }

    /// Named dense tensors of the model in HF layout (for saving). Quantized projections are
    /// dequantized.
    pub fn named_tensors(&self) -> Result<Vec<(String, Tensor)>> {
        let mut out = vec![(
            "model.embed_tokens.weight".to_string(),
            self.embed_tokens.clone(),
        )];
        let dense = |l: &Linear| -> Result<Tensor> {
            Ok(match l {
                Linear::Dense(w) => w.clone(),
                Linear::Quantized { mm, .. } => match mm {
                    candle_core::quantized::QMatMul::QTensor(q) => q.dequantize(&self.device)?,
                    candle_core::quantized::QMatMul::Tensor(w) => w.clone(),
                    candle_core::quantized::QMatMul::TensorF16(w) => w.to_dtype(DType::F32)?,
                },
                Linear::BlockInt8(m) => {
                    Tensor::from_vec(m.dequantize(), (m.rows(), m.cols()), &self.device)?
                }
            })
        };
        for (i, l) in self.layers.iter().enumerate() {
            let p = format!("model.layers.{i}");
            let a = &l.self_attn;
            for (name, lin) in [
                ("self_attn.q_proj", &a.q_proj),
                ("self_attn.k_proj", &a.k_proj),
                ("self_attn.v_proj", &a.v_proj),
                ("self_attn.o_proj", &a.o_proj),
                ("mlp.gate_proj", &l.mlp.gate_proj),
                ("mlp.up_proj", &l.mlp.up_proj),
                ("mlp.down_proj", &l.mlp.down_proj),
            ] {
                out.push((format!("{p}.{name}.weight"), dense(lin)?));
            }
            out.push((
                format!("{p}.input_layernorm.weight"),
                l.input_layernorm.clone(),
            ));
            out.push((
                format!("{p}.post_attention_layernorm.weight"),
                l.post_attention_layernorm.clone(),
            ));
        }
        out.push(("model.norm.weight".to_string(), self.norm.clone()));
        if !self.cfg.tie_word_embeddings {
            out.push(("lm_head.weight".to_string(), dense(&self.lm_head)?));
        }
        Ok(out)
    }
}

/// cos/sin of `pos * theta^(-2i/hd)` for every position: (max_pos, hd/2).
fn rope_tables(cfg: &Config, device: &Device) -> Result<(Tensor, Tensor)> {
    let hd = cfg.head_dim();
    let inv: Vec<f32> = (0..hd / 2)
        .map(|i| 1.0 / (cfg.rope_theta as f32).powf(2.0 * i as f32 / hd as f32))
        .collect();
    let n = cfg.max_position_embeddings;
    let inv = Tensor::from_vec(inv, (1, hd / 2), device)?;
    let pos = Tensor::arange(0u32, n as u32, device)?
        .to_dtype(DType::F32)?
        .reshape((n, 1))?;
    let freqs = pos.broadcast_mul(&inv)?;
    Ok((freqs.cos()?, freqs.sin()?))
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;

//! The KV cache of the inference path, owned by the caller rather than hidden in the model.
//!
//! Each layer has two preallocated buffers `(b, n_kv, max_len, head_dim)` written in place with
//! `slice_set`, so a decode step copies only the new column instead of re-concatenating the whole
//! history. Rows share one column counter (`len`); rows with shorter prompts are left-padded and
//! carry their pad width, from which per-row positions and the padding mask follow.

use candle_core::{DType, Device, Tensor};

use crate::error::{ModelError, Result};

#[derive(Debug, Clone)]
pub struct KvCache {
    /// Per layer `(k, v)`, each `(b, n_kv, max_len, head_dim)`.
    pub(crate) layers: Vec<(Tensor, Tensor)>,
    /// Columns filled so far (shared by all rows).
    pub(crate) len: usize,
    /// Left padding of each row: columns `< pads[i]` of row `i` are never attended to.
    pub(crate) pads: Vec<usize>,
    pub(crate) max_len: usize,
}

impl KvCache {
    /// An empty cache for `pads.len()` rows holding at most `max_len` columns.
    pub fn new(
        num_layers: usize,
        num_kv_heads: usize,
        head_dim: usize,
        pads: Vec<usize>,
        max_len: usize,
        device: &Device,
    ) -> Result<Self> {
        let b = pads.len();
        if b == 0 {
            return Err(ModelError::Invalid(
                "a KV cache needs at least one row".into(),
            ));
        }
        let mut layers = Vec::with_capacity(num_layers);
        for _ in 0..num_layers {
            let k = Tensor::zeros((b, num_kv_heads, max_len, head_dim), DType::F32, device)?;
            let v = Tensor::zeros((b, num_kv_heads, max_len, head_dim), DType::F32, device)?;
            layers.push((k, v));
        }
        Ok(KvCache {
            layers,
            len: 0,
            pads,
            max_len,
        })
    }

    pub fn batch_size(&self) -> usize {
        self.pads.len()
    }

    /// Columns filled so far.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn max_len(&self) -> usize {
        self.max_len
    }

    pub fn pads(&self) -> &[usize] {
        &self.pads
    }

    /// A new cache whose row `j` is a copy of row `rows[j]` of this one: one prefill shared by
    /// N attempts (`rows = [0; N]`), or dropping finished rows from a batch.
    pub fn fork(&self, rows: &[usize]) -> Result<KvCache> {
        if rows.is_empty() {
            return Err(ModelError::Invalid("fork needs at least one row".into()));
        }
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.batch_size()) {
            return Err(ModelError::Invalid(format!(
                "fork: row {bad} out of range for a cache of {} rows",
                self.batch_size()
            )));
        }
        let device = match self.layers.first() {
            Some((k, _)) => k.device().clone(),
            None => Device::Cpu,
        };
        let idx: Vec<u32> = rows.iter().map(|&r| r as u32).collect();
        let idx = Tensor::new(idx.as_slice(), &device)?;
        let mut layers = Vec::with_capacity(self.layers.len());
        for (k, v) in &self.layers {
            layers.push((k.index_select(&idx, 0)?, v.index_select(&idx, 0)?));
        }
        Ok(KvCache {
            layers,
            len: self.len,
            pads: rows.iter().map(|&r| self.pads[r]).collect(),
            max_len: self.max_len,
        })
    }

    /// The rope position of every new column `len..len+t` of every row: `(b, t)` row-major.
    /// Pad columns get position 0 (their outputs are never read).
    pub(crate) fn positions(&self, t: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(self.batch_size() * t);
        for &pad in &self.pads {
            for c in self.len..self.len + t {
                out.push(c.saturating_sub(pad) as u32);
            }
        }
        out
    }

    /// Additive attention mask `(b, 1, 1, t, len + t)` for `t` new columns: 0 where visible,
    /// -inf where not. A query sees keys at or before it and not in its row's padding; a padding
    /// query also sees itself, so its softmax stays finite (its output is never used).
    pub(crate) fn mask(&self, t: usize, device: &Device) -> Result<Tensor> {
        let kv = self.len + t;
        let b = self.batch_size();
        let mut m = vec![0f32; b * t * kv];
        for (i, &pad) in self.pads.iter().enumerate() {
            for q in 0..t {
                let c = self.len + q;
                for j in 0..kv {
                    let visible = (j <= c && j >= pad) || j == c;
                    if !visible {
                        m[(i * t + q) * kv + j] = f32::NEG_INFINITY;
                    }
                }
            }
        }
        Ok(Tensor::from_vec(m, (b, 1, 1, t, kv), device)?)
    }
}

//! Quantized weights kept as the file's exact integers (one `i8` per weight, an f32 scale and
//! offset per block of 32) and multiplied against **f32 activations**.
//!
//! candle's quantized matmul quantizes the activations to 8 bits before its integer dot product.
//! On SmolLM2 that moves logits by up to ~1.5 and flips near-tied top-1 tokens against the
//! dequantized model. Here activations stay f32, so a quantized model computes the dequantized
//! model's function up to summation order.
//!
//! Every output element is produced by one fixed sequence of operations whatever the number of
//! activation rows or threads, so a row gives bit-identical results alone or in a batch of 64.
//!
//! Q4_0, Q4_1 and Q8_0 blocks convert exactly (their values are `d·q + m` with small integers
//! `q`); other GGML types are not handled here (`from_qtensor` returns `None`).

mod kernel;

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape};
use half::f16;

use crate::parallel::{for_ranges, SharedMut};

/// Weights per block (the GGML block size of Q4_0, Q4_1 and Q8_0).
pub const BLOCK: usize = 32;

/// Rows stored interleaved, block by block, so a tile of this many rows reads one sequential
/// stream (four separate row streams defeated the prefetcher on matrices larger than the cache).
const GROUP: usize = 4;

/// A `(rows, cols)` weight matrix of blocks of 32 values `scale · q + min`.
///
/// Layout: the first `rows / 4 · 4` rows in groups of four, each group storing block 0 of its four
/// rows, then block 1 of its four rows, ...; the remaining rows one after another. Block `b` of
/// row `r` is block number `start(r) + b · stride(r)` of `qs` (32 integers each), `scales` and
/// `mins` (see [`BlockInt8Matrix::row_blocks`]).
#[derive(Debug, Clone)]
pub struct BlockInt8Matrix {
    rows: usize,
    cols: usize,
    qs: Vec<i8>,
    scales: Vec<f32>,
    mins: Option<Vec<f32>>, // only for offset formats (Q4_1)
}

/// A matrix in plain row-major order, before packing.
struct RowMajor {
    rows: usize,
    cols: usize,
    qs: Vec<i8>,            // (rows, cols)
    scales: Vec<f32>,       // (rows, cols / 32)
    mins: Option<Vec<f32>>, // (rows, cols / 32)
}

/// Row `r`'s blocks in a `(rows, cols)` matrix: block `b` is block number `start + b · stride`.
fn row_blocks(rows: usize, cols: usize, r: usize) -> (usize, usize) {
    let nb = cols / BLOCK;
    let grouped = rows / GROUP * GROUP;
    if r < grouped {
        (r / GROUP * GROUP * nb + r % GROUP, GROUP)
    } else {
        (r * nb, 1)
    }
}

/// For each block in row-major order (`r · nb + b`), its number in the packed layout.
fn packed_order(rows: usize, cols: usize) -> Vec<usize> {
    let nb = cols / BLOCK;
    (0..rows)
        .flat_map(|r| {
            let (start, stride) = row_blocks(rows, cols, r);
            (0..nb).map(move |b| start + b * stride)
        })
        .collect()
}

/// Blocks moved so that block `i` of the inputs lands at `to(i)`.
fn relayout(
    qs: &[i8],
    scales: &[f32],
    mins: Option<&[f32]>,
    to: impl Fn(usize) -> usize,
) -> (Vec<i8>, Vec<f32>, Option<Vec<f32>>) {
    let mut out_qs = vec![0; qs.len()];
    let mut out_scales = vec![0.0; scales.len()];
    let mut out_mins = mins.map(|m| vec![0.0; m.len()]);
    for (i, block) in qs.chunks_exact(BLOCK).enumerate() {
        let j = to(i);
        out_qs[j * BLOCK..(j + 1) * BLOCK].copy_from_slice(block);
        out_scales[j] = scales[i];
        if let (Some(dst), Some(src)) = (out_mins.as_mut(), mins) {
            dst[j] = src[i];
        }
    }
    (out_qs, out_scales, out_mins)
}

fn f16_at(bytes: &[u8], at: usize) -> f32 {
    f16::from_le_bytes([bytes[at], bytes[at + 1]]).to_f32()
}

impl BlockInt8Matrix {
    /// The exact integers of a 2-D Q4_0, Q4_1 or Q8_0 tensor; `None` for other types or shapes.
    pub fn from_qtensor(q: &QTensor) -> candle_core::Result<Option<Self>> {
        let dtype = q.dtype();
        if !matches!(dtype, GgmlDType::Q4_0 | GgmlDType::Q4_1 | GgmlDType::Q8_0) {
            return Ok(None);
        }
        let Ok((rows, cols)) = q.shape().dims2() else {
            return Ok(None);
        };
        if cols % BLOCK != 0 {
            return Ok(None);
        }
        let data = q.data()?;
        let n_blocks = rows * cols / BLOCK;
        let block_bytes = dtype.type_size();
        if data.len() != n_blocks * block_bytes {
            candle_core::bail!(
                "{dtype:?} tensor of shape ({rows}, {cols}) holds {} bytes, expected {}",
                data.len(),
                n_blocks * block_bytes
            );
        }
        let mut qs = vec![0i8; rows * cols];
        let mut scales = vec![0f32; n_blocks];
        let mut mins = (dtype == GgmlDType::Q4_1).then(|| vec![0f32; n_blocks]);
        for (b, block) in data.chunks_exact(block_bytes).enumerate() {
            let out = &mut qs[b * BLOCK..(b + 1) * BLOCK];
            scales[b] = f16_at(block, 0);
            match dtype {
                GgmlDType::Q8_0 => {
                    for (o, &byte) in out.iter_mut().zip(&block[2..34]) {
                        *o = byte as i8;
                    }
                }
                GgmlDType::Q4_0 | GgmlDType::Q4_1 => {
                    // Low nibbles are weights 0..16, high nibbles 16..32 (GGML's layout).
                    let (packed, bias) = if dtype == GgmlDType::Q4_0 {
                        (&block[2..18], 8)
                    } else {
                        if let Some(m) = mins.as_mut() {
                            m[b] = f16_at(block, 2);
                        }
                        (&block[4..20], 0)
                    };
                    for (j, &byte) in packed.iter().enumerate() {
                        out[j] = (byte & 0x0F) as i8 - bias;
                        out[j + 16] = (byte >> 4) as i8 - bias;
                    }
                }
                _ => unreachable!("dtype checked above"),
            }
        }
        Ok(Some(Self::pack(RowMajor {
            rows,
            cols,
            qs,
            scales,
            mins,
        })))
    }

    /// Where row `r`'s blocks are: block `b` is block number `start + b · stride`.
    fn row_blocks(&self, r: usize) -> (usize, usize) {
        row_blocks(self.rows, self.cols, r)
    }

    fn pack(m: RowMajor) -> Self {
        let order = packed_order(m.rows, m.cols);
        let (qs, scales, mins) =
            relayout(&m.qs, &m.scales, m.mins.as_deref(), |plain| order[plain]);
        BlockInt8Matrix {
            rows: m.rows,
            cols: m.cols,
            qs,
            scales,
            mins,
        }
    }

    fn row_major(&self) -> RowMajor {
        let order = packed_order(self.rows, self.cols);
        let mut unpacked = vec![0; order.len()];
        for (plain, &packed) in order.iter().enumerate() {
            unpacked[packed] = plain;
        }
        let (qs, scales, mins) = relayout(&self.qs, &self.scales, self.mins.as_deref(), |i| {
            unpacked[i]
        });
        RowMajor {
            rows: self.rows,
            cols: self.cols,
            qs,
            scales,
            mins,
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// One matrix whose rows are those of `parts` stacked; `None` when widths or formats differ.
    pub fn stack(parts: &[&BlockInt8Matrix]) -> Option<BlockInt8Matrix> {
        let first = parts.first()?;
        let offsets = first.mins.is_some();
        if parts
            .iter()
            .any(|p| p.cols != first.cols || p.mins.is_some() != offsets)
        {
            return None;
        }
        let plain: Vec<RowMajor> = parts.iter().map(|p| p.row_major()).collect();
        Some(Self::pack(RowMajor {
            rows: plain.iter().map(|p| p.rows).sum(),
            cols: first.cols,
            qs: plain.iter().flat_map(|p| p.qs.iter().copied()).collect(),
            scales: plain
                .iter()
                .flat_map(|p| p.scales.iter().copied())
                .collect(),
            mins: offsets.then(|| {
                plain
                    .iter()
                    .flat_map(|p| p.mins.iter().flatten().copied())
                    .collect()
            }),
        }))
    }

    /// The values as f32, row-major `(rows, cols)`, computed as GGML dequantizes them.
    pub fn dequantize(&self) -> Vec<f32> {
        let m = self.row_major();
        let mut out = Vec::with_capacity(m.rows * m.cols);
        for (b, q) in m.qs.chunks_exact(BLOCK).enumerate() {
            let d = m.scales[b];
            match &m.mins {
                Some(mins) => out.extend(q.iter().map(|&v| v as f32 * d + mins[b])),
                None => out.extend(q.iter().map(|&v| v as f32 * d)),
            }
        }
        out
    }

    /// `y = x Wᵀ`: `x` is `(m, cols)` row-major, the result `(m, rows)`.
    pub fn matmul(&self, x: &[f32], m: usize) -> Vec<f32> {
        self.matmul_with(kernel::select(), x, m)
    }

    fn matmul_with(&self, kernel: kernel::Kernel, x: &[f32], m: usize) -> Vec<f32> {
        assert_eq!(x.len(), m * self.cols, "activation length");
        // Σ x over each block, for kernels that add the offsets as Σ_b min_b · Σ_i x_i.
        let x_sums: Vec<f32> = match self.mins {
            Some(_) if kernel.needs_sums() => {
                x.chunks_exact(BLOCK).map(kernel::block_sum).collect()
            }
            _ => Vec::new(),
        };
        let acts = kernel::Activations { x, sums: &x_sums };
        // Tasks take disjoint ranges of weight rows and write those columns of the output.
        let mut out = vec![0f32; m * self.rows];
        let shared = SharedMut::new(&mut out);
        // Work units: whole groups of four rows, then the remaining rows one by one.
        let groups = self.rows / GROUP;
        let units = groups + self.rows % GROUP;
        let unit_row = |u: usize| {
            if u <= groups {
                u * GROUP
            } else {
                groups * GROUP + (u - groups)
            }
        };
        for_ranges(units, |range| {
            let rows = unit_row(range.start)..unit_row(range.end);
            let out = kernel::Out {
                y: &shared,
                ld: self.rows,
                j0: rows.start,
            };
            // SAFETY: unit ranges of one call are disjoint, so their row ranges are too: output
            // columns `rows` are written by this task only.
            unsafe { kernel.run(self, rows, acts, &out) };
        });
        out
    }
}

/// The matmul as a candle op on CPU tensors: `x` `(m, cols)` f32 → `(m, rows)`.
pub struct BlockInt8MatMul<'a>(pub &'a BlockInt8Matrix);

impl CustomOp1 for BlockInt8MatMul<'_> {
    fn name(&self) -> &'static str {
        "block-int8-matmul"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let w = self.0;
        let (m, cols) = layout.shape().dims2()?;
        if cols != w.cols {
            candle_core::bail!(
                "block-int8 matmul: input width {cols}, weight width {}",
                w.cols
            );
        }
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("block-int8 matmul: input must be contiguous");
        };
        let x = &storage.as_slice::<f32>()?[start..end];
        let y = w.matmul(x, m);
        Ok((CpuStorage::F32(y), Shape::from((m, w.rows))))
    }
}

#[cfg(test)]
mod tests;

//! Quantized weights kept as the file's exact integers (one `i8` per weight, an f32 scale and
//! offset per block of 32), multiplied against activations rounded to **16-bit integers** per
//! block of 32 (an f32 scale each), in exact integer arithmetic.
//!
//! candle's quantized matmul (like llama.cpp's) rounds activations to 8 bits before its integer
//! dot product; on SmolLM2 that moves logits by up to ~1.5 and flips near-tied top-1 tokens
//! against the dequantized model. Sixteen bits are 256 times finer (an element's error is at most
//! 1/65534 of its block's largest magnitude), and 16 × 8-bit products summed in pairs are the
//! operand of the CPU's pairwise integer multiply-add (`vpdpwssd`, `vpmaddwd`): twice as many
//! multiply-adds per instruction as f32, with no conversion of the weights to floating point.
//!
//! A block's integer dot product is exact, so it is the same in every kernel; each output then
//! takes, block by block, one fused multiply-add `total += f32(Σ q·x) · (scale · x_scale)` (and
//! `total += min · x_scale·Σx` for offset formats). Every kernel — AVX-512, AVX2, portable —
//! follows that one sequence, so results are the same bits on every CPU, and a row gives the same
//! bits alone or in a batch of any size.
//!
//! Q4_0, Q4_1 and Q8_0 blocks convert exactly (their values are `d·q + m` with small integers
//! `q`); other GGML types are not handled here (`from_qtensor` returns `None`).

mod activations;
mod kernel;

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{CpuStorage, CustomOp1, Layout, Shape};
use half::f16;

use std::mem::MaybeUninit;

use crate::parallel::{filled_vec, for_ranges, SharedMut};
use activations::QuantizedRows;

/// Weights per block (the GGML block size of Q4_0, Q4_1 and Q8_0).
pub const BLOCK: usize = 32;

/// Weight rows (output columns) per tile: one 512-bit vector of i32 or f32 lanes.
pub const TILE: usize = 16;

/// Bytes of one tile's block: 16 pairs of input columns × 16 rows × 2 weights.
const TILE_BLOCK: usize = TILE * BLOCK;

/// A `(rows, cols)` weight matrix of blocks of 32 values `scale · q + min`.
///
/// Layout: rows in tiles of 16 (the last one padded with zero rows). Tile `t`'s block `b` is the
/// 512 bytes at `(t · nb + b) · 512` of `qs`: for each pair `p` of the block's 32 input columns,
/// 32 bytes holding, for each row `c` of the tile, its weights at columns `2p` and `2p + 1`. Those
/// 32 bytes sign-extend into exactly the 16 × 2 operand of a pairwise multiply-add whose lanes
/// are the tile's 16 outputs. `scales` and `mins` are `(tiles, nb, 16)`, so the 16 scales a tile's
/// block needs are one vector.
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

/// Where weight `(r, k)` sits in the packed `qs` of a matrix with `nb` blocks per row.
fn q_index(nb: usize, r: usize, k: usize) -> usize {
    let (t, c) = (r / TILE, r % TILE);
    let (b, kk) = (k / BLOCK, k % BLOCK);
    (t * nb + b) * TILE_BLOCK + (kk / 2) * (2 * TILE) + 2 * c + kk % 2
}

/// Where the scale (and offset) of row `r`'s block `b` sits in the packed `scales` (`mins`).
fn scale_index(nb: usize, r: usize, b: usize) -> usize {
    (r / TILE * nb + b) * TILE + r % TILE
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
        if cols == 0 || cols % BLOCK != 0 {
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

    fn tiles(&self) -> usize {
        self.rows.div_ceil(TILE)
    }

    fn pack(m: RowMajor) -> Self {
        let nb = m.cols / BLOCK;
        let padded = m.rows.div_ceil(TILE) * TILE;
        let mut qs = vec![0i8; padded * m.cols];
        let mut scales = vec![0f32; padded * nb];
        let mut mins = m.mins.as_ref().map(|_| vec![0f32; padded * nb]);
        for r in 0..m.rows {
            for (k, &q) in m.qs[r * m.cols..(r + 1) * m.cols].iter().enumerate() {
                qs[q_index(nb, r, k)] = q;
            }
            for b in 0..nb {
                let at = scale_index(nb, r, b);
                scales[at] = m.scales[r * nb + b];
                if let (Some(dst), Some(src)) = (mins.as_mut(), m.mins.as_ref()) {
                    dst[at] = src[r * nb + b];
                }
            }
        }
        BlockInt8Matrix {
            rows: m.rows,
            cols: m.cols,
            qs,
            scales,
            mins,
        }
    }

    fn row_major(&self) -> RowMajor {
        let (rows, cols) = (self.rows, self.cols);
        let nb = cols / BLOCK;
        let mut qs = Vec::with_capacity(rows * cols);
        let mut scales = Vec::with_capacity(rows * nb);
        let mut mins = self.mins.as_ref().map(|_| Vec::with_capacity(rows * nb));
        for r in 0..rows {
            qs.extend((0..cols).map(|k| self.qs[q_index(nb, r, k)]));
            for b in 0..nb {
                let at = scale_index(nb, r, b);
                scales.push(self.scales[at]);
                if let (Some(dst), Some(src)) = (mins.as_mut(), self.mins.as_ref()) {
                    dst.push(src[at]);
                }
            }
        }
        RowMajor {
            rows,
            cols,
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
        let acts = QuantizedRows::new(x, self.cols, self.mins.is_some());
        self.matmul_quantized(kernel, &acts)
    }

    /// `y = x Wᵀ` for activations already rounded to 16 bits (see [`QuantizedRows`]).
    fn matmul_quantized(&self, kernel: kernel::Kernel, x: &QuantizedRows) -> Vec<f32> {
        assert_eq!(x.cols(), self.cols, "activation width");
        assert!(
            self.mins.is_none() || x.has_sums(),
            "offset weights need block sums"
        );
        let fill = |y: &SharedMut<MaybeUninit<f32>>| {
            let target = kernel::Out { y, ld: self.rows };
            // Tasks take disjoint ranges of tiles and write those columns of the output.
            for_ranges(self.tiles(), |tiles| {
                // SAFETY: the tile ranges of one call are disjoint, so are their columns.
                unsafe { kernel.run(self, tiles, x, &target) };
            });
        };
        // SAFETY: the tile ranges cover every tile, and a kernel writes every row of each of its
        // tiles' columns.
        unsafe { filled_vec(x.rows() * self.rows, fill) }
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

//! Loading GGUF llama files (`general.architecture = "llama"`, `llama.*` metadata) into the
//! decoder, dequantized to f32 or kept quantized.
//!
//! GGUF stores the Q and K projections with rows permuted for llama.cpp's interleaved rope; this
//! model uses HF's half-rotation rope, so the rows are put back in HF order at load:
//! `reshape(n_head, hd/2, 2, in) → transpose(1, 2) → reshape(d, in)` on f32 tensors, the same
//! row shuffle on the raw bytes of quantized rows (quantization blocks never straddle rows).

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::{gguf_file, GgmlDType, QStorage, QTensor};
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;

use super::config::{Config, EosIds};
use super::linear::QuantKernel;
use super::model::{Llama, QuantWeights};
use crate::error::{ModelError, Result};

/// How the projection weights of a GGUF file are held in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GgufWeights {
    /// Dequantized to f32 (trainable layout; fastest for large batches).
    F32,
    /// Re-quantized to Q8_0 and run by candle's integer kernel (activations quantized to 8
    /// bits; candle has a fast Q8_0 dot product and none for Q4_1).
    Q8_0,
    /// The file's own quantized integers, run on CPU by mull's 16-bit-activation kernel
    /// ([`crate::block_int8`]) for Q4_0, Q4_1 and Q8_0, by candle's for other types.
    Native,
}

fn bad(path: &Path, message: impl Into<String>) -> ModelError {
    ModelError::BadFile {
        path: path.to_path_buf(),
        message: message.into(),
    }
}

/// Opens and parses the GGUF header, with errors that name the file and what was expected.
pub fn read_content(path: &Path) -> Result<(gguf_file::Content, BufReader<File>)> {
    let file = File::open(path).map_err(|source| ModelError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let mut magic = [0u8; 4];
    if reader.read_exact(&mut magic).is_err() || &magic != b"GGUF" {
        return Err(bad(
            path,
            "not a GGUF file (expected the magic bytes \"GGUF\")",
        ));
    }
    use std::io::Seek;
    reader
        .seek(std::io::SeekFrom::Start(0))
        .map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let content = gguf_file::Content::read(&mut reader)
        .map_err(|e| bad(path, format!("unreadable GGUF header: {e}")))?;
    Ok((content, reader))
}

fn md_u32(ct: &gguf_file::Content, path: &Path, key: &str) -> Result<usize> {
    ct.metadata
        .get(key)
        .ok_or_else(|| bad(path, format!("GGUF metadata lacks {key}")))?
        .to_u32()
        .map(|v| v as usize)
        .map_err(|e| bad(path, format!("GGUF metadata {key}: {e}")))
}

fn md_f32(ct: &gguf_file::Content, key: &str) -> Option<f32> {
    ct.metadata.get(key).and_then(|v| v.to_f32().ok())
}

/// The architecture string of a GGUF file.
pub fn architecture(ct: &gguf_file::Content) -> Option<String> {
    ct.metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
}

/// Builds the decoder config from `llama.*` metadata.
pub fn config_from_gguf(ct: &gguf_file::Content, path: &Path) -> Result<Config> {
    match architecture(ct).as_deref() {
        Some("llama") => {}
        Some(other) => {
            return Err(bad(
                path,
                format!("unsupported architecture {other:?} (expected \"llama\")"),
            ))
        }
        None => return Err(bad(path, "GGUF metadata lacks general.architecture")),
    }
    let hidden = md_u32(ct, path, "llama.embedding_length")?;
    let vocab = match ct.tensor_infos.get("token_embd.weight") {
        Some(info) => info.shape.dims().first().copied().unwrap_or(0),
        None => return Err(bad(path, "GGUF file lacks tensor token_embd.weight")),
    };
    let eos = ct
        .metadata
        .get("tokenizer.ggml.eos_token_id")
        .and_then(|v| v.to_u32().ok());
    let bos = ct
        .metadata
        .get("tokenizer.ggml.bos_token_id")
        .and_then(|v| v.to_u32().ok());
    let heads = md_u32(ct, path, "llama.attention.head_count")?;
    let cfg = Config {
        hidden_size: hidden,
        intermediate_size: md_u32(ct, path, "llama.feed_forward_length")?,
        num_hidden_layers: md_u32(ct, path, "llama.block_count")?,
        num_attention_heads: heads,
        num_key_value_heads: Some(
            md_u32(ct, path, "llama.attention.head_count_kv").unwrap_or(heads),
        ),
        rms_norm_eps: md_f32(ct, "llama.attention.layer_norm_rms_epsilon").unwrap_or(1e-5) as f64,
        rope_theta: md_f32(ct, "llama.rope.freq_base").unwrap_or(10_000.0) as f64,
        vocab_size: vocab,
        max_position_embeddings: md_u32(ct, path, "llama.context_length").unwrap_or(2048),
        tie_word_embeddings: !ct.tensor_infos.contains_key("output.weight"),
        bos_token_id: bos,
        eos_token_id: eos.map(EosIds::One),
        model_type: "llama".into(),
    };
    cfg.validate().map_err(|m| bad(path, m))?;
    Ok(cfg)
}

/// Row `r` of the HF layout comes from row `perm[r]` of the GGUF layout.
fn unpermute_rows(n_head: usize, rows: usize) -> Vec<usize> {
    let hd = rows / n_head;
    let half = hd / 2;
    let mut perm = Vec::with_capacity(rows);
    for h in 0..n_head {
        for j in 0..2 {
            for i in 0..half {
                perm.push(h * hd + i * 2 + j);
            }
        }
    }
    perm
}

fn unpermute_f32(w: &Tensor, n_head: usize) -> Result<Tensor> {
    let (d, inp) = w.dims2()?;
    Ok(w.reshape((n_head, d / n_head / 2, 2, inp))?
        .transpose(1, 2)?
        .reshape((d, inp))?)
}

fn unpermute_quantized(q: &QTensor, n_head: usize, device: &Device) -> Result<QTensor> {
    let (rows, inp) = q.shape().dims2()?;
    let dtype = q.dtype();
    let row_bytes = inp / dtype.block_size() * dtype.type_size();
    let data = q.data()?;
    let mut out = Vec::with_capacity(data.len());
    for src in unpermute_rows(n_head, rows) {
        out.extend_from_slice(&data[src * row_bytes..(src + 1) * row_bytes]);
    }
    let storage = QStorage::from_data(std::borrow::Cow::Owned(out), device, dtype)?;
    Ok(QTensor::new(storage, (rows, inp))?)
}

/// Loads a GGUF llama file. Returns the model and the parsed header (for the tokenizer).
pub fn load_gguf(
    path: &Path,
    weights: GgufWeights,
    device: &Device,
) -> Result<(Llama, gguf_file::Content)> {
    let (ct, mut reader) = read_content(path)?;
    let cfg = config_from_gguf(&ct, path)?;
    let mut read = |name: &str| -> Result<QTensor> {
        ct.tensor(&mut reader, name, device).map_err(|e| {
            bad(
                path,
                format!("cannot read tensor {name} (file truncated or corrupt?): {e}"),
            )
        })
    };
    let mut dense: HashMap<String, Tensor> = HashMap::new();
    let mut quant: QuantWeights = HashMap::new();
    let deq = |q: &QTensor| -> Result<Tensor> { Ok(q.dequantize(device)?.to_dtype(DType::F32)?) };

    let embed = read("token_embd.weight")?;
    dense.insert("model.embed_tokens.weight".into(), deq(&embed)?);
    dense.insert(
        "model.norm.weight".into(),
        deq(&read("output_norm.weight")?)?,
    );
    let head = if cfg.tie_word_embeddings {
        None
    } else {
        Some(read("output.weight")?)
    };

    // Puts one projection in the dense or the quantized map, in the requested form.
    let put = |dense: &mut HashMap<String, Tensor>,
               quant: &mut QuantWeights,
               hf: String,
               q: QTensor,
               n_head: Option<usize>|
     -> Result<()> {
        match weights {
            GgufWeights::F32 => {
                let mut w = deq(&q)?;
                if let Some(n) = n_head {
                    w = unpermute_f32(&w, n)?;
                }
                dense.insert(hf, w);
            }
            GgufWeights::Q8_0 if q.dtype() != GgmlDType::Q8_0 => {
                let mut w = deq(&q)?;
                if let Some(n) = n_head {
                    w = unpermute_f32(&w, n)?;
                }
                quant.insert(hf, Arc::new(QTensor::quantize(&w, GgmlDType::Q8_0)?));
            }
            GgufWeights::Q8_0 | GgufWeights::Native => {
                let q = match n_head {
                    Some(n) => unpermute_quantized(&q, n, device)?,
                    None => q,
                };
                quant.insert(hf, Arc::new(q));
            }
        }
        Ok(())
    };

    for i in 0..cfg.num_hidden_layers {
        let g = format!("blk.{i}");
        let h = format!("model.layers.{i}");
        put(
            &mut dense,
            &mut quant,
            format!("{h}.self_attn.q_proj.weight"),
            read(&format!("{g}.attn_q.weight"))?,
            Some(cfg.num_attention_heads),
        )?;
        put(
            &mut dense,
            &mut quant,
            format!("{h}.self_attn.k_proj.weight"),
            read(&format!("{g}.attn_k.weight"))?,
            Some(cfg.num_kv_heads()),
        )?;
        put(
            &mut dense,
            &mut quant,
            format!("{h}.self_attn.v_proj.weight"),
            read(&format!("{g}.attn_v.weight"))?,
            None,
        )?;
        put(
            &mut dense,
            &mut quant,
            format!("{h}.self_attn.o_proj.weight"),
            read(&format!("{g}.attn_output.weight"))?,
            None,
        )?;
        put(
            &mut dense,
            &mut quant,
            format!("{h}.mlp.gate_proj.weight"),
            read(&format!("{g}.ffn_gate.weight"))?,
            None,
        )?;
        put(
            &mut dense,
            &mut quant,
            format!("{h}.mlp.up_proj.weight"),
            read(&format!("{g}.ffn_up.weight"))?,
            None,
        )?;
        put(
            &mut dense,
            &mut quant,
            format!("{h}.mlp.down_proj.weight"),
            read(&format!("{g}.ffn_down.weight"))?,
            None,
        )?;
        dense.insert(
            format!("{h}.input_layernorm.weight"),
            deq(&read(&format!("{g}.attn_norm.weight"))?)?,
        );
        dense.insert(
            format!("{h}.post_attention_layernorm.weight"),
            deq(&read(&format!("{g}.ffn_norm.weight"))?)?,
        );
    }
    // The output projection: its own tensor, or the embedding when tied. Quantized modes keep a
    // quantized copy of a tied embedding for the projection (the lookup stays f32).
    match (weights, head) {
        (GgufWeights::F32, Some(h)) => {
            put(&mut dense, &mut quant, "lm_head.weight".into(), h, None)?
        }
        (GgufWeights::F32, None) => {}
        (_, Some(h)) => put(&mut dense, &mut quant, "lm_head.weight".into(), h, None)?,
        (_, None) => put(&mut dense, &mut quant, "lm_head.weight".into(), embed, None)?,
    }
    let vb = VarBuilder::from_tensors(dense, DType::F32, device);
    let quant_ref = if quant.is_empty() { None } else { Some(&quant) };
    let kernel = match weights {
        GgufWeights::Native => QuantKernel::BlockInt8,
        GgufWeights::F32 | GgufWeights::Q8_0 => QuantKernel::Candle,
    };
    let model = Llama::new_with_quant(&cfg, vb, quant_ref, kernel)
        .map_err(|e| bad(path, format!("unexpected GGUF llama layout: {e}")))?;
    Ok((model, ct))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::max_abs_diff;

    #[test]
    fn row_unpermutation_matches_tensor_reshape() {
        // 2 heads of dim 4, 3 input columns; each row holds its own index.
        let rows = 8;
        let w: Vec<f32> = (0..rows).flat_map(|r| [r as f32; 3]).collect();
        let w = Tensor::from_vec(w, (rows, 3), &Device::Cpu).unwrap();
        let by_tensor = unpermute_f32(&w, 2).unwrap().to_vec2::<f32>().unwrap();
        let perm = unpermute_rows(2, rows);
        for (r, row) in by_tensor.iter().enumerate() {
            assert_eq!(row[0] as usize, perm[r]);
        }
        assert_eq!(perm, vec![0, 2, 1, 3, 4, 6, 5, 7]);
    }

    #[test]
    fn quantized_row_shuffle_matches_f32() {
        let w = Tensor::randn(0f32, 1.0, (8, 64), &Device::Cpu).unwrap();
        let q = QTensor::quantize(&w, GgmlDType::Q8_0).unwrap();
        let a = unpermute_quantized(&q, 2, &Device::Cpu)
            .unwrap()
            .dequantize(&Device::Cpu)
            .unwrap();
        let b = unpermute_f32(&q.dequantize(&Device::Cpu).unwrap(), 2).unwrap();
        let diff = max_abs_diff(&a, &b);
        assert_eq!(diff, 0.0);
    }

    #[test]
    fn non_gguf_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("model.gguf");
        std::fs::write(&path, b"this is not a model").unwrap();
        let err = load_gguf(&path, GgufWeights::F32, &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("model.gguf") && err.contains("not a GGUF file"),
            "{err}"
        );
        let missing = dir.path().join("absent.gguf");
        let err = load_gguf(&missing, GgufWeights::F32, &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(err.contains("absent.gguf"), "{err}");
    }

    /// Writes `model` as a GGUF llama file the way llama.cpp's converter does (Q/K rows permuted
    /// for interleaved rope), with projections stored as `dtype`.
    fn write_tiny_gguf(model: &Llama, path: &Path, dtype: GgmlDType, arch: &str) {
        use gguf_file::Value;
        let cfg = model.config();
        let named: HashMap<String, Tensor> = model.named_tensors().unwrap().into_iter().collect();
        let permute = |w: &Tensor, n_head: usize| {
            let (d, inp) = w.dims2().unwrap();
            w.reshape((n_head, 2, d / n_head / 2, inp))
                .unwrap()
                .transpose(1, 2)
                .unwrap()
                .reshape((d, inp))
                .unwrap()
        };
        let mut tensors: Vec<(String, QTensor)> = Vec::new();
        let f32q = |t: &Tensor| QTensor::quantize(t, GgmlDType::F32).unwrap();
        tensors.push((
            "token_embd.weight".into(),
            f32q(&named["model.embed_tokens.weight"]),
        ));
        tensors.push((
            "output_norm.weight".into(),
            f32q(&named["model.norm.weight"]),
        ));
        for i in 0..cfg.num_hidden_layers {
            let h = |n: &str| named[&format!("model.layers.{i}.{n}.weight")].clone();
            let q = |t: Tensor| QTensor::quantize(&t, dtype).unwrap();
            let g = |n: &str| format!("blk.{i}.{n}.weight");
            tensors.push((
                g("attn_q"),
                q(permute(&h("self_attn.q_proj"), cfg.num_attention_heads)),
            ));
            tensors.push((
                g("attn_k"),
                q(permute(&h("self_attn.k_proj"), cfg.num_kv_heads())),
            ));
            tensors.push((g("attn_v"), q(h("self_attn.v_proj"))));
            tensors.push((g("attn_output"), q(h("self_attn.o_proj"))));
            tensors.push((g("ffn_gate"), q(h("mlp.gate_proj"))));
            tensors.push((g("ffn_up"), q(h("mlp.up_proj"))));
            tensors.push((g("ffn_down"), q(h("mlp.down_proj"))));
            tensors.push((g("attn_norm"), f32q(&h("input_layernorm"))));
            tensors.push((g("ffn_norm"), f32q(&h("post_attention_layernorm"))));
        }
        tensors.push((
            "output.weight".into(),
            QTensor::quantize(&named["lm_head.weight"], dtype).unwrap(),
        ));
        let md = [
            ("general.architecture", Value::String(arch.into())),
            ("llama.embedding_length", Value::U32(cfg.hidden_size as u32)),
            (
                "llama.feed_forward_length",
                Value::U32(cfg.intermediate_size as u32),
            ),
            (
                "llama.block_count",
                Value::U32(cfg.num_hidden_layers as u32),
            ),
            (
                "llama.attention.head_count",
                Value::U32(cfg.num_attention_heads as u32),
            ),
            (
                "llama.attention.head_count_kv",
                Value::U32(cfg.num_kv_heads() as u32),
            ),
            (
                "llama.attention.layer_norm_rms_epsilon",
                Value::F32(cfg.rms_norm_eps as f32),
            ),
            ("llama.rope.freq_base", Value::F32(cfg.rope_theta as f32)),
            (
                "llama.context_length",
                Value::U32(cfg.max_position_embeddings as u32),
            ),
        ];
        let md_refs: Vec<(&str, &Value)> = md.iter().map(|(k, v)| (*k, v)).collect();
        let t_refs: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let mut f = std::fs::File::create(path).unwrap();
        gguf_file::write(&mut f, &md_refs, &t_refs).unwrap();
    }

    fn tiny() -> Llama {
        let varmap = candle_nn::VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        Llama::new(&Config::tiny(64), vb).unwrap()
    }

    fn all_logits(m: &Llama, seq: &[u32]) -> Tensor {
        let t = Tensor::new(seq, &Device::Cpu)
            .unwrap()
            .unsqueeze(0)
            .unwrap();
        m.forward_train(&t).unwrap().squeeze(0).unwrap()
    }

    #[test]
    fn gguf_round_trip_undoes_the_rope_permutation() {
        let model = tiny();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tiny.gguf");
        write_tiny_gguf(&model, &path, GgmlDType::F32, "llama");
        let seq: Vec<u32> = (0..10).map(|i| (i * 11 + 5) % 64).collect();
        let want = all_logits(&model, &seq);
        for kind in [GgufWeights::F32, GgufWeights::Native] {
            let (back, _) = load_gguf(&path, kind, &Device::Cpu).unwrap();
            let got = all_logits(&back, &seq);
            let d = max_abs_diff(&want, &got);
            assert!(d < 1e-5, "{kind:?}: max abs diff {d}");
        }
        // Q8_0 storage. Native runs mull's kernel on activations rounded to 16 bits per block:
        // within about 1e-4 of the logit scale (2.2e-5 measured). candle's kernel rounds them to
        // 8 bits: close, not equal (the random tiny model's top-1 margins are too small to
        // compare top-1 on).
        let path8 = dir.path().join("tiny8.gguf");
        write_tiny_gguf(&model, &path8, GgmlDType::Q8_0, "llama");
        let (deq, _) = load_gguf(&path8, GgufWeights::F32, &Device::Cpu).unwrap();
        let want = all_logits(&deq, &seq);
        let scale = want
            .abs()
            .unwrap()
            .max_all()
            .unwrap()
            .to_scalar::<f32>()
            .unwrap();
        for (kind, bound) in [(GgufWeights::Native, 1e-4), (GgufWeights::Q8_0, 0.05)] {
            let (q, _) = load_gguf(&path8, kind, &Device::Cpu).unwrap();
            assert!(q.is_quantized() && !deq.is_quantized());
            let d = max_abs_diff(&want, &all_logits(&q, &seq));
            assert!(
                d <= bound * scale,
                "{kind:?}: max abs diff {d} (logit scale {scale})"
            );
        }
    }

    #[test]
    fn unsupported_architecture_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gpt.gguf");
        write_tiny_gguf(&tiny(), &path, GgmlDType::F32, "gpt2");
        let err = load_gguf(&path, GgufWeights::F32, &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("gpt.gguf") && err.contains("unsupported architecture"),
            "{err}"
        );
        // Truncated tensor data names the file too.
        let bytes = std::fs::read(&path).unwrap();
        let cut = dir.path().join("cut.gguf");
        write_tiny_gguf(&tiny(), &cut, GgmlDType::F32, "llama");
        let full = std::fs::read(&cut).unwrap();
        std::fs::write(&cut, &full[..full.len() - 4096]).unwrap();
        let err = load_gguf(&cut, GgufWeights::F32, &Device::Cpu)
            .unwrap_err()
            .to_string();
        assert!(err.contains("cut.gguf"), "{err}");
        drop(bytes);
    }
}

//! Tests of the decoder on tiny random models: cache vs full forward, padding, fork, gradients.

use super::*;
use crate::testing::max_abs_diff;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};

fn tiny_model(cfg: &Config, dtype: DType) -> (Llama, VarMap) {
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, dtype, &Device::Cpu);
    (Llama::new(cfg, vb).unwrap(), varmap)
}

fn ids(n: usize, salt: u32, vocab: u32) -> Vec<u32> {
    (0..n as u32)
        .map(|i| (i * 7 + salt * 13 + 3) % vocab)
        .collect()
}

#[test]
fn cached_decode_equals_full_forward() {
    let cfg = Config::tiny(50);
    let (model, _vm) = tiny_model(&cfg, DType::F32);
    let seq = ids(12, 1, 50);
    let full = model
        .forward_train(
            &Tensor::new(seq.as_slice(), &Device::Cpu)
                .unwrap()
                .unsqueeze(0)
                .unwrap(),
        )
        .unwrap(); // (1, 12, V)
    let mut cache = model.new_cache(vec![0], 12).unwrap();
    let prompt = Tensor::new(&seq[..5], &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let pre = model
        .forward_cached(&prompt, &mut cache, Logits::All)
        .unwrap(); // (1, 5, V)
    assert!(max_abs_diff(&pre, &full.narrow(1, 0, 5).unwrap()) < 1e-4);
    for (i, &tok) in seq.iter().enumerate().skip(5) {
        let t = Tensor::new(&[[tok]], &Device::Cpu).unwrap();
        let step = model.forward_cached(&t, &mut cache, Logits::Last).unwrap(); // (1, V)
        let want = full.narrow(1, i, 1).unwrap().squeeze(1).unwrap();
        let d = max_abs_diff(&step, &want);
        assert!(d < 1e-4, "position {i}: max abs diff {d}");
    }
    assert_eq!(cache.len(), 12);
    // The cache is full: one more column is an error, not a panic.
    let t = Tensor::new(&[[1u32]], &Device::Cpu).unwrap();
    assert!(model.forward_cached(&t, &mut cache, Logits::Last).is_err());
}

#[test]
fn left_padded_batch_equals_each_row_alone() {
    let cfg = Config::tiny(50);
    let (model, _vm) = tiny_model(&cfg, DType::F32);
    let prompts = [ids(3, 1, 50), ids(7, 2, 50), ids(5, 3, 50)];
    let refs: Vec<&[u32]> = prompts.iter().map(|p| p.as_slice()).collect();
    let (mut cache, logits) = model.prefill(&refs, 4).unwrap();
    assert_eq!(cache.pads(), &[4, 0, 2]);
    let mut batched = vec![logits];
    let steps = [[4u32, 9, 11], [8, 1, 30]];
    for step in steps {
        let t = Tensor::new(step.as_slice(), &Device::Cpu)
            .unwrap()
            .unsqueeze(1)
            .unwrap();
        batched.push(model.forward_cached(&t, &mut cache, Logits::Last).unwrap());
    }
    for (row, p) in prompts.iter().enumerate() {
        let (mut alone, first) = model.prefill(&[p.as_slice()], 4).unwrap();
        let mut singles = vec![first];
        for step in steps {
            let t = Tensor::new(&[[step[row]]], &Device::Cpu).unwrap();
            singles.push(model.forward_cached(&t, &mut alone, Logits::Last).unwrap());
        }
        for (s, (b, a)) in batched.iter().zip(&singles).enumerate() {
            let d = max_abs_diff(&b.narrow(0, row, 1).unwrap(), a);
            assert!(d < 1e-5, "row {row} step {s}: max abs diff {d}");
        }
    }
}

#[test]
fn forked_rows_continue_like_the_original() {
    let cfg = Config::tiny(50);
    let (model, _vm) = tiny_model(&cfg, DType::F32);
    let p = ids(6, 4, 50);
    let (cache, _) = model.prefill(&[p.as_slice()], 3).unwrap();
    let mut forked = cache.fork(&[0, 0, 0]).unwrap();
    let mut orig = cache.clone();
    assert_eq!(forked.batch_size(), 3);
    let t = Tensor::new(&[[5u32], [6], [5]], &Device::Cpu).unwrap();
    let out = model.forward_cached(&t, &mut forked, Logits::Last).unwrap();
    let one = model
        .forward_cached(
            &Tensor::new(&[[5u32]], &Device::Cpu).unwrap(),
            &mut orig,
            Logits::Last,
        )
        .unwrap();
    assert!(max_abs_diff(&out.narrow(0, 0, 1).unwrap(), &one) < 1e-6);
    assert!(max_abs_diff(&out.narrow(0, 2, 1).unwrap(), &one) < 1e-6);
    assert!(max_abs_diff(&out.narrow(0, 1, 1).unwrap(), &one) > 1e-6);
    assert!(cache.fork(&[1]).is_err());
}

fn loss(model: &Llama, seq: &[u32]) -> Tensor {
    let n = seq.len();
    let input = Tensor::new(&seq[..n - 1], &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let target = Tensor::new(&seq[1..], &Device::Cpu).unwrap();
    let logits = model.forward_train(&input).unwrap().squeeze(0).unwrap();
    candle_nn::loss::cross_entropy(&logits, &target).unwrap()
}

#[test]
fn every_parameter_gets_a_gradient() {
    for tied in [false, true] {
        let mut cfg = Config::tiny(40);
        cfg.tie_word_embeddings = tied;
        let (model, varmap) = tiny_model(&cfg, DType::F32);
        let l = loss(&model, &ids(10, 5, 40));
        let grads = l.backward().unwrap();
        let vars = varmap.all_vars();
        let expected = 1 + 9 * cfg.num_hidden_layers + 1 + usize::from(!tied);
        assert_eq!(vars.len(), expected);
        for var in &vars {
            let g = grads
                .get(var.as_tensor())
                .expect("a gradient for every variable");
            let norm = g
                .sqr()
                .unwrap()
                .sum_all()
                .unwrap()
                .to_scalar::<f32>()
                .unwrap();
            assert!(
                norm > 0.0 && norm.is_finite(),
                "zero or non-finite gradient"
            );
        }
    }
}

#[test]
fn finite_differences_agree_with_autograd() {
    let cfg = Config::tiny(30);
    let (model, varmap) = tiny_model(&cfg, DType::F64);
    let seq = ids(8, 6, 30);
    let grads = loss(&model, &seq).backward().unwrap();
    let data = varmap.data().lock().unwrap().clone();
    let mut names: Vec<&String> = data.keys().collect();
    names.sort();
    let eps = 1e-5;
    let mut checked = 0;
    for name in names {
        let var: &Var = &data[name];
        let g = grads
            .get(var.as_tensor())
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f64>()
            .unwrap();
        let orig = var
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f64>()
            .unwrap();
        // Two entries per tensor: the first and one in the middle.
        for idx in [0, orig.len() / 2] {
            let at = |delta: f64| {
                let mut v = orig.clone();
                v[idx] += delta;
                var.set(&Tensor::from_vec(v, var.shape(), &Device::Cpu).unwrap())
                    .unwrap();
                let l = loss(&model, &seq).to_scalar::<f64>().unwrap();
                var.set(&Tensor::from_vec(orig.clone(), var.shape(), &Device::Cpu).unwrap())
                    .unwrap();
                l
            };
            let fd = (at(eps) - at(-eps)) / (2.0 * eps);
            let err = (fd - g[idx]).abs();
            assert!(
                err < 1e-6 + 1e-4 * g[idx].abs(),
                "{name}[{idx}]: fd {fd} vs autograd {}",
                g[idx]
            );
            checked += 1;
        }
    }
    assert!(checked >= 2 * 20);
}

#[test]
fn out_of_vocabulary_token_is_an_error() {
    let (model, _vm) = tiny_model(&Config::tiny(20), DType::F32);
    let t = Tensor::new(&[[3u32, 25]], &Device::Cpu).unwrap();
    let err = model.forward_train(&t).unwrap_err().to_string();
    assert!(err.contains("25"), "{err}");
}

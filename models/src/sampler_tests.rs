//! Sampler tests on a tiny random f32 model with a character-level tokenizer.

use super::*;
use crate::llama::Config;
use candle_core::{DType, Device};
use candle_nn::{VarBuilder, VarMap};

const ALPHABET: &str = "abcdefghijklmnopqrstuvwxyz0123456789 +=\n";

fn setup() -> (Llama, Tokenizer, VarMap) {
    let tok = Tokenizer::char_level(ALPHABET);
    let varmap = VarMap::new();
    let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
    let mut cfg = Config::tiny(tok.vocab_size());
    cfg.hidden_size = 64;
    cfg.num_attention_heads = 4;
    cfg.num_key_value_heads = Some(2);
    let model = Llama::new(&cfg, vb).unwrap();
    // Seeded weights, so every run tests the same model, with a larger spread than the training
    // init (std ≈ 0.2) so the next-token distribution is wide and sampling actually varies.
    {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(20261121);
        let vars = varmap.data().lock().unwrap();
        let mut names: Vec<&String> = vars.keys().collect();
        names.sort();
        for name in names {
            let var = &vars[name];
            if var.dims().len() == 2 {
                let values: Vec<f32> = (0..var.elem_count())
                    .map(|_| rng.random_range(-0.35f32..0.35))
                    .collect();
                let t = Tensor::from_vec(values, var.dims(), &Device::Cpu).unwrap();
                var.set(&t).unwrap();
            }
        }
    }
    (model, tok, varmap)
}

fn params(max_new: usize) -> SamplingParams {
    SamplingParams {
        temperature: 1.0,
        top_k: None,
        top_p: Some(0.95),
        max_new_tokens: max_new,
        stop: Vec::new(),
    }
}

#[test]
fn same_seed_same_attempt_alone_or_in_a_batch_of_64() {
    let (model, tok, _vm) = setup();
    let sampler = Sampler::new(&model, &tok, Vec::new());
    let prompt = tok.encode("12 + 35 =").unwrap();
    let seeds: Vec<u64> = (1000..1064).collect();
    let p = params(20);
    let batch = sampler
        .sample_block(
            &[PromptJob {
                prompt: prompt.clone(),
                seeds: seeds.clone(),
            }],
            &p,
        )
        .unwrap();
    assert_eq!(batch[0].len(), 64);
    for &i in &[0usize, 17, 63] {
        let alone = sampler
            .sample_block(
                &[PromptJob {
                    prompt: prompt.clone(),
                    seeds: vec![seeds[i]],
                }],
                &p,
            )
            .unwrap();
        assert_eq!(alone[0][0].tokens, batch[0][i].tokens, "attempt {i}");
        assert_eq!(alone[0][0].text, batch[0][i].text);
        for (a, b) in alone[0][0].logprobs.iter().zip(&batch[0][i].logprobs) {
            assert!((a - b).abs() < 1e-4);
        }
    }
    // Different seeds give different attempts (the model is random enough to vary).
    let distinct: std::collections::BTreeSet<&Vec<u32>> =
        batch[0].iter().map(|a| &a.tokens).collect();
    assert!(
        distinct.len() > 32,
        "only {} distinct attempts of 64",
        distinct.len()
    );
}

#[test]
fn a_mixed_block_matches_each_prompt_alone() {
    let (model, tok, _vm) = setup();
    let sampler = Sampler::new(&model, &tok, Vec::new());
    let jobs = vec![
        PromptJob {
            prompt: tok.encode("7 + 5 =").unwrap(),
            seeds: vec![1, 2, 3],
        },
        PromptJob {
            prompt: tok.encode("a much longer prompt here").unwrap(),
            seeds: vec![4, 5],
        },
        PromptJob {
            prompt: tok.encode("x").unwrap(),
            seeds: vec![],
        },
        PromptJob {
            prompt: tok.encode("q").unwrap(),
            seeds: vec![6],
        },
    ];
    let p = params(12);
    let block = sampler.sample_block(&jobs, &p).unwrap();
    assert_eq!(
        block.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![3, 2, 0, 1]
    );
    for (j, job) in jobs.iter().enumerate() {
        let alone = sampler.sample_block(std::slice::from_ref(job), &p).unwrap();
        for (a, b) in alone[0].iter().zip(&block[j]) {
            assert_eq!(a.tokens, b.tokens, "job {j}");
        }
    }
    // Fixed blocks of one prompt give the same attempts as one block of four.
    let chunked = sampler.sample(&jobs, &p, 1).unwrap();
    for (a, b) in chunked.iter().flatten().zip(block.iter().flatten()) {
        assert_eq!(a.tokens, b.tokens);
    }
}

#[test]
fn finish_reasons_length_eos_and_stop() {
    let (model, tok, _vm) = setup();
    let prompt = tok.encode("9 + 9 =").unwrap();
    let job = || {
        vec![PromptJob {
            prompt: prompt.clone(),
            seeds: vec![42],
        }]
    };
    let mut p = params(16);
    p.temperature = 0.0;
    let plain = Sampler::new(&model, &tok, Vec::new())
        .sample_block(&job(), &p)
        .unwrap();
    let a = &plain[0][0];
    assert_eq!(a.finish, FinishReason::Length);
    assert_eq!(a.tokens.len(), 16);
    assert_eq!(a.logprobs.len(), 16);
    assert_eq!(a.text, tok.decode(&a.tokens).unwrap());
    assert!(a.logprobs.iter().all(|&l| l <= 0.0 && l.is_finite()));

    // The third greedy token declared end-of-sequence: kept in tokens, not in text.
    let eos = a.tokens[2];
    let first = a.tokens.iter().position(|&t| t == eos).unwrap();
    let with_eos = Sampler::new(&model, &tok, vec![eos])
        .sample_block(&job(), &p)
        .unwrap();
    let e = &with_eos[0][0];
    assert_eq!(e.finish, FinishReason::Eos);
    assert_eq!(e.tokens, a.tokens[..=first].to_vec());
    assert_eq!(e.text, tok.decode(&a.tokens[..first]).unwrap());

    // A stop string taken from the greedy text cuts the text where it starts.
    let text = &a.text;
    let cut = text.char_indices().nth(5).map(|(i, _)| i).unwrap();
    let stop: String = text[cut..].chars().take(2).collect();
    let at = text.find(&stop).unwrap();
    p.stop = vec![stop.clone()];
    let stopped = Sampler::new(&model, &tok, Vec::new())
        .sample_block(&job(), &p)
        .unwrap();
    let s = &stopped[0][0];
    assert_eq!(s.finish, FinishReason::Stop, "stop {stop:?} in {text:?}");
    assert_eq!(s.text, text[..at]);
    assert!(s.tokens.len() < 16);
}

#[test]
fn score_matches_the_sampled_log_probs() {
    let (model, tok, _vm) = setup();
    let prompt = tok.encode("3 + 4 =").unwrap();
    let sampler = Sampler::new(&model, &tok, Vec::new());
    let out = sampler
        .sample_block(
            &[PromptJob {
                prompt: prompt.clone(),
                seeds: vec![7],
            }],
            &params(10),
        )
        .unwrap();
    let a = &out[0][0];
    let s = sampler.score(&prompt, &a.tokens).unwrap();
    assert_eq!(s.per_token.len(), a.tokens.len());
    for (x, y) in s.per_token.iter().zip(&a.logprobs) {
        assert!((x - y).abs() < 1e-4, "{x} vs {y}");
    }
    let sum: f64 = s.per_token.iter().map(|&x| x as f64).sum();
    assert!((sum - s.total).abs() < 1e-3);
    assert!(sampler.score(&[], &a.tokens).is_err());
    assert_eq!(sampler.score(&prompt, &[]).unwrap().per_token.len(), 0);
}

#[test]
fn batched_scores_match_scores_alone() {
    let (model, tok, _vm) = setup();
    let a = tok.encode("3 + 4 =").unwrap();
    let b = tok.encode("12 + 30 = 42, so").unwrap();
    let (ca, cb) = (tok.encode(" 7").unwrap(), tok.encode(" 42 it is").unwrap());
    let pairs: Vec<(&[u32], &[u32])> = vec![(&a, &ca), (&b, &[]), (&b, &cb), (&a, &cb)];
    let batch = super::score_batch(&model, &pairs).unwrap();
    assert_eq!(batch.len(), 4);
    assert!(batch[1].per_token.is_empty() && batch[1].total == 0.0);
    for ((p, c), got) in pairs.iter().zip(&batch) {
        let alone = super::score(&model, p, c).unwrap();
        assert_eq!(got.per_token.len(), c.len());
        for (x, y) in got.per_token.iter().zip(&alone.per_token) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }
    // Different completions of one prompt get different scores.
    assert_ne!(batch[0].total, batch[3].total);
    assert!(super::score_batch(&model, &[(&[], &ca)]).is_err());
}

#[test]
fn degenerate_requests() {
    let (model, tok, _vm) = setup();
    let sampler = Sampler::new(&model, &tok, Vec::new());
    // No seeds: no attempts, and no forward pass needed.
    let job = PromptJob {
        prompt: tok.encode("ab").unwrap(),
        seeds: vec![],
    };
    assert_eq!(
        sampler.sample_block(&[job], &params(4)).unwrap(),
        vec![Vec::new()]
    );
    // Zero new tokens is rejected by the parameter check, not silently sampled.
    let job = PromptJob {
        prompt: tok.encode("ab").unwrap(),
        seeds: vec![1, 2],
    };
    assert!(sampler.sample_block(&[job], &params(0)).is_err());
    // An empty prompt is an error.
    let job = PromptJob {
        prompt: vec![],
        seeds: vec![1],
    };
    assert!(sampler.sample_block(&[job], &params(4)).is_err());
    let bad = SamplingParams {
        temperature: -1.0,
        ..params(3)
    };
    let job = PromptJob {
        prompt: tok.encode("ab").unwrap(),
        seeds: vec![1],
    };
    assert!(sampler.sample_block(&[job], &bad).is_err());
}

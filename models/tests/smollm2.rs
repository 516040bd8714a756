//! Against the real SmolLM2-135M-Instruct Q4_1 GGUF and llama.cpp's reference outputs
//! (`shared/fixtures/smollm2-llamacpp-reference.json`). The model comes from `just fetch-model`;
//! without it these tests fail with a message saying so.

use candle_core::{Device, Tensor};
use mull_models::llama::gguf::{load_gguf, GgufWeights};
use mull_models::llama::{Llama, Logits};
use mull_models::sampler::{FinishReason, PromptJob, Sampler};
use mull_models::sampling::SamplingParams;
use mull_models::testing::{llamacpp_reference_path, smollm2_gguf_path, SMOLLM2_SHA256};
use mull_models::{load, LoadOptions, WeightsKind};
use serde_json::Value;

struct Case {
    prompt_ids: Vec<u32>,
    greedy_ids: Vec<u32>,
    top5: Vec<Vec<u32>>,
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(llamacpp_reference_path()).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            prompt_ids: ids(&c["prompt_ids"]),
            greedy_ids: ids(&c["greedy_ids"]),
            top5: c["teacher_forced_top5"]
                .as_array()
                .unwrap()
                .iter()
                .map(ids)
                .collect(),
        })
        .collect()
}

fn model(kind: GgufWeights) -> Llama {
    let path = smollm2_gguf_path().unwrap_or_else(|e| panic!("{e}"));
    load_gguf(&path, kind, &Device::Cpu).unwrap().0
}

/// Logits at every teacher-forced position: (positions, vocab).
fn all_logits(model: &Llama, seq: &[u32]) -> Vec<Vec<f32>> {
    let mut cache = model.new_cache(vec![0], seq.len()).unwrap();
    let t = Tensor::new(seq, &Device::Cpu)
        .unwrap()
        .unsqueeze(0)
        .unwrap();
    let logits = model.forward_cached(&t, &mut cache, Logits::All).unwrap();
    logits.squeeze(0).unwrap().to_vec2::<f32>().unwrap()
}

/// Top-1 id and its margin over the runner-up (in logits) at every teacher-forced position.
fn top1(model: &Llama, seq: &[u32]) -> Vec<(u32, f32)> {
    let rows = all_logits(model, seq);
    rows.iter()
        .map(|r| {
            let (mut best, mut second) = (0usize, f32::NEG_INFINITY);
            for (i, &x) in r.iter().enumerate() {
                if x > r[best] {
                    second = r[best];
                    best = i;
                } else if i != best && x > second {
                    second = x;
                }
            }
            (best as u32, r[best] - second)
        })
        .collect()
}

#[test]
fn teacher_forced_top1_matches_llamacpp() {
    let cases = cases();
    let mut per_kind = Vec::new();
    for (name, kind) in [
        ("native Q4_1", GgufWeights::Native),
        ("Q8_0", GgufWeights::Q8_0),
        ("f32", GgufWeights::F32),
    ] {
        let m = model(kind);
        let (mut in5, mut agree, mut total) = (0, 0, 0);
        let mut tops = Vec::new();
        for c in &cases {
            let seq: Vec<u32> = c.prompt_ids.iter().chain(&c.greedy_ids).copied().collect();
            let top = top1(&m, &seq);
            assert_eq!(top.len(), c.top5.len());
            for ((t, _), ref5) in top.iter().zip(&c.top5) {
                total += 1;
                in5 += usize::from(ref5.contains(t));
                agree += usize::from(ref5[0] == *t);
            }
            tops.push(top);
        }
        let (p5, p1) = (in5 as f64 / total as f64, agree as f64 / total as f64);
        println!(
            "{name}: top-1 in llama.cpp top-5 at {in5}/{total} = {:.1}% of positions; \
             top-1 agrees at {agree}/{total} = {:.1}%",
            100.0 * p5,
            100.0 * p1
        );
        assert!(p5 >= 0.95, "{name}: top-1 in top-5 only {:.1}%", 100.0 * p5);
        assert!(
            p1 >= 0.85,
            "{name}: top-1 agreement only {:.1}%",
            100.0 * p1
        );
        per_kind.push((name, tops));
    }
    // Dequantized f32 against each quantized form. Native weights run on mull's 16-bit-activation
    // kernel and must agree at >= 99% of positions. candle's Q8_0 kernel quantizes activations to
    // 8 bits (as llama.cpp does), which moves logits by up to about 1; its top-1 can flip where
    // the runner-up is that close, so it is held to 99% where f32's margin is >= 0.5 logits and
    // 95% overall, and both figures are printed.
    let f32_tops = &per_kind[2].1;
    for (name, tops) in &per_kind[..2] {
        let (mut same, mut total, mut same_clear, mut clear) = (0, 0, 0, 0);
        for (a, b) in tops.iter().zip(f32_tops) {
            for ((qa, _), (fa, margin)) in a.iter().zip(b) {
                total += 1;
                same += usize::from(qa == fa);
                if *margin >= 0.5 {
                    clear += 1;
                    same_clear += usize::from(qa == fa);
                }
            }
        }
        let frac = same as f64 / total as f64;
        let frac_clear = same_clear as f64 / clear as f64;
        println!(
            "f32 vs {name}: top-1 agrees at {same}/{total} = {:.1}% of positions; at \
             {same_clear}/{clear} = {:.1}% of positions with an f32 margin >= 0.5",
            100.0 * frac,
            100.0 * frac_clear
        );
        let bar = if name.starts_with("native") {
            0.99
        } else {
            0.95
        };
        assert!(frac >= bar, "f32 vs {name}: {:.1}%", 100.0 * frac);
        assert!(
            frac_clear >= 0.99,
            "f32 vs {name} (clear positions): {:.1}%",
            100.0 * frac_clear
        );
    }
}

/// The native weights on mull's kernel compute the dequantized model's function on activations
/// rounded to 16 bits per block of 32: logits stay within a few hundredths of the f32 model's
/// (1.15e-2 at worst when measured), where 8-bit activations (candle's and llama.cpp's kernels)
/// move them by up to about 1.
#[test]
fn native_logits_match_dequantized_f32() {
    let (native, f32) = (model(GgufWeights::Native), model(GgufWeights::F32));
    let mut worst = 0f32;
    let mut positions = 0;
    for c in cases() {
        let seq: Vec<u32> = c.prompt_ids.iter().chain(&c.greedy_ids).copied().collect();
        for (a, b) in all_logits(&native, &seq).iter().zip(all_logits(&f32, &seq)) {
            positions += 1;
            for (x, y) in a.iter().zip(&b) {
                worst = worst.max((x - y).abs());
            }
        }
    }
    println!("native vs f32: max |logit difference| {worst:.2e} over {positions} positions");
    assert!(worst < 3e-2, "native vs f32 logits differ by {worst}");
}

#[test]
fn greedy_continuations_and_quantized_batching() {
    let path = smollm2_gguf_path().unwrap_or_else(|e| panic!("{e}"));
    let loaded = load(
        &path,
        LoadOptions {
            weights: WeightsKind::Native,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(loaded.weights_sha256, format!("sha256:{SMOLLM2_SHA256}"));
    assert_eq!(
        loaded.chat_template,
        mull_models::chat_template::ChatTemplate::ChatMl
    );
    assert!(loaded.eos_ids.contains(&2), "{:?}", loaded.eos_ids);
    let model = loaded.quantized().unwrap();
    let sampler = Sampler::new(model, &loaded.tokenizer, loaded.eos_ids.clone());
    let cases = cases();
    let mut p = SamplingParams::greedy();
    p.max_new_tokens = 24;
    // Both reference prompts in one block, two greedy attempts each, against each alone.
    let jobs: Vec<PromptJob> = cases
        .iter()
        .map(|c| PromptJob {
            prompt: c.prompt_ids.clone(),
            seeds: vec![1, 2],
        })
        .collect();
    let block = sampler.sample_block(&jobs, &p).unwrap();
    for (c, (job, got)) in cases.iter().zip(jobs.iter().zip(&block)) {
        let alone = sampler
            .sample_block(
                &[PromptJob {
                    prompt: job.prompt.clone(),
                    seeds: vec![9],
                }],
                &p,
            )
            .unwrap();
        assert_eq!(
            got[0].tokens, alone[0][0].tokens,
            "batched vs alone greedy (native)"
        );
        assert_eq!(got[1].tokens, alone[0][0].tokens);
        let n = c.greedy_ids.len().min(got[0].tokens.len());
        let prefix = got[0]
            .tokens
            .iter()
            .zip(&c.greedy_ids)
            .take_while(|(a, b)| a == b)
            .count();
        println!(
            "greedy vs llama.cpp: first {prefix} of {n} tokens identical; mull: {:?} ({})",
            got[0].text,
            got[0].finish.as_str()
        );
        assert!(
            prefix >= 4,
            "greedy continuation diverges at once from llama.cpp"
        );
    }
    // Every attempt ended for a reason the sampler reports; the arithmetic reply is short.
    assert!(block.iter().flatten().all(|a| a.tokens.len() <= 24));
    assert!(
        block[0][0].text.starts_with("12 + 35 = 90"),
        "{:?}",
        block[0][0].text
    );
    let _ = FinishReason::Eos;
}

/// On the native weights a sampled attempt is the same, token for token and log-prob for log-prob,
/// alone and in a block with another prompt of a different length and other attempts.
#[test]
fn native_sampling_is_the_same_alone_and_in_a_batch() {
    let path = smollm2_gguf_path().unwrap_or_else(|e| panic!("{e}"));
    let loaded = load(&path, LoadOptions::default()).unwrap();
    let model = loaded.quantized().unwrap();
    let sampler = Sampler::new(model, &loaded.tokenizer, loaded.eos_ids.clone());
    let cases = cases();
    assert_ne!(cases[0].prompt_ids.len(), cases[1].prompt_ids.len());
    let p = SamplingParams {
        max_new_tokens: 16,
        ..SamplingParams::default()
    };
    let seeds: Vec<u64> = (100..105).collect();
    let jobs: Vec<PromptJob> = cases
        .iter()
        .map(|c| PromptJob {
            prompt: c.prompt_ids.clone(),
            seeds: seeds.clone(),
        })
        .collect();
    let block = sampler.sample_block(&jobs, &p).unwrap();
    for (job, got) in jobs.iter().zip(&block) {
        for (k, seed) in seeds.iter().enumerate() {
            let alone = sampler
                .sample_block(
                    &[PromptJob {
                        prompt: job.prompt.clone(),
                        seeds: vec![*seed],
                    }],
                    &p,
                )
                .unwrap();
            assert_eq!(got[k].tokens, alone[0][0].tokens, "seed {seed}");
            // Bit for bit: the projections and attention compute each row on its own.
            assert_eq!(got[k].logprobs, alone[0][0].logprobs, "seed {seed}");
        }
    }
    // Five seeds do not all draw the same continuation.
    assert!(block[0].iter().any(|a| a.tokens != block[0][0].tokens));
    // Scoring the attempts in one batch gives the sampled log-probs back, to rounding (the
    // sampler's were computed one decode column at a time).
    let pairs: Vec<(&[u32], &[u32])> = jobs
        .iter()
        .zip(&block)
        .flat_map(|(job, got)| {
            got.iter()
                .map(|a| (job.prompt.as_slice(), a.tokens.as_slice()))
        })
        .collect();
    let scores = loaded.score_batch(&pairs, 4).unwrap();
    let attempts = block.iter().flatten();
    for (s, a) in scores.iter().zip(attempts) {
        for (x, y) in s.per_token.iter().zip(&a.logprobs) {
            assert!((x - y).abs() < 1e-3, "{x} vs {y}");
        }
    }
    // A block of pairs scores to the same bits as each pair alone.
    for (pair, s) in pairs.iter().zip(&scores).step_by(3) {
        assert_eq!(&loaded.score(pair.0, pair.1).unwrap(), s);
    }
}

//! Tests of the token draw: exactness, determinism and statistics (all with fixed seeds).

use super::*;

fn params(temperature: f32, top_k: Option<usize>, top_p: Option<f32>) -> SamplingParams {
    SamplingParams {
        temperature,
        top_k,
        top_p,
        ..SamplingParams::default()
    }
}

fn softmax(logits: &[f32], temperature: f64) -> Vec<f64> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max) as f64;
    let w: Vec<f64> = logits
        .iter()
        .map(|&l| ((l as f64 - max) / temperature).exp())
        .collect();
    let z: f64 = w.iter().sum();
    w.iter().map(|x| x / z).collect()
}

/// Counts of each token over `n` draws from one stream seeded `seed`.
fn histogram(logits: &[f32], p: &SamplingParams, seed: u64, n: usize) -> Vec<usize> {
    let mut rng = AttemptRng::new(seed);
    let mut counts = vec![0; logits.len()];
    for _ in 0..n {
        let (t, _) = draw_token(logits, p, &mut rng).unwrap();
        counts[t as usize] += 1;
    }
    counts
}

/// Every empirical frequency within 5 standard errors of its probability.
fn assert_frequencies(counts: &[usize], probs: &[f64]) {
    let n: usize = counts.iter().sum();
    for (i, (&c, &p)) in counts.iter().zip(probs).enumerate() {
        let freq = c as f64 / n as f64;
        let se = (p * (1.0 - p) / n as f64).sqrt().max(1e-9);
        assert!(
            (freq - p).abs() <= 5.0 * se,
            "token {i}: frequency {freq:.4} vs probability {p:.4} (counts {counts:?})"
        );
    }
}

const LOGITS: [f32; 6] = [1.0, 2.5, 0.3, -1.0, 2.4, 0.0];

#[test]
fn defaults_are_the_documented_ones_and_deserialize_from_kebab_case() {
    let d = SamplingParams::default();
    assert_eq!(
        (d.temperature, d.top_k, d.top_p, d.max_new_tokens),
        (0.8, None, Some(0.95), 256)
    );
    assert!(d.stop.is_empty());
    let p: SamplingParams =
        serde_json::from_str(r#"{"top-k": 40, "max-new-tokens": 12, "stop": ["\n\n"]}"#).unwrap();
    assert_eq!(p.top_k, Some(40));
    assert_eq!(p.max_new_tokens, 12);
    assert_eq!(p.temperature, 0.8);
    assert!(serde_json::from_str::<SamplingParams>(r#"{"topk": 40}"#).is_err());
    let back: SamplingParams = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
    assert_eq!(back, p);
}

#[test]
fn validate_rejects_each_bad_field_by_name() {
    let cases: [(SamplingParams, &str); 7] = [
        (params(-0.1, None, None), "temperature"),
        (params(f32::NAN, None, None), "temperature"),
        (params(f32::INFINITY, None, None), "temperature"),
        (params(1.0, Some(0), None), "top-k"),
        (params(1.0, None, Some(0.0)), "top-p"),
        (params(1.0, None, Some(1.5)), "top-p"),
        (
            SamplingParams {
                stop: vec!["x".into(), String::new()],
                ..SamplingParams::default()
            },
            "stop[1]",
        ),
    ];
    for (p, field) in cases {
        let err = p.validate().unwrap_err().to_string();
        assert!(err.contains(field), "{p:?}: {err}");
        assert!(draw_token(&LOGITS, &p, &mut AttemptRng::new(0)).is_err());
    }
    let zero = SamplingParams {
        max_new_tokens: 0,
        ..SamplingParams::default()
    };
    assert!(zero
        .validate()
        .unwrap_err()
        .to_string()
        .contains("max-new-tokens"));
    assert!(SamplingParams::default().validate().is_ok());
    assert!(params(0.0, Some(1), Some(1.0)).validate().is_ok());
}

#[test]
fn temperature_zero_is_argmax_lowest_id_on_ties_and_uses_no_randomness() {
    let mut rng = AttemptRng::new(7);
    let greedy = SamplingParams::greedy();
    assert_eq!(draw_token(&LOGITS, &greedy, &mut rng).unwrap().0, 1);
    assert_eq!(
        draw_token(&[0.0, 3.0, -1.0, 3.0], &greedy, &mut rng)
            .unwrap()
            .0,
        1
    );
    assert_eq!(draw_token(&[5.0, 5.0], &greedy, &mut rng).unwrap().0, 0);
    assert_eq!(rng.draws(), 0);
}

#[test]
fn top_k_one_is_argmax_at_any_temperature() {
    let p = params(5.0, Some(1), None);
    let mut rng = AttemptRng::new(3);
    for _ in 0..200 {
        assert_eq!(draw_token(&LOGITS, &p, &mut rng).unwrap().0, 1);
    }
    // Ties go to the lower id here too.
    assert_eq!(draw_token(&[1.0, 4.0, 4.0], &p, &mut rng).unwrap().0, 1);
    assert_eq!(rng.draws(), 201, "one uniform per sampled token");
}

#[test]
fn log_prob_is_log_softmax_of_the_raw_logits() {
    let probs = softmax(&LOGITS, 1.0);
    for (p, seed) in [
        (SamplingParams::greedy(), 0),
        (params(0.3, Some(2), Some(0.5)), 1),
        (params(2.0, None, None), 2),
    ] {
        let mut rng = AttemptRng::new(seed);
        for _ in 0..50 {
            let (t, lp) = draw_token(&LOGITS, &p, &mut rng).unwrap();
            let expected = probs[t as usize].ln();
            assert!(
                (f64::from(lp) - expected).abs() < 1e-5,
                "{t}: {lp} vs {expected}"
            );
        }
    }
    // Large logits do not overflow.
    let (t, lp) = draw_token(
        &[1000.0, 999.0],
        &SamplingParams::greedy(),
        &mut AttemptRng::new(0),
    )
    .unwrap();
    assert_eq!(t, 0);
    assert!((f64::from(lp) - softmax(&[1000.0, 999.0], 1.0)[0].ln()).abs() < 1e-6);
}

#[test]
fn non_finite_logits_are_errors() {
    let p = params(1.0, None, None);
    let mut rng = AttemptRng::new(0);
    let err = draw_token(&[0.0, f32::NAN, 1.0], &p, &mut rng)
        .unwrap_err()
        .to_string();
    assert!(err.contains("token 1") && err.contains("NaN"), "{err}");
    assert!(draw_token(&[0.0, f32::NAN], &SamplingParams::greedy(), &mut rng).is_err());
    assert!(draw_token(&[0.0, f32::INFINITY], &p, &mut rng).is_err());
    assert!(draw_token(&[f32::NEG_INFINITY; 3], &p, &mut rng).is_err());
    assert!(draw_token(&[], &p, &mut rng).is_err());
    // -inf alone is a masked token, never drawn.
    let masked = [f32::NEG_INFINITY, 0.0, f32::NEG_INFINITY, 0.0];
    let counts = histogram(&masked, &p, 5, 500);
    assert_eq!(counts[0] + counts[2], 0);
}

#[test]
fn same_seed_same_draws_and_different_seeds_differ() {
    let p = params(1.0, Some(4), Some(0.9));
    let run = |seed| {
        let mut rng = AttemptRng::new(seed);
        (0..100)
            .map(|_| draw_token(&LOGITS, &p, &mut rng).unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}

#[test]
fn empirical_frequencies_match_the_softmax() {
    let n = 40_000;
    let counts = histogram(&LOGITS, &params(1.0, None, None), 2024, n);
    assert_frequencies(&counts, &softmax(&LOGITS, 1.0));
    let counts = histogram(&LOGITS, &params(0.5, None, None), 2025, n);
    assert_frequencies(&counts, &softmax(&LOGITS, 0.5));
    // Top-k = 3 renormalises over the three largest logits (ids 1, 4, 0).
    let counts = histogram(&LOGITS, &params(1.0, Some(3), None), 2026, n);
    let top3 = softmax(&[LOGITS[0], LOGITS[1], LOGITS[4]], 1.0);
    assert_frequencies(&counts, &[top3[0], top3[1], 0.0, 0.0, top3[2], 0.0]);
}

#[test]
fn top_p_never_draws_outside_the_nucleus() {
    // Probabilities 0.5, 0.3, 0.15, 0.05: the nucleus for top-p 0.75 is {0, 1}.
    let logits: Vec<f32> = [0.5f64, 0.3, 0.15, 0.05]
        .iter()
        .map(|p| p.ln() as f32)
        .collect();
    let p = params(1.0, None, Some(0.75));
    let mut counts = vec![0; 4];
    for seed in 0..2000 {
        let (t, _) = draw_token(&logits, &p, &mut AttemptRng::new(seed)).unwrap();
        counts[t as usize] += 1;
    }
    assert_eq!(counts[2] + counts[3], 0, "{counts:?}");
    assert_frequencies(&counts, &[0.625, 0.375, 0.0, 0.0]);
    // Top-p 0.85 takes in the third token, not the fourth.
    let counts = histogram(&logits, &params(1.0, None, Some(0.85)), 9, 4000);
    assert!(counts[2] > 0 && counts[3] == 0, "{counts:?}");
    // A tiny top-p still keeps the most likely token.
    let counts = histogram(&logits, &params(1.0, None, Some(1e-6)), 9, 100);
    assert_eq!(counts[0], 100);
}

#[test]
fn top_p_on_a_large_vocabulary_matches_a_brute_force_nucleus() {
    // A peaked distribution over 5,000 ids: the pre-sort filter must not change the nucleus.
    let logits: Vec<f32> = (0..5000u32)
        .map(|i| -((i * 7919 % 5000) as f32) / 300.0)
        .collect();
    let p = params(1.0, None, Some(0.9));
    let probs = softmax(&logits, 1.0);
    let mut order: Vec<usize> = (0..logits.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]).then(a.cmp(&b)));
    let mut cum = 0.0;
    let mut nucleus = std::collections::BTreeSet::new();
    for &i in &order {
        nucleus.insert(i);
        cum += probs[i];
        if cum >= 0.9 {
            break;
        }
    }
    let mut rng = AttemptRng::new(77);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..3000 {
        let (t, _) = draw_token(&logits, &p, &mut rng).unwrap();
        assert!(
            nucleus.contains(&(t as usize)),
            "token {t} outside the nucleus"
        );
        seen.insert(t as usize);
    }
    assert!(seen.len() > nucleus.len() / 2, "draws cover the nucleus");
}

#[test]
fn rng_stream_is_chacha20_with_the_documented_key() {
    // Known answers from an independent ChaCha20 (Python `cryptography`, RFC 8439 keystream with
    // a zero nonce and counter); seed 0 gives the RFC's all-zero-key block.
    let mut rng = AttemptRng::new(0);
    assert_eq!(
        rng.uniform(),
        (10393729187455219830u64 >> 11) as f64 / (1u64 << 53) as f64
    );
    let mut rng = AttemptRng::new(42);
    let expected = [
        7702011131394881055u64,
        13036653568135486562,
        12937070681655084054,
    ];
    for e in expected {
        assert_eq!(rng.uniform(), (e >> 11) as f64 / (1u64 << 53) as f64);
    }
    assert_eq!(rng.draws(), 3);
}

//! Property tests of the cipher verifier: round trips for random keys and texts, steps, and the
//! o1 announcement's example.

use mull_data::{CipherKind, CipherPayload};
use mull_verifiers::cipher::{
    check_cipher_step, check_plaintext, normalize, pair_average_decode, Cipher,
};
use proptest::prelude::*;

fn words() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-z]{1,8}", 1..6).prop_map(|w| w.join(" "))
}

fn key_for(kind: CipherKind) -> BoxedStrategy<Option<String>> {
    match kind {
        CipherKind::Caesar => (-100i64..100).prop_map(|s| Some(s.to_string())).boxed(),
        CipherKind::Vigenere => "[a-z]{1,10}".prop_map(Some).boxed(),
        CipherKind::Substitution => Just((b'a'..=b'z').map(char::from).collect::<Vec<_>>())
            .prop_shuffle()
            .prop_map(|v| Some(v.into_iter().collect()))
            .boxed(),
        _ => Just(None).boxed(),
    }
}

fn payload_and_text() -> impl Strategy<Value = (CipherPayload, String)> {
    prop::sample::select(vec![
        CipherKind::Caesar,
        CipherKind::Vigenere,
        CipherKind::Substitution,
    ])
    .prop_flat_map(|kind| (Just(kind), key_for(kind), words()))
    .prop_map(|(kind, key, text)| {
        let p = CipherPayload {
            cipher: kind,
            ciphertext: String::new(),
            key,
            example: None,
        };
        let c = Cipher::from_payload(&p).unwrap();
        let ct = c.encrypt(&text).unwrap();
        (
            CipherPayload {
                ciphertext: ct,
                ..p
            },
            text,
        )
    })
}

/// Encodes with the pair-average cipher, choosing each pair by `spread`.
fn pair_average_encode(text: &str, spread: &[u8]) -> String {
    let mut out = String::new();
    for (i, c) in text.bytes().enumerate() {
        if c == b' ' {
            out.push(' ');
            continue;
        }
        let p = c - b'a';
        let max = p.min(25 - p);
        let d = spread.get(i % spread.len().max(1)).copied().unwrap_or(0) % (max + 1);
        out.push(char::from(b'a' + p - d));
        out.push(char::from(b'a' + p + d));
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn bijective_round_trips(
        (payload, text) in payload_and_text(),
        flip in any::<prop::sample::Index>(),
    ) {
        let c = Cipher::from_payload(&payload).unwrap();
        prop_assert_eq!(c.decrypt(&payload.ciphertext).unwrap(), text.clone());
        prop_assert!(check_plaintext(&payload, &text.to_uppercase()).unwrap().is_ok());
        // One wrong letter is caught.
        let mut b = text.clone().into_bytes();
        let letters: Vec<usize> = (0..b.len()).filter(|&i| b[i] != b' ').collect();
        let i = letters[flip.index(letters.len())];
        b[i] = if b[i] == b'z' { b'a' } else { b[i] + 1 };
        let wrong = String::from_utf8(b).unwrap();
        prop_assert!(check_plaintext(&payload, &wrong).unwrap().is_err());
    }

    #[test]
    fn bijective_steps((payload, text) in payload_and_text()) {
        let c = Cipher::from_payload(&payload).unwrap();
        let ct = &payload.ciphertext;
        let pairs: Vec<(&str, &str)> = ct.split(' ').zip(text.split(' ')).collect();
        for &(cw, pw) in &pairs {
            prop_assert_eq!(check_cipher_step(&c, ct, &format!("{cw} -> {pw}")), Some(true));
            let wrong: String =
                pw.bytes().map(|b| char::from(if b == b'z' { b'a' } else { b + 1 })).collect();
            // A step names a ciphertext word, not its position: where the same word occurs
            // twice under a Vigenère key it may decode to `wrong` elsewhere, and that step is
            // right.
            let elsewhere = pairs.iter().any(|&(c2, p2)| c2 == cw && p2 == wrong);
            let expected = Some(elsewhere);
            prop_assert_eq!(check_cipher_step(&c, ct, &format!("{cw} -> {wrong}")), expected);
        }
    }

    #[test]
    fn pair_average_round_trips(
        text in words(),
        spread in prop::collection::vec(0u8..26, 1..8),
    ) {
        let ct = pair_average_encode(&text, &spread);
        prop_assert_eq!(pair_average_decode(&ct).unwrap(), text.clone());
        let p = CipherPayload {
            cipher: CipherKind::PairAverage,
            ciphertext: ct.clone(),
            key: None,
            example: None,
        };
        prop_assert!(check_plaintext(&p, &text).unwrap().is_ok());
        for (cw, pw) in ct.split(' ').zip(text.split(' ')) {
            let step = format!("{cw} → {pw}");
            prop_assert_eq!(check_cipher_step(&Cipher::PairAverage, &ct, &step), Some(true));
        }
    }

    #[test]
    fn normalize_is_idempotent(s in "\\PC{0,40}") {
        let n = normalize(&s);
        prop_assert_eq!(normalize(&n), n.clone());
        prop_assert!(!n.contains("  ") && !n.starts_with(' ') && !n.ends_with(' '));
    }
}

#[test]
fn o1_example() {
    assert_eq!(
        pair_average_decode("oyfjdnisdr rtqwainr acxz mynzbhhx").unwrap(),
        "think step by step"
    );
}

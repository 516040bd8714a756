//! The cipher family: decrypt a message of common English words under a Caesar, Vigenère,
//! simple substitution or pair-average cipher. The task gives the key (or, for the keyless
//! pair-average cipher, an example pair); the reference decodes one word per line.

use mull_data::Family;
use mull_data::{CipherKind, CipherPayload, Problem};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::cipher;
use crate::words::WORDS;
use crate::{GenError, Generator, Request};

pub(crate) struct Cipher;

const VERSION: u32 = 1;
const LEVELS: u8 = 6;
const VARIANTS: [&str; 4] = ["caesar", "vigenere", "substitution", "pair-average"];

/// Words in the message (inclusive range) and the longest word allowed, per level.
fn shape(d: u8) -> ((usize, usize), usize) {
    match d {
        1 => ((1, 2), 5),
        2 => ((2, 3), 6),
        3 => ((3, 4), 8),
        4 => ((4, 5), 10),
        5 => ((5, 7), 12),
        _ => ((7, 9), 12),
    }
}

fn words(rng: &mut ChaCha8Rng, count: usize, max_len: usize) -> String {
    let mut out: Vec<&str> = Vec::with_capacity(count);
    while out.len() < count {
        let w = WORDS[rng.random_range(0..WORDS.len())];
        if w.len() <= max_len {
            out.push(w);
        }
    }
    out.join(" ")
}

/// A keyword from the word list with a length in `lo..=hi`.
fn keyword(rng: &mut ChaCha8Rng, lo: usize, hi: usize) -> String {
    loop {
        let w = WORDS[rng.random_range(0..WORDS.len())];
        if (lo..=hi).contains(&w.len()) {
            return w.to_string();
        }
    }
}

const TAIL: &str = "Think step by step, decoding one word per line as `ciphertext -> plaintext`, then give the final answer on a line `Answer: <plaintext>` in lowercase letters with single spaces between words.";

impl Generator for Cipher {
    fn family(&self) -> &'static str {
        Family::Cipher.as_str()
    }
    fn version(&self) -> u32 {
        VERSION
    }
    fn levels(&self) -> u8 {
        LEVELS
    }
    fn variants(&self) -> &'static [&'static str] {
        &VARIANTS
    }
    fn build(&self, req: &Request) -> Result<Problem, GenError> {
        req.check_level(Family::Cipher.as_str(), LEVELS)?;
        let mut rng = req.rng(VERSION);
        let d = req.difficulty;
        let ((lo, hi), max_len) = shape(d);
        let count = rng.random_range(lo..=hi);
        let plain = words(&mut rng, count, max_len);
        let variant = req.variant.unwrap_or("caesar");
        let (kind, ciphertext, key, example, intro) = match variant {
            "caesar" => {
                let top = match d {
                    1 => 5,
                    2 => 13,
                    _ => 25,
                };
                let shift = rng.random_range(1..=top);
                let intro = format!("The message below was encrypted with a Caesar cipher: each letter was shifted {shift} places forward in the alphabet, wrapping around from z to a. Spaces were left unchanged.");
                (
                    CipherKind::Caesar,
                    cipher::caesar_encrypt(&plain, shift),
                    Some(shift.to_string()),
                    None,
                    intro,
                )
            }
            "vigenere" => {
                let (klo, khi) = match d {
                    1 | 2 => (3, 4),
                    3 | 4 => (4, 6),
                    _ => (6, 9),
                };
                let key = keyword(&mut rng, klo, khi);
                let intro = format!("The message below was encrypted with a Vigenère cipher with the keyword `{key}`: the n-th letter of the message (counting letters only, not spaces) was shifted forward by the alphabet position of the n-th letter of the keyword (a = 0, b = 1, ..., z = 25), repeating the keyword as often as needed. Spaces were left unchanged.");
                (
                    CipherKind::Vigenere,
                    cipher::vigenere_encrypt(&plain, &key)?,
                    Some(key),
                    None,
                    intro,
                )
            }
            "substitution" => {
                let key = cipher::random_substitution_key(&mut rng);
                let intro = format!("The message below was encrypted with a simple substitution cipher: each letter of the plain alphabet was replaced by the letter below it.\nplain:  abcdefghijklmnopqrstuvwxyz\ncipher: {key}\nSpaces were left unchanged.");
                (
                    CipherKind::Substitution,
                    cipher::substitution_encrypt(&plain, &key)?,
                    Some(key),
                    None,
                    intro,
                )
            }
            "pair-average" => {
                let ex_plain = loop {
                    let n = rng.random_range(2..=4);
                    let e = words(&mut rng, n, 8);
                    if e != plain {
                        break e;
                    }
                };
                let ex_cipher = cipher::pair_average_encrypt(&ex_plain, &mut rng);
                let mut intro = format!("The message below is written in a secret code. Here is an example of the same code:\n`{ex_cipher}` decodes to `{ex_plain}`.");
                if d <= 3 {
                    intro.push_str(" Hint: each letter is written as two letters whose positions in the alphabet average to the position of the original letter.");
                }
                let c = cipher::pair_average_encrypt(&plain, &mut rng);
                (
                    CipherKind::PairAverage,
                    c,
                    None,
                    Some((ex_plain, ex_cipher)),
                    intro,
                )
            }
            other => {
                return Err(GenError::UnknownVariant {
                    family: Family::Cipher.as_str().into(),
                    variant: other.into(),
                    valid: VARIANTS.join(", "),
                })
            }
        };
        let prompt = format!("{intro}\n\nCiphertext: {ciphertext}\n\nDecrypt the message. {TAIL}");
        let reference = ciphertext
            .split(' ')
            .zip(plain.split(' '))
            .map(|(c, p)| format!("{c} -> {p}"))
            .collect();
        let payload = serde_json::to_value(CipherPayload {
            cipher: kind,
            ciphertext,
            key,
            example,
        })
        .unwrap_or_default();
        Ok(req.problem(
            Family::Cipher.as_str(),
            VERSION,
            prompt,
            plain,
            reference,
            payload,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decrypts a payload with the family's own ciphers (the round trip is tested separately).
    fn decrypt(p: &CipherPayload) -> String {
        let key = p.key.clone().unwrap_or_default();
        match p.cipher {
            CipherKind::Caesar => cipher::caesar_decrypt(&p.ciphertext, key.parse().unwrap_or(0)),
            CipherKind::Vigenere => {
                cipher::vigenere_decrypt(&p.ciphertext, &key).unwrap_or_default()
            }
            CipherKind::Substitution => {
                cipher::substitution_decrypt(&p.ciphertext, &key).unwrap_or_default()
            }
            CipherKind::PairAverage => {
                cipher::pair_average_decrypt(&p.ciphertext).unwrap_or_default()
            }
        }
    }

    #[test]
    fn answers_decrypt_from_the_payload_and_steps_pair_words() {
        for v in VARIANTS {
            for d in 1..=LEVELS {
                for i in 0..250 {
                    let p = Cipher.generate(4, i, d, Some(v)).expect("valid request");
                    let pl: CipherPayload = p.payload_as().expect("typed payload");
                    assert_eq!(decrypt(&pl), p.answer, "{v} level {d}");
                    assert!(p
                        .answer
                        .split(' ')
                        .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase())));
                    assert!(p.prompt.contains(&pl.ciphertext));
                    assert_eq!(p.reference.len(), p.answer.split(' ').count());
                    for (step, word) in p.reference.iter().zip(p.answer.split(' ')) {
                        assert!(step.ends_with(&format!(" -> {word}")), "{step}");
                    }
                    if let Some((ex_p, ex_c)) = &pl.example {
                        assert_eq!(cipher::pair_average_decrypt(ex_c).ok().as_ref(), Some(ex_p));
                        assert!(p.prompt.contains(ex_c.as_str()));
                    }
                    if v != "pair-average" {
                        assert_ne!(pl.ciphertext, p.answer, "{v}: ciphertext equals plaintext");
                    }
                }
            }
        }
    }

    #[test]
    fn an_unknown_variant_is_an_error() {
        let err = Cipher
            .generate(1, 1, 1, Some("enigma"))
            .expect_err("unknown variant");
        assert!(err.to_string().contains("pair-average"), "{err}");
    }
}

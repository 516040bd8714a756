//! The ciphers of the cipher family, encryption and decryption. They act on lowercase ASCII
//! letters only; every other character (spaces in particular) passes through unchanged.
//!
//! Key conventions follow `mull_data::CipherPayload`: a Caesar shift, a lowercase Vigenère
//! keyword, a 26-letter substitution alphabet whose `i`-th letter encrypts `'a' + i`. The
//! verifiers keep an independent implementation on purpose, so the two cannot share a bug unseen.

use rand::Rng;

use crate::GenError;

fn pos(c: u8) -> u8 {
    c - b'a'
}

fn letter(p: u8) -> char {
    char::from(b'a' + p % 26)
}

/// Shifts every lowercase letter forward by `shift` (any integer; wraps around).
pub fn caesar_encrypt(text: &str, shift: i64) -> String {
    let s = shift.rem_euclid(26) as u8;
    text.bytes()
        .map(|c| {
            if c.is_ascii_lowercase() {
                letter(pos(c) + s)
            } else {
                char::from(c)
            }
        })
        .collect()
}

pub fn caesar_decrypt(text: &str, shift: i64) -> String {
    caesar_encrypt(text, -(shift.rem_euclid(26)))
}

fn vigenere_key(key: &str) -> Result<Vec<u8>, GenError> {
    if key.is_empty() || !key.bytes().all(|c| c.is_ascii_lowercase()) {
        return Err(GenError::InvalidKey {
            cipher: "vigenere",
            key: key.to_string(),
            reason: "the keyword must be one or more lowercase letters a-z".into(),
        });
    }
    Ok(key.bytes().map(pos).collect())
}

/// Vigenère: the `i`-th letter of the text (counting letters only, not spaces) is shifted by the
/// `i mod len`-th keyword letter (`a` = 0).
pub fn vigenere_encrypt(text: &str, key: &str) -> Result<String, GenError> {
    vigenere(text, key, false)
}

pub fn vigenere_decrypt(text: &str, key: &str) -> Result<String, GenError> {
    vigenere(text, key, true)
}

fn vigenere(text: &str, key: &str, decrypt: bool) -> Result<String, GenError> {
    let k = vigenere_key(key)?;
    let mut i = 0;
    Ok(text
        .bytes()
        .map(|c| {
            if !c.is_ascii_lowercase() {
                return char::from(c);
            }
            let s = k[i % k.len()];
            i += 1;
            letter(if decrypt { pos(c) + 26 - s } else { pos(c) + s })
        })
        .collect())
}

fn substitution_key(key: &str) -> Result<[u8; 26], GenError> {
    let bad = |reason: &str| GenError::InvalidKey {
        cipher: "substitution",
        key: key.to_string(),
        reason: reason.into(),
    };
    let bytes = key.as_bytes();
    if bytes.len() != 26 || !bytes.iter().all(u8::is_ascii_lowercase) {
        return Err(bad(
            "the cipher alphabet must be exactly 26 lowercase letters",
        ));
    }
    let mut seen = [false; 26];
    let mut out = [0u8; 26];
    for (i, c) in bytes.iter().enumerate() {
        if std::mem::replace(&mut seen[usize::from(pos(*c))], true) {
            return Err(bad(
                "the cipher alphabet must use every letter exactly once",
            ));
        }
        out[i] = pos(*c);
    }
    Ok(out)
}

/// Simple substitution: `key[i]` is the ciphertext letter of plaintext letter `'a' + i`.
pub fn substitution_encrypt(text: &str, key: &str) -> Result<String, GenError> {
    let k = substitution_key(key)?;
    Ok(text
        .bytes()
        .map(|c| {
            if c.is_ascii_lowercase() {
                letter(k[usize::from(pos(c))])
            } else {
                char::from(c)
            }
        })
        .collect())
}

pub fn substitution_decrypt(text: &str, key: &str) -> Result<String, GenError> {
    let k = substitution_key(key)?;
    let mut inverse = [0u8; 26];
    for (i, c) in k.iter().enumerate() {
        inverse[usize::from(*c)] = i as u8;
    }
    Ok(text
        .bytes()
        .map(|c| {
            if c.is_ascii_lowercase() {
                letter(inverse[usize::from(pos(c))])
            } else {
                char::from(c)
            }
        })
        .collect())
}

/// A random alphabet permutation, usable as a substitution key.
pub fn random_substitution_key<R: Rng + ?Sized>(rng: &mut R) -> String {
    let mut letters: Vec<u8> = (b'a'..=b'z').collect();
    // Fisher-Yates by hand: the key must not depend on a library's shuffle algorithm changing.
    for i in (1..letters.len()).rev() {
        let j = rng.random_range(0..=i);
        letters.swap(i, j);
    }
    letters.into_iter().map(char::from).collect()
}

/// The pair-average cipher: each letter at position `p` becomes two letters at positions `a`
/// and `b` with `a + b = 2p`; the pair is drawn from `rng` among all valid pairs.
pub fn pair_average_encrypt<R: Rng + ?Sized>(text: &str, rng: &mut R) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.bytes() {
        if c.is_ascii_lowercase() {
            let p = i32::from(pos(c));
            let a = rng.random_range((2 * p - 25).max(0)..=(2 * p).min(25));
            out.push(letter(a as u8));
            out.push(letter((2 * p - a) as u8));
        } else {
            out.push(char::from(c));
        }
    }
    out
}

/// Decodes the pair-average cipher word by word: each pair of letters becomes the letter at the
/// average of their positions. A word of odd length or an odd position sum is an error.
pub fn pair_average_decrypt(text: &str) -> Result<String, GenError> {
    let bad = |reason: &str| GenError::InvalidCiphertext {
        cipher: "pair-average",
        text: text.to_string(),
        reason: reason.into(),
    };
    let mut out = String::with_capacity(text.len() / 2);
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let b = word.as_bytes();
        if b.len() % 2 != 0 || !b.iter().all(u8::is_ascii_lowercase) {
            return Err(bad(
                "every word must be an even number of lowercase letters",
            ));
        }
        for pair in b.chunks(2) {
            let sum = pos(pair[0]) + pos(pair[1]);
            if !sum.is_multiple_of(2) {
                return Err(bad(
                    "a letter pair has an odd position sum, so it has no average letter",
                ));
            }
            out.push(letter(sum / 2));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::SeedableRng;

    #[test]
    fn the_o1_example_decodes() {
        let d =
            pair_average_decrypt("oyfjdnisdr rtqwainr acxz mynzbhhx").expect("valid ciphertext");
        assert_eq!(d, "think step by step");
        assert!(pair_average_decrypt("abc").is_err());
        assert!(pair_average_decrypt("ab").is_err(), "a+b has an odd sum");
    }

    #[test]
    fn known_vectors() {
        assert_eq!(caesar_encrypt("hello world", 3), "khoor zruog");
        assert_eq!(caesar_decrypt("khoor zruog", 3), "hello world");
        assert_eq!(caesar_encrypt("xyz", 29), "abc");
        // The classic example; spaces do not consume keyword letters.
        assert_eq!(
            vigenere_encrypt("attack at dawn", "lemon").ok(),
            Some("lxfopv ef rnhr".into())
        );
        let atbash: String = (b'a'..=b'z').rev().map(char::from).collect();
        assert_eq!(
            substitution_encrypt("abc xyz", &atbash).ok(),
            Some("zyx cba".into())
        );
        assert!(substitution_encrypt("abc", "abc").is_err());
        assert!(substitution_encrypt("abc", &"a".repeat(26)).is_err());
        assert!(vigenere_encrypt("abc", "").is_err());
        assert!(vigenere_encrypt("abc", "Key").is_err());
    }

    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec("[a-z]{1,12}", 1..8).prop_map(|w| w.join(" "))
    }

    proptest! {
        #[test]
        fn caesar_round_trips(t in text(), shift in -100i64..100) {
            prop_assert_eq!(caesar_decrypt(&caesar_encrypt(&t, shift), shift), t);
        }

        #[test]
        fn vigenere_round_trips(t in text(), key in "[a-z]{1,10}") {
            let c = vigenere_encrypt(&t, &key).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(vigenere_decrypt(&c, &key).ok(), Some(t));
        }

        #[test]
        fn substitution_round_trips(t in text(), seed in any::<u64>()) {
            let key = random_substitution_key(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
            let c = substitution_encrypt(&t, &key).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(substitution_decrypt(&c, &key).ok(), Some(t));
        }

        #[test]
        fn pair_average_round_trips(t in text(), seed in any::<u64>()) {
            let c = pair_average_encrypt(&t, &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
            prop_assert_eq!(c.len(), 2 * t.len() - t.matches(' ').count());
            prop_assert_eq!(pair_average_decrypt(&c).ok(), Some(t));
        }
    }
}

//! The cipher verifier: round trips for the bijective ciphers, decoding for pair-average.
//!
//! These are the verifier's own implementations (never the generators'), so a shared bug
//! cannot hide. Conventions (see `mull_data::CipherPayload`): letters `a`..`z` are 0..25; a
//! Caesar key is a decimal shift (any integer); a Vigenère key is a lowercase keyword whose
//! `i mod len`-th letter shifts the `i`-th letter of the text, counting letters only; a
//! substitution key is the 26-letter cipher alphabet (`key[i]` encrypts `'a' + i`); the
//! pair-average cipher writes each letter as two letters whose positions average to its own.
//!
//! Texts compare after [`normalize`]: lowercase ASCII letters, every other run of characters
//! one space. For Caesar, Vigenère and substitution the candidate plaintext is *encrypted* and
//! compared with the ciphertext (the round trip); pair-average encryption is not a function,
//! so there the ciphertext is decoded and compared with the candidate. Steps
//! `cipher words -> plain words` are checked the same way; Vigenère words are checked at the
//! key offsets where they occur in the ciphertext.

use mull_data::{Attempt, CipherKind, CipherPayload, Problem, Verdict};

use crate::math::extract::extract_answer;
use crate::Verifier;

/// Why a cipher problem could not be graded (a malformed problem, not a wrong answer).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CipherError {
    #[error("the {0:?} cipher needs a key and the problem has none")]
    MissingKey(CipherKind),
    #[error("invalid {cipher:?} key `{key}`: {reason}")]
    InvalidKey {
        cipher: CipherKind,
        key: String,
        reason: String,
    },
    #[error("the ciphertext is not a pair-average ciphertext: {0}")]
    BadCiphertext(String),
}

/// A cipher with its key parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cipher {
    Caesar(u8),
    Vigenere(Vec<u8>),
    /// `enc[i]` encrypts letter `i`.
    Substitution([u8; 26]),
    PairAverage,
}

impl Cipher {
    /// Parses the payload's key for its cipher.
    pub fn from_payload(p: &CipherPayload) -> Result<Self, CipherError> {
        let key = || {
            p.key
                .as_deref()
                .map(str::trim)
                .ok_or(CipherError::MissingKey(p.cipher))
        };
        let bad = |key: &str, reason: &str| CipherError::InvalidKey {
            cipher: p.cipher,
            key: key.to_string(),
            reason: reason.to_string(),
        };
        match p.cipher {
            CipherKind::Caesar => {
                let k = key()?;
                let shift: i64 = k.parse().map_err(|_| bad(k, "not an integer shift"))?;
                Ok(Cipher::Caesar(shift.rem_euclid(26) as u8))
            }
            CipherKind::Vigenere => {
                let k = key()?;
                if k.is_empty() || !k.bytes().all(|c| c.is_ascii_lowercase()) {
                    return Err(bad(k, "the keyword must be one or more lowercase letters"));
                }
                Ok(Cipher::Vigenere(k.bytes().map(|c| c - b'a').collect()))
            }
            CipherKind::Substitution => {
                let k = key()?;
                let b = k.as_bytes();
                let mut seen = [false; 26];
                let mut enc = [0u8; 26];
                if b.len() != 26 {
                    return Err(bad(k, "the cipher alphabet must have 26 letters"));
                }
                for (i, c) in b.iter().enumerate() {
                    if !c.is_ascii_lowercase() || seen[usize::from(c - b'a')] {
                        return Err(bad(k, "the cipher alphabet must be a permutation of a-z"));
                    }
                    seen[usize::from(c - b'a')] = true;
                    enc[i] = c - b'a';
                }
                Ok(Cipher::Substitution(enc))
            }
            CipherKind::PairAverage => Ok(Cipher::PairAverage),
        }
    }

    /// Encrypts normalised text, the key starting at letter offset `offset` (Vigenère only).
    /// `None` for pair-average, which has no single encryption.
    pub fn encrypt_at(&self, text: &str, offset: usize) -> Option<String> {
        let mut i = offset;
        let map = |c: u8, i: &mut usize| -> u8 {
            let p = c - b'a';
            let e = match self {
                Cipher::Caesar(s) => (p + s) % 26,
                Cipher::Vigenere(k) => {
                    let s = k.get(*i % k.len().max(1)).copied().unwrap_or(0);
                    *i += 1;
                    (p + s) % 26
                }
                Cipher::Substitution(enc) => enc[usize::from(p)],
                Cipher::PairAverage => p,
            };
            b'a' + e
        };
        if *self == Cipher::PairAverage {
            return None;
        }
        Some(
            text.bytes()
                .map(|c| {
                    if c.is_ascii_lowercase() {
                        char::from(map(c, &mut i))
                    } else {
                        char::from(c)
                    }
                })
                .collect(),
        )
    }

    /// Encrypts normalised text from the start of the key.
    pub fn encrypt(&self, text: &str) -> Option<String> {
        self.encrypt_at(text, 0)
    }

    /// Decrypts normalised text (for pair-average: decodes it).
    pub fn decrypt(&self, text: &str) -> Result<String, CipherError> {
        match self {
            Cipher::PairAverage => pair_average_decode(text),
            Cipher::Caesar(s) => Ok(shift_all(text, |_| 26 - s)),
            Cipher::Vigenere(k) => {
                let mut i = 0usize;
                Ok(shift_all(text, |_| {
                    let s = k.get(i % k.len().max(1)).copied().unwrap_or(0);
                    i += 1;
                    26 - s
                }))
            }
            Cipher::Substitution(enc) => {
                let mut dec = [0u8; 26];
                for (i, e) in enc.iter().enumerate() {
                    dec[usize::from(*e)] = i as u8;
                }
                Ok(text
                    .bytes()
                    .map(|c| {
                        if c.is_ascii_lowercase() {
                            char::from(b'a' + dec[usize::from(c - b'a')])
                        } else {
                            char::from(c)
                        }
                    })
                    .collect())
            }
        }
    }
}

fn shift_all(text: &str, mut by: impl FnMut(u8) -> u8) -> String {
    text.bytes()
        .map(|c| {
            if c.is_ascii_lowercase() {
                char::from(b'a' + (c - b'a' + by(c)) % 26)
            } else {
                char::from(c)
            }
        })
        .collect()
}

/// Lowercase ASCII letters, every run of anything else one space, no space at either end.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(c.to_ascii_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Decodes normalised pair-average ciphertext: each pair of letters is the letter at the
/// average of their positions.
pub fn pair_average_decode(text: &str) -> Result<String, CipherError> {
    let mut out = Vec::new();
    for (w, word) in text.split(' ').enumerate() {
        if w > 0 {
            out.push(b' ');
        }
        let b = word.as_bytes();
        if !b.iter().all(u8::is_ascii_lowercase) {
            return Err(CipherError::BadCiphertext(format!(
                "`{word}` is not lowercase letters"
            )));
        }
        if b.len() % 2 != 0 {
            return Err(CipherError::BadCiphertext(format!(
                "`{word}` has an odd number of letters"
            )));
        }
        for pair in b.chunks_exact(2) {
            let sum = u16::from(pair[0] - b'a') + u16::from(pair[1] - b'a');
            if sum % 2 != 0 {
                return Err(CipherError::BadCiphertext(format!(
                    "`{}` has no whole-letter average",
                    String::from_utf8_lossy(pair)
                )));
            }
            out.push(b'a' + (sum / 2) as u8);
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Whether candidate plaintext `plain` solves the problem; `Ok(Err(reason))` when it does not.
pub fn check_plaintext(
    payload: &CipherPayload,
    plain: &str,
) -> Result<Result<String, String>, CipherError> {
    let cipher = Cipher::from_payload(payload)?;
    let ct = normalize(&payload.ciphertext);
    let cand = normalize(plain);
    if cand.is_empty() {
        return Ok(Err("empty answer".into()));
    }
    if let Some(enc) = cipher.encrypt(&cand) {
        return Ok(if enc == ct {
            Ok("re-encrypts to the ciphertext".into())
        } else {
            Err(format!(
                "re-encrypting `{}` gives `{}`, but the ciphertext is `{}`",
                short(&cand),
                short(&enc),
                short(&ct)
            ))
        });
    }
    let decoded = cipher.decrypt(&ct)?;
    Ok(if decoded == cand {
        Ok("matches the decoded ciphertext".into())
    } else {
        Err(format!(
            "expected `{}`, got `{}`",
            short(&decoded),
            short(&cand)
        ))
    })
}

/// Checks a step `cipher words -> plain words` (`→` and `=>` too): `None` for steps of other
/// shapes. Prose before the cipher words or after the plain words is ignored (the shorter
/// side's word count is used).
pub fn check_cipher_step(cipher: &Cipher, ciphertext: &str, step: &str) -> Option<bool> {
    let (l, r) = ["->", "→", "=>"].iter().find_map(|a| step.split_once(a))?;
    let (l, r) = (normalize(l), normalize(r));
    let (lw, rw): (Vec<&str>, Vec<&str>) = (
        l.split(' ').filter(|w| !w.is_empty()).collect(),
        r.split(' ').filter(|w| !w.is_empty()).collect(),
    );
    let n = lw.len().min(rw.len());
    if n == 0 {
        return None;
    }
    let cw = lw[lw.len() - n..].join(" ");
    let pw = rw[..n].join(" ");
    match cipher {
        Cipher::PairAverage => Some(pair_average_decode(&cw).is_ok_and(|d| d == pw)),
        Cipher::Vigenere(_) => {
            // The key offset depends on where the words stand in the ciphertext.
            let ct = normalize(ciphertext);
            let words: Vec<&str> = ct.split(' ').collect();
            let mut offset = 0;
            for start in 0..words.len() {
                if words.len() >= start + n
                    && words[start..start + n].join(" ") == cw
                    && cipher.encrypt_at(&pw, offset).as_deref() == Some(cw.as_str())
                {
                    return Some(true);
                }
                offset += words[start].len();
            }
            Some(false)
        }
        _ => Some(cipher.encrypt(&pw).as_deref() == Some(cw.as_str())),
    }
}

fn short(s: &str) -> String {
    match s.char_indices().nth(80) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Grades `cipher` attempts.
#[derive(Debug, Clone, Copy, Default)]
pub struct CipherVerifier;

impl CipherVerifier {
    pub const NAME: &'static str = "cipher";
    pub const VERSION: u32 = 1;
}

impl Verifier for CipherVerifier {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn version(&self) -> u32 {
        Self::VERSION
    }

    fn verify(&self, problem: &Problem, attempt: &Attempt) -> Verdict {
        let err = |e: String| Verdict::error(e, Self::NAME, Self::VERSION);
        let payload: CipherPayload = match problem.payload_as() {
            Ok(p) => p,
            Err(e) => return err(e.to_string()),
        };
        let cipher = match Cipher::from_payload(&payload) {
            Ok(c) => c,
            Err(e) => return err(e.to_string()),
        };
        let (steps, answer_text) = crate::math::steps_and_answer(attempt);
        let checks = steps
            .iter()
            .map(|s| check_cipher_step(&cipher, &payload.ciphertext, s))
            .collect();
        let answer = extract_answer(&answer_text)
            .map(|(a, _)| a)
            .unwrap_or_default();
        let verdict = match check_plaintext(&payload, &answer) {
            Ok(Ok(reason)) => Verdict::correct(reason, Self::NAME, Self::VERSION),
            Ok(Err(reason)) => Verdict::incorrect(reason, Self::NAME, Self::VERSION),
            Err(e) => err(e.to_string()),
        };
        verdict.with_steps(checks)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(cipher: CipherKind, key: Option<&str>, ct: &str) -> CipherPayload {
        CipherPayload {
            cipher,
            ciphertext: ct.into(),
            key: key.map(Into::into),
            example: None,
        }
    }

    #[test]
    fn o1_example_decodes() {
        let p = payload(
            CipherKind::PairAverage,
            None,
            "oyfjdnisdr rtqwainr acxz mynzbhhx",
        );
        assert_eq!(
            check_plaintext(&p, "Think step by step.").unwrap(),
            Ok("matches the decoded ciphertext".into())
        );
        assert!(check_plaintext(&p, "think step by stop").unwrap().is_err());
        let c = Cipher::PairAverage;
        assert_eq!(
            check_cipher_step(&c, &p.ciphertext, "oyfjdnisdr -> think"),
            Some(true)
        );
        assert_eq!(
            check_cipher_step(&c, &p.ciphertext, "oyfjdnisdr -> thing"),
            Some(false)
        );
        assert_eq!(
            check_cipher_step(&c, &p.ciphertext, "Let me look at the first word."),
            None
        );
    }

    #[test]
    fn known_vectors() {
        let c = Cipher::from_payload(&payload(CipherKind::Caesar, Some("3"), "")).unwrap();
        assert_eq!(c.encrypt("hello world").unwrap(), "khoor zruog");
        let c = Cipher::from_payload(&payload(CipherKind::Caesar, Some("-23"), "")).unwrap();
        assert_eq!(c.encrypt("xyz").unwrap(), "abc");
        let c = Cipher::from_payload(&payload(CipherKind::Vigenere, Some("lemon"), "")).unwrap();
        assert_eq!(c.encrypt("attack at dawn").unwrap(), "lxfopv ef rnhr");
        assert_eq!(c.decrypt("lxfopv ef rnhr").unwrap(), "attack at dawn");
        assert_eq!(
            check_cipher_step(&c, "lxfopv ef rnhr", "ef -> at"),
            Some(true)
        );
        assert_eq!(
            check_cipher_step(&c, "lxfopv ef rnhr", "2. rnhr -> dawn"),
            Some(true)
        );
        assert_eq!(
            check_cipher_step(&c, "lxfopv ef rnhr", "rnhr -> down"),
            Some(false)
        );
        let bad = payload(CipherKind::Substitution, Some("abc"), "x");
        assert!(matches!(
            Cipher::from_payload(&bad),
            Err(CipherError::InvalidKey { .. })
        ));
    }
}

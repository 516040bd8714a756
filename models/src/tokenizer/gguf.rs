//! The tokenizer embedded in a GGUF file, rebuilt as a `tokenizers` byte-level BPE.
//!
//! A GGUF llama file carries its vocabulary under `tokenizer.ggml.*`: `tokens` (id → string),
//! `merges` (`"Ġ t"`, in priority order), `token_type` (1 normal, 2 unknown, 3 control,
//! 4 user-defined, 5 unused, 6 byte), `bos_token_id` / `eos_token_id`, `model` (`gpt2` for
//! byte-level BPE) and `pre` (which pre-tokenizer regex llama.cpp applies). This module rebuilds
//! exactly what HF's `tokenizer.json` for the same model holds:
//! - model: BPE over the vocabulary and merges, no unknown token (byte-level covers every byte);
//! - pre-tokenizer: for the StarCoder family of `pre` values (`smollm`, `starcoder`, `refact`,
//!   `codeshell` — llama.cpp gives them one regex), each digit on its own (`Digits`), then the
//!   GPT-2 byte-level split; for `default`/`gpt-2`, the byte-level split alone;
//! - decoder: byte-level, so decoding round-trips the bytes of the text;
//! - control tokens (type 3, e.g. `<|im_start|>`) as special added tokens, user-defined ones
//!   (type 4) as plain added tokens: both are matched verbatim in the text, as llama.cpp does.
//!
//! Other tokenizer models (SentencePiece `llama`, ...) and `pre` values are refused with an error
//! naming the file, rather than tokenized subtly wrong.

use std::path::Path;

use candle_core::quantized::gguf_file::{Content, Value};
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::{AddedToken, PreTokenizerWrapper};

use super::{Source, Tokenizer};
use crate::error::{ModelError, Result};

/// `tokenizer.ggml.token_type` of a control token (`<|im_start|>`, `<|endoftext|>`).
const TOKEN_TYPE_CONTROL: i64 = 3;
/// `tokenizer.ggml.token_type` of a user-defined token (always matched verbatim in text).
const TOKEN_TYPE_USER_DEFINED: i64 = 4;

/// llama.cpp's `tokenizer.ggml.pre` values that use the StarCoder regex: every digit alone, then
/// the GPT-2 split.
const DIGIT_SPLIT_PRE: &[&str] = &["smollm", "starcoder", "refact", "codeshell"];
/// `pre` values that use the plain GPT-2 split.
const GPT2_PRE: &[&str] = &["default", "gpt-2", "gpt2"];

impl Tokenizer {
    /// Builds the tokenizer stored in a GGUF file's metadata (`path` is only for messages).
    pub fn from_gguf(content: &Content, path: &Path) -> Result<Self> {
        let meta = Meta { content, path };
        let model = meta.string("tokenizer.ggml.model")?;
        if model != "gpt2" {
            return Err(meta.bad(format!(
                "tokenizer.ggml.model is {model:?}; mull reads only byte-level BPE (\"gpt2\") \
                 vocabularies from GGUF — pass a tokenizer.json instead"
            )));
        }
        let pre = match meta.optional("tokenizer.ggml.pre") {
            Some(v) => meta.as_string("tokenizer.ggml.pre", v)?,
            None => "default".to_owned(),
        };
        let pre_tokenizer = pre_tokenizer(&pre).ok_or_else(|| {
            meta.bad(format!(
                "tokenizer.ggml.pre is {pre:?}; supported: {}",
                DIGIT_SPLIT_PRE
                    .iter()
                    .chain(GPT2_PRE)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;

        let tokens = meta.strings("tokenizer.ggml.tokens")?;
        let merges = meta
            .strings("tokenizer.ggml.merges")?
            .iter()
            .enumerate()
            .map(|(i, m)| {
                m.split_once(' ')
                    .map(|(a, b)| (a.to_owned(), b.to_owned()))
                    .ok_or_else(|| {
                        meta.bad(format!(
                            "tokenizer.ggml.merges[{i}] is {m:?}; expected two tokens separated \
                             by one space"
                        ))
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let token_types = match meta.optional("tokenizer.ggml.token_type") {
            Some(v) => meta.ints("tokenizer.ggml.token_type", v)?,
            None => vec![1; tokens.len()],
        };
        if token_types.len() != tokens.len() {
            return Err(meta.bad(format!(
                "tokenizer.ggml.token_type has {} entries for {} tokens",
                token_types.len(),
                tokens.len()
            )));
        }

        // Duplicate strings (some GGUF files have them) keep their first id, as HF's vocab does.
        let mut vocab = Vocab::default();
        for (id, token) in tokens.iter().enumerate() {
            let id = u32::try_from(id)
                .map_err(|_| meta.bad(format!("{} tokens do not fit u32 ids", tokens.len())))?;
            vocab.entry(token.clone()).or_insert(id);
        }
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, merges)
            .build()
            .map_err(|e| {
                meta.bad(format!(
                    "tokenizer.ggml.merges do not fit the vocabulary: {e}"
                ))
            })?;

        let mut inner = tokenizers::Tokenizer::new(bpe);
        inner.with_pre_tokenizer(Some(pre_tokenizer));
        inner.with_decoder(Some(ByteLevel::new(false, true, true)));
        let added = |kind: i64, special: bool| -> Vec<AddedToken> {
            tokens
                .iter()
                .zip(&token_types)
                .filter(|(_, &t)| t == kind)
                .map(|(tok, _)| AddedToken::from(tok.clone(), special))
                .collect()
        };
        let (control, user) = (
            added(TOKEN_TYPE_CONTROL, true),
            added(TOKEN_TYPE_USER_DEFINED, false),
        );
        inner
            .add_special_tokens(control)
            .map_err(|e| meta.bad(format!("cannot add the control tokens: {e}")))?;
        inner
            .add_tokens(user)
            .map_err(|e| meta.bad(format!("cannot add the user-defined tokens: {e}")))?;

        let id = |key: &str| -> Result<Option<u32>> {
            let Some(v) = meta.optional(key) else {
                return Ok(None);
            };
            let id = meta.int(key, v)?;
            match u32::try_from(id) {
                Ok(id) if (id as usize) < tokens.len() => Ok(Some(id)),
                _ => Err(meta.bad(format!(
                    "{key} is {id}, outside the vocabulary of {} tokens",
                    tokens.len()
                ))),
            }
        };
        let (bos, eos) = (
            id("tokenizer.ggml.bos_token_id")?,
            id("tokenizer.ggml.eos_token_id")?,
        );
        Self::wrap(inner, Source::Gguf(path.to_path_buf()), bos, eos)
    }
}

fn pre_tokenizer(pre: &str) -> Option<PreTokenizerWrapper> {
    let byte_level = ByteLevel::new(false, true, true);
    if DIGIT_SPLIT_PRE.contains(&pre) {
        Some(PreTokenizerWrapper::Sequence(Sequence::new(vec![
            PreTokenizerWrapper::Digits(Digits::new(true)),
            PreTokenizerWrapper::ByteLevel(byte_level),
        ])))
    } else if GPT2_PRE.contains(&pre) {
        Some(PreTokenizerWrapper::ByteLevel(byte_level))
    } else {
        None
    }
}

/// Typed access to GGUF metadata with errors that name the file and the key.
struct Meta<'a> {
    content: &'a Content,
    path: &'a Path,
}

impl Meta<'_> {
    fn bad(&self, message: String) -> ModelError {
        ModelError::BadFile {
            path: self.path.to_path_buf(),
            message,
        }
    }

    fn optional(&self, key: &str) -> Option<&Value> {
        self.content.metadata.get(key)
    }

    fn required(&self, key: &str) -> Result<&Value> {
        self.optional(key).ok_or_else(|| {
            self.bad(format!(
                "no {key} in the GGUF metadata; expected an embedded tokenizer"
            ))
        })
    }

    fn as_string(&self, key: &str, v: &Value) -> Result<String> {
        match v {
            Value::String(s) => Ok(s.clone()),
            other => Err(self.bad(format!("{key} is {other:?}; expected a string"))),
        }
    }

    fn string(&self, key: &str) -> Result<String> {
        self.as_string(key, self.required(key)?)
    }

    fn strings(&self, key: &str) -> Result<Vec<String>> {
        match self.required(key)? {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.as_string(&format!("{key}[{i}]"), v))
                .collect(),
            _ => Err(self.bad(format!("{key} is not an array of strings"))),
        }
    }

    fn int(&self, key: &str, v: &Value) -> Result<i64> {
        let n = match *v {
            Value::U8(n) => i64::from(n),
            Value::I8(n) => i64::from(n),
            Value::U16(n) => i64::from(n),
            Value::I16(n) => i64::from(n),
            Value::U32(n) => i64::from(n),
            Value::I32(n) => i64::from(n),
            Value::I64(n) => n,
            Value::U64(n) => i64::try_from(n)
                .map_err(|_| self.bad(format!("{key} is {n}, too large for an integer")))?,
            ref other => return Err(self.bad(format!("{key} is {other:?}; expected an integer"))),
        };
        Ok(n)
    }

    fn ints(&self, key: &str, v: &Value) -> Result<Vec<i64>> {
        match v {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| self.int(&format!("{key}[{i}]"), v))
                .collect(),
            _ => Err(self.bad(format!("{key} is not an array of integers"))),
        }
    }
}

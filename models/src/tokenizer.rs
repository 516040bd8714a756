//! Tokenizers: text ⇄ token ids for every model mull runs.
//!
//! One type, [`Tokenizer`], wraps a `tokenizers::Tokenizer` built one of three ways:
//! - [`Tokenizer::from_file`]: an HF `tokenizer.json` (the student export format, and any HF model);
//! - [`Tokenizer::from_gguf`]: the vocabulary and merges stored in a GGUF file (see [`gguf`]);
//! - [`Tokenizer::char_level`]: one id per character, for models trained from scratch (see
//!   [`char_level`]).
//!
//! Conventions shared by all three, chosen to match llama.cpp (the reference fixture):
//! - [`Tokenizer::encode`] adds nothing: no BOS, no EOS, no post-processor template. Special
//!   tokens written in the text (`<|im_start|>`, `<eos>`) become their ids, so a rendered chat
//!   prompt encodes exactly as llama.cpp's `tokenize(text, add_bos=False, special=True)` does.
//! - [`Tokenizer::decode`] keeps special tokens, so `decode(encode(s)) == s` holds for chat markup
//!   too; [`Tokenizer::decode_skip_special`] drops them.
//! - Every tokenizer can be [`Tokenizer::save`]d as `tokenizer.json` and loaded back by HF
//!   `transformers` / `tokenizers`.

pub mod char_level;
pub mod gguf;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{ModelError, Result};

/// Names that conventionally mark the beginning / end of a sequence, tried in order when a
/// `tokenizer.json` comes without a `tokenizer_config.json` saying which tokens they are.
const BOS_NAMES: &[&str] = &[char_level::BOS, "<s>", "<|begin_of_text|>", "<|im_start|>"];
const EOS_NAMES: &[&str] = &[
    char_level::EOS,
    "</s>",
    "<|im_end|>",
    "<|end_of_text|>",
    "<|endoftext|>",
];

/// Where a tokenizer came from (for messages and `Debug`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An HF `tokenizer.json`.
    File(PathBuf),
    /// The vocabulary embedded in a GGUF file.
    Gguf(PathBuf),
    /// A character-level vocabulary built in memory.
    CharLevel,
}

/// A text tokenizer: encode, decode, special-token ids, save as `tokenizer.json`.
#[derive(Clone)]
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    source: Source,
    bos: Option<u32>,
    eos: Option<u32>,
}

impl fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokenizer")
            .field("source", &self.source)
            .field("vocab_size", &self.vocab_size())
            .field("bos", &self.bos)
            .field("eos", &self.eos)
            .finish()
    }
}

impl Tokenizer {
    /// Wraps an already built `tokenizers::Tokenizer`, switching off truncation and padding (a
    /// loaded file may configure them; mull always wants every token of the text).
    pub(crate) fn wrap(
        mut inner: tokenizers::Tokenizer,
        source: Source,
        bos: Option<u32>,
        eos: Option<u32>,
    ) -> Result<Self> {
        inner
            .with_truncation(None)
            .map_err(|e| ModelError::Tokenizer(format!("cannot switch off truncation: {e}")))?;
        inner.with_padding(None);
        Ok(Self {
            inner,
            source,
            bos,
            eos,
        })
    }

    /// Loads an HF `tokenizer.json`. The BOS/EOS ids come from a `tokenizer_config.json` beside it
    /// when there is one (its `bos_token` / `eos_token`), else from conventional token names
    /// (`<bos>`/`<eos>` of [`Tokenizer::char_level`], `<s>`/`</s>`, `<|im_start|>`/`<|im_end|>`,
    /// ...). Use [`Tokenizer::with_special_ids`] when the model's `config.json` knows better.
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let inner = tokenizers::Tokenizer::from_bytes(&bytes).map_err(|e| ModelError::BadFile {
            path: path.to_path_buf(),
            message: format!("expected an HF tokenizer.json: {e}"),
        })?;
        let (bos_name, eos_name) = read_tokenizer_config(path)?;
        let lookup = |named: Option<String>, conventional: &[&str]| match named {
            Some(name) => inner.token_to_id(&name),
            None => conventional.iter().find_map(|n| inner.token_to_id(n)),
        };
        let bos = lookup(bos_name, BOS_NAMES);
        let eos = lookup(eos_name, EOS_NAMES);
        Self::wrap(inner, Source::File(path.to_path_buf()), bos, eos)
    }

    /// Replaces the BOS/EOS ids (e.g. with those of a model's `config.json`). An id outside the
    /// vocabulary is an error.
    pub fn with_special_ids(mut self, bos: Option<u32>, eos: Option<u32>) -> Result<Self> {
        for id in [bos, eos].into_iter().flatten() {
            if self.inner.id_to_token(id).is_none() {
                return Err(ModelError::Invalid(format!(
                    "special token id {id} is not in the vocabulary of {} tokens",
                    self.vocab_size()
                )));
            }
        }
        self.bos = bos;
        self.eos = eos;
        Ok(self)
    }

    /// Token ids of `text`. Nothing is added (no BOS); special tokens written in the text become
    /// their ids.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>> {
        let encoding = self.inner.encode_fast(text, false).map_err(|e| {
            ModelError::Tokenizer(format!("cannot encode a text of {} bytes: {e}", text.len()))
        })?;
        Ok(encoding.get_ids().to_vec())
    }

    /// The text of `ids`, special tokens included (so that `decode(encode(s)) == s`). An id that is
    /// not in the vocabulary is an error, never silently dropped. Byte-level tokens that end inside
    /// a UTF-8 character decode to U+FFFD until the rest of the character follows.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.decode_inner(ids, false)
    }

    /// Like [`Tokenizer::decode`] but leaves out special tokens (`<|im_end|>`, `<eos>`, ...).
    pub fn decode_skip_special(&self, ids: &[u32]) -> Result<String> {
        self.decode_inner(ids, true)
    }

    fn decode_inner(&self, ids: &[u32], skip_special: bool) -> Result<String> {
        // `tokenizers` skips unknown ids without a word; a model emitting an id past the
        // vocabulary (padded embedding rows) is a bug the caller must hear about.
        if let Some(bad) = ids.iter().find(|&&id| self.inner.id_to_token(id).is_none()) {
            return Err(ModelError::Invalid(format!(
                "token id {bad} is not in the vocabulary of {} tokens ({:?})",
                self.vocab_size(),
                self.source
            )));
        }
        self.inner
            .decode(ids, skip_special)
            .map_err(|e| ModelError::Tokenizer(format!("cannot decode {} ids: {e}", ids.len())))
    }

    /// The end-of-sequence id, if the vocabulary has one.
    pub fn eos_token_id(&self) -> Option<u32> {
        self.eos
    }

    /// The beginning-of-sequence id, if the vocabulary has one.
    pub fn bos_token_id(&self) -> Option<u32> {
        self.bos
    }

    /// The id of one token given by its exact vocabulary string (`"<|im_end|>"`, `"Ġthe"`).
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.inner.token_to_id(token)
    }

    /// The vocabulary string of one id.
    pub fn token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Number of distinct tokens, added special tokens included.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Where this tokenizer came from.
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// The wrapped `tokenizers` value, for callers that need more (offsets, batch encoding).
    pub fn inner(&self) -> &tokenizers::Tokenizer {
        &self.inner
    }

    /// Writes `tokenizer.json` (pretty-printed) at `path`, loadable by [`Tokenizer::from_file`]
    /// and by HF `tokenizers`. Written to a temporary name and renamed, so a crash never leaves a
    /// half-written file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let json = self.inner.to_string(true).map_err(|e| {
            ModelError::Tokenizer(format!("cannot serialise the tokenizer for {path:?}: {e}"))
        })?;
        let io = |source| ModelError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut tmp_name = path.as_os_str().to_owned();
        tmp_name.push(".tmp");
        let tmp = PathBuf::from(tmp_name);
        std::fs::write(&tmp, json.as_bytes()).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

/// `bos_token` / `eos_token` names from the `tokenizer_config.json` beside `tokenizer_json`, when
/// that file exists. Each may be a string or an object with a `content` field.
fn read_tokenizer_config(tokenizer_json: &Path) -> Result<(Option<String>, Option<String>)> {
    let Some(dir) = tokenizer_json.parent() else {
        return Ok((None, None));
    };
    let config_path = dir.join("tokenizer_config.json");
    let bytes = match std::fs::read(&config_path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((None, None)),
        Err(source) => {
            return Err(ModelError::Io {
                path: config_path,
                source,
            })
        }
    };
    let value: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| ModelError::BadFile {
            path: config_path.clone(),
            message: format!("expected a JSON object (HF tokenizer_config.json): {e}"),
        })?;
    let name = |key: &str| match value.get(key) {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(obj @ serde_json::Value::Object(_)) => obj
            .get("content")
            .and_then(|c| c.as_str())
            .map(str::to_owned),
        _ => None,
    };
    Ok((name("bos_token"), name("eos_token")))
}

//! A character-level tokenizer for models trained from scratch.
//!
//! Ids, fixed so that every char-level model agrees on them:
//!
//! | id | token | use |
//! |---|---|---|
//! | 0 | `<pad>` | padding in training batches |
//! | 1 | `<bos>` | beginning of sequence ([`Tokenizer::bos_token_id`]) |
//! | 2 | `<eos>` | end of sequence ([`Tokenizer::eos_token_id`]) |
//! | 3 | `<unk>` | any character outside the alphabet |
//! | 4.. | one per distinct character of the alphabet, in order of first occurrence | |
//!
//! It is an ordinary `tokenizers` BPE with single-character tokens and no merges, no
//! pre-tokenizer and the `Fuse` decoder (tokens joined without spaces), so the `tokenizer.json`
//! that [`Tokenizer::save`] writes loads in HF `tokenizers`/`transformers` and gives the same ids.
//! The four special tokens are special added tokens: `<eos>` written in a text encodes as id 2.
//! Text over the alphabet round-trips exactly; other characters become `<unk>`.

use tokenizers::decoders::fuse::Fuse;
use tokenizers::models::bpe::{Vocab, BPE};
use tokenizers::AddedToken;

use super::{Source, Tokenizer};
use crate::error::{ModelError, Result};

/// Padding token (id [`PAD_ID`]).
pub const PAD: &str = "<pad>";
/// Beginning-of-sequence token (id [`BOS_ID`]).
pub const BOS: &str = "<bos>";
/// End-of-sequence token (id [`EOS_ID`]).
pub const EOS: &str = "<eos>";
/// Unknown-character token (id [`UNK_ID`]).
pub const UNK: &str = "<unk>";
pub const PAD_ID: u32 = 0;
pub const BOS_ID: u32 = 1;
pub const EOS_ID: u32 = 2;
pub const UNK_ID: u32 = 3;
/// Id of the alphabet's first character.
pub const FIRST_CHAR_ID: u32 = 4;

impl Tokenizer {
    /// A character-level tokenizer over the distinct characters of `alphabet` (see the module
    /// docs for the ids). Never fails: see [`Tokenizer::try_char_level`].
    pub fn char_level(alphabet: &str) -> Self {
        // The builder's error paths are merges outside the vocabulary (there are none), a bad
        // dropout (none is set) and normalising added tokens (there is no normaliser); no
        // alphabet reaches them.
        Self::try_char_level(alphabet).expect("a char-level tokenizer has no failing build step")
    }

    /// [`Tokenizer::char_level`], with the (unreachable in practice) builder errors returned.
    pub fn try_char_level(alphabet: &str) -> Result<Self> {
        let specials = [PAD, BOS, EOS, UNK];
        let mut vocab: Vocab = specials
            .iter()
            .zip(0u32..)
            .map(|(t, id)| ((*t).to_owned(), id))
            .collect();
        let mut next = FIRST_CHAR_ID;
        for c in alphabet.chars() {
            if let std::collections::hash_map::Entry::Vacant(slot) = vocab.entry(c.to_string()) {
                slot.insert(next);
                next += 1;
            }
        }
        let bpe = BPE::builder()
            .vocab_and_merges(vocab, Vec::new())
            .unk_token(UNK.to_owned())
            .build()
            .map_err(|e| ModelError::Tokenizer(format!("cannot build a char-level BPE: {e}")))?;
        let mut inner = tokenizers::Tokenizer::new(bpe);
        inner.with_decoder(Some(Fuse::new()));
        inner
            .add_special_tokens(specials.iter().map(|t| AddedToken::from(*t, true)))
            .map_err(|e| ModelError::Tokenizer(format!("cannot add char-level specials: {e}")))?;
        Self::wrap(inner, Source::CharLevel, Some(BOS_ID), Some(EOS_ID))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ALPHABET: &str = "0123456789+-*/=() .\n<>abcdefghijklmnopqrstuvwxyzéü漢😀:";

    #[test]
    fn ids_are_fixed_and_documented() {
        let t = Tokenizer::char_level("ba\nab");
        assert_eq!(t.vocab_size(), 7);
        assert_eq!(t.token_id(PAD), Some(PAD_ID));
        assert_eq!(t.token_id(BOS), Some(BOS_ID));
        assert_eq!(t.token_id(EOS), Some(EOS_ID));
        assert_eq!(t.token_id(UNK), Some(UNK_ID));
        assert_eq!(t.bos_token_id(), Some(BOS_ID));
        assert_eq!(t.eos_token_id(), Some(EOS_ID));
        // First occurrence order, duplicates collapsed.
        assert_eq!(t.encode("ab\n").unwrap(), vec![5, 4, 6]);
    }

    #[test]
    fn specials_in_text_and_unknown_characters() {
        let t = Tokenizer::char_level("abc");
        assert_eq!(t.encode("a<eos>b").unwrap(), vec![4, EOS_ID, 5]);
        assert_eq!(t.encode("azc").unwrap(), vec![4, UNK_ID, 6]);
        assert_eq!(t.decode(&[4, EOS_ID, 6]).unwrap(), "a<eos>c");
        assert_eq!(
            t.decode_skip_special(&[BOS_ID, 4, EOS_ID, 6]).unwrap(),
            "ac"
        );
        assert!(
            t.decode(&[99]).is_err(),
            "an id past the vocabulary is an error"
        );
        assert_eq!(t.encode("").unwrap(), Vec::<u32>::new());
    }

    #[test]
    fn saved_tokenizer_json_loads_back_with_the_same_ids() {
        let t = Tokenizer::char_level(ALPHABET);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tokenizer.json");
        t.save(&path).unwrap();
        let back = Tokenizer::from_file(&path).unwrap();
        let text = "12 + 30 = 42\n<eos>(漢😀) éü xyz";
        assert_eq!(back.encode(text).unwrap(), t.encode(text).unwrap());
        assert_eq!(back.vocab_size(), t.vocab_size());
        assert_eq!(back.bos_token_id(), Some(BOS_ID));
        assert_eq!(back.eos_token_id(), Some(EOS_ID));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(json["model"]["type"], "BPE");
        assert_eq!(json["decoder"]["type"], "Fuse");
    }

    proptest! {
        #[test]
        fn round_trips_over_its_alphabet(
            chars in proptest::collection::vec(proptest::sample::select(ALPHABET.chars().collect::<Vec<_>>()), 0..200)
        ) {
            let t = Tokenizer::char_level(ALPHABET);
            let s: String = chars.iter().collect();
            let ids = t.encode(&s).unwrap();
            // One id per character, except where the text spells a special token.
            if !s.contains('<') {
                prop_assert_eq!(ids.len(), chars.len());
            }
            prop_assert_eq!(t.decode(&ids).unwrap(), s);
        }
    }
}

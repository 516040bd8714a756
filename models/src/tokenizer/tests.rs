//! Tests of the GGUF tokenizer against the real SmolLM2 file and llama.cpp's own tokenizations
//! (`../shared/fixtures/smollm2-llamacpp-reference.json`, beside the repository).

use std::path::Path;
use std::sync::OnceLock;

use candle_core::quantized::gguf_file::Content;
use proptest::prelude::*;

use super::*;

fn smollm2() -> &'static Tokenizer {
    static TOKENIZER: OnceLock<Tokenizer> = OnceLock::new();
    TOKENIZER.get_or_init(|| {
        // Fails (never skips) with a message to run `just fetch-model` when the file is absent.
        let path = crate::testing::smollm2_gguf_path().unwrap_or_else(|e| panic!("{e}"));
        let mut file = std::fs::File::open(&path).unwrap();
        let content = Content::read(&mut file).unwrap();
        Tokenizer::from_gguf(&content, &path).unwrap()
    })
}

fn fixture() -> serde_json::Value {
    let path = crate::testing::llamacpp_reference_path();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read the llama.cpp fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| u32::try_from(x.as_u64().unwrap()).unwrap())
        .collect()
}

#[test]
fn gguf_vocabulary_and_special_ids() {
    let t = smollm2();
    assert_eq!(t.vocab_size(), 49152);
    assert_eq!(t.bos_token_id(), Some(1));
    assert_eq!(t.eos_token_id(), Some(2));
    assert_eq!(t.token_id("<|endoftext|>"), Some(0));
    assert_eq!(t.token_id("<|im_start|>"), Some(1));
    assert_eq!(t.token_id("<|im_end|>"), Some(2));
    assert_eq!(t.token(216).as_deref(), Some("Ġ"));
    assert!(matches!(t.source(), Source::Gguf(_)));
}

#[test]
fn matches_llama_cpp_tokenizations() {
    let fx = fixture();
    let cases = fx["tokenization"].as_object().unwrap();
    assert_eq!(cases.len(), 5, "the fixture's tokenization table changed");
    for (text, expected) in cases {
        let got = smollm2().encode(text).unwrap();
        assert_eq!(got, ids(expected), "tokenization of {text:?}");
        assert_eq!(smollm2().decode(&got).unwrap(), *text);
    }
}

#[test]
fn matches_llama_cpp_prompt_ids() {
    let fx = fixture();
    let cases = fx["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let prompt = case["prompt"].as_str().unwrap();
        let expected = ids(&case["prompt_ids"]);
        // llama.cpp added no BOS here: the prompt starts with <|im_start|> (id 1) once.
        assert_eq!(smollm2().encode(prompt).unwrap(), expected, "{prompt:?}");
        // The greedy continuation decodes to llama.cpp's text, which leaves out a final EOS.
        let mut greedy = ids(&case["greedy_ids"]);
        if greedy.last() == smollm2().eos_token_id().as_ref() {
            greedy.pop();
        }
        let text = case["greedy_text"].as_str().unwrap();
        assert_eq!(smollm2().decode(&greedy).unwrap(), text);
    }
}

#[test]
fn round_trips_chosen_texts() {
    let texts = [
        "",
        "Hello, world!",
        "   leading and trailing spaces   ",
        "tabs\tand\n\nnewlines\r\n and   runs     of spaces\n\n\n",
        "12345678901234567890 3.14159 -42 1,000,000 ½ ⅔ ٣",
        "naïve café résumé Zürich — “quotes” «guillemets»",
        "漢字とかなのテキスト、中文句子。한국어",
        "emoji 😀👍🏽👨‍👩‍👧 flags 🇫🇷",
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n<think>\n1 + 1 = 2\n</think>\nAnswer: 2<|im_end|>",
        "def f(x):\n    return x * 2\n\n\tif x:  pass",
        "\u{0}\u{1}\u{7f} control bytes and \u{feff} BOM",
        "<|im_start|<|im_end|> broken <|markup",
    ];
    let t = smollm2();
    for text in texts {
        let ids = t.encode(text).unwrap();
        assert_eq!(t.decode(&ids).unwrap(), text, "ids {ids:?}");
    }
}

#[test]
fn digits_are_split_one_by_one_and_specials_are_single_ids() {
    let t = smollm2();
    let ids = t.encode("2024").unwrap();
    assert_eq!(ids.len(), 4);
    assert_eq!(t.encode("<|im_end|>").unwrap(), vec![2]);
    assert_eq!(t.decode_skip_special(&[1, 6004, 2]).unwrap(), "hi");
    assert!(t.decode(&[49152]).is_err());
}

#[test]
fn saved_gguf_tokenizer_loads_back_identically() {
    let t = smollm2();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenizer.json");
    t.save(&path).unwrap();
    let back = Tokenizer::from_file(&path).unwrap();
    let text = "<|im_start|>user\nWhat is 12 + 35? naïve 😀<|im_end|>\n";
    assert_eq!(back.encode(text).unwrap(), t.encode(text).unwrap());
    assert_eq!(back.vocab_size(), t.vocab_size());
    // No tokenizer_config.json beside it: the conventional ChatML names give BOS/EOS.
    assert_eq!(back.bos_token_id(), Some(1));
    assert_eq!(back.eos_token_id(), Some(2));
}

#[test]
fn tokenizer_config_names_the_special_tokens() {
    let t = Tokenizer::char_level("abc");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenizer.json");
    t.save(&path).unwrap();
    std::fs::write(
        dir.path().join("tokenizer_config.json"),
        r#"{"bos_token": {"content": "<pad>"}, "eos_token": "<unk>"}"#,
    )
    .unwrap();
    let back = Tokenizer::from_file(&path).unwrap();
    assert_eq!(back.bos_token_id(), Some(0));
    assert_eq!(back.eos_token_id(), Some(3));
    assert!(back.clone().with_special_ids(Some(1), Some(999)).is_err());
    let b = back.with_special_ids(None, Some(2)).unwrap();
    assert_eq!((b.bos_token_id(), b.eos_token_id()), (None, Some(2)));
}

#[test]
fn bad_files_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.json");
    let err = Tokenizer::from_file(&missing).unwrap_err().to_string();
    assert!(err.contains("nope.json"), "{err}");
    let garbage = dir.path().join("tokenizer.json");
    std::fs::write(&garbage, "{\"not\": \"a tokenizer\"}").unwrap();
    let err = Tokenizer::from_file(&garbage).unwrap_err().to_string();
    assert!(
        err.contains("tokenizer.json") && err.contains("expected"),
        "{err}"
    );
}

#[test]
fn gguf_without_a_tokenizer_is_refused_by_name() {
    let content = Content {
        magic: candle_core::quantized::gguf_file::VersionedMagic::GgufV3,
        metadata: Default::default(),
        tensor_infos: Default::default(),
        tensor_data_offset: 0,
    };
    let err = Tokenizer::from_gguf(&content, Path::new("weights.gguf"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("weights.gguf") && err.contains("tokenizer.ggml.model"),
        "{err}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn gguf_round_trips_arbitrary_strings(s in any::<String>()) {
        let t = smollm2();
        let ids = t.encode(&s).unwrap();
        prop_assert_eq!(t.decode(&ids).unwrap(), s);
    }

    #[test]
    fn gguf_round_trips_chat_like_text(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("<|im_start|>".to_owned()),
                Just("<|im_end|>".to_owned()),
                Just("\n".to_owned()),
                "[ \t\n]{1,6}",
                "[0-9]{1,8}",
                "[a-zA-Zé漢😀 ,.!?+*/=()-]{1,12}",
            ],
            0..24,
        )
    ) {
        let t = smollm2();
        let s = parts.concat();
        let ids = t.encode(&s).unwrap();
        prop_assert_eq!(t.decode(&ids).unwrap(), s);
    }
}

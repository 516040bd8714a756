//! Export of a checkpoint in the Hugging Face layout, for `transformers` and the Hub:
//!
//! - `config.json`: the decoder's config with `architectures` (`LlamaForCausalLM`, or
//!   `LlamaForTokenClassification` with two labels for a PRM), `hidden_act`, `torch_dtype` and the
//!   token ids;
//! - `model.safetensors`: the checkpoint's tensors as they are (HF Llama names), with the
//!   `format: pt` metadata `transformers` expects;
//! - `tokenizer.json` (the checkpoint's: for a from-scratch student the character-level BPE with
//!   the `Fuse` decoder, which joins characters), `tokenizer_config.json` (with the chat template
//!   mull renders prompts with, as Jinja),
//!   `generation_config.json` (greedy by default);
//! - `README.md`: a model card with the training data, settings and results `state.json` holds.
//!
//! Every file is written through a temporary file and renamed; the checkpoint is only read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use mull_models::chat_template::ChatTemplate;
use mull_models::llama::Config;
use mull_models::tokenizer::Tokenizer;
use serde_json::{json, Value};

use crate::train::checkpoint::{io, TrainState, TOKENIZER_FILE, WEIGHTS_FILE};
use crate::train::TrainError;

/// What an export wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub architecture: &'static str,
    pub tensors: usize,
    pub files: Vec<PathBuf>,
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), TrainError> {
    Ok(mull_data::shard::write_file_atomic(path, bytes)?)
}

fn pretty(value: &Value) -> Vec<u8> {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text.into_bytes()
}

/// Exports the checkpoint in `checkpoint` into `out` (created; must not be the checkpoint).
pub fn export(checkpoint: &Path, out: &Path) -> Result<Exported, TrainError> {
    let same = match (checkpoint.canonicalize(), out.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err(TrainError::Checkpoint {
            path: out.to_path_buf(),
            message: "is the checkpoint itself: export into another directory".into(),
        });
    }
    let cfg = Config::from_file(&checkpoint.join("config.json"))?;
    let weights_path = checkpoint.join(WEIGHTS_FILE);
    let bytes = std::fs::read(&weights_path).map_err(io(&weights_path))?;
    let tensors =
        safetensors::SafeTensors::deserialize(&bytes).map_err(|e| TrainError::Checkpoint {
            path: weights_path.clone(),
            message: format!("not a safetensors file: {e}"),
        })?;
    let mut names: Vec<String> = tensors.names().into_iter().map(str::to_string).collect();
    names.sort();
    let prm = names.iter().any(|n| n == "score.weight");
    let architecture = if prm {
        "LlamaForTokenClassification"
    } else {
        "LlamaForCausalLM"
    };
    let tokenizer_path = checkpoint.join(TOKENIZER_FILE);
    let tokenizer = Tokenizer::from_file(&tokenizer_path)?;
    std::fs::create_dir_all(out).map_err(io(out))?;

    let mut config = serde_json::to_value(&cfg)
        .map_err(|e| TrainError::Invalid(format!("cannot encode the config: {e}")))?;
    if let Value::Object(map) = &mut config {
        map.insert("architectures".into(), json!([architecture]));
        map.insert("hidden_act".into(), json!("silu"));
        map.insert("torch_dtype".into(), json!("float32"));
        map.insert("attention_bias".into(), json!(false));
        map.insert("mlp_bias".into(), json!(false));
        map.insert("head_dim".into(), json!(cfg.head_dim()));
        if let Some(pad) = tokenizer.token_id("<pad>") {
            map.insert("pad_token_id".into(), json!(pad));
        }
        if prm {
            map.insert("num_labels".into(), json!(2));
            map.insert("id2label".into(), json!({"0": "wrong", "1": "correct"}));
            map.insert("label2id".into(), json!({"wrong": 0, "correct": 1}));
        }
    }
    let mut files = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<(), TrainError> {
        let path = out.join(name);
        write(&path, bytes)?;
        files.push(path);
        Ok(())
    };
    put("config.json", &pretty(&config))?;

    let mut views: Vec<(String, safetensors::tensor::TensorView<'_>)> = names
        .iter()
        .map(|n| tensors.tensor(n).map(|t| (n.clone(), t)))
        .collect::<Result<_, _>>()
        .map_err(|e| TrainError::Checkpoint {
            path: weights_path.clone(),
            message: e.to_string(),
        })?;
    // transformers' token-classification head is a linear layer with a bias, and it would
    // initialise a missing one at random; mull's head has none, so the export's is zero.
    let labels = views
        .iter()
        .find(|(n, _)| n == "score.weight")
        .map_or(0, |(_, t)| t.shape()[0]);
    let zero_bias = vec![0u8; labels * 4];
    if prm && !names.iter().any(|n| n == "score.bias") {
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::F32, vec![labels], &zero_bias)
                .map_err(|e| TrainError::Invalid(format!("cannot write the score bias: {e}")))?;
        views.push(("score.bias".to_string(), view));
    }
    let metadata = HashMap::from([("format".to_string(), "pt".to_string())]);
    let tensor_count = views.len();
    let serialized = safetensors::serialize(views, Some(metadata))
        .map_err(|e| TrainError::Invalid(format!("cannot write safetensors: {e}")))?;
    put(WEIGHTS_FILE, &serialized)?;

    let tokenizer_json = std::fs::read(&tokenizer_path).map_err(io(&tokenizer_path))?;
    put(TOKENIZER_FILE, &tokenizer_json)?;
    let token = |id: Option<u32>| id.and_then(|i| tokenizer.token(i));
    let tokenizer_config = json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": token(tokenizer.bos_token_id()),
        "eos_token": token(tokenizer.eos_token_id()),
        "pad_token": tokenizer.token_id("<pad>").and_then(|i| tokenizer.token(i)),
        "unk_token": tokenizer.token_id("<unk>").and_then(|i| tokenizer.token(i)),
        "model_max_length": cfg.max_position_embeddings,
        "clean_up_tokenization_spaces": false,
        "chat_template": ChatTemplate::for_tokenizer(&tokenizer).jinja(),
    });
    put("tokenizer_config.json", &pretty(&tokenizer_config))?;
    let generation = json!({
        "bos_token_id": tokenizer.bos_token_id(),
        "eos_token_id": tokenizer.eos_token_id(),
        "pad_token_id": tokenizer.token_id("<pad>"),
        "do_sample": false,
        "max_length": cfg.max_position_embeddings,
    });
    put("generation_config.json", &pretty(&generation))?;
    let state = TrainState::exists(checkpoint)
        .then(|| TrainState::read(checkpoint))
        .transpose()?;
    put(
        "README.md",
        model_card(&cfg, architecture, state.as_ref()).as_bytes(),
    )?;
    Ok(Exported {
        architecture,
        tensors: tensor_count,
        files,
    })
}

/// The model card: what the model is, what it was trained on and how, and its results.
fn model_card(cfg: &Config, architecture: &str, state: Option<&TrainState>) -> String {
    let mut card = format!(
        "---\nlibrary_name: transformers\ntags:\n- mull\n- reasoning\n---\n\n# A mull student\n\n\
         `{architecture}`: {} layers, hidden size {}, {} attention heads ({} key/value), \
         vocabulary of {} tokens, {} positions. Exported by `mull export`.\n",
        cfg.num_hidden_layers,
        cfg.hidden_size,
        cfg.num_attention_heads,
        cfg.num_kv_heads(),
        cfg.vocab_size,
        cfg.max_position_embeddings
    );
    let Some(state) = state else {
        card.push_str("\nNo training state was found beside the weights.\n");
        return card;
    };
    let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |l| format!("{l:.4}"));
    let s = &state.spec;
    card.push_str(&format!(
        "\n## Training data\n\n`mull distill {kind}` on the run directories {data}: {train} training and \
         {held} held-out examples (held out by problem id, {pct}%).\n\n## Training\n\n\
         | setting | value |\n|---|---|\n| steps | {steps} |\n| learning rate | {lr} → {min} \
         (warm-up {warm}, cosine) |\n| AdamW | β = ({b1}, {b2}), ε = {eps}, weight decay {wd} |\n\
         | gradient clipping | {clip} |\n| tokens per batch | {bt} |\n| max tokens | {mt} |\n\
         | seed | {seed} |\n\n## Results\n\n| | loss |\n|---|---|\n| last training batch | {tl} |\n\
         | held-out | {hl} |\n\nNo evaluation of test-time compute is recorded in this checkpoint.\n",
        kind = state.kind,
        data = state
            .data
            .iter()
            .map(|d| format!("`{d}`"))
            .collect::<Vec<_>>()
            .join(", "),
        train = state.train_examples,
        held = state.held_out_examples,
        pct = s.held_out_percent,
        steps = state.step,
        lr = s.learning_rate,
        min = s.min_learning_rate,
        warm = s.warmup_steps,
        b1 = s.beta1,
        b2 = s.beta2,
        eps = s.eps,
        wd = s.weight_decay,
        clip = s.grad_clip,
        bt = s.batch_tokens,
        mt = s.max_tokens,
        seed = s.seed,
        tl = opt(state.train_loss),
        hl = opt(state.held_out_loss),
    ));
    card
}

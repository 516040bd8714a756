//! Training examples from the `sft/` shards of run directories.
//!
//! A record's conversation is rendered with the plain template the from-scratch student uses
//! (`User: ...` then `Assistant:`): the prompt is every message but the assistant's, with the
//! generation prompt; the completion is the assistant's reply after one space. Problems are split
//! into training and held-out sets by their id (`ids::route(id) % 100 < held-out-percent`), so
//! every attempt of a problem is on one side and the split does not depend on file order.

use std::path::{Path, PathBuf};

use mull_data::SftRecord;
use mull_models::chat_template::ChatTemplate;
use mull_models::tokenizer::Tokenizer;

use super::batching::Example;
use super::TrainError;

/// The prompt and completion text of an SFT record (`None` without an assistant message).
pub fn prompt_and_completion(record: &SftRecord) -> Option<(String, String)> {
    let reply = record
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "assistant")?;
    let turns: Vec<(String, String)> = record
        .messages
        .iter()
        .filter(|m| m.role != "assistant")
        .map(|m| (m.role.clone(), m.content.clone()))
        .collect();
    let prompt = ChatTemplate::Plain.render(&turns, true);
    Some((prompt, format!(" {}", reply.content)))
}

/// The shards of `kind` (`sft`, `prm`) in `run`, sorted by name.
pub fn shards(run: &Path, kind: &str) -> Result<Vec<PathBuf>, TrainError> {
    let dir = run.join(kind);
    let entries = std::fs::read_dir(&dir).map_err(|source| TrainError::Io {
        path: dir.clone(),
        source,
    })?;
    let mut shards: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(".jsonl.zst") && !n.starts_with('.'))
        })
        .collect();
    shards.sort();
    if shards.is_empty() {
        return Err(TrainError::Data {
            path: dir,
            message: format!("no {kind} shards (is this a `mull run` directory?)"),
        });
    }
    Ok(shards)
}

/// Examples of every run, split into (training, held-out), with the count of examples cut to
/// `max_tokens`.
#[derive(Debug, Default)]
pub struct SftData {
    pub train: Vec<Example>,
    pub held_out: Vec<Example>,
    pub cut: usize,
}

/// Reads and tokenizes the `sft/` shards of `runs`.
pub fn load_sft(
    runs: &[PathBuf],
    tokenizer: &Tokenizer,
    max_tokens: usize,
    held_out_percent: u64,
) -> Result<SftData, TrainError> {
    let (bos, eos) = match (tokenizer.bos_token_id(), tokenizer.eos_token_id()) {
        (Some(b), Some(e)) => (b, e),
        _ => {
            return Err(TrainError::Invalid(
                "the tokenizer has no <bos> or <eos> token".into(),
            ))
        }
    };
    let mut data = SftData::default();
    for run in runs {
        for shard in shards(run, "sft")? {
            for record in mull_data::shard::read_shard::<SftRecord>(&shard)? {
                let record = record?;
                let Some((prompt, completion)) = prompt_and_completion(&record) else {
                    return Err(TrainError::Data {
                        path: shard.clone(),
                        message: format!("record {} has no assistant message", record.attempt_id),
                    });
                };
                let (example, cut) = Example::new(
                    bos,
                    &tokenizer.encode(&prompt)?,
                    &tokenizer.encode(&completion)?,
                    eos,
                    max_tokens,
                );
                data.cut += usize::from(cut);
                if mull_data::ids::route(&record.problem_id) % 100 < held_out_percent {
                    data.held_out.push(example);
                } else {
                    data.train.push(example);
                }
            }
        }
    }
    if data.train.is_empty() {
        return Err(TrainError::Invalid(format!(
            "no training examples in {} run director{}",
            runs.len(),
            if runs.len() == 1 { "y" } else { "ies" }
        )));
    }
    Ok(data)
}

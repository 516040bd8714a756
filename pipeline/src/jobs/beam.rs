//! PRM beam search with a model: the [`Expander`] that samples next steps for every live beam
//! of every problem in one batched call, each step seeded by `ids::beam_seed`.

use mull_data::ids;
use mull_distill::eval::search::{Expander, Step};
use mull_models::sampler::{FinishReason, PromptJob};
use mull_models::sampling::SamplingParams;
use mull_models::LoadedModel;

/// Samples one line (a step) per expansion.
pub struct ModelExpander<'a> {
    pub model: &'a LoadedModel,
    /// Each problem's prompt tokens (with `<bos>` where the model expects it).
    pub heads: Vec<Vec<u32>>,
    pub problem_ids: Vec<String>,
    /// Sampling settings of one step: stops at a line end.
    pub params: SamplingParams,
    pub run_seed: u64,
    pub prompts_per_block: usize,
}

impl ModelExpander<'_> {
    /// Step settings from the evaluation's: `\n` and the chat format's end of turn stop a step.
    pub fn step_params(
        model: &LoadedModel,
        temperature: f32,
        step_tokens: usize,
    ) -> SamplingParams {
        let mut stop = vec!["\n".to_string()];
        stop.extend(model.chat_template.stop_strings());
        SamplingParams {
            temperature,
            top_k: None,
            top_p: None,
            max_new_tokens: step_tokens,
            stop,
        }
    }
}

impl Expander for ModelExpander<'_> {
    type Error = String;

    fn expand(
        &mut self,
        requests: &[(usize, &str, usize, usize)],
        n: usize,
    ) -> Result<Vec<Vec<Step>>, String> {
        let max = self.model.config().max_position_embeddings;
        let mut jobs = Vec::new();
        let mut slots = Vec::new();
        for &(p, prefix, round, beam) in requests {
            let mut prompt = self.heads[p].clone();
            prompt.extend(
                self.model
                    .tokenizer
                    .encode(prefix)
                    .map_err(|e| e.to_string())?,
            );
            if prompt.len() + self.params.max_new_tokens > max {
                // No room for another step: the beam ends here.
                slots.push(None);
                continue;
            }
            let seeds = (0..n as u64)
                .map(|e| {
                    ids::beam_seed(
                        self.run_seed,
                        &self.problem_ids[p],
                        round as u64,
                        beam as u64,
                        e,
                    )
                })
                .collect();
            slots.push(Some(jobs.len()));
            jobs.push(PromptJob { prompt, seeds });
        }
        let sampled = if jobs.is_empty() {
            Vec::new()
        } else {
            self.model
                .sample(&jobs, &self.params, self.prompts_per_block)
                .map_err(|e| e.to_string())?
        };
        Ok(slots
            .into_iter()
            .map(|slot| match slot.and_then(|i| sampled.get(i)) {
                None => vec![Step {
                    text: String::new(),
                    finished: true,
                    tokens: 0,
                }],
                Some(attempts) => attempts
                    .iter()
                    .map(|a| {
                        let answer = a.text.contains("Answer:");
                        let (text, finished) = match a.finish {
                            FinishReason::Stop if !answer => (format!("{}\n", a.text), false),
                            FinishReason::Length if !answer => (a.text.clone(), false),
                            _ => (a.text.clone(), true),
                        };
                        Step {
                            text,
                            finished,
                            tokens: a.tokens.len() as u32,
                        }
                    })
                    .collect(),
            })
            .collect())
    }
}

//! Sample: the attempts of a batch of problems, from the oracle or a model.
//!
//! A model teacher decodes fixed blocks of `prompts-per-block` problems in the order given
//! (the dataflow sorts them by id first), every attempt seeded by `ids::attempt_seed` of (run
//! seed, problem id, attempt index): the models crate gives the same tokens for a seed whatever
//! block it lands in, so the data never depends on which worker sampled it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use mull_data::ids::{hex, IdField, IdHasher};
use mull_data::{ids, Attempt, Family, Finish, Problem, SamplingInfo};
use mull_models::sampler::{FinishReason, PromptJob};
use mull_models::sampling::SamplingParams;
use mull_models::LoadedModel;

use super::oracle::Oracle;
use super::ProblemWork;
use crate::config::{RunConfig, PROMPT_TEMPLATE_VERSION};

/// The prompt of every problem: the system message, a family's worked examples as earlier
/// turns, then the problem.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptBuilder {
    system: String,
    /// Per family: (user, assistant) turns of the worked examples.
    few_shot: BTreeMap<Family, Vec<(String, String)>>,
}

impl PromptBuilder {
    /// Worked examples are the family's reference chains at `ids::few_shot_seed`, a seed of
    /// their own, with the family's difficulty settings.
    pub fn new(config: &RunConfig) -> Result<Self, mull_generators::GenError> {
        Self::for_families(
            &config.prompt.system,
            config.prompt.few_shot,
            &config.families,
            config.seed,
        )
    }

    /// As [`PromptBuilder::new`], from the parts of a config it reads.
    pub fn for_families(
        system: &str,
        shots: usize,
        families: &BTreeMap<Family, crate::config::FamilyConfig>,
        run_seed: u64,
    ) -> Result<Self, mull_generators::GenError> {
        let mut few_shot = BTreeMap::new();
        for (family, fc) in families {
            let seed = ids::few_shot_seed(run_seed, family.as_str());
            let shot_config = crate::config::FamilyConfig {
                seed: Some(seed),
                ..fc.clone()
            };
            let turns = (0..shots as u64)
                .map(|i| {
                    let p = super::generate::problem(*family, &shot_config, seed, i)?;
                    Ok((p.prompt.clone(), p.reference_completion()))
                })
                .collect::<Result<Vec<_>, mull_generators::GenError>>()?;
            few_shot.insert(*family, turns);
        }
        Ok(PromptBuilder {
            system: system.to_string(),
            few_shot,
        })
    }

    /// The problem alone, no system message and no worked examples: the prompt a student
    /// trained by `mull distill sft` saw.
    pub fn bare() -> Self {
        PromptBuilder {
            system: String::new(),
            few_shot: BTreeMap::new(),
        }
    }

    /// The conversation for one problem, as `(role, content)` messages.
    pub fn messages(&self, problem: &Problem) -> Vec<(String, String)> {
        let mut messages = Vec::new();
        if !self.system.is_empty() {
            messages.push(("system".to_string(), self.system.clone()));
        }
        let family = problem.family.parse::<Family>().ok();
        for (user, assistant) in family
            .and_then(|f| self.few_shot.get(&f))
            .into_iter()
            .flatten()
        {
            messages.push(("user".into(), user.clone()));
            messages.push(("assistant".into(), assistant.clone()));
        }
        messages.push(("user".into(), problem.prompt.clone()));
        messages
    }

    /// `sha256:<hex>` of the template: its version, the system message and every worked
    /// example, so a changed prompt is visible in the manifest.
    pub fn hash(&self) -> String {
        let mut h = IdHasher::new("prompt-template");
        h.field(IdField::U64(u64::from(PROMPT_TEMPLATE_VERSION)));
        h.field(IdField::Str(&self.system));
        for (family, turns) in &self.few_shot {
            h.field(IdField::Str(family.as_str()));
            for (user, assistant) in turns {
                h.field(IdField::Str(user)).field(IdField::Str(assistant));
            }
        }
        format!("sha256:{}", hex(&h.digest()))
    }
}

/// A model and how to sample it.
pub struct ModelTeacher {
    pub model: LoadedModel,
    pub params: SamplingParams,
    pub prompts: PromptBuilder,
    pub run_seed: u64,
    pub attempts: u32,
    pub prompts_per_block: usize,
    /// Start every prompt with the tokenizer's `<bos>` (students trained by mull saw one).
    pub bos: bool,
    /// The model spreads each step over every core itself: workers take turns, so two of them
    /// never fight over the cores (the output does not depend on the order).
    turn: Mutex<()>,
}

/// Who writes the chains of thought.
pub enum Teacher {
    Oracle(Oracle),
    Model(Box<ModelTeacher>),
}

impl Teacher {
    /// A model teacher; the stop strings are the config's and the chat format's end of turn.
    pub fn model(model: LoadedModel, config: &RunConfig, prompts: PromptBuilder) -> Self {
        Self::model_with(model, &config.sampling, prompts, config.seed, false)
    }

    /// A model teacher from the sampling settings alone; `bos` starts every prompt with
    /// `<bos>`.
    pub fn model_with(
        model: LoadedModel,
        s: &crate::config::SamplingConfig,
        prompts: PromptBuilder,
        run_seed: u64,
        bos: bool,
    ) -> Self {
        let mut stop = s.stop.clone();
        stop.extend(model.chat_template.stop_strings());
        let params = SamplingParams {
            temperature: s.temperature,
            top_k: s.top_k,
            top_p: (s.top_p < 1.0).then_some(s.top_p),
            max_new_tokens: s.max_new_tokens,
            stop,
        };
        Teacher::Model(Box::new(ModelTeacher {
            model,
            params,
            prompts,
            run_seed,
            attempts: s.attempts,
            prompts_per_block: s.prompts_per_block,
            bos,
            turn: Mutex::new(()),
        }))
    }

    /// `sha256:<hex>` of the teacher's weights (or the oracle's name).
    pub fn hash(&self) -> String {
        match self {
            Teacher::Oracle(_) => super::oracle::ORACLE_HASH.to_string(),
            Teacher::Model(m) => m.model.weights_sha256.clone(),
        }
    }

    /// Fills in the attempts of every problem, in the order given, or for a problem waiting
    /// for rollouts the continuations of its probes (`rollouts` each). A failure of a whole
    /// block (the model errs) rejects its problems with the reason; it never stops the run.
    /// Prompts sampled together in one block (one for the oracle, which has no blocks):
    /// sampling a slice in chunks of this size gives the same blocks as sampling it whole.
    pub fn block_size(&self) -> usize {
        match self {
            Teacher::Oracle(_) => 1,
            Teacher::Model(m) => m.prompts_per_block.max(1),
        }
    }

    pub fn sample(&self, work: &mut [ProblemWork], rollouts: u32) {
        let (probing, fresh): (Vec<&mut ProblemWork>, Vec<&mut ProblemWork>) =
            work.iter_mut().partition(|w| !w.probes.is_empty());
        self.sample_attempts(fresh);
        self.sample_probes(probing, rollouts);
    }

    fn sample_attempts(&self, mut work: Vec<&mut ProblemWork>) {
        match self {
            Teacher::Oracle(oracle) => {
                for w in work {
                    w.attempts = oracle.sample(&w.problem);
                }
            }
            Teacher::Model(m) => {
                for block in work.chunks_mut(m.prompts_per_block) {
                    if let Err(reason) = m.sample_block(block) {
                        for w in block {
                            let id = w.problem.id.clone();
                            w.reject(&id, "sample", reason.clone());
                        }
                    }
                }
            }
        }
    }

    fn sample_probes(&self, work: Vec<&mut ProblemWork>, rollouts: u32) {
        for w in work {
            let ProblemWork {
                problem,
                attempts,
                probes,
                ..
            } = w;
            match self {
                Teacher::Oracle(oracle) => {
                    for probe in probes.iter_mut() {
                        if let Some(attempt) = attempts.iter().find(|a| a.attempt == probe.attempt)
                        {
                            probe.continuations = (0..rollouts)
                                .map(|r| oracle.continuation(problem, attempt, probe.step, r))
                                .collect();
                        }
                    }
                }
                Teacher::Model(m) => {
                    // A failed rollout block leaves its probes without continuations: k = 0 of
                    // n = 0, which the search reads as a lost prefix; the reason is logged.
                    if let Err(reason) = m.sample_probes(problem, attempts, probes, rollouts) {
                        tracing::warn!("rollouts of problem {}: {reason}", problem.id);
                    }
                }
            }
        }
    }
}

/// A problem's prompt as token ids: the model's chat format over the builder's messages, with
/// the tokenizer's `<bos>` first when `bos`.
pub fn prompt_tokens(
    model: &LoadedModel,
    prompts: &PromptBuilder,
    bos: bool,
    problem: &Problem,
) -> Result<Vec<u32>, mull_models::ModelError> {
    let text = model.chat_template.render(&prompts.messages(problem), true);
    let mut tokens = model.tokenizer.encode(&text)?;
    if let (true, Some(id)) = (bos, model.tokenizer.bos_token_id()) {
        tokens.insert(0, id);
    }
    Ok(tokens)
}

impl ModelTeacher {
    /// This teacher's prompt for `problem` (see [`prompt_tokens`]).
    pub fn prompt_tokens(&self, problem: &Problem) -> Result<Vec<u32>, mull_models::ModelError> {
        prompt_tokens(&self.model, &self.prompts, self.bos, problem)
    }

    fn sample_block(&self, block: &mut [&mut ProblemWork]) -> Result<(), String> {
        let jobs = block
            .iter()
            .map(|w| {
                let prompt = self.prompt_tokens(&w.problem).map_err(|e| e.to_string())?;
                let seeds = (0..self.attempts)
                    .map(|a| ids::attempt_seed(self.run_seed, &w.problem.id, a))
                    .collect();
                Ok(PromptJob { prompt, seeds })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let sampled = {
            // A poisoned lock only means another worker panicked mid-sample; the model itself
            // holds no state between calls.
            let _turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
            self.model
                .sample(&jobs, &self.params, jobs.len())
                .map_err(|e| e.to_string())?
        };
        for ((w, job), attempts) in block.iter_mut().zip(&jobs).zip(sampled) {
            w.attempts = (0u32..)
                .zip(attempts)
                .zip(&job.seeds)
                .map(|((a, s), seed)| {
                    let teacher = &self.model.weights_sha256;
                    attempt_record(&w.problem.id, a, s, &self.params, *seed, teacher)
                })
                .collect();
        }
        Ok(())
    }

    /// The continuations of one problem's probes: each probe's prompt is the problem's prompt
    /// with the attempt's steps up to the probed one already written, `rollouts` seeds each.
    fn sample_probes(
        &self,
        problem: &Problem,
        attempts: &[Attempt],
        probes: &mut [super::rollout::Probe],
        rollouts: u32,
    ) -> Result<(), String> {
        let head = self
            .model
            .chat_template
            .render(&self.prompts.messages(problem), true);
        let mut prefixes = Vec::with_capacity(probes.len());
        let mut jobs = Vec::with_capacity(probes.len());
        for probe in probes.iter() {
            let attempt = attempts
                .iter()
                .find(|a| a.attempt == probe.attempt)
                .ok_or_else(|| format!("probe of unknown attempt {}", probe.attempt))?;
            let end = (probe.step + 1).min(attempt.steps.len());
            let prefix = format!("<think>\n{}\n", attempt.steps[..end].join("\n"));
            let prompt = self
                .model
                .tokenizer
                .encode(&format!("{head}{prefix}"))
                .map_err(|e| e.to_string())?;
            let seeds = (0..rollouts)
                .map(|r| ids::rollout_seed(self.run_seed, &attempt.id, probe.step as u32, r))
                .collect();
            jobs.push(PromptJob { prompt, seeds });
            prefixes.push((attempt.attempt, prefix));
        }
        let sampled = {
            let _turn = self.turn.lock().unwrap_or_else(|e| e.into_inner());
            self.model
                .sample(&jobs, &self.params, self.prompts_per_block)
                .map_err(|e| e.to_string())?
        };
        for ((probe, (index, prefix)), continuations) in
            probes.iter_mut().zip(prefixes).zip(sampled)
        {
            probe.continuations = continuations
                .into_iter()
                .map(|c| {
                    Attempt::from_completion(&problem.id, index, format!("{prefix}{}", c.text))
                })
                .collect();
        }
        Ok(())
    }
}

/// The sampler's output as an attempt record: id, steps and answer parsed from the text, with
/// its tokens, finish reason, sampling parameters and seed, and the teacher's weights hash.
pub fn attempt_record(
    problem_id: &str,
    index: u32,
    sampled: mull_models::sampler::Attempt,
    params: &SamplingParams,
    seed: u64,
    teacher: &str,
) -> Attempt {
    let mut record = Attempt::from_completion(problem_id, index, sampled.text);
    record.tokens = u32::try_from(sampled.tokens.len()).unwrap_or(u32::MAX);
    record.finish = Some(finish(sampled.finish));
    record.sampling = Some(SamplingInfo {
        temperature: params.temperature,
        top_p: params.top_p,
        top_k: params.top_k,
        seed,
    });
    record.teacher = Some(teacher.to_string());
    record
}

/// The record spelling of a sampler finish reason.
pub fn finish(reason: FinishReason) -> Finish {
    match reason {
        FinishReason::Stop => Finish::Stop,
        FinishReason::Eos => Finish::Eos,
        FinishReason::Length => Finish::Length,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::PromptConfig;
    use std::path::Path;

    #[test]
    fn few_shot_examples_come_from_their_own_seed_and_change_the_hash() {
        let text = r#"
out = "x"
seed = 3
[families.arithmetic]
count = 4
[teacher]
kind = "oracle"
"#;
        let mut config = RunConfig::from_toml(text, Path::new("c")).unwrap();
        let prompts = PromptBuilder::new(&config).unwrap();
        let problem = super::super::generate::problem(
            Family::Arithmetic,
            &config.families[&Family::Arithmetic],
            3,
            0,
        )
        .unwrap();
        let messages = prompts.messages(&problem);
        assert_eq!(messages.len(), 2 + 2 * config.prompt.few_shot);
        assert_ne!(
            messages[1].1, problem.prompt,
            "a few-shot example is the problem itself"
        );
        assert!(messages[2].1.contains("<think>") && messages[2].1.contains("Answer:"));
        config.prompt = PromptConfig {
            few_shot: 1,
            ..config.prompt.clone()
        };
        assert_ne!(PromptBuilder::new(&config).unwrap().hash(), prompts.hash());
    }
}

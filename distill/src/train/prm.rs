//! Process reward model training on the `prm/` shards of run directories.
//!
//! An example is tokenized as TRL's PRM trainer does: `<bos>`, the prompt, then each step
//! followed by the separator `\n`; a step is scored at the last token of step + separator, so the
//! data trains the model where it will be asked at inference. The target of a step is its label
//! (hard: 0 or 1) or, where Monte-Carlo rollouts ran and `prm-targets` is `soft`, the fraction
//! k/n of rollouts from after the step that reached a correct answer. The loss is the
//! cross-entropy of the two-class score head against (1 − target, target), averaged over steps.
//!
//! Held-out metrics ([`PrmMetrics`]): step accuracy (the score's side of ½ against the hard
//! label) and first-error F1 — does the model put the first wrong step where the labels do: a
//! record counts as a true positive when both name the same first wrong step, a false positive
//! when the model names one the labels do not, a false negative when the labels name one the
//! model does not (a different step is both).

use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor, D};
use candle_nn::{VarBuilder, VarMap};
use mull_data::PrmRecord;
use mull_models::llama::{Config, LlamaScorer};
use mull_models::tokenizer::Tokenizer;

use super::checkpoint::TOKENIZER_FILE;
use super::sft::{initialise, Student};
use super::spec::{char_alphabet, PrmTargets};
use super::trainer::{self, Job, Objective, StepLog, Summary};
use super::TrainError;

/// The step separator (TRL's default).
pub const SEPARATOR: &str = "\n";

/// One tokenized PRM record.
#[derive(Debug, Clone, PartialEq)]
pub struct PrmExample {
    pub tokens: Vec<u32>,
    /// Index in `tokens` of each scored step's last token (step + separator).
    pub positions: Vec<usize>,
    /// Probability that each step is correct: the training target.
    pub targets: Vec<f32>,
    /// Hard labels, for accuracy and first-error metrics.
    pub labels: Vec<bool>,
    /// Positions whose next token the auxiliary language-model loss trains (`lm-weight`): those
    /// before each token of a step labelled correct, and of its separator.
    pub lm_positions: Vec<usize>,
}

impl PrmExample {
    /// Tokenizes `record`; steps whose scoring position falls past `max_tokens` are dropped
    /// (returned as the second value).
    pub fn new(
        record: &PrmRecord,
        tokenizer: &Tokenizer,
        targets: PrmTargets,
        max_tokens: usize,
    ) -> Result<(Self, usize), TrainError> {
        let bos = tokenizer.bos_token_id();
        let mut tokens: Vec<u32> = bos.into_iter().collect();
        tokens.extend(tokenizer.encode(&record.prompt)?);
        let mut example = PrmExample {
            tokens,
            positions: Vec::new(),
            targets: Vec::new(),
            labels: Vec::new(),
            lm_positions: Vec::new(),
        };
        let mut dropped = 0;
        for (i, step) in record.completions.iter().enumerate() {
            let label = record.labels.get(i).copied().unwrap_or(false);
            let begin = example.tokens.len();
            example
                .tokens
                .extend(tokenizer.encode(&format!("{step}{SEPARATOR}"))?);
            if label {
                // Each token is predicted from the one before it; a first token of the text
                // (no `<bos>`, an empty prompt) has none and is not trained.
                let end = example.tokens.len().min(max_tokens);
                example
                    .lm_positions
                    .extend((begin.max(1)..end).map(|j| j - 1));
            }
            let position = example.tokens.len() - 1;
            if position >= max_tokens {
                dropped += 1;
                continue;
            }
            let target = match (targets, record.rollouts.get(i)) {
                (PrmTargets::Soft, Some(&[k, n])) if n > 0 => k as f32 / n as f32,
                _ => f32::from(u8::from(label)),
            };
            example.positions.push(position);
            example.targets.push(target);
            example.labels.push(label);
        }
        example.tokens.truncate(max_tokens);
        Ok((example, dropped))
    }
}

/// The PRM objective.
pub struct Prm {
    pub model: LlamaScorer,
    pub pad: u32,
    /// Weight of the auxiliary next-token loss (`lm-weight`; 0: none).
    pub lm_weight: f64,
}

/// A batch's rows padded to one width: (tokens (b, t), width).
fn padded(rows: &[&PrmExample], pad: u32, device: &Device) -> Result<(Tensor, usize), TrainError> {
    let width = rows
        .iter()
        .map(|e| e.tokens.len())
        .max()
        .unwrap_or(1)
        .max(1);
    let mut inputs = vec![pad; rows.len() * width];
    for (r, e) in rows.iter().enumerate() {
        inputs[r * width..r * width + e.tokens.len()].copy_from_slice(&e.tokens);
    }
    Ok((
        Tensor::from_vec(inputs, (rows.len(), width), device)?,
        width,
    ))
}

/// The rows of `per_position` (b·t, k) at each row's `positions`: (positions, k).
fn at_positions(
    per_position: &Tensor,
    rows: &[&PrmExample],
    width: usize,
    positions: impl Fn(&PrmExample) -> &[usize],
) -> Result<Tensor, TrainError> {
    let flat: Vec<u32> = rows
        .iter()
        .enumerate()
        .flat_map(|(r, e)| positions(e).iter().map(move |&p| (r * width + p) as u32))
        .collect();
    let n = flat.len();
    let at = Tensor::from_vec(flat, n, per_position.device())?;
    Ok(per_position.index_select(&at, 0)?)
}

impl Prm {
    /// log P(wrong), log P(correct) at every scored step of every row: (rows' steps, 2).
    fn step_log_probs(&self, rows: &[&PrmExample]) -> Result<Tensor, TrainError> {
        let (inputs, width) = padded(rows, self.pad, self.model.device())?;
        let scores = self.model.forward_train(&inputs)?; // (b, t, 2)
        step_log_probs_of(&scores, rows, width)
    }

    /// The step loss: cross-entropy against (1 − target, target), averaged over steps.
    fn step_loss(&self, logq: Tensor, rows: &[&PrmExample]) -> Result<(Tensor, usize), TrainError> {
        let mut target = Vec::new();
        for e in rows {
            for &p in &e.targets {
                target.extend([1.0 - p, p]);
            }
        }
        let n = target.len() / 2;
        let target = Tensor::from_vec(target, (n, 2), self.model.device())?;
        let loss = ((logq * target)?.sum_all()? / -(n.max(1) as f64))?;
        Ok((loss, n))
    }

    /// P(correct) of every scored step of `example`.
    pub fn step_scores(&self, example: &PrmExample) -> Result<Vec<f32>, TrainError> {
        if example.positions.is_empty() {
            return Ok(Vec::new());
        }
        let logq = self.step_log_probs(&[example])?;
        Ok(logq.narrow(1, 1, 1)?.squeeze(1)?.exp()?.to_vec1::<f32>()?)
    }
}

impl Objective for Prm {
    type Example = PrmExample;
    const KIND: &'static str = "prm";

    fn length(example: &PrmExample) -> usize {
        example.tokens.len()
    }

    fn loss(&self, rows: &[&PrmExample]) -> Result<(Tensor, usize), TrainError> {
        let lm_tokens: usize = rows.iter().map(|e| e.lm_positions.len()).sum();
        if self.lm_weight == 0.0 || lm_tokens == 0 {
            return self.held_out_loss(rows);
        }
        let (inputs, width) = padded(rows, self.pad, self.model.device())?;
        let (scores, logits) = self.model.forward_train_with_logits(&inputs)?; // (b, t, 2), (b, t, v)
        let (step_loss, n) = self.step_loss(step_log_probs_of(&scores, rows, width)?, rows)?;
        // Next-token cross-entropy at the positions before the correct steps' tokens.
        let picked = at_positions(&logits.flatten_to(1)?, rows, width, |e| &e.lm_positions)?; // (k, v)
        let logp = candle_nn::ops::log_softmax(&picked, D::Minus1)?;
        let next: Vec<u32> = rows
            .iter()
            .flat_map(|e| e.lm_positions.iter().map(|&p| e.tokens[p + 1]))
            .collect();
        let next = Tensor::from_vec(next, (lm_tokens, 1), self.model.device())?;
        let lm_loss = (logp.gather(&next, 1)?.sum_all()? / -(lm_tokens as f64))?;
        Ok(((step_loss + (lm_loss * self.lm_weight)?)?, n))
    }

    fn held_out_loss(&self, rows: &[&PrmExample]) -> Result<(Tensor, usize), TrainError> {
        self.step_loss(self.step_log_probs(rows)?, rows)
    }

    fn save_weights(&self, dir: &Path) -> Result<(), TrainError> {
        let cfg: &Config = self.model.config();
        Ok(mull_models::llama::io::save_tensors(
            self.model.named_tensors()?,
            cfg,
            dir,
        )?)
    }
}

/// log-softmax of `scores` (b, t, 2) at every scored step of `rows`: (steps, 2).
fn step_log_probs_of(
    scores: &Tensor,
    rows: &[&PrmExample],
    width: usize,
) -> Result<Tensor, TrainError> {
    let logq = candle_nn::ops::log_softmax(&scores.flatten_to(1)?, D::Minus1)?; // (b·t, 2)
    at_positions(&logq, rows, width, |e| &e.positions)
}

/// A trained PRM for scoring samples (evaluation, search).
pub struct PrmScorer {
    objective: Prm,
    tokenizer: Tokenizer,
}

impl PrmScorer {
    /// Loads the PRM checkpoint (or export) in `dir`.
    pub fn load(dir: &Path) -> Result<Self, TrainError> {
        let device = Device::Cpu;
        let cfg = Config::from_file(&dir.join("config.json"))?;
        let tokenizer = Tokenizer::from_file(&dir.join(TOKENIZER_FILE))?;
        let varmap = VarMap::new();
        let model = LlamaScorer::new(
            &cfg,
            2,
            VarBuilder::from_varmap(&varmap, DType::F32, &device),
        )?;
        mull_models::llama::io::load_vars(&varmap, dir, &device, |_| false)?;
        Ok(PrmScorer {
            objective: Prm {
                model,
                pad: mull_models::tokenizer::char_level::PAD_ID,
                lm_weight: 0.0,
            },
            tokenizer,
        })
    }

    /// P(correct) of each of `steps` after `prompt`, tokenized as in training; steps past the
    /// model's positions are not scored.
    pub fn score(&self, prompt: &str, steps: &[String]) -> Result<Vec<f32>, TrainError> {
        let record = PrmRecord {
            prompt: prompt.to_string(),
            completions: steps.to_vec(),
            labels: vec![true; steps.len()],
            problem_id: String::new(),
            attempt_id: String::new(),
            first_error: None,
            step_checks: Vec::new(),
            rollouts: Vec::new(),
            label_source: Vec::new(),
        };
        let max = self.objective.model.config().max_position_embeddings;
        let (example, _) = PrmExample::new(&record, &self.tokenizer, PrmTargets::Hard, max)?;
        self.objective.step_scores(&example)
    }
}

/// Held-out quality of a PRM.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrmMetrics {
    pub steps: usize,
    pub step_accuracy: f64,
    /// The probability that a correct step scores above a wrong one (ties count half): how
    /// well the PRM ranks, whatever its threshold. 0.5 is chance; `None` without both kinds.
    pub step_auc: Option<f64>,
    pub records: usize,
    pub first_error_f1: f64,
}

/// Step accuracy and first-error F1 of `objective` on `examples`.
pub fn prm_metrics(objective: &Prm, examples: &[PrmExample]) -> Result<PrmMetrics, TrainError> {
    let scores = examples
        .iter()
        .map(|e| objective.step_scores(e))
        .collect::<Result<Vec<_>, _>>()?;
    let labels: Vec<&[bool]> = examples.iter().map(|e| e.labels.as_slice()).collect();
    Ok(metrics_of(&scores, &labels))
}

/// The metrics of step scores (P(correct)) against hard labels, record by record.
pub fn metrics_of(scores: &[Vec<f32>], labels: &[&[bool]]) -> PrmMetrics {
    let (mut steps, mut right) = (0usize, 0usize);
    let (mut tp, mut fp, mut fneg) = (0usize, 0usize, 0usize);
    for (scores, labels) in scores.iter().zip(labels) {
        steps += scores.len();
        right += scores
            .iter()
            .zip(labels.iter())
            .filter(|(s, l)| (**s > 0.5) == **l)
            .count();
        let predicted = scores.iter().position(|s| *s <= 0.5);
        let labelled = labels.iter().position(|l| !l);
        match (predicted, labelled) {
            (Some(p), Some(l)) if p == l => tp += 1,
            (Some(_), Some(_)) => {
                fp += 1;
                fneg += 1;
            }
            (Some(_), None) => fp += 1,
            (None, Some(_)) => fneg += 1,
            (None, None) => {}
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let pairs: Vec<(f32, bool)> = scores
        .iter()
        .zip(labels)
        .flat_map(|(s, l)| s.iter().copied().zip(l.iter().copied()))
        .collect();
    PrmMetrics {
        steps,
        step_accuracy: ratio(right, steps),
        step_auc: auc(&pairs),
        records: scores.len(),
        first_error_f1: ratio(2 * tp, 2 * tp + fp + fneg),
    }
}

/// ROC AUC of scores against labels (`true` positive), by the rank sum with tied scores at
/// their mean rank.
fn auc(pairs: &[(f32, bool)]) -> Option<f64> {
    let positives = pairs.iter().filter(|(_, l)| *l).count();
    let negatives = pairs.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut sorted = pairs.to_vec();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < sorted.len() {
        let tied = sorted[i..]
            .iter()
            .take_while(|p| p.0 == sorted[i].0)
            .count();
        // Ranks i+1 ..= i+tied share their mean.
        let mean_rank = i as f64 + (tied as f64 + 1.0) / 2.0;
        rank_sum += mean_rank * sorted[i..i + tied].iter().filter(|p| p.1).count() as f64;
        i += tied;
    }
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// The `prm/` shards' examples of `runs`: (training, held-out, steps dropped past max-tokens).
fn load_prm(
    runs: &[PathBuf],
    tokenizer: &Tokenizer,
    job: &Job,
) -> Result<(Vec<PrmExample>, Vec<PrmExample>, usize), TrainError> {
    let (mut train, mut held, mut dropped) = (Vec::new(), Vec::new(), 0);
    for run in runs {
        for shard in super::data::shards(run, "prm")? {
            for record in mull_data::shard::read_shard::<PrmRecord>(&shard)? {
                let record = record?;
                let (example, d) = PrmExample::new(
                    &record,
                    tokenizer,
                    job.train.prm_targets,
                    job.train.max_tokens,
                )?;
                dropped += d;
                if example.positions.is_empty() {
                    continue;
                }
                if mull_data::ids::route(&record.problem_id) % 100 < job.train.held_out_percent {
                    held.push(example);
                } else {
                    train.push(example);
                }
            }
        }
    }
    Ok((train, held, dropped))
}

/// What `train_prm` adds to the loop's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct PrmSummary {
    pub summary: Summary,
    /// Steps past `max-tokens`, not trained.
    pub dropped_steps: usize,
    /// On the held-out split (`None` without one).
    pub held_out: Option<PrmMetrics>,
}

fn build_scorer(
    job: &Job,
    student: &Student,
) -> Result<(LlamaScorer, VarMap, Tokenizer), TrainError> {
    let device = Device::Cpu;
    let (cfg, source, tokenizer) = match (job.resume, student) {
        (true, _) => {
            let cfg = Config::from_file(&job.out.join("config.json"))?;
            let tok = Tokenizer::from_file(&job.out.join(TOKENIZER_FILE))?;
            (cfg, Some(job.out.clone()), tok)
        }
        (false, Student::Scratch(spec)) => {
            let tok = Tokenizer::try_char_level(&char_alphabet())?;
            let cfg = spec.config(
                tok.vocab_size(),
                mull_models::tokenizer::char_level::BOS_ID,
                mull_models::tokenizer::char_level::EOS_ID,
            );
            (cfg, None, tok)
        }
        (false, Student::Checkpoint(dir)) => {
            let cfg = Config::from_file(&dir.join("config.json"))?;
            let tok = Tokenizer::from_file(&dir.join(TOKENIZER_FILE))?;
            (cfg, Some(dir.clone()), tok)
        }
    };
    let varmap = VarMap::new();
    let model = LlamaScorer::new(
        &cfg,
        2,
        VarBuilder::from_varmap(&varmap, DType::F32, &device),
    )?;
    // Seeded values first; a checkpoint then overwrites what it has (a language model's
    // checkpoint has no score head, which keeps its seeded start).
    initialise(&varmap, cfg.num_hidden_layers, job.train.seed)?;
    if let Some(dir) = source {
        let resuming = job.resume;
        mull_models::llama::io::load_vars(&varmap, &dir, &device, |n| {
            !resuming && n == "score.weight"
        })?;
    }
    Ok((model, varmap, tokenizer))
}

/// Trains a PRM as `job` says, calling `on_step` after every optimizer step.
pub fn train_prm(
    job: &Job,
    student: &Student,
    on_step: &mut dyn FnMut(&StepLog),
) -> Result<PrmSummary, TrainError> {
    job.train.check().map_err(TrainError::Invalid)?;
    let resumed = trainer::check_out(job, Prm::KIND)?;
    let (model, varmap, tokenizer) = build_scorer(job, student)?;
    let (train, held_out, dropped_steps) = load_prm(&job.data, &tokenizer, job)?;
    let longest = train.iter().map(|e| e.tokens.len()).max().unwrap_or(0);
    if longest > model.config().max_position_embeddings {
        return Err(TrainError::Invalid(format!(
            "examples of {longest} tokens exceed the model's {} positions: lower max-tokens",
            model.config().max_position_embeddings
        )));
    }
    let objective = Prm {
        model,
        pad: mull_models::tokenizer::char_level::PAD_ID,
        lm_weight: job.train.lm_weight,
    };
    let summary = trainer::run(
        job, &objective, &varmap, &tokenizer, &train, &held_out, resumed, on_step,
    )?;
    let held_out = if held_out.is_empty() {
        None
    } else {
        Some(prm_metrics(&objective, &held_out)?)
    };
    Ok(PrmSummary {
        summary,
        dropped_steps,
        held_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(steps: &[&str], labels: &[bool], rollouts: Vec<[u32; 2]>) -> PrmRecord {
        PrmRecord {
            prompt: "P".into(),
            completions: steps.iter().map(|s| s.to_string()).collect(),
            labels: labels.to_vec(),
            problem_id: "p".into(),
            attempt_id: "a".into(),
            first_error: labels.iter().position(|l| !l),
            step_checks: Vec::new(),
            rollouts,
            label_source: Vec::new(),
        }
    }

    #[test]
    fn steps_are_scored_at_the_last_token_of_step_and_separator_as_trl_does() {
        let tok = Tokenizer::try_char_level(&char_alphabet()).unwrap();
        let r = record(&["a=1", "b=2"], &[true, false], vec![[3, 4], [0, 0]]);
        let (e, dropped) = PrmExample::new(&r, &tok, PrmTargets::Hard, 64).unwrap();
        assert_eq!(dropped, 0);
        let text: Vec<String> = e
            .tokens
            .iter()
            .map(|&t| tok.token(t).unwrap_or_default())
            .collect();
        assert_eq!(text.join(""), "<bos>Pa=1\nb=2\n");
        // TRL: labels sit on the last token of `step + separator`: the two newlines.
        assert_eq!(e.positions, [5, 9]);
        assert_eq!(tok.token(e.tokens[5]).as_deref(), Some("\n"));
        assert_eq!(e.targets, [1.0, 0.0]);
        // The auxiliary loss predicts `a=1\n` (the correct step) from the token before each.
        assert_eq!(e.lm_positions, [1, 2, 3, 4]);
        let (soft, _) = PrmExample::new(&r, &tok, PrmTargets::Soft, 64).unwrap();
        assert_eq!(
            soft.targets,
            [0.75, 0.0],
            "k/n where rollouts ran, the label elsewhere"
        );
        let (cut, dropped) = PrmExample::new(&r, &tok, PrmTargets::Hard, 8).unwrap();
        assert_eq!((cut.positions.as_slice(), dropped), (&[5][..], 1));
        assert_eq!(cut.tokens.len(), 8);
    }

    #[test]
    fn the_auxiliary_loss_adds_its_weight_times_a_positive_next_token_loss() {
        let tok = Tokenizer::try_char_level(&char_alphabet()).unwrap();
        let cfg = Config::tiny(tok.vocab_size());
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        let model = LlamaScorer::new(&cfg, 2, vb).unwrap();
        let mut prm = Prm {
            model,
            pad: mull_models::tokenizer::char_level::PAD_ID,
            lm_weight: 0.0,
        };
        let r = record(&["a=1", "b=2"], &[true, false], Vec::new());
        let (e, _) = PrmExample::new(&r, &tok, PrmTargets::Hard, 64).unwrap();
        let loss = |prm: &Prm| -> f32 { prm.loss(&[&e]).unwrap().0.to_scalar().unwrap() };
        let plain = loss(&prm);
        let held: f32 = prm.held_out_loss(&[&e]).unwrap().0.to_scalar().unwrap();
        assert_eq!(plain, held);
        prm.lm_weight = 0.5;
        let half = loss(&prm);
        prm.lm_weight = 1.0;
        let whole = loss(&prm);
        assert!(half > plain, "{half} {plain}");
        // Linear in the weight; an untrained model's next-token loss is about ln(vocab).
        assert!(((whole - plain) - 2.0 * (half - plain)).abs() < 1e-4);
        assert!((whole - plain) > 0.5 * (tok.vocab_size() as f32).ln());
        // The held-out loss stays the step loss alone.
        let held: f32 = prm.held_out_loss(&[&e]).unwrap().0.to_scalar().unwrap();
        assert_eq!(held, plain);
    }

    #[test]
    fn first_error_f1_and_step_accuracy_by_hand() {
        let scores = vec![
            vec![0.9, 0.2, 0.1], // first error at 1, as labelled: TP
            vec![0.9, 0.8],      // no error, as labelled
            vec![0.4, 0.9],      // says 0, labels say 1: FP and FN
            vec![0.9, 0.9],      // misses the error at 1: FN
        ];
        let labels: Vec<&[bool]> = vec![
            &[true, false, false],
            &[true, true],
            &[true, false],
            &[true, false],
        ];
        let m = metrics_of(&scores, &labels);
        assert_eq!((m.steps, m.records), (9, 4));
        // Right: 3 + 2 + 0 + 1 = 6 of 9.
        assert!((m.step_accuracy - 6.0 / 9.0).abs() < 1e-12);
        // TP 1, FP 1, FN 2: 2 / (2 + 1 + 2).
        assert!((m.first_error_f1 - 0.4).abs() < 1e-12);
        // Correct steps score 0.9, 0.9, 0.8, 0.4, 0.9; wrong ones 0.2, 0.1, 0.9, 0.9. Of the 20
        // (correct, wrong) pairs the correct step is above in 10, tied (0.9 with 0.9) in 6.
        assert!((m.step_auc.unwrap() - (10.0 + 3.0) / 20.0).abs() < 1e-12);
        assert_eq!(auc(&[(0.3, true), (0.7, true)]), None);
        assert_eq!(auc(&[(0.3, false), (0.7, true)]), Some(1.0));
        assert_eq!(auc(&[(0.5, false), (0.5, true)]), Some(0.5));
    }
}

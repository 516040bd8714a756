//! `mull eval`: held-out problems, k samples each from one model, verified, scored by a PRM,
//! and what test-time compute buys computed from that one pool ([`mull_distill::eval`]).
//!
//! The problems are generated from a family, seed and difficulty levels (level i takes indices
//! `i·count .. (i+1)·count`, so levels never share a problem) or read from a file. When the model
//! is a mull checkpoint, the runs it was trained on are checked first: a generated range that
//! shares (family, generator seed, index) with a training run is refused, and the prompts of the
//! evaluation problems are counted against the training shards (`prompt-overlap`: small
//! difficulty levels have few distinct problems, so different seeds can still repeat one).
//!
//! With a PRM, a step-level PRM beam search runs as well, at every N = width · expansions (up
//! to 4 expansions per beam), batched across problems and beams ([`super::beam`]), its answer
//! verified and its tokens counted, so it compares with best-of-N at matched N and tokens.
//!
//! Written into the output directory: `pool.jsonl` (every sample with its verdict, answer,
//! tokens and step scores), `metrics.json` and `metrics.md` (by family and difficulty, and in
//! all). Both are the same bytes for the same inputs; timings go only to stderr.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use mull_data::{Family, Problem};
use mull_distill::eval::{self, Aggregate, Sample};
use mull_distill::train::checkpoint::TrainState;
use mull_distill::train::prm::PrmScorer;
use mull_models::{LoadOptions, WeightsKind};
use mull_verifiers::sandbox::SandboxLimits;
use mull_verifiers::Verifiers;
use serde_json::{json, Value};

use crate::config::{FamilyConfig, RunConfig, SamplingConfig};
use crate::error::PipelineError;
use crate::progress::{EvalProgress, ProgressMode};
use crate::stages::sample::{prompt_tokens, PromptBuilder, Teacher};
use crate::stages::{self, ProblemWork};

/// Where the problems come from.
#[derive(Debug, Clone)]
pub enum Problems {
    File(PathBuf),
    Generate {
        family: Family,
        count: u64,
        seed: u64,
        difficulties: Vec<u8>,
    },
}

/// One evaluation.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    pub model: PathBuf,
    pub prm: Option<PathBuf>,
    pub problems: Problems,
    pub k: u32,
    pub sampling: SamplingConfig,
    /// Seeds the samples (with each problem and attempt id).
    pub seed: u64,
    pub out: PathBuf,
    /// Bars on a terminal, or nothing.
    pub progress: ProgressMode,
}

/// What an evaluation found, in all.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalSummary {
    pub problems: usize,
    pub samples: usize,
    pub pass_at_1: f64,
    pub prompt_overlap: usize,
}

fn generate(problems: &Problems) -> Result<Vec<Problem>, PipelineError> {
    match problems {
        Problems::File(path) => Ok(mull_data::shard::read_jsonl(path)?),
        Problems::Generate {
            family,
            count,
            seed,
            difficulties,
        } => {
            let mut out = Vec::new();
            for (level, d) in difficulties.iter().enumerate() {
                let fc = FamilyConfig {
                    count: *count,
                    difficulty: Some([*d, *d]),
                    variant: None,
                    seed: Some(*seed),
                };
                let first = level as u64 * count;
                for index in first..first + count {
                    out.push(stages::generate::problem(*family, &fc, *seed, index)?);
                }
            }
            Ok(out)
        }
    }
}

/// The training runs of a mull checkpoint (`None` for other models).
fn training_runs(model: &Path) -> Result<Option<Vec<PathBuf>>, PipelineError> {
    if !TrainState::exists(model) {
        return Ok(None);
    }
    let state = TrainState::read(model)?;
    Ok(Some(state.data.iter().map(PathBuf::from).collect()))
}

/// Refuses generated problems that a training run also generated; counts prompts seen in
/// training.
fn check_held_out(
    problems: &Problems,
    eval: &[Problem],
    runs: &[PathBuf],
) -> Result<usize, PipelineError> {
    let mut seen: HashSet<String> = HashSet::new();
    for run in runs {
        let config_path = run.join("config.toml");
        if let (
            Problems::Generate {
                family,
                count,
                seed,
                difficulties,
            },
            true,
        ) = (problems, config_path.is_file())
        {
            let config = RunConfig::from_file(&config_path)?;
            if let Some(fc) = config.families.get(family) {
                let train_seed = fc.seed.unwrap_or(config.seed);
                let eval_end = count * difficulties.len() as u64;
                if train_seed == *seed && fc.count > 0 && eval_end > 0 {
                    return Err(PipelineError::Overlap(format!(
                        "the evaluation problems ({family}, seed {seed}, indices 0..{eval_end}) \
                         overlap the training run {} ({family}, seed {train_seed}, indices 0..{}): \
                         choose another --seed",
                        run.display(),
                        fc.count
                    )));
                }
            }
        }
        // A run without sft/ shards adds no prompts.
        let shards = mull_distill::train::data::shards(run, "sft").unwrap_or_default();
        for shard in shards {
            for record in mull_data::shard::read_shard::<mull_data::SftRecord>(&shard)? {
                for m in record?.messages.into_iter().filter(|m| m.role == "user") {
                    seen.insert(m.content);
                }
            }
        }
    }
    Ok(eval.iter().filter(|p| seen.contains(&p.prompt)).count())
}

/// An answer in a form majority voting can compare: canonical math values for the families
/// whose answers are numbers, the text for ciphers; none for countdown and code.
fn canonical_answer(family: &str, answer: Option<&str>) -> Option<String> {
    let answer = answer?.trim();
    match family.parse::<Family>().ok()? {
        Family::Arithmetic | Family::Equations => mull_verifiers::math::parse_answer(answer)
            .ok()
            .map(|v| v.to_string()),
        Family::Cipher => Some(answer.to_string()),
        _ => None,
    }
}

/// Runs `opts`, reporting progress lines through `log`.
pub fn eval(opts: &EvalOptions, log: &mut dyn FnMut(&str)) -> Result<EvalSummary, PipelineError> {
    let problems = generate(&opts.problems)?;
    let runs = training_runs(&opts.model)?;
    let prompt_overlap = check_held_out(&opts.problems, &problems, runs.as_deref().unwrap_or(&[]))?;
    let student = runs.is_some();
    let model = mull_models::load(
        &opts.model,
        LoadOptions {
            weights: WeightsKind::Auto,
            ..LoadOptions::default()
        },
    )
    .map_err(|source| PipelineError::Teacher {
        path: opts.model.clone(),
        source,
    })?;
    // A mull student saw the bare problem after <bos>; other models get the run's default
    // system message and two worked examples per family.
    let prompts = if student {
        PromptBuilder::bare()
    } else {
        let families: BTreeMap<Family, FamilyConfig> = problems
            .iter()
            .filter_map(|p| p.family.parse::<Family>().ok())
            .map(|f| {
                (
                    f,
                    FamilyConfig {
                        count: 0,
                        difficulty: None,
                        variant: None,
                        seed: None,
                    },
                )
            })
            .collect();
        let defaults = crate::config::PromptConfig::default();
        PromptBuilder::for_families(&defaults.system, defaults.few_shot, &families, opts.seed)?
    };
    // Prompt and completion must fit the model's positions: the completion budget shrinks to
    // what the longest prompt leaves.
    let mut longest = 0usize;
    for p in &problems {
        let n = prompt_tokens(&model, &prompts, student, p).map_or(0, |t| t.len());
        longest = longest.max(n);
    }
    let room = model
        .config()
        .max_position_embeddings
        .saturating_sub(longest);
    if room == 0 {
        return Err(PipelineError::Overlap(format!(
            "prompts of {longest} tokens leave no room in the model's {} positions",
            model.config().max_position_embeddings
        )));
    }
    let sampling = SamplingConfig {
        attempts: opts.k,
        max_new_tokens: opts.sampling.max_new_tokens.min(room),
        ..opts.sampling.clone()
    };
    let teacher = Teacher::model_with(model, &sampling, prompts, opts.seed, student);
    let mut works: Vec<ProblemWork> = problems.into_iter().map(ProblemWork::new).collect();
    works.sort_by(|a, b| a.problem.id.cmp(&b.problem.id));
    log(&format!("sampling {} × {} attempts", works.len(), opts.k));
    let budgets = if opts.prm.is_some() {
        eval::sample_sizes(opts.k as usize).len() as u64
    } else {
        0
    };
    let bars = EvalProgress::new(opts.progress, works.len() as u64, budgets);
    // In chunks of whole blocks, so the bar moves and the blocks are the ones of one call.
    for chunk in works.chunks_mut(teacher.block_size()) {
        teacher.sample(chunk, 0);
        bars.sampled(chunk);
    }
    // A block the model could not sample is an error of the evaluation, not a zero.
    if let Some(r) = works.iter().flat_map(|w| &w.rejects).next() {
        return Err(PipelineError::Teacher {
            path: opts.model.clone(),
            source: mull_models::ModelError::Invalid(format!(
                "sampling {}: {}",
                r.problem_id, r.reason
            )),
        });
    }
    let verifiers = Verifiers::new(SandboxLimits::default());
    for w in &mut works {
        stages::verify::verify(&verifiers, w);
        bars.verified();
    }
    let scorer = opts.prm.as_deref().map(PrmScorer::load).transpose()?;
    let beams = match (&scorer, &teacher) {
        (Some(scorer), Teacher::Model(m)) => {
            log("PRM beam search");
            beam_results(&works, m, scorer, &verifiers, opts, &bars)?
        }
        _ => vec![BTreeMap::new(); works.len()],
    };
    bars.finish();
    log("scoring and computing metrics");
    let mut pool_lines = String::new();
    let mut by_group: BTreeMap<(String, String), Vec<ProblemResult>> = BTreeMap::new();
    for (w, beam) in works.iter().zip(&beams) {
        let mut samples = Vec::new();
        for a in &w.attempts {
            let step_scores = match &scorer {
                Some(s) => s.score(&w.problem.prompt, &a.steps)?,
                None => Vec::new(),
            };
            let correct = a.verdict.as_ref().is_some_and(|v| v.correct);
            let answer = canonical_answer(&w.problem.family, a.final_answer.as_deref());
            pool_lines.push_str(
                &json!({
                    "problem_id": w.problem.id, "family": w.problem.family,
                    "difficulty": w.problem.difficulty, "attempt": a.attempt, "correct": correct,
                    "answer": answer, "tokens": a.tokens, "step_scores": step_scores,
                    "completion": a.completion,
                })
                .to_string(),
            );
            pool_lines.push('\n');
            samples.push(Sample {
                correct,
                answer,
                tokens: a.tokens,
                step_scores,
            });
        }
        let key = (w.problem.family.clone(), w.problem.difficulty.to_string());
        let entry = (samples, beam.clone());
        by_group.entry(key).or_default().push(entry.clone());
        by_group
            .entry(("all".into(), "all".into()))
            .or_default()
            .push(entry);
    }
    let k = opts.k as usize;
    let mut rows = Vec::new();
    let mut pass_at_1 = 0.0;
    for ((family, difficulty), group) in &by_group {
        let row = metrics_row(family, difficulty, group, k, scorer.is_some());
        if family == "all" {
            pass_at_1 = row["pass@1"].as_f64().unwrap_or(0.0);
        }
        rows.push(row);
    }
    let metrics = json!({
        "model": opts.model.display().to_string(),
        "prm": opts.prm.as_ref().map(|p| p.display().to_string()),
        "k": k, "problems": works.len(), "prompt-overlap": prompt_overlap, "rows": rows,
    });
    std::fs::create_dir_all(&opts.out).map_err(|source| PipelineError::Io {
        path: opts.out.clone(),
        source,
    })?;
    let write = |name: &str, text: &str| -> Result<(), PipelineError> {
        Ok(mull_data::shard::write_file_atomic(
            &opts.out.join(name),
            text.as_bytes(),
        )?)
    };
    write("pool.jsonl", &pool_lines)?;
    let mut text = serde_json::to_string_pretty(&metrics).unwrap_or_default();
    text.push('\n');
    write("metrics.json", &text)?;
    write("metrics.md", &markdown(&rows, k))?;
    Ok(EvalSummary {
        problems: works.len(),
        samples: works.iter().map(|w| w.attempts.len()).sum(),
        pass_at_1,
        prompt_overlap,
    })
}

/// One problem's beam-search results by N: (correct, tokens spent).
type BeamRow = BTreeMap<usize, (bool, u64)>;

/// One problem's pool and beam results.
type ProblemResult = (Vec<Sample>, BeamRow);

/// PRM beam search at every N = width · expansions of the evaluation's sizes (expansions up to
/// 4 per beam), for every problem at once; each result verified.
fn beam_results(
    works: &[ProblemWork],
    m: &crate::stages::sample::ModelTeacher,
    scorer: &PrmScorer,
    verifiers: &Verifiers,
    opts: &EvalOptions,
    bars: &EvalProgress,
) -> Result<Vec<BeamRow>, PipelineError> {
    use mull_distill::eval::search::{beam_search, BeamConfig};
    let heads = works
        .iter()
        .map(|w| m.prompt_tokens(&w.problem))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| PipelineError::Teacher {
            path: opts.model.clone(),
            source,
        })?;
    let mut expander = super::beam::ModelExpander {
        model: &m.model,
        heads,
        problem_ids: works.iter().map(|w| w.problem.id.clone()).collect(),
        params: super::beam::ModelExpander::step_params(&m.model, opts.sampling.temperature, 64),
        run_seed: opts.seed,
        prompts_per_block: m.prompts_per_block,
    };
    let mut rows = vec![BeamRow::new(); works.len()];
    for n in eval::sample_sizes(opts.k as usize) {
        let expansions = n.min(4);
        let config = BeamConfig {
            width: n / expansions,
            expansions,
            max_steps: 12,
        };
        let mut failure = None;
        let mut score = |p: usize, text: &str| -> f64 {
            let steps =
                mull_data::Attempt::from_completion(&works[p].problem.id, 0, text.to_string())
                    .steps;
            match scorer.score(&works[p].problem.prompt, &steps) {
                Ok(s) => Aggregate::Last.score(&s),
                Err(e) => {
                    failure.get_or_insert(e.to_string());
                    0.0
                }
            }
        };
        let found = beam_search(works.len(), config, &mut expander, &mut score).map_err(|e| {
            PipelineError::Teacher {
                path: opts.model.clone(),
                source: mull_models::ModelError::Invalid(format!("beam search: {e}")),
            }
        })?;
        if let Some(e) = failure {
            return Err(PipelineError::Report(format!("scoring beams: {e}")));
        }
        for ((row, w), f) in rows.iter_mut().zip(works).zip(found) {
            let attempt = mull_data::Attempt::from_completion(&w.problem.id, 0, f.text);
            let correct = verifiers
                .for_family(&w.problem.family)
                .is_some_and(|v| v.verify(&w.problem, &attempt).correct);
            row.insert(n, (correct, f.tokens));
        }
        bars.searched(n);
    }
    Ok(rows)
}

/// Every figure of one (family, difficulty) group: means over its problems.
fn metrics_row(
    family: &str,
    difficulty: &str,
    group: &[ProblemResult],
    k: usize,
    prm: bool,
) -> Value {
    let pools: Vec<&Vec<Sample>> = group.iter().map(|(s, _)| s).collect();
    let mean = |f: &dyn Fn(&[Sample]) -> Option<f64>| -> Option<f64> {
        let vals: Vec<f64> = pools.iter().filter_map(|p| f(p)).collect();
        (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
    };
    let beam_mean = |n: usize, pick: &dyn Fn(&(bool, u64)) -> f64| -> Option<f64> {
        let vals: Vec<f64> = group
            .iter()
            .filter_map(|(_, b)| b.get(&n).map(pick))
            .collect();
        (!vals.is_empty()).then(|| vals.iter().sum::<f64>() / vals.len() as f64)
    };
    let mut row = serde_json::Map::new();
    row.insert("family".into(), json!(family));
    row.insert("difficulty".into(), json!(difficulty));
    row.insert("problems".into(), json!(pools.len()));
    row.insert("pass@1".into(), json!(mean(&|p| Some(eval::pass_at(p, 1)))));
    for n in eval::sample_sizes(k) {
        row.insert(
            format!("pass@{n}"),
            json!(mean(&|p| Some(eval::pass_at(p, n)))),
        );
        row.insert(
            format!("maj@{n}"),
            json!(mean(&|p| eval::majority_at(p, n))),
        );
        let tokens = mean(&|p| {
            Some(
                p.iter().map(|s| f64::from(s.tokens)).sum::<f64>() / p.len().max(1) as f64
                    * n as f64,
            )
        });
        row.insert(format!("tokens@{n}"), json!(tokens));
        if prm {
            row.insert(
                format!("prm-beam@{n}"),
                json!(beam_mean(n, &|r| f64::from(u8::from(r.0)))),
            );
            row.insert(
                format!("beam-tokens@{n}"),
                json!(beam_mean(n, &|r| r.1 as f64)),
            );
            for agg in Aggregate::ALL {
                let name = agg.name();
                row.insert(
                    format!("prm-best-{name}@{n}"),
                    json!(mean(&|p| Some(eval::best_of(p, n, agg)))),
                );
                row.insert(
                    format!("prm-weighted-maj-{name}@{n}"),
                    json!(mean(&|p| eval::weighted_majority_at(p, n, agg))),
                );
            }
        }
    }
    Value::Object(row)
}

/// The rows as markdown: one table per (family, difficulty), N down, methods across.
fn markdown(rows: &[Value], k: usize) -> String {
    use crate::report::{markdown_header, table_cells, EVAL_COLUMNS};
    let mut out = String::from("# Evaluation\n");
    for row in rows {
        out.push_str(&format!(
            "\n## {} (difficulty {}, {} problems)\n\n{}",
            row["family"].as_str().unwrap_or("?"),
            row["difficulty"].as_str().unwrap_or("?"),
            row["problems"],
            markdown_header(&EVAL_COLUMNS)
        ));
        for n in eval::sample_sizes(k) {
            let cells = table_cells(row, n, &EVAL_COLUMNS);
            out.push_str(&format!("| {n} | {} |\n", cells.join(" | ")));
        }
    }
    out
}

//! `mull run`: one config, one run directory, one timely dataflow from generated problems to
//! verified, step-labelled shards.
//!
//! Before the dataflow starts, every process resolves the config, loads the teacher, checks
//! the run directory (a directory of another config is refused, naming the keys that differ)
//! and finds the blocks already finished; process 0 writes the resolved config and removes
//! what a killed run left. No shard can be written before every worker has admitted its block,
//! so those checks never race a writer. The workers then admit the unfinished blocks one
//! timestamp each, holding back while more than `blocks-in-flight` are unwritten; worker 0
//! gathers what every block holds and writes the manifest last.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mull_data::manifest::Manifest;
use mull_data::shard::write_file_atomic;
use mull_models::{load, LoadOptions, WeightsKind};
use mull_verifiers::sandbox::SandboxLimits;
use mull_verifiers::Verifiers;
use timely::container::CapacityContainerBuilder;
use timely::dataflow::operators::{
    Concat, ConnectLoop, Enter, Exchange, Input, Inspect, Leave, LoopVariable, OkErr, Probe,
};
use timely::dataflow::{InputHandle, ProbeHandle};

use super::cluster::{self, timely_config, Cluster, ConnectWatch};
use crate::config::{differing_keys, Overrides, RunConfig, TeacherKind, WeightsConfig};
use crate::dataflow::write_shards::ShardSink;
use crate::dataflow::{
    AggregateProblems, BlockDone, GenerateProblems, LabelSteps, SampleAttempts, VerifyAttempts,
    Wire, WriteShards,
};
use crate::error::PipelineError;
use crate::progress::{Progress, ProgressMode};
use crate::run_dir::{self, Block, Plan, Routes, ShardFile};
use crate::stages::aggregate::Tally;
use crate::stages::oracle::Oracle;
use crate::stages::sample::{PromptBuilder, Teacher};
use crate::stages::ProblemWork;

/// What `mull run` was asked to do, resolved from flags.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub config: PathBuf,
    pub overrides: Overrides,
    pub cluster: Option<Cluster>,
    pub progress: ProgressMode,
}

/// What a run did (process 0 only).
#[derive(Debug, Clone)]
pub struct RunSummary {
    pub dir: PathBuf,
    /// Every block of the run, reused or written.
    pub tally: Tally,
    /// Tokens sampled by this invocation (reused blocks excluded).
    pub new_tokens: u64,
    pub blocks: usize,
    pub reused: usize,
    pub wall: Duration,
    /// The dataflow alone: from the first block admitted to the last written.
    pub dataflow_wall: Duration,
}

/// Runs the job. Returns the summary in process 0 and `None` in the others.
pub fn run(opts: &RunOptions) -> Result<Option<RunSummary>, PipelineError> {
    let start = Instant::now();
    let config = RunConfig::from_file(&opts.config)?.resolve(&opts.overrides, &opts.config)?;
    let process = opts.cluster.as_ref().map_or(0, |c| c.process);
    let prompts = PromptBuilder::new(&config)?;
    check_families(&config)?;
    let teacher = Arc::new(load_teacher(&config, prompts.clone())?);
    let teacher_hash = teacher.hash();
    let dir = config.out.clone();
    check_run_dir(&dir, &config, &teacher_hash, process)?;
    let plan = Plan::new(&config);
    let old_manifest = std::fs::read(dir.join("manifest.json")).ok();
    if process == 0 {
        // Checked before anything is written: a run never deletes another run's data.
        let leftovers = run_dir::leftovers(&dir, &plan)?;
        if let Some(first) = leftovers.foreign.first() {
            return Err(PipelineError::WouldDrop {
                dir: dir.clone(),
                first: first.display().to_string(),
                count: leftovers.foreign.len(),
            });
        }
        std::fs::create_dir_all(&dir).map_err(|source| PipelineError::Io {
            path: dir.clone(),
            source,
        })?;
        write_file_atomic(&dir.join("config.toml"), config.to_toml()?.as_bytes())?;
        run_dir::remove_all(&leftovers.superseded)?;
    }
    // Every process checks the finished blocks (each admits only the others); only process 0
    // uses their tallies, for the manifest.
    let mut reused = Tally::default();
    let mut reused_shards: Vec<ShardFile> = Vec::new();
    let mut pending: Vec<(u64, Block)> = Vec::new();
    for (ordinal, block) in (0u64..).zip(&plan.blocks) {
        match run_dir::finished(&dir, block) {
            Some((shards, tally)) => {
                reused.add(&tally);
                reused_shards.extend(shards);
            }
            None => pending.push((ordinal, block.clone())),
        }
    }
    let pending_problems = pending.iter().map(|(_, b)| b.end - b.start).sum();
    let progress = Arc::new(Progress::new(
        if process == 0 {
            opts.progress
        } else {
            ProgressMode::Quiet
        },
        pending_problems,
        pending.len() as u64,
    ));
    let config = Arc::new(config);
    let sink = Arc::new(ShardSink::new(dir.clone(), plan.clone(), config.clone()));
    let verifiers = Arc::new(Verifiers::new(SandboxLimits {
        wall: Duration::from_millis(config.verifier.code_timeout_ms),
        memory_bytes: config.verifier.code_memory_mib << 20,
        ..SandboxLimits::default()
    }));
    let dataflow_start = Instant::now();
    let written = dataflow(
        config.workers,
        opts.cluster.as_ref(),
        Arc::new(pending),
        Workers {
            config: config.clone(),
            teacher,
            verifiers,
            sink: sink.clone(),
            progress: progress.clone(),
        },
    )?;
    let dataflow_wall = dataflow_start.elapsed();
    progress.finish();
    let failures = sink
        .failures
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if let Some(first) = failures.first() {
        return Err(PipelineError::Dataflow(first.clone()));
    }
    if process != 0 {
        return Ok(None);
    }
    let mut tally = reused.clone();
    let mut new_tokens = 0;
    let mut shards = reused_shards;
    for done in &written {
        tally.add(&done.tally);
        new_tokens += done.tally.tokens;
        shards.extend(done.shards.iter().cloned());
    }
    let manifest = manifest(&config, &teacher_hash, &prompts, &tally, &dir, &shards)?;
    let path = dir.join("manifest.json");
    manifest.write_atomic(&path)?;
    if written.is_empty() {
        if let Some(old) = old_manifest {
            if std::fs::read(&path).ok().as_deref() != Some(old.as_slice()) {
                tracing::warn!(
                    "{} did not match the run's shards (edited by hand, or from an older \
                     mull): it was rewritten from them",
                    path.display()
                );
            }
        }
    }
    Ok(Some(RunSummary {
        dir,
        tally,
        new_tokens,
        blocks: plan.blocks.len(),
        reused: plan.blocks.len() - written.len(),
        wall: start.elapsed(),
        dataflow_wall,
    }))
}

/// Everything a worker shares with the others of its process.
struct Workers {
    config: Arc<RunConfig>,
    teacher: Arc<Teacher>,
    verifiers: Arc<Verifiers>,
    sink: Arc<ShardSink>,
    progress: Arc<Progress>,
}

/// The longest a waiting worker parks before it looks again.
const PARK: Duration = Duration::from_millis(1);

/// Builds and drives the dataflow on every worker; returns the blocks written (gathered on
/// global worker 0, empty elsewhere).
fn dataflow(
    workers: usize,
    cluster: Option<&Cluster>,
    pending: Arc<Vec<(u64, Block)>>,
    shared: Workers,
) -> Result<Vec<BlockDone>, PipelineError> {
    let config = timely_config(workers, cluster);
    let Some(peers) = cluster else {
        return drive(config, pending, Arc::new(shared), None);
    };
    cluster::quiet_lost_peer_panics();
    let watch = ConnectWatch::start(peers);
    // A lost peer panics timely's threads here; what it leaves is one error saying so.
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        drive(config, pending, Arc::new(shared), watch)
    })) {
        Ok(Ok(done)) => Ok(done),
        Ok(Err(e)) => Err(cluster::lost_peer().unwrap_or(e)),
        Err(panic) => {
            mull_data::shard::remove_temp_files();
            match cluster::lost_peer() {
                Some(e) => Err(e),
                None => std::panic::resume_unwind(panic),
            }
        }
    }
}

fn drive(
    config: timely::Config,
    pending: Arc<Vec<(u64, Block)>>,
    shared: Arc<Workers>,
    watch: Option<ConnectWatch>,
) -> Result<Vec<BlockDone>, PipelineError> {
    let guards = timely::execute(config, move |worker| {
        if let Some(watch) = &watch {
            watch.connected();
        }
        let (index, peers) = (worker.index(), worker.peers());
        let s = shared.clone();
        let routes = Arc::new(Routes::new(&s.sink.plan, peers));
        let mut input = InputHandle::<u64, CapacityContainerBuilder<Vec<Block>>>::new();
        let probe = ProbeHandle::new();
        let done: Rc<RefCell<Vec<BlockDone>>> = Rc::new(RefCell::new(Vec::new()));
        let gathered = done.clone();
        #[allow(clippy::result_large_err)]
        worker.dataflow::<u64, _, _>(|scope| {
            let problems = scope.input_from(&mut input).generate_problems(
                s.config.clone(),
                routes.clone(),
                index,
                peers,
            );
            // The rollout loop, at (ordinal, round): see `crate::dataflow` for why a scope.
            let labelled = scope.iterative::<u32, _, _>(|inner| {
                // Problems waiting for rollouts go around again, one round later.
                let (rollouts, again) = inner.loop_variable::<Vec<Wire<ProblemWork>>>(1);
                let (labelled, waiting) = problems
                    .enter(inner)
                    .concat(again)
                    .sample_attempts(
                        s.teacher.clone(),
                        s.config.labels.rollouts,
                        routes.clone(),
                        s.progress.clone(),
                    )
                    .verify_attempts(s.verifiers.clone(), s.progress.clone())
                    .label_steps(s.config.labels.clone(), s.progress.clone())
                    // Moving the record whole is the point here: no copy, no allocation.
                    .ok_err::<Vec<_>, _, Vec<_>, _, _>(|w: Wire<ProblemWork>| {
                        if w.probes.is_empty() {
                            Ok(w)
                        } else {
                            Err(w)
                        }
                    });
                waiting.connect_loop(rollouts);
                labelled.leave(scope)
            });
            let reduce_routes = routes.clone();
            let (labelled, aggregates) =
                labelled.aggregate_problems(move |key| reduce_routes.of_key(key));
            labelled
                .write_shards(aggregates, s.sink.clone(), routes, s.progress.clone())
                .exchange(|_: &Wire<BlockDone>| 0)
                .inspect(move |d: &Wire<BlockDone>| gathered.borrow_mut().push(d.0.clone()))
                .probe_with(&probe);
        });
        // Each block is worked on by one worker (`run_dir::Routes`), so the bound is per worker:
        // every worker keeps as many blocks of its own in flight however many there are.
        let in_flight = s.config.blocks_in_flight.saturating_mul(peers as u64);
        for (ordinal, block) in pending.iter() {
            input.advance_to(*ordinal);
            input.send(block.clone());
            // Flow control: admit a block only while the oldest unwritten one is at most
            // `in_flight` ordinals back.
            let oldest_allowed = ordinal.saturating_sub(in_flight);
            // Park rather than spin while waiting: on a machine with as many workers as
            // cores, a spinning worker takes the core another one needs. The park is bounded,
            // so a worker never depends on a wake-up alone to look again.
            while probe.less_than(&oldest_allowed) {
                worker.step_or_park(Some(PARK));
            }
        }
        input.close();
        while !probe.done() {
            worker.step_or_park(Some(PARK));
        }
        done.take()
    })
    .map_err(PipelineError::Dataflow)?;
    let mut all = Vec::new();
    for result in guards.join() {
        all.extend(result.map_err(|e| PipelineError::Dataflow(format!("a worker failed: {e}")))?);
    }
    Ok(all)
}

fn load_teacher(config: &RunConfig, prompts: PromptBuilder) -> Result<Teacher, PipelineError> {
    match (config.teacher.kind, &config.teacher.path) {
        (TeacherKind::Model, Some(path)) => {
            let weights = match config.teacher.weights {
                WeightsConfig::Auto => WeightsKind::Auto,
                WeightsConfig::F32 => WeightsKind::F32,
                WeightsConfig::Q8_0 => WeightsKind::Q8_0,
                WeightsConfig::Native => WeightsKind::Native,
            };
            let options = LoadOptions {
                weights,
                ..LoadOptions::default()
            };
            let model = load(path, options).map_err(|source| PipelineError::Teacher {
                path: path.clone(),
                source,
            })?;
            Ok(Teacher::model(model, config, prompts))
        }
        _ => Ok(Teacher::Oracle(Oracle {
            run_seed: config.seed,
            attempts: config.sampling.attempts,
            corrupt_rate: config.teacher.corrupt_rate,
        })),
    }
}

/// Generates one problem at every difficulty a family's config allows, so a bad variant or
/// level is an error before anything runs, not a hole in a shard.
fn check_families(config: &RunConfig) -> Result<(), PipelineError> {
    for (family, f) in &config.families {
        let levels: Vec<u8> = match f.difficulty {
            Some([lo, hi]) => (lo..=hi).collect(),
            None => vec![0],
        };
        for level in levels {
            let probe = crate::config::FamilyConfig {
                difficulty: (level > 0).then_some([level, level]),
                ..f.clone()
            };
            crate::stages::generate::problem(*family, &probe, config.seed, 0).map_err(|e| {
                PipelineError::Config {
                    path: PathBuf::from("config"),
                    message: format!("families.{family}: {e}"),
                }
            })?;
        }
    }
    Ok(())
}

/// Refuses a directory that holds another run (naming the keys that differ) or files that are
/// not a run's. Only process 0 judges a directory without a config: the others may look while
/// process 0 is writing it.
fn check_run_dir(
    dir: &Path,
    config: &RunConfig,
    teacher_hash: &str,
    process: usize,
) -> Result<(), PipelineError> {
    let previous = dir.join("config.toml");
    if !previous.exists() {
        if process != 0 {
            return Ok(());
        }
        // A run killed while writing its config left only that config's temporary.
        let occupied = std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                run_dir::temporary_of(&name) != Some("config.toml")
            })
        });
        if occupied {
            return Err(PipelineError::OtherRun {
                dir: dir.to_path_buf(),
                keys: "it is not empty and has no config.toml, so it is not a mull run".into(),
            });
        }
        return Ok(());
    }
    let old = RunConfig::from_file(&previous)?;
    // The teacher the old run used, by hash, when its manifest says; else the same file.
    let old_hash = Manifest::read(&dir.join("manifest.json"))
        .ok()
        .and_then(|m| m.models.get("teacher").cloned())
        .unwrap_or_else(|| teacher_hash.to_string());
    let keys = differing_keys(&old.identity(&old_hash), &config.identity(teacher_hash));
    if keys.is_empty() {
        Ok(())
    } else {
        Err(PipelineError::OtherRun {
            dir: dir.to_path_buf(),
            keys: keys.join(", "),
        })
    }
}

fn manifest(
    config: &RunConfig,
    teacher_hash: &str,
    prompts: &PromptBuilder,
    tally: &Tally,
    dir: &Path,
    shards: &[ShardFile],
) -> Result<Manifest, PipelineError> {
    let mut m = Manifest::new(env!("CARGO_PKG_VERSION"), "mull run");
    m.config_hash = config.config_hash(teacher_hash);
    m.counts = tally.counts();
    m.pass_rates = tally.pass_rates();
    m.models.insert("teacher".into(), teacher_hash.to_string());
    m.prompt_template_version = crate::config::PROMPT_TEMPLATE_VERSION;
    m.prompt_template_hash = prompts.hash();
    m.seeds.insert("run".into(), config.seed);
    for (family, f) in &config.families {
        m.seeds
            .insert(format!("generator.{family}"), f.seed.unwrap_or(config.seed));
    }
    for shard in shards {
        m.add_shard(dir, &shard.info())?;
    }
    Ok(m)
}

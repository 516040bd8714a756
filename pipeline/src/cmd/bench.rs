//! `mull bench`: throughput figures for the README, measured in one process on this machine.
//! Benchmarks print; tests never assert on time.

/// `println!` that hands a write error back (`mull bench verify | head -1` ends quietly on the
/// broken pipe, as every command does) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)?;
    }};
}

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use mull_data::{Family, Problem};
use mull_generators::{GeneratorSpec, FAMILIES};
use mull_models::bench::{BenchEngine, BenchOptions};
use mull_verifiers::Verifiers;

use mull_pipeline::stages::verify::{grade_all, reference_pairs};

#[derive(Debug, clap::Subcommand)]
pub enum Bench {
    /// Problems generated per second, per family (1,000 per difficulty level).
    Generate,
    /// Math checks per second (answers and steps) and sandboxed code verdicts per second.
    Verify {
        /// Sandboxed code verdicts to time.
        #[arg(long, default_value_t = 40)]
        code: usize,
        /// Parallel sandboxes for the second code figure.
        #[arg(short, long, default_value_t = 2)]
        jobs: usize,
    },
    /// Problems per second through `mull run` (1 and 2 workers), its memory, the dataflow's cost
    ///
    /// With --model, tokens/s inside `mull run` against the sample stage alone.
    Pipeline {
        /// Problems of the throughput figure (four families with exact verifiers).
        #[arg(long, default_value_t = 40000)]
        problems: u64,
        /// Problems of the smaller memory run (the larger has 10x); both exceed the blocks
        /// in flight (8 of 1,000 problems) several times over, so the figure shows what flow
        /// control bounds, not the allocator's warm-up (a 20,000-problem run ends before its
        /// pools are full: 151-163 MiB, against 183 MiB at 40,000 and 183-187 MiB at 200,000
        /// and 400,000).
        #[arg(long, default_value_t = 40000)]
        memory_problems: u64,
        /// A GGUF teacher: tokens/s inside mull run against the sample stage alone.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Attempts per problem for the model figure.
        #[arg(long, default_value_t = 16)]
        attempts: u32,
        /// Problems for the model figure.
        #[arg(long, default_value_t = 4)]
        model_problems: u64,
        /// Rounds of the throughput and model figures: -w 1 and -w 2 (and mull run and the
        /// sample stage) take turns, each keeping its best round, so a burst of load on a
        /// shared machine hits both alike (on this project's 2-core machine the best of 3
        /// still moved the ratio by ±0.2). Each round's own -w 2 / -w 1 ratio is printed too,
        /// with their median.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
        rounds: u64,
        /// Where the runs write (default: the system's temporary directory). On a RAM file
        /// system (`/dev/shm`) the figures are the dataflow's own, without the disk's.
        #[arg(long)]
        scratch: Option<PathBuf>,
    },
    /// Training tokens/s and model FLOP utilisation of a ~3M and a ~25M-parameter student
    /// (forward, backward and AdamW on synthetic batches) against the f32 matmul rate measured
    /// in the same run.
    Train {
        /// Rows per batch.
        #[arg(long, default_value_t = 8)]
        rows: usize,
        /// Tokens per row.
        #[arg(long, default_value_t = 256)]
        sequence: usize,
        /// Timed steps per model (after one untimed).
        #[arg(long, default_value_t = 3)]
        steps: usize,
    },
    /// Prefill and decode tok/s of a model, batch 1 to 64, beside stock candle quantized_llama.
    Sample {
        /// A GGUF llama file.
        #[arg(long)]
        model: PathBuf,
        /// Prompt length in tokens.
        #[arg(long, default_value_t = 64)]
        prompt_tokens: usize,
        /// Tokens decoded per measurement.
        #[arg(long, default_value_t = 32)]
        decode_tokens: usize,
        /// Attempt counts sharing one prompt for the aggregate figures.
        #[arg(long, value_delimiter = ',', default_values_t = [1, 4, 16, 64])]
        attempts: Vec<usize>,
        /// Rounds of the measurements (each figure keeps its best).
        #[arg(long, default_value_t = 2)]
        rounds: usize,
        /// Engines to measure (fewer give more rounds in the same time for an A/B comparison).
        #[arg(long, value_enum, value_delimiter = ',', default_values_t = EngineArg::ALL)]
        engines: Vec<EngineArg>,
    },
}

/// `--engines` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum EngineArg {
    /// Stock candle-transformers quantized_llama.
    Stock,
    /// mull on the file's own integers.
    Native,
    /// mull re-quantized to Q8_0 on candle's kernel.
    #[value(name = "q8_0")]
    Q8_0,
    /// mull dequantized to f32.
    F32,
}

impl EngineArg {
    const ALL: [EngineArg; 4] = [
        EngineArg::Stock,
        EngineArg::Native,
        EngineArg::Q8_0,
        EngineArg::F32,
    ];

    fn engine(self) -> BenchEngine {
        match self {
            EngineArg::Stock => BenchEngine::Stock,
            EngineArg::Native => BenchEngine::Native,
            EngineArg::Q8_0 => BenchEngine::Q8_0,
            EngineArg::F32 => BenchEngine::F32,
        }
    }
}

pub fn run(bench: Bench) -> Result<ExitCode> {
    match bench {
        Bench::Generate => bench_generate()?,
        Bench::Verify { code, jobs } => bench_verify(code, jobs)?,
        Bench::Train {
            rows,
            sequence,
            steps,
        } => bench_train(rows, sequence, steps)?,
        Bench::Pipeline {
            problems,
            memory_problems,
            model,
            attempts,
            model_problems,
            rounds,
            scratch,
        } => {
            use mull_pipeline::jobs::bench;
            let scratch = match &scratch {
                Some(dir) => tempfile::tempdir_in(dir)
                    .with_context(|| format!("a scratch directory in {}", dir.display()))?,
                None => tempfile::tempdir().context("a scratch directory")?,
            };
            say!("runs write under {}", scratch.path().display());
            say!(
                "{}",
                bench::bench_throughput(scratch.path(), problems, rounds)?
            );
            let mull = std::env::current_exe().context("the mull binary's path")?;
            say!(
                "{}",
                bench::bench_memory(scratch.path(), &mull, memory_problems)?
            );
            if let Some(model) = model {
                say!(
                    "{}",
                    bench::bench_model(
                        scratch.path(),
                        &model,
                        model_problems,
                        attempts,
                        96,
                        rounds
                    )?
                );
            }
        }
        Bench::Sample {
            model,
            prompt_tokens,
            decode_tokens,
            attempts,
            rounds,
            engines,
        } => {
            let opts = BenchOptions {
                prompt_tokens,
                decode_tokens,
                attempts,
                rounds,
                engines: engines.into_iter().map(EngineArg::engine).collect(),
            };
            let report = mull_models::bench::bench_sample(&model, &opts)
                .with_context(|| format!("benchmarking {}", model.display()))?;
            say!("{report}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn per_second(n: usize, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64().max(1e-9)
}

fn problems(family: &str, difficulty: Option<u8>, count: u64) -> Result<Vec<Problem>> {
    let spec = GeneratorSpec {
        family: family.to_string(),
        variant: None,
        difficulty,
    };
    (0..count)
        .map(|i| mull_generators::generate(&spec, 1, i).map_err(anyhow::Error::from))
        .collect()
}

fn bench_generate() -> Result<()> {
    say!(
        "{:<12} {:>8} {:>12} {:>14}",
        "family",
        "levels",
        "problems",
        "problems/s"
    );
    for family in FAMILIES {
        let levels = mull_generators::generator(family)?.levels();
        let start = Instant::now();
        let mut n = 0usize;
        for level in 1..=levels {
            n += problems(family, Some(level), 1000)?.len();
        }
        let rate = per_second(n, start.elapsed());
        say!("{family:<12} {levels:>8} {n:>12} {rate:>14.0}");
    }
    Ok(())
}

/// Grades `problems`' reference solutions on `jobs` threads: (verdicts per second, correct).
fn timed_verify(verifiers: &Verifiers, problems: &[Problem], jobs: usize) -> Result<(f64, usize)> {
    let pairs = reference_pairs(problems);
    let start = Instant::now();
    let verdicts = grade_all(verifiers, &pairs, jobs).map_err(anyhow::Error::msg)?;
    let correct = verdicts.iter().filter(|v| v.correct).count();
    Ok((per_second(problems.len(), start.elapsed()), correct))
}

/// The hand-written gold/prediction table of the math grader (`mull_verifiers`' tests).
const MATH_TABLE: &str = include_str!("../../../verifiers/tests/data/math_pairs.jsonl");

/// Free-text math grading on one core: every prediction of [`MATH_TABLE`] against its gold,
/// repeated for about a second.
fn bench_math_table() -> Result<()> {
    #[derive(serde::Deserialize)]
    struct Row {
        gold: String,
        pred: String,
        correct: bool,
    }
    let rows: Vec<Row> = MATH_TABLE
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .context("the math table")?;
    let agree = rows
        .iter()
        .filter(|r| mull_verifiers::math::grade_math(&r.gold, &r.pred).correct == r.correct)
        .count();
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed().as_secs_f64() < 1.0 {
        for r in &rows {
            std::hint::black_box(mull_verifiers::math::grade_math(&r.gold, &r.pred));
        }
        n += rows.len();
    }
    say!(
        "{:<12} {:>10.0} checks/s  (free-text gold/prediction table, one core; {agree}/{} as expected)",
        "math table",
        per_second(n, start.elapsed()),
        rows.len()
    );
    Ok(())
}

fn bench_verify(code: usize, jobs: usize) -> Result<()> {
    let verifiers = Verifiers::default();
    bench_math_table()?;
    for family in [
        Family::Arithmetic,
        Family::Equations,
        Family::Countdown,
        Family::Cipher,
    ] {
        let family = family.as_str();
        let probs = problems(family, None, 5000)?;
        let (rate, correct) = timed_verify(&verifiers, &probs, 1)?;
        say!(
            "{family:<12} {rate:>10.0} checks/s  (answer + every step; {correct}/{} correct)",
            probs.len()
        );
    }
    let probs = problems(Family::Code.as_str(), None, code as u64)?;
    for threads in [1, jobs] {
        let (rate, passed) = timed_verify(&verifiers, &probs, threads)?;
        let label = format!(
            "code ({threads} sandbox{})",
            if threads == 1 { "" } else { "es" }
        );
        say!(
            "{label:<18} {rate:>6.1} verdicts/s  ({passed}/{} passed)",
            probs.len()
        );
    }
    Ok(())
}

fn bench_train(rows: usize, sequence: usize, steps: usize) -> Result<()> {
    use mull_distill::train::bench::{bench_train, matmul_rate};
    use mull_distill::train::spec::ModelSpec;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let matmul = matmul_rate(1024, 10)?;
    say!(
        "threads: {threads}; f32 matmul 1024x1024x1024 (candle): {:.1} GFLOP/s",
        matmul / 1e9
    );
    say!(
        "{:<8} {:>11} {:>8} {:>10} {:>10} {:>10} {:>12} {:>6}",
        "student",
        "parameters",
        "tokens",
        "s/step",
        "AdamW s",
        "tokens/s",
        "GFLOP/s",
        "MFU"
    );
    for (name, hidden, layers, heads, intermediate) in
        [("~3M", 256, 4, 4, 688), ("~25M", 512, 8, 8, 1376)]
    {
        let spec = ModelSpec {
            hidden_size: hidden,
            intermediate_size: intermediate,
            layers,
            heads,
            kv_heads: None,
            max_positions: sequence + 1,
            rope_theta: 10_000.0,
            tie_embeddings: false,
        };
        let b = bench_train(&spec, rows, sequence, steps, matmul)?;
        say!(
            "{:<8} {:>11} {:>8} {:>10.3} {:>10.3} {:>10.0} {:>12.1} {:>5.1}%",
            name,
            b.parameters,
            b.tokens_per_step,
            b.seconds_per_step,
            b.optimizer_seconds_per_step,
            b.tokens_per_second,
            b.model_flops_per_second / 1e9,
            100.0 * b.mfu
        );
    }
    Ok(())
}

//! Progress of a run: a bar per stage on a terminal (indicatif), `tracing` logs otherwise,
//! nothing with `--quiet`. Operators report through a shared [`Progress`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::run_dir::Block;
use crate::stages::ProblemWork;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressMode {
    /// Bars on stderr.
    Bars,
    /// One `tracing` line per block written.
    Log,
    Quiet,
}

impl ProgressMode {
    /// Bars when stderr is a terminal, logs otherwise; `quiet` wins.
    pub fn detect(quiet: bool) -> Self {
        use std::io::IsTerminal;
        if quiet {
            ProgressMode::Quiet
        } else if std::io::stderr().is_terminal() {
            ProgressMode::Bars
        } else {
            ProgressMode::Log
        }
    }
}

/// Counters and bars of one process's workers.
pub struct Progress {
    mode: ProgressMode,
    sampled: ProgressBar,
    verified: ProgressBar,
    labelled: ProgressBar,
    written: ProgressBar,
    tokens: AtomicU64,
    start: Instant,
    _multi: MultiProgress,
}

impl Progress {
    /// Bars sized for `problems` problems in `blocks` blocks (this run's share of the plan).
    pub fn new(mode: ProgressMode, problems: u64, blocks: u64) -> Self {
        let multi = MultiProgress::with_draw_target(match mode {
            ProgressMode::Bars => ProgressDrawTarget::stderr(),
            _ => ProgressDrawTarget::hidden(),
        });
        let bar = |len: u64, what: &str| {
            let b = multi.add(ProgressBar::new(len));
            let template = format!("{what:>10} {{bar:30}} {{pos}}/{{len}} {{msg}}");
            if let Ok(style) = ProgressStyle::with_template(&template) {
                b.set_style(style);
            }
            b
        };
        Progress {
            mode,
            sampled: bar(problems, "sampled"),
            verified: bar(problems, "verified"),
            labelled: bar(problems, "labelled"),
            written: bar(blocks, "blocks"),
            tokens: AtomicU64::new(0),
            start: Instant::now(),
            _multi: multi,
        }
    }

    /// Problems sampled (rollout rounds are not counted again).
    pub fn sampled(&self, work: &[ProblemWork]) {
        let work: Vec<&ProblemWork> = work.iter().filter(|w| w.probes.is_empty()).collect();
        let tokens: u64 = work
            .iter()
            .flat_map(|w| &w.attempts)
            .map(|a| u64::from(a.tokens))
            .sum();
        let total = self.tokens.fetch_add(tokens, Ordering::Relaxed) + tokens;
        self.sampled.inc(work.len() as u64);
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        self.sampled
            .set_message(format!("{:.1} tok/s", total as f64 / secs));
    }

    pub fn verified(&self, work: &ProblemWork) {
        if work.probes.is_empty() {
            self.verified.inc(1);
        }
    }

    /// A problem whose labels are final.
    pub fn labelled(&self, work: &ProblemWork) {
        if work.probes.is_empty() {
            self.labelled.inc(1);
        }
    }

    pub fn written(&self, block: &Block) {
        self.written.inc(1);
        if self.mode == ProgressMode::Log {
            tracing::info!(
                "wrote block {} ({} of {} blocks)",
                block.name(),
                self.written.position(),
                self.written.length().unwrap_or(0)
            );
        }
    }

    /// Removes the bars (before the summary is printed).
    pub fn finish(&self) {
        for b in [&self.sampled, &self.verified, &self.labelled, &self.written] {
            b.finish_and_clear();
        }
    }
}

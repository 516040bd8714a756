//! Progress of a run: a bar per stage on a terminal (indicatif), `tracing` logs otherwise,
//! nothing with `--quiet`. Operators report through a shared [`Progress`]; an evaluation
//! through [`EvalProgress`].

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

impl ProgressMode {
    /// Where the bars of this mode are drawn: stderr, or nowhere.
    fn bars(self) -> MultiProgress {
        MultiProgress::with_draw_target(match self {
            ProgressMode::Bars => ProgressDrawTarget::stderr(),
            _ => ProgressDrawTarget::hidden(),
        })
    }
}

/// Counters and bars of one process's workers.
pub struct Progress {
    mode: ProgressMode,
    sampled: SampledBar,
    verified: ProgressBar,
    labelled: ProgressBar,
    written: ProgressBar,
    _multi: MultiProgress,
}

impl Progress {
    /// Bars sized for `problems` problems in `blocks` blocks (this run's share of the plan).
    pub fn new(mode: ProgressMode, problems: u64, blocks: u64) -> Self {
        let multi = mode.bars();
        let bar = |len: u64, what: &str| stage_bar(&multi, len, what);
        Progress {
            mode,
            sampled: SampledBar::new(bar(problems, "sampled")),
            verified: bar(problems, "verified"),
            labelled: bar(problems, "labelled"),
            written: bar(blocks, "blocks"),
            _multi: multi,
        }
    }

    /// Problems sampled (rollout rounds are not counted again).
    pub fn sampled(&self, work: &[ProblemWork]) {
        let fresh = work.iter().filter(|w| w.probes.is_empty());
        self.sampled.add(fresh);
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
        for b in [
            &self.sampled.bar,
            &self.verified,
            &self.labelled,
            &self.written,
        ] {
            b.finish_and_clear();
        }
    }
}

/// The bar of problems sampled, with the tokens per second since it was made.
struct SampledBar {
    bar: ProgressBar,
    tokens: AtomicU64,
    start: Instant,
}

impl SampledBar {
    fn new(bar: ProgressBar) -> Self {
        SampledBar {
            bar,
            tokens: AtomicU64::new(0),
            start: Instant::now(),
        }
    }

    fn add<'a>(&self, work: impl Iterator<Item = &'a ProblemWork>) {
        let (mut problems, mut tokens) = (0, 0);
        for w in work {
            problems += 1;
            tokens += w.tokens();
        }
        let total = self.tokens.fetch_add(tokens, Ordering::Relaxed) + tokens;
        self.bar.inc(problems);
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        self.bar
            .set_message(format!("{:.1} tok/s", total as f64 / secs));
    }
}

fn stage_bar(multi: &MultiProgress, len: u64, what: &str) -> ProgressBar {
    let b = multi.add(ProgressBar::new(len));
    let template = format!("{what:>10} {{bar:30}} {{pos}}/{{len}} {{msg}}");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        b.set_style(style);
    }
    b
}

/// The bars of `mull eval`: problems sampled (with tokens/s), problems verified, and the PRM
/// beam search's budgets done. Hidden unless the mode is [`ProgressMode::Bars`].
pub struct EvalProgress {
    sampled: SampledBar,
    verified: ProgressBar,
    searched: ProgressBar,
    _multi: MultiProgress,
}

impl EvalProgress {
    /// Bars for `problems` problems and `budgets` beam-search budgets (0: no beam search).
    pub fn new(mode: ProgressMode, problems: u64, budgets: u64) -> Self {
        let multi = mode.bars();
        let sampled = stage_bar(&multi, problems, "sampled");
        let verified = stage_bar(&multi, problems, "verified");
        let searched = if budgets > 0 {
            stage_bar(&multi, budgets, "beams")
        } else {
            ProgressBar::hidden()
        };
        EvalProgress {
            sampled: SampledBar::new(sampled),
            verified,
            searched,
            _multi: multi,
        }
    }

    pub fn sampled(&self, work: &[ProblemWork]) {
        self.sampled.add(work.iter());
    }

    pub fn verified(&self) {
        self.verified.inc(1);
    }

    /// One beam-search budget done for every problem.
    pub fn searched(&self, budget: usize) {
        self.searched.inc(1);
        self.searched.set_message(format!("N = {budget}"));
    }

    /// Removes the bars (before the summary is printed).
    pub fn finish(&self) {
        for b in [&self.sampled.bar, &self.verified, &self.searched] {
            b.finish_and_clear();
        }
    }
}

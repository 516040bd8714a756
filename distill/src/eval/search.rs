//! Step-level beam search guided by a PRM, batched across problems and beams.
//!
//! Each round, every live beam of every problem is expanded by `expansions` sampled next steps
//! in one call to the [`Expander`] (so a model decodes all of them together, each beam's prefix
//! prefilled once); every candidate is scored, finished candidates are set aside, and the best
//! `width` unfinished ones per problem go on. The search ends when a problem has `width`
//! finished candidates or after `max_steps` rounds; the answer is the best finished candidate
//! (or the best unfinished one, if none finished). Ties go to the earlier candidate, so the
//! search is deterministic given the expander.

/// Beam search settings: `width · expansions` candidates per round, as many as best-of-N with
/// N = `width · expansions` draws at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BeamConfig {
    pub width: usize,
    pub expansions: usize,
    pub max_steps: usize,
}

/// One sampled next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The text to append (one step, with its line end).
    pub text: String,
    /// The completion ended here (an answer, or the end of sequence).
    pub finished: bool,
    pub tokens: u32,
}

/// Samples next steps: for each request `(problem, prefix, round, beam)`, `n` steps.
pub trait Expander {
    type Error;
    fn expand(
        &mut self,
        requests: &[(usize, &str, usize, usize)],
        n: usize,
    ) -> Result<Vec<Vec<Step>>, Self::Error>;
}

/// The outcome of one problem's search.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub text: String,
    pub score: f64,
    pub finished: bool,
    /// Tokens sampled for this problem in all rounds.
    pub tokens: u64,
}

#[derive(Debug, Clone)]
struct Beam {
    text: String,
    score: f64,
}

/// Runs the search for `problems` problems; `score(problem, text)` rates a partial or finished
/// completion (a PRM's score of its last step, say).
pub fn beam_search<E: Expander>(
    problems: usize,
    config: BeamConfig,
    expander: &mut E,
    score: &mut dyn FnMut(usize, &str) -> f64,
) -> Result<Vec<Found>, E::Error> {
    let width = config.width.max(1);
    let mut live: Vec<Vec<Beam>> = vec![
        vec![Beam {
            text: String::new(),
            score: 0.0
        }];
        problems
    ];
    let mut done: Vec<Vec<Beam>> = vec![Vec::new(); problems];
    let mut tokens = vec![0u64; problems];
    for round in 0..config.max_steps.max(1) {
        let mut requests = Vec::new();
        for (p, beams) in live.iter().enumerate() {
            if done[p].len() >= width {
                continue;
            }
            for (b, beam) in beams.iter().enumerate() {
                requests.push((p, beam.text.as_str(), round, b));
            }
        }
        if requests.is_empty() {
            break;
        }
        let expanded = expander.expand(&requests, config.expansions.max(1))?;
        let mut next: Vec<Vec<Beam>> = vec![Vec::new(); problems];
        for (&(p, prefix, _, _), steps) in requests.iter().zip(expanded) {
            for step in steps {
                tokens[p] += u64::from(step.tokens);
                let text = format!("{prefix}{}", step.text);
                let s = score(p, &text);
                let beam = Beam { text, score: s };
                if step.finished {
                    done[p].push(beam);
                } else {
                    next[p].push(beam);
                }
            }
        }
        for (p, mut beams) in next.into_iter().enumerate() {
            // Stable: equal scores keep their order.
            beams.sort_by(|a, b| b.score.total_cmp(&a.score));
            beams.truncate(width);
            live[p] = beams;
        }
    }
    Ok((0..problems)
        .map(|p| {
            let best = |v: &[Beam]| {
                v.iter()
                    .enumerate()
                    .max_by(|(i, a), (j, b)| a.score.total_cmp(&b.score).then(j.cmp(i)))
                    .map(|(_, b)| b.clone())
            };
            let (beam, finished) = match best(&done[p]) {
                Some(b) => (b, true),
                None => (
                    best(&live[p]).unwrap_or(Beam {
                        text: String::new(),
                        score: 0.0,
                    }),
                    false,
                ),
            };
            Found {
                text: beam.text,
                score: beam.score,
                finished,
                tokens: tokens[p],
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every prefix can continue with "a\n", "b\n" or "c\n"; a third line finishes.
    struct Tree {
        calls: usize,
    }

    impl Expander for Tree {
        type Error = ();
        fn expand(
            &mut self,
            requests: &[(usize, &str, usize, usize)],
            n: usize,
        ) -> Result<Vec<Vec<Step>>, ()> {
            self.calls += 1;
            Ok(requests
                .iter()
                .map(|(_, prefix, _, _)| {
                    let depth = prefix.lines().count();
                    ["a", "b", "c"]
                        .iter()
                        .take(n)
                        .map(|s| Step {
                            text: format!("{s}\n"),
                            finished: depth + 1 == 3,
                            tokens: 2,
                        })
                        .collect()
                })
                .collect())
        }
    }

    #[test]
    fn a_prm_that_scores_by_a_known_rule_picks_the_known_path() {
        // Problem 0 prefers b then c then a (position-dependent); problem 1 prefers all c.
        let want = ["b\nc\na\n", "c\nc\nc\n"];
        let mut score = |p: usize, text: &str| -> f64 {
            let target = want[p];
            // The score of a prefix: how many of its lines match the wanted path so far.
            text.lines()
                .zip(target.lines())
                .filter(|(a, b)| a == b)
                .count() as f64
        };
        let mut tree = Tree { calls: 0 };
        let config = BeamConfig {
            width: 2,
            expansions: 3,
            max_steps: 5,
        };
        let found = beam_search(2, config, &mut tree, &mut score).unwrap();
        assert_eq!(found[0].text, want[0]);
        assert_eq!(found[1].text, want[1]);
        assert!(found.iter().all(|f| f.finished));
        // Both problems go in one call per round: 3 rounds.
        assert_eq!(tree.calls, 3);
        // Round 1: one beam × 3; rounds 2 and 3: two beams × 3: 15 steps of 2 tokens.
        assert_eq!(found[0].tokens, 30);
    }
}

//! The oracle teacher: replays each problem's reference chain, corrupting some attempts at a
//! seeded step, so a run needs no model and every label is known in advance.
//!
//! Each attempt draws from its own stream, seeded by the same `ids::attempt_seed` a model's
//! attempt would use. One uniform `u` picks what the attempt is:
//! - `u < MALFORMED` (5%): the chain breaks off half-way, with no `</think>` and no answer
//!   (finish `length`), as a model that runs out of tokens;
//! - then `corrupt-rate`: one step, drawn uniformly, is corrupted (its last number, or its last
//!   letter, changed), and so is the final answer: the step check fails at exactly that step;
//! - then `WRONG_ANSWER` (5%): every step is right but the final answer is corrupted;
//! - otherwise the reference chain itself.

use mull_data::{ids, Attempt, CodePayload, Family, Finish, Problem, SamplingInfo};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Share of attempts that break off without an answer.
pub const MALFORMED: f64 = 0.05;
/// Share of attempts with right steps and a wrong answer.
pub const WRONG_ANSWER: f64 = 0.05;

/// What the oracle made of one attempt (the plain sequential reference the tests compare with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OracleOutcome {
    Reference,
    /// The step at this index (and the answer) is corrupted.
    CorruptStep(usize),
    WrongAnswer,
    Malformed,
}

/// The oracle's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Oracle {
    pub run_seed: u64,
    pub attempts: u32,
    pub corrupt_rate: f64,
}

/// The name the manifest gives the oracle in place of a weights hash.
pub const ORACLE_HASH: &str = "oracle:v1";

impl Oracle {
    /// The attempts of one problem, in attempt order.
    pub fn sample(&self, problem: &Problem) -> Vec<Attempt> {
        (0..self.attempts)
            .map(|a| self.attempt(problem, a))
            .collect()
    }

    /// What attempt `a` of `problem` is, from its seed alone.
    pub fn outcome(&self, problem: &Problem, a: u32) -> OracleOutcome {
        let mut rng = ChaCha8Rng::seed_from_u64(ids::attempt_seed(self.run_seed, &problem.id, a));
        let u: f64 = rng.random();
        let steps = problem.reference.len();
        if u < MALFORMED && steps > 1 {
            OracleOutcome::Malformed
        } else if u < MALFORMED + self.corrupt_rate && steps > 0 {
            OracleOutcome::CorruptStep(rng.random_range(0..steps))
        } else if u < MALFORMED + self.corrupt_rate + WRONG_ANSWER {
            OracleOutcome::WrongAnswer
        } else {
            OracleOutcome::Reference
        }
    }

    fn attempt(&self, problem: &Problem, a: u32) -> Attempt {
        let code = problem.family == Family::Code.as_str();
        let mut steps = problem.reference.clone();
        let mut answer = problem.answer.clone();
        let outcome = self.outcome(problem, a);
        let completion = match outcome {
            OracleOutcome::Malformed => {
                steps.truncate(steps.len() / 2);
                format!("<think>\n{}\n", steps.join("\n"))
            }
            OracleOutcome::CorruptStep(i) => {
                steps[i] = corrupt(&steps[i]);
                answer = wrong_answer(problem);
                mull_data::cot::format_completion(&steps, &answer, code)
            }
            OracleOutcome::WrongAnswer => {
                answer = wrong_answer(problem);
                mull_data::cot::format_completion(&steps, &answer, code)
            }
            OracleOutcome::Reference => mull_data::cot::format_completion(&steps, &answer, code),
        };
        let mut attempt = Attempt::from_completion(&problem.id, a, completion);
        attempt.tokens =
            u32::try_from(attempt.completion.split_whitespace().count()).unwrap_or(u32::MAX);
        attempt.finish = Some(if outcome == OracleOutcome::Malformed {
            Finish::Length
        } else {
            Finish::Stop
        });
        attempt.sampling = Some(SamplingInfo {
            temperature: 1.0,
            top_p: None,
            top_k: None,
            seed: ids::attempt_seed(self.run_seed, &problem.id, a),
        });
        attempt.teacher = Some(ORACLE_HASH.to_string());
        attempt
    }

    /// Continuation `rollout` from after step `step` of `attempt` (a Monte-Carlo rollout): when
    /// the prefix is the reference's own, the reference goes on, corrupted in its answer with
    /// probability `corrupt-rate` (drawn from the rollout's seed); after a wrong step it goes on
    /// to a wrong answer, as an error carried forward does.
    pub fn continuation(
        &self,
        problem: &Problem,
        attempt: &Attempt,
        step: usize,
        rollout: u32,
    ) -> Attempt {
        let code = problem.family == Family::Code.as_str();
        let end = (step + 1).min(attempt.steps.len());
        let prefix = &attempt.steps[..end];
        let on_track = prefix.len() <= problem.reference.len()
            && prefix.iter().zip(&problem.reference).all(|(a, b)| a == b);
        let seed = ids::rollout_seed(self.run_seed, &attempt.id, step as u32, rollout);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let slips = rng.random::<f64>() < self.corrupt_rate;
        let mut steps = prefix.to_vec();
        steps.extend(problem.reference.iter().skip(prefix.len()).cloned());
        let answer = if on_track && !slips {
            problem.answer.clone()
        } else {
            wrong_answer(problem)
        };
        let completion = mull_data::cot::format_completion(&steps, &answer, code);
        Attempt::from_completion(&problem.id, attempt.attempt, completion)
    }
}

/// A wrong final answer: for code, a function that returns nothing; otherwise the gold answer
/// with its last number (or letter) changed.
fn wrong_answer(problem: &Problem) -> String {
    if problem.family == Family::Code.as_str() {
        let entry = problem
            .payload_as::<CodePayload>()
            .map(|p| p.entry_point)
            .unwrap_or_else(|_| "solution".into());
        return format!("def {entry}(*args):\n    return None");
    }
    corrupt(&problem.answer)
}

/// `text` with its last digit incremented (9 becomes 0, so the number always changes), or else
/// its last letter moved one on in the alphabet, or else `?` appended.
pub fn corrupt(text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    if let Some(i) = chars.iter().rposition(|c| c.is_ascii_digit()) {
        let d = chars[i] as u8 - b'0';
        chars[i] = char::from(b'0' + (d + 1) % 10);
    } else if let Some(i) = chars.iter().rposition(|c| c.is_ascii_alphabetic()) {
        let c = chars[i];
        let base = if c.is_ascii_lowercase() { b'a' } else { b'A' };
        chars[i] = char::from(base + (c as u8 - base + 1) % 26);
    } else {
        chars.push('?');
    }
    chars.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_always_changes_the_text() {
        for t in ["17 * 4 = 68", "x = 9", "think", "Zz", "", "()", "-1/2"] {
            assert_ne!(corrupt(t), t);
        }
        assert_eq!(corrupt("60 / 6 = 19"), "60 / 6 = 10");
        assert_eq!(corrupt("oyfj -> thinz"), "oyfj -> thina");
    }
}

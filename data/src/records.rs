//! The record types every stage speaks, as they appear in shards (one JSON object per line).
//!
//! Field names follow DESIGN.md ("Record examples"); SFT records use the HF conversational
//! convention and PRM records the stepwise-supervision convention, so `load_dataset("json", ...)`
//! reads them without conversion. Readers accept extra fields, so later versions can add some.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::error::DataError;
use crate::ids;

/// A generated problem with its gold answer and a reference chain of thought.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// [`ids::problem_id`] of (family, generator_version, seed, index).
    pub id: String,
    /// Generator family: `arithmetic`, `equations`, `countdown`, `cipher`, `code`.
    pub family: String,
    pub generator_version: u32,
    pub seed: u64,
    pub index: u64,
    /// 1 (easiest) ..= the family's top level.
    pub difficulty: u8,
    pub prompt: String,
    /// The gold answer as text: a number, tuple or expression for math, lowercase words for
    /// ciphers, the reference solution's source for code.
    pub answer: String,
    /// Reference solution steps in the chain-of-thought format (one step per line).
    pub reference: Vec<String>,
    /// Family-specific data (cipher key, countdown numbers, unit tests); see the `*Payload` types.
    #[serde(default)]
    pub payload: serde_json::Value,
}

impl Problem {
    /// Decodes the family payload, with an error naming the problem if it has the wrong shape.
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, DataError> {
        serde_json::from_value(self.payload.clone()).map_err(|e| DataError::Payload {
            problem_id: self.id.clone(),
            family: self.family.clone(),
            message: e.to_string(),
        })
    }

    /// The reference solution written as a completion in the chain-of-thought format.
    pub fn reference_completion(&self) -> String {
        let code = self.family == crate::Family::Code.as_str();
        crate::cot::format_completion(&self.reference, &self.answer, code)
    }
}

/// Payload of a countdown problem: reach `target` using each of `numbers` at most once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CountdownPayload {
    pub numbers: Vec<i64>,
    pub target: i64,
}

/// Payload of an equations problem: the exact solution, so step checks can substitute it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EquationsPayload {
    /// Variable name -> exact value as text (`"4"`, `"-1/2"`), in answer order.
    pub variables: Vec<(String, String)>,
}

/// The ciphers of the cipher family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CipherKind {
    Caesar,
    Vigenere,
    Substitution,
    /// Each plaintext letter is written as two letters whose alphabet positions average to its
    /// position (the o1 announcement's cipher).
    PairAverage,
}

/// Payload of a cipher problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CipherPayload {
    pub cipher: CipherKind,
    pub ciphertext: String,
    /// Caesar: the shift as a decimal number (`"3"`); Vigenère: the keyword (lowercase);
    /// substitution: the 26-letter cipher alphabet (`key[i]` encrypts `'a' + i`);
    /// pair-average: absent (the task shows an example pair instead).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// An example (plaintext, ciphertext) pair shown in the task, for keyless ciphers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<(String, String)>,
}

/// One hidden unit test of a code problem: `entry_point(*args) == expected`, type-strict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeTest {
    /// Positional arguments as JSON values (converted with `json.loads` on the Python side).
    pub args: Vec<serde_json::Value>,
    pub expected: serde_json::Value,
}

/// Payload of a code problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodePayload {
    /// The function the candidate must define.
    pub entry_point: String,
    pub tests: Vec<CodeTest>,
}

/// Why a completion stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Finish {
    /// A stop string was produced.
    Stop,
    /// The end-of-sequence token was produced.
    Eos,
    /// `max_new_tokens` was reached.
    Length,
}

/// The sampling parameters and seed that produced an attempt (provenance).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SamplingInfo {
    pub temperature: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_p: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_k: Option<usize>,
    pub seed: u64,
}

/// One sampled chain of thought for a problem, with its verdict once graded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    /// [`ids::attempt_id`] of (problem_id, attempt).
    pub id: String,
    pub problem_id: String,
    /// The attempt index within its problem (0-based).
    pub attempt: u32,
    pub completion: String,
    /// Steps parsed from the thinking block ([`crate::cot::parse_completion`]).
    #[serde(default)]
    pub steps: Vec<String>,
    /// The final answer as written, if one was found.
    #[serde(default)]
    pub final_answer: Option<String>,
    /// Number of generated tokens.
    #[serde(default)]
    pub tokens: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish: Option<Finish>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampling: Option<SamplingInfo>,
    /// `sha256:<hex>` of the teacher's weights.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

impl Attempt {
    /// An attempt for `completion`, with id, steps and final answer derived from it.
    pub fn from_completion(problem_id: &str, attempt: u32, completion: String) -> Self {
        let parsed = crate::cot::parse_completion(&completion);
        Attempt {
            id: ids::attempt_id(problem_id, attempt),
            problem_id: problem_id.to_string(),
            attempt,
            steps: parsed.steps,
            final_answer: parsed.final_answer,
            completion,
            tokens: 0,
            finish: None,
            sampling: None,
            teacher: None,
            verdict: None,
        }
    }
}

/// The outcome of grading: the answer is right, wrong, or could not be graded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictStatus {
    Correct,
    Incorrect,
    /// Grading itself failed (unparseable answer, a work bound exceeded, sandbox failure).
    Error,
}

/// A verifier's judgement of one attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// `status == Correct`, kept as a plain field for consumers that want one boolean.
    pub correct: bool,
    pub status: VerdictStatus,
    /// Human-readable reason (`"10 == 10"`, `"expected 10, got 12"`, `"timeout after 5 s"`).
    pub reason: String,
    /// Per step: `Some(true)` checks, `Some(false)` fails, `None` where no exact check applies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub step_checks: Vec<Option<bool>>,
    /// Index of the first step whose check failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_error: Option<usize>,
    /// Which verifier produced this, and its version (provenance).
    pub verifier: String,
    pub verifier_version: u32,
}

impl Verdict {
    fn new(status: VerdictStatus, reason: impl Into<String>, verifier: &str, version: u32) -> Self {
        Verdict {
            correct: status == VerdictStatus::Correct,
            status,
            reason: reason.into(),
            step_checks: Vec::new(),
            first_error: None,
            verifier: verifier.to_string(),
            verifier_version: version,
        }
    }
    pub fn correct(reason: impl Into<String>, verifier: &str, version: u32) -> Self {
        Self::new(VerdictStatus::Correct, reason, verifier, version)
    }
    pub fn incorrect(reason: impl Into<String>, verifier: &str, version: u32) -> Self {
        Self::new(VerdictStatus::Incorrect, reason, verifier, version)
    }
    pub fn error(reason: impl Into<String>, verifier: &str, version: u32) -> Self {
        Self::new(VerdictStatus::Error, reason, verifier, version)
    }
    /// Attaches per-step checks and derives `first_error` from them.
    pub fn with_steps(mut self, step_checks: Vec<Option<bool>>) -> Self {
        self.first_error = step_checks.iter().position(|c| *c == Some(false));
        self.step_checks = step_checks;
        self
    }
}

/// One chat message of an SFT record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
}

/// A supervised fine-tuning example in the HF conversational convention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SftRecord {
    pub messages: Vec<Message>,
    pub problem_id: String,
    pub attempt_id: String,
}

/// Where a PRM step label came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LabelSource {
    /// An exact step check decided it.
    Exact,
    /// Monte-Carlo rollouts from after the step decided it.
    Rollout,
    /// The step comes after the first wrong step, so it is labelled wrong.
    AfterFirstError,
    /// The final verdict decided it (no step check applied, no rollouts run).
    Outcome,
}

/// A process-reward record in the stepwise-supervision convention (TRL's `prompt`,
/// `completions`, `labels`), with mull's soft labels and provenance beside them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrmRecord {
    pub prompt: String,
    pub completions: Vec<String>,
    pub labels: Vec<bool>,
    pub problem_id: String,
    pub attempt_id: String,
    #[serde(default)]
    pub first_error: Option<usize>,
    #[serde(default)]
    pub step_checks: Vec<Option<bool>>,
    /// Per step `[k, n]`: k of n continuations from after the step reached a correct answer.
    #[serde(default)]
    pub rollouts: Vec<[u32; 2]>,
    #[serde(default)]
    pub label_source: Vec<LabelSource>,
}

/// A record a run could not turn into data, with the stage and the reason: a sampler error,
/// a malformed completion, a verifier error. Rejects never stop a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectRecord {
    /// The id of the rejected record (an attempt id, or the problem id when the problem as a
    /// whole failed).
    pub id: String,
    pub problem_id: String,
    /// The stage that rejected it: `sample`, `verify`, `label`.
    pub stage: String,
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_examples_parse() {
        let p: Problem = serde_json::from_str(
            r#"{"id": "3f9c0a1b2d4e5f60", "family": "arithmetic", "generator_version": 1, "seed": 7, "index": 42,
 "difficulty": 2, "prompt": "Compute (17 * 4 - 8) / 6.",
 "answer": "10", "reference": ["17 * 4 = 68", "68 - 8 = 60", "60 / 6 = 10"], "payload": {}}"#,
        )
        .unwrap();
        assert_eq!(p.reference.len(), 3);
        let a: Attempt = serde_json::from_str(
            r#"{"id": "9a0b1c2d3e4f5061", "problem_id": "3f9c0a1b2d4e5f60", "attempt": 3,
 "completion": "<think>\n17 * 4 = 68\n68 - 8 = 60\n60 / 6 = 10\n</think>\nAnswer: 10",
 "steps": ["17 * 4 = 68", "68 - 8 = 60", "60 / 6 = 10"], "final_answer": "10",
 "tokens": 41, "finish": "stop", "sampling": {"temperature": 0.8, "top_p": 0.95, "seed": 1234},
 "teacher": "sha256:b179c952", "verdict": {"correct": true, "status": "correct", "reason": "10 == 10", "verifier": "math", "verifier_version": 1}}"#,
        )
        .unwrap();
        assert_eq!(a.finish, Some(Finish::Stop));
        assert!(a.verdict.unwrap().correct);
        let r: PrmRecord = serde_json::from_str(
            r#"{"prompt": "Compute (17 * 4 - 8) / 6.", "completions": ["17 * 4 = 68", "68 - 8 = 61", "So the result is 61/6."],
 "labels": [true, false, false],
 "problem_id": "3f9c0a1b2d4e5f60", "attempt_id": "77aa", "first_error": 1,
 "step_checks": [true, false, null], "rollouts": [[8, 8], [0, 8], [0, 8]], "label_source": ["exact", "exact", "after-first-error"]}"#,
        )
        .unwrap();
        assert_eq!(r.step_checks, vec![Some(true), Some(false), None]);
        assert_eq!(r.label_source[2], LabelSource::AfterFirstError);
    }

    #[test]
    fn payload_errors_name_the_problem() {
        let p = Problem {
            id: "abc".into(),
            family: "countdown".into(),
            generator_version: 1,
            seed: 0,
            index: 0,
            difficulty: 1,
            prompt: String::new(),
            answer: String::new(),
            reference: vec![],
            payload: serde_json::json!({"numbers": "oops"}),
        };
        let err = p.payload_as::<CountdownPayload>().unwrap_err().to_string();
        assert!(err.contains("abc") && err.contains("countdown"), "{err}");
    }

    #[test]
    fn verdict_first_error_is_derived() {
        let v = Verdict::incorrect("x", "math", 1).with_steps(vec![
            Some(true),
            None,
            Some(false),
            Some(false),
        ]);
        assert_eq!(v.first_error, Some(2));
        assert!(!v.correct);
    }
}

//! The math, countdown and cipher verifiers end to end on Problem and Attempt records.

use mull_data::{Attempt, Problem, VerdictStatus};
use mull_verifiers::cipher::CipherVerifier;
use mull_verifiers::countdown::CountdownVerifier;
use mull_verifiers::math::MathVerifier;
use mull_verifiers::Verifier;
use serde_json::json;

fn problem(family: &str, answer: &str, payload: serde_json::Value) -> Problem {
    Problem {
        id: "p1".into(),
        family: family.into(),
        generator_version: 1,
        seed: 0,
        index: 0,
        difficulty: 1,
        prompt: String::new(),
        answer: answer.into(),
        reference: vec![],
        payload,
    }
}

fn attempt(completion: &str) -> Attempt {
    Attempt::from_completion("p1", 0, completion.to_string())
}

/// An attempt with only the completion: steps and final answer left for the verifier.
fn bare(completion: &str) -> Attempt {
    Attempt {
        steps: vec![],
        final_answer: None,
        ..attempt(completion)
    }
}

#[test]
fn arithmetic_answer_decides_and_steps_show() {
    let p = problem("arithmetic", "10", json!({}));
    let v = MathVerifier::new();
    let good = v.verify(
        &p,
        &attempt("<think>\n17 * 4 = 68\n68 - 8 = 60\n60 / 6 = 10\n</think>\nAnswer: 10"),
    );
    assert_eq!(good.status, VerdictStatus::Correct, "{}", good.reason);
    assert_eq!(good.step_checks, vec![Some(true); 3]);
    assert_eq!((good.verifier.as_str(), good.verifier_version), ("math", 5));

    let slip = v.verify(
        &p,
        &attempt(
            "<think>\n17 * 4 = 68\n68 - 8 = 61\nLet me recheck.\n60 / 6 = 10\n</think>\nAnswer: 10",
        ),
    );
    assert!(slip.correct, "the answer decides: {}", slip.reason);
    assert_eq!(
        slip.step_checks,
        vec![Some(true), Some(false), None, Some(true)]
    );
    assert_eq!(slip.first_error, Some(1));

    let wrong = v.verify(&p, &attempt("<think>\n17 * 4 = 68\n</think>\nAnswer: 61/6"));
    assert_eq!(wrong.status, VerdictStatus::Incorrect);
    assert_eq!(wrong.reason, "expected 10, got 61/6");

    // Restating the prompt's expression is not an answer in the arithmetic family.
    let copy = v.verify(&p, &attempt("<think>\n</think>\nAnswer: (17 * 4 - 8) / 6"));
    assert_eq!(copy.status, VerdictStatus::Incorrect, "{}", copy.reason);

    let bare_good = v.verify(&p, &bare("<think>\n17 * 4 = 68\n</think>\nAnswer: 10"));
    assert!(bare_good.correct, "{}", bare_good.reason);
    assert_eq!(bare_good.step_checks, vec![Some(true)]);
}

#[test]
fn equations_substitute_the_solution() {
    let p = problem(
        "equations",
        "(4, -1/2)",
        json!({"variables": [["x", "4"], ["y", "-1/2"]]}),
    );
    let v = MathVerifier::new();
    let a = attempt(
        "<think>\n3x + 2y = 11\nx = 4\n2y = -2\ny = -1/2\n</think>\nAnswer: x = 4, y = -1/2",
    );
    let verdict = v.verify(&p, &a);
    assert!(verdict.correct, "{}", verdict.reason);
    assert_eq!(
        verdict.step_checks,
        vec![Some(true), Some(true), Some(false), Some(true)]
    );
    let swapped = v.verify(&p, &attempt("<think>\n</think>\nAnswer: (-1/2, 4)"));
    assert_eq!(swapped.status, VerdictStatus::Incorrect);
}

#[test]
fn bounds_are_error_verdicts() {
    let p = problem("arithmetic", "10", json!({}));
    let v = MathVerifier::new();
    for completion in [
        "<think>\n9^9^9^9 = 1\n</think>\nAnswer: 9^9^9^9".to_string(),
        format!("<think>\n</think>\nAnswer: {}", "9".repeat(1 << 20)),
        format!(
            "<think>\n</think>\nAnswer: {}1{}",
            "(".repeat(1000),
            ")".repeat(1000)
        ),
    ] {
        let verdict = v.verify(&p, &attempt(&completion));
        assert_eq!(verdict.status, VerdictStatus::Error, "{}", verdict.reason);
    }
    let broken_gold = problem("arithmetic", "ten", json!({}));
    assert_eq!(
        v.verify(&broken_gold, &attempt("Answer: 10")).status,
        VerdictStatus::Error
    );
}

#[test]
fn countdown() {
    let p = problem(
        "countdown",
        "(25 - 5) * 4",
        json!({"numbers": [25, 5, 4, 7], "target": 80}),
    );
    let v = CountdownVerifier;
    let ok = v.verify(
        &p,
        &attempt("<think>\n25 - 5 = 20\n20 * 4 = 80\n</think>\nAnswer: (25 - 5) * 4"),
    );
    assert!(ok.correct, "{}", ok.reason);
    assert_eq!(ok.step_checks, vec![Some(true), Some(true)]);
    let eq = v.verify(
        &p,
        &attempt("<think>\n</think>\nAnswer: (25 - 5) \\times 4 = 80"),
    );
    assert!(eq.correct, "{}", eq.reason);
    let twice = v.verify(
        &p,
        &attempt("<think>\n</think>\nAnswer: 7 * 7 + 25 + 5 - 4"),
    );
    assert_eq!(twice.reason, "uses 7 twice but it is given once");
    let off = v.verify(
        &p,
        &attempt("<think>\n25 * 4 = 100\n100 - 5 = 94\n</think>\nAnswer: 25 * 4 - 5"),
    );
    assert_eq!(off.reason, "evaluates to 95, target 80");
    assert_eq!(off.first_error, Some(1));
    let none = v.verify(&p, &attempt("<think>\nhmm\n</think>\n"));
    assert_eq!(none.status, VerdictStatus::Incorrect);
    let bad = problem("countdown", "", json!({"numbers": "x"}));
    assert_eq!(
        v.verify(&bad, &attempt("Answer: 1")).status,
        VerdictStatus::Error
    );
}

#[test]
fn cipher() {
    let p = problem(
        "cipher",
        "think step by step",
        json!({
            "cipher": "pair-average",
            "ciphertext": "oyfjdnisdr rtqwainr acxz mynzbhhx",
            "example": ["think", "oyfjdnisdr"],
        }),
    );
    let v = CipherVerifier;
    let a = attempt(concat!(
        "<think>\noyfjdnisdr -> think\nrtqwainr -> step\nacxz -> by\nmynzbhhx -> stop\n",
        "</think>\nAnswer: Think step by step."
    ));
    let verdict = v.verify(&p, &a);
    assert!(verdict.correct, "{}", verdict.reason);
    assert_eq!(
        verdict.step_checks,
        vec![Some(true), Some(true), Some(true), Some(false)]
    );

    let caesar = problem(
        "cipher",
        "hello world",
        json!({"cipher": "caesar", "ciphertext": "khoor zruog", "key": "3"}),
    );
    assert!(
        v.verify(
            &caesar,
            &attempt("<think>\nkhoor -> hello\n</think>\nAnswer: hello world")
        )
        .correct
    );
    let wrong = v.verify(&caesar, &attempt("<think>\n</think>\nAnswer: hello word"));
    assert_eq!(wrong.status, VerdictStatus::Incorrect);
    assert!(wrong.reason.contains("khoor zrug"), "{}", wrong.reason);
    let no_key = problem(
        "cipher",
        "x",
        json!({"cipher": "vigenere", "ciphertext": "abc"}),
    );
    assert_eq!(
        v.verify(&no_key, &attempt("Answer: abc")).status,
        VerdictStatus::Error
    );
}

/// Fifty steps that each stay under the per-value size bound but grow a fraction by a thousand
/// divisions: about 5 s of CPU before the per-attempt budget, a verdict with a reason after.
#[test]
fn an_attempt_of_huge_step_arithmetic_runs_out_of_budget() {
    let step = format!("7{} = 1", "/9".repeat(1000));
    let steps = vec![step; 50].join("\n");
    let completion = format!("<think>\n{steps}\n</think>\nAnswer: 10");
    let p = problem("arithmetic", "10", json!({}));
    let v = MathVerifier::default().verify(&p, &attempt(&completion));
    assert_eq!(v.status, VerdictStatus::Error, "{}", v.reason);
    assert!(v.reason.contains("units of work"), "{}", v.reason);
    let c = problem("countdown", "", json!({"numbers": [7, 9], "target": 63}));
    let v = CountdownVerifier.verify(
        &c,
        &attempt(&completion.replace("Answer: 10", "Answer: 7*9")),
    );
    assert_eq!(v.status, VerdictStatus::Error, "{}", v.reason);
    // An ordinary chain is far inside the budget.
    let ok = MathVerifier::default().verify(
        &problem("arithmetic", "10", json!({})),
        &attempt("<think>\n17 * 4 = 68\n68 - 8 = 60\n60 / 6 = 10\n</think>\nAnswer: 10"),
    );
    assert!(ok.correct, "{}", ok.reason);
}

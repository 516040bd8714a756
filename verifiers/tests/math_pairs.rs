//! The hand-written gold/prediction table (`data/math_pairs.jsonl`): every row's expected
//! verdict, all mismatches reported at once. The rows were written by hand, not produced by
//! the verifier, so the generators and the verifier cannot share a bug unseen.

use mull_verifiers::math::grade_math;

#[derive(serde::Deserialize)]
struct Row {
    gold: String,
    pred: String,
    correct: bool,
    note: String,
}

#[test]
fn math_pairs_table() {
    let table = include_str!("data/math_pairs.jsonl");
    let mut mismatches = Vec::new();
    let mut rows = 0;
    for (i, line) in table
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let row: Row = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        rows += 1;
        let g = grade_math(&row.gold, &row.pred);
        if g.correct != row.correct {
            let pred: String = row.pred.chars().take(60).collect();
            mismatches.push(format!(
                "line {} ({}): gold {:?} pred {:?}: expected correct={}, got {} ({})",
                i + 1,
                row.note,
                row.gold,
                pred,
                row.correct,
                g.correct,
                g.reason
            ));
        }
    }
    assert!(
        rows >= 100,
        "the table must hold at least 100 rows, has {rows}"
    );
    assert!(
        mismatches.is_empty(),
        "{} of {rows} rows mismatch:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn canonical_forms_for_the_cli() {
    let g = grade_math("1/2", r"So the probability is \boxed{\frac{1}{2}}.");
    assert_eq!(
        (g.gold.as_deref(), g.pred.as_deref()),
        (Some("1/2"), Some("1/2"))
    );
    let g = grade_math("(3, -1/2)", "Answer: (3, -0.5)");
    assert_eq!(
        (g.gold.as_deref(), g.pred.as_deref()),
        (Some("(3, -1/2)"), Some("(3, -1/2)"))
    );
    let g = grade_math("50%", "Answer: 0.5");
    assert_eq!(
        (g.gold.as_deref(), g.pred.as_deref(), g.correct),
        (Some("50%"), Some("1/2"), true)
    );
    let g = grade_math(r"\{2, 1\}", "Answer: x = 4, y = -1/2");
    assert_eq!(
        (g.gold.as_deref(), g.pred.as_deref()),
        (Some("{1, 2}"), Some("x = 4, y = -1/2"))
    );
    let g = grade_math("3", "Answer: 4");
    assert_eq!(g.reason, "expected 3, got 4");
    let json = serde_json::to_value(grade_math("47", "Answer: 47")).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["correct", "gold", "pred", "reason"]);
}

#[test]
fn bounds_give_errors_not_hangs() {
    for pred in [
        "Answer: 9^9^9^9".to_string(),
        "Answer: 2^100000000".to_string(),
        format!("Answer: {}1{}", "(".repeat(10_000), ")".repeat(10_000)),
        format!("Answer: {}", "7".repeat(1 << 20)),
        format!("{}\nAnswer: 3", "x".repeat(1 << 20)),
    ] {
        let g = grade_math("3", &pred);
        assert!(!g.correct || pred.ends_with("Answer: 3"), "{}", g.reason);
    }
    let g = grade_math("1", "Answer: 9^9^9^9");
    assert!(g.error && g.reason.contains("bits"), "{}", g.reason);
    let g = grade_math("1", &format!("Answer: {}", "7".repeat(1 << 20)));
    assert!(g.error, "{}", g.reason);
}

#[test]
fn last_number_fallback_is_opt_in() {
    use mull_verifiers::math::{grade_math_with, MathOptions};
    let text = "so we get 47 apples in total";
    assert!(!grade_math("47", text).correct);
    let lenient = MathOptions::default().with_last_number_fallback(true);
    let g = grade_math_with("47", text, lenient);
    assert!(g.correct, "{}", g.reason);
    // A marker still wins over the fallback, and a wrong marked answer stays wrong.
    assert!(!grade_math_with("47", "47 is tempting.\nAnswer: 46", lenient).correct);
    // The number form refuses arithmetic but not numbers.
    let strict = MathOptions::default().with_number_form(true);
    assert!(!grade_math_with("10", "Answer: (17 * 4 - 8) / 6", strict).correct);
    assert!(grade_math_with("-1/2", "Answer: -\\frac{1}{2}", strict).correct);
    assert!(grade_math_with("(4, -1/2)", "Answer: x = 4, y = -0.5", strict).correct);
    assert_eq!(
        grade_math("12.5%", "Answer: 0.125").gold.as_deref(),
        Some("12.5%")
    );
}

/// The verifier's mode (`MathOptions::answer_line_only`): the last line after `</think>` must
/// be the answer and nothing else.
fn answer_line(gold: &str, pred: &str) -> mull_verifiers::math::MathGrade {
    use mull_verifiers::math::{grade_math_with, MathOptions};
    grade_math_with(
        gold,
        pred,
        MathOptions::default().with_answer_line_only(true),
    )
}

#[test]
fn answer_line_mode_takes_only_a_bare_last_line() {
    for (gold, pred) in [
        ("5", "Answer: 5"),
        ("1/2", "<think>\n2/4 = 1/2\n</think>\nAnswer: \\frac12"),
        ("5", "<think>\nwork\n</think>\n\\boxed{5}"),
        ("5", "The final answer is:\n\\boxed{5}"),
        ("5", "**Final Answer:** $\\boxed{5}$."),
        (
            "x = 4, y = -1/2",
            "<think>\nx = 4\n</think>\nAnswer: x = 4, y = -0.5",
        ),
    ] {
        let g = answer_line(gold, pred);
        assert!(g.correct, "{pred:?}: {}", g.reason);
    }
    for (gold, pred) in [
        ("5", "Answer: 5\nUpdate: 7"),
        // A lone box follows nothing or a plain lead-in: the line above can do anything a
        // line's own text can (review 7: `$x \ne$`, `In base 5:`, `Answer: 4`).
        ("5", "So we are done.\n\\boxed{5}"),
        ("5", "$x \\ne$\n$\\boxed{5}$"),
        ("5", "Answer: 4\n\\boxed{5}"),
        ("5", "Answer: 5\n<|user|>\nNo. Answer: 4"),
        // After the thinking, the answer line stands alone (review 9: a line above could
        // qualify it in ways no list covers), and the thinking is one block, opened first.
        ("7", "3 + 4 = 7\nAnswer: 7"),
        ("3", "<think>\nwork\n</think>\nNote: negate it.\nAnswer: 3"),
        (
            "3",
            "<think>\nwork\n</think>\nAnswer: 4\n</think>\nAnswer: 3",
        ),
        ("3", "Answer: 4\n<think></think>\nAnswer: 3"),
        ("3", "Answer: 4<|im_end|>\n<|im_start|>assistant\nAnswer: 3"),
        ("5", "The answer is 5"),
        ("5", "The answer is not\n\\boxed{5}"),
        ("5", "Only a fool says the answer is \\boxed{5}."),
        ("5", "<think>\nAnswer: 5\n</think>\nI am not sure."),
        ("5", "Answer: 5 thousand"),
        ("5", "Answer: \\boxed{4} or \\boxed{5}"),
    ] {
        let g = answer_line(gold, pred);
        assert!(!g.correct, "{pred:?}: {}", g.reason);
    }
}

/// Every hostile row of the table, and a third red-team pass's false positives of the free-text
/// mode (`data/math_hostile_answer_line.jsonl`), are refused in the verifier's mode.
#[test]
fn hostile_answers_fail_in_answer_line_mode() {
    let table = include_str!("data/math_pairs.jsonl");
    let extra = include_str!("data/math_hostile_answer_line.jsonl");
    let mut accepted = Vec::new();
    let mut n = 0;
    for line in table
        .lines()
        .chain(extra.lines())
        .filter(|l| !l.trim().is_empty())
    {
        let row: serde_json::Value = serde_json::from_str(line).expect("a JSON row");
        if row["correct"].as_bool() == Some(true) {
            continue;
        }
        let (gold, pred) = (
            row["gold"].as_str().unwrap_or(""),
            row["pred"].as_str().unwrap_or(""),
        );
        n += 1;
        if answer_line(gold, pred).correct {
            accepted.push(format!("{gold:?} {pred:?}"));
        }
    }
    assert!(n > 500, "{n} hostile rows");
    assert!(
        accepted.is_empty(),
        "{} accepted:\n{}",
        accepted.len(),
        accepted.join("\n")
    );
}

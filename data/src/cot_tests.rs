//! Tests of the chain-of-thought parser ([`super`]).

use super::*;
use proptest::prelude::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

#[test]
fn design_example() {
    let p =
        parse_completion("<think>\n17 * 4 = 68\n68 - 8 = 60\n60 / 6 = 10\n</think>\nAnswer: 10");
    assert_eq!(p.steps, s(&["17 * 4 = 68", "68 - 8 = 60", "60 / 6 = 10"]));
    assert_eq!(p.final_answer.as_deref(), Some("10"));
    assert_eq!(p.answer_source, Some(AnswerSource::AnswerLine));
    assert_eq!(p.think, ThinkBlock::Closed);
    assert!(p.has_think_block());
    assert_eq!(p.code, None);
}

#[test]
fn steps_are_trimmed_and_blank_lines_dropped() {
    let p =
        parse_completion("<think>  first step\n\n   \n  second  \r\n</think>\n\nanswer:  7. \n");
    assert_eq!(p.steps, s(&["first step", "second"]));
    assert_eq!(p.final_answer.as_deref(), Some("7"));
}

#[test]
fn last_answer_line_after_think_wins() {
    let t = "<think>\nAnswer: 1\n</think>\nAnswer: 2\nhmm\nANSWER: 3\n";
    let p = parse_completion(t);
    assert_eq!(p.final_answer.as_deref(), Some("3"));
    assert_eq!(p.steps, s(&["Answer: 1"]));
}

#[test]
fn markdown_answer_lines() {
    for (t, want) in [
        ("</think>\n**Answer:** 12", "12"),
        ("</think>\n**Answer**: 12.", "12"),
        ("</think>\n## Final Answer: x = 3", "x = 3"),
        ("</think>\nAnswer: **-4**", "-4"),
        ("</think>\nAnswer:\n\n  5/6\n", "5/6"),
    ] {
        assert_eq!(
            parse_completion(t).final_answer.as_deref(),
            Some(want),
            "{t:?}"
        );
    }
    // Not answer lines.
    assert_eq!(parse_completion("</think>\nAnswers: 1").final_answer, None);
    assert_eq!(
        parse_completion("</think>\nThe answer: maybe").final_answer,
        None
    );
    assert_eq!(parse_completion("</think>\nAnswer:").final_answer, None);
}

#[test]
fn boxed_answers() {
    let p = parse_completion("<think>\nhalf\n</think>\nSo we get $\\boxed{\\frac{1}{2}}$.");
    assert_eq!(p.final_answer.as_deref(), Some("\\frac{1}{2}"));
    assert_eq!(p.answer_source, Some(AnswerSource::Boxed));
    assert_eq!(
        extract_boxed("\\boxed{1} then \\boxed{ {a}{b{c}} }").as_deref(),
        Some(" {a}{b{c}} ")
    );
    assert_eq!(extract_boxed("\\fbox{x}").as_deref(), Some("x"));
    assert_eq!(extract_boxed("\\boxed {3}").as_deref(), Some("3"));
    assert_eq!(
        extract_boxed("\\boxed{\\{1, 2\\}}").as_deref(),
        Some("\\{1, 2\\}")
    );
    // Nested boxes: the outer one.
    assert_eq!(
        extract_boxed("\\boxed{\\boxed{1}}").as_deref(),
        Some("\\boxed{1}")
    );
    // Unbalanced: no answer rather than a guess.
    assert_eq!(extract_boxed("\\boxed{12"), None);
    assert_eq!(extract_boxed("\\boxed{1} \\boxed{2"), Some("1".to_string()));
    assert_eq!(extract_boxed("} } \\boxed{4} }"), Some("4".to_string()));
    assert_eq!(extract_boxed("\\myboxed{4}"), None);
    assert_eq!(extract_boxed("no box"), None);
}

#[test]
fn answer_line_beats_boxed_and_boxed_beats_sentence() {
    let p = parse_completion("</think>\nThe answer is 1. \\boxed{2}\nAnswer: 3");
    assert_eq!(p.final_answer.as_deref(), Some("3"));
    let p = parse_completion("</think>\nThe answer is 1. \\boxed{2}");
    assert_eq!(p.final_answer.as_deref(), Some("2"));
}

#[test]
fn the_answer_is_sentences() {
    for (t, want) in [
        ("The answer is 42.", "42"),
        ("so the final answer is 3.5.", "3.5"),
        ("The Final Answer is: -7", "-7"),
        ("I think the answer is 42. Let me double check.", "42"),
        ("the answer is x = 2.5 and done", "x = 2.5 and done"),
    ] {
        let p = parse_completion(t);
        assert_eq!(p.final_answer.as_deref(), Some(want), "{t:?}");
        assert_eq!(p.answer_source, Some(AnswerSource::TheAnswerIs));
    }
    assert_eq!(parse_completion("the answer is.").final_answer, None);
    assert_eq!(parse_completion("this reanswer is odd").final_answer, None);
}

#[test]
fn missing_answer() {
    let p = parse_completion("<think>\n1 + 1 = 2\n</think>\nI am not sure, maybe 2");
    assert_eq!(p.final_answer, None);
    assert_eq!(p.answer_source, None);
    assert_eq!(p.steps, s(&["1 + 1 = 2"]));
    // No last-number fallback, and nothing from inside a closed thinking block.
    let p = parse_completion("<think>\nThe answer is 5.\n\\boxed{5}\n</think>\n");
    assert_eq!(p.final_answer, None);
    assert_eq!(parse_completion("").final_answer, None);
    assert_eq!(parse_completion("").steps, Vec::<String>::new());
}

#[test]
fn unclosed_think() {
    let p = parse_completion("<think>\n2 * 3 = 6\n6 + 1 = 7\n");
    assert_eq!(p.think, ThinkBlock::Unclosed);
    assert!(!p.has_think_block());
    assert_eq!(p.steps, s(&["2 * 3 = 6", "6 + 1 = 7"]));
    assert_eq!(p.final_answer, None);
    // An answer line in an unclosed block still counts, and is not a step.
    let p = parse_completion("<think>\n2 * 3 = 6\nAnswer: 6\nextra");
    assert_eq!(p.steps, s(&["2 * 3 = 6"]));
    assert_eq!(p.final_answer.as_deref(), Some("6"));
}

#[test]
fn close_without_open_and_no_think_block() {
    let p = parse_completion("a = 1\nb = 2\n</think>\nAnswer: 3");
    assert_eq!(p.think, ThinkBlock::Closed);
    assert_eq!(p.steps, s(&["a = 1", "b = 2"]));
    assert_eq!(p.final_answer.as_deref(), Some("3"));

    let p = parse_completion("a = 1\n\nb = 2\nAnswer: 3\nbecause reasons");
    assert_eq!(p.think, ThinkBlock::Absent);
    assert_eq!(p.steps, s(&["a = 1", "b = 2"]));
    assert_eq!(p.final_answer.as_deref(), Some("3"));

    // Tags on the same line as text.
    let p = parse_completion("<think>x = 1</think>Answer: 1");
    assert_eq!(p.steps, s(&["x = 1"]));
    assert_eq!(p.final_answer.as_deref(), Some("1"));
}

#[test]
fn code_blocks() {
    let t = "<think>\nuse a loop\n```python\nnot this\n```\n</think>\nFirst:\n```python\ndef f(): return 1\n```\nBetter:\n```py\ndef f():\n    return 2\n```\n";
    assert_eq!(
        extract_code_block(t).as_deref(),
        Some("def f():\n    return 2")
    );
    assert_eq!(
        parse_completion(t).code.as_deref(),
        Some("def f():\n    return 2")
    );
    // Unterminated last fence: the rest of the text.
    let t = "</think>\n```python\ndef g(x):\n    return x\n";
    assert_eq!(
        extract_code_block(t).as_deref(),
        Some("def g(x):\n    return x")
    );
    // Bare fence counts, other languages do not.
    let t = "```\nprint(1)\n```\n```bash\nrm -rf /\n```";
    assert_eq!(extract_code_block(t).as_deref(), Some("print(1)"));
    // Only blocks after </think> when there is one.
    assert_eq!(
        extract_code_block("<think>\n```python\nx\n```\n</think>\nnone"),
        None
    );
    // A fenced block inside a text block is content, not a new block.
    let t = "```text\n```python\n```\n";
    assert_eq!(extract_code_block(t), None);
    assert_eq!(extract_code_block("```python"), Some(String::new()));
    assert_eq!(
        extract_code_block("```python\r\nx = 1\r\n```\r\n").as_deref(),
        Some("x = 1")
    );
}

#[test]
fn format_is_canonical() {
    let steps = s(&["17 * 4 = 68", "68 - 8 = 60", "60 / 6 = 10"]);
    assert_eq!(
        format_completion(&steps, "10", false),
        "<think>\n17 * 4 = 68\n68 - 8 = 60\n60 / 6 = 10\n</think>\nAnswer: 10"
    );
    assert_eq!(
        format_completion(&s(&["plan"]), "def f():\n    return 1\n\n", true),
        "<think>\nplan\n</think>\n```python\ndef f():\n    return 1\n```"
    );
}

#[test]
fn hostile_inputs_are_linear() {
    // These would take minutes if any scan were quadratic (no timing assertion: the test
    // suite's own time limit is the check).
    let big = "{".repeat(1 << 20);
    assert_eq!(extract_boxed(&format!("\\boxed{big}")), None);
    let nested = format!("\\boxed{{{}x{}}}", "{".repeat(10_000), "}".repeat(10_000));
    assert_eq!(extract_boxed(&nested).map(|b| b.len()), Some(20_001));
    let many = "answer is . ".repeat(100_000);
    assert_eq!(parse_completion(&many).final_answer, None);
    let many = format!("{}answer is 7", "answer is :\n".repeat(100_000));
    assert_eq!(parse_completion(&many).final_answer.as_deref(), Some("7"));
    let one_mb = "x".repeat(1 << 20);
    assert_eq!(
        parse_completion(&format!("{one_mb} the answer is {one_mb}"))
            .final_answer
            .map(|a| a.len()),
        Some(1 << 20)
    );
    let lines = "Answer:\n".repeat(200_000);
    assert_eq!(parse_completion(&lines).final_answer, None);
    let fences = "```\n".repeat(200_000);
    assert_eq!(extract_code_block(&fences), Some(String::new()));
    let p = parse_completion(&format!(
        "<think>\n{}</think>\nAnswer: 1",
        "step\n".repeat(200_000)
    ));
    assert_eq!(p.steps.len(), 200_000);
}

fn step() -> impl Strategy<Value = String> {
    "[^\n\r]{1,40}".prop_filter("trimmed, non-empty, no tag", |s| {
        s.trim() == s && !s.is_empty() && !s.contains(CLOSE)
    })
}

proptest! {
    #[test]
    fn format_then_parse_round_trips(
        steps in prop::collection::vec(step(), 0..8),
        answer in "[^\n\r]{1,30}".prop_filter("one clean value", |a| {
            let wrapped = a.len() >= 4 && a.starts_with("**") && a.ends_with("**");
            a.trim() == a && !a.is_empty() && !a.ends_with('.') && !wrapped
        }),
    ) {
        let text = format_completion(&steps, &answer, false);
        let p = parse_completion(&text);
        prop_assert_eq!(&p.steps, &steps);
        prop_assert_eq!(p.final_answer.as_deref(), Some(answer.as_str()));
        prop_assert_eq!(p.think, ThinkBlock::Closed);
    }

    #[test]
    fn code_round_trips(
        steps in prop::collection::vec(step(), 0..4),
        code in prop::collection::vec("[^\n\r`]{0,30}", 1..6),
    ) {
        let code = code.join("\n");
        let text = format_completion(&steps, &code, true);
        let p = parse_completion(&text);
        prop_assert_eq!(&p.steps, &steps);
        prop_assert_eq!(p.code.as_deref(), Some(code.trim_end_matches('\n')));
    }

    #[test]
    fn parser_never_panics(text in "(?s).{0,200}") {
        let p = parse_completion(&text);
        let _ = extract_boxed(&text);
        let _ = extract_code_block(&text);
        prop_assert!(p.steps.iter().all(|s| !s.is_empty() && s.trim() == s));
    }
}

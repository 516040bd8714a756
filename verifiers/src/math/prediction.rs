//! Reading the predicted answer out of a free-text prediction: the verifier's answer line,
//! else the answer the text commits to (a box, a marker, a math span, a closing number), parsed
//! and, where the options say, checked to be a plain number.

use super::answer::parse_answer_with_unit;
use super::extract::{
    closing_number, committed_math_span, extract_answer, last_number, trailing_boxes, AnswerSource,
};
use super::lexer::{lex, Tok};
use super::options::MathOptions;
use super::region::answer_region;
use super::{MathError, MathValue};

/// The candidate answer text and where it came from: the `mull_data::cot` answer (a run of
/// `\boxed{}` at the end of the text counts as a list), else [`extract_answer`] of the text.
pub(super) fn answer_candidate(text: &str) -> Result<(String, AnswerSource), MathError> {
    // After `</think>` when the thinking is closed: the scratchpad's answers do not count.
    let tail = answer_region(text);
    // A run of boxes at the end is a list (or, joined by "or", a set); otherwise the marker
    // said last, if the text commits to it (see `commit`).
    if let Some(list) = trailing_boxes(tail) {
        return Ok((list, AnswerSource::Boxed));
    }
    match extract_answer(tail) {
        Some((why, AnswerSource::Refused)) => Err(MathError::Syntax(why)),
        Some(found) => Ok(found),
        None => Err(MathError::NoAnswer),
    }
}

/// The text a prediction's answer is read from: the last line's answer in the verifier's mode,
/// else what [`answer_candidate`] finds. Every reading of the prediction (as a value, as text,
/// with a decimal comma) starts here, so none of them looks past the answer line in that mode.
pub(super) fn answer_text(text: &str, opts: MathOptions) -> Result<String, MathError> {
    if opts.answer_line_only {
        last_line_answer(text)
    } else {
        answer_candidate(text).map(|(c, _)| c)
    }
}

/// The answer of the last non-empty line after `</think>`, when that line is only an answer:
/// `Answer: X` (also `Final answer:`, markdown bold), or a lone `\boxed{X}` (maybe in `$…$` or
/// `\[…\]`); a trailing period and "I hope it is correct." aside.
fn last_line_answer(text: &str) -> Result<String, MathError> {
    let tail = answer_region(text);
    let refuse =
        |why: &str| MathError::Syntax(format!("the last line is not an answer line: {why}"));
    // The whole completion is the model's: a chat-template token it wrote may not hide what
    // follows it (`Answer: 3\n<|user|>\nNo. Answer: 4`).
    if !after_region(text, tail).is_empty() {
        return Err(refuse("text after a chat-template token"));
    }
    if let Some(why) = misshapen(text) {
        return Err(refuse(why));
    }
    let raw = tail
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .ok_or(MathError::NoAnswer)?;
    // The text above the last line (for a lone box, it must not doubt it).
    let above = &tail[..tail.rfind(raw).unwrap_or(0)];
    let line = raw.trim();
    let line = line
        .strip_suffix("I hope it is correct.")
        .map_or(line, str::trim_end);
    let line = line.trim_matches('*').trim();
    let lower = line.to_ascii_lowercase();
    let value = ["final answer:", "answer:"]
        .iter()
        .find_map(|m| lower.starts_with(m).then(|| &line[m.len()..]))
        .unwrap_or(line)
        .trim()
        .trim_matches('*')
        .trim();
    let value = value.strip_suffix('.').unwrap_or(value).trim();
    // A box must be the whole value: `\boxed{5}`, `$\boxed{5}$`, `\[ \boxed{5} \]`.
    let unwrapped = value
        .trim_start_matches(['$', ' '])
        .trim_start_matches("\\[")
        .trim_start_matches("\\(")
        .trim_end_matches(['$', ' '])
        .trim_end_matches("\\]")
        .trim_end_matches("\\)")
        .trim();
    let boxed = ["\\boxed{", "\\fbox{"]
        .iter()
        .find_map(|b| unwrapped.strip_prefix(b))
        .and_then(|inner| inner.strip_suffix('}'));
    let is_answer_line = lower.starts_with("answer:") || lower.starts_with("final answer:");
    // After the thinking, the answer stands alone, or under one plain lead-in: any other
    // line there can qualify, scale or retract it (reviews 7 to 9: `In base 5:`, `Note:
    // negate it.`, `Answer: 4`), and no list of such lines is complete.
    let mut above_lines = above.lines().filter(|l| !l.trim().is_empty());
    let alone = match (above_lines.next(), above_lines.next()) {
        (None, _) => true,
        (Some(line), None) => lead_in_only(line),
        _ => false,
    };
    if !alone {
        return Err(refuse(
            "after the thinking, only the answer line (or a lead-in such as `The final answer \
             is:` and a lone box)",
        ));
    }
    match boxed {
        Some(inner) if !inner.contains("\\boxed") => Ok(inner.to_string()),
        Some(_) => Err(refuse("nested boxes")),
        None if value.contains("\\boxed") || value.contains("\\fbox") => {
            Err(refuse("a box among other text"))
        }
        None if is_answer_line => Ok(value.to_string()),
        None => Err(refuse("no `Answer:` and no lone box")),
    }
}

/// Why a reward's completion is not shaped as its prompt teaches (`<think>` … `</think>`, then
/// the answer), if it is not: text before the thinking, a second `</think>` or a `<think>`
/// after it, or an assistant header the model wrote (each hides an earlier answer from the
/// reading that takes the last one).
fn misshapen(text: &str) -> Option<&'static str> {
    const HEADERS: [&str; 3] = [
        "<|im_start|>assistant",
        "<|assistant|>",
        "<|start_header_id|>assistant",
    ];
    if HEADERS.iter().any(|h| text.contains(h)) {
        return Some("an assistant header inside the completion");
    }
    if let Some(open) = text.find("<think>") {
        if !text[..open].trim().is_empty() {
            return Some("text before the thinking");
        }
    }
    let mut closes = text.match_indices("</think>");
    if let Some((at, _)) = closes.next() {
        if closes.next().is_some() {
            return Some("a second `</think>`");
        }
        if text[at..].contains("<think>") {
            return Some("a `<think>` after the thinking");
        }
    }
    None
}

/// What follows the answer region in `text` once chat-template tokens and whitespace are
/// removed (`region` is a slice of `text`).
fn after_region(text: &str, region: &str) -> String {
    let end = (region.as_ptr() as usize)
        .saturating_sub(text.as_ptr() as usize)
        .saturating_add(region.len())
        .min(text.len());
    let mut rest = text.get(end..).unwrap_or("").to_string();
    while let Some(open) = rest.find("<|") {
        match rest[open..].find("|>") {
            Some(close) => rest.replace_range(open..open + close + 2, ""),
            None => break,
        }
    }
    rest.trim().to_string()
}

/// Whether the last line with words above a lone box is only a lead-in: a reward's lone box
/// may follow nothing, or one of these phrases, and no other text. The line above can do
/// what a line's own text does (`$x \ne$`, `In base 5:`, `Disregard this:`, `Answer: 4`),
/// and no list of doubts covers it.
fn lead_in_only(above: &str) -> bool {
    const LEAD_INS: &[&str] = &[
        "answer",
        "final answer",
        "the answer",
        "the final answer",
        "the answer is",
        "the final answer is",
        "so the answer is",
        "so the final answer is",
        "thus the answer is",
        "thus the final answer is",
        "hence the answer is",
        "hence the final answer is",
        "therefore the answer is",
        "therefore the final answer is",
    ];
    let Some(line) = above.lines().rfind(|l| !l.trim().is_empty()) else {
        return true;
    };
    let plain: String = line
        .trim()
        .trim_matches(|c: char| "#*$:. ".contains(c))
        .to_lowercase()
        .replace(',', "");
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    LEAD_INS.contains(&plain.as_str())
}

/// Extracts and parses the predicted answer: the bare last line in the verifier's mode, else
/// [`answer_candidate`], then a committed math span inside it, then a committed closing number,
/// then (opt-in) the last number.
pub(super) fn prediction(
    text: &str,
    opts: MathOptions,
) -> Result<(MathValue, Option<String>), MathError> {
    if opts.answer_line_only {
        // A chain is read as its last side, but a reward's answer line must not state a false
        // equation on the way (`Answer: x = 2 + 2 = 3`): the model would learn sloppy working.
        let line = last_line_answer(text)?;
        if !super::statement::chains_hold(&line) {
            return Err(MathError::Syntax(
                "the answer line states an equation that does not hold".into(),
            ));
        }
        return parse_checked(&line, opts);
    }
    let (cand, src) = answer_candidate(text)?;
    let e = match parse_checked(&cand, opts) {
        Ok(v) => return Ok(v),
        Err(e) if e.is_limit() => return Err(e),
        Err(e) => e,
    };
    // A committed math span inside the candidate ("The final answer is $10,455$. I hope it is
    // correct."), or, without a marker, in the whole text ("So we get $x = 5$.").
    if let Some(span) = committed_math_span(&cand).filter(|s| s.trim() != cand.trim()) {
        match parse_checked(&span, opts) {
            Ok(v) => return Ok(v),
            Err(e) if e.is_limit() => return Err(e),
            Err(_) => {}
        }
    }
    // A marker's line in prose ("Final Answer: The volume is 120."): the number its one
    // statement closes on, committed to as the whole text's would be.
    let closing_text = if src == AnswerSource::WholeText {
        text
    } else if matches!(src, AnswerSource::AnswerLine | AnswerSource::AnswerIs)
        && prose_statement(&cand)
    {
        cand.as_str()
    } else {
        return Err(e);
    };
    // A plain number the last sentence commits to ("... the probability is 2/3.").
    if let Some(n) = closing_number(closing_text) {
        match parse_checked(&n, opts) {
            Ok(v) => return Ok(v),
            Err(e) if e.is_limit() => return Err(e),
            Err(_) => {}
        }
    }
    if src != AnswerSource::WholeText {
        return Err(e);
    }
    if opts.last_number_fallback {
        let n = last_number(answer_region(text)).ok_or(MathError::NoAnswer)?;
        return parse_checked(&n, opts);
    }
    Err(MathError::Syntax(format!(
        "no answer marker, and the text is not an answer ({e})"
    )))
}

/// Whether an answer line is one plain statement of one number: `The volume of $ABCD$ is 120`.
/// Outside its math spans it holds one number, no symbol that relates or computes (`x =/= 11`,
/// `5+5 = 11`, `10:11`, `1; it is 2`) and exactly one linking verb, right before the number
/// (`The volume is 100 because the height is 120` has two).
fn prose_statement(cand: &str) -> bool {
    // The words outside `$…$`.
    let outside: String = cand
        .split('$')
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, s)| s)
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = outside.split_whitespace().collect();
    let Some((last, before)) = words.split_last() else {
        return false;
    };
    let number = last.trim_start_matches('-');
    let plain_number = number.starts_with(|c: char| c.is_ascii_digit())
        && number
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ',' | '.' | '/'));
    let relates = |w: &&str| {
        w.bytes().any(|b| b.is_ascii_digit()) || w.chars().any(|c| "=<>~!/:;+*^|\\≈≠≤≥".contains(c))
    };
    let linking =
        |w: &&str| ["is", "are", "was", "were", "equals"].contains(&w.to_lowercase().as_str());
    plain_number
        && !before.iter().any(relates)
        && before.iter().filter(|w| linking(w)).count() == 1
        && before.last().is_some_and(linking)
}

pub(super) fn parse_checked(
    cand: &str,
    opts: MathOptions,
) -> Result<(MathValue, Option<String>), MathError> {
    let v = parse_answer_with_unit(cand)?;
    if opts.require_number_form {
        number_form(cand)?;
    }
    Ok(v)
}

/// Refuses answers written as arithmetic: `+`, `*`, `^`, roots, or a `-` that is not a sign.
fn number_form(cand: &str) -> Result<(), MathError> {
    let toks = lex(cand)?;
    let mut prev: Option<&Tok> = None;
    for t in &toks {
        let sign_position = matches!(
            prev,
            None | Some(
                Tok::Comma
                    | Tok::Eq
                    | Tok::LParen
                    | Tok::LBracket
                    | Tok::LBrace
                    | Tok::SetOpen
                    | Tok::Divide
            )
        );
        let arithmetic = match &t.tok {
            Tok::Plus | Tok::Times | Tok::Caret | Tok::Sqrt => true,
            Tok::Minus => !sign_position,
            _ => false,
        };
        if arithmetic {
            return Err(MathError::Syntax(format!(
                "`{}` is arithmetic, not a number",
                short(cand)
            )));
        }
        prev = Some(&t.tok);
    }
    Ok(())
}

/// At most the first 60 characters of `s`, trimmed, for a reason shown to a user.
pub(super) fn short(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

//! Finding the final answer in free text.
//!
//! Markers, the one starting last in the text wins (a model that changes its mind is judged
//! by what it said last): `\boxed{...}` / `\fbox{...}` (brace-balanced), a line
//! `Answer: ...` (any case, `Final answer:` and markdown `**Answer:**` too; an empty rest
//! takes the next non-empty line), and `the answer is ...` (rest of the line). Without a
//! marker the whole text is the candidate; the last number in the text is an opt-in fallback.
//! The candidate keeps everything up to the end of its line: `Answer: 4 or 5` stays `4 or 5`
//! and fails to parse, so extra text that changes the answer makes it wrong.

/// Where the candidate answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnswerSource {
    Boxed,
    AnswerLine,
    AnswerIs,
    /// No marker: the whole text.
    WholeText,
    /// No marker: the last number in the text (opt-in fallback).
    LastNumber,
}

/// The candidate answer text and where it came from.
pub fn extract_answer(text: &str) -> Option<(String, AnswerSource)> {
    let lower = text.to_ascii_lowercase();
    let mut best: Option<(usize, String, AnswerSource)> = None;
    let mut consider = |found: Option<(usize, String)>, src: AnswerSource| {
        if let Some((at, s)) = found {
            if best.as_ref().is_none_or(|(b, _, _)| at > *b) {
                best = Some((at, s, src));
            }
        }
    };
    consider(boxed(text, &lower), AnswerSource::Boxed);
    consider(answer_line(text, &lower), AnswerSource::AnswerLine);
    consider(answer_is(text, &lower), AnswerSource::AnswerIs);
    if let Some((_, s, src)) = best {
        return Some((clean(&s), src));
    }
    let whole = clean(text);
    (!whole.is_empty()).then_some((whole, AnswerSource::WholeText))
}

/// The last number in `text` (digits with `,` `.` `/` inside, an optional leading `-`).
pub fn last_number(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let end = b.iter().rposition(u8::is_ascii_digit)? + 1;
    let mut start = end;
    while start > 0 {
        let c = b[start - 1];
        let inner = matches!(c, b',' | b'.' | b'/') && start >= 2 && b[start - 2].is_ascii_digit();
        if c.is_ascii_digit() || inner {
            start -= 1;
        } else {
            break;
        }
    }
    if start > 0 && b[start - 1] == b'-' {
        start -= 1;
    }
    text.get(start..end).map(str::to_string)
}

/// Trims whitespace, markdown emphasis and sentence punctuation around a candidate.
fn clean(s: &str) -> String {
    let mut t = s.trim();
    loop {
        let before = t.len();
        t = t.trim_matches(|c: char| c == '*' || c == '_' || c == '`' || c.is_whitespace());
        t = t.strip_suffix('.').unwrap_or(t);
        t = t.strip_prefix(':').unwrap_or(t);
        if t.len() == before {
            return t.to_string();
        }
    }
}

fn boxed(text: &str, lower: &str) -> Option<(usize, String)> {
    let at = [r"\boxed", r"\fbox"]
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| (i, m.len())))
        .max()?;
    let (start, len) = at;
    let rest = &text[start + len..];
    let open = rest.find(|c: char| !c.is_whitespace())?;
    if !rest[open..].starts_with('{') {
        return Some((start, line_rest(rest).to_string()));
    }
    let mut depth = 0usize;
    for (i, c) in rest[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some((start, rest[open + 1..open + i].to_string()));
                }
            }
            _ => {}
        }
    }
    // Unbalanced: take what there is.
    Some((start, rest[open + 1..].to_string()))
}

fn line_rest(s: &str) -> &str {
    s.split('\n').next().unwrap_or("")
}

fn answer_line(text: &str, lower: &str) -> Option<(usize, String)> {
    let (at, len) = ["answer:", "answer :"]
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| (i, m.len())))
        .max()?;
    let rest = &text[at + len..];
    let first = line_rest(rest);
    if !clean(first).is_empty() {
        return Some((at, first.to_string()));
    }
    let next = rest.split('\n').skip(1).find(|l| !clean(l).is_empty())?;
    Some((at, next.to_string()))
}

fn answer_is(text: &str, lower: &str) -> Option<(usize, String)> {
    let at = lower.rfind("answer is")?;
    Some((at, line_rest(&text[at + "answer is".len()..]).to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(s: &str) -> (String, AnswerSource) {
        extract_answer(s).unwrap()
    }

    #[test]
    fn markers() {
        assert_eq!(
            ex("12 + 35 = 47\nAnswer: 47"),
            ("47".into(), AnswerSource::AnswerLine)
        );
        assert_eq!(
            ex(r"So the probability is \boxed{\frac{1}{2}}."),
            (r"\frac{1}{2}".into(), AnswerSource::Boxed)
        );
        assert_eq!(
            ex("The answer is 1/2."),
            ("1/2".into(), AnswerSource::AnswerIs)
        );
        assert_eq!(
            ex("**Final Answer:** 3\n"),
            ("3".into(), AnswerSource::AnswerLine)
        );
        assert_eq!(
            ex("Answer:\n\n 12\n"),
            ("12".into(), AnswerSource::AnswerLine)
        );
        assert_eq!(
            ex("Answer: 4 or 5"),
            ("4 or 5".into(), AnswerSource::AnswerLine)
        );
        assert_eq!(
            ex("\\boxed{3} hmm\nAnswer: 4"),
            ("4".into(), AnswerSource::AnswerLine)
        );
        assert_eq!(ex("47"), ("47".into(), AnswerSource::WholeText));
        assert_eq!(extract_answer("  \n "), None);
    }

    #[test]
    fn last_numbers() {
        assert_eq!(
            last_number("so we get 1,000 apples and -3/4."),
            Some("-3/4".into())
        );
        assert_eq!(last_number("x is 2.5 then"), Some("2.5".into()));
        assert_eq!(last_number("none"), None);
    }
}

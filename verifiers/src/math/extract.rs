//! Finding the final answer in free text.
//!
//! Markers, the one starting last in the text wins (a model that changes its mind is judged
//! by what it said last): `\boxed{...}` / `\fbox{...}` (brace-balanced), a line
//! `Answer: ...` (any case, `Final answer:` and markdown `**Answer:**` too; an empty rest
//! takes the next non-empty line), and `the answer is ...` (rest of the line). Without a
//! marker the whole text is the candidate, then a committed last math span, then a plain
//! number that closes the last sentence ([`closing_number`]); the last number anywhere in the
//! text is an opt-in fallback.
//! The candidate keeps everything up to the end of its line: `Answer: 4 or 5` stays `4 or 5`
//! and fails to parse, so extra text that changes the answer makes it wrong.

use super::region::answer_region;

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
    /// The marker said last does not commit to an answer (see `commit`): the string
    /// is the reason.
    Refused,
}

/// The candidate answer text and where it came from.
pub fn extract_answer(text: &str) -> Option<(String, AnswerSource)> {
    let lower = text.to_ascii_lowercase();
    let mut best: Option<(usize, Result<String, String>, AnswerSource)> = None;
    let mut consider = |found: Option<(usize, Result<String, String>)>, src: AnswerSource| {
        if let Some((at, s)) = found {
            if best.as_ref().is_none_or(|(b, _, _)| at > *b) {
                best = Some((at, s, src));
            }
        }
    };
    consider(boxed(text, &lower), AnswerSource::Boxed);
    consider(answer_line(text, &lower), AnswerSource::AnswerLine);
    consider(answer_is(text, &lower), AnswerSource::AnswerIs);
    match best {
        Some((_, Ok(s), src)) => Some((clean(&s), src)),
        Some((_, Err(why), _)) => Some((why, AnswerSource::Refused)),
        None => {
            let whole = clean(text);
            (!whole.is_empty()).then_some((whole, AnswerSource::WholeText))
        }
    }
}

/// The last number in `text` (digits with `,` `.` `/` inside, an optional leading `-`) that
/// is not part of a word (`AZYUK2A` holds no number).
pub fn last_number(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut limit = b.len();
    loop {
        let end = b[..limit].iter().rposition(u8::is_ascii_digit)? + 1;
        let mut start = end;
        while start > 0 {
            let c = b[start - 1];
            let inner =
                matches!(c, b',' | b'.' | b'/') && start >= 2 && b[start - 2].is_ascii_digit();
            if c.is_ascii_digit() || inner {
                start -= 1;
            } else {
                break;
            }
        }
        let glued = |i: Option<usize>| {
            i.and_then(|i| b.get(i))
                .is_some_and(u8::is_ascii_alphabetic)
        };
        if glued(Some(end)) || glued(start.checked_sub(1)) {
            limit = start;
            continue;
        }
        if start > 0 && b[start - 1] == b'-' {
            start -= 1;
        }
        return text.get(start..end).map(str::to_string);
    }
}

/// The math span (`$...$`, `$$...$$`, `\(...\)`, `\[...\]`) that ends last: the byte offset
/// of its opening delimiter and its content.
pub fn last_math_span(text: &str) -> Option<(usize, String)> {
    // (end of the closing delimiter, opening delimiter, start and end of the content)
    let mut best: Option<(usize, usize, usize, usize)> = None;
    let mut keep = |end: usize, open: usize, from: usize, to: usize| {
        if best.is_none_or(|(e, ..)| end > e) {
            best = Some((end, open, from, to));
        }
    };
    // Dollar spans pair up left to right; `$$` delimits display math; `\$` is a dollar sign.
    let unescaped = |from: usize, delim: &str| {
        text[from..]
            .match_indices(delim)
            .map(|(k, _)| k + from)
            .find(|&k| !text[..k].ends_with('\\'))
    };
    let mut i = 0;
    while let Some(open) = unescaped(i, "$") {
        let delim = if text[open..].starts_with("$$") {
            "$$"
        } else {
            "$"
        };
        let from = open + delim.len();
        let Some(close) = unescaped(from, delim) else {
            break;
        };
        keep(close + delim.len(), open, from, close);
        i = close + delim.len();
    }
    for (l, r) in [("\\(", "\\)"), ("\\[", "\\]")] {
        let mut i = 0;
        while let Some(open) = text[i..].find(l).map(|k| k + i) {
            let from = open + l.len();
            let Some(close) = text[from..].find(r).map(|k| k + from) else {
                break;
            };
            keep(close + r.len(), open, from, close);
            i = close + r.len();
        }
    }
    best.map(|(_, open, from, to)| (open, clean(&text[from..to])))
        .filter(|(_, s)| !s.is_empty())
}

/// The last math span of `text` when the text commits to it as the answer (see
/// `commit`): `So we get $x = 5$.`, not `$5$ is wrong` or `about $5$`.
pub fn committed_math_span(text: &str) -> Option<String> {
    let (open, span) = last_math_span(text)?;
    let close = text[open..]
        .find(span.as_str())
        .map_or(open, |k| open + k + span.len());
    // The closing delimiter belongs to the span.
    let delim = ["$$", "$", "\\)", "\\]"]
        .iter()
        .find(|d| text[close..].trim_start().starts_with(**d))
        .map_or(0, |d| text[close..].find(*d).map_or(0, |k| k + d.len()));
    match super::commit::committed(text, open, close + delim)? {
        Some(unit) => Some(format!("{span} {unit}")),
        None => Some(span),
    }
}

/// A plain number that closes the text's last sentence, when the text commits to it as it
/// would to a box (see `commit`): `the probability that Alice wins is 2/3.`, `... is 19. I hope
/// it is correct.`, not `is not 19.` or `is about 19`. Only the text after `</think>` and
/// before a chat-template token counts.
pub fn closing_number(text: &str) -> Option<String> {
    let tail = answer_region(text);
    let mut number = last_number(tail)?;
    let start = tail.rfind(number.as_str())?;
    let mut end = start + number.len();
    // `50%`, `50\%`, `50 percent`: the percent sign belongs to the number.
    if let Some(sign) = ["%", "\\%", " percent"]
        .iter()
        .find(|s| tail[end..].starts_with(**s))
    {
        end += sign.len();
        number.push('%');
    }
    // A number inside a math span or a box is theirs to judge; a number alone is the whole
    // text, already refused; `0.333...` recurs.
    let before = &tail[..start];
    let line = before.rsplit('\n').next().unwrap_or("");
    let after = tail[end..].trim_start();
    // `11:21`, `7:32`: a ratio or a time, of which the number is only the last part.
    let ratio = before
        .trim_end()
        .strip_suffix(':')
        .map(str::trim_end)
        .is_some_and(|b| b.ends_with(|c: char| c.is_ascii_digit()));
    if ratio
        || before.matches('$').count() % 2 == 1
        || before.trim_end().ends_with(['{', '(', '[', '\\'])
        || line.trim().is_empty()
        || after.starts_with("..")
        || after.starts_with('…')
    {
        return None;
    }
    match super::commit::committed(tail, start, end)? {
        Some(unit) => Some(format!("{number} {unit}")),
        None => Some(number),
    }
}

/// The contents of the `\boxed{}` answers that end the text, when there are several in a row
/// separated only by commas, `and`, `or` and layout (`\boxed{1} and \boxed{2}`): joined by
/// commas, they form a list. `None` when the last box stands alone.
pub fn trailing_boxes(text: &str) -> Option<String> {
    let mut boxes: Vec<(usize, usize, &str)> = Vec::new();
    let mut i = 0;
    while let Some(at) = text[i..].find("\\boxed").map(|k| k + i) {
        let rest = &text[at + "\\boxed".len()..];
        let Some(inner) = rest.strip_prefix('{') else {
            i = at + 1;
            continue;
        };
        let Some(k) = balanced_close(inner) else {
            break;
        };
        let start = at + "\\boxed{".len();
        boxes.push((at, start + k + 1, &text[start..start + k]));
        i = start + k + 1;
        if boxes.len() > super::MAX_ELEMENTS {
            return None;
        }
    }
    let mut run = vec![boxes.pop()?];
    // `y_1 = \boxed{…} and y_2 = \boxed{…}`: every box of the run named, or none.
    let mut names: Vec<Option<(usize, &str)>> = vec![name_before(&text[..run[0].0])];
    while let Some(prev) = boxes.pop() {
        let next_name = names[names.len() - 1];
        // Up to the next box, or to its name.
        let between = &text[prev.1..next_name.map_or(run[run.len() - 1].0, |(at, _)| at)];
        let filler = between
            .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '$' | '.'))
            .all(|w| {
                matches!(
                    w,
                    "" | "and"
                        | "or"
                        | "\\quad"
                        | "\\text{and}"
                        | "\\text{or}"
                        | "\\("
                        | "\\)"
                        | "\\["
                        | "\\]"
                        | "\\)\\("
                        | "\\],"
                )
            });
        let name = name_before(&text[..prev.0]);
        if !filler || name.is_some() != next_name.is_some() {
            break;
        }
        run.push(prev);
        names.push(name);
    }
    // A named run starts at its first name: `\($y_1 = \boxed{…}`.
    let first = names[names.len() - 1].map_or(run[run.len() - 1].0, |(at, _)| at);
    let last = run[0].1;
    if run.len() < 2 || super::commit::committed(text, first, last).is_none() {
        return None;
    }
    // `\boxed{5} or \boxed{6}`: alternatives, a set; otherwise a list.
    let alternatives = (1..run.len()).any(|k| {
        text[run[k].1..run[k - 1].0]
            .to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| w == "or")
    });
    let items = run
        .iter()
        .zip(&names)
        .rev()
        .map(|(b, n)| match n {
            Some((_, n)) => format!("{n} = {}", b.2.trim()),
            None => b.2.trim().to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ");
    Some(if alternatives {
        format!("\\{{{items}\\}}")
    } else {
        items
    })
}

/// The name that `before` (the text before a `\boxed`) ends with as `NAME =`, and where it
/// starts: a letter, maybe with a subscript (`y_1`, `x_{2}`).
fn name_before(before: &str) -> Option<(usize, &str)> {
    let head = before
        .trim_end_matches('\\')
        .trim_end()
        .strip_suffix('=')?
        .trim_end();
    let start = head
        .char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '{' | '}')))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let name = &head[start..];
    let mut chars = name.chars();
    let letter = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest = chars.as_str();
    let subscript = rest.is_empty()
        || rest.strip_prefix('_').is_some_and(|s| {
            let s = s.trim_start_matches('{').trim_end_matches('}');
            !s.is_empty() && s.len() <= 3 && s.chars().all(|c| c.is_ascii_alphanumeric())
        });
    (letter && subscript).then_some((start, name))
}

/// The byte offset of the `}` that closes a group whose `{` came just before `s`.
pub(crate) fn balanced_close(s: &str) -> Option<usize> {
    let mut depth = 1usize;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Trims whitespace, markdown emphasis and sentence punctuation around a candidate.
fn clean(s: &str) -> String {
    let mut t = s.trim();
    loop {
        let before = t.len();
        t = t.trim_matches(|c: char| c == '*' || c == '_' || c == '`' || c.is_whitespace());
        // One sentence period, never an ellipsis (`0.333...` is not `0.333`).
        let dotted = t.ends_with('.') && t[..t.len() - 1].trim_end().ends_with('.');
        if !dotted {
            t = t.strip_suffix('.').unwrap_or(t);
        }
        t = t.strip_prefix(':').unwrap_or(t);
        if t.len() == before {
            return t.to_string();
        }
    }
}

/// The last `\boxed{}`/`\fbox{}`: its position and content, or why it is not a committed
/// answer (nested in another box, hedged, part of an expression: see [`super::commit`]).
fn boxed(text: &str, lower: &str) -> Option<(usize, Result<String, String>)> {
    let at = [r"\boxed", r"\fbox"]
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| (i, m.len())))
        .max()?;
    let (start, len) = at;
    let rest = &text[start + len..];
    let open = rest.find(|c: char| !c.is_whitespace())?;
    if !rest[open..].starts_with('{') {
        return Some((start, Err("a box without braces".into())));
    }
    let mut depth = 0usize;
    let mut close = None;
    for (i, c) in rest[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    close = Some(open + i);
                    break;
                }
            }
            _ => {}
        }
    }
    let Some(close) = close else {
        return Some((start, Err("a box that is never closed".into())));
    };
    let end = start + len + close + 1;
    // `\boxed{4 \text{ or } \boxed{5}}`: the inner box is not the answer, the outer is unclear.
    let enclosing = [r"\boxed", r"\fbox"]
        .iter()
        .filter_map(|m| lower[..start].rfind(m))
        .any(|outer| {
            let mut d = 0i64;
            lower[outer..start].chars().for_each(|c| match c {
                '{' => d += 1,
                '}' => d -= 1,
                _ => {}
            });
            d > 0
        });
    if enclosing {
        return Some((start, Err("a box nested in another box".into())));
    }
    let content = match super::commit::variable_in(&text[..start]) {
        Some(v) => format!("{v} \\in {}", &rest[open + 1..close]),
        None => rest[open + 1..close].to_string(),
    };
    match super::commit::committed(text, start, end) {
        None => Some((
            start,
            Err("the boxed answer is hedged, qualified or part of an expression".into()),
        )),
        Some(Some(unit)) => Some((start, Ok(format!("{content} {unit}")))),
        Some(None) => Some((start, Ok(content))),
    }
}

fn line_rest(s: &str) -> &str {
    s.split('\n').next().unwrap_or("")
}

/// A line without a closing "I hope it is correct." (`5. I hope it is correct.` gives `5`);
/// any other second sentence stays and makes the answer unparseable (`5. No wait, it is 6.`).
fn sentence(s: &str) -> &str {
    match s.find(". ") {
        Some(i)
            if s[i + 2..]
                .trim()
                .trim_end_matches(['.', '!'])
                .eq_ignore_ascii_case("i hope it is correct") =>
        {
            &s[..i]
        }
        _ => s,
    }
}

fn answer_line(text: &str, lower: &str) -> Option<(usize, Result<String, String>)> {
    let (at, len) = ["answer:", "answer :"]
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| (i, m.len())))
        .max()?;
    let rest = &text[at + len..];
    let first = line_rest(rest);
    let (value, later) = if clean(first).is_empty() {
        let mut lines = rest.split('\n').skip(1);
        let next = lines.find(|l| !clean(l).is_empty())?;
        let after = rest.find(next).map_or("", |k| &rest[k + next.len()..]);
        (next, after)
    } else {
        (first, rest.get(first.len()..).unwrap_or(""))
    };
    Some((at, marked(text, at, value, later)))
}

fn answer_is(text: &str, lower: &str) -> Option<(usize, Result<String, String>)> {
    let at = lower.rfind("answer is")?;
    let rest = &text[at + "answer is".len()..];
    let value = line_rest(rest);
    Some((at, marked(text, at, value, &rest[value.len()..])))
}

/// The value of a marker (`Answer:`, "the answer is") at `at`, or why the text does not commit
/// to it (a doubt before the marker, a retraction or another answer after its line).
fn marked(text: &str, at: usize, value: &str, later: &str) -> Result<String, String> {
    if !super::commit::marker_committed(text, at) {
        return Err("the answer marker is hedged or rejected".into());
    }
    if !super::commit::later_is_quiet(later) {
        return Err("the answer is followed by a retraction or another answer".into());
    }
    Ok(sentence(value).to_string())
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
        assert_eq!(last_number("it is 7, not AZYUK2A"), Some("7".into()));
        assert_eq!(last_number("x2"), None);
    }
}

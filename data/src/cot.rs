//! The chain-of-thought format (DESIGN.md "Chains of thought").
//!
//! A completion is
//!
//! ```text
//! <think>
//! 17 * 4 = 68
//! 68 - 8 = 60
//! </think>
//! Answer: 60
//! ```
//!
//! one step per line inside the thinking block, then an `Answer:` line. For code the answer is
//! the last fenced ```` ```python ```` block after `</think>` instead.
//!
//! Models do not always follow the format, so the parser is lenient where the intent is clear
//! (a `</think>` without `<think>`, as when the chat template opened the block; `**Answer:**`;
//! `\boxed{}`; "The answer is 42.") and strict where guessing would invent an answer: there is no
//! last-number fallback here (the math verifier applies one where the family allows it).
//!
//! Every function here is linear in the input and uses no recursion, so a hostile 1 MB
//! completion or ten thousand nested braces cost a single pass.

/// Where the thinking block of a completion stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum ThinkBlock {
    /// No `<think>` and no `</think>`.
    #[default]
    Absent,
    /// `<think>` was opened but never closed (typically a completion cut at `max_new_tokens`).
    Unclosed,
    /// A `</think>` closes the block (the opening tag may be missing: chat templates that
    /// put `<think>` in the prompt produce completions that start inside the block).
    Closed,
}

/// Which rule found the final answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnswerSource {
    /// An `Answer: ...` line.
    AnswerLine,
    /// The last `\boxed{...}` or `\fbox{...}`.
    Boxed,
    /// A trailing "the answer is ..." sentence.
    TheAnswerIs,
}

/// A completion split into its parts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedCompletion {
    /// The non-empty trimmed lines of the thinking block (see [`parse_completion`]).
    pub steps: Vec<String>,
    /// The final answer as written (trimmed, one trailing period removed), if one was found.
    pub final_answer: Option<String>,
    /// The rule that found `final_answer`.
    pub answer_source: Option<AnswerSource>,
    /// The last fenced python block of the answer part ([`extract_code_block`]).
    pub code: Option<String>,
    /// Whether the completion has a thinking block and whether it was closed.
    pub think: ThinkBlock,
}

impl ParsedCompletion {
    /// True when the completion has a closed thinking block.
    pub fn has_think_block(&self) -> bool {
        self.think == ThinkBlock::Closed
    }
}

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// The parts of a completion around its thinking block, as byte ranges.
struct Layout<'a> {
    think: ThinkBlock,
    /// The text the steps are taken from.
    thinking: &'a str,
    /// The text the final answer and the code are taken from.
    answer_part: &'a str,
}

fn layout(text: &str) -> Layout<'_> {
    let open = text.find(OPEN);
    // The closing tag is searched after the opening one, so a stray `</think>` quoted before
    // the block does not end it.
    let body_start = open.map_or(0, |i| i + OPEN.len());
    match text[body_start..].find(CLOSE) {
        Some(rel) => Layout {
            think: ThinkBlock::Closed,
            thinking: &text[body_start..body_start + rel],
            answer_part: &text[body_start + rel + CLOSE.len()..],
        },
        None if open.is_some() => Layout {
            think: ThinkBlock::Unclosed,
            thinking: &text[body_start..],
            answer_part: &text[body_start..],
        },
        None => Layout {
            think: ThinkBlock::Absent,
            thinking: text,
            answer_part: text,
        },
    }
}

/// Splits a completion into steps and a final answer.
///
/// Steps are the non-empty trimmed lines of the thinking block. If `<think>` is open but never
/// closed, they are the lines after it; if there is no thinking block at all, the lines of the
/// whole text. In those two cases the answer part and the thinking overlap, so an `Answer:`
/// line and everything after it are not steps.
///
/// The final answer comes from the text after `</think>` (the whole text, or the text after
/// `<think>`, when there is no closing tag), in this order: the last `Answer:` line
/// (case-insensitive, also `Final answer:` and `**Answer:**`; an empty value takes the next
/// non-empty line); else the content of the last `\boxed{...}`; else a trailing
/// "the answer is X" sentence. The value is trimmed and one trailing period removed.
pub fn parse_completion(text: &str) -> ParsedCompletion {
    let lay = layout(text);
    // (value, byte offset in `answer_part` of the `Answer:` line when that rule found it)
    let mut found: Option<(String, Option<usize>)> = None;
    let mut source = None;
    if let Some((v, line_start)) = find_answer_line(lay.answer_part) {
        found = Some((v, Some(line_start)));
        source = Some(AnswerSource::AnswerLine);
    } else if let Some(b) = extract_boxed(lay.answer_part).and_then(|b| clean_value(&b)) {
        found = Some((b, None));
        source = Some(AnswerSource::Boxed);
    } else if let Some(v) = find_the_answer_is(lay.answer_part) {
        found = Some((v, None));
        source = Some(AnswerSource::TheAnswerIs);
    }
    let mut thinking = lay.thinking;
    if let (ThinkBlock::Absent | ThinkBlock::Unclosed, Some((_, Some(line_start)))) =
        (lay.think, &found)
    {
        // Without `</think>` the thinking and the answer part are the same text: the steps
        // stop at the answer line.
        thinking = &lay.answer_part[..*line_start];
    }
    let steps = thinking
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    ParsedCompletion {
        steps,
        final_answer: found.map(|(v, _)| v),
        answer_source: source,
        code: code_block_in(lay.answer_part),
        think: lay.think,
    }
}

/// Trims a value, strips wrapping `**` and one trailing period; `None` when nothing is left.
fn clean_value(value: &str) -> Option<String> {
    let mut v = value.trim();
    if v.len() >= 4 && v.starts_with("**") && v.ends_with("**") {
        v = v[2..v.len() - 2].trim();
    }
    if let Some(stripped) = v.strip_suffix('.') {
        v = stripped.trim_end();
    }
    (!v.is_empty()).then(|| v.to_string())
}

/// If `line` is an answer line, the text after its colon.
fn answer_line_value(line: &str) -> Option<&str> {
    let rest = line.trim_start_matches(|c: char| c == '*' || c == '#' || c.is_whitespace());
    let rest = strip_prefix_ci(rest, "final ").unwrap_or(rest);
    let rest = strip_prefix_ci(rest, "answer")?;
    // `**Answer**:` and `**Answer:**` both occur in markdown-happy completions.
    let rest = rest.trim_start_matches('*').strip_prefix(':')?;
    Some(rest.trim_start_matches('*'))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// The last `Answer:` line of `text`: its cleaned value and the byte offset of the line start.
fn find_answer_line(text: &str) -> Option<(String, usize)> {
    let mut last: Option<(usize, &str)> = None;
    let mut start = 0;
    for line in text.split('\n') {
        if let Some(v) = answer_line_value(line) {
            last = Some((start, v));
        }
        start += line.len() + 1;
    }
    let (line_start, value) = last?;
    if let Some(v) = clean_value(value) {
        return Some((v, line_start));
    }
    // `Answer:` alone on its line: the value is on the next non-empty line.
    let after = line_start + text[line_start..].find('\n')? + 1;
    let next = text[after..].split('\n').find(|l| !l.trim().is_empty())?;
    clean_value(next).map(|v| (v, line_start))
}

/// The value of the last "the answer is X" in `text`, up to the end of its sentence.
fn find_the_answer_is(text: &str) -> Option<String> {
    const NEEDLE: &str = "answer is";
    // ASCII lowercasing keeps every byte offset, so positions carry over to `text`.
    let lower = text.to_ascii_lowercase();
    for (pos, _) in lower.rmatch_indices(NEEDLE) {
        let before_ok = lower[..pos]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        if !before_ok {
            continue;
        }
        let rest = &text[pos + NEEDLE.len()..];
        // The value runs to the end of the line or of the sentence (a period followed by white
        // space: "42. Let me check"). One scan that stops there, never to the end of the text,
        // so trying many candidates stays linear.
        let end = rest
            .char_indices()
            .find(|&(i, c)| {
                c == '\n' || (c == '.' && rest[i + 1..].starts_with(char::is_whitespace))
            })
            .map_or(rest.len(), |(i, _)| i);
        let line = rest[..end].trim_start().trim_start_matches(':');
        if let Some(v) = clean_value(line) {
            return Some(v);
        }
    }
    None
}

/// The content of the last `\boxed{...}` (or `\fbox{...}`) of `text`, braces balanced.
///
/// Nested braces are allowed (`\boxed{\frac{1}{2}}` gives `\frac{1}{2}`); escaped braces
/// `\{ \}` do not count. When boxes nest, the outermost one is returned. One pass, no
/// recursion: a stack holds only the open boxes.
pub fn extract_boxed(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    // (depth at which the box's brace was opened, content start) of each open box.
    let mut open_boxes: Vec<(usize, usize)> = Vec::new();
    let mut best: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            // `\{`, `\}` and `\\` are literal characters, not grouping.
            b'\\' if matches!(bytes.get(i + 1), Some(b'{' | b'}' | b'\\')) => i += 1,
            b'{' => {
                depth += 1;
                let head = text[..i].trim_end();
                if head.ends_with("\\boxed") || head.ends_with("\\fbox") {
                    open_boxes.push((depth, i + 1));
                }
            }
            b'}' if depth > 0 => {
                if let Some(&(d, start)) = open_boxes.last() {
                    if d == depth {
                        open_boxes.pop();
                        // The box that closes last is the last box, or the outer one of a nest.
                        best = Some((start, i));
                    }
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    best.map(|(s, e)| text[s..e].to_string())
}

/// The last fenced ```` ```python ```` (or ```` ```py ````, or bare ```` ``` ````) block after
/// `</think>`, or anywhere if there is no closing tag. An unterminated last fence gives the rest
/// of the text. Blocks in other languages are skipped.
pub fn extract_code_block(text: &str) -> Option<String> {
    code_block_in(layout(text).answer_part)
}

fn code_block_in(text: &str) -> Option<String> {
    let mut best: Option<String> = None;
    // Content start of the block we are in, and whether it is a python block.
    let mut inside: Option<(usize, bool)> = None;
    let mut start = 0;
    for line in text.split('\n') {
        let line_end = start + line.len();
        let t = line.trim();
        if let Some(info) = t.strip_prefix("```") {
            match inside {
                Some((content, python)) if info.trim_matches('`').trim().is_empty() => {
                    if python {
                        best = Some(block_content(&text[content.min(start)..start]));
                    }
                    inside = None;
                }
                Some(_) => {} // a fence with a language inside a block is content
                None => {
                    let lang = info.trim().to_ascii_lowercase();
                    let python = matches!(lang.as_str(), "" | "python" | "py" | "python3");
                    inside = Some(((line_end + 1).min(text.len()), python));
                }
            }
        }
        start = line_end + 1;
    }
    if let Some((content, true)) = inside {
        best = Some(block_content(&text[content..]));
    }
    best
}

fn block_content(s: &str) -> String {
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.strip_suffix('\r').unwrap_or(s).to_string()
}

/// The canonical completion: `<think>\n{steps, one per line}\n</think>\nAnswer: {answer}`; for
/// code (`code == true`, `answer` is source) the answer is a fenced python block instead.
///
/// [`parse_completion`] gives back the steps and the answer as long as each step is one trimmed,
/// non-empty line without `</think>`, and the answer is one trimmed line (for code: source
/// without a line starting with ```` ``` ````; trailing newlines are dropped).
pub fn format_completion(steps: &[String], answer: &str, code: bool) -> String {
    let mut out = String::with_capacity(
        OPEN.len()
            + CLOSE.len()
            + answer.len()
            + steps.iter().map(|s| s.len() + 1).sum::<usize>()
            + 32,
    );
    out.push_str(OPEN);
    out.push('\n');
    out.push_str(&steps.join("\n"));
    out.push('\n');
    out.push_str(CLOSE);
    out.push('\n');
    if code {
        out.push_str("```python\n");
        out.push_str(answer.trim_end_matches(['\n', '\r']));
        out.push_str("\n```");
    } else {
        out.push_str("Answer: ");
        out.push_str(answer);
    }
    out
}

#[cfg(test)]
#[path = "cot_tests.rs"]
mod tests;

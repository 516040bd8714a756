//! Reading a gold answer that is a whole solution text. A dataset's gold does not hedge, so
//! none of the prediction's commitment checks (`commit`) apply: its boxes, the span after its
//! last "answer is", or the last side of a chain.

use super::answer::parse_answer_with_unit;
use super::extract::balanced_close;
use super::MathValue;

/// The answer a gold solution text states, read as trusted (a dataset's gold does not hedge, so
/// none of the prediction's commitment checks apply): its last box (`\\boxed{}` too, as JSON
/// escaping leaves it), or a list of the boxes before it that a conjunction joins (`\boxed{1}
/// papers and \boxed{2} bins`, not `\boxed{1} no no \boxed{2}`); else the math span right after
/// its last "answer is" or `Answer:` (`The final answer is $28 \%$. I hope it is correct.`).
/// `None` when neither parses.
pub(super) fn gold_answer(gold: &str) -> Option<(MathValue, Option<String>)> {
    // (start of `boxed{`, end after `}`, content)
    let mut boxes: Vec<(usize, usize, &str)> = Vec::new();
    let mut from = 0;
    while let Some(at) = gold[from..].find("boxed{").map(|k| k + from) {
        let inner = at + "boxed{".len();
        let close = inner + balanced_close(&gold[inner..])?;
        boxes.push((at, close + 1, gold[inner..close].trim()));
        if boxes.len() > super::MAX_ELEMENTS {
            return None;
        }
        from = close + 1;
    }
    let candidate = if let Some(&(mut first, _, last)) = boxes.last() {
        let mut items = vec![last];
        // A box after `x =`: the joined boxes are named, so their order counts.
        let named_box = |at: usize| gold[..at].trim_end_matches('\\').trim_end().ends_with('=');
        let mut named = named_box(first);
        for &(at, end, content) in boxes.iter().rev().skip(1) {
            let gap = gold[end..first].trim_end_matches(['\\', '$']);
            let words: Vec<&str> = gap.split_whitespace().collect();
            // `\boxed{3} or \boxed{5}`: alternatives, read as a prediction's are (a set).
            if words
                .iter()
                .any(|w| w.eq_ignore_ascii_case("or") || *w == "\\text{or}")
            {
                return None;
            }
            let joined = words.is_empty()
                || words.len() <= 3
                    && (gap.contains(',')
                        || words.iter().any(|w| *w == "and" || *w == "\\text{and}"));
            if !joined {
                break;
            }
            named |= named_box(at);
            if named || !items.contains(&content) {
                items.push(content);
            }
            first = at;
        }
        items.reverse();
        match (items.len(), named) {
            (2.., true) => format!("({})", items.join(", ")),
            _ => items.join(", "),
        }
    } else if let Some(span) = span_after_marker(gold) {
        span.to_string()
    } else {
        last_side_of_chain(gold)?.to_string()
    };
    parse_answer_with_unit(&candidate).ok()
}

/// The math span right after the last "answer is" or `Answer:` of a text, when the rest of its
/// sentence holds no other span or number (`Answer: $3$ and $4$` is not 3).
fn span_after_marker(text: &str) -> Option<&str> {
    let lower = text.to_ascii_lowercase();
    let at = ["answer is", "answer:"]
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| i + m.len()))
        .max()?;
    let after = text[at..].trim_start().strip_prefix('$')?;
    let close = after.find('$')?;
    let rest = &after[close + 1..];
    let sentence = &rest[..rest.find(['\n', '.']).unwrap_or(rest.len())];
    let more = sentence.contains(['$', '\\']) || sentence.bytes().any(|b| b.is_ascii_digit());
    let alternatives = sentence
        .split_whitespace()
        .any(|w| w.eq_ignore_ascii_case("or") || w.eq_ignore_ascii_case("and"));
    (!more && !alternatives).then_some(&after[..close])
}

/// `1 = \zzz = x = 0`: the last side of a gold that is one chain of three or more sides, with no
/// top-level comma and no words (`Area = 12, Perimeter = 14` is not 14).
fn last_side_of_chain(gold: &str) -> Option<&str> {
    let t = gold.trim().trim_matches('$');
    let prose = t
        .split(|c: char| !c.is_ascii_alphabetic() && c != '\\')
        .any(|w| w.len() >= 2 && !w.starts_with('\\'));
    if prose {
        return None;
    }
    let mut depth = 0i32;
    let mut sides = 1;
    let mut last = 0;
    for (i, c) in t.char_indices() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            ',' | ';' if depth == 0 => return None,
            '=' if depth == 0 => {
                sides += 1;
                last = i + 1;
            }
            _ => {}
        }
    }
    (sides >= 3).then(|| &t[last..])
}

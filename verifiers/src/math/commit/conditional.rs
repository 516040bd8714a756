//! Conditionals that set up a solution rather than doubt its answer (`If its initial value was
//! $x$, ...`).

use super::words::{DOUBTS, RETRACTIONS};

/// `lower` without each clause that only names a symbol (`If its initial value was $x$,
/// then ...`): that sets up a solution rather than doubting its answer. Only words that doubt
/// nothing may come between the `if` and the symbol (`initial value` describes the value), so
/// a doubt there (`if maybe it is $x$`) and a condition on a value (`if $x = 2$`) stay.
pub(super) fn without_defining_ifs(lower: &str) -> String {
    let mut out = String::with_capacity(lower.len());
    let mut rest = lower;
    while let Some(i) = word_at(rest, "if") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.split_once(',') {
            Some((clause, tail)) if names_symbol(clause) => rest = tail,
            _ => {
                out.push_str("if");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Where `word` first stands alone in `text`.
fn word_at(text: &str, word: &str) -> Option<usize> {
    let b = text.as_bytes();
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        let end = i + word.len();
        (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && b.get(end).is_none_or(|c| !c.is_ascii_alphanumeric())
    })
}

/// `its initial value was $x$`: a determiner, at most three words naming a quantity, a copula,
/// then one letter in math; never a person acting (`if I misread $x$`, `if we doubled $x$`).
fn names_symbol(clause: &str) -> bool {
    let Some(head) = clause.trim().strip_suffix('$') else {
        return false;
    };
    let Some((words, symbol)) = head.rsplit_once('$') else {
        return false;
    };
    let symbol = symbol.trim();
    symbol.len() == 1
        && symbol.bytes().all(|c| c.is_ascii_alphabetic())
        && !words.trim().is_empty()
        && words
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '\'')
        && words
            .split_whitespace()
            .all(|w| w == "initial" || !DOUBTS.contains(&w) && !RETRACTIONS.contains(&w))
        && {
            let ws: Vec<&str> = words.split_whitespace().collect();
            matches!(ws.first(), Some(&("its" | "the" | "their" | "his" | "her")))
                && matches!(ws.last(), Some(&("is" | "was")))
                && (3..=5).contains(&ws.len())
        }
}

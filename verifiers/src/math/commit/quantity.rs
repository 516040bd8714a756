//! A quantity's name or a change with its preposition as the lead-in to an answer (`a total
//! loss of \boxed{28\%}`, `increases by 100%`), and when it lists values instead.

use super::sentence_ends;
use super::words::{self, CHANGE_VERBS, QUANTITY_NOUNS, RESULT_NOUNS};

/// Whether `line` (the text before an answer) ends with a quantity's name or a change and its
/// preposition (`a total loss of`, `increases by`; not `half of`, `the square root of`,
/// `divided by`) that leads in to the answer: `None` when it ends otherwise. Only in a clause
/// without other numbers, after clauses of its sentence none of which ends on a number, and
/// with no other such lead-in in the sentence (`a total of 20, case 2 a total of 28`, `The
/// answer is 6, a total of`, `it grew by 20 units, it grows by` list values; `its value becomes
/// $.72x$, making for a total loss of` computes, then names; an earlier sentence is done with:
/// `We get 6. So it increases by`).
pub(super) fn named_quantity(line: &str) -> Option<bool> {
    let lower = line.to_lowercase();
    let line_words: Vec<&str> = lower.split_whitespace().collect();
    let lead_in = |w: &[&str]| match w {
        [noun, "of"] => QUANTITY_NOUNS.contains(noun) || RESULT_NOUNS.contains(noun),
        [verb, "by"] => CHANGE_VERBS.contains(verb),
        _ => false,
    };
    // `half the total of`, `the square of the sum of`, `minus the sum of`: the answer is not
    // the quantity. A result of an operation leads in only after `a`/`an`.
    let n = line_words.len();
    let before = |k: usize| n.checked_sub(k).map(|i| line_words[i]);
    let article = ["a", "an", "the", "its", "their", "his", "her", "our"];
    let modified = |w: Option<&str>| {
        w.is_some_and(|w| {
            w == "of" || words::SCALING.contains(&w) || ["negative", "opposite"].contains(&w)
        })
    };
    if n >= 2 && line_words[n - 1] == "of" && RESULT_NOUNS.contains(&line_words[n - 2]) {
        let indefinite = matches!(before(3), Some("a" | "an"));
        if !indefinite || modified(before(4)) {
            return Some(false);
        }
    }
    if modified(before(3)) || before(3).is_some_and(|a| article.contains(&a)) && modified(before(4))
    {
        return (n >= 2 && lead_in(&line_words[n - 2..])).then_some(false);
    }
    if line_words.len() < 2 || !lead_in(&line_words[line_words.len() - 2..]) {
        return None;
    }
    let sentence = sentence_ends(line)
        .into_iter()
        .rfind(|&e| {
            let head = line[..e].trim_end_matches(|c: char| c.is_whitespace() || c == '$');
            !head
                .trim_end_matches("\\]")
                .trim_end_matches("\\)")
                .ends_with(';')
        })
        .unwrap_or(0);
    // A displayed equation ends what the lead-in's sentence can see (`\end{array} \]for a
    // quotient of`): its numbers are work shown, not a second value.
    let sentence = line[sentence..]
        .rfind("\\]")
        .map_or(sentence, |k| sentence + k + 2);
    let mut ends: Vec<usize> = line[sentence..]
        .match_indices([',', ';'])
        .map(|(i, _)| sentence + i)
        .collect();
    ends.insert(0, sentence);
    let clause = ends.last().map_or(line, |&at| &line[at..]);
    let states_a_number = ends[1..].iter().any(|&at| {
        let mut head = &line[..at];
        loop {
            let before = head.len();
            head = head
                .trim_end_matches(|c: char| c.is_whitespace() || "$.,;%)}".contains(c))
                .trim_end_matches("\\%")
                .trim_end_matches("^\\circ")
                .trim_end_matches("^{\\circ");
            if head.len() == before {
                break;
            }
        }
        head.ends_with(|c: char| c.is_ascii_digit())
            || words::number_word(&head.rsplit(' ').next().unwrap_or("").to_lowercase())
    });
    let in_sentence: Vec<&str> = lower
        .get(sentence..)
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let lead_ins = in_sentence.windows(2).filter(|w| lead_in(w)).count();
    let clause_number = clause
        .to_lowercase()
        .split_whitespace()
        .any(|w| words::states_number(w.trim_matches(|c: char| c.is_ascii_punctuation())));
    Some(!clause_number && !states_a_number && lead_ins == 1)
}

//! Whether an answer found in free text (a `\boxed{}`, a `$...$` span, an `Answer:` line, "the
//! answer is") is one the text commits to. The grader is the reward of self-play, and a model
//! learns every way to state several answers or to qualify one, so this is an allow-list:
//!
//! - **Before** the answer, in its line: nothing, or an ending from [`LEAD_INS`] (`=`, `:`,
//!   `is`, `are`, `equals`, `Thus,`…) — never an operator, a relation, a command (`\det`,
//!   `\cancel`), a symbol (`❌`), a hedge (`might be`). The four words before it (and the last
//!   words of the line above when the answer opens its line) hold no hedge, negation or
//!   rejection ([`DOUBTS`]).
//! - **After** it, in its line: closing delimiters and sentence punctuation, then nothing, the
//!   closing phrase "I hope it is correct.", or one or two unit words ([`unit_words`]), which
//!   are handed back so that a unit written outside the box still counts.
//! - **Later** lines: no retraction ([`RETRACTIONS`]) and no other answer marker.

mod conditional;
mod lead_in;
mod quantity;
mod retractions;
mod units;
mod words;

use super::region::before_chat_token;
use quantity::named_quantity;
pub(crate) use units::known_unit;
use words::{
    CLOSERS, CONCLUSIONS, DOUBTS, HEDGES, LEAD_INS, NOT_UNITS, RETRACTIONS, RETRACTION_STEMS,
    SCALING, SUPERLATIVES,
};
pub(crate) use words::{NUMBER_WORDS, SHORT_UNITS};

/// The unit words (if any) after an answer that is committed, or `None` when it is not (see
/// the module docs). `start` and `end` include the answer's own delimiters (`\boxed{`…`}`,
/// `$`…`$`).
pub(crate) fn committed(text: &str, start: usize, end: usize) -> Option<Option<String>> {
    let (before, after) = (text.get(..start)?, text.get(end..)?);
    let (line_after, later) = after.split_once('\n').unwrap_or((after, ""));
    // `a^{34} \equiv \boxed{9} \pmod{11}`: a residue, stated as a congruence with a modulus of
    // two or more; `\equiv` alone is another relation than `=`, `\not\equiv` a negation.
    let modulus = line_after
        .trim_start()
        .strip_prefix("\\pmod{")
        .and_then(|m| m.split_once('}'))
        .filter(|(m, _)| m.trim().parse::<u64>().is_ok_and(|m| m >= 2));
    let congruence = strip_open_delimiters(before)
        .strip_suffix("\\equiv")
        .filter(|head| {
            !head.trim_end().ends_with("\\not") && !head.trim_end().ends_with("\\centernot")
        });
    let (before, line_after) = match (congruence, modulus) {
        (Some(head), Some((_, rest))) => (format!("{head}="), rest),
        _ => (before.to_string(), line_after),
    };
    if !committed_before(&before) || !later_is_quiet(later) {
        return None;
    }
    // `There are $\boxed{6}$ ways to arrange the books.`: the answer counts what follows it.
    let lower = strip_open_delimiters(&before).to_lowercase();
    let counting = [
        "there are",
        "there is",
        "there were",
        "there exist",
        "there exists",
    ]
    .iter()
    .any(|lead| lower.ends_with(lead));
    committed_after(line_after, counting)
}

/// Whether a marker at `at` (`Answer:`, "the answer is") commits: no doubt among the four words
/// before it in its line (`The wrong answer: 5`, `Maybe the answer is 5`), and nothing in its
/// sentence that makes it name another quantity (`Half of the answer is 5`).
pub(crate) fn marker_committed(text: &str, at: usize) -> bool {
    let line = text[..at].rsplit('\n').next().unwrap_or("");
    let (joined, labelled_away) = lead_in::logical_line(&text[..at]);
    !labelled_away && !doubted(&joined) && !doubted(line) && lead_in::plain_marker_head(&joined)
}

/// Whether `line`, up to an answer or a marker, doubts it: a doubt within [`scope`], or a
/// hedging phrase ([`HEDGES`]) in the sentence before the last, however long (`I am not sure
/// about this. The answer is …`): phrases rather than words there, since a long sentence of a
/// solution says `not` and `wrong` about other things.
fn doubted(line: &str) -> bool {
    let ends = sentence_ends(line);
    if doubtful(scope(line, &ends)) {
        return true;
    }
    let Some((previous, last)) = last_two(&ends) else {
        return false;
    };
    let sentence = line[previous..last].to_lowercase().replace('’', "'");
    HEDGES.iter().any(|h| sentence.contains(h))
}

/// Where the sentence before the last one starts and the last one starts, from the sentence
/// ends of a line ([`sentence_ends`]); `None` when the line is one sentence.
fn last_two(ends: &[usize]) -> Option<(usize, usize)> {
    let (&last, rest) = ends.split_last()?;
    Some((rest.last().copied().unwrap_or(0), last))
}

/// The part of `line` (whose sentence `ends` are given) a doubt can reach: its last sentence,
/// and the sentence before that when it is short (`Not sure. The answer is …`).
fn scope<'a>(line: &'a str, ends: &[usize]) -> &'a str {
    let Some((previous, last)) = last_two(ends) else {
        return line;
    };
    let short = line[previous..last].split_whitespace().count() <= 4;
    // `If $2-x=p$, then $x=2-p$. Thus $x-p=$`: a conclusion drawn from a conditional stands on
    // its own (`Maybe it is 4. So the answer is 5` does not).
    let first_word = |s: &str| {
        s.split_whitespace()
            .next()
            .unwrap_or("")
            .trim_end_matches(',')
            .to_lowercase()
    };
    let conditional = &line[previous..last];
    let concludes = CONCLUSIONS.contains(&first_word(&line[last..]).as_str())
        && first_word(conditional) == "if"
        && words(conditional).any(|w| w.eq_ignore_ascii_case("then"));
    if short && !concludes {
        &line[previous..]
    } else {
        &line[last..]
    }
}

/// Where the sentences of `line` end: at `.`, `?`, `!` or `;` before a space, also when a math
/// span closes between them (`= 0.$ Then`, `= 0.\]Hence`), and where a span that states a
/// result runs into a capitalised word ([`unpunctuated_ends`]).
fn sentence_ends(line: &str) -> Vec<usize> {
    line.match_indices(['.', '?', '!', ';'])
        // An ellipsis trails off rather than ends (`maybe 18... so it is`).
        .filter(|&(i, _)| {
            let (head, rest) = (line[..i].trim_end(), line[i + 1..].trim_start());
            !head.ends_with(['.', '!', ';']) && !rest.starts_with(['.', '!', ';'])
        })
        .filter_map(|(i, _)| {
            let rest = &line[i + 1..];
            let after = rest
                .trim_start_matches('$')
                .trim_start_matches("\\]")
                .trim_start_matches("\\)");
            let display = after.len() + 2 <= rest.len() && !rest.starts_with('$');
            let end = i + 1 + (rest.len() - after.len());
            (after.starts_with(char::is_whitespace) || display).then_some(end)
        })
        .chain(unpunctuated_ends(line))
        .collect::<std::collections::BTreeSet<usize>>()
        .into_iter()
        .collect()
}

/// Where a sentence ends without a full stop: a math span or display closes on a result and a
/// capitalised word starts the next (`$y = 6$ So, the pair is`, `= 143 \] Thus, the number`),
/// as models write in one long line.
fn unpunctuated_ends(line: &str) -> impl Iterator<Item = usize> + '_ {
    // (content start, content end, end of the closing delimiter) of every `$…$` and `\[…\]`.
    let mut spans = Vec::new();
    let mut open: Option<usize> = None;
    for (i, _) in line.match_indices('$') {
        // `\$` is a dollar sign; `$$` toggles twice, as a display opens and closes.
        if line[..i].ends_with('\\') {
            continue;
        }
        match open.take() {
            Some(from) => spans.push((from, i, i + 1)),
            None => open = Some(i + 1),
        }
    }
    for (i, _) in line.match_indices("\\]") {
        if let Some(from) = line[..i].rfind("\\[") {
            spans.push((from + 2, i, i + 2));
        }
    }
    spans.into_iter().filter_map(move |(from, to, end)| {
        // The span must state a result (`$y = 6$`, not `$x$` or `$\ $`), and the capitalised
        // word after it must start a sentence, not continue one (`$x$ Equals`).
        let states = line[from..to].contains('=');
        let rest = &line[end..];
        let next = rest.trim_start();
        let word = next
            .split(|c: char| !c.is_alphabetic())
            .next()
            .unwrap_or("")
            .to_lowercase();
        let connective = CONCLUSIONS.contains(&word.as_str());
        let continues =
            !connective && (LEAD_INS.contains(&word.as_str()) || DOUBTS.contains(&word.as_str()));
        (states
            && !continues
            && next.len() < rest.len()
            && next.starts_with(|c: char| c.is_ascii_uppercase()))
        .then_some(end)
    })
}

/// Whether the text after an answer's line is free of retractions and of other answers.
pub(crate) fn later_is_quiet(later: &str) -> bool {
    let later = before_chat_token(later).to_lowercase();
    // The next line must not continue the answer (`$$\times 10^3$$`, `\text{thousand}`).
    let next = later
        .split('\n')
        .map(|l| {
            l.trim()
                .trim_start_matches(['$', ' '])
                .trim_start_matches("\\[")
                .trim()
        })
        .find(|l| !l.is_empty() && *l != "\\]" && *l != "\\)")
        .unwrap_or("");
    let next = next.trim_start_matches("\\text{").trim_start_matches("\\(");
    let first_word = next
        .split(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("");
    let continues = next.starts_with(['+', '-', '*', '/', '^', '×', '·', '='])
        || next.starts_with("\\times")
        || next.starts_with("\\cdot")
        || NUMBER_WORDS.contains(&first_word);
    if continues {
        return false;
    }
    if later.contains("\\boxed") || later.contains("\\fbox") || later.contains("answer") {
        return false;
    }
    // The closing formula is no claim (`correct` is a stem below).
    let later = later.replace("i hope it is correct", " ");
    let ws: Vec<&str> = words(&later).collect();
    let retracted = ws.iter().any(|w| {
        RETRACTIONS.contains(w)
            || w.ends_with("n't")
            || RETRACTION_STEMS.iter().any(|stem| w.starts_with(stem))
    });
    // After the answer, any number states another value, however it is phrased (`I meant 6`,
    // `5 \to 6`, `Make that six`, `Thus 6.`): what follows an answer may explain in words,
    // never in values. (An explanation with numbers after the answer is refused with it.)
    let numbered = ws.iter().any(|w| words::states_number(w));
    !retracted && !numbered
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || c == '{' || c == '}')
        .map(|w| w.trim_matches(|c: char| c.is_ascii_punctuation() && c != '\\' && c != '\''))
        .map(|w| w.trim_matches(|c: char| c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
}

/// A doubt anywhere in `text` (the answer's line before it; `\text{not}` counts as `not`).
fn doubtful(text: &str) -> bool {
    let lower = conditional::without_defining_ifs(&text.to_lowercase().replace('’', "'"));
    let ws: Vec<&str> = words(&lower).collect();
    ws.iter().enumerate().any(|(i, w)| {
        let w = w
            .trim_start_matches("\\text")
            .trim_start_matches("\\textbf");
        // `the smallest possible value`: an extreme, not a guess.
        let extreme = w == "possible" && i > 0 && SUPERLATIVES.contains(&ws[i - 1]);
        // `the number of points that could be in the domain is 19`: what is counted, not a
        // hedge on the count (`it could be 19` is one).
        // No number or math between `could` and that verb: `The count, which could be 20, is
        // 19` names another value.
        let relative = w == "could" && i > 1 && ["that", "which"].contains(&ws[i - 1]) && {
            let verb = ws[i + 1..]
                .iter()
                .position(|v| ["is", "are", "was", "were"].contains(v));
            verb.is_some_and(|k| {
                ws[i + 1..i + 1 + k]
                    .iter()
                    .all(|v| !words::states_number(v))
            })
        };
        // `the angle between the lines`: a place, not a range of answers (`between 4 and 5`);
        // a range of counted things far from the answer belongs to the question (`the years
        // between 2000 and 3000 that ... is`; not `is in between 4 and 6, so the midpoint:`).
        let counted = i > 0 && {
            let noun = ws[i - 1];
            noun.len() > 3
                && noun.ends_with('s')
                && ![
                    "lies", "falls", "ranges", "values", "answers", "results", "sits",
                ]
                .contains(&noun)
        };
        let place = w == "between"
            && ((ws.len() - i > 4 && counted)
                || ws.get(i + 1).is_some_and(|next| {
                    ["the", "two", "these", "those", "each", "its", "their"].contains(next)
                }));
        !extreme
            && !relative
            && !place
            && (DOUBTS.contains(&w) || w.ends_with("n't") || !w.is_ascii())
    })
}

/// The text before an answer ends, in its line, with a lead-in (or nothing), and holds no
/// doubt; an answer that opens its line is also checked against the line above.
fn committed_before(before: &str) -> bool {
    let (above, line) = before.rsplit_once('\n').unwrap_or(("", before));
    let line = strip_open_delimiters(line);
    let (joined, labelled_away) = lead_in::logical_line(before);
    let joined = strip_open_delimiters(&joined);
    if labelled_away || doubted(line) || doubted(joined) || !lead_in::answer_named_plainly(joined) {
        return false;
    }
    // A quoted line (`> The answer is \boxed{5}`) or a code block is someone else's text.
    let fences = before.matches("```").count();
    if line.trim_start().starts_with('>') || fences % 2 == 1 {
        return false;
    }
    if line.is_empty() {
        // The first line above with words: no doubt in it (`Maybe:\n$$\boxed{5}$$`, `## Wrong
        // answer`, `perhaps\n\[\n\boxed{5}`).
        let last = above
            .rsplit('\n')
            .map(strip_open_delimiters)
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        // `a total of 20 apples, a total of\n\boxed{28}`: a lead-in there is judged as in the
        // answer's own line.
        // `The answer is 6.\n\boxed{5}`: the line above already gave an answer.
        let lower = last.to_lowercase();
        let restated = lower.contains("answer") && words(&lower).any(words::states_number);
        return !doubtful(scope(last, &sentence_ends(last)))
            && named_quantity(last) != Some(false)
            && lead_in::answer_named_plainly(last)
            && !restated;
    }

    let lower = line.to_lowercase();
    let last = lower
        .rsplit(|c: char| c.is_whitespace())
        .next()
        .unwrap_or("")
        .trim_start_matches("**")
        .trim_end_matches("**");
    let named_quantity = named_quantity(line) == Some(true);
    // `Excluded: \boxed{5}`: a colon leads in only after a label that names the answer, and an
    // equals sign only after what may be it (`decoy = \boxed{5}`).
    let labelled = (!last.ends_with(':') || lead_in::label_ok(line))
        && (!last.ends_with('=') || lead_in::equated_ok(line));
    named_quantity
        || variable_in(before).is_some()
        || labelled
            && LEAD_INS.iter().any(|lead| {
                last == *lead
                    || (lead.len() == 1 && last.ends_with(lead))
                    || last.trim_end_matches([',', ':']) == *lead
            })
}

/// The variable of `$x \in` that ends `before` (the text before an answer): the answer is that
/// variable's range, and is read as `x \in …` so that it must be one (`x \in \boxed{5}` is not).
pub(crate) fn variable_in(before: &str) -> Option<char> {
    let head = strip_open_delimiters(before)
        .strip_suffix("\\in")?
        .trim_end();
    let v = head.chars().next_back().filter(char::is_ascii_alphabetic)?;
    // The variable opens its math span (`$x \in`, not `$\ln x \in` or `x > 5, x \in`), and
    // the text before the span commits as it would before the answer itself.
    let raw = &head[..head.len() - 1];
    if raw.rsplit('\n').next().is_some_and(|l| l.trim().is_empty()) {
        // The variable opens its line: the line above must not doubt it (`Maybe:\nx \in …`).
        return committed_before(&format!("{}\n", raw.trim_end())).then_some(v);
    }
    let span = raw.trim_end();
    let outside = ["$", "\\(", "\\["]
        .iter()
        .find_map(|d| span.strip_suffix(d))?;
    committed_before(outside).then_some(v)
}

/// What follows an answer in its line: closing delimiters and sentence punctuation (never a
/// `!`, a factorial when it touches the answer), then nothing, the closing phrase, or unit
/// words; the unit words are returned.
fn committed_after(after: &str, counting: bool) -> Option<Option<String>> {
    // Chat-template tokens end the text (`<|im_start|>`).
    let after = before_chat_token(after);
    let mut rest = after.trim();
    loop {
        if rest.starts_with('}') {
            // A box inside another command's argument: `\sqrt{\boxed{5}}`.
            return None;
        }
        let before = rest.len();
        for d in ["$", "\\)", "\\]", "\\quad", "\\qquad"] {
            rest = rest.strip_prefix(d).unwrap_or(rest).trim_start();
        }
        if let Some(env) = rest.strip_prefix("\\end{") {
            rest = env.split_once('}').map_or("", |(_, r)| r).trim_start();
        }
        // A sentence's full stop inside the display, before it closes: `\boxed{5}. \end{align*}`.
        if let Some(stop) = rest.strip_prefix(['.', ',']) {
            let stop = stop.trim_start();
            if ["\\end{", "\\]", "$$"].iter().any(|d| stop.starts_with(d)) {
                rest = stop;
            }
        }
        if rest.len() == before {
            break;
        }
    }
    // Sentence punctuation, then only closing delimiters may remain.
    let end = rest.trim_end_matches(['$', ' ', '\\', ']', ')']);
    let end = end.trim_end_matches(['.', ',', ';']).trim_end();
    if end.is_empty() || end.starts_with(['.', ',', ';']) && end.len() <= 1 {
        return Some(None);
    }
    let lower = end.trim_start_matches(['.', ',', ';', ' ']).to_lowercase();
    if lower.is_empty() || CLOSERS.contains(&lower.as_str()) {
        return Some(None);
    }
    // One or two unit words and nothing else: `\boxed{5} apples.`, `$24$ cm.`
    let tail = end.trim_start_matches(['.', ',', ';', ' ']);
    // `There are 12 sequences that meet the conditions. I hope it is correct.`
    // (ASCII case only: the byte offsets must stay those of `tail`.)
    let counted = tail
        .to_ascii_lowercase()
        .strip_suffix("i hope it is correct")
        .and_then(|head| head.trim_end().strip_suffix('.'))
        .map_or(tail, |head| tail[..head.len()].trim_end());
    match unit_words(tail) {
        Some(unit) => Some(Some(unit)),
        None if counting && counted_phrase(counted) => Some(None),
        None if time_qualifier(counted) => Some(None),
        None => None,
    }
}

/// `after 5 years`, `in two hours`: when the boxed value holds, a qualifier that names no
/// second value of the answer's kind (`\boxed{\$16386.17} after 5 years`).
fn time_qualifier(tail: &str) -> bool {
    let lower = tail.to_ascii_lowercase();
    let ws: Vec<&str> = lower.split_whitespace().collect();
    let [preposition, count, unit] = ws[..] else {
        return false;
    };
    let count_ok = (count.len() <= 4 && count.bytes().all(|b| b.is_ascii_digit()))
        || NUMBER_WORDS.contains(&count)
        || ["a", "an", "one"].contains(&count);
    ["after", "in", "within", "over", "for"].contains(&preposition)
        && count_ok
        && [
            "second", "seconds", "minute", "minutes", "hour", "hours", "day", "days", "week",
            "weeks", "month", "months", "year", "years",
        ]
        .contains(&unit)
}

/// What a count after `there are` counts, in the rest of its sentence: `ways to arrange the
/// books`, `distinct possible values for $B$`. No number, digit or symbol that computes or
/// relates, no second sentence, no doubt or retraction (`ways, or maybe 7`, `ways. Wait`; but
/// `possible` describes what is counted), at most twelve words.
fn counted_phrase(tail: &str) -> bool {
    let lower = tail.to_lowercase();
    let ws: Vec<&str> = words(&lower).collect();
    let plain = !tail
        .chars()
        .any(|c| c.is_ascii_digit() || "=<>+*/^|.!?;:".contains(c) || !c.is_ascii());
    plain
        && !ws.is_empty()
        && ws.len() <= 12
        && ws.iter().all(|&w| {
            // `possible values`: what is counted, not a hedge on the count.
            (w == "possible" || !DOUBTS.contains(&w))
                && !RETRACTIONS.contains(&w)
                && !NUMBER_WORDS.contains(&w)
                && !SCALING.contains(&w)
                && !w.ends_with("n't")
        })
}

/// `text` as one or two unit words (`square meters`, `cm`), if it is that.
fn unit_words(text: &str) -> Option<String> {
    let ws: Vec<&str> = text.split_whitespace().collect();
    if ws.is_empty() || ws.len() > 2 {
        return None;
    }
    ws.iter().all(|w| unit_word(w)).then(|| ws.join(" "))
}

/// Whether `w` can be a unit: a known short unit, or a word of four or more letters that is
/// not an adverb, an ordinal, a number word or a qualifier (`presumably`, `sixths`, `dozen`,
/// `thousand`, `maximum`, `recurring`).
pub(crate) fn unit_word(w: &str) -> bool {
    let bare = w.trim_end_matches('.');
    let lower = bare.to_lowercase();
    // Short units keep their case (`mW` is not `MW`).
    if SHORT_UNITS.contains(&bare) {
        return true;
    }
    let letters = bare.chars().filter(char::is_ascii_alphabetic).count();
    let shape = bare
        .chars()
        .all(|c| c.is_ascii_alphabetic() || c == '^' || c.is_ascii_digit());
    let morphology = [
        "ly", "ed", "th", "ths", "ing", "ish", "est", "illion", "fold",
    ]
    .iter()
    .any(|s| lower.ends_with(s));
    shape
        && letters >= 4
        && bare.starts_with(|c: char| c.is_ascii_alphabetic())
        && !morphology
        && !NOT_UNITS.contains(&lower.as_str())
        && !DOUBTS.contains(&lower.as_str())
        && !RETRACTIONS.contains(&lower.as_str())
        && !units::CHANGES_VALUE.contains(&lower.as_str())
        // `NUMBER_WORDS` and the cardinals (`3 four`).
        && !words::number_word(&lower)
}

/// `line` without the math delimiters and markup that may open just before an answer.
fn strip_open_delimiters(line: &str) -> &str {
    let mut t = line.trim_end();
    loop {
        let before = t.len();
        for d in ["$", "\\(", "\\[", "**", "\\displaystyle"] {
            t = t.strip_suffix(d).unwrap_or(t).trim_end();
        }
        if t.len() == before {
            return t;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str, answer: &str) -> bool {
        let start = text.find(answer).unwrap();
        committed(text, start, start + answer.len()).is_some()
    }

    #[test]
    fn plain_statements_commit() {
        for (text, answer) in [
            (
                "So the probability is \\boxed{\\frac{1}{2}}.",
                "\\boxed{\\frac{1}{2}}",
            ),
            ("The answer is $\\boxed{5}$.", "\\boxed{5}"),
            ("Therefore $x = \\boxed{5}$", "\\boxed{5}"),
            ("Thus the area is $12$ square units.", "$12$"),
            (
                "The final answer is $10,455$. I hope it is correct.",
                "$10,455$",
            ),
            ("\\boxed{7} apples", "\\boxed{7}"),
            ("Thus, \\boxed{7}", "\\boxed{7}"),
            ("\\[\n\\boxed{7}\n\\]", "\\boxed{7}"),
        ] {
            assert!(ok(text, answer), "{text}");
        }
        let t = "The length is \\boxed{5} centimeters.";
        let s = t.find("\\boxed").unwrap();
        assert_eq!(
            committed(t, s, s + "\\boxed{5}".len()),
            Some(Some("centimeters".into()))
        );
    }

    #[test]
    fn hedges_negations_and_expressions_do_not() {
        for (text, answer) in [
            ("Answer: 4 or \\boxed{5}", "\\boxed{5}"),
            ("The answer is 4, not \\boxed{5}.", "\\boxed{5}"),
            ("\\boxed{5} is wrong; it is 6", "\\boxed{5}"),
            ("\\boxed{5}\nWait, that's wrong.", "\\boxed{5}"),
            ("Maybe:\n$$\\boxed{5}$$", "\\boxed{5}"),
            ("$\\sqrt{\\boxed{5}}$", "\\boxed{5}"),
            ("$x > \\boxed{5}$", "\\boxed{5}"),
            ("$x ≤ \\boxed{5}$", "\\boxed{5}"),
            ("$\\det \\boxed{5}$", "\\boxed{5}"),
            ("❌ \\boxed{5}", "\\boxed{5}"),
            ("$\\boxed{5}^2$", "\\boxed{5}"),
            ("$-\\boxed{5}$", "\\boxed{5}"),
            ("The answer might be \\boxed{5}.", "\\boxed{5}"),
            ("The answer is \\text{not} \\boxed{5}.", "\\boxed{5}"),
            ("The answer isn’t $5$.", "$5$"),
            ("Answer: half of $5$", "$5$"),
            ("The population is $5$ million.", "$5$"),
            ("Answer: $5$, approximately", "$5$"),
            ("Answer: $5$ (rounded)", "$5$"),
            ("It's $4$; possibly $5$", "$5$"),
            ("\\boxed{4} / \\boxed{5}", "\\boxed{5}"),
            ("So the answer is \\boxed{5} presumably", "\\boxed{5}"),
            ("The result is \\boxed{5} equals 6", "\\boxed{5}"),
            ("Let $x = 5$.", "$x = 5$"),
        ] {
            assert!(!ok(text, answer), "{text}");
        }
    }
}

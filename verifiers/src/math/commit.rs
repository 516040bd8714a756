//! Whether an answer found in free text (a `\boxed{}`, a `$...$` span) is one the text commits
//! to: not hedged (`4 or \boxed{5}`, `not $5$`, `$5$, approximately`), not negated or retracted
//! in the same line (`\boxed{5} is wrong`), not changed by a word (`half of $5$`, `$5$
//! thousand`), and not part of a larger expression (`\sqrt{\boxed{5}}`, `x > \boxed{5}`,
//! `\boxed{5}^2`). A verifier is the reward of self-play: every way to state several answers or
//! to qualify one must fail, so what may surround a committed answer is a short allow-list.

/// Hedges and negations: none may be among the four words before the answer.
const HEDGES: &[&str] = &[
    "not",
    "no",
    "never",
    "cannot",
    "can't",
    "isn't",
    "wasn't",
    "aren't",
    "don't",
    "doesn't",
    "won't",
    "nor",
    "or",
    "unless",
    "if",
    "neither",
    "either",
    "maybe",
    "perhaps",
    "possibly",
    "probably",
    "likely",
    "unlikely",
    "hardly",
    "approximately",
    "approx",
    "about",
    "roughly",
    "around",
    "nearly",
    "almost",
    "\\approx",
    "≈",
    "~",
    "than",
    "except",
    "besides",
    "but",
    "without",
    "instead",
    "alternatively",
    "vs",
    "versus",
    "lean",
    "guess",
    "unsure",
];

/// Words that change the value that follows them: neither of the two words before the answer
/// may be one (`half of $5$`, `at least $5$`, `the square root of $5$`).
const MODIFIERS: &[&str] = &[
    "half", "twice", "double", "triple", "thrice", "negative", "minus", "plus", "times", "root",
    "square", "cube", "least", "most", "by", "over", "under", "below", "above", "exceeds",
    "exceed",
];

/// Closing phrases allowed after the answer, in the same line.
const CLOSERS: &[&str] = &[
    "i hope it is correct",
    "is the answer",
    "is the final answer",
    "is our answer",
];

/// Whether the answer `text[start..end]` is committed (see the module docs). `start` and `end`
/// include the answer's own delimiters (`\boxed{`…`}`, `$`…`$`).
pub(crate) fn committed(text: &str, start: usize, end: usize) -> bool {
    let (Some(before), Some(after)) = (text.get(..start), text.get(end..)) else {
        return false;
    };
    committed_before(before) && committed_after(after.split('\n').next().unwrap_or(""))
}

/// What may end the text before an answer: a word that is neither a hedge (among the last
/// four) nor a modifier (the last), or `=`/`:`; never an operator or a relation.
fn committed_before(before: &str) -> bool {
    let line = before.rsplit('\n').next().unwrap_or("");
    let trimmed = strip_open_delimiters(line);
    if let Some(c) = trimmed.chars().last() {
        if "-+*/^<>{(|!_".contains(c) && !trimmed.ends_with("\\{") {
            return false;
        }
    }
    if let Some(cmd) = last_command(trimmed) {
        if [
            "neq", "ne", "le", "leq", "ge", "geq", "lt", "gt", "sqrt", "frac", "dfrac", "cdot",
            "times", "pm", "mp", "approx", "sim", "not", "div", "left",
        ]
        .contains(&cmd)
        {
            return false;
        }
    }
    let words: Vec<String> = trimmed
        .split_whitespace()
        .rev()
        .take(4)
        .map(|w| {
            w.trim_matches(|c: char| c.is_ascii_punctuation() && c != '\\' && c != '~')
                .to_ascii_lowercase()
        })
        .collect();
    let hedged = words
        .iter()
        .any(|w| HEDGES.contains(&w.as_str()) || w.ends_with("n't"));
    let modified = words
        .iter()
        .take(2)
        .any(|w| MODIFIERS.contains(&w.as_str()));
    !hedged && !modified
}

/// What may follow an answer in its line: closing delimiters and punctuation (never a `!`, a
/// factorial when it touches the answer), then nothing, a
/// closing phrase, or prose (even with math in it: `$\boxed{2}$ values for $B$`) that starts
/// with a word and holds no word that qualifies or retracts the answer (`or`, `not`, `wrong`,
/// `thousand`, `wait`) and no question. Never an operator or another value right after it.
fn committed_after(after: &str) -> bool {
    // Chat-template tokens end the text (`<|im_start|>`).
    let after = after.split("<|").next().unwrap_or("");
    let mut rest = after.trim_start();
    loop {
        if rest.starts_with('}') {
            // A box inside another command's argument: `\sqrt{\boxed{5}}`.
            return false;
        }
        let before = rest.len();
        for d in ["$", "\\)", "\\]", ".", ",", ";", "\\quad", "\\\\"] {
            rest = rest.strip_prefix(d).unwrap_or(rest).trim_start();
        }
        if let Some(env) = rest.strip_prefix("\\end{") {
            rest = env.split_once('}').map_or("", |(_, r)| r).trim_start();
        }
        if rest.len() == before {
            break;
        }
    }
    if rest.is_empty() {
        return true;
    }
    let lower = rest.to_ascii_lowercase();
    let closing = lower.trim_end_matches(['.', '!', ' ']);
    if CLOSERS.contains(&closing) {
        return true;
    }
    // Prose starts with a letter (or `\text`); an operator, digit or bracket continues the math.
    let starts_prose =
        lower.starts_with(|c: char| c.is_ascii_alphabetic()) || lower.starts_with("\\text");
    if !starts_prose || lower.contains('?') {
        return false;
    }
    lower
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| c.is_ascii_punctuation()))
        .all(|w| !qualifies(w) && w != "and" && w != "also")
}

/// Words that qualify or retract an answer when they follow it.
const NOT_AFTER: &[&str] = &[
    "wrong",
    "incorrect",
    "false",
    "fails",
    "fail",
    "invalid",
    "impossible",
    "undefined",
    "thousand",
    "thousands",
    "million",
    "millions",
    "billion",
    "hundred",
    "dozen",
    "squared",
    "cubed",
    "factorial",
    "more",
    "fewer",
    "less",
    "greater",
    "smaller",
    "larger",
    "higher",
    "lower",
    "rounded",
    "ish",
    "percent",
    "times",
    "then",
    "but",
    "wait",
    "cube",
    "cubes",
    "not",
    "no",
    "nope",
    "instead",
    "actually",
    "correction",
    "oops",
    "hmm",
    "unless",
];

/// Words that qualify, negate or change a value, also as trailing "units": `5 never`,
/// `5 possibly`, `5 doubled`.
pub(crate) fn qualifies(word: &str) -> bool {
    const MORE: &[&str] = &[
        "nope",
        "true",
        "doubled",
        "halved",
        "negated",
        "reciprocal",
        "inverse",
        "hundredths",
        "tenths",
        "thousandths",
        "grand",
        "score",
        "gross",
        "lakh",
        "lakhs",
        "crore",
        "crores",
        "basis",
        "points",
        "maybe",
        "roughly",
        "perhaps",
        "exactly",
        "only",
        "total",
    ];
    HEDGES.contains(&word) || NOT_AFTER.contains(&word) || MORE.contains(&word)
}

/// `line` without the math delimiters that may open just before an answer (`$`, `\(`, `\[`).
fn strip_open_delimiters(line: &str) -> &str {
    let mut t = line.trim_end();
    loop {
        let before = t.len();
        for d in ["$", "\\(", "\\["] {
            t = t.strip_suffix(d).unwrap_or(t).trim_end();
        }
        if t.len() == before {
            return t;
        }
    }
}

/// The name of a backslash command that ends `text` (`x \neq` gives `neq`).
fn last_command(text: &str) -> Option<&str> {
    let letters = text
        .bytes()
        .rev()
        .take_while(u8::is_ascii_alphabetic)
        .count();
    let at = text.len() - letters;
    (letters > 0 && text[..at].ends_with('\\')).then(|| &text[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str, answer: &str) -> bool {
        let start = text.find(answer).unwrap();
        committed(text, start, start + answer.len())
    }

    #[test]
    fn plain_statements_commit() {
        assert!(ok(
            "So the probability is \\boxed{\\frac{1}{2}}.",
            "\\boxed{\\frac{1}{2}}"
        ));
        assert!(ok("The answer is $\\boxed{5}$.", "\\boxed{5}"));
        assert!(ok("Therefore $x = \\boxed{5}$", "\\boxed{5}"));
        assert!(ok("Thus the area is $12$ square units.", "$12$"));
        assert!(ok(
            "The final answer is $10,455$. I hope it is correct.",
            "$10,455$"
        ));
        assert!(ok("\\boxed{7} apples", "\\boxed{7}"));
    }

    #[test]
    fn hedges_negations_and_expressions_do_not() {
        for (text, answer) in [
            ("Answer: 4 or \\boxed{5}", "\\boxed{5}"),
            ("The answer is 4, not \\boxed{5}.", "\\boxed{5}"),
            ("\\boxed{5} is wrong; it is 6", "\\boxed{5}"),
            ("$\\sqrt{\\boxed{5}}$", "\\boxed{5}"),
            ("$x > \\boxed{5}$", "\\boxed{5}"),
            ("$\\boxed{5}^2$", "\\boxed{5}"),
            ("$-\\boxed{5}$", "\\boxed{5}"),
            ("The answer isn't $5$.", "$5$"),
            ("Answer: half of $5$", "$5$"),
            ("The population is $5$ million.", "$5$"),
            ("Answer: $5$, approximately", "$5$"),
            ("Answer: $5$ (rounded)", "$5$"),
            ("It's $4$; possibly $5$", "$5$"),
            ("\\boxed{4} / \\boxed{5}", "\\boxed{5}"),
        ] {
            assert!(!ok(text, answer), "{text}");
        }
    }
}

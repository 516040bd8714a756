//! What may stand right before an answer's marker or a label's colon, so that the value after
//! it is the answer and not something said about it (`Half of the answer is 5`, `Excluded:
//! \boxed{5}`). (An equation's left side may be the asked quantity, `x - p = \boxed{2-2p}`,
//! so `2x = \boxed{5}` stands.)

use super::sentence_ends;
use super::words;

/// Words a sentence may hold before `answer is` / `answer:` (`So, the final answer is`,
/// `In conclusion, our answer:`). Anything else makes the marker name another quantity or
/// qualify it (`Half of the answer is`, `Bob's answer is`, `Misreading the problem, the
/// answer is`, `For n odd the answer is`).
const MARKER_HEAD: &[&str] = &[
    "the",
    "final",
    "answer",
    "so",
    "thus",
    "therefore",
    "hence",
    "and",
    "our",
    "my",
    "correct",
    "overall",
    "in",
    "conclusion",
    "summary",
    "then",
    "now",
    "clearly",
    "finally",
    "this",
    "means",
    "that",
    "which",
    "\\therefore",
];

/// The line before an answer joined with the line above when it continues it (`Wrongly\nthe
/// answer is`: it starts in lower case and the line above does not end a sentence), and
/// whether a label line above sets it aside (`Wrong:\nThe answer is`).
pub(super) fn logical_line(before: &str) -> (String, bool) {
    let (above, line) = before.rsplit_once('\n').unwrap_or(("", before));
    let prev = above
        .rsplit('\n')
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim_end();
    let labelled_away = prev.ends_with(':') && !label_ok(prev);
    let continues = line
        .trim_start()
        .starts_with(|c: char| c.is_ascii_lowercase())
        && !prev.is_empty()
        && !prev.ends_with(['.', '!', '?', ':', '$', ']', ')', '}']);
    let joined = if continues {
        format!("{prev} {line}")
    } else {
        line.to_string()
    };
    (joined, labelled_away)
}

/// Whether the sentence before a marker (the end of `line`) holds only [`MARKER_HEAD`] words
/// and step labels (`Step 3:`).
pub(super) fn plain_marker_head(line: &str) -> bool {
    // The sentence starts after its last full stop or a closed display (`\\end{align*} Final
    // Answer: The final answer is`); inline math stays in it (`$2\\times$ the answer is`).
    let display_end = line
        .rfind("\\end{")
        .and_then(|i| line[i..].find('}').map(|k| i + k + 1));
    let start = sentence_ends(line)
        .last()
        .copied()
        .into_iter()
        .chain(
            ["\\]", "$$"]
                .iter()
                .filter_map(|d| line.rfind(d).map(|i| i + d.len())),
        )
        .chain(display_end)
        .max()
        .unwrap_or(0);
    let head = line[start..].to_lowercase();
    // Clauses before the marker's own may give its reason (`Since $0<|x|<1$, the answer is`),
    // never a condition or a reading (`Misreading the problem,`, `For n odd`, `In thousands,`).
    let clauses: Vec<&str> = head.split(',').collect();
    let (own, reasons) = clauses.split_last().unwrap_or((&"", &[]));
    let ws: Vec<&str> = words(own).collect();
    reasons.iter().all(|c| gives_a_reason(c))
        && ws.iter().enumerate().all(|(i, w)| {
            MARKER_HEAD.contains(w)
                || *w == "step"
                || (i > 0 && ws[i - 1] == "step" && w.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// Words that open a clause giving the reason for an answer (`Since`, `Because`).
const REASONS: &[&str] = &["since", "because", "hence", "thus", "so", "therefore"];

/// Whether a clause before an answer's gives its reason (`Since $0<|x|<1$`) or only leads in
/// (`In conclusion`): opened by a reason word, with no adverb (`incorrectly`, `wrongly`) and
/// nothing that admits an error or another problem (`Since I misread it`, `Since we want
/// half of it`; review 15).
fn gives_a_reason(clause: &str) -> bool {
    let ws: Vec<&str> = words(clause).collect();
    if ws.iter().all(|w| MARKER_HEAD.contains(w)) {
        return true;
    }
    ws.first().is_some_and(|w| REASONS.contains(w)) && ws.iter().copied().all(admits_nothing)
}

/// A word of a clause before an answer that neither qualifies it (`incorrectly`), admits an
/// error or another problem (`misread`, `easier`), doubts, retracts nor sets it aside.
fn admits_nothing(w: &str) -> bool {
    let qualifies = w.len() > 4 && w.ends_with("ly");
    !(qualifies || doubts_or_retracts(w) || SETS_ASIDE.iter().any(|s| w.starts_with(s)))
}

/// A word that doubts, retracts or admits an error (`maybe`, `wrong`, `edited`, `misread`).
fn doubts_or_retracts(w: &str) -> bool {
    let stem = |stems: &[&str]| stems.iter().any(|s| w.starts_with(s));
    super::DOUBTS.contains(&w)
        || super::RETRACTIONS.contains(&w)
        || stem(REASON_DOUBTS)
        || stem(super::RETRACTION_STEMS)
}

/// `decoy = \\boxed{5}`, `x_{wrong} = \\boxed{5}`: what an equals sign equates the answer with
/// holds no word (or name part) that doubts, retracts or sets it aside (review 15).
pub(super) fn equated_ok(line: &str) -> bool {
    let head = line.trim_end().trim_end_matches('=').to_lowercase();
    let start = [',', ';', ':']
        .iter()
        .filter_map(|c| head.rfind(*c).map(|i| i + 1))
        .chain(sentence_ends(&head).last().copied())
        .max()
        .unwrap_or(0);
    // Bound first: the iterator borrows `head`, which a tail expression would outlive.
    let plain = !words(&head[start..])
        .flat_map(|w| w.split('_'))
        .any(doubts_or_retracts);
    plain
}

/// Beginnings of words that make a reason clause admit an error, a guess or another problem.
const REASON_DOUBTS: &[&str] = &[
    "mis",
    "blunder",
    "sloppy",
    "faulty",
    "careless",
    "forgot",
    "skip",
    "dropped",
    "oversight",
    "speculat",
    "different",
    "unrelated",
    "related",
    "easier",
    "toy",
    "warm",
    "want",
    "need",
    "joke",
    "hypothe",
    "pretend",
    "made",
    "dummy",
    "fake",
    "buggy",
    "before",
    "without",
    "simpler",
    "version",
    "2d",
    "3d",
    "up",
    "scaling",
    "factor",
    "stab",
    "heuristic",
    "interim",
    "decoy",
    "herring",
    "forbidden",
];

/// Labels whose colon leads in to an answer (`Answer: \boxed{5}`, `Total: \boxed{5}`, `x:`);
/// any other label may set the value aside (`Excluded:`, `Bob:`, `Step 1:`, `Mod 7:`).
const LABELS: &[&str] = &[
    "answer",
    "final answer",
    "the answer",
    "the final answer",
    "solution",
    "final solution",
    "result",
    "final result",
    "total",
    "thus",
    "so",
    "therefore",
    "hence",
    "conclusion",
    "in conclusion",
    "in summary",
];

/// Whether the label before a colon that ends `line` is one of [`LABELS`] or a variable's name
/// (`x:`, `n_1:`); `line` without its colon, lower-case, sentence taken from its start.
pub(super) fn label_ok(line: &str) -> bool {
    let lower = line.to_lowercase();
    let head = lower
        .trim_end()
        .trim_end_matches(':')
        .trim_end_matches("**");
    let start = sentence_ends(head).last().copied().unwrap_or(0);
    let label: Vec<&str> = words(&head[start..]).collect();
    // `The values of $k$ are:`: a statement's verb leads in as it does without the colon.
    let verb = label.last().is_some_and(|w| LEAD_IN_VERBS.contains(w))
        && label.iter().copied().all(admits_nothing);
    // `Special matrix:`, `Here is a zero matrix:`: a short label that names what follows,
    // with no word that sets it aside, quotes it or makes it a part or a step.
    let describes = (1..=5).contains(&label.len())
        && label.iter().any(|w| OBJECTS.contains(w))
        && label
            .iter()
            .all(|w| w.bytes().all(|b| b.is_ascii_alphabetic()) && admits_nothing(w));
    let label = label.join(" ");
    // `Answer?:`, `Answer (for n odd):`, `Answer format:`: a label about the answer is one of
    // the plain ones or none.
    if head[start..].contains('?') {
        return false;
    }
    if label.split(' ').any(|w| w.starts_with("answer")) {
        return LABELS.contains(&label.as_str());
    }
    verb || describes || LABELS.contains(&label.as_str()) || is_name(&label)
}

/// Whether the sentence before a box or a closing value (`line`, up to it) speaks of the
/// answer only as the answer: no words before `answer` but [`MARKER_HEAD`] ones and none
/// between it and the value but a verb of being (`The answer squared is`, `The answer to
/// part (a) is`, `Is the answer`, `Half of the answer is` are refused).
pub(super) fn answer_named_plainly(line: &str) -> bool {
    let mut lower = line.to_lowercase();
    // `the answer is $x \in`: a math span still open names the variable, not the answer.
    if lower.matches('$').count() % 2 == 1 {
        lower.truncate(lower.rfind('$').unwrap_or(lower.len()));
    }
    if let Some(open) = lower.rfind("\\(").filter(|&o| !lower[o..].contains("\\)")) {
        lower.truncate(open);
    }
    // Its sentence, after any label (`Final Answer: The smallest value of $N$ is`): nothing
    // but a verb between `answer` and the value (`The answer, divided by 3, is`); before
    // `answer`, its clause (`The roots are $-2$ and $1$, so the answer is`).
    let after = |cs: &[char]| {
        sentence_ends(&lower)
            .last()
            .copied()
            .into_iter()
            .chain(cs.iter().filter_map(|c| lower.rfind(*c).map(|i| i + 1)))
            .max()
            .unwrap_or(0)
    };
    let sentence_text = &lower[after(&[';', ':'])..];
    let sentence: Vec<&str> = words(sentence_text).collect();
    let Some(at) = sentence.iter().rposition(|w| w.contains("answer")) else {
        return true;
    };
    let clause: Vec<&str> = words(&lower[after(&[',', ';', ':'])..]).collect();
    let head = match clause.iter().rposition(|w| w.contains("answer")) {
        Some(k) => &clause[..k],
        None => &sentence[..at],
    };
    // Clauses before the answer's own state facts or give its reason; a short one that
    // qualifies it is refused (`Wrongly, the answer is`, `In thousands, the answer is`).
    let mut clauses: Vec<&str> = sentence_text.split(',').collect();
    clauses.pop();
    let stated = |c: &&str| {
        if words(c).count() <= 4 {
            gives_a_reason(c)
        } else {
            // A long statement may say `carefully`; it still admits nothing.
            words(c).all(|w| w.ends_with("ly") || admits_nothing(w))
        }
    };
    sentence[at] == "answer"
        && clauses.iter().all(stated)
        && head.iter().all(|w| MARKER_HEAD.contains(w))
        && sentence[at + 1..]
            .iter()
            .all(|w| ["is", "was", "will", "be", "equals", "="].contains(w))
}

/// Beginnings of label words that set a value aside or make it something other than the
/// answer (review 13: `Excluded:`, `Bob:`, `Subtotal:`, `Mod 7:`, `In thousands:`).
const SETS_ASIDE: &[&str] = &[
    "exclu",
    "rul",
    "elimin",
    "struck",
    "strik",
    "obsol",
    "supersed",
    "former",
    "prior",
    "old",
    "previous",
    "earlier",
    "error",
    "mistak",
    "typo",
    "invalid",
    "impossib",
    "spurious",
    "extraneous",
    "placeholder",
    "todo",
    "scratch",
    "conject",
    "student",
    "other",
    "alleg",
    "claim",
    "given",
    "recall",
    "step",
    "sub",
    "numerat",
    "denominat",
    "case",
    "base",
    "verif",
    "pending",
    "unconfirm",
    "option",
    "possib",
    "candidate",
    "mod",
    "digit",
    "square",
    "negat",
    "score",
    "page",
    "confiden",
    "runtime",
    "thousand",
    "dozen",
    "hundred",
    "million",
    "upper",
    "lower",
    "bound",
    "trap",
    "distract",
    "draft",
    "estimat",
    "approx",
    "naive",
    "hint",
    "part",
    "question",
    "problem",
    "example",
    "sample",
    "test",
    "check",
    "intermediate",
    "partial",
    "half",
    "double",
    "twice",
    "reciprocal",
    "inverse",
    "sqrt",
    "log",
    "exponent",
    "percent",
    "ratio",
    "bob",
    "alice",
    "user",
    "teacher",
    "book",
    "reference",
    "expected",
    "target",
    "gold",
    "key",
    "quote",
    "note",
    "aside",
    "bonus",
    "wrong",
    "bad",
    "reject",
    "discard",
    "drop",
    "ignor",
    "skip",
    "avoid",
    "not",
    "non",
    "false",
    "fake",
    "dummy",
    "random",
    "length",
    "index",
    "size",
    "width",
    "unit",
    "cm",
    "solv",
    "input",
    "data",
    "known",
    "running",
    "far",
    "lemma",
    "small",
    "order",
    "magnitude",
    "complement",
    "difficult",
    "rating",
    "line",
    "time",
    "first",
    "format",
    "another",
    "cube",
    "before",
    "initial",
    "origin",
];

/// What a describing label names (`Special matrix:`, `Here is a zero matrix:`); a label
/// without one of these may be anything (`Decoy:`, `Myth:`, `Initially:`; review 15).
const OBJECTS: &[&str] = &[
    "matrix",
    "matrices",
    "vector",
    "vectors",
    "value",
    "values",
    "number",
    "numbers",
    "sum",
    "product",
    "total",
    "area",
    "volume",
    "perimeter",
    "solution",
    "solutions",
    "roots",
    "set",
    "interval",
    "point",
    "points",
    "coordinates",
    "pair",
    "pairs",
    "probability",
    "expression",
    "polynomial",
    "function",
    "equation",
    "identity",
    "quotient",
    "count",
    "amount",
    "price",
    "cost",
    "distance",
    "speed",
    "angle",
];

/// Verbs that state the value after a colon (`... are:`, `... is:`).
const LEAD_IN_VERBS: &[&str] = &["is", "are", "be", "equals", "gives", "yields", "becomes"];

/// `x`, `n_1`, `x_{12}`, `\theta`, `AB`: a name and nothing else.
fn is_name(s: &str) -> bool {
    let s = s.trim();
    let bare = s.strip_prefix('\\').unwrap_or(s);
    let (head, sub) = bare.split_once('_').unwrap_or((bare, ""));
    let sub = sub.trim_start_matches('{').trim_end_matches('}');
    !head.is_empty()
        && head.chars().all(|c| c.is_ascii_alphabetic())
        && (head.len() == 1 || s.starts_with('\\') || head.chars().all(|c| c.is_ascii_uppercase()))
        && sub.chars().all(|c| c.is_ascii_alphanumeric())
        // `x_1`, `n_{12}`, `a_k`; not `x_wrong`, `n_guess`.
        && (sub.len() <= 2 || sub.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_labels_and_left_sides() {
        assert!(plain_marker_head("So, the final "));
        assert!(plain_marker_head("Step 3: The "));
        assert!(!plain_marker_head("Half of the "));
        assert!(!plain_marker_head("Misreading the problem, the "));
        assert!(label_ok("Final Answer:"));
        assert!(label_ok("x:"));
        assert!(!label_ok("Excluded:"));
        assert!(!label_ok("Step 1:"));
        assert!(equated_ok("So $x ="));
        assert!(equated_ok("The total area ="));
        assert!(!equated_ok("decoy ="));
        assert!(!equated_ok("$x_{wrong} ="));
        assert!(label_ok("the values of $k$ are:"));
        assert!(!label_ok("Answer format:"));
        assert!(!label_ok("Answer (for n odd):"));
        assert!(answer_named_plainly("So the final answer is "));
        assert!(answer_named_plainly("We get "));
        assert!(!answer_named_plainly("The answer squared is "));
        assert!(!answer_named_plainly("Is the answer "));
        assert!(answer_named_plainly("Thus, the answer is $x \\in "));
        assert!(answer_named_plainly(
            "The roots are $-2$ and $1$, so the answer is "
        ));
        assert!(!answer_named_plainly("The answer, divided by 3, is "));
        assert!(answer_named_plainly(
            "Final Answer: The smallest value of $N$ is "
        ));
        assert!(label_ok("Thus, the values of \\( k \\) are:"));
        assert!(plain_marker_head(
            "= 5. \\end{align*} Final Answer: The final "
        ));
    }
}

//! Grading a free-text prediction against a gold answer: [`grade_math`].

use serde::Serialize;

use super::answer::parse_answer_with_unit;
use super::escapes::undoubled;
use super::gold::gold_answer;
use super::options::MathOptions;
use super::prediction::{answer_candidate, answer_text, parse_checked, prediction, short};
use super::{MathError, MathValue};

/// The outcome of [`grade_math`]; serialises as exactly `{"correct", "gold", "pred", "reason"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MathGrade {
    pub correct: bool,
    /// The gold answer's canonical form (`1/2`, `(3, -1/2)`), if it parsed.
    pub gold: Option<String>,
    /// The prediction's canonical form, if an answer was found and parsed.
    pub pred: Option<String>,
    pub reason: String,
    /// Grading could not be done: the gold answer is malformed or a work bound was exceeded.
    /// (A verdict of `error`, not `incorrect`.)
    #[serde(skip)]
    pub error: bool,
}

impl MathGrade {
    fn fail(
        gold: Option<&MathValue>,
        pred: Option<&MathValue>,
        reason: String,
        error: bool,
    ) -> Self {
        MathGrade {
            correct: false,
            gold: gold.map(bounded),
            pred: pred.map(bounded),
            reason,
            error,
        }
    }
}

/// Grades free text `pred_text` against `gold` with the default options.
pub fn grade_math(gold: &str, pred_text: &str) -> MathGrade {
    grade_math_with(gold, pred_text, MathOptions::default())
}

/// Grades free text `pred_text` against `gold`.
pub fn grade_math_with(gold: &str, pred_text: &str, opts: MathOptions) -> MathGrade {
    // The verifier sets a budget for a whole attempt; alone, one grading gets its own.
    super::exact::with_default_budget(super::MAX_WORK_PER_ATTEMPT, || {
        grade_unbudgeted(gold, pred_text, opts)
    })
}

/// Longest canonical text reported for a gold or predicted value, in characters.
const MAX_REPORTED_CHARS: usize = 1000;

/// A value's canonical text, cut at [`MAX_REPORTED_CHARS`] (a huge expansion is reported by
/// its beginning, not written out in full).
fn bounded(v: &MathValue) -> String {
    let s = v.to_string();
    match s.char_indices().nth(MAX_REPORTED_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s,
    }
}

fn grade_unbudgeted(gold: &str, pred_text: &str, opts: MathOptions) -> MathGrade {
    let (gold, pred_text) = (&*undoubled(gold), &*undoubled(pred_text));
    // The gold as an answer; else, like a prediction, the answer found in it (a solution text
    // ending in `\boxed{}`); else it is compared as text.
    // Why the gold did not parse as it stands, when it was read as its labelled value: a
    // prediction that does not parse is then compared as text.
    let mut labelled: Option<MathError> = None;
    let (gold_v, gold_unit) = match parse_answer_with_unit(gold.trim()) {
        Ok(v) => v,
        Err(e) if e.is_limit() => {
            return MathGrade::fail(None, None, format!("gold answer: {e}"), true);
        }
        Err(e) => {
            match gold_answer(gold).map_or_else(|| prediction(gold, MathOptions::default()), Ok) {
                Ok(v) => v,
                Err(e2) if e2.is_limit() => {
                    return MathGrade::fail(None, None, format!("gold answer: {e2}"), true);
                }
                // A gold that names what it gives (`\frac{NO}{BO}=\frac{1}{\sqrt{6}}`, `|AB|=1`):
                // its value, against a prediction that parses (else the texts are compared).
                Err(_) => match labelled_value(gold).map(|l| (l, parse_answer_with_unit(l))) {
                    Some((_, Ok(v))) => {
                        labelled = Some(e);
                        v
                    }
                    Some((_, Err(e3))) if e3.is_limit() => {
                        return MathGrade::fail(None, None, format!("gold answer: {e3}"), true);
                    }
                    // `V_{1}:V_{2}=11:21`: the value the label names, as text.
                    Some((value, Err(_))) => return grade_as_text(value, pred_text, &e, opts),
                    None => return grade_as_text(gold, pred_text, &e, opts),
                },
            }
        }
    };
    let (pred_v, pred_unit) = match (prediction(pred_text, opts), &labelled) {
        (Ok(v), _) => v,
        (Err(_), Some(gold_err)) => return grade_as_text(gold, pred_text, gold_err, opts),
        (Err(e), None) => {
            let limit = e.is_limit();
            return MathGrade::fail(Some(&gold_v), None, format!("prediction: {e}"), limit);
        }
    };
    // `\pi \text{ degrees}`, `\arctan(1) deg`, `e^\circ`: degrees of a value in radians'
    // terms (π, `e`, a function) are not that value, and the angle itself is not understood.
    let degrees = |u: &str| ["degree", "deg", "°"].contains(&unit_key(u).as_str());
    if pred_unit.as_deref().is_some_and(degrees) && gold_unit.as_deref().is_none_or(|u| !degrees(u))
    {
        let shown = pred_v.to_string();
        // `e` is never a variable's name: a word `e` in the value is Euler's number.
        let euler = shown
            .split(|c: char| !c.is_alphanumeric())
            .any(|w| w == "e");
        if shown.contains('π') || shown.contains('(') || euler {
            return MathGrade::fail(
                Some(&gold_v),
                Some(&pred_v),
                "prediction: degrees of an expression with π, e or a function".into(),
                false,
            );
        }
    }
    // A reward's answer line carries at most a unit this grader knows, or the gold's own: any
    // other trailing word is one a model could learn to append (`3 tens`, `3 disregard this`).
    if opts.answer_line_only {
        if let Some(pu) = &pred_unit {
            let golds = gold_unit
                .as_deref()
                .is_some_and(|gu| unit_key(gu) == unit_key(pu));
            if !golds && !super::commit::known_unit(pu) {
                return MathGrade::fail(
                    Some(&gold_v),
                    Some(&pred_v),
                    format!("prediction: `{pu}` after the answer is not a known unit"),
                    false,
                );
            }
        }
    }
    let pred_v = decimal_comma(&gold_v, pred_v, pred_text, opts);
    let (g, p) = (bounded(&gold_v), bounded(&pred_v));
    if let (Some(gu), Some(pu)) = (&gold_unit, &pred_unit) {
        if unit_key(gu) != unit_key(pu) {
            return MathGrade::fail(
                Some(&gold_v),
                Some(&pred_v),
                format!("expected {g} {gu}, got {p} {pu}: the units differ"),
                false,
            );
        }
    }
    if pred_v.equivalent(&gold_v) {
        MathGrade {
            correct: true,
            reason: format!("{p} == {g}"),
            gold: Some(g),
            pred: Some(p),
            error: false,
        }
    } else {
        MathGrade {
            correct: false,
            reason: format!("expected {g}, got {p}"),
            gold: Some(g),
            pred: Some(p),
            error: false,
        }
    }
}

/// The right side of a gold answer `LABEL = VALUE` with one `=` outside brackets, whose left
/// side names a quantity (letters, subscripts, `|AB|`, `\frac{NO}{BO}`, `A:B`) and holds no
/// digit outside subscripts. Only the trusted gold is read so: a prediction's equation still
/// needs the asked variable.
fn labelled_value(gold: &str) -> Option<&str> {
    let t = gold.trim().trim_matches('$').trim();
    let mut depth = 0i32;
    let mut eq = None;
    for (i, c) in t.char_indices() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            '=' if depth == 0 => {
                if eq.is_some() {
                    return None;
                }
                eq = Some(i);
            }
            '<' | '>' | '≤' | '≥' if depth == 0 => return None,
            _ => {}
        }
    }
    let eq = eq?;
    let (label, value) = (t[..eq].trim(), t[eq + 1..].trim());
    let mut sub = false;
    let mut digits = false;
    for c in label.chars() {
        match c {
            '_' => sub = true,
            c if c.is_ascii_digit() => digits |= !sub,
            '{' | '}' | ' ' | '\\' | ':' | '|' => {}
            c if c.is_alphabetic() => sub = false,
            _ => return None,
        }
    }
    let letters = label.chars().any(char::is_alphabetic);
    (letters && !digits && !value.is_empty()).then_some(value)
}

/// A gold answer that is not an exact rational value (`\sqrt{2}`, `2\pi`): the prediction is
/// right only if it is the same text up to layout ([`text_form`]). A gold answer that does not
/// parse for another reason grades as an error unless the texts match.
fn grade_as_text(
    gold: &str,
    pred_text: &str,
    gold_err: &MathError,
    opts: MathOptions,
) -> MathGrade {
    let g = text_form(&answer_candidate(gold).map_or_else(|_| gold.to_string(), |(c, _)| c));
    let p = answer_text(pred_text, opts).ok().map(|c| text_form(&c));
    let irrational = matches!(gold_err, MathError::NotRational(_));
    let grade = |correct: bool, reason: String, error: bool| MathGrade {
        correct,
        gold: Some(g.clone()),
        pred: p.clone(),
        reason,
        error,
    };
    match &p {
        Some(p) if !g.is_empty() && *p == g => {
            grade(true, format!("{p} == {g} (as text: {gold_err})"), false)
        }
        _ if irrational => grade(
            false,
            format!(
                "expected {g} ({gold_err}), got {}",
                p.as_deref().unwrap_or("no answer")
            ),
            false,
        ),
        _ => MathGrade::fail(
            None,
            None,
            format!("gold answer `{}` does not parse: {gold_err}", short(gold)),
            true,
        ),
    }
}

/// Text with layout removed: no whitespace or `$`, `\left`/`\right`/spacing commands dropped,
/// `\dfrac`/`\tfrac` as `\frac`, at most [`super::MAX_INPUT_BYTES`] bytes considered.
fn text_form(s: &str) -> String {
    let s: String = s.chars().take(super::MAX_INPUT_BYTES).collect();
    let mut t = s.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac");
    for junk in ["\\!", "\\,", "\\;", "\\:", "\\displaystyle"] {
        t = t.replace(junk, " ");
    }
    // `\left(` and `\right)` are layout; `\leftarrow` is not.
    for sizing in ["\\left", "\\right"] {
        let mut out = String::with_capacity(t.len());
        let mut rest = t.as_str();
        while let Some(i) = rest.find(sizing) {
            let after = &rest[i + sizing.len()..];
            out.push_str(&rest[..i]);
            if after.starts_with(|c: char| c.is_ascii_alphabetic()) {
                out.push_str(sizing);
            }
            rest = after;
        }
        out.push_str(rest);
        t = out;
    }
    // Whitespace matters only between two letters or digits (`1 2 3` is not `123`).
    let unwrapped = unwrap_text(&t).replace('$', " ");
    let chars: Vec<char> = unwrapped.trim().chars().collect();
    let mut t = String::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let prev = t.chars().last();
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            let word = |c: Option<&char>| c.is_some_and(|c| c.is_alphanumeric());
            if word(prev.as_ref()) && word(next) && prev != Some(' ') {
                t.push(' ');
            }
        } else {
            t.push(c);
        }
    }
    // One sentence period goes; an ellipsis stays (`0.333...` is not `0.333`).
    let t = match t.strip_suffix('.') {
        Some(rest) if !rest.ends_with('.') => rest.to_string(),
        _ => t,
    };
    // A multiple-choice letter: `(C)` is `C`.
    match t.as_bytes() {
        [b'(', c, b')'] if c.is_ascii_uppercase() => (*c as char).to_string(),
        _ => t,
    }
}

/// `\text{odd}` as `odd`: text commands around brace-free content are dropped.
fn unwrap_text(s: &str) -> String {
    const COMMANDS: [&str; 8] = [
        "\\textnormal{",
        "\\textbf{",
        "\\textit{",
        "\\textrm{",
        "\\text{",
        "\\mathrm{",
        "\\mathbf{",
        "\\mbox{",
    ];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    'scan: while !rest.is_empty() {
        for c in COMMANDS {
            if let Some(after) = rest.strip_prefix(c) {
                if let Some(close) = after
                    .find(['{', '}'])
                    .filter(|k| after[*k..].starts_with('}'))
                {
                    out.push_str(&after[..close]);
                    rest = &after[close + 1..];
                    continue 'scan;
                }
            }
        }
        let mut chars = rest.chars();
        if let Some(ch) = chars.next() {
            out.push(ch);
        }
        rest = chars.as_str();
    }
    out
}

/// A unit's comparable form: without periods; a word of five or more letters also without case
/// and plural (`Inches.` = `inch`), while short units keep both (`mW` ≠ `MW`, `Mmol` ≠ `mmol`,
/// `m` ≠ `ms`).
fn unit_key(u: &str) -> String {
    let u = u.replace('.', "");
    // Case is part of short units and of units with inner capitals (`MBps` ≠ `Mbps`).
    let inner_capital = u.chars().skip(1).any(|c| c.is_ascii_uppercase());
    if u.chars().filter(char::is_ascii_alphabetic).count() < 5 || inner_capital {
        return u;
    }
    let u = u.to_ascii_lowercase();
    let u = u
        .strip_suffix("es")
        .filter(|s| s.ends_with("ch"))
        .unwrap_or(&u);
    u.strip_suffix('s').unwrap_or(u).to_string()
}

/// `2,74` against a single number: a decimal comma, when the pair reading `(2, 74)` is the only
/// other and the group after the comma is not three digits (then it would group thousands).
/// Only for a prediction against a number gold: a gold `3,5` is the list a dataset means by it
/// (`3.5` does not match it).
fn decimal_comma(gold: &MathValue, pred: MathValue, text: &str, opts: MathOptions) -> MathValue {
    let MathValue::Number { .. } = gold else {
        return pred;
    };
    if !matches!(&pred, MathValue::List(items) if items.len() == 2) {
        return pred;
    }
    let Ok(cand) = answer_text(text, opts) else {
        return pred;
    };
    let c = cand.trim();
    let Some((int, frac)) = c.trim_start_matches('-').split_once(',') else {
        return pred;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    // Three digits after the comma group thousands, unless the head is `0` (`0,111`). A
    // trailing zero (`2,0`, `1,50`) is the list's reading: a decimal needs no such digit, and
    // `Answer: 2,0` would otherwise pass both for 2 and for the roots `2, 0` (review 14).
    if !digits(int) || !digits(frac) || (frac.len() == 3 && int != "0") || frac.ends_with('0') {
        return pred;
    }
    match parse_checked(&c.replacen(',', ".", 1), opts) {
        Ok((v, _)) => v,
        Err(_) => pred,
    }
}

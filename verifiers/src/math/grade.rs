//! Grading a free-text prediction against a gold answer: [`grade_math`].

use serde::Serialize;

use super::answer::parse_answer;
use super::extract::{extract_answer, last_number, AnswerSource};
use super::lexer::{lex, Tok};
use super::{MathError, MathValue};

/// How lenient grading is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct MathOptions {
    /// With no answer marker and no parseable whole text, grade the last number in the text.
    /// Off by default: a model that never commits to an answer should not score by luck.
    pub last_number_fallback: bool,
    /// The answer must be written as a number (sign, integer, decimal, fraction, mixed number,
    /// percentage), not as arithmetic: for the arithmetic family, where restating the prompt's
    /// expression would otherwise be "correct".
    pub require_number_form: bool,
}

impl MathOptions {
    pub fn with_last_number_fallback(mut self, on: bool) -> Self {
        self.last_number_fallback = on;
        self
    }
    pub fn with_number_form(mut self, on: bool) -> Self {
        self.require_number_form = on;
        self
    }
}

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
            gold: gold.map(ToString::to_string),
            pred: pred.map(ToString::to_string),
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
    let gold_v = match parse_answer(gold.trim()) {
        Ok(v) => v,
        Err(e) => return grade_as_text(gold, pred_text, &e),
    };
    let pred_v = match prediction(pred_text, opts) {
        Ok(v) => v,
        Err(e) => {
            let limit = e.is_limit();
            return MathGrade::fail(Some(&gold_v), None, format!("prediction: {e}"), limit);
        }
    };
    let (g, p) = (gold_v.to_string(), pred_v.to_string());
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

/// A gold answer that is not an exact rational value (`\sqrt{2}`, `2\pi`): the prediction is
/// right only if it is the same text up to layout ([`text_form`]). A gold answer that does not
/// parse for another reason grades as an error unless the texts match.
fn grade_as_text(gold: &str, pred_text: &str, gold_err: &MathError) -> MathGrade {
    let g = text_form(gold);
    let found = mull_data::cot::parse_completion(pred_text).final_answer;
    let p = extract_answer(found.as_deref().unwrap_or(pred_text)).map(|(c, _)| text_form(&c));
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
    for junk in [
        "\\left",
        "\\right",
        "\\!",
        "\\,",
        "\\;",
        "\\:",
        "\\displaystyle",
    ] {
        t = t.replace(junk, "");
    }
    t.chars()
        .filter(|c| !c.is_whitespace() && *c != '$')
        .collect::<String>()
        .trim_end_matches('.')
        .to_string()
}

/// Extracts and parses the predicted answer. The final answer is found by the chain-of-thought
/// parser of `mull_data::cot` (so the CLI and the verifier agree on which answer counts);
/// [`extract_answer`] then unwraps it (`\boxed{}` inside an answer line) or, when the parser
/// found none, looks at the whole text.
fn prediction(text: &str, opts: MathOptions) -> Result<MathValue, MathError> {
    let found = mull_data::cot::parse_completion(text).final_answer;
    let (cand, src) =
        extract_answer(found.as_deref().unwrap_or(text)).ok_or(MathError::NoAnswer)?;
    let parsed = parse_checked(&cand, opts);
    match parsed {
        Err(e) if src == AnswerSource::WholeText && opts.last_number_fallback && !e.is_limit() => {
            let n = last_number(text).ok_or(MathError::NoAnswer)?;
            parse_checked(&n, opts)
        }
        Err(e) if src == AnswerSource::WholeText && !e.is_limit() => Err(MathError::Syntax(
            format!("no answer marker, and the text is not an answer ({e})"),
        )),
        other => other,
    }
}

fn parse_checked(cand: &str, opts: MathOptions) -> Result<MathValue, MathError> {
    let v = parse_answer(cand)?;
    if opts.require_number_form {
        number_form(cand)?;
    }
    Ok(v)
}

/// Refuses answers written as arithmetic: `+`, `*`, `^`, roots, or a `-` that is not a sign.
fn number_form(cand: &str) -> Result<(), MathError> {
    let toks = lex(cand)?;
    let mut prev: Option<&Tok> = None;
    for t in &toks {
        let sign_position = matches!(
            prev,
            None | Some(
                Tok::Comma
                    | Tok::Eq
                    | Tok::LParen
                    | Tok::LBracket
                    | Tok::LBrace
                    | Tok::SetOpen
                    | Tok::Divide
            )
        );
        let arithmetic = match &t.tok {
            Tok::Plus | Tok::Times | Tok::Caret | Tok::Sqrt => true,
            Tok::Minus => !sign_position,
            _ => false,
        };
        if arithmetic {
            return Err(MathError::Syntax(format!(
                "`{}` is arithmetic, not a number",
                short(cand)
            )));
        }
        prev = Some(&t.tok);
    }
    Ok(())
}

fn short(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(60) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

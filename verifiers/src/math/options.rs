//! How lenient math grading is.

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
    /// The answer must be the last line of the text after `</think>`, and nothing but the
    /// answer: `Answer: X`, `Final answer: X`, or a lone `\boxed{X}`. For rewards: free text
    /// around an answer can hedge or retract it in more ways than any word list covers, so the
    /// verifier asks for the format its prompts teach (`mull_data::cot::format_completion`).
    pub answer_line_only: bool,
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
    pub fn with_answer_line_only(mut self, on: bool) -> Self {
        self.answer_line_only = on;
        self
    }
}

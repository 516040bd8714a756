//! Errors of parsing and evaluating math answers and steps.

/// Why a math answer or expression could not be turned into an exact value.
///
/// [`MathError::is_limit`] separates "a work bound was exceeded" (the verdict is an error: the
/// grader refused to do the work) from "this is not a well-formed exact answer" (the answer is
/// simply wrong).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MathError {
    #[error("input is {len} bytes, over the limit of {max}")]
    InputTooLong { len: usize, max: usize },
    #[error("nesting deeper than {max} levels")]
    TooDeep { max: usize },
    #[error("a number has {digits} digits, over the limit of {max}")]
    LiteralTooLong { digits: usize, max: usize },
    #[error("a result would need about {bits} bits, over the limit of {max}")]
    TooBig { bits: u64, max: u64 },
    #[error("exponent {exponent} is out of range")]
    ExponentTooLarge { exponent: String },
    #[error("more than {max} elements")]
    TooManyElements { max: usize },
    #[error("the attempt's arithmetic needs more than {max} units of work")]
    WorkBudget { max: u64 },
    #[error("over a bound: {0}")]
    Bound(String),
    #[error("division by zero")]
    DivisionByZero,
    #[error("0^0 is undefined")]
    ZeroToZero,
    /// A function outside its domain (`\ln 0`), or an application that may be defined
    /// nowhere and cancels (`0 \cdot \sqrt{-1-x^2}`).
    #[error("undefined: {0}")]
    Undefined(String),
    #[error("not a rational number: {0}")]
    NotRational(String),
    #[error("unknown symbol `{0}`")]
    UnknownSymbol(String),
    #[error("cannot parse: {0}")]
    Syntax(String),
    #[error("empty answer")]
    Empty,
    #[error("no final answer found")]
    NoAnswer,
}

impl MathError {
    /// True when a work bound (length, depth, size, exponent) was exceeded.
    pub fn is_limit(&self) -> bool {
        matches!(
            self,
            MathError::InputTooLong { .. }
                | MathError::TooDeep { .. }
                | MathError::LiteralTooLong { .. }
                | MathError::TooBig { .. }
                | MathError::ExponentTooLarge { .. }
                | MathError::TooManyElements { .. }
                | MathError::WorkBudget { .. }
                | MathError::Bound(_)
        )
    }
}

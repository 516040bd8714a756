//! What a name in an answer is: a built-in function (`sin`, `log_2`, a root or power), or a
//! variable.

/// Functions known by name (with or without a backslash).
const FUNCTIONS: &[&str] = &[
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "log", "ln", "lg", "exp",
];

/// Whether an application's name is a built-in function (`sin`, `log_2`, a root or power),
/// not one the answer names (`f`, `\phi`).
pub(crate) fn is_builtin_function(head: &str) -> bool {
    is_function(head) || head.starts_with("log_") || ["root", "pow"].contains(&head)
}

/// Whether `w` (with or without a backslash) is one of [`FUNCTIONS`].
pub(super) fn is_function(w: &str) -> bool {
    FUNCTIONS.contains(&w.trim_start_matches('\\'))
}

/// A variable's name: letters, digits and `_`, starting with a letter; not `e` (Euler's number).
pub(crate) fn is_variable(a: &str) -> bool {
    a != "e"
        && a.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

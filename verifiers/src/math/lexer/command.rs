//! Backslash commands: `\frac`, `\sqrt`, operators, relations, `\text{…}`, sizing and layout
//! commands, matrix environments and set braces, and the digit arguments of `\frac12`-style
//! shorthands.

use num_bigint::BigInt;
use num_rational::BigRational;

use super::{Rel, Tok, Token};

/// Commands recognised after a doubled backslash (see [`lex_command`]).
const ESCAPED_COMMANDS: &[&str] = &[
    "frac",
    "dfrac",
    "tfrac",
    "sqrt",
    "cdot",
    "times",
    "div",
    "text",
    "mathrm",
    "left",
    "right",
    "le",
    "leq",
    "ge",
    "geq",
    "ne",
    "neq",
    "lt",
    "gt",
    "infty",
    "cup",
    "pi",
    "boxed",
    "in",
    "begin",
    "end",
    "sin",
    "cos",
    "tan",
    "log",
    "ln",
    "emptyset",
    "varnothing",
    "circ",
    "quad",
];

/// A backslash command at `start`; returns the index after it.
pub(super) fn lex_command(
    text: &str,
    start: usize,
    out: &mut Vec<Token>,
    space: &mut bool,
) -> usize {
    let b = text.as_bytes();
    let mut end = start + 1;
    while end < b.len() && b[end].is_ascii_alphabetic() {
        end += 1;
    }
    let mut push = |tok: Tok, end: usize| {
        out.push(Token {
            tok,
            start,
            end,
            space_before: *space,
        });
        *space = false;
    };
    if end == start + 1 {
        // A one-character command: `\{`, `\%`, `\,`, `\(`.
        let Some(ch) = text[start + 1..].chars().next() else {
            push(Tok::Other("\\".into()), start + 1);
            return start + 1;
        };
        let after = start + 1 + ch.len_utf8();
        match ch {
            '{' => push(Tok::SetOpen, after),
            '}' => push(Tok::SetClose, after),
            '%' => push(Tok::Percent, after),
            '\\' => {
                // `\\frac`, `\\le`: a doubled backslash before a known command is an escaping
                // artefact (JSON-escaped model output), not a row break followed by letters.
                let letters = text[after..]
                    .bytes()
                    .take_while(u8::is_ascii_alphabetic)
                    .count();
                if letters > 0 && ESCAPED_COMMANDS.contains(&&text[after..after + letters]) {
                    return lex_command(text, start + 1, out, space);
                }
                push(Tok::RowSep, after)
            }
            ',' | ';' | ':' | '!' | ' ' | '(' | ')' | '[' | ']' | '$' => *space = true,
            _ => push(Tok::Other(ch.to_string()), after),
        }
        return after;
    }
    let name = &text[start + 1..end];
    // `\quadx_2`: spacing run into the next letters (no such command exists).
    if let Some(sp) = ["qquad", "quad"]
        .into_iter()
        .find(|sp| name.len() > sp.len() && name.starts_with(sp))
    {
        *space = true;
        return start + 1 + sp.len();
    }
    match name {
        "frac" | "dfrac" | "tfrac" | "cfrac" => {
            push(Tok::Frac, end);
            return digit_arguments(text, end, out, 2);
        }
        "sqrt" => {
            push(Tok::Sqrt, end);
            // `\sqrt23` is LaTeX for `\sqrt{2}3`: a bare argument is one character.
            return digit_arguments(text, end, out, 1);
        }
        "cdot" | "times" | "ast" => push(Tok::Times, end),
        "div" => push(Tok::Divide, end),
        "text" | "textrm" | "textnormal" | "mathrm" | "mbox" | "textbf" | "mathbf" | "textit"
        | "operatorname" => {
            if b.get(end) == Some(&b'{') {
                if let Some(close) = text[end..].find('}') {
                    let inner = text[end + 1..end + close].trim().to_string();
                    push(Tok::Text(inner), end + close + 1);
                    return end + close + 1;
                }
            }
            push(Tok::Word(format!("\\{name}")), end);
        }
        "left" | "right" | "big" | "Big" | "bigg" | "Bigg" | "bigl" | "bigr" | "Bigl" | "Bigr"
        | "displaystyle" | "textstyle" | "boxed" | "quad" | "qquad" => *space = true,
        "le" | "leq" | "leqslant" | "lt" => {
            push(Tok::Rel(if name == "lt" { Rel::Lt } else { Rel::Le }), end)
        }
        "ge" | "geq" | "geqslant" | "gt" => {
            push(Tok::Rel(if name == "gt" { Rel::Gt } else { Rel::Ge }), end)
        }
        "ne" | "neq" => push(Tok::Rel(Rel::Ne), end),
        "infty" => push(Tok::Infinity, end),
        "cup" => push(Tok::Union, end),
        "emptyset" | "varnothing" => push(Tok::EmptySet, end),
        "begin" | "end" => {
            let env = text[end..]
                .strip_prefix('{')
                .and_then(|r| r.split_once('}'))
                .map(|(env, _)| env);
            match env {
                Some("pmatrix" | "bmatrix" | "Bmatrix" | "matrix" | "smallmatrix" | "array") => {
                    let mut after = end + env.map_or(0, str::len) + 2;
                    // `\begin{array}{cc}`: the column specification is layout.
                    if name == "begin" && env == Some("array") && text[after..].starts_with('{') {
                        after += text[after..].find('}').map_or(0, |k| k + 1);
                    }
                    push(
                        if name == "begin" {
                            Tok::MatrixOpen
                        } else {
                            Tok::MatrixClose
                        },
                        after,
                    );
                    return after;
                }
                _ => push(Tok::Word(format!("\\{name}")), end),
            }
        }
        "lbrace" => push(Tok::SetOpen, end),
        "rbrace" => push(Tok::SetClose, end),
        _ => push(Tok::Word(format!("\\{name}")), end),
    }
    end
}

/// `\frac12`, `\frac1{2}`, `\sqrt2`: a digit argument without braces is one digit. Emits the
/// braces the parser expects for up to `args` arguments; returns the index after what it
/// consumed.
fn digit_arguments(text: &str, mut i: usize, out: &mut Vec<Token>, args: usize) -> usize {
    let b = text.as_bytes();
    for _ in 0..args {
        let mut j = i;
        while b.get(j) == Some(&b' ') {
            j += 1;
        }
        match b.get(j) {
            Some(d) if d.is_ascii_digit() => {
                let v = BigRational::from_integer(BigInt::from(d - b'0'));
                let mk = |tok| Token {
                    tok,
                    start: j,
                    end: j + 1,
                    space_before: false,
                };
                out.push(mk(Tok::LBrace));
                out.push(mk(Tok::Num {
                    value: v,
                    integer: true,
                }));
                out.push(mk(Tok::RBrace));
                i = j + 1;
            }
            // A braced argument: the first is lexed normally, and then the second may still be
            // a bare digit only if the first was too (`\frac{1}2` is too rare to bother).
            _ => return i,
        }
    }
    i
}

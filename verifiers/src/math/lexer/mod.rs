//! Tokens of math answers and step equations: plain text, Unicode operators and simple LaTeX.
//!
//! The lexer never fails on unknown characters: prose becomes [`Tok::Word`] and stray
//! punctuation [`Tok::Other`], so the step checker can find equations inside sentences and the
//! answer parser can reject what it does not understand. It fails only on work bounds (input
//! length, literal length). Layout-only LaTeX (`\left`, `\right`, `\,`, `$`, `\(`, `\boxed`) is
//! dropped here so the parser sees plain arithmetic.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Zero};

use super::{MathError, MAX_INPUT_BYTES, MAX_LITERAL_DIGITS};

mod command;

use command::lex_command;

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A number literal; `integer` is false when it had a decimal point.
    Num {
        value: BigRational,
        integer: bool,
    },
    /// `204_5`, `1011_{2}`, `1A_{16}`: digits in the base of their subscript (2 to 36),
    /// without leading zeros.
    Numeral {
        digits: String,
        base: u32,
    },
    /// A one-letter name with an optional subscript (`x`, `x_1`): a variable.
    Var(String),
    /// A word of two or more letters, or an unknown LaTeX command (`\pi`): prose or a unit.
    Word(String),
    /// The content of `\text{...}`, `\mathrm{...}`, `\mbox{...}`.
    Text(String),
    Plus,
    Minus,
    Times,
    Divide,
    Caret,
    Percent,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    /// `\{` and `\}`: set braces.
    SetOpen,
    SetClose,
    Comma,
    Eq,
    Frac,
    Sqrt,
    /// `<`, `\le`, `≥`, `\neq`, …
    Rel(Rel),
    /// `\infty`, `∞`.
    Infinity,
    /// `\cup`, `∪`.
    Union,
    /// `\emptyset`, `\varnothing`, `∅`.
    EmptySet,
    /// `\begin{pmatrix}` (also `bmatrix`, `Bmatrix`, `matrix`, `smallmatrix`).
    MatrixOpen,
    /// `\end{pmatrix}` and the others.
    MatrixClose,
    /// `&`: a matrix column separator.
    Amp,
    /// `\\`: a matrix row separator.
    RowSep,
    /// The `=` of `\sum_{k=0}` or `\prod_{k=0}`: it binds an index, never states an equation.
    Binds,
    /// Anything else: sentence punctuation, comparison signs, arrows.
    Other(String),
}

impl Tok {
    /// +1 for a bracket that opens (of any kind, `\begin{pmatrix}` too), -1 for one that
    /// closes, else 0.
    pub(crate) fn nesting(&self) -> i64 {
        match self {
            Tok::LParen | Tok::LBracket | Tok::LBrace | Tok::SetOpen | Tok::MatrixOpen => 1,
            Tok::RParen | Tok::RBracket | Tok::RBrace | Tok::SetClose | Tok::MatrixClose => -1,
            _ => 0,
        }
    }
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rel {
    Lt,
    Le,
    Gt,
    Ge,
    Ne,
}

/// A token with its byte span in the input and whether whitespace preceded it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
    pub space_before: bool,
}

/// Splits `text` into tokens; errors only when a work bound is exceeded.
pub(crate) fn lex(text: &str) -> Result<Vec<Token>, MathError> {
    if text.len() > MAX_INPUT_BYTES {
        return Err(MathError::InputTooLong {
            len: text.len(),
            max: MAX_INPUT_BYTES,
        });
    }
    let b = text.as_bytes();
    let mut out: Vec<Token> = Vec::new();
    let mut i = 0;
    let mut space = false;
    // Bracket depth of the tokens before `scanned`, for numbers (see `lex_number`).
    let (mut depth, mut scanned) = (0i64, 0usize);
    while i < b.len() {
        let c = b[i];
        let start = i;
        let push = |out: &mut Vec<Token>, tok: Tok, end: usize, space: &mut bool| {
            out.push(Token {
                tok,
                start,
                end,
                space_before: *space,
            });
            *space = false;
        };
        if c.is_ascii_whitespace() || c == b'$' {
            space = true;
            i += 1;
            continue;
        }
        if c.is_ascii_digit() || (c == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit)) {
            // Inside `(`, `[` or `\{` a comma separates (`(12,102)` is a pair or an interval);
            // outside, `12,102` groups thousands.
            for t in &out[scanned..] {
                match t.tok {
                    Tok::LParen | Tok::LBracket | Tok::SetOpen => depth += 1,
                    Tok::RParen | Tok::RBracket | Tok::SetClose => depth -= 1,
                    _ => {}
                }
            }
            scanned = out.len();
            let (tok, end) = lex_number(text, i, depth <= 0)?;
            let (tok, end) = numeral(text, i, end).unwrap_or((tok, end));
            push(&mut out, tok, end, &mut space);
            i = end;
            continue;
        }
        if c.is_ascii_alphabetic() {
            let mut end = i;
            while end < b.len() && b[end].is_ascii_alphabetic() {
                end += 1;
            }
            let word = &text[i..end];
            if word.len() == 1 {
                let (name, e) = subscript(text, end, word);
                push(&mut out, Tok::Var(name), e, &mut space);
                i = e;
            } else {
                push(&mut out, Tok::Word(word.to_string()), end, &mut space);
                i = end;
            }
            continue;
        }
        if c == b'\\' {
            i = lex_command(text, i, &mut out, &mut space);
            continue;
        }
        let two = text.get(i..i + 2).unwrap_or("");
        let (tok, len) = match two {
            "**" => (Tok::Caret, 2),
            "<=" => (Tok::Rel(Rel::Le), 2),
            ">=" => (Tok::Rel(Rel::Ge), 2),
            "!=" => (Tok::Rel(Rel::Ne), 2),
            "=>" | "->" | "<-" => (Tok::Other(two.to_string()), 2),
            "==" | ":=" => (Tok::Eq, 2),
            "{," if text.get(i..i + 3) == Some("{,}") => (Tok::Comma, 3),
            _ => match c {
                b'+' => (Tok::Plus, 1),
                b'-' => (Tok::Minus, 1),
                b'*' => (Tok::Times, 1),
                b'/' => (Tok::Divide, 1),
                b'^' => (Tok::Caret, 1),
                b'%' => (Tok::Percent, 1),
                b'(' => (Tok::LParen, 1),
                b')' => (Tok::RParen, 1),
                b'[' => (Tok::LBracket, 1),
                b']' => (Tok::RBracket, 1),
                b'{' => (Tok::LBrace, 1),
                b'}' => (Tok::RBrace, 1),
                b',' => (Tok::Comma, 1),
                b'=' => (Tok::Eq, 1),
                b'<' => (Tok::Rel(Rel::Lt), 1),
                b'>' => (Tok::Rel(Rel::Gt), 1),
                b'&' => (Tok::Amp, 1),
                _ => {
                    let ch = text[i..].chars().next().unwrap_or(' ');
                    let tok = match (ch, vulgar(ch)) {
                        (_, Some((n, d))) => Tok::Num {
                            value: BigRational::new(n.into(), d.into()),
                            integer: false,
                        },
                        ('×' | '·' | '⋅' | '∗', _) => Tok::Times,
                        ('÷' | '∕', _) => Tok::Divide,
                        ('−', _) => Tok::Minus,
                        ('√', _) => Tok::Sqrt,
                        ('≤' | '⩽', _) => Tok::Rel(Rel::Le),
                        ('≥' | '⩾', _) => Tok::Rel(Rel::Ge),
                        ('≠', _) => Tok::Rel(Rel::Ne),
                        ('∞', _) => Tok::Infinity,
                        ('∪', _) => Tok::Union,
                        ('∅', _) => Tok::EmptySet,
                        ('π', _) => Tok::Word("\\pi".into()),
                        ('\u{a0}' | '\u{2009}' | '\u{202f}', _) => {
                            space = true;
                            i += ch.len_utf8();
                            continue;
                        }
                        _ => Tok::Other(ch.to_string()),
                    };
                    (tok, ch.len_utf8())
                }
            },
        };
        push(&mut out, tok, i + len, &mut space);
        i += len;
    }
    semicolon_lists(&mut out, text);
    bind_indices(&mut out);
    Ok(out)
}

/// `\sum_{k=0}`: the `=` that binds a sum's or product's index becomes [`Tok::Binds`], so that
/// no reader takes the answer for an equation.
fn bind_indices(toks: &mut [Token]) {
    for i in 0..toks.len() {
        let big = matches!(&toks[i].tok, Tok::Word(w) if w == "\\sum" || w == "\\prod");
        let bounds = toks.get(i + 1..i + 5).is_some_and(|t| {
            matches!(&t[0].tok, Tok::Other(u) if u == "_")
                && t[1].tok == Tok::LBrace
                && matches!(t[2].tok, Tok::Var(_))
                && t[3].tok == Tok::Eq
        });
        if big && bounds {
            toks[i + 4].tok = Tok::Binds;
        }
    }
}

/// `-12;-11;-10` and `(0;-2;6)`: where a bracket group (or the top level) is separated by `;`
/// and holds no comma of its own, the semicolons separate as commas do (notations that keep
/// the comma for decimals). A group with both, or any number written with a comma, keeps its
/// `;`, which then does not parse: `(1,5;2)` could be (1.5, 2) or (1, 5, 2).
fn semicolon_lists(toks: &mut [Token], text: &str) {
    let semicolon = |t: &Token| matches!(&t.tok, Tok::Other(s) if s == ";");
    if !toks.iter().any(semicolon) {
        return;
    }
    let comma_number = toks.iter().any(|t| {
        matches!(t.tok, Tok::Num { .. })
            && text.get(t.start..t.end).is_some_and(|s| s.contains(','))
    });
    if comma_number {
        return;
    }
    // Per open group: its semicolons and whether it has a comma.
    let mut groups: Vec<(Vec<usize>, bool)> = vec![(Vec::new(), false)];
    let mut convert: Vec<usize> = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        match t.tok.nesting() {
            1 => groups.push((Vec::new(), false)),
            -1 if groups.len() > 1 => {
                if let Some((semis, false)) = groups.pop() {
                    convert.extend(semis);
                }
            }
            _ => {}
        }
        if let Some(group) = groups.last_mut() {
            if t.tok == Tok::Comma {
                group.1 = true;
            } else if semicolon(t) {
                group.0.push(i);
            }
        }
    }
    for (semis, comma) in groups {
        if !comma {
            convert.extend(semis);
        }
    }
    for i in convert {
        toks[i].tok = Tok::Comma;
    }
}

/// A variable's optional subscript: `x_1`, `x_{12}`, `x_n`.
fn subscript(text: &str, end: usize, letter: &str) -> (String, usize) {
    let b = text.as_bytes();
    if b.get(end) != Some(&b'_') {
        return (letter.to_string(), end);
    }
    let mut j = end + 1;
    let braced = b.get(j) == Some(&b'{');
    if braced {
        j += 1;
    }
    let s = j;
    // Unbraced, a subscript is one character, as in LaTeX (`x_12` is x₁ then 2).
    while j < b.len() && b[j].is_ascii_alphanumeric() && (braced || j == s) {
        j += 1;
    }
    if j == s || (braced && b.get(j) != Some(&b'}')) {
        return (letter.to_string(), end);
    }
    let name = format!("{letter}_{}", &text[s..j]);
    (name, if braced { j + 1 } else { j })
}

/// What may separate groups of thousands: `1,000`, `1{,}000`, `1 000`, `1\,000`, thin spaces;
/// TeX ignores spaces in math, so `14 {, }916` is `14{,}916`. (Longest first: the first match
/// is taken.)
const GROUP_SEPARATORS: &[&str] = &[
    ",\\! ", ",\\!", " {, }", " {,}", "{, }", ",", "{,}", " ", "\\,", "\\ ", "\u{2009}",
    "\u{202f}", "\u{a0}",
];

/// `204_5`, `1011_{2}` or `1A_{16}` at `start..end` (the digits lexed as a number; upper-case
/// letter digits may follow them) and its subscript: a numeral in that base, 2 to 36, when
/// every digit is one of the base's. Digits and letters touching a subscripted base that are
/// not such a numeral (`1G_{16}`) are one unknown token, never a product (`1A_{16}` is not
/// `A_{16}`). TeX subscripts one character unbraced, so `204_10` is not base ten.
fn numeral(text: &str, start: usize, end: usize) -> Option<(Tok, usize)> {
    if !text.get(start..end)?.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let letters = text[end..]
        .bytes()
        .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        .count();
    let digits = &text[start..end + letters];
    let rest = text[end + letters..].strip_prefix('_')?;
    let (base, len) = match rest.strip_prefix('{') {
        Some(braced) => {
            let close = braced.find('}')?;
            (braced[..close].trim(), close + 2)
        }
        None => (rest.get(..1)?, 1),
    };
    let base: u32 = base
        .bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| base.parse().ok())??;
    let close = end + letters + 1 + len;
    let fits = digits
        .chars()
        .all(|c| c.to_digit(36).is_some_and(|d| d < base));
    if !(2..=36).contains(&base) || !fits {
        return (letters > 0).then(|| (Tok::Other(text[start..close].to_string()), close));
    }
    let trimmed = digits.trim_start_matches('0');
    let digits = if trimmed.is_empty() { "0" } else { trimmed };
    Some((
        Tok::Numeral {
            digits: digits.to_string(),
            base,
        },
        close,
    ))
}

/// Whether a [`GROUP_SEPARATORS`] entry is a comma (`\\,` is a thin space).
fn comma_separator(s: &str) -> bool {
    s.starts_with(',') || s.contains("{,")
}

/// A number: digits with optional thousands groups (`1,000`, `1{,}000`, `1 000`, each group
/// exactly three digits, the first one to three and not starting with `0`) and an optional
/// decimal part. `1,5` lexes as `1`, `,`, `5` (the grader may read it as a decimal comma).
/// When `commas` is false (inside `(`, `[` or `\{`) commas never group: `(1,234)` is a pair
/// and `(12,102)` an interval, while `1,234` alone is 1234. Scientific notation (`1e3`) is not
/// a number here (`e` is a variable); `10^{3}` is.
fn lex_number(text: &str, start: usize, commas: bool) -> Result<(Tok, usize), MathError> {
    let b = text.as_bytes();
    let mut digits = String::new();
    let mut i = start;
    while i < b.len() && b[i].is_ascii_digit() {
        digits.push(b[i] as char);
        i += 1;
    }
    // `0,111` is not a thousands number (a decimal comma, or a pair).
    if (1..=3).contains(&digits.len()) && !digits.starts_with('0') {
        // Every group uses the separator of the first.
        let mut kind: Option<&str> = None;
        loop {
            let found = GROUP_SEPARATORS.iter().find(|s| {
                text[i..].starts_with(**s)
                    && kind.is_none_or(|k| k == **s)
                    && (commas || !comma_separator(s))
            });
            let sep = found.map_or(0, |s| s.len());
            let g = i + sep;
            // `1 200/400` is a mixed number, not 1200/400.
            let spaced = found.is_some_and(|s| !comma_separator(s));
            let group = sep > 0
                && (g..g + 3).all(|k| b.get(k).is_some_and(u8::is_ascii_digit))
                && !b.get(g + 3).is_some_and(u8::is_ascii_digit)
                && !(spaced && b.get(g + 3) == Some(&b'/'));
            if !group {
                break;
            }
            digits.push_str(&text[g..g + 3]);
            kind = found.copied();
            i = g + 3;
        }
    }
    let mut frac = String::new();
    let mut integer = true;
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        integer = false;
        i += 1;
        while i < b.len() && b[i].is_ascii_digit() {
            frac.push(b[i] as char);
            i += 1;
        }
    }
    let total = digits.len() + frac.len();
    if total > MAX_LITERAL_DIGITS {
        // Skip the rest of the run so the error names its full length.
        let mut j = i;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        return Err(MathError::LiteralTooLong {
            digits: total + (j - i),
            max: MAX_LITERAL_DIGITS,
        });
    }
    let all = format!("{digits}{frac}");
    let numer = if all.is_empty() {
        BigInt::zero()
    } else {
        all.parse::<BigInt>()
            .map_err(|e| MathError::Syntax(format!("number: {e}")))?
    };
    let denom = num_traits::pow(BigInt::from(10u8), frac.len());
    let mut value = if denom.is_one() {
        BigRational::from_integer(numer)
    } else {
        BigRational::new(numer, denom)
    };
    // `1e-3` could be 0.001 or 1·e − 3: neither reading is taken, the token is left unknown.
    if let Some(rest) = text[i..].strip_prefix('e') {
        let sign_len = usize::from(rest.starts_with(['+', '-']));
        if rest[sign_len..].starts_with(|c: char| c.is_ascii_digit()) {
            let digits = rest[sign_len..]
                .bytes()
                .take_while(u8::is_ascii_digit)
                .count();
            let end = i + 1 + sign_len + digits;
            return Ok((Tok::Other(text[start..end].to_string()), end));
        }
    }
    // `1E-3`, `2.5E4`: scientific notation, exact.
    if let Some(rest) = text[i..].strip_prefix('E') {
        let sign_len = usize::from(rest.starts_with(['+', '-']));
        let digits = rest[sign_len..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if digits > 0 {
            let exponent: i64 = rest[..sign_len + digits].parse().unwrap_or(i64::MAX);
            if exponent.unsigned_abs() > MAX_LITERAL_DIGITS as u64 {
                return Err(MathError::LiteralTooLong {
                    digits: usize::try_from(exponent.unsigned_abs()).unwrap_or(usize::MAX),
                    max: MAX_LITERAL_DIGITS,
                });
            }
            let ten = num_traits::pow(BigInt::from(10u8), exponent.unsigned_abs() as usize);
            let scale = BigRational::from_integer(ten);
            value = if exponent < 0 {
                value / scale
            } else {
                value * scale
            };
            return Ok((
                Tok::Num {
                    value,
                    integer: false,
                },
                i + 1 + sign_len + digits,
            ));
        }
    }
    // `1½`: a vulgar fraction right after an integer makes a mixed number.
    if integer {
        if let Some((c, (n, d))) = text[i..]
            .chars()
            .next()
            .and_then(|c| vulgar(c).map(|f| (c, f)))
        {
            value += BigRational::new(n.into(), d.into());
            return Ok((
                Tok::Num {
                    value,
                    integer: false,
                },
                i + c.len_utf8(),
            ));
        }
    }
    Ok((Tok::Num { value, integer }, i))
}

/// The value of a Unicode vulgar fraction character (`½` = 1/2).
fn vulgar(c: char) -> Option<(i32, i32)> {
    Some(match c {
        '½' => (1, 2),
        '⅓' => (1, 3),
        '⅔' => (2, 3),
        '¼' => (1, 4),
        '¾' => (3, 4),
        '⅕' => (1, 5),
        '⅖' => (2, 5),
        '⅗' => (3, 5),
        '⅘' => (4, 5),
        '⅙' => (1, 6),
        '⅚' => (5, 6),
        '⅛' => (1, 8),
        '⅜' => (3, 8),
        '⅝' => (5, 8),
        '⅞' => (7, 8),
        _ => return None,
    })
}

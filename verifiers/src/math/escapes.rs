//! Text escaped once too often: every command written `\\frac`, newlines written `\n`, as a
//! JSON or Python string escaped twice leaves model output and dataset golds.

/// Text whose every command is escaped twice (`\\boxed{\\frac{1}{2}}`, as a JSON or Python
/// string escaped once too often leaves it) with single backslashes. Text with any command
/// written once is left alone: there `\\` is a line break.
pub(super) fn undoubled(text: &str) -> std::borrow::Cow<'_, str> {
    let b = text.as_bytes();
    let (mut doubled, mut single) = (0usize, 0usize);
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'\\' {
            if b[i + 1] == b'\\' {
                doubled += usize::from(b.get(i + 2).is_some_and(u8::is_ascii_alphabetic));
                i += 2;
                continue;
            }
            // `\n`: a newline escaped once, as such text also holds (`\neq` is a command).
            let newline = b[i + 1] == b'n' && !n_command(&text[i + 1..]);
            single += usize::from(b[i + 1].is_ascii_alphabetic() && !newline);
        }
        i += 1;
    }
    if doubled == 0 || single > 0 {
        return std::borrow::Cow::Borrowed(text);
    }
    let newlines = single_newlines(text);
    let mut out = String::with_capacity(text.len());
    let mut rest = newlines.as_str();
    while let Some(at) = rest.find("\\\\") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        // `\\\\`: a row break escaped twice.
        if let Some(next) = after.strip_prefix("\\\\") {
            out.push_str("\\\\");
            rest = next;
            continue;
        }
        // `\\n` is a newline escaped twice, unless a command follows (`\\neq`).
        if let Some(next) = after.strip_prefix('n') {
            if !n_command(after) {
                out.push('\n');
                rest = next;
                continue;
            }
        }
        let command = after.starts_with(|c: char| c.is_ascii_alphabetic());
        out.push_str(if command { "\\" } else { "\\\\" });
        rest = after;
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// Whether `s` (after a backslash) is a LaTeX command that starts with `n`, not a newline escape
/// before a word (`\ndraw`).
fn n_command(s: &str) -> bool {
    let name: String = s.chars().take_while(char::is_ascii_alphabetic).collect();
    [
        "ne", "neq", "neg", "nu", "nabla", "not", "notin", "ni", "nmid", "nleq", "ngeq", "nless",
        "ngtr", "newline",
    ]
    .contains(&name.as_str())
}

/// `\n` escapes (a backslash and `n` not after another backslash, not a command) as newlines.
fn single_newlines(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut prev = ' ';
    let mut skip = false;
    for (i, c) in text.char_indices() {
        if skip {
            skip = false;
            continue;
        }
        let rest = &text[i + c.len_utf8()..];
        if c == '\\' && prev != '\\' && rest.starts_with('n') && !n_command(rest) {
            out.push('\n');
            prev = '\n';
            skip = true;
            continue;
        }
        out.push(c);
        prev = c;
    }
    out
}

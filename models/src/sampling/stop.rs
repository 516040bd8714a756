//! Stop strings: where generated text must be cut.

/// Finds the earliest occurrence of any of a set of stop strings in generated text.
///
/// [`StopMatcher::find`] scans the whole text; a decoder that grows its text token by token can
/// call [`StopMatcher::find_new`] instead, which looks only at the tail that could hold a match
/// not seen before, and [`StopMatcher::pending_prefix`] to know how much of the tail to hold back
/// from a stream because a stop string may be starting there.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StopMatcher {
    stops: Vec<String>,
    max_len: usize,
}

impl StopMatcher {
    /// A matcher for `stops`. Empty strings are ignored (they would match everywhere;
    /// [`super::SamplingParams::validate`] rejects them in a config).
    pub fn new(stops: &[String]) -> Self {
        let stops: Vec<String> = stops.iter().filter(|s| !s.is_empty()).cloned().collect();
        let max_len = stops.iter().map(String::len).max().unwrap_or(0);
        Self { stops, max_len }
    }

    /// True when there is nothing to match.
    pub fn is_empty(&self) -> bool {
        self.stops.is_empty()
    }

    /// The stop strings, empty ones left out.
    pub fn stops(&self) -> &[String] {
        &self.stops
    }

    /// Byte offset in `text` where the earliest stop string starts (when two start at the same
    /// offset, that offset), or `None`.
    pub fn find(&self, text: &str) -> Option<usize> {
        self.stops
            .iter()
            .filter_map(|s| text.find(s.as_str()))
            .min()
    }

    /// Like [`StopMatcher::find`], for a text whose first `searched` bytes were already searched
    /// without a match: only matches that end after byte `searched` are possible, so only the tail
    /// from `searched - (longest stop - 1)` is scanned. `searched` past the end means the whole
    /// text was searched.
    pub fn find_new(&self, text: &str, searched: usize) -> Option<usize> {
        if self.stops.is_empty() || searched >= text.len() {
            return None;
        }
        let mut start = searched.saturating_sub(self.max_len.saturating_sub(1));
        while !text.is_char_boundary(start) {
            start -= 1;
        }
        self.find(&text[start..]).map(|at| at + start)
    }

    /// Length in bytes of the longest suffix of `text` that is a proper prefix of some stop
    /// string: text a stream should hold back until the next token tells whether it stops.
    pub fn pending_prefix(&self, text: &str) -> usize {
        let mut best = 0;
        for stop in &self.stops {
            // Proper prefixes of `stop`, longest first, that `text` ends with.
            for (len, _) in stop.char_indices().rev() {
                if len > best && text.ends_with(&stop[..len]) {
                    best = len;
                    break;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(stops: &[&str]) -> StopMatcher {
        StopMatcher::new(&stops.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>())
    }

    #[test]
    fn earliest_match_wins_whatever_the_order_of_stops() {
        let m = matcher(&["</think>", "\n\n", "Answer"]);
        let text = "step one\nstep two\n\nAnswer: 3</think>";
        assert_eq!(m.find(text), Some(17));
        let m = matcher(&["Answer", "\n\n"]);
        assert_eq!(m.find(text), Some(17));
        assert_eq!(matcher(&["Answer"]).find(text), Some(19));
    }

    #[test]
    fn overlapping_stops() {
        // "abc" and "bcd" overlap in "xabcd": the one that starts first wins.
        let m = matcher(&["bcd", "abc"]);
        assert_eq!(m.find("xabcd"), Some(1));
        // One stop inside another, both starting at the same place.
        let m = matcher(&["<|im_end|>", "<|im"]);
        assert_eq!(m.find("ok<|im_end|>"), Some(2));
        // A stop that overlaps itself.
        assert_eq!(matcher(&["aa"]).find("baaa"), Some(1));
    }

    #[test]
    fn no_match_and_no_stops() {
        assert_eq!(matcher(&["STOP"]).find("stop, in lower case"), None);
        assert_eq!(matcher(&[]).find("anything"), None);
        assert_eq!(
            matcher(&[""]).find("anything"),
            None,
            "empty stops are ignored"
        );
        assert!(matcher(&[""]).is_empty());
        assert_eq!(matcher(&["x"]).find(""), None);
    }

    #[test]
    fn multibyte_text_gives_byte_offsets() {
        let m = matcher(&["😀"]);
        let text = "é漢😀";
        let at = m.find(text).unwrap();
        assert_eq!(at, "é漢".len());
        assert_eq!(&text[at..], "😀");
    }

    #[test]
    fn find_new_sees_matches_that_straddle_the_searched_part() {
        let m = matcher(&["<|im_end|>", "\n\n"]);
        let mut text = String::new();
        let mut searched = 0;
        let mut found = None;
        for piece in ["The answer", " is 4.", "<|im", "_e", "nd|>", " more"] {
            text.push_str(piece);
            if let Some(at) = m.find_new(&text, searched) {
                found = Some(at);
                break;
            }
            searched = text.len();
        }
        assert_eq!(found, Some("The answer is 4.".len()));
        // Agrees with a full scan on a multibyte tail, and on a searched offset inside a char.
        let text = "漢字\n\n漢字";
        for searched in 0..text.len() {
            let mut seen = searched;
            while !text.is_char_boundary(seen) {
                seen -= 1;
            }
            if m.find(&text[..seen]).is_none() {
                assert_eq!(
                    m.find_new(text, searched),
                    m.find(text),
                    "searched {searched}"
                );
            }
        }
        assert_eq!(m.find_new("abc", 3), None);
    }

    #[test]
    fn pending_prefix_holds_back_a_possible_start() {
        let m = matcher(&["<|im_end|>", "\n\n"]);
        assert_eq!(m.pending_prefix("text<|im_"), 5);
        assert_eq!(m.pending_prefix("text\n"), 1);
        assert_eq!(m.pending_prefix("text"), 0);
        // A whole stop is a match, not a pending prefix.
        assert_eq!(matcher(&["ab"]).pending_prefix("xab"), 0);
        assert_eq!(matcher(&["ab"]).pending_prefix("xa"), 1);
    }
}

//! String templates of the code family.

use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::{inputs, plan, test, Task, Template};
use crate::words::WORDS;

pub(super) fn templates() -> Vec<Template> {
    vec![
        Template {
            min_level: 1,
            build: reverse_words,
        },
        Template {
            min_level: 1,
            build: count_vowels,
        },
        Template {
            min_level: 1,
            build: is_palindrome,
        },
        Template {
            min_level: 2,
            build: caesar_shift,
        },
        Template {
            min_level: 2,
            build: run_length_encode,
        },
        Template {
            min_level: 1,
            build: longest_word,
        },
        Template {
            min_level: 1,
            build: title_case,
        },
    ]
}

fn word(rng: &mut ChaCha8Rng) -> &'static str {
    WORDS.choose(rng).copied().unwrap_or("word")
}

/// `n` words joined by single spaces.
fn sentence(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n).map(|_| word(rng)).collect::<Vec<_>>().join(" ")
}

/// Words separated by runs of 1-3 spaces, with optional leading/trailing spaces.
fn messy_sentence(rng: &mut ChaCha8Rng, n: usize) -> String {
    let mut s = " ".repeat(rng.random_range(0..=2));
    for i in 0..n {
        if i > 0 {
            s.push_str(&" ".repeat(rng.random_range(1..=3)));
        }
        s.push_str(word(rng));
    }
    s.push_str(&" ".repeat(rng.random_range(0..=2)));
    s
}

/// Randomly uppercases letters.
fn mixed_case(rng: &mut ChaCha8Rng, s: &str) -> String {
    s.chars()
        .map(|c| {
            if rng.random_bool(0.3) {
                c.to_ascii_uppercase()
            } else {
                c
            }
        })
        .collect()
}

fn reverse_words(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let messy = level >= 3;
    let spec = if messy {
        "Return the words of `s` in reverse order, joined by single spaces. Words are separated by one or more spaces, and `s` may have leading or trailing spaces, which must not appear in the result. An empty string or a string of only spaces gives an empty string."
    } else {
        "The string `s` consists of words separated by single spaces. Return the words in reverse order, joined by single spaces. An empty string gives an empty string."
    };
    let mut edges = vec![String::new(), word(rng).to_string()];
    if messy {
        edges.push("   ".into());
        edges.push(format!("  {}  ", sentence(rng, 2)));
    }
    let cases = inputs(rng, edges, |r| {
        let n = r.random_range(2..=6);
        if messy {
            messy_sentence(r, n)
        } else {
            sentence(r, n)
        }
    });
    let tests = cases
        .iter()
        .map(|s| {
            test(
                vec![json!(s)],
                json!(s.split_whitespace().rev().collect::<Vec<_>>().join(" ")),
            )
        })
        .collect();
    Task {
        entry_point: "reverse_words",
        signature: "reverse_words(s: str) -> str",
        spec: spec.into(),
        solution: "def reverse_words(s: str) -> str:\n    return \" \".join(reversed(s.split()))\n".into(),
        plan: plan(&[
            "Split the string on whitespace; split() with no argument drops empty pieces from repeated, leading or trailing spaces.",
            "Reverse the list of words.",
            "Join the words with single spaces; an empty list gives an empty string.",
        ]),
        tests,
    }
}

fn count_vowels(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let any_case = level >= 3;
    let spec = if any_case {
        "Return how many vowels (a, e, i, o, u, in lowercase or uppercase) the string `s` contains. Other characters, including `y`, are not vowels."
    } else {
        "The string `s` contains lowercase letters and spaces. Return how many vowels (a, e, i, o, u) it contains; `y` is not a vowel."
    };
    let edges = vec![
        String::new(),
        "rhythm".into(),
        if any_case {
            "AEIOU aeiou".into()
        } else {
            "aeiou".into()
        },
    ];
    let cases = inputs(rng, edges, |r| {
        let n = r.random_range(1..=5);
        let s = sentence(r, n);
        if any_case {
            mixed_case(r, &s)
        } else {
            s
        }
    });
    let tests = cases
        .iter()
        .map(|s| {
            let n = s
                .chars()
                .filter(|c| "aeiou".contains(c.to_ascii_lowercase()))
                .count();
            test(vec![json!(s)], json!(n))
        })
        .collect();
    Task {
        entry_point: "count_vowels",
        signature: "count_vowels(s: str) -> int",
        spec: spec.into(),
        solution: "def count_vowels(s: str) -> int:\n    return sum(1 for c in s.lower() if c in \"aeiou\")\n".into(),
        plan: plan(&["Lowercase the string so both cases count.", "Count the characters that are one of a, e, i, o, u."]),
        tests,
    }
}

fn is_palindrome(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let loose = level >= 3;
    let spec = if loose {
        "Return `True` if `s` reads the same forwards and backwards when case is ignored and every character that is not a letter or a digit is skipped, and `False` otherwise. A string with no letters or digits counts as a palindrome."
    } else {
        "Return `True` if the string `s` reads exactly the same forwards and backwards, and `False` otherwise. The empty string is a palindrome."
    };
    let edges = if loose {
        vec![String::new(), "!!".into(), "Ab,a".into()]
    } else {
        vec![String::new(), "a".into(), "ab".into()]
    };
    let cases = inputs(rng, edges, |r| {
        // Half the inputs are palindromes by construction, the rest almost never are.
        let half: String = (0..r.random_range(1..=5))
            .map(|_| char::from(b'a' + r.random_range(0..26u8)))
            .collect();
        let mid = if r.random_bool(0.5) {
            char::from(b'a' + r.random_range(0..26u8)).to_string()
        } else {
            String::new()
        };
        let mut s: String = if r.random_bool(0.5) {
            format!("{half}{mid}{}", half.chars().rev().collect::<String>())
        } else {
            format!("{half}{mid}{}", word(r))
        };
        if loose {
            let noisy: String = s
                .chars()
                .flat_map(|c| {
                    let sep = [" ", ",", "", "", "'", "!"]
                        .choose(r)
                        .copied()
                        .unwrap_or("");
                    [c.to_string(), sep.to_string()]
                })
                .collect();
            s = mixed_case(r, &noisy);
        }
        s
    });
    let tests = cases
        .iter()
        .map(|s| {
            let t: Vec<char> = if loose {
                s.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase())
                    .collect()
            } else {
                s.chars().collect()
            };
            test(vec![json!(s)], json!(t.iter().eq(t.iter().rev())))
        })
        .collect();
    let solution = if loose {
        "def is_palindrome(s: str) -> bool:\n    t = [c.lower() for c in s if c.isalnum()]\n    return t == t[::-1]\n"
    } else {
        "def is_palindrome(s: str) -> bool:\n    return s == s[::-1]\n"
    };
    Task {
        entry_point: "is_palindrome",
        signature: "is_palindrome(s: str) -> bool",
        spec: spec.into(),
        solution: solution.into(),
        plan: if loose {
            plan(&[
                "Keep only letters and digits, lowercased.",
                "Compare the cleaned sequence with its reverse.",
            ])
        } else {
            plan(&["Compare the string with its reverse (slice with step -1)."])
        },
        tests,
    }
}

fn caesar_shift(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let full = level >= 4;
    let spec = if full {
        "Shift every letter of `s` by `k` places in the alphabet, wrapping around, and return the result. Lowercase letters stay lowercase and uppercase letters stay uppercase; every other character is unchanged. `k` may be any integer: a negative `k` shifts backwards, and shifts larger than 25 wrap around."
    } else {
        "Shift every lowercase letter of `s` forward by `k` places in the alphabet (0 <= k <= 25), wrapping around from `z` to `a`, and return the result. Every other character is unchanged."
    };
    let shift = |s: &str, k: i64| -> String {
        s.chars()
            .map(|c| {
                let base = if c.is_ascii_lowercase() {
                    b'a'
                } else if full && c.is_ascii_uppercase() {
                    b'A'
                } else {
                    return c;
                };
                char::from(base + ((i64::from(c as u8 - base) + k).rem_euclid(26)) as u8)
            })
            .collect()
    };
    let edges = if full {
        vec![
            (String::new(), 3),
            ("Zebra, Crossing!".into(), -27),
            ("xyz".into(), 52),
        ]
    } else {
        vec![
            (String::new(), 5),
            ("xyz abc".into(), 3),
            ("hello, world!".into(), 0),
        ]
    };
    let cases = inputs(rng, edges, |r| {
        let n = r.random_range(1..=4);
        let mut s = sentence(r, n);
        if r.random_bool(0.3) {
            s.push_str([".", "!", "?", ", ok"].choose(r).copied().unwrap_or("."));
        }
        if full {
            (mixed_case(r, &s), r.random_range(-60..=60))
        } else {
            (s, r.random_range(0..=25))
        }
    });
    let tests = cases
        .iter()
        .map(|(s, k)| test(vec![json!(s), json!(k)], json!(shift(s, *k))))
        .collect();
    let solution = if full {
        "def caesar_shift(s: str, k: int) -> str:\n    out = []\n    for c in s:\n        if \"a\" <= c <= \"z\":\n            out.append(chr((ord(c) - ord(\"a\") + k) % 26 + ord(\"a\")))\n        elif \"A\" <= c <= \"Z\":\n            out.append(chr((ord(c) - ord(\"A\") + k) % 26 + ord(\"A\")))\n        else:\n            out.append(c)\n    return \"\".join(out)\n"
    } else {
        "def caesar_shift(s: str, k: int) -> str:\n    out = []\n    for c in s:\n        if \"a\" <= c <= \"z\":\n            out.append(chr((ord(c) - ord(\"a\") + k) % 26 + ord(\"a\")))\n        else:\n            out.append(c)\n    return \"\".join(out)\n"
    };
    Task {
        entry_point: "caesar_shift",
        signature: "caesar_shift(s: str, k: int) -> str",
        spec: spec.into(),
        solution: solution.into(),
        plan: plan(&[
            "Walk through the characters one at a time.",
            "For a letter, take its offset from 'a' (or 'A'), add k, reduce modulo 26 (Python's % is never negative) and convert back.",
            "Leave every other character unchanged and join the pieces.",
        ]),
        tests,
    }
}

fn run_length_encode(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let short = level >= 4;
    let spec = if short {
        "Run-length encode the string `s`: replace each maximal run of the same character by the character followed by the run's length, but write a run of length 1 as the character alone. For example, `\"aaabccdddd\"` becomes `\"a3bc2d4\"`. The empty string encodes to the empty string."
    } else {
        "Run-length encode the string `s`: replace each maximal run of the same character by the character followed by the run's length. For example, `\"aaabcc\"` becomes `\"a3b1c2\"`. The empty string encodes to the empty string."
    };
    let encode = |s: &str| -> String {
        let b = s.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            let j = (i..b.len()).find(|&j| b[j] != b[i]).unwrap_or(b.len());
            out.push(char::from(b[i]));
            if !(short && j - i == 1) {
                out.push_str(&(j - i).to_string());
            }
            i = j;
        }
        out
    };
    let edges = vec![String::new(), "a".into(), "abc".into(), "z".repeat(12)];
    let cases = inputs(rng, edges, |r| {
        let alphabet = r.random_range(2..=4u8);
        (0..r.random_range(1..=6))
            .map(|_| {
                char::from(b'a' + r.random_range(0..alphabet))
                    .to_string()
                    .repeat(r.random_range(1..=if short { 11 } else { 5 }))
            })
            .collect()
    });
    let tests = cases
        .iter()
        .map(|s| test(vec![json!(s)], json!(encode(s))))
        .collect();
    let count = if short {
        "(str(n) if n > 1 else \"\")"
    } else {
        "str(n)"
    };
    let solution = format!(
        "def run_length_encode(s: str) -> str:\n    out = []\n    i = 0\n    while i < len(s):\n        j = i\n        while j < len(s) and s[j] == s[i]:\n            j += 1\n        n = j - i\n        out.append(s[i] + {count})\n        i = j\n    return \"\".join(out)\n"
    );
    Task {
        entry_point: "run_length_encode",
        signature: "run_length_encode(s: str) -> str",
        spec: spec.into(),
        solution,
        plan: plan(&[
            "Scan the string with an index, and for each position find where its run of equal characters ends.",
            if short {
                "Emit the character, followed by the run length only when the run is longer than 1."
            } else {
                "Emit the character followed by the run length, even when it is 1."
            },
            "Continue from the end of the run and join the pieces.",
        ]),
        tests,
    }
}

fn longest_word(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let spec = "Return the longest word in `s`, where words are separated by spaces. If several words share the greatest length, return the first of them. Return an empty string if `s` contains no words.";
    let edges = vec![String::new(), "  ".into(), "ab cd ef".into()];
    let cases = inputs(rng, edges, |r| {
        let n = r.random_range(1..=7);
        if level >= 3 {
            messy_sentence(r, n)
        } else {
            sentence(r, n)
        }
    });
    let tests = cases
        .iter()
        .map(|s| {
            let best = s
                .split_whitespace()
                .fold("", |best, w| if w.len() > best.len() { w } else { best });
            test(vec![json!(s)], json!(best))
        })
        .collect();
    Task {
        entry_point: "longest_word",
        signature: "longest_word(s: str) -> str",
        spec: spec.into(),
        solution: "def longest_word(s: str) -> str:\n    best = \"\"\n    for w in s.split():\n        if len(w) > len(best):\n            best = w\n    return best\n".into(),
        plan: plan(&[
            "Split the string into words, ignoring extra spaces.",
            "Keep the best word so far and replace it only by a strictly longer one, so ties keep the first.",
            "Start from the empty string so no words gives an empty result.",
        ]),
        tests,
    }
}

fn title_case(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let spec = "Return `s` with the first letter of every word in uppercase and all its other letters in lowercase. Words are separated by spaces, and every space must be kept exactly as it is (including repeated, leading and trailing spaces). `s` contains only letters and spaces.";
    let edges = vec![String::new(), " ".into(), "a".into()];
    let cases = inputs(rng, edges, |r| {
        let n = r.random_range(1..=5);
        let s = if level >= 3 {
            messy_sentence(r, n)
        } else {
            sentence(r, n)
        };
        mixed_case(r, &s)
    });
    let title = |s: &str| -> String {
        s.split(' ')
            .map(|w| {
                let mut cs = w.chars();
                match cs.next() {
                    Some(f) => {
                        f.to_ascii_uppercase().to_string() + &cs.as_str().to_ascii_lowercase()
                    }
                    None => String::new(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let tests = cases
        .iter()
        .map(|s| test(vec![json!(s)], json!(title(s))))
        .collect();
    Task {
        entry_point: "title_case",
        signature: "title_case(s: str) -> str",
        spec: spec.into(),
        solution: "def title_case(s: str) -> str:\n    return \" \".join(w[:1].upper() + w[1:].lower() for w in s.split(\" \"))\n".into(),
        plan: plan(&[
            "Split on single spaces with split(\" \"), which keeps empty pieces so every space survives the join.",
            "Uppercase the first character of each piece and lowercase the rest.",
            "Join the pieces back with single spaces.",
        ]),
        tests,
    }
}

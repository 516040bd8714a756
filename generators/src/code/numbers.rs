//! Number templates of the code family.

use rand::seq::IndexedRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::{inputs, int_list, plan, test, Task, Template};

pub(super) fn templates() -> Vec<Template> {
    vec![
        Template {
            min_level: 1,
            build: sum_of_digits,
        },
        Template {
            min_level: 1,
            build: fizzbuzz,
        },
        Template {
            min_level: 2,
            build: is_prime,
        },
        Template {
            min_level: 2,
            build: to_binary,
        },
        Template {
            min_level: 3,
            build: gcd_of_list,
        },
    ]
}

fn sum_of_digits(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let signed = level >= 3;
    let spec = if signed {
        "Return the sum of the decimal digits of the integer `n`. For a negative `n`, ignore the minus sign (the digits of -42 sum to 6)."
    } else {
        "Return the sum of the decimal digits of the non-negative integer `n` (for example 1234 gives 10)."
    };
    let edges = if signed {
        vec![0, -7, -909]
    } else {
        vec![0, 5, 1000]
    };
    let cases = inputs(rng, edges, |r| {
        let digits = r.random_range(1..=12);
        let n = r.random_range(0..=10i64.pow(digits));
        if signed && r.random_bool(0.4) {
            -n
        } else {
            n
        }
    });
    let tests = cases
        .iter()
        .map(|n| {
            test(
                vec![json!(n)],
                json!(n
                    .unsigned_abs()
                    .to_string()
                    .bytes()
                    .map(|b| i64::from(b - b'0'))
                    .sum::<i64>()),
            )
        })
        .collect();
    Task {
        entry_point: "sum_of_digits",
        signature: "sum_of_digits(n: int) -> int",
        spec: spec.into(),
        solution: "def sum_of_digits(n: int) -> int:\n    n = abs(n)\n    total = 0\n    while n > 0:\n        total += n % 10\n        n //= 10\n    return total\n".into(),
        plan: plan(&["Take the absolute value.", "Repeatedly add the last digit (n % 10) and drop it (n //= 10) until nothing is left."]),
        tests,
    }
}

fn fizzbuzz(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let (a, b, wa, wb) = if level >= 3 {
        let a = rng.random_range(2..=5i64);
        let b = *[3i64, 4, 5, 6, 7]
            .iter()
            .filter(|b| **b != a && **b % a != 0)
            .collect::<Vec<_>>()
            .choose(rng)
            .copied()
            .unwrap_or(&7);
        let names = ["Fizz", "Buzz", "Bang", "Pop", "Zap", "Ping"];
        let wa = *names.choose(rng).unwrap_or(&"Fizz");
        let wb = *names
            .iter()
            .filter(|w| **w != wa)
            .collect::<Vec<_>>()
            .choose(rng)
            .copied()
            .unwrap_or(&"Buzz");
        (a, b, wa, wb)
    } else {
        (3, 5, "Fizz", "Buzz")
    };
    let spec = format!(
        "Return a list of strings for the numbers 1 to `n` inclusive: \"{wa}\" for multiples of {a}, \"{wb}\" for multiples of {b}, \"{wa}{wb}\" for multiples of both, and the number itself as a string otherwise. For n <= 0 return an empty list."
    );
    let edges = if level >= 3 {
        vec![0, -3, 1, a * b]
    } else {
        vec![0, 1, 15]
    };
    let cases = inputs(rng, edges, |r| {
        r.random_range(2..=if level >= 3 { 40 } else { 20 })
    });
    let tests = cases
        .iter()
        .map(|n| {
            let out: Vec<String> = (1..=*n)
                .map(|i| match (i % a == 0, i % b == 0) {
                    (true, true) => format!("{wa}{wb}"),
                    (true, false) => wa.to_string(),
                    (false, true) => wb.to_string(),
                    (false, false) => i.to_string(),
                })
                .collect();
            test(vec![json!(n)], json!(out))
        })
        .collect();
    let solution = format!(
        "def fizzbuzz(n: int) -> list[str]:\n    out = []\n    for i in range(1, n + 1):\n        if i % {a} == 0 and i % {b} == 0:\n            out.append(\"{wa}{wb}\")\n        elif i % {a} == 0:\n            out.append(\"{wa}\")\n        elif i % {b} == 0:\n            out.append(\"{wb}\")\n        else:\n            out.append(str(i))\n    return out\n"
    );
    Task {
        entry_point: "fizzbuzz",
        signature: "fizzbuzz(n: int) -> list[str]",
        spec,
        solution,
        plan: plan(&[
            "Loop i from 1 to n; range(1, n + 1) is empty for n <= 0.",
            "Test the combined case (multiple of both) first, then each divisor alone, else the number as a string.",
        ]),
        tests,
    }
}

fn is_prime(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let edges = if level >= 4 {
        vec![0, 1, 2, -7, 97]
    } else {
        vec![1, 2, 9]
    };
    let hi = if level >= 4 { 100_000 } else { 200 };
    let cases = inputs(rng, edges, |r| r.random_range(3..=hi) | 1);
    let prime = |n: i64| n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| n % d != 0);
    let tests = cases
        .iter()
        .map(|n| test(vec![json!(n)], json!(prime(*n))))
        .collect();
    Task {
        entry_point: "is_prime",
        signature: "is_prime(n: int) -> bool",
        spec: "Return `True` if the integer `n` is a prime number and `False` otherwise. Numbers below 2 (including 0, 1 and negative numbers) are not prime.".into(),
        solution: "def is_prime(n: int) -> bool:\n    if n < 2:\n        return False\n    d = 2\n    while d * d <= n:\n        if n % d == 0:\n            return False\n        d += 1\n    return True\n".into(),
        plan: plan(&["Reject numbers below 2.", "Try every divisor d with d * d <= n; any exact division means n is composite."]),
        tests,
    }
}

fn to_binary(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let signed = level >= 4;
    let spec = if signed {
        "Return the binary representation of the integer `n` as a string of 0s and 1s without a `0b` prefix or leading zeros (0 gives \"0\"). A negative number is written as a minus sign followed by the binary representation of its absolute value (-5 gives \"-101\")."
    } else {
        "Return the binary representation of the non-negative integer `n` as a string of 0s and 1s, without a `0b` prefix or leading zeros; 0 gives \"0\"."
    };
    let edges = if signed {
        vec![0, 1, -1, -6]
    } else {
        vec![0, 1, 2]
    };
    let cases = inputs(rng, edges, |r| {
        let bits = r.random_range(3..=20);
        let n = r.random_range(3..=1i64 << bits);
        if signed && r.random_bool(0.4) {
            -n
        } else {
            n
        }
    });
    let tests = cases
        .iter()
        .map(|n| {
            let s = format!("{}{:b}", if *n < 0 { "-" } else { "" }, n.unsigned_abs());
            test(vec![json!(n)], json!(s))
        })
        .collect();
    Task {
        entry_point: "to_binary",
        signature: "to_binary(n: int) -> str",
        spec: spec.into(),
        solution: "def to_binary(n: int) -> str:\n    if n == 0:\n        return \"0\"\n    sign = \"-\" if n < 0 else \"\"\n    n = abs(n)\n    digits = []\n    while n > 0:\n        digits.append(str(n % 2))\n        n //= 2\n    return sign + \"\".join(reversed(digits))\n".into(),
        plan: plan(&[
            "Handle 0 separately, and remember the sign before taking the absolute value.",
            "Collect remainders of repeated division by 2; they are the bits from least significant up.",
            "Reverse the bits and prefix the sign.",
        ]),
        tests,
    }
}

fn gcd_of_list(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let edges = vec![vec![], vec![0, 0], vec![12], vec![-4, 6]];
    let cases = inputs(rng, edges, |r| {
        let g = r.random_range(1..=12);
        let len = r.random_range(2..=6);
        let lo = if level >= 4 { -20 } else { 0 };
        int_list(r, len, lo, 20)
            .into_iter()
            .map(|x| x * g)
            .collect::<Vec<i64>>()
    });
    let gcd = |mut a: i64, mut b: i64| {
        a = a.abs();
        b = b.abs();
        while b != 0 {
            (a, b) = (b, a % b);
        }
        a
    };
    let tests = cases
        .iter()
        .map(|xs| test(vec![json!(xs)], json!(xs.iter().fold(0, |g, x| gcd(g, *x)))))
        .collect();
    Task {
        entry_point: "gcd_of_list",
        signature: "gcd_of_list(nums: list[int]) -> int",
        spec: "Return the greatest common divisor of all integers in `nums`, as a non-negative number. Signs are ignored, zeros do not change the result, and an empty list or a list of only zeros gives 0.".into(),
        solution: "import math\n\n\ndef gcd_of_list(nums: list[int]) -> int:\n    g = 0\n    for x in nums:\n        g = math.gcd(g, x)\n    return g\n".into(),
        plan: plan(&["Start from 0, the identity of gcd.", "Fold math.gcd over the list; it ignores signs and returns a non-negative result."]),
        tests,
    }
}

//! Property tests of the step checker: a correct `a op b = c` checks, and corrupting one digit
//! is caught unless the corruption happens to keep the equation true (decided here with plain
//! integer arithmetic, independently of the verifier).

use mull_verifiers::steps::check_step;
use proptest::prelude::*;

/// Whether `a op b = n/d` holds, by cross-multiplication in i128; a division by zero never
/// holds.
fn holds(a: i128, op: char, b: i128, n: i128, d: i128) -> bool {
    if d == 0 || (op == '/' && b == 0) {
        return false;
    }
    match op {
        '+' => (a + b) * d == n,
        '-' => (a - b) * d == n,
        '*' => a * b * d == n,
        _ => a * d == n * b,
    }
}

fn gcd(a: i128, b: i128) -> i128 {
    if b == 0 {
        a.abs()
    } else {
        gcd(b, a % b)
    }
}

/// The exact result of `a op b` as (numerator, denominator) in lowest terms.
fn exact(a: i128, op: char, b: i128) -> (i128, i128) {
    match op {
        '+' => (a + b, 1),
        '-' => (a - b, 1),
        '*' => (a * b, 1),
        _ => {
            let g = gcd(a, b).max(1);
            (a / g, b / g)
        }
    }
}

fn render(n: i128, d: i128) -> String {
    if d == 1 {
        n.to_string()
    } else {
        format!("{n}/{d}")
    }
}

fn parse_side(s: &str) -> (i128, i128) {
    match s.split_once('/') {
        Some((n, d)) => (n.parse().unwrap(), d.parse().unwrap()),
        None => (s.parse().unwrap(), 1),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn one_corrupted_digit_is_caught(
        a in 0i128..100_000,
        b in 1i128..10_000,
        op in prop::sample::select(vec!['+', '-', '*', '/']),
        prose in prop::sample::select(vec!["", "So ", "First, ", "Then we get "]),
        which in 0usize..3,
        pos in any::<prop::sample::Index>(),
        digit in 0u8..10,
    ) {
        let (n, d) = exact(a, op, b);
        let parts = [a.to_string(), b.to_string(), render(n, d)];
        let step = format!("{prose}{} {op} {} = {}.", parts[0], parts[1], parts[2]);
        prop_assert_eq!(check_step(&step, &[]), Some(true), "{}", step);

        // Change one digit of one number.
        let mut bad = parts.clone();
        let digits: Vec<usize> =
            bad[which].char_indices().filter(|(_, c)| c.is_ascii_digit()).map(|(i, _)| i).collect();
        let at = digits[pos.index(digits.len())];
        let old = bad[which].as_bytes()[at];
        let new = b'0' + (digit % 10);
        prop_assume!(new != old);
        let mut bytes = bad[which].clone().into_bytes();
        bytes[at] = new;
        bad[which] = String::from_utf8(bytes).unwrap();
        let step = format!("{prose}{} {op} {} = {}.", bad[0], bad[1], bad[2]);
        let (a2, b2) = (bad[0].parse::<i128>().unwrap(), bad[1].parse::<i128>().unwrap());
        let (n2, d2) = parse_side(&bad[2]);
        let expected = Some(holds(a2, op, b2, n2, d2));
        prop_assert_eq!(check_step(&step, &[]), expected, "{}", step);
    }

    #[test]
    fn chains_check_each_pair(a in 1i64..1000, b in 1i64..1000, c in 1i64..1000) {
        let good = format!("{a} + {b} * {c} = {a} + {} = {}", b * c, a + b * c);
        prop_assert_eq!(check_step(&good, &[]), Some(true));
        let bad = format!("{a} + {b} * {c} = {a} + {} = {}", b * c + 1, a + b * c + 1);
        prop_assert_eq!(check_step(&bad, &[]), Some(false));
    }
}

#[test]
fn pathological_steps_return() {
    assert_eq!(check_step("9^9^9^9 = 5", &[]), None);
    assert_eq!(
        check_step(
            &format!("{}2{} = 2", "(".repeat(10_000), ")".repeat(10_000)),
            &[]
        ),
        None
    );
    assert_eq!(check_step(&"7".repeat(1 << 20), &[]), None);
    assert_eq!(check_step(&format!("{} = 1", "1".repeat(3000)), &[]), None);
}

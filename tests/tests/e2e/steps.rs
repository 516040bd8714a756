//! Generators and verifiers together: every reference step of the checkable families checks,
//! and corrupting one number (math) or one letter (cipher) of one step is caught at that step.
//! Generator and verifier share no code, so a bug in one cannot hide in the other.

use mull_data::{Attempt, Problem};
use mull_generators::GeneratorSpec;
use mull_verifiers::Verifiers;
use proptest::prelude::*;

fn problem(family: &str, seed: u64, index: u64) -> Problem {
    let spec = GeneratorSpec {
        family: family.to_string(),
        variant: None,
        difficulty: None,
    };
    mull_generators::generate(&spec, seed, index).unwrap()
}

/// The verdict of `problem`'s reference solution with its steps replaced by `steps`.
fn first_error(problem: &Problem, steps: &[String]) -> (bool, Option<usize>) {
    let mut p = problem.clone();
    p.reference = steps.to_vec();
    let attempt = Attempt::from_completion(&p.id, 0, p.reference_completion());
    let verdict = Verifiers::default()
        .for_family(&p.family)
        .unwrap()
        .verify(&p, &attempt);
    (verdict.correct, verdict.first_error)
}

/// Changes one digit of the number a step ends with (`... = 68` → `... = 69`): the result
/// changes value while the other side does not, so the equation must become false.
fn corrupt_result(step: &str, bump: u32) -> Option<String> {
    let end = step.trim_end_matches('.').len();
    let digits_start = step[..end].rfind(|c: char| !c.is_ascii_digit())? + 1;
    if digits_start == end || !step[..digits_start].contains('=') {
        return None;
    }
    let pos = digits_start + (bump as usize % (end - digits_start));
    let d = step.as_bytes()[pos] - b'0';
    let new = char::from(b'0' + (d + 1 + (bump % 9) as u8) % 10);
    let mut s = step.to_string();
    s.replace_range(pos..=pos, &new.to_string());
    Some(s)
}

/// Changes one letter of the decoded word of a cipher step (`oyfjdnisdr -> think`).
fn corrupt_plain_letter(step: &str, bump: u32) -> Option<String> {
    let arrow = step.find("->")?;
    let letters: Vec<usize> = step[arrow..]
        .char_indices()
        .filter(|(_, c)| c.is_ascii_lowercase())
        .map(|(i, _)| arrow + i)
        .collect();
    let pos = *letters.get(bump as usize % letters.len().max(1))?;
    let c = step.as_bytes()[pos] - b'a';
    let new = char::from(b'a' + (c + 1 + (bump % 25) as u8) % 26);
    let mut s = step.to_string();
    s.replace_range(pos..=pos, &new.to_string());
    Some(s)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_corrupted_number_is_caught_at_its_step(
        family in prop::sample::select(vec!["arithmetic", "equations", "countdown"]),
        index in 0u64..10_000,
        which in any::<u32>(),
        bump in any::<u32>(),
    ) {
        let p = problem(family, 21, index);
        prop_assert_eq!(first_error(&p, &p.reference), (true, None), "reference of {}", p.id);
        let i = which as usize % p.reference.len();
        let Some(bad) = corrupt_result(&p.reference[i], bump) else { return Ok(()); };
        let mut steps = p.reference.clone();
        steps[i] = bad.clone();
        let (_, first) = first_error(&p, &steps);
        prop_assert_eq!(first, Some(i), "{} step {}: {:?} -> {:?}", p.id, i, p.reference[i], bad);
    }

    #[test]
    fn a_corrupted_letter_is_caught_at_its_step(
        index in 0u64..10_000,
        which in any::<u32>(),
        bump in any::<u32>(),
    ) {
        let p = problem("cipher", 22, index);
        prop_assert_eq!(first_error(&p, &p.reference), (true, None), "reference of {}", p.id);
        let i = which as usize % p.reference.len();
        let bad = corrupt_plain_letter(&p.reference[i], bump).unwrap();
        let mut steps = p.reference.clone();
        steps[i] = bad.clone();
        let (_, first) = first_error(&p, &steps);
        prop_assert_eq!(first, Some(i), "{} step {}: {:?} -> {:?}", p.id, i, p.reference[i], bad);
    }
}

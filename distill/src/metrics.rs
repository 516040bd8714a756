//! Test-time compute metrics over the attempts of one problem.

use std::collections::HashMap;
use std::hash::Hash;

/// The unbiased pass@k estimate from `n` samples of which `c` are correct (Chen et al. 2021):
/// `1 - C(n-c, k) / C(n, k)`, computed as a product so it stays exact-ish for large `n`.
/// Returns `None` when `k` is 0 or larger than `n`, or `c > n`.
pub fn pass_at_k(n: u64, c: u64, k: u64) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    if n - c < k {
        return Some(1.0);
    }
    // C(n-c, k) / C(n, k) = prod_{i = n-c+1}^{n} (1 - k / i)
    let mut fail = 1.0f64;
    for i in (n - c + 1)..=n {
        fail *= 1.0 - k as f64 / i as f64;
    }
    Some(1.0 - fail)
}

/// The majority answer among `answers` (ignoring `None`s): the most frequent one, ties broken
/// by first appearance, so the result does not depend on hash order.
pub fn majority<'a, T: Eq + Hash + 'a>(
    answers: impl IntoIterator<Item = Option<&'a T>>,
) -> Option<&'a T> {
    let mut counts: HashMap<&T, (usize, usize)> = HashMap::new();
    for (pos, answer) in answers.into_iter().enumerate() {
        if let Some(a) = answer {
            let entry = counts.entry(a).or_insert((0, pos));
            entry.0 += 1;
        }
    }
    counts
        .into_iter()
        .max_by(|(_, (ca, pa)), (_, (cb, pb))| ca.cmp(cb).then(pb.cmp(pa)))
        .map(|(a, _)| a)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// pass@k by brute force: the fraction of k-subsets of n samples with at least one correct.
    fn brute(n: u64, c: u64, k: u64) -> f64 {
        let (mut hit, mut all) = (0u64, 0u64);
        for mask in 0u64..(1 << n) {
            if u64::from(mask.count_ones()) != k {
                continue;
            }
            all += 1;
            // samples 0..c are the correct ones
            if mask & ((1 << c) - 1) != 0 {
                hit += 1;
            }
        }
        hit as f64 / all as f64
    }

    #[test]
    fn pass_at_k_matches_brute_force() {
        for n in 1..=10 {
            for c in 0..=n {
                for k in 1..=n {
                    let est = pass_at_k(n, c, k).unwrap();
                    assert!((est - brute(n, c, k)).abs() < 1e-12, "n={n} c={c} k={k}");
                }
            }
        }
        assert_eq!(pass_at_k(5, 2, 0), None);
        assert_eq!(pass_at_k(5, 2, 6), None);
        assert_eq!(pass_at_k(5, 6, 1), None);
        assert!((pass_at_k(10, 3, 1).unwrap() - 0.3).abs() < 1e-12);
    }

    #[test]
    fn majority_breaks_ties_by_first_appearance() {
        let a = [
            "7".to_string(),
            "5".to_string(),
            "5".to_string(),
            "7".to_string(),
        ];
        assert_eq!(majority(a.iter().map(Some)), Some(&a[0]));
        let b = ["1".to_string(), "2".to_string(), "2".to_string()];
        assert_eq!(
            majority([Some(&b[0]), None, Some(&b[1]), Some(&b[2])]),
            Some(&b[1])
        );
        assert_eq!(majority::<String>([None, None]), None);
    }
}

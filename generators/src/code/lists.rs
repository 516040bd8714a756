//! List templates of the code family.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::{inputs, int_list, plan, test, Task, Template};

pub(super) fn templates() -> Vec<Template> {
    vec![
        Template {
            min_level: 1,
            build: running_sum,
        },
        Template {
            min_level: 2,
            build: rotate_list,
        },
        Template {
            min_level: 1,
            build: dedupe,
        },
        Template {
            min_level: 2,
            build: second_largest,
        },
        Template {
            min_level: 2,
            build: merge_sorted,
        },
        Template {
            min_level: 3,
            build: chunk_list,
        },
        Template {
            min_level: 4,
            build: max_subarray_sum,
        },
        Template {
            min_level: 3,
            build: pair_count,
        },
    ]
}

/// Value range of list elements: negatives from level 3 on.
fn range(level: u8) -> (i64, i64) {
    if level >= 3 {
        (-50, 50)
    } else {
        (0, 30)
    }
}

fn random_list(r: &mut ChaCha8Rng, level: u8, max_len: usize) -> Vec<i64> {
    let (lo, hi) = range(level);
    let len = r.random_range(1..=max_len);
    int_list(r, len, lo, hi)
}

fn running_sum(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let cases = inputs(rng, vec![vec![], vec![7]], |r| random_list(r, level, 8));
    let tests = cases
        .iter()
        .map(|xs| {
            let out: Vec<i64> = xs
                .iter()
                .scan(0, |acc, x| {
                    *acc += x;
                    Some(*acc)
                })
                .collect();
            test(vec![json!(xs)], json!(out))
        })
        .collect();
    Task {
        entry_point: "running_sum",
        signature: "running_sum(nums: list[int]) -> list[int]",
        spec: "Return a new list whose i-th element is the sum of `nums[0]` through `nums[i]`. An empty list gives an empty list; `nums` must not be modified.".into(),
        solution: "def running_sum(nums: list[int]) -> list[int]:\n    out = []\n    total = 0\n    for x in nums:\n        total += x\n        out.append(total)\n    return out\n".into(),
        plan: plan(&["Keep a running total starting at 0.", "For each element add it to the total and append the total to a new list."]),
        tests,
    }
}

fn rotate_list(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let any_k = level >= 4;
    let spec = if any_k {
        "Return a new list with the elements of `nums` rotated to the right by `k` positions (the last element moves to the front for k = 1). `k` may be larger than the length of the list, and a negative `k` rotates to the left. An empty list gives an empty list."
    } else {
        "Return a new list with the elements of `nums` rotated to the right by `k` positions, where 0 <= k <= len(nums): the last `k` elements move to the front, in order. An empty list gives an empty list."
    };
    let edges = if any_k {
        vec![(vec![], 3), (vec![1, 2, 3], -1), (vec![4, 5], 7)]
    } else {
        vec![(vec![], 0), (vec![1, 2, 3], 3)]
    };
    let cases = inputs(rng, edges, |r| {
        let xs = random_list(r, level, 8);
        let n = xs.len() as i64;
        let k = if any_k {
            r.random_range(-2 * n..=3 * n)
        } else {
            r.random_range(0..=n)
        };
        (xs, k)
    });
    let tests = cases
        .iter()
        .map(|(xs, k)| {
            let mut out = xs.clone();
            if !out.is_empty() {
                let k = k.rem_euclid(out.len() as i64) as usize;
                out.rotate_right(k);
            }
            test(vec![json!(xs), json!(k)], json!(out))
        })
        .collect();
    Task {
        entry_point: "rotate_list",
        signature: "rotate_list(nums: list[int], k: int) -> list[int]",
        spec: spec.into(),
        solution: "def rotate_list(nums: list[int], k: int) -> list[int]:\n    if not nums:\n        return []\n    k %= len(nums)\n    return nums[len(nums) - k:] + nums[:len(nums) - k]\n".into(),
        plan: plan(&[
            "Handle the empty list first (there is nothing to rotate and no length to divide by).",
            "Reduce k modulo the length; Python's % also turns a left rotation into the equivalent right one.",
            "Concatenate the last k elements with the rest.",
        ]),
        tests,
    }
}

fn dedupe(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let keep_last = level >= 4;
    let spec = if keep_last {
        "Return a new list with duplicates removed from `nums`, keeping only the LAST occurrence of each value; the kept elements stay in their original relative order. For example, [1, 2, 1, 3] gives [2, 1, 3]."
    } else {
        "Return a new list with duplicates removed from `nums`, keeping the first occurrence of each value and the original order."
    };
    let cases = inputs(rng, vec![vec![], vec![5, 5, 5]], |r| {
        let len = r.random_range(1..=10);
        int_list(r, len, 0, 6)
    });
    let tests = cases
        .iter()
        .map(|xs| {
            let out: Vec<i64> = if keep_last {
                let mut rev: Vec<i64> = Vec::new();
                for x in xs.iter().rev() {
                    if !rev.contains(x) {
                        rev.push(*x);
                    }
                }
                rev.into_iter().rev().collect()
            } else {
                let mut out: Vec<i64> = Vec::new();
                for x in xs {
                    if !out.contains(x) {
                        out.push(*x);
                    }
                }
                out
            };
            test(vec![json!(xs)], json!(out))
        })
        .collect();
    let solution = if keep_last {
        "def dedupe(nums: list[int]) -> list[int]:\n    seen = set()\n    out = []\n    for x in reversed(nums):\n        if x not in seen:\n            seen.add(x)\n            out.append(x)\n    out.reverse()\n    return out\n"
    } else {
        "def dedupe(nums: list[int]) -> list[int]:\n    seen = set()\n    out = []\n    for x in nums:\n        if x not in seen:\n            seen.add(x)\n            out.append(x)\n    return out\n"
    };
    Task {
        entry_point: "dedupe",
        signature: "dedupe(nums: list[int]) -> list[int]",
        spec: spec.into(),
        solution: solution.into(),
        plan: if keep_last {
            plan(&["Walk the list backwards, keeping values not seen before (a set makes the check fast).", "Reverse the kept values to restore the original order."])
        } else {
            plan(&[
                "Walk the list, remembering seen values in a set.",
                "Append each value the first time it appears.",
            ])
        },
        tests,
    }
}

fn second_largest(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let cases = inputs(
        rng,
        vec![vec![], vec![4], vec![3, 3, 3], vec![2, 9, 9]],
        |r| random_list(r, level, 8),
    );
    let tests = cases
        .iter()
        .map(|xs| {
            let mut d = xs.clone();
            d.sort_unstable();
            d.dedup();
            let out = if d.len() >= 2 {
                json!(d[d.len() - 2])
            } else {
                json!(null)
            };
            test(vec![json!(xs)], out)
        })
        .collect();
    Task {
        entry_point: "second_largest",
        signature: "second_largest(nums: list[int]) -> int | None",
        spec: "Return the second largest distinct value in `nums` (equal values count once), or `None` if `nums` has fewer than two distinct values.".into(),
        solution: "def second_largest(nums: list[int]) -> int | None:\n    values = sorted(set(nums))\n    if len(values) < 2:\n        return None\n    return values[-2]\n".into(),
        plan: plan(&["Collect the distinct values and sort them.", "Return the next-to-last one, or None when there are fewer than two."]),
        tests,
    }
}

fn merge_sorted(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let unique = level >= 4;
    let spec = if unique {
        "`a` and `b` are each sorted in non-decreasing order. Return one sorted list of all the values that appear in `a` or `b`, each value exactly once."
    } else {
        "`a` and `b` are each sorted in non-decreasing order. Return one list, sorted in non-decreasing order, that contains all elements of both (keeping duplicates)."
    };
    let sorted = |r: &mut ChaCha8Rng| {
        let mut xs = if r.random_bool(0.15) {
            vec![]
        } else {
            random_list(r, level, 7)
        };
        xs.sort_unstable();
        xs
    };
    let cases = inputs(rng, vec![(vec![], vec![]), (vec![1, 2, 2], vec![])], |r| {
        (sorted(r), sorted(r))
    });
    let tests = cases
        .iter()
        .map(|(a, b)| {
            let mut out: Vec<i64> = a.iter().chain(b).copied().collect();
            out.sort_unstable();
            if unique {
                out.dedup();
            }
            test(vec![json!(a), json!(b)], json!(out))
        })
        .collect();
    let solution = if unique {
        "def merge_sorted(a: list[int], b: list[int]) -> list[int]:\n    out = []\n    i = j = 0\n    while i < len(a) or j < len(b):\n        if j == len(b) or (i < len(a) and a[i] <= b[j]):\n            x = a[i]\n            i += 1\n        else:\n            x = b[j]\n            j += 1\n        if not out or out[-1] != x:\n            out.append(x)\n    return out\n"
    } else {
        "def merge_sorted(a: list[int], b: list[int]) -> list[int]:\n    out = []\n    i = j = 0\n    while i < len(a) and j < len(b):\n        if a[i] <= b[j]:\n            out.append(a[i])\n            i += 1\n        else:\n            out.append(b[j])\n            j += 1\n    out.extend(a[i:])\n    out.extend(b[j:])\n    return out\n"
    };
    Task {
        entry_point: "merge_sorted",
        signature: "merge_sorted(a: list[int], b: list[int]) -> list[int]",
        spec: spec.into(),
        solution: solution.into(),
        plan: plan(&[
            "Walk both lists with two indices, always taking the smaller front element.",
            if unique {
                "Skip a value equal to the last one appended, so each value appears once."
            } else {
                "When one list runs out, append the rest of the other."
            },
        ]),
        tests,
    }
}

fn chunk_list(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let cases = inputs(
        rng,
        vec![(vec![], 3), (vec![1, 2, 3], 5), (vec![1, 2, 3, 4], 1)],
        |r| {
            let xs = random_list(r, level, 10);
            let size = r.random_range(1..=4);
            (xs, size)
        },
    );
    let tests = cases
        .iter()
        .map(|(xs, size)| {
            let out: Vec<Vec<i64>> = xs.chunks(*size as usize).map(<[i64]>::to_vec).collect();
            test(vec![json!(xs), json!(size)], json!(out))
        })
        .collect();
    Task {
        entry_point: "chunk_list",
        signature: "chunk_list(nums: list[int], size: int) -> list[list[int]]",
        spec: "Split `nums` into consecutive chunks of `size` elements (size >= 1) and return them as a list of lists; the last chunk holds the remaining elements and may be shorter. An empty list gives an empty list.".into(),
        solution: "def chunk_list(nums: list[int], size: int) -> list[list[int]]:\n    return [nums[i:i + size] for i in range(0, len(nums), size)]\n".into(),
        plan: plan(&["Step through the start indices 0, size, 2*size, ...", "Slice size elements from each start; slicing past the end gives the shorter last chunk."]),
        tests,
    }
}

fn max_subarray_sum(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let cases = inputs(rng, vec![vec![], vec![-3], vec![-5, -2, -8]], |r| {
        random_list(r, level.max(3), 10)
    });
    let tests = cases
        .iter()
        .map(|xs| {
            let mut best: Option<i64> = None;
            for i in 0..xs.len() {
                for j in i..xs.len() {
                    let s: i64 = xs[i..=j].iter().sum();
                    best = Some(best.map_or(s, |b| b.max(s)));
                }
            }
            test(vec![json!(xs)], json!(best.unwrap_or(0)))
        })
        .collect();
    Task {
        entry_point: "max_subarray_sum",
        signature: "max_subarray_sum(nums: list[int]) -> int",
        spec: "Return the largest sum of a non-empty run of consecutive elements of `nums`. If every element is negative, that is the largest single element. Return 0 for an empty list.".into(),
        solution: "def max_subarray_sum(nums: list[int]) -> int:\n    if not nums:\n        return 0\n    best = current = nums[0]\n    for x in nums[1:]:\n        current = max(x, current + x)\n        best = max(best, current)\n    return best\n".into(),
        plan: plan(&[
            "Return 0 for an empty list.",
            "Track the best sum of a run ending at the current element: either the element alone or the element added to the previous run (Kadane's algorithm).",
            "Keep the maximum of those sums over all positions.",
        ]),
        tests,
    }
}

fn pair_count(rng: &mut ChaCha8Rng, level: u8) -> Task {
    let cases = inputs(
        rng,
        vec![(vec![], 4), (vec![2, 2, 2], 4), (vec![5], 10)],
        |r| {
            let len = r.random_range(2..=9);
            let (lo, hi) = if level >= 4 { (-10, 10) } else { (0, 10) };
            let xs = int_list(r, len, lo, hi);
            let t = xs[0] + xs[len - 1];
            let target = if r.random_bool(0.7) {
                t
            } else {
                r.random_range(lo..=hi)
            };
            (xs, target)
        },
    );
    let tests = cases
        .iter()
        .map(|(xs, t)| {
            let n = (0..xs.len())
                .flat_map(|i| (i + 1..xs.len()).map(move |j| (i, j)))
                .filter(|&(i, j)| xs[i] + xs[j] == *t)
                .count();
            test(vec![json!(xs), json!(t)], json!(n))
        })
        .collect();
    Task {
        entry_point: "pair_count",
        signature: "pair_count(nums: list[int], target: int) -> int",
        spec: "Return the number of index pairs (i, j) with i < j such that `nums[i] + nums[j] == target`. Equal values at different positions form different pairs.".into(),
        solution: "def pair_count(nums: list[int], target: int) -> int:\n    seen = {}\n    count = 0\n    for x in nums:\n        count += seen.get(target - x, 0)\n        seen[x] = seen.get(x, 0) + 1\n    return count\n".into(),
        plan: plan(&[
            "Walk the list once, counting how often each value has been seen so far in a dictionary.",
            "For each element, every earlier element equal to target minus it forms a pair: add that count.",
        ]),
        tests,
    }
}

//! Properties of the math grader.
//!
//! - Random polynomials in `x`, `y`, `z`, `π`, `√2` and `√3`, written factored, equal their
//!   own expansion, written with shuffled terms and factors and rescaled by a fraction; the
//!   expansion is computed here, by a model independent of the grader. Changing one
//!   coefficient of the expansion by `1/k` must be caught.
//! - No input panics: random strings, random bytes, and soups of LaTeX-like tokens, as gold and
//!   as prediction. `MULL_FUZZ_CASES` sets the number of cases per strategy (the README's
//!   figure of a million in all was `MULL_FUZZ_CASES=350000`, run once in release mode).

use std::collections::BTreeMap;

use mull_verifiers::math::grade_math;
use proptest::prelude::*;

/// Exponents of x, y, z, π, √2, √3 (the radicals' at most 1).
type Mono = [u32; 6];
type Poly = BTreeMap<Mono, i64>;

fn mul(a: &Poly, b: &Poly) -> Poly {
    let mut out = Poly::new();
    for (ma, ca) in a {
        for (mb, cb) in b {
            let mut m = [0; 6];
            let mut c = ca * cb;
            for i in 0..6 {
                m[i] = ma[i] + mb[i];
            }
            for (i, radicand) in [(4, 2), (5, 3)] {
                if m[i] == 2 {
                    m[i] = 0;
                    c *= radicand;
                }
            }
            *out.entry(m).or_insert(0) += c;
        }
    }
    out.retain(|_, c| *c != 0);
    out
}

/// A small deterministic generator (xorshift), so a failing seed reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn coin(&mut self) -> bool {
        self.below(2) == 0
    }
}

fn factor_texts(m: &Mono, rng: &mut Rng) -> Vec<String> {
    let mut f = Vec::new();
    for (i, name) in ["x", "y", "z"].iter().enumerate() {
        match m[i] {
            0 => {}
            1 => f.push((*name).to_string()),
            k => f.push(format!("{name}^{{{k}}}")),
        }
    }
    match m[3] {
        0 => {}
        1 => f.push("\\pi".into()),
        k => f.push(format!("\\pi^{{{k}}}")),
    }
    for (i, r) in [(4, 2), (5, 3)] {
        if m[i] == 1 {
            f.push(format!("\\sqrt{{{r}}}"));
        }
    }
    // Reorder the factors.
    for i in (1..f.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        f.swap(i, j);
    }
    f
}

/// The terms of `p` in a shuffled order, as LaTeX.
fn text(p: &Poly, rng: &mut Rng) -> String {
    let mut terms: Vec<(&Mono, &i64)> = p.iter().collect();
    for i in (1..terms.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        terms.swap(i, j);
    }
    let mut out = String::new();
    for (k, (m, c)) in terms.into_iter().enumerate() {
        let sign = if *c < 0 { "-" } else { "+" };
        if k > 0 || *c < 0 {
            out.push_str(if k > 0 { " " } else { "" });
            out.push_str(sign);
            out.push(' ');
        }
        let factors = factor_texts(m, rng);
        let a = c.unsigned_abs();
        if a != 1 || factors.is_empty() {
            out.push_str(&a.to_string());
        }
        let sep = if rng.coin() { " " } else { " \\cdot " };
        let body = factors.join(sep);
        if a != 1 && !body.is_empty() {
            out.push_str(if rng.coin() { " " } else { " \\cdot " });
        }
        out.push_str(&body);
    }
    if out.is_empty() {
        out.push('0');
    }
    out
}

/// A random factor: one to three terms with distinct monomials and small coefficients.
fn random_factor(rng: &mut Rng) -> Poly {
    let mut p = Poly::new();
    for _ in 0..1 + rng.below(3) {
        let mut m = [0u32; 6];
        for e in m.iter_mut().take(3) {
            *e = rng.below(3) as u32;
        }
        m[3] = rng.below(2) as u32;
        m[4] = u32::from(rng.below(4) == 0);
        m[5] = u32::from(rng.below(5) == 0);
        let c = rng.below(9) as i64 - 4;
        if c != 0 {
            p.insert(m, c);
        }
    }
    if p.is_empty() {
        p.insert([0; 6], 1);
    }
    p
}

/// (factored text, expansion)
fn random_product(seed: u64) -> (String, Poly, Rng) {
    let mut rng = Rng(seed | 1);
    let mut product = Poly::from([([0; 6], 1)]);
    let mut factored = String::new();
    for _ in 0..1 + rng.below(3) {
        let f = random_factor(&mut rng);
        let squared = rng.below(4) == 0;
        product = mul(&product, &f);
        let mut t = format!("\\left({}\\right)", text(&f, &mut rng));
        if squared {
            product = mul(&product, &f);
            t.push_str("^{2}");
        }
        factored.push_str(&t);
    }
    (factored, product, rng)
}

/// `\frac{k · p}{k}`.
fn rescaled(p: &Poly, k: i64, rng: &mut Rng) -> String {
    let scaled: Poly = p.iter().map(|(m, c)| (*m, c * k)).collect();
    format!("\\frac{{{}}}{{{k}}}", text(&scaled, rng))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn expansions_equal_their_factored_form(seed in any::<u64>()) {
        let (gold, expanded, mut rng) = random_product(seed);
        let k = 2 + rng.below(6) as i64;
        let pred = rescaled(&expanded, k, &mut rng);
        // The grader refuses answers over 4096 bytes (a bound, tested elsewhere).
        prop_assume!(pred.len() < 3900);
        let g = grade_math(&gold, &format!("Answer: {pred}"));
        prop_assert!(g.correct, "gold {gold}\npred {pred}\n{}", g.reason);

        // One coefficient of the scaled expansion off by one: a change of 1/k.
        let mut scaled: Poly = expanded.iter().map(|(m, c)| (*m, c * k)).collect();
        let keys: Vec<Mono> = scaled.keys().copied().collect();
        let at = keys[rng.below(keys.len() as u64) as usize];
        let delta = if rng.coin() { 1 } else { -1 };
        *scaled.entry(at).or_insert(0) += delta;
        scaled.retain(|_, c| *c != 0);
        let wrong = format!("\\frac{{{}}}{{{k}}}", text(&scaled, &mut rng));
        let g = grade_math(&gold, &format!("Answer: {wrong}"));
        prop_assert!(!g.correct, "gold {gold}\nwrong {wrong}\n{}", g.reason);
    }
}

/// Tokens of the LaTeX-like soups: every construct the grader parses, and its hazards.
const VOCAB: &[&str] = &[
    "\\frac",
    "\\dfrac",
    "{",
    "}",
    "\\sqrt",
    "[",
    "]",
    "(",
    ")",
    "\\left(",
    "\\right)",
    "x",
    "y",
    "e",
    "f",
    "2",
    "0",
    "1",
    "999999999999",
    "0.5",
    "1,000",
    "1 000",
    "^",
    "_",
    "!",
    "%",
    "\\%",
    "+",
    "-",
    "*",
    "/",
    "\\cdot",
    "=",
    ",",
    "<",
    "\\le",
    "\\ge",
    "\\neq",
    "\\pi",
    "\\infty",
    "\\cup",
    "\\{",
    "\\}",
    "\\emptyset",
    "\\begin{pmatrix}",
    "\\end{pmatrix}",
    "&",
    "\\\\",
    "\\sin",
    "\\log",
    "\\ln",
    "\\exp",
    "\\circ",
    "\\text{ cm}",
    "\\boxed{",
    "$",
    "\\(",
    "\\)",
    "Answer:",
    "the answer is",
    "or",
    "and",
    "ab",
    "\\in",
    "√",
    "π",
    "≤",
    "∞",
    "½",
    "\n",
    "|",
    ";",
    ":",
    "\\\\boxed{",
    "\\\\frac",
    "\\\\n",
    "\\n",
    "\\$",
    "\\quadx",
    "\\quad",
    "\\text{and}",
    "\\times",
    "\\begin{bmatrix}",
    "\\end{bmatrix}",
    "p=",
    "(x, y) =",
    "boxed{",
    "\\approx",
];

fn cases() -> u32 {
    std::env::var("MULL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
}

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(VOCAB), any::<bool>()), 0..48).prop_map(|toks| {
        toks.into_iter()
            .map(|(t, space)| {
                if space {
                    format!("{t} ")
                } else {
                    t.to_string()
                }
            })
            .collect()
    })
}

/// What must hold of any grade: it never panics (the call returns), and it only says correct
/// of answers it parsed on both sides.
fn sane(gold: &str, pred: &str) -> Result<(), TestCaseError> {
    let g = grade_math(gold, pred);
    prop_assert!(!g.correct || (g.gold.is_some() && g.pred.is_some()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn token_soups_never_panic(gold in soup(), pred in soup()) {
        sane(&gold, &pred)?;
        sane(&gold, &format!("Answer: {pred}"))?;
        sane("x + 1", &pred)?;
    }

    #[test]
    fn random_strings_never_panic(gold in ".{0,64}", pred in ".{0,200}") {
        sane(&gold, &pred)?;
        sane("\\frac{\\sqrt{2}}{2}", &pred)?;
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        sane(&text, &text)?;
        sane("[-2, 7)", &text)?;
    }
}

//! Whether the applications of an answer (functions with a restricted domain, even roots,
//! powers with a symbolic exponent) have real values together anywhere.
//!
//! Atoms are independent indeterminates, so an atom that is nowhere defined still cancels
//! (`\ln(-1-x^2) - \ln(-1-x^2)`, both sides of `y + \ln(-1-x^2) = 5 + \ln(-1-x^2)`) or
//! vanishes times zero (`0 \cdot \sqrt{-x^2-y^2-1}`), and the answer would equal what is
//! left. While one answer is parsed, every such application with its argument goes into a
//! ledger ([`with_ledger`]); if one of them is missing from the finished value, [`check`]
//! accepts the value only where all of them are shown defined at one common point: at one of
//! a fixed set of rational points every argument is strictly inside its function's domain —
//! an open condition, so a whole neighbourhood is inside too (`\sqrt{x} + 0 \cdot \ln(-x)`
//! has none). Arguments that are not rational functions of plain variables (π, radicals, other
//! applications in them) are never shown, which refuses more than needed, never less.
//!
//! An application to a constant is judged when it is made ([`undefined`]): `\ln 0`,
//! `\tan\frac{\pi}{2}` and constants whose sign the algebra cannot read are refused outright.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, Zero};

use super::Sym;
use crate::math::MathError;

/// Where an argument must be for its application to have a value on an open set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Inside {
    /// Logarithms, even roots, a base to a symbolic power.
    Positive,
    /// A logarithm's base.
    PositiveNotOne,
    /// arcsin, arccos: strictly between −1 and 1.
    OpenUnit,
    /// cot, csc of a rational: anywhere but 0 (π is irrational).
    NonZero,
    /// tan, sec of a rational: anywhere (π/2 is irrational).
    Anywhere,
}

impl Inside {
    fn holds(self, v: &BigRational) -> bool {
        match self {
            Inside::Positive => v.is_positive(),
            Inside::PositiveNotOne => v.is_positive() && !v.is_one(),
            Inside::OpenUnit => v.abs() < BigRational::one(),
            Inside::NonZero => !v.is_zero(),
            Inside::Anywhere => true,
        }
    }
}

/// An application made while parsing an answer: its atom's text and where its argument must be.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    text: String,
    arg: Sym,
    inside: Inside,
}

thread_local! {
    /// The ledger of the answer being parsed on this thread: `None` outside [`with_ledger`].
    static LEDGER: RefCell<Option<Vec<Entry>>> = const { RefCell::new(None) };
}

/// Runs `f`, the parse of one expression or answer, with a fresh ledger and returns what it
/// noted; the enclosing ledger (if any) is put back, unchanged: a caller whose parse stands
/// hands its notes on with [`forward`], so an answer is checked as a whole (both sides of a
/// relation, a matrix product) as well as each expression in it.
pub(crate) fn with_ledger<T>(f: impl FnOnce() -> T) -> (T, Vec<Entry>) {
    /// Puts the enclosing ledger back however `f` ends: a ledger left open by a panic would
    /// collect notes that nobody checks.
    struct Restore(Option<Vec<Entry>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let outer = self.0.take();
            LEDGER.with(|l| *l.borrow_mut() = outer);
        }
    }
    let restore = Restore(LEDGER.with(|l| l.borrow_mut().replace(Vec::new())));
    let out = f();
    let notes = LEDGER.with(|l| l.borrow_mut().take()).unwrap_or_default();
    drop(restore);
    (out, notes)
}

/// Adds notes to the enclosing ledger, if there is one.
pub(crate) fn forward(notes: Vec<Entry>) {
    LEDGER.with(|l| {
        if let Some(outer) = l.borrow_mut().as_mut() {
            for e in notes {
                push(outer, e);
            }
        }
    });
}

fn push(notes: &mut Vec<Entry>, e: Entry) {
    if !notes
        .iter()
        .any(|n| n.text == e.text && n.inside == e.inside && n.arg == e.arg)
    {
        notes.push(e);
    }
}

/// Whether `fname` may have no real value at `arg`, where that is decided exactly: tan and sec
/// at odd multiples of π/2, cot and csc at multiples of π (and 0), logarithms at or below zero
/// or to a base that is not positive or is 1, arcsin and arccos beyond ±1, all at rationals
/// and rational multiples of π. Any other constant argument of these functions is refused
/// unless its sign settles it (one term: a rational times radicals and powers of π, as in
/// `\ln(2\pi)` or `\tan\sqrt2`), since an atom of no value would still cancel (`5 +
/// \tan\frac{\pi}{2} - \tan\frac{\pi}{2}`) or vanish times zero. Arguments with variables are
/// not judged.
pub(super) fn undefined(fname: &str, arg: &Sym) -> bool {
    let restricted = matches!(
        fname,
        "tan" | "sec" | "cot" | "csc" | "ln" | "log" | "lg" | "arcsin" | "arccos"
    ) || fname.starts_with("log_");
    if !restricted {
        return false;
    }
    let one = BigRational::from_integer(BigInt::from(1));
    let base_bad = fname
        .strip_prefix("log_")
        .is_some_and(|b| match b.parse::<BigRational>() {
            Ok(b) => !b.is_positive() || b == one,
            // `\log_b x`: a variable base; any other (`\log_{\cos\pi}`) is not judged, so refused.
            Err(_) => !(super::names::is_variable(b) || b == "e" || b == "π"),
        });
    if base_bad {
        return true;
    }
    let exact = match arg.as_rational() {
        Some(q) => Some((q, false)),
        None => arg.pi_multiple().map(|q| (q, true)),
    };
    let Some((q, pi)) = exact else {
        if arg.mentions_variable() {
            return false;
        }
        // A constant of another shape: one term whose sign is its coefficient's, with no `e`
        // (π/e is not known to be irrational, so `\tan e` is not known to be defined).
        let Some(sign) = arg.single_term_sign() else {
            return true;
        };
        return match fname {
            "arcsin" | "arccos" => true,
            "tan" | "sec" | "cot" | "csc" => false,
            _ => sign <= 0,
        };
    };
    let half = BigRational::new(BigInt::from(1), BigInt::from(2));
    match fname {
        "tan" | "sec" => pi && (&q - &half).is_integer(),
        "cot" | "csc" => q.is_zero() || (pi && q.is_integer()),
        // |q·π| > 1 from |q| > 0.318 (1/π = 0.3183…): a sliver near 1/π is refused too.
        "arcsin" | "arccos" if pi => {
            q.abs() > BigRational::new(BigInt::from(318), BigInt::from(1000))
        }
        "arcsin" | "arccos" => q.abs() > one,
        // The logarithms.
        _ => !q.is_positive(),
    }
}

/// Notes an application whose argument must be `inside` (dropped outside a ledger).
pub(crate) fn note(text: &str, arg: &Sym, inside: Inside) {
    LEDGER.with(|l| {
        if let Some(notes) = l.borrow_mut().as_mut() {
            push(
                notes,
                Entry {
                    text: text.to_string(),
                    arg: arg.clone(),
                    inside,
                },
            );
        }
    });
}

/// Notes `fname(arg)` when `fname` has a restricted domain: its argument when that has
/// variables (a constant argument was judged when the application was made:
/// `parse::undefined`), and a logarithm's variable base (positive, not 1), whatever the
/// argument.
pub(crate) fn note_application(text: &str, fname: &str, arg: &Sym) {
    if let Some(base) = fname.strip_prefix("log_") {
        if base.parse::<BigRational>().is_err() && base != "e" && base != "π" {
            note(text, &Sym::variable(base), Inside::PositiveNotOne);
        }
    }
    if !arg.mentions_variable() {
        return;
    }
    let inside = match fname {
        "ln" | "log" | "lg" => Inside::Positive,
        _ if fname.starts_with("log_") => Inside::Positive,
        "arcsin" | "arccos" => Inside::OpenUnit,
        "tan" | "sec" => Inside::Anywhere,
        "cot" | "csc" => Inside::NonZero,
        _ => return,
    };
    note(text, arg, inside);
}

/// Accepts a parsed value, `present` its text, unless an application of the ledger is missing
/// from it and the ledger's applications are not all shown defined at one common point.
pub(crate) fn check(notes: &[Entry], present: &str) -> Result<(), MathError> {
    check_with(notes, present, &BTreeMap::new())
}

/// [`check`] with some variables fixed (`x = 5` elsewhere in the answer): the sample points
/// give them these values.
pub(crate) fn check_with(
    notes: &[Entry],
    present: &str,
    fixed: &BTreeMap<String, BigRational>,
) -> Result<(), MathError> {
    let Some(gone) = notes.iter().find(|e| !occurs(&e.text, present)) else {
        return Ok(());
    };
    if common_point(notes, fixed) {
        return Ok(());
    }
    Err(MathError::Undefined(format!(
        "{} may have no real value where the rest of the answer has one, and it cancels",
        gone.text
    )))
}

/// Whether `text` (an application, `ln(x)`) occurs in `present` as a whole application, not
/// as the tail of another name (`tan(u)` in `arctan(u)`).
fn occurs(text: &str, present: &str) -> bool {
    present.match_indices(text).any(|(i, _)| {
        !present[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Coordinates of the sample points: small integers and fractions of both signs, so a
/// polynomial positive only far out, near zero or in one quadrant is still seen positive.
const COORDINATES: [(i64, i64); 16] = [
    (0, 1),
    (1, 1),
    (-1, 1),
    (2, 1),
    (-2, 1),
    (1, 2),
    (-1, 2),
    (3, 1),
    (-3, 1),
    (1, 3),
    (10, 1),
    (-10, 1),
    (1, 10),
    (5, 1),
    (-5, 1),
    (100, 1),
];

/// Points tried for two or more variables, each variable's coordinate a different mix of the
/// point's index (a grid would be 256 points for two: a millisecond per failing argument).
const MIXED_POINTS: usize = 32;

/// Ledgers whose arguments have more terms than this in all are not sampled (so not shown):
/// a bound on the work of one check, whatever the answer's length.
const MAX_SAMPLED_TERMS: usize = 256;

/// Whether one sample point puts every argument strictly inside its domain.
fn common_point(notes: &[Entry], fixed: &BTreeMap<String, BigRational>) -> bool {
    let terms: usize = notes
        .iter()
        .map(|e| e.arg.num.len() + e.arg.den.len())
        .sum();
    if terms > MAX_SAMPLED_TERMS {
        return false;
    }
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for e in notes {
        match (e.arg.num.plain_variables(), e.arg.den.plain_variables()) {
            (Some(a), Some(b)) => names.extend(a.into_iter().chain(b)),
            _ => return false,
        }
    }
    let names: Vec<&str> = names
        .into_iter()
        .filter(|n| !fixed.contains_key(*n))
        .collect();
    let coordinate = |k: usize| {
        let (n, d) = COORDINATES[k % COORDINATES.len()];
        BigRational::new(n.into(), d.into())
    };
    let points: Vec<Vec<usize>> = match names.len() {
        0 => vec![vec![]],
        1 => (0..COORDINATES.len()).map(|i| vec![i]).collect(),
        k => (0..MIXED_POINTS)
            .map(|p| (0..k).map(|v| p * (2 * v + 1) + v * v).collect())
            .collect(),
    };
    points.into_iter().any(|point| {
        let values: BTreeMap<&str, BigRational> = names
            .iter()
            .zip(&point)
            .map(|(name, &k)| (*name, coordinate(k)))
            .collect();
        let at = |name: &str| values.get(name).or_else(|| fixed.get(name)).cloned();
        notes
            .iter()
            .all(|e| match (e.arg.num.eval_at(&at), e.arg.den.eval_at(&at)) {
                (Some(num), Some(den)) if !den.is_zero() => e.inside.holds(&(num / den)),
                _ => false,
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::lexer::lex;

    fn sym(text: &str) -> Sym {
        super::super::parse_tokens(&lex(text).unwrap()).unwrap()
    }

    fn entry(arg: &str, inside: Inside) -> Entry {
        Entry {
            text: format!("f({arg})"),
            arg: sym(arg),
            inside,
        }
    }

    #[test]
    fn a_common_sample_point_or_none() {
        let shown = |notes: &[Entry]| common_point(notes, &BTreeMap::new());
        assert!(shown(&[entry("x^2 - 50", Inside::Positive)]));
        assert!(shown(&[entry("x y - 1", Inside::Positive)]));
        assert!(shown(&[entry("\\frac{1}{x - 3}", Inside::Positive)]));
        assert!(!shown(&[entry("-x^2 - 1", Inside::Positive)]));
        assert!(!shown(&[entry("2xy - x^2 - y^2", Inside::Positive)]));
        // Each alone has points, together none.
        assert!(!shown(&[
            entry("x", Inside::Positive),
            entry("-x", Inside::Positive)
        ]));
        assert!(shown(&[
            entry("x", Inside::Positive),
            entry("x - 1", Inside::OpenUnit)
        ]));
        // π in the argument: never evaluated, so never shown.
        assert!(!shown(&[entry("x + \\pi", Inside::Positive)]));
        assert!(!shown(&[entry("x^2 + 1", Inside::OpenUnit)]));
        assert!(shown(&[entry("\\frac{x}{y}", Inside::NonZero)]));
    }

    #[test]
    fn a_panic_closes_the_ledger() {
        let arg = sym("x");
        let caught = std::panic::catch_unwind(|| {
            with_ledger(|| {
                note("ln(x)", &arg, Inside::Positive);
                panic!("inside a parse");
            })
        });
        assert!(caught.is_err());
        let ((), notes) = with_ledger(|| note("ln(x)", &arg, Inside::Positive));
        assert_eq!(notes.len(), 1, "a fresh ledger, not an inner one");
    }

    #[test]
    fn whole_applications_only() {
        assert!(occurs("tan(x)", "tan(x) + 1"));
        assert!(occurs("tan(x)", "sin(tan(x))"));
        assert!(!occurs("tan(x)", "arctan(x)"));
        let notes = [entry("-x^2 - 1", Inside::Positive)];
        assert!(check(&notes, "f(-x^2 - 1) + 1").is_ok());
        assert!(check(&notes, "1").is_err());
    }
}

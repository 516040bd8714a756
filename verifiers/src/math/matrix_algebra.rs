//! Sums and products of written-out matrices: `\begin{pmatrix}1&2\\3&4\end{pmatrix} +
//! \begin{pmatrix}5&6\\7&8\end{pmatrix}`, or two matrices side by side (`A B`, `A \cdot B`).
//! Entries are exact values ([`Sym`]); the shapes must agree, and a product's work is bounded
//! before it is done.

use num_rational::BigRational;

use super::brackets::matching_close;
use super::lexer::{Tok, Token};
use super::shapes::matrix;
use super::symbolic::Sym;
use super::value::MathValue;
use super::{MathError, MAX_ELEMENTS};

/// Most entry multiplications one matrix product may cost.
const MAX_PRODUCT_WORK: usize = 100_000;

type Grid = Vec<Vec<Sym>>;

/// The value of `toks` when they are two or more matrices joined by `+`, `-`, `\cdot`,
/// `\times` or nothing (a product); `None` when they are anything else.
pub(super) fn matrix_expression(
    toks: &[Token],
    depth: usize,
) -> Result<Option<MathValue>, MathError> {
    // (sign of the term, its factors)
    let mut terms: Vec<(bool, Vec<Grid>)> = vec![(true, Vec::new())];
    let mut i = 0;
    let mut matrices = 0;
    while i < toks.len() {
        match toks[i].tok {
            Tok::Plus | Tok::Minus if i > 0 => {
                terms.push((toks[i].tok == Tok::Plus, Vec::new()));
                i += 1;
            }
            Tok::Times if i > 0 => i += 1,
            Tok::MatrixOpen => {
                let Some(close) = matching_close(&toks[i..]) else {
                    return Ok(None);
                };
                let MathValue::Matrix(rows) = matrix(&toks[i + 1..i + close], depth + 1)? else {
                    return Ok(None);
                };
                let Some(grid) = grid(&rows) else {
                    return Ok(None);
                };
                if let Some((_, factors)) = terms.last_mut() {
                    factors.push(grid);
                }
                matrices += 1;
                i += close + 1;
            }
            _ => return Ok(None),
        }
    }
    if matrices < 2 || terms.iter().any(|(_, f)| f.is_empty()) {
        return Ok(None);
    }
    let mut sum: Option<Grid> = None;
    for (plus, factors) in terms {
        let mut factors = factors.into_iter();
        let Some(mut product) = factors.next() else {
            return Ok(None);
        };
        for f in factors {
            product = multiply(&product, &f)?;
        }
        sum = Some(match sum {
            None if plus => product,
            None => combine(&zeros_like(&product), &product, false)?,
            Some(s) => combine(&s, &product, plus)?,
        });
    }
    Ok(sum.map(|g| {
        MathValue::Matrix(
            g.into_iter()
                .map(|row| row.into_iter().map(value_of).collect())
                .collect(),
        )
    }))
}

/// The entries as exact values, if each is one.
fn grid(rows: &[Vec<MathValue>]) -> Option<Grid> {
    rows.iter()
        .map(|r| r.iter().map(MathValue::as_sym).collect())
        .collect()
}

fn value_of(s: Sym) -> MathValue {
    match s.as_rational() {
        Some(value) => MathValue::Number {
            value,
            percent: false,
        },
        None => MathValue::Expr(s),
    }
}

fn shape(g: &Grid) -> (usize, usize) {
    (g.len(), g.first().map_or(0, Vec::len))
}

fn zeros_like(g: &Grid) -> Grid {
    let zero = Sym::rational(BigRational::from_integer(0.into()));
    g.iter().map(|r| vec![zero.clone(); r.len()]).collect()
}

/// `a + b` or `a - b`, entrywise.
fn combine(a: &Grid, b: &Grid, plus: bool) -> Result<Grid, MathError> {
    if shape(a) != shape(b) {
        return Err(MathError::Syntax(
            "a sum of matrices of different shapes".into(),
        ));
    }
    a.iter()
        .zip(b)
        .map(|(ra, rb)| {
            ra.iter()
                .zip(rb)
                .map(|(x, y)| if plus { x.add(y) } else { x.sub(y) })
                .collect()
        })
        .collect()
}

fn multiply(a: &Grid, b: &Grid) -> Result<Grid, MathError> {
    let ((n, k), (k2, m)) = (shape(a), shape(b));
    if k != k2 {
        return Err(MathError::Syntax(
            "a product of matrices whose shapes do not fit".into(),
        ));
    }
    if n * m > MAX_ELEMENTS || n * m * k > MAX_PRODUCT_WORK {
        return Err(MathError::TooManyElements { max: MAX_ELEMENTS });
    }
    let mut out = Vec::with_capacity(n);
    for row in a {
        let mut out_row = Vec::with_capacity(m);
        for j in 0..m {
            let mut acc = Sym::rational(BigRational::from_integer(0.into()));
            for (x, b_row) in row.iter().zip(b) {
                acc = acc.add(&x.mul(&b_row[j])?)?;
            }
            out_row.push(acc);
        }
        out.push(out_row);
    }
    Ok(out)
}

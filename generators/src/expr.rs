//! Exact expression trees shared by the arithmetic and countdown families: values are big
//! rationals, printing uses the fewest parentheses that keep the meaning, and the reference
//! steps are one equation per operation in evaluation order (`17 * 4 = 68`).

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, Zero};

pub(crate) type Q = BigRational;

/// An integer as a rational.
pub(crate) fn q(n: i64) -> Q {
    Q::from_integer(BigInt::from(n))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Op {
    pub(crate) const ALL: [Op; 4] = [Op::Add, Op::Sub, Op::Mul, Op::Div];

    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Op::Add => "+",
            Op::Sub => "-",
            Op::Mul => "*",
            Op::Div => "/",
        }
    }

    fn precedence(self) -> u8 {
        match self {
            Op::Add | Op::Sub => 1,
            Op::Mul | Op::Div => 2,
        }
    }

    /// `a op b`, or `None` for division by zero.
    pub(crate) fn apply(self, a: &Q, b: &Q) -> Option<Q> {
        Some(match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => {
                if b.is_zero() {
                    return None;
                }
                a / b
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    Leaf,
    Bin(Op, Box<Expr>, Box<Expr>),
}

/// An expression with its exact value cached at every node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub(crate) kind: Kind,
    pub(crate) value: Q,
}

impl Expr {
    pub(crate) fn leaf(value: Q) -> Expr {
        Expr {
            kind: Kind::Leaf,
            value,
        }
    }

    /// `l op r`, or `None` for division by zero.
    pub(crate) fn bin(op: Op, l: Expr, r: Expr) -> Option<Expr> {
        let value = op.apply(&l.value, &r.value)?;
        Some(Expr {
            kind: Kind::Bin(op, Box::new(l), Box::new(r)),
            value,
        })
    }

    /// Number of operations.
    pub(crate) fn ops(&self) -> usize {
        match &self.kind {
            Kind::Leaf => 0,
            Kind::Bin(_, l, r) => 1 + l.ops() + r.ops(),
        }
    }

    /// The expression with minimal parentheses.
    pub(crate) fn display(&self) -> String {
        let mut s = String::new();
        self.write(&mut s, None);
        s
    }

    fn write(&self, out: &mut String, parent: Option<Op>) {
        match &self.kind {
            Kind::Leaf => out.push_str(&operand(&self.value, parent)),
            Kind::Bin(op, l, r) => {
                let p = op.precedence();
                let left_parens = matches!(&l.kind, Kind::Bin(lo, _, _) if lo.precedence() < p);
                // `a - (b + c)` and `a / (b * c)`: an equal-precedence right child needs
                // parentheses under a non-associative operator.
                let right_parens = matches!(&r.kind, Kind::Bin(ro, _, _)
                    if ro.precedence() < p || (ro.precedence() == p && matches!(op, Op::Sub | Op::Div)));
                wrap(out, left_parens, |o| l.write(o, Some(*op)));
                out.push(' ');
                out.push_str(op.symbol());
                out.push(' ');
                wrap(out, right_parens, |o| r.write(o, Some(*op)));
            }
        }
    }

    /// One equation per operation, in evaluation order (left subtree, right subtree, node).
    pub(crate) fn steps(&self) -> Vec<String> {
        let mut steps = Vec::with_capacity(self.ops());
        self.collect_steps(&mut steps);
        steps
    }

    fn collect_steps(&self, steps: &mut Vec<String>) {
        if let Kind::Bin(op, l, r) = &self.kind {
            l.collect_steps(steps);
            r.collect_steps(steps);
            steps.push(format!(
                "{} {} {} = {}",
                operand(&l.value, Some(*op)),
                op.symbol(),
                operand(&r.value, Some(*op)),
                fmt_q(&self.value)
            ));
        }
    }
}

fn wrap(out: &mut String, parens: bool, body: impl FnOnce(&mut String)) {
    if parens {
        out.push('(');
    }
    body(out);
    if parens {
        out.push(')');
    }
}

/// An exact value as text: `12`, `-3`, `5/6`, `-7/2` (always reduced; BigRational normalises).
pub(crate) fn fmt_q(v: &Q) -> String {
    if v.is_integer() {
        v.numer().to_string()
    } else {
        format!("{}/{}", v.numer(), v.denom())
    }
}

/// A value written as an operand: negatives are parenthesised (`5 - (-3)`), and so are fractions
/// under `*` and `/`, where `1/2 / 3/4` would read as `((1/2)/3)/4`.
pub(crate) fn operand(v: &Q, parent: Option<Op>) -> String {
    let s = fmt_q(v);
    let under_mul = matches!(parent, Some(Op::Mul | Op::Div));
    if parent.is_some() && (v.is_negative() || (under_mul && !v.is_integer())) {
        format!("({s})")
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(v: i64) -> Expr {
        Expr::leaf(q(v))
    }

    fn b(op: Op, l: Expr, r: Expr) -> Expr {
        Expr::bin(op, l, r).expect("nonzero divisor in test")
    }

    #[test]
    fn prints_minimal_parentheses_and_steps() {
        // (17 * 4 - 8) / 6
        let e = b(Op::Div, b(Op::Sub, b(Op::Mul, n(17), n(4)), n(8)), n(6));
        assert_eq!(e.display(), "(17 * 4 - 8) / 6");
        assert_eq!(e.steps(), vec!["17 * 4 = 68", "68 - 8 = 60", "60 / 6 = 10"]);
        assert_eq!(e.value, q(10));
        // Right operands of - and / keep their parentheses; of + and * they drop them.
        let e = b(Op::Sub, n(10), b(Op::Sub, n(4), n(3)));
        assert_eq!(e.display(), "10 - (4 - 3)");
        let e = b(Op::Add, n(10), b(Op::Sub, n(4), n(3)));
        assert_eq!(e.display(), "10 + 4 - 3");
        let e = b(Op::Div, n(24), b(Op::Mul, n(2), n(3)));
        assert_eq!(e.display(), "24 / (2 * 3)");
        assert_eq!(e.value, q(4));
    }

    #[test]
    fn negatives_and_fractions_are_parenthesised_as_operands() {
        let e = b(Op::Sub, n(5), n(-3));
        assert_eq!(e.display(), "5 - (-3)");
        assert_eq!(e.steps(), vec!["5 - (-3) = 8"]);
        let half = Expr::leaf(Q::new(1.into(), 2.into()));
        let e = b(
            Op::Div,
            half.clone(),
            Expr::leaf(Q::new(3.into(), 4.into())),
        );
        assert_eq!(e.display(), "(1/2) / (3/4)");
        assert_eq!(e.steps(), vec!["(1/2) / (3/4) = 2/3"]);
        let e = b(Op::Add, half, Expr::leaf(Q::new(1.into(), 3.into())));
        assert_eq!(e.steps(), vec!["1/2 + 1/3 = 5/6"]);
        assert!(Expr::bin(Op::Div, n(1), n(0)).is_none());
    }
}

//! Sums, products and indexed names: `\sum_{k=0}^{n-1} F_k F_{n-k-1}`, `a_{n+1}`.

use super::{atom, Parser};
use crate::math::lexer::Tok;
use crate::math::symbolic::Sym;
use crate::math::MathError;

impl Parser<'_> {
    /// `\sum_{k=0}^{n-1} body` (or `\prod`): one atom naming the operator, its bounds and its
    /// body, the body being the product that follows (`\sum_k a_k + 1` adds 1 to the sum)
    /// with the index renamed by depth. Sums are compared as written, up to the algebra of
    /// their bodies and bounds (`F_k F_{n-k-1}` = `F_{n-k-1} F_k`), never evaluated.
    pub(super) fn big_operator(&mut self, op: &str) -> Result<Sym, MathError> {
        let syntax = || MathError::Syntax(format!("`\\{op}` needs `_{{k=a}}^{{b}}`"));
        if !matches!(self.next_token().map(|t| &t.tok), Some(Tok::Other(u)) if u == "_") {
            return Err(syntax());
        }
        self.expect(&Tok::LBrace)?;
        let var = match self.next_token().map(|t| &t.tok) {
            Some(Tok::Var(v)) if v.len() == 1 => v.clone(),
            _ => return Err(syntax()),
        };
        self.expect(&Tok::Binds)?;
        let lower = self.group(&Tok::RBrace)?;
        if !self.eat(&Tok::Caret) {
            return Err(syntax());
        }
        let upper = if self.eat(&Tok::LBrace) {
            self.group(&Tok::RBrace)?
        } else {
            // TeX takes one character: `\sum_{k=1}^10 k` is a sum to 1 of `0k`.
            let one = match self.peek_at(0) {
                Some(t) => t.end - t.start == 1,
                None => false,
            };
            if !one {
                return Err(MathError::Syntax(format!(
                    "`\\{op}`: an upper bound of more than one character needs braces"
                )));
            }
            self.guarded(Self::primary)?
        };
        let name = format!("#{}", self.bound.len());
        self.bound.push((var, name.clone()));
        let body = self.guarded(Self::term);
        self.bound.pop();
        Ok(atom(&format!("{op}_({name}={lower})^({upper})({})", body?)))
    }

    /// An index variable's name inside its sum; `a_k` with `k` bound is `a_(#0)`.
    pub(super) fn bound_name(&self, name: &str) -> Option<String> {
        let lookup = |v: &str| {
            self.bound
                .iter()
                .rev()
                .find(|(b, _)| b == v)
                .map(|(_, n)| n.clone())
        };
        if let Some(n) = lookup(name) {
            return Some(n);
        }
        let (head, index) = name.split_once('_')?;
        lookup(index).map(|n| format!("{head}_({n})"))
    }

    /// `x_{2k}` inside a sum over `k`: the lexer made the subscript part of one name, so the
    /// index in it cannot be renamed; refused rather than left free.
    pub(super) fn captures_index(&self, name: &str) -> bool {
        name.split_once('_').is_some_and(|(_, index)| {
            index
                .chars()
                .any(|c| self.bound.iter().any(|(b, _)| b.chars().eq([c])))
        })
    }

    /// `a_{n+1}`: a letter indexed by an expression (the lexer makes `a_n` and `a_{12}` names
    /// itself), named by its canonical index.
    pub(super) fn indexed(&mut self, name: &str) -> Result<Option<String>, MathError> {
        let underscore = matches!(self.peek(), Some(Tok::Other(u)) if u == "_");
        let braced = matches!(self.peek_at(1).map(|t| &t.tok), Some(Tok::LBrace));
        if name.len() != 1 || !underscore || !braced {
            return Ok(None);
        }
        self.pos += 2;
        let index = self.group(&Tok::RBrace)?;
        Ok(Some(format!("{name}_({index})")))
    }
}

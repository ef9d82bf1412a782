//! A small SPDX licence-expression evaluator: is an expression satisfiable with the allowed
//! licences? `OR` needs one allowed side, `AND` needs both, `X WITH E` must be allowed as written.
//! The legacy `/` separator that old crates use (`MIT/Apache-2.0`) counts as `OR`, like
//! cargo-deny's lax parsing.

use anyhow::{bail, Result};

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Id(String),
    And,
    Or,
    With,
    Open,
    Close,
}

fn tokenize(expr: &str) -> Vec<Token> {
    let spaced = expr
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('/', " OR ");
    spaced
        .split_whitespace()
        .map(|w| match w {
            "AND" | "and" => Token::And,
            "OR" | "or" => Token::Or,
            "WITH" | "with" => Token::With,
            "(" => Token::Open,
            ")" => Token::Close,
            id => Token::Id(id.to_owned()),
        })
        .collect()
}

struct Parser<'a, F: Fn(&str) -> bool> {
    tokens: &'a [Token],
    pos: usize,
    allowed: F,
}

impl<F: Fn(&str) -> bool> Parser<'_, F> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    // expr := and ('OR' and)*
    fn expr(&mut self) -> Result<bool> {
        let mut ok = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            ok |= self.and()?;
        }
        Ok(ok)
    }

    // and := with ('AND' with)*
    fn and(&mut self) -> Result<bool> {
        let mut ok = self.with()?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            ok &= self.with()?;
        }
        Ok(ok)
    }

    // with := id ('WITH' id)? | '(' expr ')'
    fn with(&mut self) -> Result<bool> {
        match self.tokens.get(self.pos).cloned() {
            Some(Token::Open) => {
                self.pos += 1;
                let ok = self.expr()?;
                if self.peek() != Some(&Token::Close) {
                    bail!("unbalanced parentheses");
                }
                self.pos += 1;
                Ok(ok)
            }
            Some(Token::Id(id)) => {
                self.pos += 1;
                if self.peek() == Some(&Token::With) {
                    self.pos += 1;
                    let Some(Token::Id(exception)) = self.tokens.get(self.pos).cloned() else {
                        bail!("`WITH` needs an exception id");
                    };
                    self.pos += 1;
                    Ok((self.allowed)(&format!("{id} WITH {exception}")))
                } else {
                    Ok((self.allowed)(&id))
                }
            }
            other => bail!("expected a licence id, found {other:?}"),
        }
    }
}

/// Whether `expr` can be satisfied using only licences for which `allowed` is true.
/// A malformed expression is an error (it must be fixed or given a crate exception).
pub fn satisfied(expr: &str, allowed: impl Fn(&str) -> bool) -> Result<bool> {
    let tokens = tokenize(expr);
    if tokens.is_empty() {
        bail!("empty licence expression");
    }
    let mut p = Parser {
        tokens: &tokens,
        pos: 0,
        allowed,
    };
    let ok = p.expr()?;
    if p.pos != tokens.len() {
        bail!("trailing tokens in licence expression `{expr}`");
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::satisfied;

    fn ok(expr: &str) -> bool {
        let allow = ["MIT", "Apache-2.0", "ISC", "Unicode-3.0"];
        satisfied(expr, |l| allow.contains(&l)).unwrap()
    }

    #[test]
    fn or_needs_one_side() {
        assert!(ok("MIT OR GPL-3.0-only"));
        assert!(ok("GPL-3.0-only OR Apache-2.0"));
        assert!(!ok("GPL-3.0-only OR AGPL-3.0-only"));
    }

    #[test]
    fn and_needs_every_side() {
        assert!(ok("Apache-2.0 AND ISC"));
        assert!(!ok("MIT AND GPL-2.0-only"));
        assert!(ok("(MIT OR Apache-2.0) AND Unicode-3.0"));
        assert!(!ok("(MIT OR Apache-2.0) AND BSD-3-Clause"));
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        // MIT OR (GPL AND ISC)
        assert!(ok("MIT OR GPL-2.0-only AND ISC"));
        // (GPL AND MIT) OR LGPL
        assert!(!ok("GPL-2.0-only AND MIT OR LGPL-2.1-only"));
    }

    #[test]
    fn legacy_slash_is_or() {
        assert!(ok("MIT/Apache-2.0"));
        assert!(ok("Apache-2.0 / MIT"));
        assert!(!ok("GPL-2.0/LGPL-2.1"));
    }

    #[test]
    fn exceptions_must_be_allowed_as_written() {
        assert!(!ok("Apache-2.0 WITH LLVM-exception"));
        assert!(ok("Apache-2.0 WITH LLVM-exception OR MIT"));
        assert!(satisfied("Apache-2.0 WITH LLVM-exception", |l| l
            == "Apache-2.0 WITH LLVM-exception")
        .unwrap());
    }

    #[test]
    fn malformed_expressions_are_errors() {
        assert!(satisfied("", |_| true).is_err());
        assert!(satisfied("(MIT OR Apache-2.0", |_| true).is_err());
        assert!(satisfied("MIT OR", |_| true).is_err());
        assert!(satisfied("MIT Apache-2.0", |_| true).is_err());
    }
}

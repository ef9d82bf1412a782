//! Unused bindings in Nix code, found with the rnix parser: a small, scope-aware stand-in
//! for deadnix (whose library is GPL-3.0, which deny.toml does not allow in the workspace).
//!
//! Reported: `let` bindings, lambda arguments, pattern entries (`{ a, b }:`) and `@` names
//! that nothing refers to. Names starting with `_` are exempt, as in deadnix. References
//! resolve lexically to the innermost binding of the name, as Nix does (`with` never wins
//! over a lexical binding). A binding that only refers to itself counts as used: this check
//! errs on the side of silence, it never reports a binding that is used.

use rnix::{SyntaxKind::*, SyntaxNode};

/// One unused binding: its name, what kind of binding it is, and the 1-based line.
#[derive(Debug, PartialEq, Eq)]
pub struct Dead {
    pub name: String,
    pub kind: &'static str,
    pub line: usize,
}

struct Binding {
    name: String,
    kind: &'static str,
    offset: usize,
    used: bool,
    /// Attributes of a `rec { }` set are bindings for resolution but are the set's output.
    reportable: bool,
}

#[derive(Default)]
struct Resolver {
    bindings: Vec<Binding>,
    scopes: Vec<Vec<usize>>,
}

fn ident_text(node: &SyntaxNode) -> Option<String> {
    (node.kind() == NODE_IDENT).then(|| node.text().to_string())
}

fn offset(node: &SyntaxNode) -> usize {
    usize::from(node.text_range().start())
}

impl Resolver {
    fn bind(&mut self, node: &SyntaxNode, kind: &'static str, reportable: bool) {
        let Some(name) = ident_text(node) else { return };
        let scope = self.scopes.last_mut().expect("a scope is open");
        // `a.b = 1; a.c = 2;` binds `a` once.
        if scope.iter().any(|&i| self.bindings[i].name == name) {
            return;
        }
        scope.push(self.bindings.len());
        self.bindings.push(Binding {
            name,
            kind,
            offset: offset(node),
            used: false,
            reportable,
        });
    }

    /// Marks the innermost binding of `name` as used, skipping the `skip` innermost scopes.
    fn reference(&mut self, name: &str, skip: usize) {
        let depth = self.scopes.len().saturating_sub(skip);
        for scope in self.scopes[..depth].iter().rev() {
            if let Some(&i) = scope.iter().find(|&&i| self.bindings[i].name == name) {
                self.bindings[i].used = true;
                return;
            }
        }
    }

    fn walk(&mut self, node: &SyntaxNode) {
        match node.kind() {
            NODE_IDENT => {
                let name = node.text().to_string();
                self.reference(&name, 0);
            }
            // `set.attr`: only the set (and dynamic parts of the path) refer to variables.
            NODE_SELECT => {
                let mut children = node.children();
                if let Some(set) = children.next() {
                    self.walk(&set);
                }
                for index in children.filter(|c| c.kind() != NODE_IDENT) {
                    self.walk(&index);
                }
            }
            NODE_LET_IN | NODE_LEGACY_LET => self.scope_of_entries(node, "let binding", true),
            NODE_ATTR_SET => {
                let recursive = node.children_with_tokens().any(|c| c.kind() == TOKEN_REC);
                if recursive {
                    self.scope_of_entries(node, "rec attribute", false);
                } else {
                    for child in node.children() {
                        self.entry_or_expr(&child, false);
                    }
                }
            }
            NODE_LAMBDA => self.lambda(node),
            _ => {
                for child in node.children() {
                    self.walk(&child);
                }
            }
        }
    }

    /// `let` and `rec { }`: every entry binds a name visible in all values and the body.
    fn scope_of_entries(&mut self, node: &SyntaxNode, kind: &'static str, reportable: bool) {
        self.scopes.push(Vec::new());
        for entry in node.children() {
            match entry.kind() {
                NODE_KEY_VALUE => {
                    if let Some(first) = entry
                        .children()
                        .find(|c| c.kind() == NODE_KEY)
                        .and_then(|key| key.children().next())
                    {
                        self.bind(&first, kind, reportable);
                    }
                }
                NODE_INHERIT => {
                    for name in entry.children().filter(|c| c.kind() == NODE_IDENT) {
                        self.bind(&name, kind, reportable);
                    }
                }
                _ => {}
            }
        }
        for child in node.children() {
            self.entry_or_expr(&child, true);
        }
        self.scopes.pop();
    }

    /// An attribute entry, or (in a `let`) the body expression.
    /// `binds_here`: the entries' names are bound in the innermost scope, so a plain
    /// `inherit x;` refers to the `x` one scope further out.
    fn entry_or_expr(&mut self, node: &SyntaxNode, binds_here: bool) {
        match node.kind() {
            NODE_KEY_VALUE => {
                for child in node.children() {
                    if child.kind() == NODE_KEY {
                        // Static key parts are names, dynamic ones (`${x}`) are expressions.
                        for part in child.children().filter(|p| p.kind() != NODE_IDENT) {
                            self.walk(&part);
                        }
                    } else {
                        self.walk(&child);
                    }
                }
            }
            NODE_INHERIT => {
                let from = node.children().find(|c| c.kind() == NODE_INHERIT_FROM);
                match from {
                    Some(from) => self.walk(&from),
                    None => {
                        for name in node.children().filter(|c| c.kind() == NODE_IDENT) {
                            let text = name.text().to_string();
                            self.reference(&text, usize::from(binds_here));
                        }
                    }
                }
            }
            _ => self.walk(node),
        }
    }

    fn lambda(&mut self, node: &SyntaxNode) {
        let mut children = node.children();
        let (Some(arg), body) = (children.next(), children.next()) else {
            return;
        };
        self.scopes.push(Vec::new());
        match arg.kind() {
            NODE_IDENT => self.bind(&arg, "lambda argument", true),
            NODE_PATTERN => {
                for part in arg.children() {
                    match part.kind() {
                        NODE_PAT_ENTRY => {
                            if let Some(name) = part.children().next() {
                                self.bind(&name, "pattern argument", true);
                            }
                        }
                        NODE_PAT_BIND => {
                            if let Some(name) = part.children().find(|c| c.kind() == NODE_IDENT) {
                                self.bind(&name, "@ binding", true);
                            }
                        }
                        _ => {}
                    }
                }
                // Defaults may refer to the other arguments.
                for entry in arg.children().filter(|c| c.kind() == NODE_PAT_ENTRY) {
                    for default in entry.children().skip(1) {
                        self.walk(&default);
                    }
                }
            }
            _ => {}
        }
        if let Some(body) = body {
            self.walk(&body);
        }
        self.scopes.pop();
    }
}

/// Parses `source` and returns its unused bindings, or the first parse error.
pub fn find(source: &str) -> Result<Vec<Dead>, String> {
    let ast = rnix::parse(source);
    if let Some(err) = ast.errors().first() {
        return Err(err.to_string());
    }
    let mut resolver = Resolver::default();
    resolver.scopes.push(Vec::new());
    resolver.walk(&ast.node());
    let line_of = |off: usize| source[..off].matches('\n').count() + 1;
    Ok(resolver
        .bindings
        .into_iter()
        .filter(|b| !b.used && b.reportable && !b.name.starts_with('_'))
        .map(|b| Dead {
            line: line_of(b.offset),
            name: b.name,
            kind: b.kind,
        })
        .collect())
}

/// Names of the unused bindings in `source` (for tests and the self-test).
pub fn dead_names(source: &str) -> Vec<String> {
    find(source)
        .expect("test source parses")
        .into_iter()
        .map(|d| d.name)
        .collect()
}

/// Known answers, run before the real files so the check is shown to catch what it claims.
pub const SELF_TEST: &[(&str, &[&str])] = &[
    ("let a = 1; b = 2; in a", &["b"]),
    ("{ pkgs, lib, ... }: pkgs.hello", &["lib"]),
    ("x: y: x", &["y"]),
    ("args @ { a }: a", &["args"]),
    ("let a = 1; in { inherit a; }", &[]),
    ("let a = 1; in let inherit a; in a", &[]),
    ("let a = 1; b = a; in b", &[]),
    ("let f = x: x; in rec { g = f; h = g; }", &[]),
    ("let a = 1; in let a = 2; in a", &["a"]),
    ("let s = {}; in s.x.y or 1", &[]),
    ("let n = \"k\"; in { ${n} = 1; }", &[]),
    ("let a = 1; in { b.a = 2; }", &["a"]),
    ("let a = { }; in { inherit (a) b; }", &[]),
    ("{ _unused }: 1", &[]),
    ("{ a ? b, b }: a", &[]),
    ("let p = 1; in with p; p", &[]),
    ("let t = 1; in \"${toString t}\"", &[]),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        for (source, expected) in SELF_TEST {
            assert_eq!(dead_names(source), *expected, "for `{source}`");
        }
    }

    #[test]
    fn reports_lines_and_parse_errors() {
        let dead = find("let\n  a = 1;\n  b = 2;\nin a\n").unwrap();
        assert_eq!(
            dead,
            vec![Dead {
                name: "b".into(),
                kind: "let binding",
                line: 3
            }]
        );
        assert!(find("let a = 1; in").is_err());
    }
}

//! Every name of a pinned input that the Nix code uses, and every argument it passes, must be
//! in nix/pinned-api.toml, written after reading each input's source at the locked revision.
//! No tool checks this without evaluating the flake (which needs nixpkgs): it catches
//! `craneLib.buildPackges` or a misspelt crane argument (which crane silently ignores).

use anyhow::{bail, Context, Result};
use rnix::{SyntaxKind::*, SyntaxNode};
use std::collections::BTreeMap;
use toml::Value;

/// Names under these are checked.
const ROOTS: &str = "craneLib. bombon. pkgs. inputs.crane. inputs.rust-overlay. inputs.bombon.";

/// Dotted name → the arguments it takes, from every `[<input>.api]` table; `pkgs.<package>`.
pub struct Api(BTreeMap<String, Vec<String>>);

fn strings(v: Option<&Value>) -> Vec<String> {
    let items = v.and_then(Value::as_array).into_iter().flatten();
    items.filter_map(|s| Some(s.as_str()?.to_owned())).collect()
}

impl Api {
    /// Reads nix/pinned-api.toml: each input says what was read, at the revision flake.lock pins.
    pub fn load(text: &str, lock: &serde_json::Value) -> Result<Api> {
        let doc: toml::Table = toml::from_str(text).context("nix/pinned-api.toml")?;
        let mut names = BTreeMap::new();
        for (input, section) in &doc {
            let api = section.get("api").and_then(Value::as_table);
            names.extend(
                api.into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), strings(Some(v)))),
            );
            let locked = &lock["nodes"][input]["locked"]["rev"];
            let rev = section.get("rev").and_then(Value::as_str);
            if rev.is_some_and(|r| *locked != r) || rev.is_some() && section.get("read").is_none() {
                bail!("nix/pinned-api.toml: [{input}] must say what it read at {locked}");
            }
        }
        let packages = doc.get("nixpkgs").and_then(|n| n.get("packages"));
        let packages = strings(packages.and_then(|p| p.get("names")));
        for p in packages {
            names.insert(format!("pkgs.{p}"), vec!["*".into()]); // names only: any argument
        }
        let derivation = strings(doc.get("derivation").and_then(|d| d.get("args")));
        names.insert("derivation".into(), derivation);
        Ok(Api(names))
    }

    /// Whether `name` is listed, or lies below a listed name (`pkgs.lib.x`, `inputs.bombon.lib.*`).
    fn knows(&self, name: &str) -> bool {
        let below = |k: &String| name.starts_with(&format!("{}.", k.trim_end_matches(".*")));
        self.0.contains_key(name) || self.0.keys().any(below)
    }

    /// Whether `function` takes the argument `key` (`config.User`: a key below an argument).
    fn takes(&self, function: &str, key: &str) -> bool {
        let takes = |a: &Vec<String>, k: &str| a.iter().any(|x| x == k || x == "*");
        let listed = |f: &str, k: &str| self.0.get(f).is_some_and(|a| takes(a, k));
        let upper = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_';
        let env_var = key.chars().all(upper);
        let crane = function.starts_with("craneLib.") && (listed("derivation", key) || env_var);
        match key.split_once('.') {
            Some((arg, sub)) => {
                !self.0.contains_key(&format!("{function}.{arg}"))
                    || listed(&format!("{function}.{arg}"), sub)
            }
            None => listed(function, key) || crane, // crane passes the rest on to mkDerivation
        }
    }
}

/// `a.b.c` for a select chain; a call `f x y` is `f()`, a dynamic part `*`.
fn dotted(node: &SyntaxNode) -> Option<String> {
    let mut ch = node.children();
    match node.kind() {
        NODE_IDENT => Some(node.text().to_string()),
        NODE_PAREN => dotted(&ch.next()?),
        NODE_APPLY => match ch.next()? {
            inner if inner.kind() == NODE_APPLY => dotted(&inner),
            f => Some(format!("{}()", dotted(&f)?)),
        },
        NODE_SELECT => {
            let (set, index) = (dotted(&ch.next()?)?, ch.next()?);
            let plain =
                matches!(index.kind(), NODE_IDENT | NODE_STRING) && index.first_child().is_none();
            let index = plain.then(|| index.text().to_string());
            let index = index.unwrap_or_else(|| "*".into());
            Some(format!("{set}.{}", index.trim_matches('"')))
        }
        _ => None,
    }
}

/// The keys of the literal attribute sets in an argument (also in `( )` and `//`), and those
/// one level below (`config.User`).
fn keys(arg: &SyntaxNode, prefix: &str, out: &mut Vec<String>) {
    if matches!(arg.kind(), NODE_PAREN | NODE_BIN_OP) {
        return arg.children().for_each(|c| keys(&c, prefix, out));
    }
    let text = |n: SyntaxNode| format!("{prefix}{}", n.text().to_string().trim_matches('"'));
    for entry in arg.children().filter(|_| arg.kind() == NODE_ATTR_SET) {
        let Some(key) = entry.children().find(|c| c.kind() == NODE_KEY) else {
            let inherited = entry.children().filter(|c| c.kind() == NODE_IDENT);
            out.extend(inherited.map(text));
            continue;
        };
        let parts: Vec<String> = key.children().map(text).collect();
        out.extend(parts.first().cloned());
        match (parts.get(1), entry.children().nth(1)) {
            (Some(sub), _) if prefix.is_empty() => out.push(format!("{}.{sub}", parts[0])),
            (None, Some(set)) if prefix.is_empty() => keys(&set, &format!("{}.", parts[0]), out),
            _ => {}
        }
    }
}

/// The problems of one file.
pub fn check(api: &Api, path: &str, source: &str) -> Vec<String> {
    let root = rnix::parse(source).node();
    let before = |n: &SyntaxNode| &source[..usize::from(n.text_range().start())];
    let at = |n: &SyntaxNode| before(n).matches('\n').count() + 1;
    let checked = |name: &String| {
        ROOTS.split(' ').any(|r| name.starts_with(r)) && !name.starts_with("pkgs.*")
    };
    // Names the file binds shadow `with pkgs;`.
    let binders = root.descendants().filter(|n| {
        let kind = n.kind();
        matches!(
            kind,
            NODE_LAMBDA | NODE_PAT_ENTRY | NODE_PAT_BIND | NODE_KEY
        )
    });
    let bound: Vec<String> = binders
        .filter_map(|n| Some(n.first_child()?.text().to_string()))
        .collect();
    let mut problems = Vec::new();
    for node in root.descendants() {
        let outer = node.parent().is_none_or(|p| p.kind() != node.kind());
        let mut uses = Vec::new();
        match node.kind() {
            NODE_SELECT if outer => uses.extend(dotted(&node).filter(checked)),
            NODE_APPLY if outer => {
                let (mut head, mut args) = (node.clone(), Vec::new());
                while let (NODE_APPLY, Some(f), Some(arg)) =
                    (head.kind(), head.first_child(), head.last_child())
                {
                    keys(&arg, "", &mut args);
                    head = f;
                }
                let Some(f) = dotted(&head).filter(|f| checked(f) && api.0.contains_key(f)) else {
                    continue;
                };
                let line = at(&node);
                let wrong = args.iter().filter(|k| !api.takes(&f, k));
                let wrong = wrong.map(|k| format!("{path}:{line}: {f} has no argument `{k}`"));
                problems.extend(wrong.map(|p| p + " in nix/pinned-api.toml"));
            }
            // `with pkgs; [ a b ]`: list items the file does not bind are packages.
            NODE_WITH if node.first_child().is_some_and(|n| n.text() == "pkgs") => {
                let items = node.descendants().filter(|n| {
                    n.kind() == NODE_IDENT && n.parent().is_some_and(|p| p.kind() == NODE_LIST)
                });
                let items = items.map(|i| i.text().to_string());
                let unbound = items.filter(|i| !bound.contains(i));
                uses.extend(unbound.map(|i| format!("pkgs.{i}")));
            }
            _ => {}
        }
        let unknown = uses.into_iter().filter(|n| !api.knows(n));
        problems.extend(
            unknown.map(|n| format!("{path}:{}: `{n}` is not in nix/pinned-api.toml", at(&node))),
        );
    }
    problems
}

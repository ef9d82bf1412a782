//! Every name of a pinned input that the Nix code uses, and every argument it passes, must be
//! in nix/pinned-api.toml, written after reading each input's source at the locked revision.
//! No tool checks this without evaluating the flake (which needs nixpkgs): it catches
//! `craneLib.buildPackges` or a misspelt crane argument (which crane silently ignores).

use anyhow::{bail, Context, Result};
use rnix::{SyntaxKind::*, SyntaxNode};
use std::collections::BTreeMap;
use toml::Value;

/// Names under these are checked.
const ROOTS: &[&str] = &[
    "craneLib.",
    "bombon.",
    "pkgs.",
    "inputs.crane.",
    "inputs.rust-overlay.",
    "inputs.bombon.",
];
const INPUTS: &[&str] = &["crane", "rust-overlay", "bombon", "nixpkgs"];

/// Dotted name → the arguments it takes, from every `[<input>.api]` table; and the packages.
pub struct Api(BTreeMap<String, Vec<String>>, Vec<String>);

fn strings(v: Option<&Value>) -> Vec<String> {
    let items = v.and_then(Value::as_array).into_iter().flatten();
    items
        .filter_map(|s| s.as_str().map(str::to_owned))
        .collect()
}

impl Api {
    /// Reads nix/pinned-api.toml: each input says what was read, at the revision flake.lock pins.
    pub fn load(text: &str, lock: &serde_json::Value) -> Result<Api> {
        let doc: Value = toml::from_str(text).context("nix/pinned-api.toml")?;
        let mut names = BTreeMap::new();
        for (input, section) in doc.as_table().into_iter().flatten() {
            let api = section
                .get("api")
                .and_then(Value::as_table)
                .into_iter()
                .flatten();
            names.extend(api.map(|(k, v)| (k.clone(), strings(Some(v)))));
            if !INPUTS.contains(&input.as_str()) {
                continue;
            }
            let (rev, locked) = (
                section.get("rev").and_then(Value::as_str),
                &lock["nodes"][input]["locked"]["rev"],
            );
            if section.get("read").is_none() || rev.is_none_or(|r| *locked != r) {
                bail!("nix/pinned-api.toml: [{input}] must say what was read at flake.lock's revision {locked}");
            }
        }
        let packages = strings(
            doc.get("nixpkgs")
                .and_then(|n| n.get("packages"))
                .and_then(|p| p.get("names")),
        );
        let derivation = strings(doc.get("derivation").and_then(|d| d.get("args")));
        names.insert("derivation".into(), derivation);
        Ok(Api(
            names,
            packages.iter().map(|p| format!("pkgs.{p}")).collect(),
        ))
    }

    /// Whether `name` is listed, or lies below a listed name (`pkgs.lib.x`, `inputs.bombon.lib.*`).
    fn knows(&self, name: &str) -> bool {
        let below = |k: &String| name.starts_with(&format!("{}.", k.trim_end_matches(".*")));
        let package = |p: &String| name == p || name.starts_with(&format!("{p}."));
        self.0.contains_key(name) || self.0.keys().any(below) || self.1.iter().any(package)
    }

    fn takes(&self, function: &str, key: &str) -> bool {
        let listed = |f: &str, k: &str| self.0.get(f).is_some_and(|a| a.iter().any(|x| x == k));
        let env_var = key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        match key.split_once('.') {
            // Nested keys are checked where the table lists them (the image `config`).
            Some((arg, sub)) => {
                !self.0.contains_key(&format!("{function}.{arg}"))
                    || listed(&format!("{function}.{arg}"), sub)
            }
            // crane's builders pass the rest on to mkDerivation.
            None => {
                listed(function, key)
                    || (function.starts_with("craneLib.") && (listed("derivation", key) || env_var))
            }
        }
    }
}

/// `a.b.c` for a select chain; an application `f x` is `f()`, a dynamic part `*`.
fn dotted(node: &SyntaxNode) -> Option<String> {
    let mut ch = node.children();
    match node.kind() {
        NODE_IDENT => Some(node.text().to_string()),
        NODE_PAREN => dotted(&ch.next()?),
        // `f x y` is `f()`.
        NODE_APPLY => match ch.next()? {
            inner if inner.kind() == NODE_APPLY => dotted(&inner),
            f => Some(format!("{}()", dotted(&f)?)),
        },
        NODE_SELECT => {
            let (set, index) = (dotted(&ch.next()?)?, ch.next()?);
            let plain = matches!(index.kind(), NODE_IDENT | NODE_STRING)
                && index.children().next().is_none();
            let name = if plain {
                index.text().to_string()
            } else {
                "*".into()
            };
            Some(format!("{set}.{}", name.trim_matches('"')))
        }
        _ => None,
    }
}

/// The keys of literal attribute sets in an argument (also in `( )` and `//`), and one level
/// below each (`config.User`).
fn keys(arg: &SyntaxNode, prefix: &str, out: &mut Vec<String>) {
    if matches!(arg.kind(), NODE_PAREN | NODE_BIN_OP) {
        return arg.children().for_each(|c| keys(&c, prefix, out));
    }
    for entry in arg.children().filter(|_| arg.kind() == NODE_ATTR_SET) {
        let text = |n: SyntaxNode| format!("{prefix}{}", n.text().to_string().trim_matches('"'));
        let Some(key) = entry.children().find(|c| c.kind() == NODE_KEY) else {
            out.extend(
                entry
                    .children()
                    .filter(|c| c.kind() == NODE_IDENT)
                    .map(text),
            ); // inherit
            continue;
        };
        let parts: Vec<String> = key.children().map(text).collect();
        out.extend(parts.first().cloned());
        if parts.len() > 1 {
            out.push(format!(
                "{}.{}",
                parts[0],
                parts[1].trim_start_matches(prefix)
            ));
        } else if let (Some(first), "", Some(value)) =
            (parts.first(), prefix, entry.children().nth(1))
        {
            keys(&value, &format!("{first}."), out);
        }
    }
}

/// The problems of one file.
pub fn check(api: &Api, path: &str, source: &str) -> Vec<String> {
    let root = rnix::parse(source).node();
    let at = |n: &SyntaxNode| {
        format!(
            "{path}:{}",
            source[..usize::from(n.text_range().start())]
                .lines()
                .count()
                .max(1)
        )
    };
    let checked = |name: &String| ROOTS.iter().any(|r| name.starts_with(r));
    // Names bound in the file shadow `with pkgs;`.
    let bound: Vec<String> = root
        .descendants()
        .filter(|n| {
            matches!(
                n.kind(),
                NODE_LAMBDA | NODE_PAT_ENTRY | NODE_PAT_BIND | NODE_KEY
            )
        })
        .filter_map(|n| n.children().next())
        .map(|i| i.text().to_string())
        .collect();
    let mut problems = Vec::new();
    for node in root.descendants() {
        let outer = node.parent().is_none_or(|p| p.kind() != node.kind());
        let mut uses = Vec::new();
        match node.kind() {
            NODE_SELECT if outer => {
                uses.extend(dotted(&node).filter(|n| checked(n) && !n.starts_with("pkgs.*")))
            }
            NODE_APPLY if outer => {
                let (mut head, mut args) = (node.clone(), Vec::new());
                while let (NODE_APPLY, Some(f), Some(arg)) =
                    (head.kind(), head.first_child(), head.last_child())
                {
                    keys(&arg, "", &mut args);
                    head = f;
                }
                let Some(function) = dotted(&head).filter(|f| checked(f) && api.0.contains_key(f))
                else {
                    continue;
                };
                for key in args.iter().filter(|k| !api.takes(&function, k)) {
                    problems.push(format!(
                        "{}: {function} has no argument `{key}` in nix/pinned-api.toml",
                        at(&node)
                    ));
                }
            }
            // `with pkgs; [ a b ]`: unbound list items are packages.
            NODE_WITH if node.first_child().is_some_and(|n| n.text() == "pkgs") => {
                let lists = node.descendants().filter(|n| n.kind() == NODE_LIST);
                let items = lists.flat_map(|l| {
                    l.children()
                        .filter(|i| i.kind() == NODE_IDENT)
                        .collect::<Vec<_>>()
                });
                uses.extend(
                    items
                        .map(|i| i.text().to_string())
                        .filter(|i| !bound.contains(i))
                        .map(|i| format!("pkgs.{i}")),
                );
            }
            _ => {}
        }
        for name in uses.into_iter().filter(|n| !api.knows(n)) {
            problems.push(format!(
                "{}: `{name}` is not in nix/pinned-api.toml",
                at(&node)
            ));
        }
    }
    problems
}

/// Uses the check must reject (the suite's self-test), each with the word it must name.
pub const REJECTS: &[(&str, &str)] = &[
    ("{ craneLib }: craneLib.buildPackges {}", "buildPackges"),
    (
        "{ craneLib }: craneLib.buildPackage { cargoExtraArg = 1; }",
        "cargoExtraArg",
    ),
    (
        "{ pkgs }: pkgs.dockerTools.streamLayeredImage { nmae = 1; }",
        "nmae",
    ),
    (
        "{ pkgs }: pkgs.dockerTools.streamLayeredImage { config.Usr = 1; }",
        "config.Usr",
    ),
    (
        "{ pkgs }: pkgs.dockerTools.streamLayeredImage { config = { Usr = 1; }; }",
        "config.Usr",
    ),
    ("{ pkgs }: pkgs.dockerTools.buildImge {}", "buildImge"),
    (
        "{ bombon, d }: bombon.buildBom d { extraPath = []; }",
        "extraPath",
    ),
    ("{ pkgs }: pkgs.notAPackage", "notAPackage"),
    ("{ inputs }: inputs.crane.mkLibb", "mkLibb"),
    ("{ pkgs }: with pkgs; [ hello ]", "hello"),
    (
        "{ pkgs }: pkgs.terraform-providers.mkProvider { owner = 1; vendorSha256 = 2; }",
        "vendorSha256",
    ),
    (
        "p: (inputs.rust-overlay.lib.mkRustBin {} p).fromRustupToolchainFil ./t",
        "fromRustupToolchainFil",
    ),
];

//! Every function and argument of a pinned input that the Nix code uses must be in
//! nix/pinned-api.toml, the list written after reading each input's source at its pin.
//! Without a Nix evaluator this is what catches `craneLib.buildPackges` or a misspelt
//! `streamLayeredImage` argument before CI's `nix flake check` does.

use super::syntax;
use anyhow::{bail, Context, Result};
use rnix::{SyntaxKind::*, SyntaxNode};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub struct PinnedApi {
    /// input → function name → argument names
    functions: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// input → flake output paths (`lib.mkRustBin`, `lib.*`)
    flake_outputs: BTreeMap<String, Vec<String>>,
    packages: BTreeSet<String>,
    oci_config: BTreeSet<String>,
    derivation_args: BTreeSet<String>,
    revs: BTreeMap<String, String>,
}

const INPUTS: &[&str] = &["crane", "rust-overlay", "bombon", "nixpkgs"];

fn strings(v: &toml::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl PinnedApi {
    pub fn parse(text: &str) -> Result<Self> {
        let doc =
            toml::Value::Table(toml::from_str(text).context("nix/pinned-api.toml is not TOML")?);
        let mut api = PinnedApi {
            functions: BTreeMap::new(),
            flake_outputs: BTreeMap::new(),
            packages: strings(&doc["nixpkgs"]["packages"]["names"])
                .into_iter()
                .collect(),
            oci_config: strings(&doc["oci"]["config"]).into_iter().collect(),
            derivation_args: strings(&doc["derivation"]["args"]).into_iter().collect(),
            revs: BTreeMap::new(),
        };
        for input in INPUTS {
            let section = doc
                .get(*input)
                .with_context(|| format!("pinned-api.toml: no [{input}]"))?;
            let rev = section
                .get("rev")
                .and_then(|r| r.as_str())
                .context("no rev")?;
            section
                .get("read")
                .and_then(|r| r.as_str())
                .with_context(|| format!("[{input}] must say what was read"))?;
            api.revs.insert(input.to_string(), rev.to_string());
            let fns = section
                .get("functions")
                .and_then(|f| f.as_table())
                .map(|t| t.iter().map(|(k, v)| (k.clone(), strings(v))).collect())
                .unwrap_or_default();
            api.functions.insert(input.to_string(), fns);
            api.flake_outputs.insert(
                input.to_string(),
                section.get("flake").map(strings).unwrap_or_default(),
            );
        }
        Ok(api)
    }

    /// The revisions read must be the revisions locked.
    pub fn check_revs(&self, lock: &Value) -> Result<()> {
        for (input, rev) in &self.revs {
            let locked = lock["nodes"][input]["locked"]["rev"].as_str().unwrap_or("");
            if locked != rev {
                bail!(
                    "nix/pinned-api.toml lists the {input} API read at {rev}, but flake.lock pins {locked}: \
                     re-read the source at the new revision and update the list"
                );
            }
        }
        Ok(())
    }
}

/// Where a dotted name comes from.
#[derive(Debug, Clone, PartialEq)]
enum Head {
    Var(String),
    /// The result of applying a function with this dotted path (`(f x).attr`).
    Applied(String),
    Other,
}

fn path_of(node: &SyntaxNode) -> (Head, Vec<String>) {
    match node.kind() {
        NODE_IDENT => (Head::Var(node.text().to_string()), vec![]),
        NODE_PAREN => match node.children().next() {
            Some(inner) => path_of(&inner),
            None => (Head::Other, vec![]),
        },
        NODE_OR_DEFAULT => match node.children().next() {
            Some(select) => path_of(&select),
            None => (Head::Other, vec![]),
        },
        NODE_SELECT => {
            let mut children = node.children();
            let (head, mut names) = match children.next() {
                Some(set) => path_of(&set),
                None => (Head::Other, vec![]),
            };
            let index = children.next();
            names.push(match index {
                Some(i) if i.kind() == NODE_IDENT => i.text().to_string(),
                Some(i) => syntax::string_value(&i).unwrap_or_else(|| "*".into()),
                None => "*".into(),
            });
            (head, names)
        }
        NODE_APPLY => {
            let mut f = node.clone();
            while f.kind() == NODE_APPLY {
                match f.children().next() {
                    Some(inner) => f = syntax::unparen(inner),
                    None => break,
                }
            }
            match path_of(&f) {
                (Head::Var(v), names) => {
                    let mut full = vec![v];
                    full.extend(names);
                    (Head::Applied(full.join(".")), vec![])
                }
                _ => (Head::Other, vec![]),
            }
        }
        _ => (Head::Other, vec![]),
    }
}

/// What a dotted name refers to in the pinned API.
#[derive(Debug, PartialEq)]
enum Use {
    Function(&'static str, String),
    FlakeOutput(&'static str, String),
    Package(String),
}

fn classify(head: &Head, names: &[String]) -> Option<Use> {
    let joined = || names.join(".");
    match head {
        Head::Var(_) if names.is_empty() => None,
        Head::Var(v) if v == "craneLib" => Some(Use::Function("crane", joined())),
        Head::Var(v) if v == "bombon" => Some(Use::Function("bombon", joined())),
        // Namespaces whose functions (and their arguments) are listed in [nixpkgs.functions].
        Head::Var(v)
            if v == "pkgs"
                && ["dockerTools", "terraform-providers"].contains(&names[0].as_str())
                && names.len() > 1 =>
        {
            Some(Use::Function(
                "nixpkgs",
                format!("{}.{}", names[0], names[1]),
            ))
        }
        Head::Var(v) if v == "pkgs" && names[0] != "*" => Some(Use::Package(names[0].clone())),
        Head::Var(v) if v == "inputs" && names.len() > 1 => {
            let input = INPUTS.iter().find(|i| **i == names[0])?;
            Some(Use::FlakeOutput(input, names[1..].join(".")))
        }
        Head::Applied(f) if f == "inputs.crane.mkLib" => Some(Use::Function("crane", joined())),
        Head::Applied(f) if f == "inputs.rust-overlay.lib.mkRustBin" => {
            Some(Use::Function("rust-overlay", joined()))
        }
        _ => None,
    }
}

/// Literal argument keys of a call: attribute sets, also inside `( )` and `//`.
fn literal_keys(arg: &SyntaxNode, out: &mut Vec<(Vec<String>, SyntaxNode)>) {
    let arg = syntax::unparen(arg.clone());
    match arg.kind() {
        NODE_ATTR_SET => syntax::flatten_attrs(&arg, &[], out),
        NODE_BIN_OP
            if arg
                .children_with_tokens()
                .any(|t| t.kind() == rnix::SyntaxKind::TOKEN_UPDATE) =>
        {
            for side in arg.children() {
                literal_keys(&side, out);
            }
        }
        _ => {}
    }
}

fn is_env_var(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Checks one file; returns the uses found (for the report) or the problems.
pub fn check_file(api: &PinnedApi, path: &str, source: &str) -> Result<Vec<String>, Vec<String>> {
    let root = match syntax::parse(source) {
        Ok(r) => r,
        Err(e) => return Err(vec![format!("{path}: {e}")]),
    };
    let mut problems = Vec::new();
    let mut uses = BTreeSet::new();
    let at = |n: &SyntaxNode| format!("{path}:{}", syntax::line(source, n));

    for node in root.descendants() {
        match node.kind() {
            // The longest dotted name only: skip selects that are the set of another select.
            NODE_SELECT if node.parent().map(|p| p.kind()) != Some(NODE_SELECT) => {
                let (head, names) = path_of(&node);
                match classify(&head, &names) {
                    Some(Use::Function(input, name)) => {
                        let known = api.functions[input]
                            .keys()
                            .any(|f| name == *f || name.starts_with(&format!("{f}.")));
                        if !known {
                            problems.push(format!(
                                "{}: `{name}` is not in the verified {input} API",
                                at(&node)
                            ));
                        }
                        uses.insert(format!("{input}: {name}"));
                    }
                    Some(Use::FlakeOutput(input, name)) => {
                        let ok = api.flake_outputs[input].iter().any(|o| {
                            o == &name || o.strip_suffix('*').is_some_and(|p| name.starts_with(p))
                        });
                        if !ok {
                            problems.push(format!(
                                "{}: flake output `{input}.{name}` is not in the verified list",
                                at(&node)
                            ));
                        }
                        uses.insert(format!("{input} flake: {name}"));
                    }
                    Some(Use::Package(name)) if !api.packages.contains(&name) => {
                        problems.push(format!(
                            "{}: pkgs.{name} is not listed in [nixpkgs.packages]",
                            at(&node)
                        ));
                    }
                    Some(Use::Package(_)) | None => {}
                }
            }
            NODE_APPLY if node.parent().map(|p| p.kind()) != Some(NODE_APPLY) => {
                // Collect the curried arguments and the function at the head.
                let mut args = Vec::new();
                let mut f = node.clone();
                while f.kind() == NODE_APPLY {
                    let mut ch = f.children();
                    let (Some(func), Some(arg)) = (ch.next(), ch.next()) else {
                        break;
                    };
                    args.push(arg);
                    f = syntax::unparen(func);
                }
                let (head, names) = path_of(&f);
                let Some(Use::Function(input, name)) = classify(&head, &names) else {
                    continue;
                };
                let Some(allowed) = api.functions[input].get(&name) else {
                    continue;
                };
                let takes_derivation_args = input == "crane";
                for arg in args {
                    let mut keys = Vec::new();
                    literal_keys(&arg, &mut keys);
                    for (key, value) in keys {
                        let first = &key[0];
                        let ok = allowed.contains(first)
                            || (takes_derivation_args
                                && (api.derivation_args.contains(first) || is_env_var(first)));
                        if !ok {
                            problems.push(format!(
                                "{}: {name} has no argument `{first}` in the verified {input} API",
                                at(&value)
                            ));
                        }
                        if name == "dockerTools.streamLayeredImage" && first == "config" {
                            match key.get(1) {
                                Some(k) if api.oci_config.contains(k) => {}
                                Some(k) => problems.push(format!(
                                    "{}: `config.{k}` is not an OCI image config key",
                                    at(&value)
                                )),
                                None => {}
                            }
                        }
                    }
                }
            }
            // `with pkgs; [ a b ]`: list elements name packages.
            NODE_WITH => {
                let mut ch = node.children();
                let (Some(ns), Some(body)) = (ch.next(), ch.next()) else {
                    continue;
                };
                if ns.text() != "pkgs" {
                    continue;
                }
                let bound = bound_names(&root);
                for item in body
                    .descendants()
                    .filter(|n| n.kind() == NODE_LIST)
                    .flat_map(|l| l.children().collect::<Vec<_>>())
                {
                    let (head, _) = path_of(&item);
                    if let Head::Var(v) = head {
                        if !bound.contains(&v) && !api.packages.contains(&v) {
                            problems.push(format!(
                                "{}: `{v}` (from pkgs) is not listed in [nixpkgs.packages]",
                                at(&item)
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if problems.is_empty() {
        Ok(uses.into_iter().collect())
    } else {
        Err(problems)
    }
}

/// Every name bound anywhere in the file (lambda arguments, let bindings).
fn bound_names(root: &SyntaxNode) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for n in root.descendants() {
        match n.kind() {
            NODE_LAMBDA => {
                if let Some(arg) = n.children().next() {
                    if arg.kind() == NODE_IDENT {
                        names.insert(arg.text().to_string());
                    }
                }
            }
            NODE_PAT_ENTRY | NODE_PAT_BIND => {
                if let Some(id) = n.children().find(|c| c.kind() == NODE_IDENT) {
                    names.insert(id.text().to_string());
                }
            }
            NODE_LET_IN => {
                for kv in n.children().filter(|c| c.kind() == NODE_KEY_VALUE) {
                    if let Some(p) = syntax::key_path(&kv) {
                        names.insert(p[0].clone());
                    }
                }
            }
            _ => {}
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api() -> PinnedApi {
        let text =
            std::fs::read_to_string(crate::util::root().join("nix/pinned-api.toml")).unwrap();
        PinnedApi::parse(&text).unwrap()
    }

    #[test]
    fn accepts_verified_uses() {
        let src = r#"{ craneLib, pkgs, inputs }: {
          a = craneLib.buildPackage (common // { cargoExtraArgs = "--locked"; pname = "x"; FOO = "1"; });
          b = pkgs.dockerTools.streamLayeredImage { name = "x"; config.User = "1:1"; };
          c = (inputs.rust-overlay.lib.mkRustBin {} pkgs).fromRustupToolchainFile ./t.toml;
          d = craneLib.fileset.commonCargoSources ./.;
        }"#;
        let uses = check_file(&api(), "t.nix", src).unwrap();
        assert!(
            uses.contains(&"crane: buildPackage".to_string()),
            "{uses:?}"
        );
        assert!(
            uses.contains(&"rust-overlay: fromRustupToolchainFile".to_string()),
            "{uses:?}"
        );
    }

    #[test]
    fn rejects_unverified_uses() {
        for (src, needle) in [
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
                "{ pkgs }: pkgs.terraform-providers.mkProvidr {}",
                "mkProvidr",
            ),
        ] {
            let problems = check_file(&api(), "t.nix", src).unwrap_err();
            assert!(
                problems.iter().any(|p| p.contains(needle)),
                "{src}: {problems:?}"
            );
        }
    }
}

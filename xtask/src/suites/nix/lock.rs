//! flake.lock against flake.nix: a version 7 lock whose root inputs are exactly the
//! flake's inputs, each locked to a full revision with a well-formed narHash, following our
//! nixpkgs wherever the flake says so, and (when ../shared is there) the same pins as the
//! shared, tested lock file.

use super::syntax;
use anyhow::{bail, Context, Result};
use rnix::SyntaxKind::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// An input as flake.nix declares it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Input {
    pub url: String,
    pub flake: bool,
    /// `inputs.<name>.follows = "<target>"`
    pub follows: BTreeMap<String, String>,
}

/// The `inputs` of flake.nix, in either spelling (`inputs.x.url = ..` or nested sets).
pub fn flake_inputs(source: &str) -> Result<BTreeMap<String, Input>> {
    let root = syntax::parse(source).map_err(|e| anyhow::anyhow!("flake.nix: {e}"))?;
    let top = root
        .descendants()
        .find(|n| n.kind() == NODE_ATTR_SET)
        .context("flake.nix has no top-level attribute set")?;
    let mut leaves = Vec::new();
    syntax::flatten_attrs(&top, &[], &mut leaves);
    let mut inputs: BTreeMap<String, Input> = BTreeMap::new();
    for (path, value) in leaves {
        let [first, name, rest @ ..] = path.as_slice() else {
            continue;
        };
        if first != "inputs" {
            continue;
        }
        let input = inputs.entry(name.clone()).or_insert_with(|| Input {
            flake: true,
            ..Input::default()
        });
        let text = || syntax::string_value(&value);
        match rest {
            [k] if k == "url" => {
                input.url = text().context("an input url is not a plain string")?
            }
            [k] if k == "flake" => input.flake = value.text() != "false",
            [i, dep, f] if i == "inputs" && f == "follows" => {
                input
                    .follows
                    .insert(dep.clone(), text().context("follows is not a string")?);
            }
            _ => bail!(
                "flake.nix: unexpected input attribute inputs.{name}.{}",
                rest.join(".")
            ),
        }
    }
    for (name, input) in &inputs {
        if input.url.is_empty() {
            bail!("flake.nix: input `{name}` has no url");
        }
    }
    Ok(inputs)
}

/// `github:owner/repo[/ref-or-rev]` → the lock's `original` attributes.
fn original_of(url: &str) -> Result<BTreeMap<String, String>> {
    let rest = url
        .strip_prefix("github:")
        .with_context(|| format!("only github: inputs are used, not {url}"))?;
    let parts: Vec<&str> = rest.split('/').collect();
    let mut m = BTreeMap::new();
    m.insert("type".into(), "github".into());
    match parts.as_slice() {
        [owner, repo, more @ ..] if more.len() <= 1 => {
            m.insert("owner".into(), owner.to_string());
            m.insert("repo".into(), repo.to_string());
            if let Some(r) = more.first() {
                let key = if is_rev(r) { "rev" } else { "ref" };
                m.insert(key.into(), r.to_string());
            }
        }
        _ => bail!("cannot read the github url {url}"),
    }
    Ok(m)
}

fn is_rev(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Decodes standard base64 (with padding).
fn base64(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    if !s.len().is_multiple_of(4) {
        return None;
    }
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n <<= 6;
            if i < 4 - pad {
                n |= val(c)?;
            }
        }
        let got = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&got[..3 - pad]);
    }
    Some(out)
}

/// A `sha256-<base64>` SRI hash of 32 bytes.
pub fn valid_nar_hash(h: &str) -> bool {
    h.strip_prefix("sha256-")
        .and_then(base64)
        .is_some_and(|b| b.len() == 32)
}

fn str_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// Checks the lock against the flake's inputs; returns a line per input for the report.
pub fn check(lock: &Value, inputs: &BTreeMap<String, Input>) -> Result<Vec<String>> {
    let mut report = Vec::new();
    if lock["version"] != 7 {
        bail!("flake.lock: version is {}, expected 7", lock["version"]);
    }
    let nodes = lock["nodes"].as_object().context("flake.lock: no nodes")?;
    let root_name = lock["root"].as_str().context("flake.lock: no root")?;
    let root = nodes
        .get(root_name)
        .context("flake.lock: the root node is missing")?;
    let root_inputs = str_map(&root["inputs"]);
    let declared: BTreeSet<&String> = inputs.keys().collect();
    let locked: BTreeSet<&String> = root_inputs.keys().collect();
    if declared != locked {
        bail!("flake.lock root inputs {locked:?} differ from flake.nix inputs {declared:?}: run `nix flake lock`");
    }

    let mut reachable = BTreeSet::from([root_name.to_string()]);
    for (name, input) in inputs {
        let node_name = &root_inputs[name];
        let node = nodes
            .get(node_name)
            .with_context(|| format!("flake.lock: node `{node_name}` is missing"))?;
        reachable.insert(node_name.clone());
        let ctx = |what: &str| format!("flake.lock: input `{name}`: {what}");

        let want = original_of(&input.url)?;
        let original = str_map(&node["original"]);
        if original != want {
            bail!(ctx(&format!(
                "original {original:?} does not match flake.nix url {}",
                input.url
            )));
        }
        let l = &node["locked"];
        let lmap = str_map(l);
        for key in ["type", "owner", "repo"] {
            if lmap.get(key) != want.get(key) {
                bail!(ctx(&format!("locked.{key} is {:?}", lmap.get(key))));
            }
        }
        let rev = lmap.get("rev").map(String::as_str).unwrap_or("");
        if !is_rev(rev) {
            bail!(ctx(&format!(
                "locked.rev `{rev}` is not a full commit hash"
            )));
        }
        if let Some(pinned) = want.get("rev") {
            if pinned != rev {
                bail!(ctx(&format!(
                    "locked.rev {rev} differs from the url's {pinned}"
                )));
            }
        }
        let nar = lmap.get("narHash").map(String::as_str).unwrap_or("");
        if !valid_nar_hash(nar) {
            bail!(ctx(&format!("narHash `{nar}` is not a sha256 SRI hash")));
        }
        if l["lastModified"]
            .as_u64()
            .is_none_or(|t| t <= 1_000_000_000)
        {
            bail!(ctx("lastModified is missing or not a timestamp"));
        }
        let is_flake = node.get("flake").and_then(Value::as_bool).unwrap_or(true);
        if is_flake != input.flake {
            bail!(ctx(&format!(
                "flake = {is_flake} in the lock, {} in flake.nix",
                input.flake
            )));
        }
        // Follows: exactly as declared, and nobody brings a nixpkgs of its own.
        let node_inputs = node["inputs"].as_object().cloned().unwrap_or_default();
        for (dep, target) in &input.follows {
            let got = node_inputs.get(dep);
            if got != Some(&serde_json::json!([target])) {
                bail!(ctx(&format!(
                    "inputs.{dep} should follow `{target}`, lock has {got:?}"
                )));
            }
        }
        for (dep, v) in &node_inputs {
            if let Some(own) = v.as_str() {
                if dep == "nixpkgs" {
                    bail!(ctx(&format!(
                        "brings its own nixpkgs (`{own}`); make it follow ours"
                    )));
                }
                reachable.insert(own.to_string());
            }
        }
        report.push(format!(
            "{name}: {}/{}@{} {}",
            lmap["owner"],
            lmap["repo"],
            &rev[..12],
            want.get("ref")
                .map(|r| format!("({r})"))
                .unwrap_or_default()
        ));
    }
    let extra: Vec<&String> = nodes.keys().filter(|k| !reachable.contains(*k)).collect();
    if !extra.is_empty() {
        bail!("flake.lock: nodes {extra:?} are not used by any input");
    }

    let nixpkgs_ref = str_map(&nodes[&root_inputs["nixpkgs"]]["original"])
        .get("ref")
        .cloned()
        .unwrap_or_default();
    let release = nixpkgs_ref
        .strip_prefix("nixos-")
        .or_else(|| nixpkgs_ref.strip_prefix("nixpkgs-"))
        .is_some_and(|v| {
            let b = v.as_bytes();
            b.len() == 5 && b[2] == b'.' && v.replace('.', "").bytes().all(|c| c.is_ascii_digit())
        });
    if !release {
        bail!("flake.lock: nixpkgs follows `{nixpkgs_ref}`, not a release branch (nixos-YY.MM)");
    }
    Ok(report)
}

/// Our pins that must equal the shared, tested lock (our node → the shared node).
pub const SHARED_PINS: &[(&str, &str)] = &[
    ("nixpkgs", "nixpkgs-latest-release"),
    ("crane", "crane"),
    ("rust-overlay", "rust-overlay"),
    ("advisory-db", "advisory-db"),
];

pub fn compare_with_shared(lock: &Value, shared: &Value) -> Result<()> {
    for (ours, theirs) in SHARED_PINS {
        let a = &lock["nodes"][ours]["locked"];
        let b = &shared["nodes"][theirs]["locked"];
        if b.is_null() {
            bail!("the shared lock has no node `{theirs}`");
        }
        if a != b {
            bail!("flake.lock `{ours}` is {a}, the shared tested pin `{theirs}` is {b}");
        }
    }
    Ok(())
}

/// The commit each alejandra crate release was published from (its `.cargo_vcs_info.json`):
/// the flake's formatter is built from that commit, so it formats exactly like xtask.
pub const ALEJANDRA_COMMITS: &[(&str, &str)] =
    &[("3.1.0", "ba275e5364df495a55a3384f36704236d5c63013")];

pub fn check_formatter_pin(lock: &Value, cargo_lock: &str) -> Result<String> {
    let lock_toml =
        toml::Value::Table(toml::from_str(cargo_lock).context("Cargo.lock is not TOML")?);
    let version = lock_toml["package"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"].as_str() == Some("alejandra")))
        .and_then(|p| p["version"].as_str())
        .context("Cargo.lock has no alejandra package (xtask links it)")?;
    let (_, commit) = ALEJANDRA_COMMITS
        .iter()
        .find(|(v, _)| *v == version)
        .with_context(|| format!("alejandra {version}: add its published commit to ALEJANDRA_COMMITS and the flake input"))?;
    let rev = lock["nodes"]["alejandra-src"]["locked"]["rev"]
        .as_str()
        .unwrap_or("");
    if rev != *commit {
        bail!("the flake formatter is alejandra@{rev}, but xtask links alejandra {version} (commit {commit})");
    }
    Ok(format!(
        "formatter: alejandra {version} in both xtask and the flake ({})",
        &commit[..12]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAKE: &str = r#"{
      inputs = {
        nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";
        tool = { url = "github:o/tool"; inputs.nixpkgs.follows = "nixpkgs"; };
        data = { url = "github:o/data"; flake = false; };
      };
      outputs = _: {};
    }"#;

    fn node(owner: &str, repo: &str, original_extra: Value) -> Value {
        let mut original = serde_json::json!({"owner": owner, "repo": repo, "type": "github"});
        original
            .as_object_mut()
            .unwrap()
            .extend(original_extra.as_object().unwrap().clone());
        serde_json::json!({
            "locked": {"lastModified": 1785000000, "narHash": "sha256-H++/2dMt+5+tErKU+t5z6c4Xedvj9w+UPQYrpygwIPw=",
                       "owner": owner, "repo": repo, "rev": "b8d87f76ea4e4b6f30f2e6eaf3fbb60ff7d87167", "type": "github"},
            "original": original
        })
    }

    fn good_lock() -> Value {
        let mut tool = node("o", "tool", serde_json::json!({}));
        tool["inputs"] = serde_json::json!({"nixpkgs": ["nixpkgs"]});
        let mut data = node("o", "data", serde_json::json!({}));
        data["flake"] = Value::Bool(false);
        serde_json::json!({
            "nodes": {
                "nixpkgs": node("NixOS", "nixpkgs", serde_json::json!({"ref": "nixos-26.05"})),
                "tool": tool, "data": data,
                "root": {"inputs": {"nixpkgs": "nixpkgs", "tool": "tool", "data": "data"}}
            },
            "root": "root", "version": 7
        })
    }

    #[test]
    fn reads_both_input_spellings() {
        let inputs = flake_inputs(FLAKE).unwrap();
        assert_eq!(inputs.len(), 3);
        assert_eq!(inputs["tool"].follows["nixpkgs"], "nixpkgs");
        assert!(!inputs["data"].flake);
        assert!(inputs["nixpkgs"].flake);
    }

    #[test]
    fn accepts_a_matching_lock_and_rejects_each_defect() {
        let inputs = flake_inputs(FLAKE).unwrap();
        check(&good_lock(), &inputs).unwrap();
        type Breaker = Box<dyn Fn(&mut Value)>;
        let defects: Vec<(&str, Breaker)> = vec![
            ("version", Box::new(|l| l["version"] = 6.into())),
            (
                "narHash",
                Box::new(|l| l["nodes"]["tool"]["locked"]["narHash"] = "sha256-short".into()),
            ),
            (
                "rev",
                Box::new(|l| l["nodes"]["tool"]["locked"]["rev"] = "main".into()),
            ),
            (
                "own nixpkgs",
                Box::new(|l| l["nodes"]["tool"]["inputs"]["nixpkgs"] = "nixpkgs_2".into()),
            ),
            (
                "flake=false",
                Box::new(|l| {
                    l["nodes"]["data"]
                        .as_object_mut()
                        .unwrap()
                        .remove("flake")
                        .map(drop)
                        .unwrap_or(())
                }),
            ),
            (
                "missing input",
                Box::new(|l| {
                    l["nodes"]["root"]["inputs"]
                        .as_object_mut()
                        .unwrap()
                        .remove("data")
                        .map(drop)
                        .unwrap_or(())
                }),
            ),
            (
                "branch",
                Box::new(|l| l["nodes"]["nixpkgs"]["original"]["ref"] = "nixpkgs-unstable".into()),
            ),
            (
                "owner",
                Box::new(|l| l["nodes"]["tool"]["original"]["owner"] = "x".into()),
            ),
        ];
        for (what, break_it) in defects {
            let mut lock = good_lock();
            break_it(&mut lock);
            assert!(check(&lock, &inputs).is_err(), "defect not caught: {what}");
        }
    }

    #[test]
    fn nar_hashes() {
        assert!(valid_nar_hash(
            "sha256-H++/2dMt+5+tErKU+t5z6c4Xedvj9w+UPQYrpygwIPw="
        ));
        assert!(!valid_nar_hash(
            "sha256-H++/2dMt+5+tErKU+t5z6c4Xedvj9w+UPQYrpygwI="
        ));
        assert!(!valid_nar_hash(
            "sha512-H++/2dMt+5+tErKU+t5z6c4Xedvj9w+UPQYrpygwIPw="
        ));
    }
}

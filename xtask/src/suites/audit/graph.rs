//! Licences, sources and bans over `cargo metadata`: the offline equivalent of
//! `cargo deny check licenses sources bans` for the rules in `deny.toml`.

use super::policy::Policy;
use super::spdx;
use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// crates.io's index, in the two spellings Cargo writes into `source`.
const CRATES_IO: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub checked: usize,
}

/// Names of the crates that workspace members depend on directly (normal, build and dev).
pub fn direct_dependencies(meta: &Value) -> BTreeSet<String> {
    let members = workspace_members(meta);
    packages(meta)
        .filter(|p| members.contains(str_of(p, "id")))
        .flat_map(|p| p["dependencies"].as_array().cloned().unwrap_or_default())
        .filter_map(|d| d["name"].as_str().map(str::to_owned))
        .collect()
}

pub fn check(meta: &Value, policy: &Policy) -> Result<Findings> {
    let members = workspace_members(meta);
    let mut f = Findings::default();
    let mut versions: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();

    for p in packages(meta) {
        let name = str_of(p, "name");
        let version = str_of(p, "version");
        let what = format!("{name} {version}");
        f.checked += 1;
        versions.entry(name).or_default().insert(version);

        // Sources: crates.io (or a path inside the checkout) only.
        match p["source"].as_str() {
            None => {}
            Some(s) if CRATES_IO.contains(&s) => {}
            Some(s) if s.starts_with("registry+") || s.starts_with("sparse+") => {
                let url = s.split_once('+').map(|x| x.1).unwrap_or(s);
                if !policy
                    .allow_registry
                    .iter()
                    .any(|r| r.trim_end_matches('/') == url.trim_end_matches('/'))
                {
                    f.errors
                        .push(format!("{what}: registry `{url}` is not allowed"));
                }
            }
            Some(s) if s.starts_with("git+") => {
                let url = s.trim_start_matches("git+");
                if !policy.allow_git.iter().any(|g| url.starts_with(g.as_str())) {
                    f.errors.push(format!(
                        "{what}: git source `{url}` is not allowed (crates.io only)"
                    ));
                }
            }
            Some(s) => f.errors.push(format!("{what}: unknown source `{s}`")),
        }

        // Bans.
        if let Some(reason) = policy.banned.get(name) {
            f.errors.push(format!("{what}: banned crate ({reason})"));
        }

        // Licences: our own unpublished crates are skipped when `[licenses.private] ignore`.
        let is_member = members.contains(str_of(p, "id"));
        let private = p["publish"].as_array().is_some_and(|a| a.is_empty());
        if is_member && private && policy.private_ignore {
            continue;
        }
        let extra = policy.exceptions.get(name).cloned().unwrap_or_default();
        let allowed = |l: &str| policy.allow.iter().chain(&extra).any(|a| a == l);
        match p["license"].as_str() {
            Some(expr) => match spdx::satisfied(expr, allowed) {
                Ok(true) => {}
                Ok(false) => f
                    .errors
                    .push(format!("{what}: licence `{expr}` is not in deny.toml's allow-list")),
                Err(e) => f.errors.push(format!("{what}: licence `{expr}`: {e}")),
            },
            None => f.errors.push(format!(
                "{what}: no SPDX licence in its manifest (licence file: {}); add a reviewed [licenses] exception",
                p["license_file"].as_str().unwrap_or("none")
            )),
        }
    }

    // Wildcard requirements in our own manifests.
    if policy.deny_wildcards {
        for p in packages(meta).filter(|p| members.contains(str_of(p, "id"))) {
            for d in p["dependencies"].as_array().into_iter().flatten() {
                let is_path = d["path"].is_string();
                if d["req"].as_str() == Some("*") && !is_path {
                    f.errors.push(format!(
                        "{}: dependency `{}` has a wildcard version requirement",
                        str_of(p, "name"),
                        str_of(d, "name")
                    ));
                }
            }
        }
    }

    let dupes: Vec<String> = versions
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(n, v)| format!("{n} ({})", v.iter().copied().collect::<Vec<_>>().join(", ")))
        .collect();
    if !dupes.is_empty() {
        f.warnings.push(format!(
            "{} crates in several versions (allowed, `multiple-versions = \"warn\"`): {}",
            dupes.len(),
            dupes.join(", ")
        ));
    }
    Ok(f)
}

pub fn parse_metadata(json: &str) -> Result<Value> {
    let v: Value = serde_json::from_str(json).context("`cargo metadata` printed invalid JSON")?;
    v["packages"]
        .as_array()
        .context("`cargo metadata` output has no packages")?;
    Ok(v)
}

fn packages(meta: &Value) -> impl Iterator<Item = &Value> {
    meta["packages"].as_array().into_iter().flatten()
}

fn workspace_members(meta: &Value) -> BTreeSet<&str> {
    meta["workspace_members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> Policy {
        super::super::policy::parse(
            r#"
[advisories]
version = 2
[licenses]
version = 2
allow = ["MIT", "Apache-2.0"]
exceptions = [{ crate = "ring", allow = ["ISC"] }]
[licenses.private]
ignore = true
[bans]
wildcards = "deny"
deny = [{ crate = "openssl-sys", reason = "use rustls" }]
[sources]
unknown-registry = "deny"
unknown-git = "deny"
allow-registry = ["https://github.com/rust-lang/crates.io-index"]
"#,
        )
        .unwrap()
    }

    fn pkg(name: &str, license: Option<&str>, source: Option<&str>) -> Value {
        json!({
            "name": name, "version": "1.0.0", "id": format!("{name}@1.0.0"),
            "license": license, "license_file": null, "source": source,
            "publish": null, "dependencies": [],
        })
    }

    fn meta(pkgs: Vec<Value>) -> Value {
        json!({ "packages": pkgs, "workspace_members": ["app@1.0.0"] })
    }

    const CRATES_IO_SRC: Option<&str> =
        Some("registry+https://github.com/rust-lang/crates.io-index");

    #[test]
    fn a_clean_graph_passes() {
        let m = meta(vec![
            pkg("app", Some("MIT"), None),
            pkg("serde", Some("MIT OR Apache-2.0"), CRATES_IO_SRC),
            pkg("ring", Some("Apache-2.0 AND ISC"), CRATES_IO_SRC),
        ]);
        let f = check(&m, &policy()).unwrap();
        assert_eq!(f.errors, Vec::<String>::new());
        assert_eq!(f.checked, 3);
    }

    #[test]
    fn each_rule_fires() {
        let m = meta(vec![
            pkg("gpl", Some("GPL-3.0-only"), CRATES_IO_SRC),
            pkg("nolicense", None, CRATES_IO_SRC),
            pkg(
                "fromgit",
                Some("MIT"),
                Some("git+https://github.com/x/y?rev=abc#abc"),
            ),
            pkg(
                "otherreg",
                Some("MIT"),
                Some("registry+https://example.com/index"),
            ),
            pkg("openssl-sys", Some("MIT"), CRATES_IO_SRC),
            pkg("isc-elsewhere", Some("ISC"), CRATES_IO_SRC),
        ]);
        let errors = check(&m, &policy()).unwrap().errors.join("\n");
        for needle in [
            "gpl 1.0.0: licence",
            "nolicense 1.0.0: no SPDX licence",
            "fromgit 1.0.0: git source",
            "otherreg 1.0.0: registry",
            "openssl-sys 1.0.0: banned",
            "isc-elsewhere 1.0.0: licence",
        ] {
            assert!(errors.contains(needle), "missing `{needle}` in:\n{errors}");
        }
    }

    #[test]
    fn wildcards_in_our_manifests_fail() {
        let mut app = pkg("app", Some("MIT"), None);
        app["dependencies"] =
            json!([{ "name": "serde", "req": "*" }, { "name": "local", "req": "*", "path": "/x" }]);
        let errors = check(&meta(vec![app]), &policy()).unwrap().errors;
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("`serde` has a wildcard"));
    }
}

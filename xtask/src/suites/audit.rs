//! The `audit` suite: the supply-chain policy in `deny.toml`, checked offline.
//!
//! 1. `Cargo.lock` against the RustSec advisory database snapshot (the pinned `advisory-db`
//!    input of `xtask/inputs.toml`; `CONDUIT_ADVISORY_DB` overrides it) with the `rustsec` crate: vulnerabilities and unsound
//!    crates fail unless `deny.toml` ignores them with a reason; unmaintained crates fail in the
//!    configured scope. A self-test with a known-vulnerable lock file runs first.
//! 2. `cargo metadata` against the licence allow-list, the bans and the sources rules
//!    (crates.io only), like `cargo deny check licenses bans sources`.

mod advisories;
mod graph;
mod policy;
mod spdx;

use crate::util::{cmd, output, root};
use anyhow::{bail, Context, Result};
use std::path::PathBuf;
use std::time::Instant;

/// `CONDUIT_ADVISORY_DB` (e.g. a fresh clone, used as it is), else the pinned, verified snapshot.
fn advisory_db() -> Result<PathBuf> {
    match std::env::var_os("CONDUIT_ADVISORY_DB") {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => crate::inputs::path("advisory-db"),
    }
}

pub fn run() -> Result<()> {
    let t = Instant::now();
    let policy = policy::load(&root().join("deny.toml"))?;
    eprintln!(
        "audit: deny.toml: {} allowed licences, {} banned crates, {} advisory exceptions",
        policy.allow.len(),
        policy.banned.len(),
        policy.ignore.len()
    );
    for i in &policy.ignore {
        eprintln!("audit:   ignoring {}: {}", i.id, i.reason);
    }

    eprintln!("audit: cargo metadata --all-features --locked");
    let meta = graph::parse_metadata(&output(cmd("cargo").args([
        "metadata",
        "--format-version",
        "1",
        "--all-features",
        "--locked",
    ]))?)?;

    // 1. Advisories.
    let db_path = advisory_db()?;
    let db = rustsec::Database::open(&db_path).with_context(|| {
        format!(
            "opening the RustSec advisory database at {} (set CONDUIT_ADVISORY_DB)",
            db_path.display()
        )
    })?;
    let snapshot = std::fs::read_to_string(db_path.join("SNAPSHOT")).unwrap_or_default();
    eprintln!(
        "audit: advisory database: {} advisories (snapshot {})",
        db.iter().count(),
        snapshot.trim()
    );
    if db.iter().count() < 100 {
        bail!("the advisory database at {} looks empty", db_path.display());
    }
    advisories::self_test(&db)?;
    eprintln!(
        "audit: self-test: a vulnerable hyper 0.14.9 is caught, 0.14.10 passes, ignores work"
    );

    let lock = rustsec::Lockfile::load(root().join("Cargo.lock")).context("loading Cargo.lock")?;
    let direct = graph::direct_dependencies(&meta);
    let adv = advisories::check(&db, &lock, &policy, &direct)?;
    eprintln!(
        "audit: Cargo.lock: {} packages checked against the advisories",
        lock.packages.len()
    );

    // 2. Licences, bans, sources.
    let g = graph::check(&meta, &policy)?;
    eprintln!(
        "audit: licences, bans and sources: {} packages checked",
        g.checked
    );

    for w in adv.warnings.iter().chain(&g.warnings) {
        eprintln!("audit: warning: {w}");
    }
    let errors: Vec<&String> = adv.errors.iter().chain(&g.errors).collect();
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("audit: error: {e}");
        }
        bail!(
            "audit: {} supply-chain finding(s); fix them, or add a reviewed exception with a reason to deny.toml",
            errors.len()
        );
    }
    eprintln!("audit: ok in {:.1}s", t.elapsed().as_secs_f64());
    Ok(())
}

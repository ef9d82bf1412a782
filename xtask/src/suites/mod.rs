//! The non-Rust test suites that `cargo xtask test` runs after the Rust tests.
//! Each suite owns one part of the repository and checks it offline.

pub mod audit;
pub mod contract;
pub mod docs;
pub mod kustomize;
pub mod nix;
pub mod observability;
pub mod terraform;
pub mod web;
pub mod workflows;

use anyhow::{ensure, Context, Result};
use std::path::Path;
use std::process::Command;

/// A tool's self-test: `c`, run on `fixture`, must fail and print every `expect: X` the fixture
/// lists (X a substring of its output).
pub fn rejects(c: &mut Command, fixture: &Path) -> Result<()> {
    let text = std::fs::read_to_string(fixture).context("reading the fixture")?;
    let expected = text.lines().filter_map(|l| l.split_once("expect: "));
    let out = c
        .output()
        .with_context(|| format!("running {:?}", c.get_program()))?;
    let said = String::from_utf8_lossy(&[out.stdout, out.stderr].concat()).into_owned();
    let (found, missed): (Vec<_>, Vec<_>) = expected
        .map(|(_, e)| e.trim())
        .partition(|e| said.contains(e));
    let fixture = fixture.display();
    ensure!(
        !out.status.success() && !found.is_empty() && missed.is_empty(),
        "{fixture}: not rejected as expected (missed {missed:?}):\n{said}"
    );
    eprintln!("control: {fixture} rejected ({} findings)", found.len());
    Ok(())
}

pub struct Suite {
    pub name: &'static str,
    pub about: &'static str,
    pub run: fn() -> Result<()>,
}

/// The suites in the order `cargo xtask test` runs them: `name: "what it checks"`, each run by
/// `<name>::run`.
macro_rules! suites {
    ($($name:ident: $about:literal,)*) => {
        pub const ALL: &[Suite] = &[$(Suite { name: stringify!($name), about: $about, run: $name::run },)*];
    };
}

suites! {
    web: "web/: build the Perseus frontend, then browser tests in Chromium against the real stack",
    contract: "the API against its own OpenAPI document: schemathesis, every phase and check, on the real stack",
    nix: "flake.nix, flake.lock and nix/: parse, lint, format, pins",
    audit: "Cargo.lock against the RustSec advisory database",
    terraform: "terraform/: fmt, validate, test, emulator apply, checkov",
    observability: "alerts and dashboards (semgrep, check-jsonschema, promtool), the API's metrics and logs",
    kustomize: "kustomize/: render, schema-validate, policy tests, checkov",
    workflows: ".github/ and the delivery path: zizmor, schemas, semgrep, actionlint, shellcheck, detect-secrets",
    docs: "docs/: diagrams, links and anchors (lychee), commands; compose.yaml (check-jsonschema)",
}

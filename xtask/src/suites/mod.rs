//! The non-Rust test suites that `cargo xtask test` runs after the Rust tests.
//! Each suite owns one part of the repository and checks it offline.

pub mod audit;
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

pub const ALL: &[Suite] = &[
    Suite {
        name: "web",
        about: "web/: build the Perseus frontend, then browser tests in Chromium against the real stack",
        run: web::run,
    },
    Suite {
        name: "nix",
        about: "flake.nix, flake.lock and nix/: parse, lint, format, pins",
        run: nix::run,
    },
    Suite {
        name: "audit",
        about: "Cargo.lock against the RustSec advisory database",
        run: audit::run,
    },
    Suite {
        name: "terraform",
        about: "terraform/: fmt, validate, test, emulator apply, checkov",
        run: terraform::run,
    },
    Suite {
        name: "observability",
        about: "alert rules (promtool test rules) and the API's metrics (promtool check metrics)",
        run: observability::run,
    },
    Suite {
        name: "kustomize",
        about: "kustomize/: render, schema-validate, policy tests, checkov",
        run: kustomize::run,
    },
    Suite {
        name: "workflows",
        about: ".github/: zizmor, actionlint, schemas, pinning, checkov",
        run: workflows::run,
    },
    Suite {
        name: "docs",
        about: "docs/: architecture diagrams parse and are rendered; compose.yaml against the Compose spec",
        run: docs::run,
    },
];

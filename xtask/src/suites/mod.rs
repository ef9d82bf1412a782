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

use anyhow::Result;

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
        name: "contract",
        about: "the API against its own OpenAPI document: schemathesis, every phase and check, on the real stack",
        run: contract::run,
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
        about: ".github/ and the delivery path: zizmor, schemas, semgrep, actionlint, shellcheck, detect-secrets",
        run: workflows::run,
    },
    Suite {
        name: "docs",
        about: "docs/: architecture diagrams parse and are rendered; compose.yaml against the Compose spec",
        run: docs::run,
    },
];

//! The `docs` suite: the documentation and the Docker Compose path, offline.
//!
//! 1. diagrams: `node docs/diagrams/render.mjs` parses and renders every Mermaid source in
//!    `docs/diagrams/` with the `mermaid` package inside headless Chromium (playwright-core),
//!    checks that each committed SVG was rendered from the current source and that
//!    `docs/architecture.md` embeds each source verbatim; a broken source and a stale SVG must
//!    be rejected;
//! 2. `compose.yaml` against the Compose specification schema (check-jsonschema's bundled
//!    `vendor.compose-spec`, no download); a misspelt key must be rejected;
//! 3. the Compose policy (`docs/compose.rs`): non-root, read-only, no capabilities, only the
//!    web port on loopback, health checks, migrate before the API, secrets from `.env`, image
//!    tags at the crate version; a file breaking each rule must be rejected;
//! 4. `.env.example` defines every variable `compose.yaml` requires, holds only placeholders,
//!    and `.env` is git-ignored;
//! 5. `docs/configuration.md` agrees with `--help` of both binaries: the variables each
//!    section's table lists are exactly those its binary's `--help` names (`[env: …]`);
//! 6. the command policy of the docs (`docs/commands.rs`): every shell command in README.md and
//!    docs/ is run by the test command, or its block says what it needs (AWS, a cluster, Nix,
//!    Docker, a registry, GitHub, a running stack); inline commands are covered by the page's
//!    `> Needs: …` banner;
//! 7. every relative link and `#anchor` in README.md and docs/ resolves (`docs/links.rs`);
//! 8. every alerting rule under `kustomize/` has a `runbook_url` into this repository that
//!    resolves to a page or heading.
//!
//! Every check is first shown input it must reject (a negative control), so a check that
//! silently checks nothing cannot pass.

mod commands;
mod compose;
mod links;

use crate::util::{cmd, output, require, root, target_dir};
use anyhow::{bail, ensure, Context, Result};
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const VENV_HINT: &str = "run .ci/run (it installs .ci/requirements.txt into target/ci-venv)";

pub fn run() -> Result<()> {
    let started = Instant::now();
    let scratch = target_dir().join("docs-suite");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch)?;

    step(
        "diagrams parse, render, and the committed SVGs are current",
        || diagrams(&scratch),
    )?;
    step(
        "compose.yaml against the Compose specification schema",
        || compose_schema(&scratch),
    )?;
    step("compose.yaml policy", compose_policy)?;
    step(".env.example and .gitignore", env_example)?;
    step(
        "docs/configuration.md agrees with --help of conduit-api and conduit-web",
        configuration,
    )?;
    step(
        "every command in the docs is tested or says what it needs",
        commands::run,
    )?;
    step("relative links and anchors resolve", || {
        links::run(&commands::markdown_files()?)
    })?;
    step("every alert has a runbook here", links::runbooks)?;

    eprintln!("docs: all checks passed in {:.1?}", started.elapsed());
    Ok(())
}

fn step(what: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    let t = Instant::now();
    eprintln!("docs: {what} ...");
    f().with_context(|| format!("docs: {what}"))?;
    eprintln!("docs: {what}: ok ({:.1?})", t.elapsed());
    Ok(())
}

fn node() -> Result<PathBuf> {
    require("node", "install Node.js (Debian: nodejs), then `npm ci`")
}

fn diagrams(scratch: &std::path::Path) -> Result<()> {
    let node = node()?;
    ensure!(
        root()
            .join("node_modules/mermaid/dist/mermaid.min.js")
            .is_file(),
        "node_modules/mermaid is missing: run `npm ci` (package.json pins mermaid)"
    );
    let script = root().join("docs/diagrams/render.mjs");
    let out = output(cmd(&node).arg(&script))?;
    eprint!("{out}");
    let rendered = out
        .lines()
        .filter(|l| l.starts_with("ok ") && l.ends_with("committed SVG is current"))
        .count();
    let sources = std::fs::read_dir(root().join("docs/diagrams"))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "mmd"))
        .count();
    ensure!(
        sources >= 4 && rendered == sources,
        "{rendered} of {sources} diagrams rendered (expected every one, at least 4)"
    );

    // Negative control: a source that does not parse, and a valid one whose SVG is stale.
    let dir = scratch.join("diagrams-control");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("broken.mmd"),
        "flowchart TB\n  a[\"unclosed --> b\n",
    )?;
    std::fs::write(dir.join("stale.mmd"), "flowchart TB\n  a --> b\n")?;
    std::fs::write(
        dir.join("stale.svg"),
        "<!-- mermaid-source-sha256: 0000 (mermaid) -->\n<svg></svg>\n",
    )?;
    let doc = dir.join("doc.md");
    std::fs::write(
        &doc,
        "<!-- diagram: broken -->\n```mermaid\nflowchart TB\n  a[\"unclosed --> b\n```\n\n\
         <!-- diagram: stale -->\n```mermaid\nflowchart TB\n  a --> c\n```\n",
    )?;
    let bad = cmd(&node)
        .arg(&script)
        .arg(format!("--dir={}", dir.display()))
        .arg(format!("--doc={}", doc.display()))
        .output()?;
    let err = String::from_utf8_lossy(&bad.stderr);
    ensure!(
        !bad.status.success()
            && err.contains("broken.mmd: does not parse")
            && err.contains("stale.svg: stale")
            && err.contains("embedded stale diagram differs"),
        "the renderer accepted a broken source, a stale SVG or a drifted copy:\n{err}"
    );
    eprintln!("docs: control: a broken source, a stale SVG and a drifted copy are rejected");
    Ok(())
}

fn check_jsonschema() -> Result<PathBuf> {
    require("check-jsonschema", VENV_HINT)
}

fn compose_schema(scratch: &std::path::Path) -> Result<()> {
    let tool = check_jsonschema()?;
    let schema = |file: &std::path::Path| -> Command {
        let mut c = cmd(&tool);
        c.args(["--builtin-schema", "vendor.compose-spec"])
            .arg(file);
        c
    };
    let out = output(&mut schema(&root().join("compose.yaml")))?;
    eprint!("{out}");

    let text = std::fs::read_to_string(root().join("compose.yaml"))?;
    let bad = scratch.join("compose-misspelt.yaml");
    ensure!(
        text.contains("read_only: true"),
        "compose.yaml has no read_only key to misspell"
    );
    std::fs::write(&bad, text.replacen("read_only: true", "readonly: true", 1))?;
    let rejected = schema(&bad).output()?;
    ensure!(
        !rejected.status.success()
            && String::from_utf8_lossy(&rejected.stdout).contains("'readonly' was unexpected"),
        "the Compose schema accepted a misspelt key:\n{}",
        String::from_utf8_lossy(&rejected.stdout)
    );
    eprintln!("docs: control: the schema rejects a misspelt key (`readonly`)");
    Ok(())
}

fn crate_version() -> Result<String> {
    let manifest: toml::Table = std::fs::read_to_string(root().join("Cargo.toml"))?.parse()?;
    manifest
        .get("package")
        .and_then(|p| p.get("version"))
        .and_then(|v| v.as_str())
        .map(str::to_string)
        .context("Cargo.toml has no package.version")
}

fn compose_policy() -> Result<()> {
    let version = crate_version()?;
    let text = std::fs::read_to_string(root().join("compose.yaml"))?;
    let compose: Value = serde_yaml::from_str(&text)?;
    let problems = compose::problems(&compose, &version);
    if !problems.is_empty() {
        bail!("compose.yaml:\n  {}", problems.join("\n  "));
    }
    eprintln!(
        "docs: {} services: non-root, read-only, no capabilities, only web:8081 on loopback, \
         images at {version}",
        compose::SERVICES.len()
    );

    // The Conduit containers get only variables their program reads (a typo would be ignored
    // silently by the program).
    // Both read the common variables through the shared observability crate.
    let common = names_read_under(&root().join("observability/src"))?;
    let mut api_reads = names_read_under(&root().join("src"))?;
    let mut web_reads = names_read_under(&root().join("web/src"))?;
    api_reads.extend(common.iter().cloned());
    web_reads.extend(common);
    let unread = |compose: &Value| -> Result<Vec<String>> {
        let mut out = vec![];
        for (service, reads) in [
            ("migrate", &api_reads),
            ("api", &api_reads),
            ("web", &web_reads),
        ] {
            if reads.is_empty() {
                eprintln!("docs: {service}: no sources to compare its environment with (skipped)");
                continue;
            }
            let env = compose["services"][service]["environment"]
                .as_mapping()
                .with_context(|| format!("services.{service}.environment is not a mapping"))?;
            out.extend(
                env.keys()
                    .filter_map(Value::as_str)
                    .filter(|k| *k != "RUST_LOG" && !reads.contains(*k))
                    .map(|k| format!("services.{service}.environment.{k}")),
            );
        }
        Ok(out)
    };
    let found = unread(&compose)?;
    ensure!(
        found.is_empty(),
        "compose.yaml sets variables the program never reads: {found:?}"
    );
    let mut typo = compose.clone();
    set(
        &mut typo,
        &["services", "api", "environment", "CONDUIT_LISTN"],
        "0.0.0.0:8080".into(),
    );
    ensure!(
        unread(&typo)? == ["services.api.environment.CONDUIT_LISTN"],
        "the environment check did not notice a misspelt variable"
    );
    eprintln!("docs: every variable compose.yaml sets is one the API or the web server reads");

    // The Conduit services run as the user the Nix images declare, on the ports they expose.
    let images = std::fs::read_to_string(root().join("nix/images.nix"))?;
    let uid = images
        .lines()
        .find_map(|l| l.trim().strip_prefix("uid = ")?.strip_suffix(';'))
        .context("nix/images.nix declares no `uid = …;`")?;
    for service in ["migrate", "api", "web"] {
        let user = compose["services"][service]["user"].as_str().unwrap_or("");
        ensure!(
            user == format!("{uid}:{uid}"),
            "compose.yaml: services.{service}.user is {user:?}, the image runs as {uid}:{uid}"
        );
    }
    ensure!(
        images.contains("ports = [8080 9464];") && images.contains("ports = [8081 9464];"),
        "nix/images.nix no longer exposes 8080/8081 + 9464: update compose.yaml and this check"
    );
    eprintln!("docs: compose.yaml uses the images' user {uid}:{uid} and ports");

    // Negative control: each mutation must be caught by the rule it breaks.
    let mutations: &[Mutation] = &[
        (
            "api publishes a port",
            |c| {
                set(
                    c,
                    &["services", "api", "ports"],
                    Value::Sequence(vec!["8080:8080".into()]),
                )
            },
            "api: publishes ports",
        ),
        (
            "web on all interfaces",
            |c| {
                set(
                    c,
                    &["services", "web", "ports"],
                    Value::Sequence(vec!["8081:8081".into()]),
                )
            },
            "web: must publish exactly",
        ),
        (
            "postgres as root",
            |c| set(c, &["services", "postgres", "user"], "0:0".into()),
            "postgres: `user` must be",
        ),
        (
            "redis writable",
            |c| set(c, &["services", "redis", "read_only"], false.into()),
            "redis: `read_only: true` missing",
        ),
        (
            "literal JWT key",
            |c| {
                set(
                    c,
                    &["services", "api", "environment", "CONDUIT_JWT_SECRET"],
                    "0123456789abcdef0123456789abcdef".into(),
                )
            },
            "api: CONDUIT_JWT_SECRET is a literal",
        ),
        (
            "no migrate gate",
            |c| {
                set(
                    c,
                    &["services", "api", "depends_on", "migrate", "condition"],
                    "service_started".into(),
                )
            },
            "api: depends_on migrate",
        ),
        (
            "redis without health check",
            |c| remove(c, &["services", "redis"], "healthcheck"),
            "redis: health check missing",
        ),
        (
            "backend with egress",
            |c| set(c, &["networks", "backend", "internal"], false.into()),
            "networks.backend",
        ),
    ];
    for (what, mutate, expected) in mutations {
        let mut bad = compose.clone();
        mutate(&mut bad);
        let found = compose::problems(&bad, &version);
        ensure!(
            found.iter().any(|p| p.contains(expected)),
            "the policy missed `{what}` (expected a problem containing {expected:?}, got {found:?})"
        );
    }
    let other_version = compose::problems(&compose, "9.9.9");
    ensure!(
        other_version
            .iter()
            .any(|p| p.contains("the Nix image tag")),
        "the policy did not notice image tags that differ from the crate version"
    );
    eprintln!(
        "docs: control: {} broken variants rejected",
        mutations.len() + 1
    );
    Ok(())
}

/// What a variant breaks, how, and the problem the policy must report for it.
type Mutation = (&'static str, fn(&mut Value), &'static str);

fn set(doc: &mut Value, path: &[&str], value: Value) {
    let mut cur = doc;
    for key in &path[..path.len() - 1] {
        cur = cur
            .as_mapping_mut()
            .expect("a mapping")
            .entry(Value::String(key.to_string()))
            .or_insert(Value::Mapping(Default::default()));
    }
    cur.as_mapping_mut()
        .expect("a mapping")
        .insert(Value::String(path[path.len() - 1].to_string()), value);
}

fn remove(doc: &mut Value, path: &[&str], key: &str) {
    let mut cur = doc;
    for k in path {
        cur = cur.get_mut(*k).expect("path exists");
    }
    cur.as_mapping_mut().expect("a mapping").remove(key);
}

fn env_example() -> Result<()> {
    let compose = std::fs::read_to_string(root().join("compose.yaml"))?;
    let example =
        std::fs::read_to_string(root().join(".env.example")).context(".env.example is missing")?;
    let defined: std::collections::BTreeMap<String, String> = example
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && l.contains('='))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    // Variables compose.yaml requires (`${NAME:?message}`).
    let mut required = std::collections::BTreeSet::new();
    for line in compose.lines().filter(|l| !l.trim_start().starts_with('#')) {
        let mut rest = line;
        while let Some(i) = rest.find("${") {
            let tail = &rest[i + 2..];
            let name: String = tail
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if tail[name.len()..].starts_with(":?") {
                required.insert(name.clone());
            }
            rest = &tail[name.len()..];
        }
    }
    ensure!(
        !required.is_empty(),
        "compose.yaml requires no variables from .env"
    );
    for name in &required {
        let value = defined.get(name).with_context(|| {
            format!(".env.example does not define {name}, which compose.yaml requires")
        })?;
        ensure!(
            value.starts_with("change-me"),
            ".env.example: {name} must be a `change-me…` placeholder, not a value"
        );
    }
    // .env is ignored, .env.example is not.
    let ignored = |path: &str| -> Result<bool> {
        Ok(cmd("git")
            .args(["check-ignore", "-q", "--no-index", path])
            .status()?
            .success())
    };
    ensure!(ignored(".env")?, ".env is not git-ignored");
    ensure!(!ignored(".env.example")?, ".env.example is git-ignored");
    eprintln!(
        "docs: .env.example defines {} ({} required by compose.yaml); .env is git-ignored",
        defined.keys().cloned().collect::<Vec<_>>().join(", "),
        required.len()
    );
    Ok(())
}

/// The environment variable names a Rust file mentions as string literals.
fn variable_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    for piece in text.split('"').skip(1).step_by(2) {
        let is_name = !piece.is_empty()
            && piece
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let ours = piece.starts_with("CONDUIT_")
            || piece.starts_with("OTEL_")
            || matches!(piece, "DATABASE_URL" | "REDIS_URL");
        if is_name && ours {
            out.insert(piece.to_string());
        }
    }
    out
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

fn names_read_under(dir: &std::path::Path) -> Result<std::collections::BTreeSet<String>> {
    let mut files = vec![];
    rust_files(dir, &mut files)?;
    let mut names = std::collections::BTreeSet::new();
    for f in &files {
        names.extend(variable_names(&std::fs::read_to_string(f)?));
    }
    Ok(names)
}

/// The variables a `--help` text names: clap's `[env: NAME=…]` annotations.
fn help_variables(help: &str) -> BTreeSet<String> {
    help.split("[env: ")
        .skip(1)
        .filter_map(|rest| rest.split(['=', ']']).next())
        .map(str::to_string)
        .collect()
}

/// The service variables the table of the section headed `heading` lists in its first column
/// (`RUST_LOG`, read by the logging library and not an option, is left out).
fn documented_variables(doc: &str, heading: &str) -> BTreeSet<String> {
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_default();
    section
        .lines()
        .filter_map(|l| l.strip_prefix("| "))
        .filter_map(|l| l.split(" | ").next())
        .flat_map(|cell| cell.split('`').skip(1).step_by(2))
        .filter(|n| {
            !n.is_empty()
                && *n != "RUST_LOG"
                && n.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        })
        .map(str::to_string)
        .collect()
}

/// Differences between a section's table and a binary's `--help`, as messages.
fn disagreements(doc: &str, heading: &str, help: &str) -> Vec<String> {
    let (documented, declared) = (documented_variables(doc, heading), help_variables(help));
    let mut out: Vec<String> = declared
        .difference(&documented)
        .map(|n| format!("`{n}` is in --help but not in the table under \"{heading}\""))
        .collect();
    out.extend(
        documented
            .difference(&declared)
            .map(|n| format!("`{n}` is in the table under \"{heading}\" but not in --help")),
    );
    out
}

fn configuration() -> Result<()> {
    let host = crate::web::host_triple()?;
    let api =
        output(cmd("cargo").args(["run", "-q", "--locked", "-p", "conduit-api", "--", "--help"]))?;
    // The web server builds only as a Perseus engine (as `cargo xtask dist` builds it).
    let web = output(
        cmd("cargo")
            .args([
                "run",
                "-q",
                "--locked",
                "-p",
                "conduit-web",
                "--target",
                &host,
                "--",
                "--help",
            ])
            .env("RUSTFLAGS", crate::web::rustflags("engine")),
    )?;
    let doc = std::fs::read_to_string(root().join("docs/configuration.md"))?;
    let sections = [("The API", &api), ("The web server", &web)];
    let mut problems = vec![];
    for (heading, help) in sections {
        ensure!(
            help_variables(help).len() > 3,
            "the --help of the section \"{heading}\" names no variables:\n{help}"
        );
        problems.extend(disagreements(&doc, heading, help));
    }
    ensure!(
        problems.is_empty(),
        "docs/configuration.md: {}",
        problems.join("; ")
    );
    eprintln!(
        "docs: {} API and {} web variables, docs/configuration.md agrees with both --help",
        help_variables(&api).len(),
        help_variables(&web).len()
    );
    // Negative controls: a variable missing from the table, and one missing from --help.
    let without = doc.replace("| `CONDUIT_JWT_SECRET` |", "| the key |");
    ensure!(
        disagreements(&without, "The API", &api).len() == 1,
        "the check did not notice a variable missing from the table"
    );
    let fewer = api.replace("[env: CONDUIT_WORKERS", "[");
    ensure!(
        disagreements(&doc, "The API", &fewer).len() == 1,
        "the check did not notice a documented variable that --help lacks"
    );
    Ok(())
}

/// The lines of a Markdown text outside fenced code blocks, numbered from 1.
fn prose_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut fenced = false;
    text.lines().enumerate().filter_map(move |(n, line)| {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
            return None;
        }
        (!fenced).then_some((n + 1, line))
    })
}

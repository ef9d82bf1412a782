//! The `nix` suite: the flake cannot be evaluated on machines without a Nix store and
//! binary cache, so this checks everything that can be checked without one.
//!
//! 1. every `.nix` file parses (rnix; also `nix-instantiate --parse` when Nix is installed),
//! 2. is formatted by alejandra (the library, same release as the flake's `formatter`),
//! 3. has no unused bindings (a deadnix-like scope check, see `deadcode`),
//! 4. flake.lock is a valid v7 lock matching flake.nix's inputs, follows our nixpkgs, and
//!    pins what the `nix-pins` input (crane's tested lock, xtask/inputs.toml) pins,
//! 5. every crane / dockerTools / bombon / rust-overlay name used is in nix/pinned-api.toml,
//! 6. the image scanner behind the `images-no-shell` check passes its own tests,
//! 7. with Nix and a nixpkgs `lib/` at hand (`CONDUIT_NIXPKGS_LIB`), the whole flake is
//!    evaluated with stand-ins for packages, crane and bombon (nix/tests/eval.nix), once as
//!    is and once with a placeholder web/Cargo.toml so the web outputs are exercised too,
//! 8. every check script under nix/checks/ runs outside Nix in a sandbox-like directory
//!    (read-only source, no HOME, no network, a fresh `$out`; see `sandbox`).

mod api;
mod audit_config;
mod deadcode;
mod lock;
mod sandbox;
mod syntax;

use crate::util::{cmd, output, root, which};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

pub fn run() -> Result<()> {
    let root = root();
    let files = nix_files(&root)?;
    if files.len() < 5 {
        bail!("expected flake.nix and nix/*.nix, found only {files:?}");
    }
    let rel = |p: &Path| p.strip_prefix(&root).unwrap_or(p).display().to_string();
    let sources: Vec<(String, String)> = files
        .iter()
        .map(|p| {
            Ok((
                rel(p),
                std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
            ))
        })
        .collect::<Result<_>>()?;

    eprintln!("nix: parse {} files with rnix", sources.len());
    for (path, src) in &sources {
        syntax::parse(src).map_err(|e| anyhow::anyhow!("{path}: parse error: {e}"))?;
    }
    if which("nix-instantiate").is_some() {
        eprintln!("nix: parse with nix-instantiate --parse (the real Nix parser)");
        for (path, _) in &sources {
            output(cmd("nix-instantiate").args(["--parse", path]))
                .with_context(|| format!("{path} does not parse with Nix"))?;
        }
    } else {
        eprintln!("nix: nix-instantiate not installed; rnix only (apt: nix-bin)");
    }

    eprintln!(
        "nix: alejandra {} format check",
        alejandra::version::VERSION
    );
    let unformatted: Vec<&str> = sources
        .iter()
        .filter_map(|(path, src)| {
            let (status, formatted) = alejandra::format::in_memory(path.clone(), src.clone());
            match status {
                alejandra::format::Status::Error(e) => Some(Err(anyhow::anyhow!("{path}: {e}"))),
                alejandra::format::Status::Changed(_) if formatted != *src => {
                    Some(Ok(path.as_str()))
                }
                alejandra::format::Status::Changed(_) => None,
            }
        })
        .collect::<Result<_>>()?;
    if !unformatted.is_empty() {
        bail!("not alejandra-formatted: {unformatted:?} (run `nix fmt`)");
    }

    eprintln!(
        "nix: unused bindings (self-test: {} known answers)",
        deadcode::SELF_TEST.len()
    );
    for (source, expected) in deadcode::SELF_TEST {
        let got = deadcode::dead_names(source);
        if got != *expected {
            bail!("dead-code self-test: `{source}` gave {got:?}, expected {expected:?}");
        }
    }
    let mut dead = Vec::new();
    for (path, src) in &sources {
        for d in deadcode::find(src).map_err(|e| anyhow::anyhow!("{path}: {e}"))? {
            dead.push(format!("{path}:{}: unused {} `{}`", d.line, d.kind, d.name));
        }
    }
    if !dead.is_empty() {
        bail!("unused bindings:\n  {}", dead.join("\n  "));
    }

    eprintln!("nix: flake.lock against flake.nix");
    let flake_src = &sources
        .iter()
        .find(|(p, _)| p == "flake.nix")
        .context("no flake.nix")?
        .1;
    let inputs = lock::flake_inputs(flake_src)?;
    let lock_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("flake.lock")).context("reading flake.lock")?,
    )
    .context("flake.lock is not JSON")?;
    for line in lock::check(&lock_json, &inputs)? {
        eprintln!("  {line}");
    }
    // The tested pins are the `nix-pins` input (xtask/inputs.toml). The Nix sandbox has neither
    // the offline directory nor the network; there, CONDUIT_ALLOW_MISSING_SHARED skips loudly.
    match crate::inputs::path("nix-pins") {
        Ok(shared) => {
            let shared_json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&shared)?)?;
            lock::compare_with_shared(&lock_json, &shared_json)?;
            eprintln!(
                "  nixpkgs, crane, rust-overlay, advisory-db: identical to the shared tested pins"
            );
        }
        Err(e) if std::env::var_os("CONDUIT_ALLOW_MISSING_SHARED").is_some() => {
            eprintln!("  SKIPPED (CONDUIT_ALLOW_MISSING_SHARED is set): {e:#}");
        }
        Err(e) => return Err(e),
    }
    let cargo_lock = std::fs::read_to_string(root.join("Cargo.lock"))?;
    eprintln!("  {}", lock::check_formatter_pin(&lock_json, &cargo_lock)?);

    eprintln!("nix: names used from pinned inputs against nix/pinned-api.toml");
    let pinned =
        api::PinnedApi::parse(&std::fs::read_to_string(root.join("nix/pinned-api.toml"))?)?;
    pinned.check_revs(&lock_json)?;
    let mut problems = Vec::new();
    let mut uses = std::collections::BTreeSet::new();
    for (path, src) in &sources {
        match api::check_file(&pinned, path, src) {
            Ok(u) => uses.extend(u),
            Err(p) => problems.extend(p),
        }
    }
    if !problems.is_empty() {
        bail!("unverified names:\n  {}", problems.join("\n  "));
    }
    eprintln!(
        "  {} distinct functions and flake outputs, all verified",
        uses.len()
    );

    eprintln!("nix: checks.audit's configuration (.cargo/audit.toml) against deny.toml");
    let ignored = audit_config::compare(
        &std::fs::read_to_string(root.join("deny.toml")).context("reading deny.toml")?,
        std::fs::read_to_string(root.join(".cargo/audit.toml"))
            .ok()
            .as_deref(),
    )?;
    eprintln!("  both ignore the same {ignored} advisories");

    // Hashes that only a machine with Nix and the network can learn: say so on every run.
    for (file, text) in &sources {
        let placeholders = text.matches("lib.fakeHash").count();
        if placeholders > 0 {
            eprintln!(
                "nix: NOTE {file} has {placeholders} placeholder hash(es) (lib.fakeHash): the first \
                 Nix build of it prints the real value to put there"
            );
        }
    }

    eprintln!("nix: image scanner tests (python3 nix/tests/image_scan_test.py)");
    crate::util::require("python3", "install Python 3")?;
    let out = cmd("python3")
        .args(["nix/tests/image_scan_test.py"])
        .output()?;
    let text = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("image scanner tests failed:\n{text}");
    }
    eprintln!(
        "  {}",
        text.lines()
            .filter(|l| l.starts_with("Ran "))
            .collect::<Vec<_>>()
            .join(" ")
    );

    evaluate(&root)?;

    eprintln!("nix: the flake checks' scripts (nix/checks/*.sh) in a sandbox-like directory");
    sandbox::run(&root)?;

    let web = root.join("web/Cargo.toml").is_file();
    eprintln!(
        "nix: ok ({} files; web package {})",
        sources.len(),
        if web {
            "enabled: web/Cargo.toml exists"
        } else {
            "off until web/Cargo.toml exists"
        }
    );
    Ok(())
}

/// Step 7: evaluate the flake with the real nixpkgs lib and stand-ins (nix/tests/eval.nix).
fn evaluate(root: &Path) -> Result<()> {
    let lib = std::env::var_os("CONDUIT_NIXPKGS_LIB").map(PathBuf::from);
    let lib = match lib {
        Some(dir) if dir.join("lib/default.nix").is_file() => dir,
        _ => {
            eprintln!(
                "nix: SKIPPED evaluation with stand-ins: set CONDUIT_NIXPKGS_LIB to a directory holding \
                 nixpkgs' lib/ (e.g. a nix-community/nixpkgs.lib checkout) to run it"
            );
            return Ok(());
        }
    };
    if which("nix-instantiate").is_none() || which("git").is_none() {
        eprintln!("nix: SKIPPED evaluation with stand-ins: needs nix-instantiate and git");
        return Ok(());
    }
    // The flake sees the repository's files, not build outputs: copy what git knows about.
    let listed = output(cmd("git").args([
        "ls-files",
        "-z",
        "--cached",
        "--others",
        "--exclude-standard",
    ]))?;
    let copy = std::env::temp_dir().join(format!("conduit-nix-eval-{}", std::process::id()));
    let result = (|| -> Result<()> {
        for rel in listed.split('\0').filter(|r| !r.is_empty()) {
            let (from, to) = (root.join(rel), copy.join(rel));
            if from.is_file() {
                std::fs::create_dir_all(to.parent().expect("a file has a parent"))?;
                std::fs::copy(&from, &to)?;
            }
        }
        let had_web = copy.join("web/Cargo.toml").is_file();
        for with_web in [had_web, true] {
            if with_web && !had_web {
                std::fs::create_dir_all(copy.join("web"))?;
                std::fs::write(
                    copy.join("web/Cargo.toml"),
                    "[package]\nname = \"conduit-web\"\nversion = \"0.0.0\"\n",
                )?;
            }
            let out = output(
                cmd("nix-instantiate")
                    .args([
                        "--eval",
                        "--strict",
                        "--json",
                        "nix/tests/eval.nix",
                        "--arg",
                        "root",
                    ])
                    .arg(&copy)
                    .env("CONDUIT_NIXPKGS_LIB", &lib),
            )
            .context("evaluating the flake with stand-ins (nix/tests/eval.nix)")?;
            let summary: serde_json::Value = serde_json::from_str(&out)?;
            eprintln!(
                "nix: evaluated the flake{}: {} assertions hold; packages {}; checks {}",
                if with_web && !had_web {
                    " with a placeholder web/Cargo.toml"
                } else {
                    ""
                },
                summary["assertions"],
                summary["packages"],
                summary["checks"]
            );
            if had_web {
                break;
            }
        }
        terraform_pin_rejects_a_moved_lock(&copy, &lib)
    })();
    let _ = std::fs::remove_dir_all(&copy);
    result
}

/// Self-test of nix/terraform.nix's guard: with one environment's lock file naming another
/// AWS provider release than the one the flake builds, evaluation must fail, naming both.
fn terraform_pin_rejects_a_moved_lock(copy: &Path, lib: &Path) -> Result<()> {
    let Some(lock) = std::fs::read_dir(copy.join("terraform/envs"))
        .ok()
        .and_then(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join(".terraform.lock.hcl"))
                .find(|p| p.is_file())
        })
    else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&lock)?;
    let Some(start) = text.find("provider \"registry.terraform.io/hashicorp/aws\"") else {
        return Ok(());
    };
    let version_at = start
        + text[start..]
            .find("version")
            .context("the aws provider block has no version")?;
    let line_end = version_at + text[version_at..].find('\n').unwrap_or(0);
    let moved = format!(
        "{}version = \"0.0.1\"{}",
        &text[..version_at],
        &text[line_end..]
    );
    std::fs::write(&lock, moved)?;
    let out = cmd("nix-instantiate")
        .args([
            "--eval",
            "--strict",
            "--json",
            "nix/tests/eval.nix",
            "--arg",
            "root",
        ])
        .arg(copy)
        .env("CONDUIT_NIXPKGS_LIB", lib)
        .output()?;
    std::fs::write(&lock, text)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() || !stderr.contains("locks hashicorp/aws 0.0.1") {
        bail!("nix/terraform.nix accepted a lock file naming hashicorp/aws 0.0.1:\n{stderr}");
    }
    eprintln!("nix: control: a lock file naming another hashicorp/aws release fails evaluation");
    Ok(())
}

/// Every `.nix` file of the repository (not build outputs, not dependencies).
fn nix_files(root: &Path) -> Result<Vec<PathBuf>> {
    const SKIP: &[&str] = &["target", "node_modules", ".git", ".terraform", "result"];
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_dir() {
                if !SKIP.contains(&name.as_str()) && !name.starts_with("result-") {
                    stack.push(path);
                }
            } else if name.ends_with(".nix") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

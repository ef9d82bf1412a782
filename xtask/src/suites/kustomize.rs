//! The `kustomize` suite: everything under `kustomize/`, offline.
//!
//! 1. Self-tests of the checks (`kustomize/tests/test_policies.py`): every policy and the schema
//!    validation reject a manifest that breaks them; a broken copy of the tree fails end to end.
//! 2. `kustomize/tests/check.py`: `kubectl kustomize` on every kustomization, each cluster expanded
//!    the way Flux applies it (post-build variables from its `cluster-vars`), every object
//!    validated against its schema (core kinds strict for the EKS Kubernetes version, CRDs against
//!    the pinned `crd-schemas` input), and the policy checks. Every HelmRelease is rendered with
//!    its pinned chart (the `helm-chart-*` inputs; PyPI `helm-python-sdk`, Helm's Go SDK) as
//!    helm-controller would, and its objects join the schema and policy checks; a value key the
//!    chart does not read fails.
//! 3. checkov on the rendered clusters (`kubernetes`) and on the kustomizations (`kustomize`),
//!    zero failed checks.
//!
//! Rendered output goes to `target/kustomize-suite/`; the source tree is only read.

use crate::util::{cmd, exec, require, root};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The Kubernetes version of the contract, used when `terraform/` does not say (yet).
const DEFAULT_K8S_VERSION: &str = "1.35";
/// The whole suite must stay well inside this on two shared cores.
const BUDGET: Duration = Duration::from_secs(150);

pub fn run() -> Result<()> {
    let started = Instant::now();
    let kubectl = require(
        "kubectl",
        "install kubectl (its built-in kustomize renders the tree)",
    )?;
    let python = python_with_validators()?;
    let checkov = require("checkov", "pip install -r .ci/requirements.txt (checkov)")?;
    // Exactly the pinned CRD schema files and charts, verified (xtask/inputs.toml).
    let schemas = crate::inputs::path("crd-schemas")?;
    let charts = crate::inputs::helm_charts(&root().join("target").join("kustomize-charts"))?;
    let out = root().join("target").join("kustomize-suite");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cleaning {}", out.display()))?;
    }
    std::fs::create_dir_all(&out)?;
    let rendered = out.join("rendered");

    step("self-tests of the checks", || {
        exec(
            py(&python, &kubectl, &schemas, &charts)
                .args(["-m", "unittest", "discover", "-s", "kustomize/tests"])
                .args(["-p", "test_*.py"]),
        )
    })?;

    let versions = eks_versions()?;
    for version in &versions {
        step(
            &format!("render, schemas (Kubernetes {version}) and policies"),
            || {
                exec(
                    py(&python, &kubectl, &schemas, &charts)
                        .arg("kustomize/tests/check.py")
                        .arg("--schemas")
                        .arg(&schemas)
                        .arg("--charts")
                        .arg(&charts)
                        .args(["--k8s-version", version])
                        .arg("--out")
                        .arg(&rendered)
                        .arg("--kubectl")
                        .arg(&kubectl),
                )
            },
        )?;
    }

    step("checkov on the rendered clusters (kubernetes)", || {
        checkov_run(&checkov, &kubectl, "kubernetes", &rendered, &out)
    })?;
    step("checkov on the kustomizations (kustomize)", || {
        checkov_run(
            &checkov,
            &kubectl,
            "kustomize",
            &root().join("kustomize"),
            &out,
        )
    })?;

    let elapsed = started.elapsed();
    eprintln!(
        "kustomize: all checks passed in {:.1}s (budget {}s)",
        elapsed.as_secs_f64(),
        BUDGET.as_secs()
    );
    if elapsed > BUDGET {
        eprintln!("kustomize: WARNING: over the time budget");
    }
    Ok(())
}

/// The EKS versions the environments run: `kubernetes_version = "1.xx"` in
/// `terraform/envs/<env>/settings.tf` (the platform module takes it from there).
fn eks_versions() -> Result<Vec<String>> {
    let envs = root().join("terraform").join("envs");
    let mut versions = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&envs) {
        for entry in entries.flatten() {
            let file = entry.path().join("settings.tf");
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            if let Some(v) = setting(&text, "kubernetes_version") {
                if !versions.contains(&v) {
                    versions.push(v);
                }
            }
        }
    }
    versions.sort();
    if versions.is_empty() {
        eprintln!(
            "kustomize: no kubernetes_version in terraform/envs/*/settings.tf; using {DEFAULT_K8S_VERSION}"
        );
        versions.push(DEFAULT_K8S_VERSION.to_string());
    }
    Ok(versions)
}

/// The string value of `<name> = "..."` in an HCL locals block.
fn setting(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let rest = line.trim().strip_prefix(name)?.trim().strip_prefix('=')?;
        Some(rest.trim().trim_matches('"').to_string())
    })
}

fn step(name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    eprintln!("\n-- kustomize: {name}");
    let t = Instant::now();
    f().with_context(|| format!("kustomize suite step `{name}` failed"))?;
    eprintln!("   ok ({:.1}s)", t.elapsed().as_secs_f64());
    Ok(())
}

/// The interpreter of the virtualenv that provides `kubernetes-validate` (the checks import it,
/// with PyYAML and jsonschema from the same environment).
fn python_with_validators() -> Result<PathBuf> {
    let kv = require(
        "kubernetes-validate",
        "pip install -r .ci/requirements.txt (kubernetes-validate, check-jsonschema, checkov)",
    )?;
    let dir = kv
        .parent()
        .context("kubernetes-validate has no parent directory")?;
    for name in ["python3", "python"] {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    bail!(
        "no python next to {}: install the tools into a virtualenv",
        kv.display()
    )
}

fn py(python: &Path, kubectl: &Path, schemas: &Path, charts: &Path) -> Command {
    let mut c = cmd(python);
    c.env("PYTHONDONTWRITEBYTECODE", "1")
        .env("KUSTOMIZE_SCHEMAS", schemas)
        .env("KUSTOMIZE_HELM_CHARTS", charts)
        .env("PATH", path_with(kubectl));
    c
}

/// PATH with kubectl's directory first, so helpers and checkov find the same kubectl.
fn path_with(kubectl: &Path) -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = kubectl
        .parent()
        .map(Path::to_path_buf)
        .into_iter()
        .collect();
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// checkov with zero failed checks; prints its summary and every failure.
fn checkov_run(
    checkov: &Path,
    kubectl: &Path,
    framework: &str,
    dir: &Path,
    out: &Path,
) -> Result<()> {
    let mut c = Command::new(checkov);
    c.current_dir(out)
        .env("PATH", path_with(kubectl))
        // checkov's parallel kustomize runner numbers its temp outputs racily: two
        // kustomizations' renders occasionally land in one file and the scan errors out.
        .env("CHECKOV_PARALLELIZATION_TYPE", "none")
        .args([
            "--framework",
            framework,
            "--skip-download",
            "--quiet",
            "--compact",
        ])
        .args(["--output", "cli", "--directory"])
        .arg(dir);
    eprintln!(
        "$ checkov --framework {framework} --skip-download -d {}",
        dir.display()
    );
    let res = c.output().context("could not start checkov")?;
    let stdout = String::from_utf8_lossy(&res.stdout);
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("Passed checks:"))
        .collect();
    eprint!("{stdout}");
    if !res.status.success() {
        bail!(
            "checkov ({framework}) reported failed checks or errors:\n{}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
    // A scan that found nothing to check must not pass silently.
    let passed = summary.iter().any(|l| {
        l.split("Passed checks:")
            .nth(1)
            .and_then(|r| r.split(',').next())
            .and_then(|n| n.trim().parse::<u32>().ok())
            .is_some_and(|n| n > 0)
    });
    if !passed {
        bail!("checkov ({framework}) ran no check on {}", dir.display());
    }
    Ok(())
}

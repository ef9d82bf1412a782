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
    // Exactly the pinned CRD schema files and charts, verified (xtask/inputs.toml).
    let schemas = crate::inputs::path("crd-schemas")?;
    let charts = crate::inputs::helm_charts(&root().join("target").join("kustomize-charts"))?;
    let out = root().join("target").join("kustomize-suite");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cleaning {}", out.display()))?;
    }
    std::fs::create_dir_all(&out)?;
    let rendered = out.join("rendered");
    let py = || {
        let mut c = cmd(&python);
        c.env("PYTHONDONTWRITEBYTECODE", "1")
            .env("KUSTOMIZE_SCHEMAS", &schemas)
            .env("KUSTOMIZE_HELM_CHARTS", &charts);
        c
    };

    step("self-tests of the checks", || {
        exec(py().args("-m unittest discover -s kustomize/tests -p test_*.py".split(' ')))
    })?;
    for version in eks_versions() {
        let name = format!("render, schemas (Kubernetes {version}) and policies");
        let (k8s, dirs) = (
            ["--k8s-version", &version],
            [&schemas, &charts, &kubectl, &rendered],
        );
        let flags = ["--schemas", "--charts", "--kubectl", "--out"];
        let args = flags
            .iter()
            .zip(dirs)
            .flat_map(|(f, d)| [f.as_ref(), d.as_os_str()]);
        step(&name, || {
            exec(py().arg("kustomize/tests/check.py").args(k8s).args(args))
        })?;
    }
    for (framework, dir) in [
        ("kubernetes", rendered),
        ("kustomize", root().join("kustomize")),
    ] {
        step(&format!("checkov --framework {framework}"), || {
            let summary = checkov(&["--framework", framework], &dir, &out)?;
            eprintln!("   {summary}");
            Ok(())
        })?;
    }

    let (elapsed, over) = (started.elapsed(), ", OVER BUDGET");
    let over = if elapsed > BUDGET { over } else { "" };
    eprintln!("kustomize: all checks passed in {elapsed:.1?} (budget {BUDGET:?}){over}");
    Ok(())
}

/// The EKS versions the environments run: `kubernetes_version = "1.xx"` in
/// `terraform/envs/<env>/settings.tf` (the platform module takes it from there).
fn eks_versions() -> Vec<String> {
    let envs = std::fs::read_dir(root().join("terraform/envs"))
        .into_iter()
        .flatten();
    let settings = envs.flatten().map(|e| e.path().join("settings.tf"));
    let texts = settings.filter_map(|f| std::fs::read_to_string(f).ok());
    let version = |t: String| {
        Some(
            t.split("kubernetes_version")
                .nth(1)?
                .split('"')
                .nth(1)?
                .into(),
        )
    };
    let mut versions: Vec<String> = texts.filter_map(version).collect();
    versions.sort();
    versions.dedup();
    if versions.is_empty() {
        eprintln!(
            "kustomize: no kubernetes_version in terraform/envs; using {DEFAULT_K8S_VERSION}"
        );
        versions.push(DEFAULT_K8S_VERSION.to_string());
    }
    versions
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
    let hint = "pip install -r .ci/requirements.txt (kubernetes-validate)";
    let python = require("kubernetes-validate", hint)?.with_file_name("python3");
    match python.is_file() {
        true => Ok(python),
        false => bail!(
            "no {}: install the tools into a virtualenv",
            python.display()
        ),
    }
}

/// checkov over `dir` with zero failed checks and at least one passed; its summary is returned.
/// `cwd` is where its temporary renders go; PATH (with the suites' kubectl first) is inherited.
pub fn checkov(args: &[&str], dir: &Path, cwd: &Path) -> Result<String> {
    let checkov = require("checkov", "pip install -r .ci/requirements.txt (checkov)")?;
    let res = Command::new(checkov)
        .current_dir(cwd)
        // Its parallel kustomize runner numbers its temp outputs racily: two kustomizations'
        // renders occasionally land in one file and the scan errors out.
        .env("CHECKOV_PARALLELIZATION_TYPE", "none")
        .env("BC_SKIP_MAPPING", "TRUE")
        .args(args)
        .args(["--skip-download", "--quiet", "--compact", "--directory"])
        .arg(dir)
        .output()
        .context("could not start checkov")?;
    let stdout = String::from_utf8_lossy(&res.stdout);
    if !res.status.success() {
        bail!(
            "checkov {args:?} reported failed checks or errors:\n{stdout}{}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
    // A scan that found nothing to check must not pass silently.
    let summary: Vec<&str> = stdout
        .lines()
        .filter(|l| l.contains("Passed checks:"))
        .collect();
    if !summary.iter().any(|l| !l.contains("Passed checks: 0,")) {
        bail!(
            "checkov {args:?} ran no check on {}:\n{stdout}",
            dir.display()
        );
    }
    Ok(summary.join("; "))
}

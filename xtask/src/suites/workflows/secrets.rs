//! detect-secrets over every tracked file against two audited baselines: `.secrets.baseline` (the
//! product, docs and infrastructure, every detector) and `.secrets.tests.baseline` (test code:
//! `tests/`, `*/tests/*`, `testkit/`, the credential-format detectors only, since made-up
//! passwords are what tests are made of). Each baseline carries its detectors and file filters;
//! `detect-secrets scan --baseline` on a copy re-scans with them, and any result not audited as a
//! false positive (`is_secret: false`) fails. Accepting a finding is detect-secrets' own flow:
//! `detect-secrets scan --baseline <file>`, then `detect-secrets audit <file>` (docs/security.md).

use anyhow::{ensure, Context, Result};
use serde_json::Value;
use std::path::Path;

const BASELINES: &[&str] = &[".secrets.baseline", ".secrets.tests.baseline"];

/// Re-scans `files` (all tracked files when empty) from `dir` with a copy of `baseline`'s
/// settings; returns the results that are not audited false positives.
fn unaudited(dir: &Path, baseline: &str, files: &[&str]) -> Result<Vec<String>> {
    let tmp = tempfile::tempdir()?;
    let copy = tmp.path().join("baseline.json");
    std::fs::copy(crate::util::root().join(baseline), &copy).context(baseline.to_owned())?;
    let mut c = std::process::Command::new(super::require("detect-secrets")?);
    c.current_dir(dir).arg("scan").arg("--baseline").arg(&copy);
    crate::util::output(c.args(files))?;
    let scanned: Value = serde_json::from_str(&std::fs::read_to_string(&copy)?)?;
    let mut out = Vec::new();
    for (file, list) in scanned["results"].as_object().into_iter().flatten() {
        for r in list.as_array().into_iter().flatten() {
            if r["is_secret"] != false {
                out.push(format!("{file}:{} {}", r["line_number"], r["type"]));
            }
        }
    }
    Ok(out)
}

pub fn check() -> Result<String> {
    // Self-test: a fake AWS access key id, made here so that no file in the repository holds
    // one, is found by each baseline's detectors in the files that baseline covers.
    let tmp = tempfile::tempdir()?;
    std::fs::create_dir(tmp.path().join("tests"))?;
    let key = ["key = AK", "IA", &"Q".repeat(16)].concat();
    for (baseline, file) in BASELINES.iter().zip(["leak.env", "tests/leak.env"]) {
        std::fs::write(tmp.path().join(file), &key)?;
        let found = unaudited(tmp.path(), baseline, &[file])?;
        let caught = found.iter().any(|f| f.contains("AWS Access Key"));
        ensure!(caught, "self-test: {baseline} missed {file}: {found:?}");
    }
    let mut new = Vec::new();
    for baseline in BASELINES {
        new.extend(unaudited(&crate::util::root(), baseline, &[])?);
    }
    let new = new.join("\n");
    ensure!(new.is_empty(), "unaudited possible secrets:\n{new}");
    Ok("0 unaudited findings; the planted key caught with both baselines".to_owned())
}

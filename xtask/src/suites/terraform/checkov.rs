//! checkov over `terraform/` with zero failed checks, and every inline skip justified.

use super::layout::{read, walk};
use crate::util::which;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::Command;

/// A reason must say why, not just restate the check.
const MIN_REASON: usize = 25;

pub fn run(source: &Path) -> Result<String> {
    let skips = check_skip_comments(source)?;
    let checkov = which("checkov").context(
        "`checkov` is not on PATH: install it from .ci/requirements.txt into target/ci-venv",
    )?;
    let out = Command::new(&checkov)
        .args([
            "--framework",
            "terraform",
            "--skip-download",
            "--compact",
            "--quiet",
        ])
        .args(["-o", "json", "-d"])
        .arg(source)
        .env("BC_SKIP_MAPPING", "TRUE")
        .env("CHECKOV_RUN_SCA_PACKAGE_SCAN_V2", "false")
        .output()
        .context("cannot run checkov")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).with_context(|| {
        format!(
            "checkov printed no JSON report:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let reports: Vec<&serde_json::Value> = match &json {
        serde_json::Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut unjustified = Vec::new();
    for r in reports {
        let summary = &r["summary"];
        passed += summary["passed"].as_u64().unwrap_or(0);
        failed += summary["failed"].as_u64().unwrap_or(0);
        skipped += summary["skipped"].as_u64().unwrap_or(0);
        if summary["parsing_errors"].as_u64().unwrap_or(0) > 0 {
            bail!("checkov could not parse some files: {summary}");
        }
        for c in r["results"]["failed_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            failures.push(format!(
                "{} {} ({}{}): {}",
                c["check_id"].as_str().unwrap_or("?"),
                c["resource"].as_str().unwrap_or("?"),
                c["file_path"].as_str().unwrap_or("?"),
                c["file_line_range"]
                    .as_array()
                    .and_then(|a| a.first())
                    .map(|l| format!(":{l}"))
                    .unwrap_or_default(),
                c["check_name"].as_str().unwrap_or("?"),
            ));
        }
        for c in r["results"]["skipped_checks"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let reason = c["check_result"]["suppress_comment"].as_str().unwrap_or("");
            if reason.trim().len() < MIN_REASON {
                unjustified.push(format!(
                    "{} {}",
                    c["check_id"].as_str().unwrap_or("?"),
                    c["resource"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    if passed == 0 {
        bail!("checkov ran no checks; is terraform/ empty?");
    }
    if !failures.is_empty() || failed > 0 {
        bail!(
            "checkov: {failed} failed checks:\n  {}",
            failures.join("\n  ")
        );
    }
    if !unjustified.is_empty() {
        bail!(
            "checkov skips without a reason:\n  {}",
            unjustified.join("\n  ")
        );
    }
    Ok(format!(
        "{passed} passed, 0 failed, {skipped} skipped ({skips} inline skip comments, each with a reason)"
    ))
}

/// Every `#checkov:skip=` is `#checkov:skip=CKV[2]_AWS_<n>: <reason>` with a real reason.
fn check_skip_comments(source: &Path) -> Result<usize> {
    let mut files = Vec::new();
    walk(source, &mut files)?;
    let mut count = 0;
    let mut bad = Vec::new();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "tf"))
    {
        for (i, line) in read(f)?.lines().enumerate() {
            let Some(pos) = line.find("checkov:skip=") else {
                continue;
            };
            count += 1;
            let rest = &line[pos + "checkov:skip=".len()..];
            let ok = line[..pos].trim_end().ends_with('#')
                && rest
                    .split_once(':')
                    .is_some_and(|(id, reason)| valid_id(id) && reason.trim().len() >= MIN_REASON);
            if !ok {
                bad.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    if !bad.is_empty() {
        bail!(
            "checkov skips must read `#checkov:skip=CKV_AWS_<n>: <reason of {MIN_REASON}+ characters>`:\n  {}",
            bad.join("\n  ")
        );
    }
    Ok(count)
}

fn valid_id(id: &str) -> bool {
    let digits = id
        .strip_prefix("CKV_AWS_")
        .or_else(|| id.strip_prefix("CKV2_AWS_"));
    digits.is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_ids() {
        assert!(valid_id("CKV_AWS_338"));
        assert!(valid_id("CKV2_AWS_5"));
        assert!(!valid_id("CKV_AWS_"));
        assert!(!valid_id("CKV_K8S_1"));
    }
}

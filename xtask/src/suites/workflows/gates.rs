//! The gates that must be able to fail (issue 17, items 7 to 10):
//!
//! * **image scan**: `nix/sbom-scan.py` is run on the committed known-vulnerable control SBOM:
//!   as bombon writes it, its store paths are unmatchable (`check` must reject it); enriched,
//!   every store path carries a CPE; `control` accepts a scanner report naming every expected
//!   advisory and rejects one that misses any. The RustSec snapshot confirms the control's crate
//!   is vulnerable. Both image-scanning jobs enrich the SBOM, run grype with `--fail-on`, and
//!   first make grype fail the control; nothing relies on `trivy image`, which sees nothing in
//!   a Nix image;
//! * **DAST**: ZAP on the web app (8081) and, from the OpenAPI document the API serves, on the
//!   API (8080); image pinned by digest, a rules file with FAIL levels, `fail_action`, and part
//!   of the release gate (not limited to events other than the push release.yml is called on);
//! * **SonarQube**: the token step (run here under five events) fails without `SONAR_TOKEN`
//!   except for a fork's pull request; sources include `web/src` and the IaC; clippy's JSON report
//!   is produced in the same workflow run and handed to the scan at the path Sonar reads;
//! * **Dependabot**: the `nix` ecosystem (flake.lock) with the same cooldown as every other
//!   ecosystem, and grouped.

use super::delivery::{action, get, jobs, run, run_script, steps, str_at, strings, with, Delivery};
use super::TempDir;
use crate::util::root;
use anyhow::{Context, Result};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// DAST runs for every event but pull requests: release.yml's call arrives as a push.
const DAST_CONDITION: &str = "github.event_name != 'pull_request'";
pub const CONTROL_SBOM: &str = ".github/scan-control/known-vulnerable.cdx.json";
const SBOM_SCAN: &str = "nix/sbom-scan.py";

// --- Image scan (item 7) -------------------------------------------------------------------------

fn sbom_scan(args: &[&str]) -> Result<(bool, String)> {
    let out = Command::new("python3")
        .arg(root().join(SBOM_SCAN))
        .args(args)
        .current_dir(root())
        .output()
        .context("starting python3")?;
    Ok((
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    ))
}

/// The script itself, on the control SBOM: unmatchable as bombon writes it, matchable enriched,
/// and its report check tells a report naming the expected advisories from one that does not.
pub fn sbom_script_problems(control: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let control_s = control.to_string_lossy();
    let (ok, out) = sbom_scan(&["check", &control_s])?;
    if ok || !out.contains("glibc") {
        problems.push(format!(
            "sbom-scan.py check accepted bombon's raw output, whose glibc has no CPE: {out}"
        ));
    }
    let tmp = TempDir::new("sbom")?;
    let enriched = tmp.0.join("enriched.cdx.json");
    let enriched_s = enriched.to_string_lossy();
    let (ok, out) = sbom_scan(&["enrich", &control_s, &enriched_s])?;
    if !ok {
        problems.push(format!("sbom-scan.py enrich failed: {out}"));
        return Ok(problems);
    }
    let (ok, out) = sbom_scan(&["check", &enriched_s])?;
    if !ok {
        problems.push(format!(
            "the enriched SBOM still has unmatchable components: {out}"
        ));
    }
    let bom: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&enriched)?)?;
    let components = bom["components"].as_array().cloned().unwrap_or_default();
    let cpe_of = |name: &str| {
        components
            .iter()
            .find(|c| c["name"] == name)
            .and_then(|c| c["cpe"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    if !cpe_of("glibc").starts_with("cpe:2.3:a:gnu:glibc:2.35:") {
        problems.push(format!(
            "enriched glibc should carry nixpkgs' CPE cpe:2.3:a:gnu:glibc:2.35:…, has {:?}",
            cpe_of("glibc")
        ));
    }
    // Idempotent: enriching twice changes nothing (the hook may run in Nix and in CI).
    let twice = tmp.0.join("twice.cdx.json");
    sbom_scan(&["enrich", &enriched_s, &twice.to_string_lossy()])?;
    if std::fs::read(&enriched)? != std::fs::read(&twice)? {
        problems.push("sbom-scan.py enrich is not idempotent".into());
    }

    // Reports in grype's JSON shape (`matches[].vulnerability.id`, `relatedVulnerabilities[].id`).
    let expected: Vec<String> = bom["metadata"]["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == "conduit:expect-vulnerability")
        .filter_map(|p| p["value"].as_str().map(str::to_owned))
        .collect();
    if expected.len() < 2 {
        problems.push(format!(
            "the control must expect a store-path and a crate advisory, expects {expected:?}"
        ));
    }
    let report = |ids: &[String]| {
        serde_json::json!({ "matches": ids.iter().map(|id| serde_json::json!({
            "vulnerability": { "id": format!("GHSA-fixture-{id}") },
            "relatedVulnerabilities": [{ "id": id }],
        })).collect::<Vec<_>>() })
        .to_string()
    };
    let full = tmp.write("full.json", &report(&expected[..]))?;
    let partial = tmp.write(
        "partial.json",
        &report(&expected[..expected.len().saturating_sub(1)]),
    )?;
    let (ok, out) = sbom_scan(&["control", &control_s, &full.to_string_lossy()])?;
    if !ok {
        problems.push(format!(
            "sbom-scan.py control rejected a report with every expected id: {out}"
        ));
    }
    let (ok, _) = sbom_scan(&["control", &control_s, &partial.to_string_lossy()])?;
    if ok {
        problems
            .push("sbom-scan.py control accepted a report that misses an expected advisory".into());
    }

    // The control's crate really is vulnerable, per the RustSec snapshot.
    let advisory = crate::inputs::path("advisory-db")?.join("crates/hyper/RUSTSEC-2021-0079.md");
    match std::fs::read_to_string(&advisory) {
        Ok(text) => {
            let hyper = components
                .iter()
                .find(|c| {
                    c["purl"]
                        .as_str()
                        .is_some_and(|p| p.starts_with("pkg:cargo/hyper@"))
                })
                .and_then(|c| c["version"].as_str())
                .unwrap_or_default();
            if !(text.contains("CVE-2021-32714")
                && text.contains("patched = [\">= 0.14.10\"]")
                && hyper.starts_with("0.14.")
                && hyper
                    .trim_start_matches("0.14.")
                    .parse::<u32>()
                    .is_ok_and(|p| p < 10))
            {
                problems.push(format!(
                    "the control's hyper {hyper} is not the version RUSTSEC-2021-0079 (CVE-2021-32714, patched >= 0.14.10) affects"
                ));
            }
        }
        Err(_) if std::env::var_os("CONDUIT_ALLOW_MISSING_SHARED").is_some() => {
            eprintln!(
                "  SKIPPED: {} is missing (CONDUIT_ALLOW_MISSING_SHARED)",
                advisory.display()
            );
        }
        Err(e) => problems.push(format!("{}: {e}", advisory.display())),
    }
    Ok(problems)
}

/// The image-scanning jobs: enrich, control first, then the gate with the same threshold.
pub fn scan_wiring_problems(d: &Delivery) -> Vec<String> {
    let mut problems = Vec::new();
    for (file, job_name) in [("release.yml", "build"), ("security.yml", "images")] {
        let at = format!("{file}: job `{job_name}`");
        let Some(job) = d.workflow(file).and_then(|w| get(w, &["jobs", job_name])) else {
            problems.push(format!("{at} is missing"));
            continue;
        };
        let scripts: Vec<&str> = steps(job).into_iter().map(run).collect();
        if scripts.iter().any(|s| s.contains("trivy image")) {
            problems.push(format!(
                "{at}: `trivy image` finds no package database in a Nix image and passes it; scan the SBOM"
            ));
        }
        let enriched: Vec<String> = scripts
            .iter()
            .filter_map(|s| {
                let rest = s.split("sbom-scan.py enrich ").nth(1)?;
                let args: Vec<&str> = rest.split_whitespace().take(2).collect();
                (args.len() == 2 && !args[0].contains("scan-control"))
                    .then(|| args[1].trim_matches('"').to_owned())
            })
            .collect();
        let threshold = |s: &str| {
            s.split("--fail-on")
                .nth(1)
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_owned)
        };
        let control_pos = scripts.iter().position(|s| {
            s.contains(&format!("sbom-scan.py enrich {CONTROL_SBOM}"))
                && s.contains("sbom-scan.py control")
                && s.contains("grype")
                && s.contains("exit 1")
        });
        let gate_pos = scripts.iter().position(|s| {
            s.contains("grype")
                && enriched
                    .iter()
                    .any(|e| s.contains(&format!("\"sbom:{e}\"")))
        });
        match (control_pos, gate_pos) {
            (None, _) => problems.push(format!(
                "{at}: no control step (grype must fail {CONTROL_SBOM} and report its advisories)"
            )),
            (_, None) => problems.push(format!(
                "{at}: no grype step over the enriched SBOM ({enriched:?})"
            )),
            (Some(c), Some(g)) => {
                if c > g {
                    problems.push(format!("{at}: the control must run before the gate"));
                }
                let (tc, tg) = (threshold(scripts[c]), threshold(scripts[g]));
                if tg.is_none() || tc != tg {
                    problems.push(format!(
                        "{at}: the gate's --fail-on {tg:?} must exist and equal the control's {tc:?}"
                    ));
                }
            }
        }
    }
    problems
}

// --- DAST (item 8) -------------------------------------------------------------------------------

fn rules_problems(path: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return vec![format!("ZAP rules file {} is missing", path.display())];
    };
    let mut problems = Vec::new();
    let mut fail = 0;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let ok_id = fields
            .first()
            .is_some_and(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
        let level = fields.get(1).copied().unwrap_or_default();
        if !ok_id || !matches!(level, "IGNORE" | "INFO" | "WARN" | "FAIL") {
            problems.push(format!(
                "{}:{}: not `<rule id>\\t<IGNORE|INFO|WARN|FAIL>\\t(name)`",
                path.display(),
                n + 1
            ));
        }
        fail += usize::from(level == "FAIL");
    }
    if fail == 0 {
        problems.push(format!(
            "{}: no FAIL rule, so ZAP can never fail",
            path.display()
        ));
    }
    problems
}

fn is_digest_pinned(image: &str) -> bool {
    image.split_once("@sha256:").is_some_and(|(_, d)| {
        d.len() == 64
            && d.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    })
}

pub fn dast_problems(d: &Delivery, base: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(security) = d.workflow("security.yml") else {
        return vec!["no .github/workflows/security.yml".into()];
    };
    let (mut web, mut api) = (false, false);
    for (name, job) in jobs(security) {
        let zap: Vec<&Value> = steps(job)
            .into_iter()
            .filter(|s| action(s).starts_with("zaproxy/action-"))
            .collect();
        if zap.is_empty() {
            continue;
        }
        let at = format!("security.yml: job `{name}`");
        // release.yml calls security.yml on push: the job must not be limited to other events.
        if let Some(cond) = str_at(job, &["if"]) {
            if cond != DAST_CONDITION {
                problems.push(format!(
                    "{at}: `if: {cond}`; DAST must run in the release gate (`if: {DAST_CONDITION}`)"
                ));
            }
        }
        for step in zap {
            let target = with(step, "target").unwrap_or_default();
            match action(step) {
                "zaproxy/action-baseline" if target.contains(":8081") => web = true,
                "zaproxy/action-api-scan"
                    if target.contains(":8080")
                        && target.ends_with("/api/openapi.json")
                        && with(step, "format").as_deref() == Some("openapi") =>
                {
                    api = true
                }
                _ => {}
            }
            if !with(step, "docker_name").is_some_and(|i| is_digest_pinned(&i)) {
                problems.push(format!(
                    "{at}: {} runs ZAP from an image not pinned by @sha256 digest",
                    action(step)
                ));
            }
            if with(step, "fail_action").as_deref() != Some("true") {
                problems.push(format!(
                    "{at}: {} without `fail_action: true`",
                    action(step)
                ));
            }
            match with(step, "rules_file_name") {
                Some(rules) => problems.extend(rules_problems(&base.join(rules))),
                None => problems.push(format!(
                    "{at}: {} has no rules_file_name: every alert is a WARN, and -I never fails",
                    action(step)
                )),
            }
        }
    }
    if !web {
        problems.push("security.yml: no ZAP baseline scan of the web app on :8081".into());
    }
    if !api {
        problems.push(
            "security.yml: no ZAP API scan (format: openapi) of :8080/api/openapi.json".into(),
        );
    }
    let served = std::fs::read_to_string(base.join("src/startup.rs")).unwrap_or_default();
    if !served.contains("\"/api/openapi.json\"") {
        problems.push(
            "src/startup.rs no longer serves /api/openapi.json, which the API scan reads".into(),
        );
    }
    if get(security, &["on", "workflow_call"]).is_none() {
        problems.push("security.yml: no workflow_call trigger, so it cannot gate releases".into());
    }
    let gated = d.workflow("release.yml").is_some_and(|r| {
        jobs(r)
            .iter()
            .any(|(_, j)| str_at(j, &["uses"]) == Some("./.github/workflows/security.yml"))
    });
    if !gated {
        problems.push("release.yml: security.yml (with DAST) is not one of its gates".into());
    }
    problems
}

// --- SonarQube (item 9) --------------------------------------------------------------------------

/// sonar-project.properties as key -> value.
pub fn properties(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

pub fn sonar_problems(d: &Delivery, props: &BTreeMap<String, String>) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let Some(security) = d.workflow("security.yml") else {
        return Ok(vec!["no .github/workflows/security.yml".into()]);
    };
    let Some(job) = get(security, &["jobs", "sonar"]) else {
        return Ok(vec!["security.yml: no `sonar` job".into()]);
    };
    let Some(step) = steps(job)
        .into_iter()
        .find(|s| str_at(s, &["id"]) == Some("enabled"))
    else {
        return Ok(vec![
            "security.yml: the sonar job has no step `id: enabled`".into(),
        ]);
    };

    // Run the step under each event; its env comes from the job's and the step's `env:`.
    let tmp = TempDir::new("sonar")?;
    let scenarios: &[(&str, &str, &str, bool, Option<&str>)] = &[
        // event, head repository, token, must pass, `enabled` output
        ("push", "", "", false, None),
        ("schedule", "", "", false, None),
        ("pull_request", "conduit-platform/conduit", "", false, None),
        ("pull_request", "someone/conduit", "", true, Some("false")),
        ("push", "", "token", true, Some("true")),
    ];
    for (event, head, token, pass, enabled) in scenarios {
        let mut env = Vec::new();
        for scope in [job, step] {
            for (k, v) in get(scope, &["env"])
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
            {
                let (Some(k), Some(v)) = (k.as_str(), v.as_str()) else {
                    continue;
                };
                let value = match v.trim() {
                    "${{ secrets.SONAR_TOKEN }}" => token.to_string(),
                    "${{ github.event_name }}" => event.to_string(),
                    "${{ github.event.pull_request.head.repo.full_name }}" => head.to_string(),
                    "${{ github.repository }}" => "conduit-platform/conduit".to_owned(),
                    other => {
                        problems.push(format!("sonar: cannot simulate env {k}: {other}"));
                        continue;
                    }
                };
                env.push((k, value));
            }
        }
        let (ok, out, log) = run_script(run(step), &tmp.0, &env)?;
        let what = format!(
            "event {event}, head {head:?}, token {}",
            if token.is_empty() { "missing" } else { "set" }
        );
        if ok != *pass {
            problems.push(format!(
                "sonar: with {what} the token step {} (it must {}): {log}",
                if ok { "passed" } else { "failed" },
                if *pass {
                    "pass"
                } else {
                    "fail: only a fork's pull request may skip"
                }
            ));
        } else if ok && out.get("enabled").map(String::as_str) != *enabled {
            problems.push(format!(
                "sonar: with {what} enabled={:?}, expected {enabled:?}",
                out.get("enabled")
            ));
        }
    }

    // Sources: the code, the web frontend and the IaC.
    let sources: BTreeSet<&str> = props
        .get("sonar.sources")
        .map(|s| s.split(',').map(str::trim).collect())
        .unwrap_or_default();
    for wanted in ["src", "web/src", "terraform", "kustomize"] {
        if !sources.contains(wanted) {
            problems.push(format!(
                "sonar-project.properties: sonar.sources lacks {wanted}"
            ));
        }
    }
    if props.get("sonar.rust.clippy.enabled").map(String::as_str) != Some("false") {
        problems.push(
            "sonar-project.properties: the Sonar job has no Rust toolchain; set sonar.rust.clippy.enabled=false and import the report"
                .into(),
        );
    }
    if props.get("sonar.qualitygate.wait").map(String::as_str) != Some("true") {
        problems.push(
            "sonar-project.properties: sonar.qualitygate.wait=true makes the gate block".into(),
        );
    }
    // The clippy report: written in this workflow, handed over, downloaded where Sonar reads it.
    let Some(report) = props.get("sonar.rust.clippyReport.reportPaths") else {
        problems.push("sonar-project.properties: no sonar.rust.clippyReport.reportPaths".into());
        return Ok(problems);
    };
    let report_dir = Path::new(report)
        .parent()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let needs = strings(job.get("needs"));
    let producer = needs.iter().find_map(|n| {
        let j = get(security, &["jobs", n.as_str()])?;
        let writes = steps(j).iter().any(|s| {
            run(s).contains("--message-format=json") && run(s).contains(&format!("> {report}"))
        });
        let upload = steps(j).into_iter().find(|s| {
            action(s) == "actions/upload-artifact"
                && with(s, "path").as_deref() == Some(report.as_str())
        })?;
        writes.then(|| with(upload, "name")).flatten()
    });
    match producer {
        None => problems.push(format!(
            "security.yml: the sonar job needs no job that writes clippy's JSON to {report} and uploads it"
        )),
        Some(artifact) => {
            let downloads = steps(job).iter().any(|s| {
                action(s) == "actions/download-artifact"
                    && with(s, "name").as_deref() == Some(artifact.as_str())
                    && with(s, "path").as_deref() == Some(report_dir.as_str())
            });
            if !downloads {
                problems.push(format!(
                    "security.yml: the sonar job does not download `{artifact}` into {report_dir}"
                ));
            }
        }
    }
    Ok(problems)
}

// --- Dependabot (item 10) ------------------------------------------------------------------------

pub fn dependabot_problems(config: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let updates = config
        .get("updates")
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    let cooldowns: BTreeSet<String> = updates
        .iter()
        .map(|u| {
            get(u, &["cooldown", "default-days"])
                .map(|v| {
                    serde_yaml::to_string(v)
                        .unwrap_or_default()
                        .trim()
                        .to_owned()
                })
                .unwrap_or_else(|| "none".into())
        })
        .collect();
    if cooldowns.len() != 1 || cooldowns.contains("none") {
        problems.push(format!(
            "dependabot.yml: every ecosystem needs the same cooldown, found {cooldowns:?}"
        ));
    }
    match updates
        .iter()
        .find(|u| str_at(u, &["package-ecosystem"]) == Some("nix"))
    {
        None => problems.push("dependabot.yml: no `nix` ecosystem: flake.lock (nixpkgs, every scanner and store path) never updates".into()),
        Some(nix) => {
            let dirs = strings(nix.get("directory")).into_iter().chain(strings(nix.get("directories")));
            if !dirs.into_iter().any(|d| d == "/") {
                problems.push("dependabot.yml: the nix ecosystem must watch / (flake.lock)".into());
            }
            if nix.get("groups").and_then(Value::as_mapping).is_none_or(|g| g.is_empty()) {
                problems.push("dependabot.yml: the nix ecosystem is not grouped like the others".into());
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_pins_and_properties() {
        let d = "a".repeat(64);
        assert!(is_digest_pinned(&format!(
            "ghcr.io/zaproxy/zaproxy:2.17.0@sha256:{d}"
        )));
        assert!(!is_digest_pinned("ghcr.io/zaproxy/zaproxy:stable"));
        assert!(!is_digest_pinned(&format!("img@sha256:{}", "A".repeat(64))));
        let p = properties("# c\nsonar.sources=src, web/src\n\nx = y\n");
        assert_eq!(
            p.get("sonar.sources").map(String::as_str),
            Some("src, web/src")
        );
        assert_eq!(p.get("x").map(String::as_str), Some("y"));
    }

    #[test]
    fn zap_rules_need_a_fail_level_and_the_tsv_shape() {
        let tmp = TempDir::new("unit-zap").expect("temp dir");
        let ok = tmp
            .write("ok.tsv", "10010\tFAIL\t(x)\n10011\tWARN\t(y)\n")
            .expect("write");
        assert!(rules_problems(&ok).is_empty());
        let warn_only = tmp.write("warn.tsv", "10010\tWARN\t(x)\n").expect("write");
        assert!(rules_problems(&warn_only)
            .iter()
            .any(|p| p.contains("no FAIL rule")));
        let spaces = tmp.write("spaces.tsv", "10010 FAIL (x)\n").expect("write");
        assert!(rules_problems(&spaces)
            .iter()
            .any(|p| p.contains("not `<rule id>")));
    }

    #[test]
    fn dependabot_needs_nix_and_one_cooldown() {
        let ok: Value = serde_yaml::from_str(
            "updates:\n  - package-ecosystem: cargo\n    cooldown: {default-days: 7}\n  - package-ecosystem: nix\n    directory: /\n    cooldown: {default-days: 7}\n    groups: {all: {patterns: ['*']}}\n",
        )
        .expect("yaml");
        assert_eq!(dependabot_problems(&ok), Vec::<String>::new());
        let drift: Value = serde_yaml::from_str(
            "updates:\n  - package-ecosystem: cargo\n    cooldown: {default-days: 7}\n  - package-ecosystem: nix\n    directory: /\n    cooldown: {default-days: 3}\n    groups: {all: {patterns: ['*']}}\n",
        )
        .expect("yaml");
        assert!(dependabot_problems(&drift)
            .iter()
            .any(|p| p.contains("same cooldown")));
    }
}

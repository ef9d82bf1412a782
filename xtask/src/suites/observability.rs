//! The `observability` suite: the services' alert rules and dashboards
//! (`kustomize/apps/conduit/base/monitoring/`) and the API's real `/metrics`.
//!
//! 1. `generate.py --check`: rules.yaml and dashboards/*.json are what the generator makes;
//! 2. every alert has `summary`, `description`, a `runbook_url` whose file exists in
//!    `docs/runbooks/`, and a severity Alertmanager routes (critical, warning, info);
//! 3. `promtool check rules` on each PrometheusRule's groups; every metric a dashboard uses is in
//!    the catalogue of `docs/observability.md` for the service its `job` selects (the API's
//!    integration test then finds the API's in its scrape; the web suite the web server's);
//! 4. `promtool test rules` on `monitoring/tests/*.test.yaml`, and every alert has a test where
//!    it fires and one where it must not;
//! 5. self-test: with every alert's expression replaced by one that never fires, the unit
//!    tests must fail (they can catch a broken rule);
//! 6. the whole API integration test run (real API, real PostgreSQL); its `observability` tests
//!    drive traffic, scrape, check that every metric the rules and dashboards use exists and
//!    that the logs carry no secrets; the run's log lines (`CONDUIT_TEST_LOG_FILE`) are then
//!    scanned for secrets and structure, and `promtool check metrics` runs on the saved scrape.

use crate::util::{cmd, exec, require, root, target_dir};
use anyhow::{bail, Context, Result};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

const MONITORING: &str = "kustomize/apps/conduit/base/monitoring";
const SEVERITIES: [&str; 3] = ["critical", "warning", "info"];

pub fn run() -> Result<()> {
    let started = Instant::now();
    let promtool = require(
        "promtool",
        "install the Debian package `prometheus` (it provides promtool)",
    )?;
    let python = require("python3", "install python3 (runs the generator check)")?;
    let dir = root().join(MONITORING);
    let out = target_dir().join("observability-suite");
    if out.exists() {
        std::fs::remove_dir_all(&out).with_context(|| format!("cleaning {}", out.display()))?;
    }
    std::fs::create_dir_all(out.join("rules"))?;

    step("rules.yaml and dashboards/ match generate.py", || {
        exec(cmd(&python).arg(dir.join("generate.py")).arg("--check"))
    })?;

    let rules = prometheus_rules(&std::fs::read_to_string(dir.join("rules.yaml"))?)?;
    let alerts: Vec<Alert> = rules.iter().flat_map(|r| r.alerts.clone()).collect();
    step(
        &format!(
            "{} alerts: annotations, severity, runbook files",
            alerts.len()
        ),
        || {
            let problems: Vec<String> = alerts
                .iter()
                .flat_map(|a| alert_problems(a, &root().join("docs/runbooks")))
                .collect();
            if !problems.is_empty() {
                bail!("{}", problems.join("\n"));
            }
            Ok(())
        },
    )?;

    for r in &rules {
        std::fs::write(
            out.join("rules").join(format!("{}.yaml", r.name)),
            serde_yaml::to_string(&r.spec)?,
        )?;
    }
    step("promtool check rules", || {
        let mut c = cmd(&promtool);
        c.args(["check", "rules"]);
        for r in &rules {
            c.arg(out.join("rules").join(format!("{}.yaml", r.name)));
        }
        exec(&mut c)
    })?;

    step(
        "dashboards: structure, every query parses (promtool check rules), every metric is in \
         the service's catalogue (docs/observability.md)",
        || {
            let catalogue = Catalogue::parse(&std::fs::read_to_string(
                root().join("docs/observability.md"),
            )?)?;
            let mut exprs = Vec::new();
            for f in std::fs::read_dir(dir.join("dashboards"))? {
                let path = f?.path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let json: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path)?)
                        .with_context(|| format!("{} is not JSON", path.display()))?;
                let found =
                    dashboard_queries(&json).with_context(|| format!("{}", path.display()))?;
                let unknown = catalogue.unknown_metrics(&found);
                if !unknown.is_empty() {
                    bail!(
                        "{}: metrics not in the catalogue of the service the queries select: {}",
                        path.display(),
                        unknown.join(", ")
                    );
                }
                eprintln!("   {}: {} queries", path.display(), found.len());
                exprs.extend(found);
            }
            // Grafana's variables replaced by sample values make each query plain PromQL, which
            // promtool parses as the expression of a recording rule.
            let rules: Vec<serde_json::Value> = exprs
                .iter()
                .enumerate()
                .map(|(i, e)| {
                    let e = e
                        .replace("$__rate_interval", "5m")
                        .replace("$namespace", "conduit");
                    serde_json::json!({"record": format!("dashboard:query:{i}"), "expr": e})
                })
                .collect();
            let file = out.join("dashboard-queries.yaml");
            std::fs::write(
                &file,
                serde_yaml::to_string(
                    &serde_json::json!({"groups": [{"name": "dashboards", "rules": rules}]}),
                )?,
            )?;
            exec(cmd(&promtool).args(["check", "rules"]).arg(&file))
        },
    )?;

    let tests = test_files(&dir.join("tests"))?;
    for t in &tests {
        std::fs::copy(t, out.join(t.file_name().unwrap()))?;
    }
    let copies: Vec<PathBuf> = tests
        .iter()
        .map(|t| out.join(t.file_name().unwrap()))
        .collect();
    step(
        &format!("promtool test rules ({} files)", copies.len()),
        || exec(cmd(&promtool).args(["test", "rules"]).args(&copies)),
    )?;

    step("every alert is tested firing and not firing", || {
        let mut cases = BTreeMap::new();
        for t in &tests {
            for (alert, fires) in alert_cases(&std::fs::read_to_string(t)?)? {
                let e: &mut (bool, bool) = cases.entry(alert).or_default();
                if fires {
                    e.0 = true
                } else {
                    e.1 = true
                }
            }
        }
        let problems = coverage_problems(&alerts, &cases);
        if !problems.is_empty() {
            bail!("{}", problems.join("\n"));
        }
        Ok(())
    })?;

    step(
        "self-test: the unit tests fail when the alerts never fire",
        || {
            let broken = out.join("never-fires");
            std::fs::create_dir_all(broken.join("rules"))?;
            for r in &rules {
                std::fs::write(
                    broken.join("rules").join(format!("{}.yaml", r.name)),
                    serde_yaml::to_string(&never_firing(&r.spec))?,
                )?;
            }
            for t in &tests {
                let copy = broken.join(t.file_name().unwrap());
                std::fs::copy(t, &copy)?;
                let status = cmd(&promtool)
                    .args(["test", "rules"])
                    .arg(&copy)
                    .stdout(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .status()?;
                if status.success() {
                    bail!(
                        "{} passes against rules whose alerts never fire: it asserts nothing",
                        t.display()
                    );
                }
                eprintln!("   {} fails as it should", copy.display());
            }
            Ok(())
        },
    )?;

    let scrape = out.join("scrape.txt");
    let logs = out.join("api-test-logs.jsonl");
    step(
        "API tests (all): the observability tests scrape after traffic and check the metric names \
         of rules and dashboards; the log lines are saved",
        || {
            exec(
                // `--workspace` keeps the feature set of the Rust suite's build, so nothing
                // is compiled again.
                cmd("cargo")
                    .args(["test", "--workspace", "--locked", "--test", "api"])
                    .env("CONDUIT_REQUIRE_PROMTOOL", "1")
                    .env("CONDUIT_SCRAPE_OUT", &scrape)
                    .env("CONDUIT_TEST_LOG_FILE", &logs)
                    // Every API test runs here, the contract check among them.
                    .env(
                        "CONDUIT_REALWORLD_OPENAPI",
                        crate::inputs::path("realworld-openapi")?,
                    ),
            )
        },
    )?;
    step(
        "the logs of the API test run: JSON lines, no passwords, tokens or emails",
        || {
            let text = std::fs::read_to_string(&logs)
                .context("the API tests did not write CONDUIT_TEST_LOG_FILE")?;
            let (lines, requests) = scan_logs(&text)?;
            eprintln!("   {lines} lines, {requests} request lines scanned");
            Ok(())
        },
    )?;
    step("promtool check metrics on the scrape", || {
        let text = std::fs::read(&scrape).context("the API test did not save its scrape")?;
        let series = text
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty() && l[0] != b'#')
            .count();
        eprintln!("   {series} samples");
        exec(
            cmd(&promtool)
                .args(["check", "metrics"])
                .stdin(std::fs::File::open(&scrape)?),
        )
    })?;

    eprintln!(
        "\nobservability: all checks passed in {:.1}s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn step(name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    eprintln!("\n-- observability: {name}");
    let t = Instant::now();
    f().with_context(|| format!("observability suite step `{name}` failed"))?;
    eprintln!("   ok ({:.1}s)", t.elapsed().as_secs_f64());
    Ok(())
}

struct Rule {
    name: String,
    spec: Value,
    alerts: Vec<Alert>,
}

#[derive(Clone, Debug)]
struct Alert {
    name: String,
    severity: Option<String>,
    annotations: BTreeMap<String, String>,
}

/// The PrometheusRule objects of a multi-document YAML file.
fn prometheus_rules(text: &str) -> Result<Vec<Rule>> {
    let mut out = Vec::new();
    // Documents are separated by `---` lines (no serde dependency for the streaming reader).
    for doc in text.split("\n---\n") {
        let v: Value = serde_yaml::from_str(doc)?;
        if v["kind"].as_str() != Some("PrometheusRule") {
            continue;
        }
        let name = v["metadata"]["name"]
            .as_str()
            .context("PrometheusRule without metadata.name")?
            .to_string();
        let spec = v["spec"].clone();
        let mut alerts = Vec::new();
        for group in spec["groups"].as_sequence().into_iter().flatten() {
            for rule in group["rules"].as_sequence().into_iter().flatten() {
                let Some(alert) = rule["alert"].as_str() else {
                    continue;
                };
                let annotations = rule["annotations"]
                    .as_mapping()
                    .into_iter()
                    .flatten()
                    .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                    .collect();
                alerts.push(Alert {
                    name: alert.to_string(),
                    severity: rule["labels"]["severity"].as_str().map(str::to_string),
                    annotations,
                });
            }
        }
        out.push(Rule { name, spec, alerts });
    }
    if out.is_empty() {
        bail!("no PrometheusRule found");
    }
    Ok(out)
}

fn alert_problems(a: &Alert, runbooks: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for key in ["summary", "description", "runbook_url"] {
        if a.annotations.get(key).is_none_or(|v| v.trim().is_empty()) {
            problems.push(format!("{}: no {key} annotation", a.name));
        }
    }
    match a.severity.as_deref() {
        Some(s) if SEVERITIES.contains(&s) => {}
        other => problems.push(format!(
            "{}: severity {other:?} is not one of {SEVERITIES:?}",
            a.name
        )),
    }
    if let Some(url) = a.annotations.get("runbook_url") {
        let expected = format!("/docs/runbooks/{}.md", a.name);
        if !url.ends_with(&expected) {
            problems.push(format!(
                "{}: runbook_url {url} does not end in {expected}",
                a.name
            ));
        } else if !runbooks.join(format!("{}.md", a.name)).is_file() {
            problems.push(format!(
                "{}: docs/runbooks/{}.md does not exist",
                a.name, a.name
            ));
        }
    }
    problems
}

fn test_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".test.yaml"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no *.test.yaml in {}", dir.display());
    }
    Ok(files)
}

/// (alert name, whether the case expects it to fire) for every `alert_rule_test`.
fn alert_cases(text: &str) -> Result<Vec<(String, bool)>> {
    let v: Value = serde_yaml::from_str(text)?;
    let mut out = Vec::new();
    for test in v["tests"].as_sequence().into_iter().flatten() {
        for case in test["alert_rule_test"].as_sequence().into_iter().flatten() {
            let name = case["alertname"]
                .as_str()
                .context("alert_rule_test without alertname")?;
            let fires = case["exp_alerts"]
                .as_sequence()
                .is_some_and(|s| !s.is_empty());
            out.push((name.to_string(), fires));
        }
    }
    Ok(out)
}

fn coverage_problems(alerts: &[Alert], cases: &BTreeMap<String, (bool, bool)>) -> Vec<String> {
    let mut problems = Vec::new();
    for a in alerts {
        let (fires, silent) = cases.get(&a.name).copied().unwrap_or_default();
        if !fires {
            problems.push(format!("{}: no test where it fires", a.name));
        }
        if !silent {
            problems.push(format!("{}: no test where it must stay silent", a.name));
        }
    }
    for name in cases.keys() {
        if !alerts.iter().any(|a| &a.name == name) {
            problems.push(format!("tests name an alert that does not exist: {name}"));
        }
    }
    problems
}

/// The rule groups with every alert expression replaced by one that is never true.
fn never_firing(spec: &Value) -> Value {
    let mut spec = spec.clone();
    if let Some(groups) = spec["groups"].as_sequence_mut() {
        for group in groups {
            if let Some(rules) = group["rules"].as_sequence_mut() {
                for rule in rules {
                    if rule.get("alert").is_some() {
                        rule["expr"] = Value::String("vector(1) == 0".into());
                    }
                }
            }
        }
    }
    spec
}

/// The PromQL of every panel; each panel needs an id unique in the dashboard, a grid position
/// and at least one query, and the dashboard a `uid` and the `datasource` variable it uses.
fn dashboard_queries(d: &serde_json::Value) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    if d["uid"].as_str().is_none_or(str::is_empty) {
        problems.push("no uid".to_string());
    }
    let vars: Vec<&str> = d["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    if !vars.contains(&"datasource") {
        problems.push("no `datasource` variable".into());
    }
    let mut ids = std::collections::BTreeSet::new();
    let mut exprs = Vec::new();
    for p in d["panels"].as_array().into_iter().flatten() {
        let title = p["title"].as_str().unwrap_or("?");
        if !ids.insert(p["id"].to_string()) {
            problems.push(format!("{title}: duplicate or missing id {}", p["id"]));
        }
        if !p["gridPos"].is_object() {
            problems.push(format!("{title}: no gridPos"));
        }
        if p["type"] == "row" {
            continue;
        }
        let targets: Vec<&str> = p["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["expr"].as_str())
            .collect();
        if targets.is_empty() {
            problems.push(format!("{title}: no query"));
        }
        exprs.extend(targets.into_iter().map(str::to_string));
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(exprs)
}

/// The metric names `docs/observability.md` documents for each service: the API's under
/// `### Catalogue`, the web server's under `### Web frontend`. A trailing `*` is a prefix.
struct Catalogue {
    api: Vec<String>,
    web: Vec<String>,
}

impl Catalogue {
    fn parse(md: &str) -> Result<Self> {
        let (mut api, mut web) = (Vec::new(), Vec::new());
        let mut section = None;
        for line in md.lines() {
            if let Some(h) = line.strip_prefix("### ") {
                section = if h.starts_with("Catalogue") {
                    Some(0)
                } else if h.starts_with("Web frontend") {
                    Some(1)
                } else {
                    None
                };
                continue;
            }
            let (Some(s), Some(first)) = (section, line.strip_prefix('|')) else {
                continue;
            };
            let cell = first.split('|').next().unwrap_or("");
            for name in cell.split('`').skip(1).step_by(2) {
                let plausible = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c == '*');
                if plausible {
                    [&mut api, &mut web][s].push(name.to_string());
                }
            }
        }
        if api.is_empty() || web.is_empty() {
            bail!("docs/observability.md: no metric catalogue (### Catalogue, ### Web frontend)");
        }
        Ok(Self { api, web })
    }

    /// Metrics of the queries that the catalogue of the selected service (`job="conduit-web"`:
    /// the web server's, else the API's) does not list; histogram series are looked up by the
    /// histogram's name.
    fn unknown_metrics(&self, exprs: &[String]) -> Vec<String> {
        let mut out = Vec::new();
        for e in exprs {
            let names = if e.contains(r#"job="conduit-web""#) {
                &self.web
            } else {
                &self.api
            };
            for m in metric_names(e) {
                let base = ["_bucket", "_count", "_sum"]
                    .iter()
                    .find_map(|s| m.strip_suffix(s))
                    .unwrap_or(&m);
                let known = names.iter().any(|n| match n.strip_suffix('*') {
                    Some(prefix) => m.starts_with(prefix),
                    None => n == &m || n == base,
                });
                if !known && !out.contains(&m) {
                    out.push(m);
                }
            }
        }
        out
    }
}

/// Metric names of the services in a query: identifiers with their prefixes, not recording-rule
/// names (which contain a colon) and not label names (matchers, `by (...)` and the like).
fn metric_names(expr: &str) -> Vec<String> {
    const PREFIXES: [&str; 4] = ["http_server_", "db_client_", "conduit_", "process_"];
    let mut out: Vec<String> = without_label_names(expr)
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|t| !t.contains(':') && PREFIXES.iter().any(|p| t.starts_with(p)))
        .map(str::to_string)
        .collect();
    out.dedup();
    out
}

/// The query without its label matchers (`{...}`) and label lists (`by (...)`, `without (...)`,
/// `on (...)`, `ignoring (...)`, `group_left (...)`, `group_right (...)`), so that only metric
/// names, functions and numbers remain.
fn without_label_names(expr: &str) -> String {
    const LISTS: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    let mut out = String::new();
    let mut rest = expr;
    while let Some(c) = rest.chars().next() {
        if c == '{' {
            rest = rest.find('}').map_or("", |end| &rest[end + 1..]);
            continue;
        }
        let word: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !word.is_empty() {
            let after = rest[word.len()..].trim_start();
            let boundary = !out.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_');
            if boundary && LISTS.contains(&word.as_str()) && after.starts_with('(') {
                rest = after.find(')').map_or("", |end| &after[end + 1..]);
                out.push(' ');
                continue;
            }
            out.push_str(&word);
            rest = &rest[word.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Strings that never appear in the logs of the test run: the test users' addresses, the
/// `password-<name>` passwords of `helpers::register`, `Authorization: Token` headers and JWTs
/// (base64 of `{"`).
const FORBIDDEN_IN_LOGS: [&str; 4] = ["@example.com", "password-", "Token ", "eyJ"];

/// Every line is a JSON object with the base fields; request lines carry the request and trace
/// ids; nothing forbidden. Returns (lines, request lines).
fn scan_logs(text: &str) -> Result<(usize, usize)> {
    let mut problems = Vec::new();
    let (mut lines, mut requests) = (0, 0);
    for (i, line) in text.lines().enumerate() {
        lines += 1;
        for f in FORBIDDEN_IN_LOGS {
            if line.contains(f) {
                problems.push(format!("line {}: contains {f:?}", i + 1));
            }
        }
        let v: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                problems.push(format!("line {}: not JSON ({e})", i + 1));
                continue;
            }
        };
        for key in ["timestamp", "level", "target", "message"] {
            if v.get(key).is_none() {
                problems.push(format!("line {}: no {key}", i + 1));
            }
        }
        if v["message"] == "request" {
            requests += 1;
            for key in [
                "request_id",
                "trace_id",
                "span_id",
                "route",
                "status",
                "latency_ms",
            ] {
                if v.get(key).is_none() {
                    problems.push(format!("line {}: request line without {key}", i + 1));
                }
            }
        }
    }
    if lines == 0 || requests == 0 {
        problems.push(format!(
            "{lines} lines, {requests} request lines: nothing was captured"
        ));
    }
    if !problems.is_empty() {
        problems.truncate(20);
        bail!("{}", problems.join("\n"));
    }
    Ok((lines, requests))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: &str = r#"
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: r}
spec:
  groups:
    - name: g
      rules:
        - record: x:y:z
          expr: sum(up)
        - alert: Good
          expr: up == 0
          labels: {severity: warning}
          annotations: {summary: s, description: d, runbook_url: "https://x/docs/runbooks/Good.md"}
        - alert: Bad
          expr: up == 0
          labels: {severity: page}
          annotations: {summary: s, runbook_url: "https://x/elsewhere.md"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c}
"#;

    #[test]
    fn alerts_are_checked_for_annotations_severity_and_runbooks() {
        let rules = prometheus_rules(RULES).unwrap();
        assert_eq!(rules.len(), 1);
        let alerts = &rules[0].alerts;
        assert_eq!(alerts.len(), 2);
        let tmp = std::env::temp_dir().join(format!("obs-suite-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        std::fs::write(tmp.join("Good.md"), "# Good").unwrap();
        assert!(alert_problems(&alerts[0], &tmp).is_empty());
        let bad = alert_problems(&alerts[1], &tmp);
        assert_eq!(bad.len(), 3, "{bad:?}");
        std::fs::remove_dir_all(&tmp).unwrap();
        // Without its runbook file, the good alert is a problem too.
        assert_eq!(
            alert_problems(&alerts[0], Path::new("/nonexistent")).len(),
            1
        );
    }

    #[test]
    fn coverage_needs_a_firing_and_a_silent_case() {
        let rules = prometheus_rules(RULES).unwrap();
        let cases = alert_cases(
            r#"
tests:
  - alert_rule_test:
      - {alertname: Good, eval_time: 1m, exp_alerts: [{exp_labels: {severity: warning}}]}
      - {alertname: Good, eval_time: 1m, exp_alerts: []}
      - {alertname: Bad, eval_time: 1m}
      - {alertname: Ghost, eval_time: 1m, exp_alerts: []}
"#,
        )
        .unwrap();
        let mut map = BTreeMap::new();
        for (name, fires) in cases {
            let e: &mut (bool, bool) = map.entry(name).or_default();
            if fires {
                e.0 = true
            } else {
                e.1 = true
            }
        }
        let problems = coverage_problems(&rules[0].alerts, &map);
        assert_eq!(
            problems,
            [
                "Bad: no test where it fires".to_string(),
                "tests name an alert that does not exist: Ghost".to_string()
            ]
        );
    }

    #[test]
    fn never_firing_replaces_only_alert_expressions() {
        let rules = prometheus_rules(RULES).unwrap();
        let broken = never_firing(&rules[0].spec);
        let r = &broken["groups"][0]["rules"];
        assert_eq!(r[0]["expr"], Value::String("sum(up)".into()));
        assert_eq!(r[1]["expr"], Value::String("vector(1) == 0".into()));
    }
    #[test]
    fn the_log_scan_finds_secrets_and_broken_lines() {
        let ok = r#"{"timestamp":"t","level":"INFO","target":"x","message":"request","request_id":"r","trace_id":"t","span_id":"s","route":"/a","status":200,"latency_ms":1.0}"#;
        assert_eq!(scan_logs(ok).unwrap(), (1, 1));
        let leak = ok.replace("/a", "jake@example.com");
        assert!(scan_logs(&leak).is_err());
        let jwt = format!("{ok}\n{}", ok.replace("\"r\"", "\"eyJhbGciOi\""));
        assert!(scan_logs(&jwt).is_err());
        assert!(scan_logs(&format!("{ok}\nplain text")).is_err());
        let no_trace = ok.replace(r#""trace_id":"t","#, "");
        assert!(scan_logs(&no_trace).is_err());
        assert!(scan_logs("").is_err());
    }
    #[test]
    fn dashboard_metrics_must_be_in_their_services_catalogue() {
        let md = "### Catalogue\n| name | type |\n|---|---|\n| `http_server_request_duration_seconds` | histogram |\n\
                  | `conduit_build_info` | gauge |\n| `process_open_fds`, `process_max_fds` | gauge |\n\
                  ### Web frontend (`conduit-web`)\n| `conduit_web_render_duration_seconds` | histogram |\n\
                  | `process_*` | |\n### PromQL examples\n| `conduit_elsewhere` | |\n";
        let c = Catalogue::parse(md).unwrap();
        let ok = [
            r#"sum(rate(http_server_request_duration_seconds_bucket{job="conduit-api"}[5m]))"#,
            r#"conduit_build_info{job="conduit-api"} and process_open_fds"#,
            r#"rate(conduit_web_render_duration_seconds_count{job="conduit-web"}[5m])"#,
            r#"process_threads{job="conduit-web"} / namespace_job:x:ratio{job="conduit-web"}"#,
            // label names are not metrics
            r#"sum by (conduit_label) (conduit_build_info{job="conduit-api", process_x="1"})"#,
        ]
        .map(String::from);
        assert!(
            c.unknown_metrics(&ok).is_empty(),
            "{:?}",
            c.unknown_metrics(&ok)
        );
        let bad = [
            // a misspelt web metric, a web metric on the API's dashboard, an undocumented one
            r#"conduit_web_render_seconds_bucket{job="conduit-web"}"#,
            r#"conduit_web_render_duration_seconds_count{job="conduit-api"}"#,
            r#"conduit_elsewhere{job="conduit-api"}"#,
        ]
        .map(String::from);
        assert_eq!(
            c.unknown_metrics(&bad),
            [
                "conduit_web_render_seconds_bucket",
                "conduit_web_render_duration_seconds_count",
                "conduit_elsewhere"
            ]
        );
        assert!(Catalogue::parse("no tables").is_err());
    }

    #[test]
    fn dashboards_need_ids_positions_and_queries() {
        let good = serde_json::json!({
            "uid": "u",
            "templating": {"list": [{"name": "datasource"}]},
            "panels": [
                {"id": 1, "type": "row", "title": "r", "gridPos": {}},
                {"id": 2, "type": "timeseries", "title": "t", "gridPos": {},
                 "targets": [{"expr": "up"}]}
            ]
        });
        assert_eq!(dashboard_queries(&good).unwrap(), ["up"]);
        let mut dup = good.clone();
        dup["panels"][1]["id"] = 1.into();
        assert!(dashboard_queries(&dup).is_err());
        let mut empty = good.clone();
        empty["panels"][1]["targets"] = serde_json::json!([]);
        assert!(dashboard_queries(&empty).is_err());
        let mut no_var = good;
        no_var["templating"]["list"] = serde_json::json!([]);
        assert!(dashboard_queries(&no_var).is_err());
    }
}

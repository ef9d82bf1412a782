//! The `observability` suite: the alert rules and dashboards of
//! `kustomize/apps/conduit/base/monitoring/` and the API's real `/metrics` and logs, checked by
//! tools, each first shown a fixture (in `observability/fixtures/`) it must reject: generate.py
//! --check, semgrep (`observability/*.semgrep.yaml`: alert annotations, secrets in the logs),
//! check-jsonschema (`observability/dashboard.schema.yaml`), `promtool check rules` (rules and
//! dashboard queries), `promtool test rules` (every alert tested firing and silent; the tests
//! fail against alerts that never fire), and the API tests, which scrape after traffic, check
//! every metric the rules and dashboards use against the scrape and run promtool check metrics.

use super::rejects;
use crate::util::{cmd, exec, require, root, target_dir};
use anyhow::{ensure, Context, Result};
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const MONITORING: &str = "kustomize/apps/conduit/base/monitoring";
const VENV_HINT: &str = "run .ci/run (it installs .ci/requirements.txt into target/ci-venv)";

fn own(name: &str) -> PathBuf {
    root().join("xtask/src/suites/observability").join(name)
}

pub fn run() -> Result<()> {
    let started = Instant::now();
    let promtool = require("promtool", "install the Debian package `prometheus`")?;
    let promtool = |args: &[&str]| {
        let mut c = cmd(&promtool);
        c.args(args);
        c
    };
    let dir = root().join(MONITORING);
    let out = target_dir().join("observability-suite");
    let _ = std::fs::remove_dir_all(&out);

    step("generate.py --check", || {
        let python = require("python3", "install python3")?;
        exec(cmd(python).arg(dir.join("generate.py")).arg("--check"))
    })?;
    step("alerts: annotations, severity, runbook (semgrep)", || {
        exec(&mut semgrep("alerts", &root().join("kustomize"))?)?;
        let fixture = own("fixtures/alerts.yaml");
        rejects(&mut semgrep("alerts", &fixture)?, &fixture)
    })?;
    step("dashboards: structure (check-jsonschema)", || {
        let tool = require("check-jsonschema", VENV_HINT)?;
        let schema = own("dashboard.schema.yaml");
        let check = |files: &[PathBuf]| {
            let mut c = cmd(&tool);
            c.arg("--schemafile").arg(&schema).args(files);
            c
        };
        exec(&mut check(&files(&dir.join("dashboards"), ".json")?))?;
        let fixture = own("fixtures/dashboard.yaml");
        rejects(&mut check(std::slice::from_ref(&fixture)), &fixture)
    })?;

    let rules = prometheus_rules(&std::fs::read_to_string(dir.join("rules.yaml"))?)?;
    let mut checked = write_groups(&out.join("rules"), &rules)?;
    checked.push(dashboard_queries(&dir, &out)?);
    step("promtool check rules (rules, dashboard queries)", || {
        exec(promtool(&["check", "rules"]).args(&checked))
    })?;
    // The unit tests name their rule files relative to themselves: run copies beside the rules.
    let tests = files(&dir.join("tests"), ".test.yaml")?;
    let copies = copy_into(&tests, &out)?;
    let test = |files: &[PathBuf]| exec(promtool(&["test", "rules"]).args(files));
    step("promtool test rules", || test(&copies))?;
    step("every alert tested firing and silent", || {
        coverage(&rules, &tests)
    })?;
    step("self-test: the unit tests fail when no alert fires", || {
        let never: Vec<_> = rules.iter().map(never_firing).collect();
        write_groups(&out.join("never-fires/rules"), &never)?;
        for copy in copy_into(&tests, &out.join("never-fires"))? {
            let status = promtool(&["test", "rules"]).arg(&copy).output()?.status;
            let copy = copy.display();
            ensure!(!status.success(), "{copy} passes: it asserts nothing");
            eprintln!("   {copy} fails as it should");
        }
        Ok(())
    })?;

    let logs = out.join("api-test-logs.jsonl");
    step("API tests (scrape, metrics used, promtool)", || {
        // `--workspace` keeps the feature set of the Rust suite's build: nothing is rebuilt.
        let mut test = crate::util::cargo("test --workspace --locked --test api");
        test.env("CONDUIT_REQUIRE_PROMTOOL", "1");
        test.env("CONDUIT_SCRAPE_OUT", out.join("scrape.txt"));
        test.env("CONDUIT_TEST_LOG_FILE", &logs);
        let contract = crate::inputs::path("realworld-openapi")?;
        exec(test.env("CONDUIT_REALWORLD_OPENAPI", contract))
    })?;
    step("API test logs: no secrets (semgrep)", || {
        let lines = std::fs::read_to_string(&logs).context("the API tests wrote no logs")?;
        ensure!(!lines.is_empty(), "the API tests logged nothing");
        exec(&mut semgrep("logs", &logs)?)?;
        let fixture = own("fixtures/leaky.log");
        rejects(&mut semgrep("logs", &fixture)?, &fixture)
    })?;
    let took = started.elapsed();
    eprintln!("\nobservability: all checks passed in {took:.1?}");
    Ok(())
}

fn step(name: &str, f: impl FnOnce() -> Result<()>) -> Result<()> {
    eprintln!("\n-- observability: {name}");
    let t = Instant::now();
    f().with_context(|| format!("observability: {name}"))?;
    eprintln!("   ok ({:.1?})", t.elapsed());
    Ok(())
}

/// semgrep with `observability/<rules>.semgrep.yaml` on `target`, failing on a finding.
fn semgrep(rules: &str, target: &Path) -> Result<Command> {
    let mut c = cmd(require("semgrep", VENV_HINT)?);
    c.args(["scan", "--metrics=off", "--disable-version-check"]);
    c.args(["--quiet", "--error", "--vim", "--config"]);
    c.arg(own(&format!("{rules}.semgrep.yaml"))).arg(target);
    Ok(c)
}

/// The files in `dir` whose names end in `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))?;
    let mut found: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
    found.retain(|p| p.to_string_lossy().ends_with(suffix));
    found.sort();
    ensure!(!found.is_empty(), "no *{suffix} in {}", dir.display());
    Ok(found)
}

fn copy_into(files: &[PathBuf], dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let copy = |f: &PathBuf| -> Result<PathBuf> {
        let copy = dir.join(f.file_name().context("a file name")?);
        Ok(std::fs::copy(f, &copy).map(|_| copy)?)
    };
    files.iter().map(copy).collect()
}

/// (name, spec) of every PrometheusRule in a multi-document YAML file.
fn prometheus_rules(text: &str) -> Result<Vec<(String, Value)>> {
    let mut out = vec![];
    for doc in text.split("\n---\n") {
        let v: Value = serde_yaml::from_str(doc)?;
        if v["kind"].as_str() == Some("PrometheusRule") {
            let name = v["metadata"]["name"].as_str().context("no name")?;
            out.push((name.to_string(), v["spec"].clone()));
        }
    }
    ensure!(!out.is_empty(), "no PrometheusRule found");
    Ok(out)
}

/// Each PrometheusRule's groups as the plain rule file promtool reads, `<dir>/<name>.yaml`.
fn write_groups(dir: &Path, rules: &[(String, Value)]) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let write = |(name, spec): &(String, Value)| -> Result<PathBuf> {
        let file = dir.join(format!("{name}.yaml"));
        Ok(std::fs::write(&file, serde_yaml::to_string(spec)?).map(|()| file)?)
    };
    rules.iter().map(write).collect()
}

/// A copy with every alert expression replaced by one that is never true.
fn never_firing((name, spec): &(String, Value)) -> (String, Value) {
    let mut spec = spec.clone();
    for group in spec["groups"].as_sequence_mut().into_iter().flatten() {
        for rule in group["rules"].as_sequence_mut().into_iter().flatten() {
            if rule.get("alert").is_some() {
                rule["expr"] = Value::String("vector(1) == 0".into());
            }
        }
    }
    (name.clone(), spec)
}

/// Every dashboard query as a recording rule (Grafana's variables replaced by sample values
/// make it plain PromQL) in one rule file for `promtool check rules`.
fn dashboard_queries(dir: &Path, out: &Path) -> Result<PathBuf> {
    let mut rules = vec![];
    for file in files(&dir.join("dashboards"), ".json")? {
        let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file)?)?;
        for panel in json["panels"].as_array().into_iter().flatten() {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expr = target["expr"].as_str().unwrap_or_default();
                let expr = expr.replace("$__rate_interval", "5m");
                let expr = expr.replace("$namespace", "conduit");
                let record = format!("dashboard:query:{}", rules.len());
                rules.push(serde_json::json!({"record": record, "expr": expr}));
            }
        }
    }
    let file = out.join("dashboard-queries.yaml");
    let groups = serde_json::json!({"groups": [{"name": "dashboards", "rules": rules}]});
    std::fs::write(&file, serde_yaml::to_string(&groups)?)?;
    Ok(file)
}

/// Every alert has a promtool test case where it fires and one where it stays silent, and the
/// tests name no alert that does not exist.
fn coverage(rules: &[(String, Value)], tests: &[PathBuf]) -> Result<()> {
    let groups = rules.iter().flat_map(|(_, s)| s["groups"].as_sequence());
    let rules = groups.flatten().flat_map(|g| g["rules"].as_sequence());
    let alerts = rules.flatten().filter_map(|r| r["alert"].as_str());
    let alerts: BTreeSet<&str> = alerts.collect();
    let (mut fires, mut silent) = (BTreeSet::new(), BTreeSet::new());
    for t in tests {
        let v: Value = serde_yaml::from_str(&std::fs::read_to_string(t)?)?;
        let tests = v["tests"].as_sequence().into_iter().flatten();
        let cases = tests.flat_map(|t| t["alert_rule_test"].as_sequence());
        for case in cases.flatten() {
            let name = case["alertname"].as_str().unwrap_or("?").to_string();
            let fired = case["exp_alerts"].as_sequence().map_or(0, Vec::len) > 0;
            [&mut silent, &mut fires][usize::from(fired)].insert(name);
        }
    }
    let tested = |a: &&&str| fires.contains(**a) && silent.contains(**a);
    let untested: Vec<_> = alerts.iter().filter(|a| !tested(a)).collect();
    ensure!(untested.is_empty(), "untested: {untested:?}");
    let unknown = fires.union(&silent).find(|a| !alerts.contains(a.as_str()));
    ensure!(unknown.is_none(), "the tests name no alert: {unknown:?}");
    eprintln!("   {} alerts, each tested firing and silent", alerts.len());
    Ok(())
}

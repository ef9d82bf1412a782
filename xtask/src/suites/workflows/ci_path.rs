//! GitHub's test job and `.ci/run` are one path: the job in `ci.yml` that runs the tests does
//! so with `bash .ci/run` as its last step, and every step before it is runner preparation
//! (checkout, Terraform, the PostgreSQL 15 apt repository, a cargo cache) that neither runs a
//! test tool nor sets a variable the tests read. So nothing the job does can make GitHub's run
//! differ from the one `.ci/run` makes on every submission. `.ci/run` in turn must handle both
//! distributions it claims and end in the README's test command.

use anyhow::{ensure, Context, Result};
use serde_yaml::Value;

/// Actions a preparation step may use (owner/name, before `@`).
const PREPARATION_ACTIONS: &[&str] = &[
    "actions/checkout",
    "hashicorp/setup-terraform",
    "Swatinem/rust-cache",
];

/// Words that mean a `run:` step does the test path's work itself instead of `.ci/run`.
const TEST_PATH_WORDS: &[&str] = &[
    "cargo",
    "rustup",
    "npm",
    "npx",
    "pip",
    "python",
    "xtask",
    "apt-get install",
    "apt install",
    "terraform ",
    "GITHUB_ENV",
    "GITHUB_PATH",
];

/// Variables `.ci/run`, xtask or the tests read: the job must not set them around `.ci/run`.
fn is_test_variable(name: &str) -> bool {
    name.starts_with("CONDUIT_")
        || name.starts_with("TF_")
        || [
            "DATABASE_URL",
            "REDIS_URL",
            "CHROMIUM",
            "PATH",
            "CARGO_TARGET_DIR",
        ]
        .contains(&name)
}

/// The test job as the repository had it before: steps spelled out for the runner, a skip
/// switch for missing inputs. The check must reject it.
const SPELLED_OUT_JOB: &str = r#"
jobs:
  xtask-test:
    runs-on: ubuntu-24.04
    env:
      CONDUIT_ALLOW_MISSING_SHARED: "1"
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
      - name: System packages
        run: sudo apt-get install -y redis-server postgresql
      - name: Python tools
        run: python3 -m venv target/ci-venv && target/ci-venv/bin/pip install -r .ci/requirements.txt
      - name: cargo xtask test
        run: cargo xtask test
"#;

/// `.ci/run` reduced to a Debian-only script that does not end in the test command.
const DRIFTED_SCRIPT: &str =
    "#!/usr/bin/env bash\napt-get install -y chromium\ncargo xtask test --only rust\n";

pub fn check() -> Result<String> {
    let fixture: Value = serde_yaml::from_str(SPELLED_OUT_JOB)?;
    let probe = job_problems(&fixture);
    ensure!(
        probe.len() >= 4,
        "self-test: the spelled-out job was not rejected enough: {probe:?}"
    );
    let probe = script_problems(DRIFTED_SCRIPT);
    ensure!(
        probe.len() >= 2,
        "self-test: the drifted .ci/run was not rejected: {probe:?}"
    );

    let root = crate::util::root();
    let ci: Value = serde_yaml::from_str(
        &std::fs::read_to_string(root.join(".github/workflows/ci.yml"))
            .context("reading .github/workflows/ci.yml")?,
    )
    .context("ci.yml is not YAML")?;
    let script = std::fs::read_to_string(root.join(".ci/run")).context("reading .ci/run")?;
    let mut problems = job_problems(&ci);
    problems.extend(script_problems(&script));
    problems.extend(terraform_version_problems(&ci, &root));
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    Ok("ci.yml's test job is `bash .ci/run` after runner preparation only; .ci/run handles Debian 12 and Ubuntu 24.04".to_owned())
}

/// Problems with the job of `workflow` that runs the tests.
fn job_problems(workflow: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(jobs) = workflow.get("jobs").and_then(Value::as_mapping) else {
        return vec!["ci.yml has no jobs".to_owned()];
    };
    let runs_tests = |job: &Value| {
        steps(job).iter().any(|s| {
            s.get("run")
                .and_then(Value::as_str)
                .is_some_and(|r| r.contains(".ci/run") || r.contains("xtask test"))
        })
    };
    let test_jobs: Vec<(&Value, &Value)> = jobs.iter().filter(|(_, j)| runs_tests(j)).collect();
    let [(name, job)] = test_jobs.as_slice() else {
        return vec![format!(
            "ci.yml must have exactly one job that runs the tests, found {}",
            test_jobs.len()
        )];
    };
    let name = name.as_str().unwrap_or("?");
    for env in [job.get("env"), workflow.get("env")]
        .into_iter()
        .flatten()
        .filter_map(Value::as_mapping)
    {
        for key in env.keys().filter_map(Value::as_str) {
            if is_test_variable(key) {
                problems.push(format!(
                    "ci.yml job {name}: env {key} makes GitHub's run differ from .ci/run"
                ));
            }
        }
    }
    let steps = steps(job);
    match steps
        .last()
        .and_then(|s| s.get("run"))
        .and_then(Value::as_str)
    {
        Some(run) if run.trim() == "bash .ci/run" => {}
        other => problems.push(format!(
            "ci.yml job {name}: the last step must be `run: bash .ci/run`, found {other:?}"
        )),
    }
    for (i, step) in steps.iter().enumerate() {
        let label = step
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("step {}", i + 1), str::to_owned);
        if let Some(env) = step.get("env").and_then(Value::as_mapping) {
            for key in env.keys().filter_map(Value::as_str) {
                if is_test_variable(key) {
                    problems.push(format!("ci.yml job {name}, {label}: env {key}"));
                }
            }
        }
        if i + 1 == steps.len() {
            continue; // `bash .ci/run` itself, checked above
        }
        if let Some(uses) = step.get("uses").and_then(Value::as_str) {
            let action = uses.split('@').next().unwrap_or(uses);
            if !PREPARATION_ACTIONS.contains(&action) {
                problems.push(format!(
                    "ci.yml job {name}, {label}: {action} is not runner preparation ({PREPARATION_ACTIONS:?})"
                ));
            }
        }
        if let Some(run) = step.get("run").and_then(Value::as_str) {
            for word in TEST_PATH_WORDS.iter().filter(|w| run.contains(**w)) {
                problems.push(format!(
                    "ci.yml job {name}, {label}: `{}` belongs in .ci/run, not before it",
                    word.trim()
                ));
            }
        }
    }
    problems
}

fn steps(job: &Value) -> Vec<&Value> {
    job.get("steps")
        .and_then(Value::as_sequence)
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

/// `.ci/run` must know both distributions and end in the README's test command.
fn script_problems(script: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for distro in ["debian-12", "ubuntu-24.04"] {
        if !script.contains(distro) {
            problems.push(format!(
                ".ci/run does not handle {distro} (/etc/os-release)"
            ));
        }
    }
    let last = script
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('#'));
    if last != Some("cargo xtask test") {
        problems.push(format!(
            ".ci/run must end with the README's `cargo xtask test`, ends with {last:?}"
        ));
    }
    problems
}

/// The Terraform the job installs is the one terraform.yml pins for every other job.
fn terraform_version_problems(ci: &Value, root: &std::path::Path) -> Vec<String> {
    let pinned = std::fs::read_to_string(root.join(".github/workflows/terraform.yml"))
        .ok()
        .and_then(|t| serde_yaml::from_str::<Value>(&t).ok())
        .and_then(|v| {
            v.get("env")?
                .get("TERRAFORM_VERSION")?
                .as_str()
                .map(str::to_owned)
        });
    let Some(pinned) = pinned else {
        return Vec::new();
    };
    let mut problems = Vec::new();
    for job in ci
        .get("jobs")
        .and_then(Value::as_mapping)
        .into_iter()
        .flat_map(|m| m.values())
    {
        for step in steps(job) {
            let is_setup = step
                .get("uses")
                .and_then(Value::as_str)
                .is_some_and(|u| u.starts_with("hashicorp/setup-terraform@"));
            let version = step
                .get("with")
                .and_then(|w| w.get("terraform_version"))
                .and_then(Value::as_str);
            if is_setup && version != Some(pinned.as_str()) {
                problems.push(format!(
                    "ci.yml installs Terraform {version:?}, terraform.yml pins {pinned}"
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spelled_out_job_is_rejected_and_the_one_path_accepted() {
        let bad: Value = serde_yaml::from_str(SPELLED_OUT_JOB).expect("yaml");
        let problems = job_problems(&bad);
        assert!(problems
            .iter()
            .any(|p| p.contains("CONDUIT_ALLOW_MISSING_SHARED")));
        assert!(problems.iter().any(|p| p.contains("bash .ci/run")));
        let good: Value = serde_yaml::from_str(
            "jobs:\n  t:\n    steps:\n      - uses: actions/checkout@x\n      - run: bash .ci/run\n",
        )
        .expect("yaml");
        assert_eq!(job_problems(&good), Vec::<String>::new());
        assert_eq!(script_problems(DRIFTED_SCRIPT).len(), 3);
    }

    #[test]
    fn the_committed_job_passes_and_any_drift_from_it_fails() {
        let text = std::fs::read_to_string(crate::util::root().join(".github/workflows/ci.yml"))
            .expect("ci.yml");
        let ci: Value = serde_yaml::from_str(&text).expect("yaml");
        assert_eq!(job_problems(&ci), Vec::<String>::new());
        // A test tool run before .ci/run, or a variable set around it, is caught.
        let drifted = text.replace(
            "      - name: .ci/run\n",
            "      - name: warm up\n        run: cargo build --workspace\n      - name: .ci/run\n        env:\n          CONDUIT_ALLOW_MISSING_SHARED: \"1\"\n",
        );
        assert_ne!(drifted, text, "the fixture must change ci.yml");
        let problems = job_problems(&serde_yaml::from_str(&drifted).expect("yaml"));
        assert!(
            problems.iter().any(|p| p.contains("`cargo`")),
            "{problems:?}"
        );
        let script = std::fs::read_to_string(crate::util::root().join(".ci/run")).expect(".ci/run");
        assert_eq!(script_problems(&script), Vec::<String>::new());
    }
}

//! Trust boundaries of `.github/workflows/terraform.yml` (docs/security.md, "Trust boundaries"),
//! the workflow side of what `terraform/modules/iam` enforces in AWS:
//!
//! * a job a pull request can run that assumes an AWS role assumes only the staging plan role
//!   (`vars.AWS_PLAN_ROLE_ARN`), plans `ENVIRONMENT: staging`, enters no GitHub environment, has
//!   no matrix, never names production and holds no write token besides `id-token`;
//! * the apply role is assumed only after merge (`push` to main) and inside the GitHub
//!   environment the job applies, for both staging and production;
//! * every `terraform init` that reaches a backend names the state key (`kms_key_id=`).
//!
//! A fixture with the flaws issue 17 describes (a pull-request plan matrix over both environments,
//! an apply outside its environment, an init without the key) must be rejected first.

use crate::util::root;
use anyhow::{bail, ensure, Context, Result};
use serde_yaml::{Mapping, Value};

const WORKFLOW: &str = ".github/workflows/terraform.yml";
const PLAN_ROLE: &str = "${{ vars.AWS_PLAN_ROLE_ARN }}";
const APPLY_ROLE: &str = "${{ vars.AWS_APPLY_ROLE_ARN }}";
const CREDENTIALS_ACTION: &str = "aws-actions/configure-aws-credentials";

/// The pre-issue-17 shape: pull requests plan both environments with a role from a repository
/// variable, in a job that can also write to the pull request; production applies outside its
/// environment; inits without the state key.
const BAD_FIXTURE: &str = r#"
on:
  pull_request:
  push:
    branches: [main]
permissions: {}
jobs:
  plan:
    if: github.event_name == 'pull_request'
    runs-on: ubuntu-24.04
    permissions:
      contents: read
      id-token: write
      pull-requests: write
    strategy:
      matrix:
        environment: [staging, production]
    env:
      ENVIRONMENT: ${{ matrix.environment }}
    steps:
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
        with:
          role-to-assume: ${{ steps.role.outputs.arn }}
      - run: terraform -chdir="terraform/envs/$ENVIRONMENT" init -backend-config="bucket=b"
  apply-production:
    if: github.event_name == 'push' && github.ref == 'refs/heads/main'
    runs-on: ubuntu-24.04
    permissions:
      id-token: write
    env:
      ENVIRONMENT: production
    steps:
      - uses: aws-actions/configure-aws-credentials@e6de054238d6b7531b4efff3b6587d9aade6a06c # v6.2.3
        with:
          role-to-assume: ${{ vars.AWS_APPLY_ROLE_ARN }}
      - run: terraform -chdir="terraform/envs/$ENVIRONMENT" init -backend-config="bucket=b" -backend-config="kms_key_id=k"
"#;

pub fn check() -> Result<String> {
    let probe = problems(BAD_FIXTURE).context("self-test fixture")?;
    for expected in [
        "matrix",
        "pull-requests: write",
        "AWS_PLAN_ROLE_ARN",
        "production",
        "kms_key_id",
        "outside",
    ] {
        ensure!(
            probe.iter().any(|p| p.contains(expected)),
            "self-test: the terraform trust check did not report `{expected}` in the bad fixture: {probe:#?}"
        );
    }

    let path = root().join(WORKFLOW);
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {WORKFLOW}"))?;
    let found = problems(&text)?;
    if !found.is_empty() {
        bail!("{WORKFLOW}:\n{}", found.join("\n"));
    }
    Ok(format!(
        "{WORKFLOW}: pull requests plan staging only with the plan role, applies only from their environment (fixture: {} findings)",
        probe.len()
    ))
}

fn key<'a>(m: &'a Mapping, k: &str) -> Option<&'a Value> {
    m.get(Value::String(k.to_owned()))
}

fn str_of<'a>(m: &'a Mapping, k: &str) -> &'a str {
    key(m, k).and_then(Value::as_str).unwrap_or_default()
}

/// Whether a job can run for a `pull_request` event: the workflow has that trigger and the job's
/// `if:` does not restrict it to another event or to main.
fn reachable_from_pull_requests(on_pull_request: bool, job: &Mapping) -> bool {
    let cond = str_of(job, "if").replace('"', "'");
    let excluded = [
        "github.event_name == 'push'",
        "github.event_name == 'workflow_dispatch'",
        "github.event_name != 'pull_request'",
        "github.ref == 'refs/heads/main'",
    ]
    .iter()
    .any(|e| cond.contains(e));
    on_pull_request && !excluded
}

fn problems(text: &str) -> Result<Vec<String>> {
    let doc: Value = serde_yaml::from_str(text).context("not YAML")?;
    let on = doc
        .get("on")
        .or_else(|| doc.get(Value::Bool(true)))
        .cloned()
        .unwrap_or(Value::Null);
    let on_pull_request = match &on {
        Value::String(s) => s == "pull_request",
        Value::Sequence(s) => s.iter().any(|v| v.as_str() == Some("pull_request")),
        Value::Mapping(m) => key(m, "pull_request").is_some(),
        _ => false,
    };
    let jobs = doc
        .get("jobs")
        .and_then(Value::as_mapping)
        .context("no jobs")?;

    let mut out = Vec::new();
    let mut pr_plan_jobs = 0;
    let mut applied_envs = Vec::new();
    for (name, job) in jobs {
        let name = name.as_str().unwrap_or_default();
        let Some(job) = job.as_mapping() else {
            continue;
        };
        let steps: Vec<&Mapping> = key(job, "steps")
            .and_then(Value::as_sequence)
            .map(|s| s.iter().filter_map(Value::as_mapping).collect())
            .unwrap_or_default();
        let roles: Vec<String> = steps
            .iter()
            .filter(|s| str_of(s, "uses").starts_with(&format!("{CREDENTIALS_ACTION}@")))
            .map(|s| {
                key(s, "with")
                    .and_then(Value::as_mapping)
                    .map(|w| str_of(w, "role-to-assume").trim().to_owned())
                    .unwrap_or_default()
            })
            .collect();
        let target_env = key(job, "env")
            .and_then(Value::as_mapping)
            .map(|e| str_of(e, "ENVIRONMENT").to_owned())
            .unwrap_or_default();
        let environment = match key(job, "environment") {
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Mapping(m)) => Some(str_of(m, "name").to_owned()),
            _ => None,
        };

        if !roles.is_empty() {
            for step in &steps {
                let script = str_of(step, "run");
                let inits_backend = script.contains("terraform")
                    && script.contains(" init")
                    && script.contains("-backend-config=\"bucket=");
                if inits_backend && !script.contains("-backend-config=\"kms_key_id=") {
                    out.push(format!(
                        "job `{name}`: terraform init without -backend-config=\"kms_key_id=...\": state would be written with SSE-S3"
                    ));
                }
            }
        }

        if reachable_from_pull_requests(on_pull_request, job) && !roles.is_empty() {
            pr_plan_jobs += 1;
            for role in &roles {
                if role != PLAN_ROLE {
                    out.push(format!(
                        "job `{name}` runs on pull requests and assumes `{role}`: only {PLAN_ROLE} (the staging plan role) may be assumed there"
                    ));
                }
            }
            if key(job, "strategy").is_some() {
                out.push(format!(
                    "job `{name}` runs on pull requests with a matrix: pull requests plan staging only"
                ));
            }
            if target_env != "staging" {
                out.push(format!(
                    "job `{name}` runs on pull requests and plans `{target_env}`: ENVIRONMENT must be `staging`"
                ));
            }
            if let Some(e) = &environment {
                out.push(format!(
                    "job `{name}` runs on pull requests inside the GitHub environment `{e}`: environments are for merged code"
                ));
            }
            let job_text = serde_yaml::to_string(job).unwrap_or_default();
            if job_text.contains("production") {
                out.push(format!(
                    "job `{name}` runs on pull requests and names production"
                ));
            }
            if let Some(perms) = key(job, "permissions").and_then(Value::as_mapping) {
                for (scope, level) in perms {
                    let scope = scope.as_str().unwrap_or_default();
                    if level.as_str() == Some("write") && scope != "id-token" {
                        out.push(format!(
                            "job `{name}` runs pull-request code with AWS credentials and `{scope}: write`: post results from a separate job"
                        ));
                    }
                }
            }
        }

        if roles.iter().any(|r| r == APPLY_ROLE) {
            if reachable_from_pull_requests(on_pull_request, job) {
                out.push(format!(
                    "job `{name}` assumes the apply role and can run on pull requests"
                ));
            }
            match &environment {
                Some(e) if *e == target_env && !e.is_empty() => applied_envs.push(e.clone()),
                _ => out.push(format!(
                    "job `{name}` assumes the apply role outside the GitHub environment it applies (`{target_env}`)"
                )),
            }
        }
    }
    for env in ["staging", "production"] {
        if !applied_envs.iter().any(|e| e == env) {
            out.push(format!(
                "no job applies `{env}` with the apply role inside the `{env}` environment"
            ));
        }
    }
    if on_pull_request && pr_plan_jobs == 0 {
        out.push("no pull-request job plans staging with the plan role".to_owned());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixture_is_rejected_for_each_flaw() {
        let found = problems(BAD_FIXTURE).unwrap();
        assert!(found.iter().any(|p| p.contains("matrix")), "{found:#?}");
        assert!(found.iter().any(|p| p.contains("outside")), "{found:#?}");
        assert!(found.iter().any(|p| p.contains("kms_key_id")), "{found:#?}");
    }

    #[test]
    fn main_only_jobs_are_not_reachable_from_pull_requests() {
        let job: Mapping = serde_yaml::from_str(
            "if: github.event_name == 'push' && github.ref == 'refs/heads/main'\n",
        )
        .unwrap();
        assert!(!reachable_from_pull_requests(true, &job));
        let job: Mapping = serde_yaml::from_str("runs-on: x\n").unwrap();
        assert!(reachable_from_pull_requests(true, &job));
        assert!(!reachable_from_pull_requests(false, &job));
    }
}

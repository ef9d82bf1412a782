//! The check no tool makes: release.yml, the clusters' Flux image automation and Terraform agree.
//! The images release.yml builds and publishes are the ECR repositories Terraform creates and the
//! ImageRepositories each cluster watches (`${ECR_REGISTRY}/<image>`, `provider: aws`); each
//! cluster's ECR_REGISTRY is its own account and region; staging's ImagePolicies select the
//! `main-<ts>-<sha7>` tags release.yml publishes from main (production's are semver); and each
//! ImageUpdateAutomation's path is in release.yml's `paths-ignore` (or Flux's commit releases again).

use anyhow::{Context, Result};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

fn at<'a>(v: &'a Value, path: &[&str]) -> &'a Value {
    path.iter()
        .fold(v, |v, k| v.get(*k).unwrap_or(&Value::Null))
}

fn strings(v: &Value) -> BTreeSet<String> {
    let list = v
        .as_sequence()
        .map(|s| s.iter().collect())
        .unwrap_or_else(|| vec![v]);
    list.into_iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

/// Problems in one tree (`file -> text`).
pub fn problems(files: &BTreeMap<String, String>) -> Result<Vec<String>> {
    let text = |f: &str| files.get(f).with_context(|| format!("{f} is missing"));
    let release: Value = serde_yaml::from_str(text(".github/workflows/release.yml")?)?;
    let released = strings(at(
        &release,
        &["jobs", "publish", "strategy", "matrix", "image"],
    ));
    let built = strings(at(
        &release,
        &["jobs", "build", "strategy", "matrix", "image"],
    ));
    let ignored = strings(at(&release, &["on", "push", "paths-ignore"]));
    let created: BTreeSet<String> = text("terraform/modules/platform/main.tf")?
        .lines()
        .filter_map(|l| l.trim().strip_prefix("repositories = ["))
        .flat_map(|l| {
            l.trim_end_matches(']')
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_owned())
        })
        .collect();
    let mut p = Vec::new();
    if released.is_empty() || released != built || released != created {
        p.push(format!("release.yml builds {built:?} and publishes {released:?}; terraform/modules/platform creates {created:?}"));
    }
    for env in ["staging", "production"] {
        let vars: Value = serde_yaml::from_str(text(&format!(
            "kustomize/clusters/{env}/cluster-vars.yaml"
        ))?)?;
        let var = |k: &str| at(&vars, &["data", k]).as_str().unwrap_or("?").to_owned();
        let own = format!(
            "{}.dkr.ecr.{}.amazonaws.com",
            var("AWS_ACCOUNT_ID"),
            var("AWS_REGION")
        );
        if var("ECR_REGISTRY") != own {
            p.push(format!(
                "{env}: ECR_REGISTRY {} is not the cluster's own registry {own}",
                var("ECR_REGISTRY")
            ));
        }
        let docs = text(&format!(
            "kustomize/clusters/{env}/image-automation/images.yaml"
        ))?;
        let docs = docs
            .split("\n---\n")
            .map(serde_yaml::from_str)
            .collect::<Result<Vec<Value>, _>>()?;
        let mut watched = BTreeSet::new();
        for d in &docs {
            let spec = |path: &[&str]| {
                at(d, &[&["spec"][..], path].concat())
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            };
            match at(d, &["kind"]).as_str().unwrap_or_default() {
                "ImageRepository" => match spec(&["image"]).strip_prefix("${ECR_REGISTRY}/") {
                    Some(image) if spec(&["provider"]) == "aws" => drop(watched.insert(image.to_owned())),
                    _ => p.push(format!("{env}: ImageRepository {} is not `${{ECR_REGISTRY}}/<image>` with `provider: aws`", spec(&["image"]))),
                },
                "ImagePolicy" if env == "staging" && !selects_main_tag(&spec(&["filterTags", "pattern"]))? => {
                    p.push(format!("{env}: ImagePolicy pattern {} does not select main-<ts>-<sha7>", spec(&["filterTags", "pattern"])));
                }
                "ImagePolicy" if env == "production" && at(d, &["spec", "policy", "semver"]).is_null() => {
                    p.push(format!("{env}: ImagePolicy is not semver, but releases are tagged X.Y.Z"));
                }
                "ImageUpdateAutomation" => {
                    let path = spec(&["update", "path"]);
                    if !ignored.contains(&format!("{}/**", path.trim_start_matches("./").trim_end_matches('/'))) {
                        p.push(format!("{env}: Flux commits to {path}, which is not in release.yml's paths-ignore (a release loop)"));
                    }
                }
                _ => {}
            }
        }
        if watched != released {
            p.push(format!(
                "{env}: the cluster watches {watched:?}, release.yml publishes {released:?}"
            ));
        }
    }
    Ok(p.into_iter().map(|m| format!("layers: {m}")).collect())
}

/// Does a Flux `filterTags.pattern` (Go RE2; Python's `re` reads its `(?P<name>…)`) select the
/// tag release.yml's release-ref step makes from main (`main-$(date -u +%s)-${SHA:0:7}`)?
fn selects_main_tag(pattern: &str) -> Result<bool> {
    let script = "import re, sys; sys.exit(0 if re.search(sys.argv[1], sys.argv[2]) else 1)";
    let mut python = std::process::Command::new("python3");
    python.args(["-c", script, pattern, "main-1767225600-0a1b2c3"]);
    Ok(python.status().context("starting python3")?.success())
}

//! The comparison no tool makes: the images release.yml builds and publishes are the ECR
//! repositories Terraform creates and the images each cluster's Flux watches, and each cluster's
//! ECR_REGISTRY is its own account and region. (The shape of each side is checked by its own
//! tool: `.github/policy/release.yaml`, semgrep's `flux-*` rules, the terraform suite.)

use super::{Finding, Trees};
use anyhow::{Context, Result};
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn images(v: Option<&Value>) -> BTreeSet<String> {
    let list = v.and_then(Value::as_sequence).into_iter().flatten();
    list.filter_map(|i| Some(i.as_str()?.to_owned())).collect()
}

pub fn check(_: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for (tree, files) in trees {
        let text = |f: &str| files.get(f).with_context(|| format!("{f} is missing"));
        let release: Value = serde_yaml::from_str(text(".github/workflows/release.yml")?)?;
        let matrix = |job: &str| images(release["jobs"][job]["strategy"]["matrix"].get("image"));
        let tf = text("terraform/modules/platform/main.tf")?.lines();
        let tf = tf.filter_map(|l| l.trim().strip_prefix("repositories = ["));
        let created = tf.flat_map(|l| {
            l.trim_end_matches(']')
                .split(", ")
                .map(|s| s.trim_matches('"').to_owned())
        });
        let mut problems = vec![
            (matrix("build"), "release.yml builds"),
            (created.collect(), "Terraform creates"),
        ];
        let mut registries = Vec::new();
        for env in ["staging", "production"] {
            let vars: Value = serde_yaml::from_str(text(&format!(
                "kustomize/clusters/{env}/cluster-vars.yaml"
            ))?)?;
            let var = |k: &str| vars["data"][k].as_str().unwrap_or("?").to_owned();
            let own = format!(
                "{}.dkr.ecr.{}.amazonaws.com",
                var("AWS_ACCOUNT_ID"),
                var("AWS_REGION")
            );
            registries.push((env, var("ECR_REGISTRY"), own));
            let automation = text(&format!(
                "kustomize/clusters/{env}/image-automation/images.yaml"
            ))?;
            let watched = automation
                .lines()
                .filter_map(|l| l.strip_prefix("  image: ${ECR_REGISTRY}/"));
            problems.push((
                watched.map(str::to_owned).collect(),
                if env == "staging" {
                    "staging watches"
                } else {
                    "production watches"
                },
            ));
        }
        let released = matrix("publish");
        problems.retain(|(set, _)| *set != released || set.is_empty());
        let mut found: Vec<String> = problems
            .iter()
            .map(|(set, who)| format!("layers: {who} {set:?}, release.yml publishes {released:?}"))
            .collect();
        for (env, registry, own) in registries.into_iter().filter(|(_, r, own)| r != own) {
            found.push(format!(
                "layers: {env}: ECR_REGISTRY {registry} is not the cluster's own {own}"
            ));
        }
        out.extend(found.into_iter().map(|text| Finding {
            tree: tree.clone(),
            file: String::new(),
            text,
        }));
    }
    Ok(out)
}

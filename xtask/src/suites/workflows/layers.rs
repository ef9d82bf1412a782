//! The comparison no tool makes: the images release.yml builds and publishes are the ECR
//! repositories Terraform creates and the images each cluster's Flux watches, and each cluster's
//! ECR_REGISTRY is its own account and region. (The shape of each side is checked by its own
//! tool: `.github/policy/release.yaml`, semgrep's `flux-*` rules, the terraform suite.)

use super::{Finding, Trees};
use anyhow::{Context, Result};
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::Path;

fn strings<'a>(list: impl Iterator<Item = &'a str>) -> BTreeSet<String> {
    list.map(|s| s.trim_matches('"').to_owned()).collect()
}

pub fn check(_: &Path, trees: &Trees) -> Result<Vec<Finding>> {
    let mut out = Vec::new();
    for (tree, files) in trees {
        let text = |f: &str| files.get(f).with_context(|| format!("{f} is missing"));
        let release: Value = serde_yaml::from_str(text(".github/workflows/release.yml")?)?;
        let matrix = |job: &str| {
            let images = release["jobs"][job]["strategy"]["matrix"]["image"].as_sequence();
            strings(images.into_iter().flatten().filter_map(Value::as_str))
        };
        let tf = text("terraform/modules/platform/main.tf")?.lines();
        let tf = tf.filter_map(|l| l.trim().strip_prefix("repositories = ["));
        let created = tf.flat_map(|l| l.trim_end_matches(']').split(", "));
        let mut sides = vec![("release.yml builds".to_owned(), matrix("build"))];
        sides.push(("Terraform creates".to_owned(), strings(created)));
        let mut problem = |p: String| {
            let (tree, file, text) = (tree.clone(), String::new(), format!("layers: {p}"));
            out.push(Finding { tree, file, text });
        };
        for env in ["staging", "production"] {
            let vars = text(&format!("kustomize/clusters/{env}/cluster-vars.yaml"))?;
            let vars: Value = serde_yaml::from_str(vars)?;
            let var = |k: &str| vars["data"][k].as_str().unwrap_or("?").to_owned();
            let (registry, region) = (var("ECR_REGISTRY"), var("AWS_REGION"));
            let own = format!("{}.dkr.ecr.{region}.amazonaws.com", var("AWS_ACCOUNT_ID"));
            if registry != own {
                problem(format!("{env}: ECR_REGISTRY {registry}, not {own}"));
            }
            let flux = format!("kustomize/clusters/{env}/image-automation/images.yaml");
            let watched = text(&flux)?.lines();
            let watched = watched.filter_map(|l| l.strip_prefix("  image: ${ECR_REGISTRY}/"));
            sides.push((format!("{env} watches"), strings(watched)));
        }
        let released = matrix("publish");
        for (who, set) in sides {
            if set != released || set.is_empty() {
                problem(format!("{who} {set:?}, release.yml publishes {released:?}"));
            }
        }
    }
    Ok(out)
}

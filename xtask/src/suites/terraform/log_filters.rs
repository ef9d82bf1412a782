//! Do the CloudWatch metric filters count the app's own log lines?
//!
//! The application log group holds every pod of the cluster (Fluent Bit ships all containers
//! there), so each metric filter must select the API's lines by the Kubernetes metadata Fluent
//! Bit adds: `$.kubernetes.namespace_name = "<ns>" && $.kubernetes.container_name = "<c>"`, and
//! that namespace and container must exist in the app's manifests (`kustomize/apps/*/base`:
//! the kustomization's `namespace` and the Deployments' container names). A filter without the
//! selector, or naming a container the manifests do not have, counts nothing or everything.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// (namespace, container) of every Deployment container under `kustomize/apps/*/base`.
pub fn app_containers(kustomize: &Path) -> Result<BTreeSet<(String, String)>> {
    let mut out = BTreeSet::new();
    let apps = kustomize.join("apps");
    for app in std::fs::read_dir(&apps).with_context(|| format!("{}", apps.display()))? {
        let base = app?.path().join("base");
        let Ok(k) = std::fs::read_to_string(base.join("kustomization.yaml")) else {
            continue;
        };
        let k: serde_yaml::Value = serde_yaml::from_str(&k)?;
        let Some(ns) = k["namespace"].as_str() else {
            continue;
        };
        for entry in std::fs::read_dir(&base)? {
            let path = entry?.path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            for chunk in std::fs::read_to_string(&path)?.split("\n---") {
                let doc: serde_yaml::Value =
                    serde_yaml::from_str(chunk).with_context(|| format!("{}", path.display()))?;
                if doc["kind"].as_str() != Some("Deployment") {
                    continue;
                }
                let containers = doc["spec"]["template"]["spec"]["containers"].as_sequence();
                for c in containers.into_iter().flatten() {
                    if let Some(name) = c["name"].as_str() {
                        out.insert((ns.to_string(), name.to_string()));
                    }
                }
            }
        }
    }
    if out.is_empty() {
        bail!("no Deployment containers found under kustomize/apps/*/base");
    }
    Ok(out)
}

/// The metric filter patterns in `terraform show -json`, by resource address.
pub fn applied_patterns(show: &Value) -> Vec<(String, String)> {
    fn walk(module: &Value, out: &mut Vec<(String, String)>) {
        for r in module["resources"].as_array().into_iter().flatten() {
            if r["type"].as_str() == Some("aws_cloudwatch_log_metric_filter") {
                if let (Some(a), Some(p)) = (r["address"].as_str(), r["values"]["pattern"].as_str())
                {
                    out.push((a.to_string(), p.to_string()));
                }
            }
        }
        for m in module["child_modules"].as_array().into_iter().flatten() {
            walk(m, out);
        }
    }
    let mut out = Vec::new();
    walk(&show["values"]["root_module"], &mut out);
    out
}

fn selected(pattern: &str, field: &str) -> Option<String> {
    let key = format!("$.kubernetes.{field} = \"");
    let start = pattern.find(&key)? + key.len();
    let rest = &pattern[start..];
    Some(rest[..rest.find('"')?].to_string())
}

pub fn check(patterns: &[(String, String)], apps: &BTreeSet<(String, String)>) -> Result<String> {
    if patterns.is_empty() {
        bail!("no CloudWatch metric filter was applied");
    }
    let mut problems = Vec::new();
    for (address, pattern) in patterns {
        match (
            selected(pattern, "namespace_name"),
            selected(pattern, "container_name"),
        ) {
            (Some(ns), Some(c)) if apps.contains(&(ns.clone(), c.clone())) => {}
            (Some(ns), Some(c)) => problems.push(format!(
                "{address}: selects container `{c}` in namespace `{ns}`, which no app Deployment has ({apps:?})"
            )),
            _ => problems.push(format!(
                "{address}: `{pattern}` does not select the app's namespace and container, so it counts every pod's lines"
            )),
        }
    }
    if !problems.is_empty() {
        bail!("metric filters:\n  {}", problems.join("\n  "));
    }
    Ok(format!(
        "{} metric filters select an app container of the manifests",
        patterns.len()
    ))
}

/// The check rejects an unscoped filter and one naming a container the manifests lack.
pub fn self_test(kustomize: &Path) -> Result<String> {
    let apps = app_containers(kustomize)?;
    let unscoped = [("fixture".to_string(), "{ $.status >= 500 }".to_string())];
    if check(&unscoped, &apps).is_ok() {
        bail!("self-test: an unscoped metric filter was accepted");
    }
    let wrong = [(
        "fixture".to_string(),
        "{ $.kubernetes.namespace_name = \"conduit\" && $.kubernetes.container_name = \"conduit-api\" && $.status >= 500 }"
            .to_string(),
    )];
    if check(&wrong, &apps).is_ok() {
        bail!("self-test: a filter on container conduit-api (the containers are api and web) was accepted");
    }
    Ok("an unscoped metric filter and one on a container the manifests lack are rejected".into())
}

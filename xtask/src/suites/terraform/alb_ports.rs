//! Does the ALB security group admit every port the Ingresses listen on?
//!
//! The Ingresses that attach the Terraform-made group (`alb.ingress.kubernetes.io/security-groups:
//! ${ALB_SECURITY_GROUP_ID}`) declare their listeners in `alb.ingress.kubernetes.io/listen-ports`
//! (80 for the redirect, 443). Every such port must be admitted from anywhere by an ingress rule of
//! that group in the applied staging composition, or `http://` times out (issue #16, item 7).

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

const SG_ANNOTATION: &str = "alb.ingress.kubernetes.io/security-groups";
const PORTS_ANNOTATION: &str = "alb.ingress.kubernetes.io/listen-ports";

/// Listener ports of the Ingresses under `kustomize/` that use the ALB security group.
pub fn ingress_listen_ports(kustomize: &Path) -> Result<BTreeSet<u16>> {
    let mut files = Vec::new();
    super::layout::walk(kustomize, &mut files)?;
    let mut ports = BTreeSet::new();
    for f in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "yaml" || e == "yml"))
    {
        let text = std::fs::read_to_string(f)?;
        if !text.contains(PORTS_ANNOTATION) {
            continue;
        }
        ports.extend(listen_ports(&text).with_context(|| f.display().to_string())?);
    }
    if ports.is_empty() {
        bail!(
            "no Ingress under kustomize/ declares {PORTS_ANNOTATION} with the ALB security group"
        );
    }
    Ok(ports)
}

fn listen_ports(yaml: &str) -> Result<BTreeSet<u16>> {
    let mut ports = BTreeSet::new();
    for chunk in yaml.split("\n---") {
        let doc: serde_yaml::Value = serde_yaml::from_str(chunk)?;
        if doc["kind"].as_str() != Some("Ingress") {
            continue;
        }
        let ann = &doc["metadata"]["annotations"];
        let uses_group = ann[SG_ANNOTATION]
            .as_str()
            .is_some_and(|v| v.contains("${ALB_SECURITY_GROUP_ID}"));
        let Some(spec) = ann[PORTS_ANNOTATION].as_str() else {
            continue;
        };
        if !uses_group {
            continue;
        }
        let list: Vec<Value> = serde_json::from_str(spec)
            .with_context(|| format!("{PORTS_ANNOTATION} is not a JSON list: {spec}"))?;
        for entry in list.iter().filter_map(Value::as_object) {
            for port in entry.values() {
                let port = port
                    .as_u64()
                    .and_then(|p| u16::try_from(p).ok())
                    .with_context(|| format!("bad port in {spec}"))?;
                ports.insert(port);
            }
        }
    }
    Ok(ports)
}

/// (from, to) port ranges the ALB group admits from 0.0.0.0/0, from `terraform show -json`.
pub fn admitted(show: &Value) -> Result<Vec<(u16, u16)>> {
    let group = super::lb_policy::resource_values(
        show,
        "module.platform.module.edge.aws_security_group.alb",
    )
    .and_then(|v| v["id"].as_str())
    .context("the ALB security group is not in the applied state")?;
    let mut ranges = Vec::new();
    collect_rules(&show["values"]["root_module"], group, &mut ranges);
    Ok(ranges)
}

fn collect_rules(module: &Value, group: &str, out: &mut Vec<(u16, u16)>) {
    for r in module["resources"].as_array().into_iter().flatten() {
        let v = &r["values"];
        let open = v["cidr_blocks"]
            .as_array()
            .is_some_and(|c| c.iter().any(|x| x.as_str() == Some("0.0.0.0/0")));
        if r["type"].as_str() == Some("aws_security_group_rule")
            && v["type"].as_str() == Some("ingress")
            && v["security_group_id"].as_str() == Some(group)
            && open
        {
            let port = |k: &str| v[k].as_u64().and_then(|p| u16::try_from(p).ok());
            if let (Some(from), Some(to)) = (port("from_port"), port("to_port")) {
                out.push((from, to));
            }
        }
    }
    for m in module["child_modules"].as_array().into_iter().flatten() {
        collect_rules(m, group, out);
    }
}

pub fn check(listen: &BTreeSet<u16>, admitted: &[(u16, u16)]) -> Result<String> {
    let missing: Vec<u16> = listen
        .iter()
        .copied()
        .filter(|p| !admitted.iter().any(|(from, to)| from <= p && p <= to))
        .collect();
    if !missing.is_empty() {
        bail!(
            "the Ingresses listen on {missing:?}, which the ALB security group does not admit from clients (admitted: {admitted:?})"
        );
    }
    Ok(format!(
        "the ALB security group admits every Ingress listener port {listen:?}"
    ))
}

/// The check rejects a group that admits only 443 while the Ingresses also listen on 80.
pub fn self_test(kustomize: &Path) -> Result<String> {
    let listen = ingress_listen_ports(kustomize)?;
    if !listen.contains(&80) {
        return Ok(format!("Ingresses listen on {listen:?} only"));
    }
    if check(&listen, &[(443, 443)]).is_ok() {
        bail!("self-test: a group admitting only 443 passed for listeners {listen:?}");
    }
    Ok(format!(
        "a group admitting only 443 is rejected for listeners {listen:?}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_listen_ports_of_ingresses_using_the_group() {
        let yaml = "kind: Ingress\nmetadata:\n  annotations:\n    alb.ingress.kubernetes.io/security-groups: ${ALB_SECURITY_GROUP_ID}\n    alb.ingress.kubernetes.io/listen-ports: '[{\"HTTP\": 80}, {\"HTTPS\": 443}]'\n---\nkind: Service\n";
        let ports = listen_ports(yaml).unwrap();
        assert_eq!(ports.into_iter().collect::<Vec<_>>(), vec![80, 443]);
        let listen: BTreeSet<u16> = [80, 443].into();
        assert!(check(&listen, &[(443, 443), (80, 80)]).is_ok());
        assert!(check(&listen, &[(443, 443)]).is_err());
    }
}

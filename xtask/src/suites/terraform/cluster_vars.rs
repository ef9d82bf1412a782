//! One source for the values Terraform knows and Flux needs: `kustomize/clusters/<env>/cluster-vars.yaml`.
//!
//! The platform module's `cluster_vars` output maps every cluster-vars key Terraform can know to
//! its value. `cargo xtask cluster-vars --env <env> --outputs <terraform output -json file>` writes
//! them into the committed file (keeping its comments and order). Values Terraform does not know
//! yet (no domain, no Redis in the emulator) and, in the committed files, account-specific IDs and
//! ARNs stay as placeholders marked `# placeholder`. Keys Terraform does not know at all are listed
//! in [`OPERATOR_KEYS`] with who sets them.
//!
//! The check runs against the outputs of the staging composition applied to the emulator: every
//! Terraform-known key of the committed file must equal the output, or, where marked as a
//! placeholder, have the same shape (the same text once IDs, account numbers and other generated
//! parts are masked). Production is checked against the same outputs with the environment name
//! swapped, since both environments are the same module (`modules/platform`) and no setting feeds
//! `cluster_vars`.

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Marks a value that must be replaced by the generator on a real deployment.
const PLACEHOLDER: &str = "# placeholder";

/// cluster-vars keys that no Terraform output provides, and who sets them.
pub const OPERATOR_KEYS: &[(&str, &str)] = &[
    (
        "ALERT_EMAIL_TO",
        "the on-call address, an operator decision",
    ),
    (
        "ALERT_EMAIL_FROM",
        "a sender verified in SES by the operator",
    ),
    (
        "SMTP_SMARTHOST",
        "the SES SMTP endpoint the operator enabled",
    ),
    ("PROMETHEUS_RETENTION", "sized per environment in Git"),
    ("PROMETHEUS_STORAGE", "sized per environment in Git"),
    ("PROMETHEUS_RETENTION_SIZE", "sized per environment in Git"),
];

/// Keys Terraform takes from operator input (`domain_name`), not from AWS: a placeholder is any
/// host name, and the status page stays `status.<APP_HOST>` as the platform module derives it.
const HOST_KEYS: &[&str] = &["APP_HOST", "STATUS_HOST"];

fn host_name(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').count() >= 2
        && s.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// One `  KEY: value  # comment` line of the ConfigMap's `data`.
struct Entry {
    line: usize,
    key: String,
    value: String,
    placeholder: bool,
}

fn entries(yaml: &str) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut in_data = false;
    for (i, line) in yaml.lines().enumerate() {
        if line.starts_with("data:") {
            in_data = true;
            continue;
        }
        if !in_data || !line.starts_with("  ") || line.trim_start().starts_with('#') {
            if in_data && !line.starts_with(' ') && !line.trim().is_empty() {
                in_data = false;
            }
            continue;
        }
        let body = line.trim_start();
        let Some((key, rest)) = body.split_once(':') else {
            bail!("line {}: `{line}` is not `KEY: value`", i + 1);
        };
        let (raw, comment) = match rest.find(" #") {
            Some(p) => (&rest[..p], &rest[p..]),
            None => (rest, ""),
        };
        let value: String = serde_yaml::from_str(raw.trim())
            .with_context(|| format!("line {}: the value of {key} is not a string", i + 1))?;
        out.push(Entry {
            line: i,
            key: key.trim().to_string(),
            value,
            placeholder: comment.contains(PLACEHOLDER),
        });
    }
    if out.is_empty() {
        bail!("no `data:` entries found");
    }
    Ok(out)
}

/// The `cluster_vars` output of `terraform output -json`: key → value (None: not known).
pub fn outputs(json: &Value) -> Result<BTreeMap<String, Option<String>>> {
    let map = json["cluster_vars"]["value"]
        .as_object()
        .context("`terraform output -json` has no `cluster_vars` output")?;
    Ok(map
        .iter()
        .map(|(k, v)| {
            let s = v.as_str().filter(|s| !s.is_empty()).map(String::from);
            (k.clone(), s)
        })
        .collect())
}

fn yaml_scalar(s: &str) -> Result<String> {
    Ok(serde_yaml::to_string(s)?.trim_end().to_string())
}

/// The committed file with every known value filled in and its placeholder mark dropped; unknown
/// values keep the existing (marked) line; keys the file lacks are appended.
pub fn generate(template: &str, known: &BTreeMap<String, Option<String>>) -> Result<String> {
    let current = entries(template)?;
    let mut lines: Vec<String> = template.lines().map(String::from).collect();
    for e in &current {
        match known.get(&e.key) {
            Some(Some(v)) => lines[e.line] = format!("  {}: {}", e.key, yaml_scalar(v)?),
            Some(None) if !e.placeholder => {
                lines[e.line] = format!(
                    "{}  {PLACEHOLDER}: not known to Terraform yet",
                    lines[e.line]
                )
            }
            _ => {}
        }
    }
    for (key, value) in known {
        if current.iter().any(|e| &e.key == key) {
            continue;
        }
        match value {
            Some(v) => lines.push(format!("  {key}: {}", yaml_scalar(v)?)),
            None => lines.push(format!(
                "  {key}: \"\"  {PLACEHOLDER}: not known to Terraform yet"
            )),
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    Ok(out)
}

/// Generated parts of AWS identifiers (IDs, account numbers, random suffixes) masked, so a
/// placeholder and a real value compare by shape: every run of letters and digits that contains
/// a digit, is hexadecimal of 4+ characters, mixes upper and lower case (secret suffixes) or is
/// 10+ characters long becomes `#`.
pub fn shape(value: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.is_empty() {
            return;
        }
        let generated = run.chars().any(|c| c.is_ascii_digit())
            || (run.len() >= 4 && run.chars().all(|c| c.is_ascii_hexdigit()))
            || (run.chars().any(|c| c.is_ascii_uppercase())
                && run.chars().any(|c| c.is_ascii_lowercase()))
            || run.len() >= 10;
        out.push_str(if generated { "#" } else { run });
        run.clear();
    };
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Every Terraform-known key of `committed` agrees with `known` (see the module docs).
pub fn check(committed: &str, known: &BTreeMap<String, Option<String>>) -> Result<usize> {
    let current = entries(committed)?;
    let mut problems = Vec::new();
    for e in &current {
        if !known.contains_key(&e.key) && !OPERATOR_KEYS.iter().any(|(k, _)| *k == e.key) {
            problems.push(format!(
                "{} is neither a Terraform output (cluster_vars) nor a listed operator key",
                e.key
            ));
        }
    }
    let mut compared = 0;
    for (key, value) in known {
        let Some(e) = current.iter().find(|e| &e.key == key) else {
            problems.push(format!(
                "{key} is missing (terraform output cluster_vars has it)"
            ));
            continue;
        };
        compared += 1;
        match value {
            None if !e.placeholder => problems.push(format!(
                "{key}: Terraform does not know it here, so the committed value must be marked `{PLACEHOLDER}`"
            )),
            None => {}
            Some(_) if e.placeholder && HOST_KEYS.contains(&key.as_str()) => {
                let value = &e.value;
                let ok = host_name(value);
                problems.extend((!ok).then(|| format!("{key}: placeholder `{value}` is not a host name")));
            }
            Some(v) if e.placeholder && shape(&e.value) != shape(v) => problems.push(format!(
                "{key}: placeholder `{}` does not have the shape of the real value `{v}` ({} vs {})",
                e.value,
                shape(&e.value),
                shape(v)
            )),
            Some(_) if e.placeholder => {}
            Some(v) if &e.value != v => problems.push(format!(
                "{key}: committed `{}` but Terraform says `{v}` (regenerate with cargo xtask cluster-vars, or mark an account-specific value `{PLACEHOLDER}`)",
                e.value
            )),
            Some(_) => {}
        }
    }
    let value = |k: &str| {
        current
            .iter()
            .find(|e| e.key == k)
            .map(|e| e.value.as_str())
    };
    if let (Some(app), Some(status)) = (value("APP_HOST"), value("STATUS_HOST")) {
        if status != format!("status.{app}") {
            problems.push(format!(
                "STATUS_HOST `{status}` must be status.<APP_HOST> (the certificate covers only that)"
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "cluster-vars disagree with Terraform:\n  {}",
            problems.join("\n  ")
        );
    }
    Ok(compared)
}

/// The staging outputs as they would read for `env` (same module, other name).
pub fn for_env(
    known: &BTreeMap<String, Option<String>>,
    env: &str,
) -> BTreeMap<String, Option<String>> {
    known
        .iter()
        .map(|(k, v)| (k.clone(), v.as_ref().map(|s| s.replace("staging", env))))
        .collect()
}

/// Checks both committed files against the emulator's staging outputs.
pub fn check_committed(kustomize: &Path, output_json: &Value) -> Result<String> {
    let staging = outputs(output_json)?;
    let mut counts = Vec::new();
    for env in ["staging", "production"] {
        let path = kustomize
            .join("clusters")
            .join(env)
            .join("cluster-vars.yaml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let n = check(&text, &for_env(&staging, env))
            .with_context(|| format!("kustomize/clusters/{env}/cluster-vars.yaml"))?;
        counts.push(format!("{env}: {n} keys"));
    }
    Ok(format!(
        "cluster-vars agree with terraform output cluster_vars ({})",
        counts.join(", ")
    ))
}

/// The check's fixtures: the committed staging file with a wrong VPC_CIDR, and with a placeholder
/// left unmarked, must be rejected; the generator's output must pass.
pub fn self_test(kustomize: &Path) -> Result<String> {
    let path = kustomize.join("clusters/staging/cluster-vars.yaml");
    let committed = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut known: BTreeMap<String, Option<String>> = entries(&committed)?
        .into_iter()
        .filter(|e| !OPERATOR_KEYS.iter().any(|(k, _)| *k == e.key))
        .map(|e| (e.key, Some(e.value)))
        .collect();
    known.insert("VPC_CIDR".into(), Some("10.0.0.0/16".into()));
    known.insert("VPC_ID".into(), Some("vpc-0a1b2c3d4e5f60718".into()));
    known.insert("REDIS_HOST".into(), None);
    let generated = generate(&committed, &known)?;
    check(&generated, &known).context("self-test: the generator's own output must pass")?;
    if !generated.contains("  VPC_CIDR: 10.0.0.0/16\n") {
        bail!("self-test: the generator did not write VPC_CIDR");
    }

    let wrong_cidr = generated.replace("VPC_CIDR: 10.0.0.0/16", "VPC_CIDR: 10.10.0.0/16");
    match check(&wrong_cidr, &known) {
        Err(e) if format!("{e:#}").contains("VPC_CIDR") => {}
        other => bail!("self-test: a wrong VPC_CIDR was not rejected: {other:?}"),
    }
    let unmarked = generated.replace(
        "  VPC_ID: vpc-0a1b2c3d4e5f60718",
        "  VPC_ID: vpc-0123456789abcdef0",
    );
    match check(&unmarked, &known) {
        Err(e) if format!("{e:#}").contains("VPC_ID") => {}
        other => bail!("self-test: an unmarked placeholder was not rejected: {other:?}"),
    }
    let misshaped = generated.replace(
        "  VPC_ID: vpc-0a1b2c3d4e5f60718",
        "  VPC_ID: sg-0123456789abcdef0  # placeholder",
    );
    if check(&misshaped, &known).is_ok() {
        bail!("self-test: a placeholder of the wrong shape was accepted");
    }
    Ok("generated cluster-vars pass; a wrong VPC_CIDR, an unmarked placeholder and a misshaped one are rejected".into())
}

/// `cargo xtask cluster-vars`: writes (or prints) the environment's cluster-vars from
/// `terraform output -json`.
pub fn command(env: &str, outputs_file: &Path, stdout: bool) -> Result<()> {
    if !["staging", "production"].contains(&env) {
        bail!("--env must be staging or production");
    }
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(outputs_file)
            .with_context(|| format!("cannot read {}", outputs_file.display()))?,
    )
    .with_context(|| format!("{} is not `terraform output -json`", outputs_file.display()))?;
    let known = outputs(&json)?;
    if known.get("ENVIRONMENT").and_then(|v| v.as_deref()) != Some(env) {
        bail!("these outputs are not from the {env} environment (ENVIRONMENT differs)");
    }
    let path = crate::util::root()
        .join("kustomize/clusters")
        .join(env)
        .join("cluster-vars.yaml");
    let template = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let generated = generate(&template, &known)?;
    check(&generated, &known)?;
    if stdout {
        print!("{generated}");
        return Ok(());
    }
    std::fs::write(&path, &generated)?;
    let left: Vec<String> = entries(&generated)?
        .into_iter()
        .filter(|e| e.placeholder)
        .map(|e| e.key)
        .collect();
    eprintln!("wrote {}", path.display());
    if !left.is_empty() {
        eprintln!(
            "still placeholders (not known to Terraform here): {}",
            left.join(", ")
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "apiVersion: v1\nkind: ConfigMap\ndata:\n  ENVIRONMENT: staging\n  AWS_ACCOUNT_ID: \"111122223333\"  # placeholder\n  VPC_CIDR: 10.10.0.0/16\n  ALERT_EMAIL_TO: a@example.com\n";

    #[test]
    fn shapes_mask_generated_parts() {
        assert_eq!(
            shape("secret:rds!db-x-AbCdEf"),
            shape("secret:rds!db-x-PEAReJ")
        );
        assert_eq!(shape("vpc-0123456789abcdef0"), "vpc-#");
        assert_eq!(
            shape("arn:aws:iam::111122223333:role/conduit-staging-api"),
            shape("arn:aws:iam::123456789012:role/conduit-staging-api")
        );
        assert_ne!(
            shape("conduit-staging.cluster-abcdefghijkl.eu-west-1.rds.amazonaws.com"),
            shape("conduit-staging.aaaaaaaaaa.eu-west-1.rds.amazonaws.com")
        );
    }

    #[test]
    fn generator_fills_known_values_and_quotes_numbers() {
        let known: BTreeMap<_, _> = [
            ("ENVIRONMENT", Some("staging")),
            ("AWS_ACCOUNT_ID", Some("123456789012")),
            ("VPC_CIDR", Some("10.0.0.0/16")),
            ("REDIS_HOST", None),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.map(String::from)))
        .collect();
        let out = generate(FILE, &known).unwrap();
        assert!(out.contains("  AWS_ACCOUNT_ID: '123456789012'\n"), "{out}");
        assert!(out.contains("  VPC_CIDR: 10.0.0.0/16\n"));
        assert!(out.contains("  REDIS_HOST: \"\"  # placeholder"));
        assert!(check(&out, &known).is_ok());
        assert!(check(FILE, &known).is_err());
    }
}

//! `cargo xtask cluster-vars --env <env> --outputs <terraform output -json file>`: one source for
//! the values Terraform knows and Flux needs, `kustomize/clusters/<env>/cluster-vars.yaml`. The
//! platform module's `cluster_vars` output maps every key Terraform can know to its value; this
//! writes them into the committed file, keeping its comments and order. Values Terraform does not
//! know yet, and account-specific IDs and ARNs in the committed files, stay marked `# placeholder`.
//! The terraform suite compares the committed files with the outputs of its emulator apply
//! (`terraform/checks/cluster_vars.tf`).

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// Marks a value that must be replaced by the generator on a real deployment.
const PLACEHOLDER: &str = "# placeholder";

/// One `  KEY: value  # comment` line of the ConfigMap's `data`: (line, key, value, placeholder).
type Entry = (usize, String, String, bool);

fn entries(yaml: &str) -> Result<Vec<Entry>> {
    let lines = yaml.lines().enumerate();
    let data = lines.skip_while(|(_, l)| !l.starts_with("data:")).skip(1);
    let body = data.take_while(|(_, l)| l.starts_with("  "));
    let mut out = Vec::new();
    for (i, line) in body.filter(|(_, l)| !l.trim_start().starts_with('#')) {
        let (key, rest) = line
            .trim()
            .split_once(':')
            .context("a data line is not `KEY: value`")?;
        let (raw, comment) = rest.split_at(rest.find(" #").unwrap_or(rest.len()));
        let value =
            serde_yaml::from_str(raw.trim()).with_context(|| format!("{key}: not a string"))?;
        out.push((i, key.to_string(), value, comment.contains(PLACEHOLDER)));
    }
    Ok(out)
}

/// The `cluster_vars` output of `terraform output -json`: key → value (None: not known).
pub fn outputs(json: &Value) -> Result<BTreeMap<String, Option<String>>> {
    let map = json["cluster_vars"]["value"].as_object();
    let map = map.context("`terraform output -json` has no `cluster_vars` output")?;
    let known = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(String::from);
    Ok(map.iter().map(|(k, v)| (k.clone(), known(v))).collect())
}

/// The committed file with every known value filled in and its placeholder mark dropped; unknown
/// values keep the existing (marked) line; keys the file lacks are appended.
pub fn generate(template: &str, known: &BTreeMap<String, Option<String>>) -> Result<String> {
    let current = entries(template)?;
    let mut lines: Vec<String> = template.lines().map(String::from).collect();
    let scalar = |v: &str| Ok::<_, anyhow::Error>(serde_yaml::to_string(v)?.trim_end().to_string());
    for (line, key, _, placeholder) in &current {
        match known.get(key) {
            Some(Some(v)) => lines[*line] = format!("  {key}: {}", scalar(v)?),
            Some(None) if !placeholder => {
                lines[*line].push_str(&format!("  {PLACEHOLDER}: not known to Terraform yet"))
            }
            _ => {}
        }
    }
    for (key, value) in known
        .iter()
        .filter(|(k, _)| !current.iter().any(|e| &e.1 == *k))
    {
        lines.push(match value {
            Some(v) => format!("  {key}: {}", scalar(v)?),
            None => format!("  {key}: \"\"  {PLACEHOLDER}: not known to Terraform yet"),
        });
    }
    Ok(lines.join("\n") + "\n")
}

/// `cargo xtask cluster-vars`: writes (or prints) the environment's cluster-vars from
/// `terraform output -json`.
pub fn command(env: &str, outputs_file: &Path, stdout: bool) -> Result<()> {
    if !["staging", "production"].contains(&env) {
        bail!("--env must be staging or production");
    }
    let text = std::fs::read_to_string(outputs_file)
        .with_context(|| format!("cannot read {}", outputs_file.display()))?;
    let known = outputs(&serde_json::from_str(&text).context("not `terraform output -json`")?)?;
    if known.get("ENVIRONMENT").and_then(|v| v.as_deref()) != Some(env) {
        bail!("these outputs are not from the {env} environment (ENVIRONMENT differs)");
    }
    let path = crate::util::root()
        .join("kustomize/clusters")
        .join(env)
        .join("cluster-vars.yaml");
    let generated = generate(
        &std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?,
        &known,
    )?;
    if stdout {
        print!("{generated}");
        return Ok(());
    }
    std::fs::write(&path, &generated)?;
    let left = entries(&generated)?
        .into_iter()
        .filter(|e| e.3)
        .map(|e| e.1);
    eprintln!(
        "wrote {}; placeholders left: {:?}",
        path.display(),
        left.collect::<Vec<_>>()
    );
    Ok(())
}

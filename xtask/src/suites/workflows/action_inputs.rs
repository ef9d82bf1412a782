//! Every `with:` key given to a pinned action must be an input its action.yml declares at the
//! pinned commit (`action-inputs.toml`, read from upstream at those commits). A misspelt or
//! removed input is otherwise ignored by the runner with at most a warning, and the setting it
//! was meant to make (a permission, a failure threshold, a pinned image) silently does not apply.

use super::delivery::{parse, steps};
use anyhow::{Context, Result};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};

const TABLE: &str = include_str!("action-inputs.toml");

/// `owner/repo[/path]@sha` -> (version, declared inputs).
pub fn table(text: &str) -> Result<BTreeMap<String, (String, BTreeSet<String>)>> {
    let t: toml::Table = toml::from_str(text).context("action-inputs.toml is not TOML")?;
    Ok(t.into_iter()
        .map(|(k, v)| {
            let version = v
                .get("version")
                .and_then(toml::Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let inputs = v
                .get("inputs")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(toml::Value::as_str)
                .map(str::to_owned)
                .collect();
            (k, (version, inputs))
        })
        .collect())
}

fn all_steps(doc: &Value) -> Vec<&Value> {
    let mut out: Vec<&Value> = super::delivery::jobs(doc)
        .into_iter()
        .flat_map(|(_, j)| steps(j))
        .collect();
    if let Some(runs) = doc.get("runs") {
        out.extend(steps(runs));
    }
    out
}

/// Problems in `files` (name, text) against the table; also returns the pins it could not verify.
pub fn problems(files: &[(String, String)], text: &str) -> Result<(Vec<String>, BTreeSet<String>)> {
    let table = table(text)?;
    let mut problems = Vec::new();
    let mut unverified = BTreeSet::new();
    for (name, text) in files {
        let doc = parse(name, text)?;
        for step in all_steps(&doc) {
            let Some(uses) = step.get("uses").and_then(Value::as_str) else {
                continue;
            };
            if uses.starts_with("./") || uses.starts_with("docker://") {
                continue;
            }
            let Some((version, inputs)) = table.get(uses) else {
                unverified.insert(uses.to_owned());
                continue;
            };
            let given = step.get("with").and_then(Value::as_mapping);
            for key in given.into_iter().flatten().filter_map(|(k, _)| k.as_str()) {
                if !inputs.contains(key) {
                    problems.push(format!(
                        "{name}: `{uses}` ({version}) has no input `{key}` in its action.yml"
                    ));
                }
            }
        }
    }
    Ok((problems, unverified))
}

pub fn check(files: &[(String, String)]) -> Result<String> {
    // Self-test: a misspelt input of a listed action is rejected.
    let fixture = "jobs:\n  j:\n    steps:\n      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1\n        with:\n          persist-credential: false\n"; // pragma: allowlist secret
    let (p, _) = problems(&[("fixture.yml".into(), fixture.into())], TABLE)?;
    anyhow::ensure!(
        p.iter()
            .any(|m| m.contains("no input `persist-credential`")),
        "self-test: a misspelt input was accepted: {p:?}"
    );
    let (p, unverified) = problems(files, TABLE)?;
    if !p.is_empty() {
        anyhow::bail!("{}", p.join("\n"));
    }
    let listed = table(TABLE)?.len();
    Ok(if unverified.is_empty() {
        format!("every input of {listed} pinned actions declared at its commit")
    } else {
        format!(
            "{listed} pinned actions verified; NOT VERIFIED (add to action-inputs.toml): {}",
            unverified.into_iter().collect::<Vec<_>>().join(", ")
        )
    })
}

//! The repository's own hardening rules for GitHub Actions, checked on the files themselves:
//!
//! * every `uses:` of another repository is pinned to a 40-hex commit SHA with a `# vX.Y.Z`
//!   comment (local `./` actions and reusable workflows are resolved at the same commit;
//!   `docker://` images need an `@sha256:` digest);
//! * workflows start from `permissions: {}`; every job states its own `permissions`, and
//!   `id-token: write` / `security-events: write` appear only in jobs that use OIDC / upload
//!   SARIF; no `write-all`, no `secrets: inherit`;
//! * every job that runs steps has `timeout-minutes` (a job that calls a reusable workflow
//!   cannot: the called workflow's jobs carry them);
//! * no `pull_request_target` trigger;
//! * `actions/checkout` always with `persist-credentials: false`;
//! * no `${{ … }}` inside `run:` scripts: values reach scripts through `env:`.

use serde_yaml::{Mapping, Value};
use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub struct Report {
    pub problems: Vec<String>,
    pub pinned: usize,
    pub local: usize,
    pub jobs: usize,
    /// action -> (sha, version comment) -> where: one action must be pinned the same everywhere.
    pub pins: BTreeMap<String, BTreeMap<(String, String), Vec<String>>>,
}

impl Report {
    /// Fails an action pinned to different commits or releases in different places (a half-done
    /// update), or one commit labelled with two releases.
    pub fn check_consistency(&mut self) {
        for (action, pins) in &self.pins {
            if pins.len() > 1 {
                let all = pins
                    .iter()
                    .map(|((sha, v), at)| format!("{sha} # {v} at {}", at.join(", ")))
                    .collect::<Vec<_>>()
                    .join("; ");
                self.problems.push(format!(
                    "`{action}` is pinned differently across files: {all}"
                ));
            }
        }
    }
}

/// Actions that need an OIDC token (`id-token: write`).
const OIDC_USERS: &[&str] = &[
    "aws-actions/configure-aws-credentials",
    "sigstore/cosign-installer",
    "actions/attest-build-provenance",
    "actions/attest-sbom",
    "actions/attest",
];
/// Actions that upload SARIF (`security-events: write`).
const SARIF_UPLOADERS: &[&str] = &["github/codeql-action/upload-sarif"];

fn key<'a>(m: &'a Mapping, k: &str) -> Option<&'a Value> {
    m.get(Value::String(k.to_owned()))
}

fn is_sha(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn is_semver_tag(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('v') else {
        return false;
    };
    let version = rest.split_whitespace().next().unwrap_or_default();
    let parts: Vec<&str> = version.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks every `uses:` line of a file (text: the version comment is not in the parsed YAML).
/// Returns the number of `uses:` lines seen.
fn check_uses_lines(file: &str, text: &str, r: &mut Report) -> usize {
    let mut seen = 0;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let t = t.strip_prefix("- ").map(str::trim_start).unwrap_or(t);
        let Some(rest) = t.strip_prefix("uses:") else {
            continue;
        };
        seen += 1;
        let at = format!("{file}:{}", n + 1);
        let (value, comment) = match rest.split_once(" #") {
            Some((v, c)) => (v.trim(), Some(c.trim())),
            None => (rest.trim(), None),
        };
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        if value.starts_with("./") {
            r.local += 1;
            continue;
        }
        if let Some(image) = value.strip_prefix("docker://") {
            if !image.contains("@sha256:") {
                r.problems
                    .push(format!("{at}: `{value}` must be pinned by @sha256 digest"));
            }
            continue;
        }
        let Some((action, reference)) = value.split_once('@') else {
            r.problems.push(format!(
                "{at}: `{value}` has no @ref; pin it to a commit SHA"
            ));
            continue;
        };
        if !is_sha(reference) {
            r.problems.push(format!(
                "{at}: `{action}@{reference}` is not pinned to a full 40-hex commit SHA"
            ));
            continue;
        }
        match comment {
            Some(c) if is_semver_tag(c) => {
                r.pinned += 1;
                let version = c.split_whitespace().next().unwrap_or(c).to_owned();
                r.pins
                    .entry(action.to_owned())
                    .or_default()
                    .entry((reference.to_owned(), version))
                    .or_default()
                    .push(at.clone());
            }
            Some(c) => r.problems.push(format!(
                "{at}: `{action}` pin comment `# {c}` is not the release it pins (`# vX.Y.Z`)"
            )),
            None => r.problems.push(format!(
                "{at}: `{action}` pin has no `# vX.Y.Z` comment naming the release"
            )),
        }
    }
    seen
}

fn count_uses(v: &Value) -> usize {
    match v {
        Value::Mapping(m) => m
            .iter()
            .map(|(k, v)| usize::from(k.as_str() == Some("uses")) + count_uses(v))
            .sum(),
        Value::Sequence(s) => s.iter().map(count_uses).sum(),
        _ => 0,
    }
}

fn action_name(uses: &str) -> &str {
    uses.split('@').next().unwrap_or(uses)
}

fn check_steps(file: &str, job: &str, steps: &[Value], r: &mut Report) -> Vec<String> {
    let mut used = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let Some(step) = step.as_mapping() else {
            continue;
        };
        let label = key(step, "name")
            .and_then(Value::as_str)
            .map(|n| format!("step `{n}`"))
            .unwrap_or_else(|| format!("step {}", i + 1));
        let at = format!("{file}: job `{job}`, {label}");
        if let Some(run) = key(step, "run").and_then(Value::as_str) {
            if run.contains("${{") {
                r.problems.push(format!(
                    "{at}: `${{{{ … }}}}` inside `run:`; pass the value through `env:` instead"
                ));
            }
        }
        if let Some(uses) = key(step, "uses").and_then(Value::as_str) {
            used.push(action_name(uses).to_owned());
            if action_name(uses) == "actions/checkout" {
                let persist = key(step, "with")
                    .and_then(Value::as_mapping)
                    .and_then(|w| key(w, "persist-credentials"));
                let off = matches!(persist, Some(Value::Bool(false)))
                    || persist.and_then(Value::as_str) == Some("false");
                if !off {
                    r.problems.push(format!(
                        "{at}: actions/checkout needs `persist-credentials: false`"
                    ));
                }
            }
        }
    }
    used
}

fn check_workflow(file: &str, doc: &Mapping, r: &mut Report) {
    match key(doc, "permissions") {
        Some(Value::Mapping(m)) if m.is_empty() => {}
        Some(other) => r.problems.push(format!(
            "{file}: top-level permissions must be `{{}}` (jobs ask for what they need), found `{}`",
            serde_yaml::to_string(other).unwrap_or_default().trim()
        )),
        None => r
            .problems
            .push(format!("{file}: no top-level `permissions: {{}}`")),
    }
    // `on` is a plain string key in YAML 1.2; YAML 1.1 readers would make it `true`.
    let on = key(doc, "on").or_else(|| doc.get(Value::Bool(true)));
    let triggers: Vec<String> = match on {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(s)) => s
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::Mapping(m)) => m
            .keys()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => {
            r.problems.push(format!("{file}: no `on:` triggers"));
            vec![]
        }
    };
    if triggers.iter().any(|t| t == "pull_request_target") {
        r.problems.push(format!(
            "{file}: `pull_request_target` runs untrusted code with write access; use `pull_request`"
        ));
    }

    let Some(jobs) = key(doc, "jobs").and_then(Value::as_mapping) else {
        r.problems.push(format!("{file}: no jobs"));
        return;
    };
    for (name, job) in jobs {
        let name = name.as_str().unwrap_or("?");
        let Some(job) = job.as_mapping() else {
            continue;
        };
        r.jobs += 1;
        let at = format!("{file}: job `{name}`");
        let reusable = key(job, "uses").is_some();
        if key(job, "secrets").and_then(Value::as_str) == Some("inherit") {
            r.problems.push(format!(
                "{at}: `secrets: inherit` hands every secret to the callee; pass the ones it needs"
            ));
        }
        let steps = key(job, "steps")
            .and_then(Value::as_sequence)
            .cloned()
            .unwrap_or_default();
        if !reusable && key(job, "timeout-minutes").is_none() {
            r.problems.push(format!("{at}: no `timeout-minutes`"));
        }
        let used = check_steps(file, name, &steps, r);
        let perms = match key(job, "permissions") {
            None => {
                r.problems.push(format!(
                    "{at}: no explicit `permissions` (use `{{}}` if it needs none)"
                ));
                continue;
            }
            Some(Value::Mapping(m)) => m.clone(),
            Some(other) => {
                r.problems.push(format!(
                    "{at}: permissions `{}` is not a list of scopes",
                    serde_yaml::to_string(other).unwrap_or_default().trim()
                ));
                continue;
            }
        };
        if reusable {
            continue; // the caller's grant caps the called workflow; its jobs are checked there
        }
        let granted = |scope: &str| key(&perms, scope).and_then(Value::as_str) == Some("write");
        let uses_any = |list: &[&str]| used.iter().any(|u| list.contains(&u.as_str()));
        if granted("id-token") && !uses_any(OIDC_USERS) {
            r.problems.push(format!(
                "{at}: `id-token: write` but no step that uses OIDC (AWS, cosign, attestations)"
            ));
        }
        if granted("security-events") && !uses_any(SARIF_UPLOADERS) {
            r.problems.push(format!(
                "{at}: `security-events: write` but no SARIF upload step"
            ));
        }
    }
}

fn check_action(file: &str, doc: &Mapping, r: &mut Report) {
    let steps = key(doc, "runs")
        .and_then(Value::as_mapping)
        .and_then(|runs| key(runs, "steps"))
        .and_then(Value::as_sequence)
        .cloned()
        .unwrap_or_default();
    check_steps(file, "(composite action)", &steps, r);
}

/// Checks one file. `is_action` selects the composite-action rules instead of the workflow ones.
pub fn check_file(file: &str, text: &str, is_action: bool, r: &mut Report) {
    let doc: Value = match serde_yaml::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            r.problems.push(format!("{file}: not valid YAML: {e}"));
            return;
        }
    };
    let seen = check_uses_lines(file, text, r);
    let parsed = count_uses(&doc);
    if seen != parsed {
        r.problems.push(format!(
            "{file}: {parsed} `uses:` in the YAML but {seen} `uses:` lines; write each on its own line"
        ));
    }
    let Some(doc) = doc.as_mapping() else {
        r.problems.push(format!("{file}: not a mapping"));
        return;
    };
    if is_action {
        check_action(file, doc, r);
    } else {
        check_workflow(file, doc, r);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // actions/checkout v7.0.1: a public commit id, not a secret.
    const SHA: &str = "3d3c42e5aac5ba805825da76410c181273ba90b1"; // pragma: allowlist secret

    fn good() -> String {
        format!(
            r#"name: ok
on:
  pull_request:
permissions: {{}}
jobs:
  build:
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    permissions:
      contents: read
      security-events: write
    steps:
      - uses: actions/checkout@{SHA} # v7.0.1
        with:
          persist-credentials: false
      - uses: ./.github/actions/setup-nix
      - name: build
        env:
          REF: ${{{{ github.ref }}}}
        run: echo "$REF"
      - uses: github/codeql-action/upload-sarif@{SHA} # v4.36.2
        with:
          sarif_file: x.sarif
  gate:
    uses: ./.github/workflows/ci.yml
    permissions:
      contents: read
"#
        )
    }

    fn problems(text: &str) -> Vec<String> {
        let mut r = Report::default();
        check_file("wf.yml", text, false, &mut r);
        r.problems
    }

    fn assert_flags(text: &str, needle: &str) {
        let p = problems(text);
        assert!(
            p.iter().any(|m| m.contains(needle)),
            "expected a problem containing `{needle}`, got {p:#?}"
        );
    }

    #[test]
    fn a_hardened_workflow_passes() {
        let mut r = Report::default();
        check_file("wf.yml", &good(), false, &mut r);
        assert_eq!(r.problems, Vec::<String>::new());
        assert_eq!((r.pinned, r.local, r.jobs), (2, 2, 2));
    }

    #[test]
    fn unpinned_or_uncommented_uses_fail() {
        let g = good();
        assert_flags(
            &g.replace(&format!("checkout@{SHA}"), "checkout@v7"),
            "not pinned",
        );
        assert_flags(
            &g.replace(&format!("checkout@{SHA}"), "checkout@3d3c42e"),
            "not pinned",
        );
        assert_flags(&g.replace(" # v7.0.1", ""), "no `# vX.Y.Z` comment");
        assert_flags(&g.replace("# v7.0.1", "# main"), "is not the release");
        assert_flags(&g.replace("# v7.0.1", "# v7"), "is not the release");
        assert_flags(
            &g.replace(
                "      - uses: ./.github/actions/setup-nix\n",
                "      - uses: docker://alpine:3\n",
            ),
            "@sha256",
        );
    }

    #[test]
    fn flow_style_uses_cannot_hide_from_the_line_check() {
        let g = good().replace(
            "      - uses: ./.github/actions/setup-nix\n",
            "      - { uses: some/action@main }\n",
        );
        assert_flags(&g, "on its own line");
    }

    #[test]
    fn permissions_rules() {
        let g = good();
        assert_flags(&g.replace("permissions: {}\n", ""), "no top-level");
        assert_flags(
            &g.replace("permissions: {}\n", "permissions: write-all\n"),
            "must be `{}`",
        );
        assert_flags(
            &g.replace(
                "    permissions:\n      contents: read\n      security-events: write\n",
                "",
            ),
            "no explicit `permissions`",
        );
        assert_flags(
            &g.replace(
                "      security-events: write\n",
                "      security-events: write\n      id-token: write\n",
            ),
            "`id-token: write` but no step",
        );
        let no_upload = g.replace(
            &format!("      - uses: github/codeql-action/upload-sarif@{SHA} # v4.36.2\n        with:\n          sarif_file: x.sarif\n"),
            "",
        );
        assert_flags(&no_upload, "no SARIF upload");
        assert_flags(
            &g.replace(
                "    uses: ./.github/workflows/ci.yml\n",
                "    uses: ./.github/workflows/ci.yml\n    secrets: inherit\n",
            ),
            "secrets: inherit",
        );
    }

    #[test]
    fn timeouts_triggers_checkout_and_run_interpolation() {
        let g = good();
        assert_flags(
            &g.replace("    timeout-minutes: 10\n", ""),
            "no `timeout-minutes`",
        );
        assert_flags(
            &g.replace("  pull_request:\n", "  pull_request_target:\n"),
            "pull_request_target",
        );
        assert_flags(
            &g.replace(
                "on:\n  pull_request:\n",
                "on: [push, pull_request_target]\n",
            ),
            "pull_request_target",
        );
        assert_flags(
            &g.replace(
                "          persist-credentials: false\n",
                "          fetch-depth: 0\n",
            ),
            "persist-credentials",
        );
        assert_flags(
            &g.replace(
                "run: echo \"$REF\"",
                "run: echo \"${{ github.event.pull_request.title }}\"",
            ),
            "inside `run:`",
        );
    }

    #[test]
    fn one_action_is_pinned_the_same_everywhere() {
        let mut r = Report::default();
        check_file("a.yml", &good(), false, &mut r);
        let other = good().replace("# v7.0.1", "# v7.0.0");
        check_file("b.yml", &other, false, &mut r);
        r.check_consistency();
        assert!(
            r.problems
                .iter()
                .any(|p| p.contains("`actions/checkout` is pinned differently")),
            "{:#?}",
            r.problems
        );
        let mut same = Report::default();
        check_file("a.yml", &good(), false, &mut same);
        check_file("b.yml", &good(), false, &mut same);
        same.check_consistency();
        assert_eq!(same.problems, Vec::<String>::new());
    }

    #[test]
    fn composite_actions_are_checked_too() {
        let action = "runs:\n  using: composite\n  steps:\n    - uses: cachix/install-nix-action@v31\n    - run: echo ${{ inputs.x }}\n      shell: bash\n";
        let mut r = Report::default();
        check_file("action.yml", action, true, &mut r);
        assert_eq!(r.problems.len(), 2, "{:#?}", r.problems);
    }
}

//! Relative links in `README.md` and `docs/**/*.md`: the target file exists and, for
//! `#anchors` into Markdown, the heading exists (GitHub's slug rules).

use crate::util::root;
use anyhow::{bail, Context, Result};
use std::path::{Component, Path, PathBuf};

/// GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens.
pub fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks).
pub fn anchors(text: &str) -> Vec<String> {
    super::prose_lines(text)
        .filter(|(_, line)| line.starts_with('#'))
        .map(|(_, line)| slug(line.trim_start_matches('#')))
        .collect()
}

/// The link targets of a Markdown text with their line numbers (outside code blocks and
/// inline code).
pub fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = vec![];
    for (n, line) in super::prose_lines(text) {
        // Drop inline code spans.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ");
        // HTML images and links: src="…" and href="…".
        for attr in ["src=\"", "href=\""] {
            let mut rest = prose.as_str();
            while let Some(i) = rest.find(attr) {
                let tail = &rest[i + attr.len()..];
                let Some(end) = tail.find('"') else { break };
                out.push((n, tail[..end].to_string()));
                rest = &tail[end..];
            }
        }
        let mut rest = prose.as_str();
        while let Some(i) = rest.find("](") {
            let tail = &rest[i + 2..];
            let Some(end) = tail.find(')') else { break };
            let target = tail[..end]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string();
            out.push((n, target));
            rest = &tail[end..];
        }
    }
    out
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Every broken relative link of `file` (its text given), relative to `base` (the repo root).
pub fn broken(base: &Path, file: &Path, text: &str) -> Vec<String> {
    let mut out = vec![];
    for (line, target) in links(text) {
        if target.is_empty()
            || target.contains("://")
            || target.starts_with("mailto:")
            || target.starts_with('<')
        {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (target.as_str(), None),
        };
        let resolved = if path.is_empty() {
            base.join(file)
        } else {
            normalize(&base.join(file).parent().unwrap_or(base).join(path))
        };
        let at = format!("{}:{line}", file.display());
        if !path.is_empty() && !resolved.exists() {
            out.push(format!("{at}: `{target}`: no such file"));
            continue;
        }
        if let Some(anchor) = anchor {
            if resolved.extension().is_some_and(|e| e == "md") {
                let content = if path.is_empty() {
                    text.to_string()
                } else {
                    std::fs::read_to_string(&resolved).unwrap_or_default()
                };
                if !anchors(&content).iter().any(|a| a == anchor) {
                    out.push(format!("{at}: `{target}`: no heading with that anchor"));
                }
            }
        }
    }
    out
}

/// Pages under `docs/` that cannot be reached from `README.md` by following relative links
/// (a link to a directory reaches its README.md).
pub fn orphans(base: &Path, pages: &[(PathBuf, String)]) -> Vec<String> {
    let by_path: std::collections::BTreeMap<&PathBuf, &String> =
        pages.iter().map(|(f, t)| (f, t)).collect();
    let start = base.join("README.md");
    let mut seen = std::collections::BTreeSet::from([start.clone()]);
    let mut queue = vec![start];
    while let Some(file) = queue.pop() {
        let Some(text) = by_path.get(&file) else {
            continue;
        };
        for (_, target) in links(text) {
            let path = target.split('#').next().unwrap_or("");
            if path.is_empty() || target.contains("://") {
                continue;
            }
            let resolved = normalize(&file.parent().unwrap_or(base).join(path));
            for candidate in [resolved.join("README.md"), resolved] {
                if by_path.contains_key(&candidate) && seen.insert(candidate.clone()) {
                    queue.push(candidate);
                }
            }
        }
    }
    pages
        .iter()
        .map(|(f, _)| f)
        .filter(|f| f.starts_with(base.join("docs")) && !seen.contains(*f))
        .map(|f| f.strip_prefix(base).unwrap_or(f).display().to_string())
        .collect()
}

pub fn run(files: &[PathBuf]) -> Result<()> {
    let base = root();
    let mut problems = vec![];
    let mut count = 0;
    for f in files {
        let rel = f.strip_prefix(&base).unwrap_or(f);
        let text = std::fs::read_to_string(f)?;
        count += links(&text).len();
        problems.extend(broken(&base, rel, &text));
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    eprintln!("docs: {count} links in {} files resolve", files.len());

    // No orphan pages: every Markdown file under docs/ can be reached from README.md.
    let mut pages = vec![];
    for f in files {
        pages.push((normalize(f), std::fs::read_to_string(f)?));
    }
    let found = orphans(&base, &pages);
    if !found.is_empty() {
        bail!("pages that cannot be reached from README.md (link them from docs/README.md): {found:?}");
    }
    pages.push((base.join("docs/zz-control.md"), String::new()));
    if orphans(&base, &pages) != ["docs/zz-control.md"] {
        bail!("the orphan check missed an unlinked page");
    }
    eprintln!("docs: every page under docs/ can be reached from README.md");

    // Negative control: a missing file and a missing anchor are reported.
    let control = "# Title\n\n[a](docs/nope.md) [b](docs/architecture.md#no-such-heading) \
                   [c](#title) [d](https://example.com/x) `[e](nope)` <img src=\"docs/none.svg\">\n";
    let found = broken(&base, Path::new("control.md"), control);
    let ok = found.len() == 3
        && found
            .iter()
            .any(|f| f.contains("docs/none.svg`: no such file"))
        && found
            .iter()
            .any(|f| f.contains("docs/nope.md`: no such file"))
        && found
            .iter()
            .any(|f| f.contains("no heading with that anchor"));
    if !ok {
        bail!("the link check missed a broken link or anchor: {found:#?}");
    }
    eprintln!("docs: control: a missing file, image and anchor are rejected");
    Ok(())
}

/// Where the alerts' `runbook_url`s point inside this repository.
pub const REPO_BLOB: &str = "https://github.com/conduit-platform/conduit/blob/main/";

/// Every alerting rule under `dir` (any YAML mapping with an `alert` key): its name and
/// `annotations.runbook_url`.
pub fn alert_runbooks(dir: &Path) -> Result<Vec<(String, PathBuf, Option<String>)>> {
    fn walk(v: &serde_yaml::Value, file: &Path, out: &mut Vec<(String, PathBuf, Option<String>)>) {
        match v {
            serde_yaml::Value::Mapping(m) => {
                if let Some(name) = m.get("alert").and_then(|a| a.as_str()) {
                    let url = m
                        .get("annotations")
                        .and_then(|a| a.get("runbook_url"))
                        .and_then(|u| u.as_str())
                        .map(str::to_string);
                    out.push((name.to_string(), file.to_path_buf(), url));
                }
                for (_, child) in m {
                    walk(child, file, out);
                }
            }
            serde_yaml::Value::Sequence(s) => s.iter().for_each(|c| walk(c, file, out)),
            _ => {}
        }
    }
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let text = std::fs::read_to_string(&path)?;
                if !text.contains("alert:") {
                    continue;
                }
                for doc in text.split("\n---") {
                    let v: serde_yaml::Value = serde_yaml::from_str(doc)
                        .with_context(|| format!("{} does not parse", path.display()))?;
                    walk(&v, &path, &mut out);
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Problems with the alerts' runbook links: missing, outside this repository, or pointing at
/// a file or heading that does not exist.
pub fn runbook_problems(base: &Path, alerts: &[(String, PathBuf, Option<String>)]) -> Vec<String> {
    let mut out = vec![];
    for (name, file, url) in alerts {
        let at = format!(
            "{} ({})",
            name,
            file.strip_prefix(base).unwrap_or(file).display()
        );
        let Some(url) = url else {
            out.push(format!("{at}: no annotations.runbook_url"));
            continue;
        };
        let Some(local) = url.strip_prefix(REPO_BLOB) else {
            out.push(format!("{at}: runbook_url {url} is not under {REPO_BLOB}"));
            continue;
        };
        // Reuse the Markdown link check: a one-link document at the repository root.
        out.extend(
            broken(
                base,
                Path::new("runbook_url.md"),
                &format!("[r]({local})\n"),
            )
            .into_iter()
            .map(|p| format!("{at}: {}", p.replace("runbook_url.md:1: ", ""))),
        );
    }
    out
}

pub fn runbooks() -> Result<()> {
    let base = root();
    let alerts = alert_runbooks(&base.join("kustomize"))?;
    if alerts.len() < 10 {
        bail!(
            "found only {} alerting rules under kustomize/",
            alerts.len()
        );
    }
    let problems = runbook_problems(&base, &alerts);
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    eprintln!(
        "docs: {} alerts under kustomize/, each runbook_url resolves to a page or heading here",
        alerts.len()
    );
    let control = vec![
        ("A".to_string(), base.join("x.yaml"), None),
        (
            "B".to_string(),
            base.join("x.yaml"),
            Some(format!("{REPO_BLOB}docs/runbooks/Nope.md")),
        ),
        (
            "C".to_string(),
            base.join("x.yaml"),
            Some(format!("{REPO_BLOB}docs/logging.md#nope")),
        ),
        (
            "D".to_string(),
            base.join("x.yaml"),
            Some("https://example.com/runbook".to_string()),
        ),
    ];
    let found = runbook_problems(&base, &control);
    if found.len() != 4 {
        bail!("the runbook check missed a broken runbook link: {found:#?}");
    }
    eprintln!("docs: control: missing, foreign and dangling runbook links are rejected");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_like_github() {
        assert_eq!(slug(" 2. A request"), "2-a-request");
        assert_eq!(
            slug("Values that come from Terraform"),
            "values-that-come-from-terraform"
        );
        assert_eq!(
            slug("Checking without Nix: `cargo xtask test`"),
            "checking-without-nix-cargo-xtask-test"
        );
    }
}

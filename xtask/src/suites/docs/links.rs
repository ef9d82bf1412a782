//! Relative links in `README.md` and `docs/**/*.md`: the target file exists and, for
//! `#anchors` into Markdown, the heading exists (GitHub's slug rules).

use crate::util::root;
use anyhow::{bail, Result};
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
    let mut out = vec![];
    let mut fenced = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.push(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// The link targets of a Markdown text with their line numbers (outside code blocks and
/// inline code).
pub fn links(text: &str) -> Vec<(usize, String)> {
    let mut out = vec![];
    let mut fenced = false;
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Drop inline code spans.
        let prose: String = line
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 0)
            .map(|(_, s)| s)
            .collect::<Vec<_>>()
            .join(" ");
        let mut rest = prose.as_str();
        while let Some(i) = rest.find("](") {
            let tail = &rest[i + 2..];
            let Some(end) = tail.find(')') else { break };
            let target = tail[..end]
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_string();
            out.push((n + 1, target));
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

    // Negative control: a missing file and a missing anchor are reported.
    let control = "# Title\n\n[a](docs/nope.md) [b](docs/architecture.md#no-such-heading) \
                   [c](#title) [d](https://example.com/x) `[e](nope)`\n";
    let found = broken(&base, Path::new("control.md"), control);
    let ok = found.len() == 2
        && found[0].contains("docs/nope.md`: no such file")
        && found[1].contains("no heading with that anchor");
    if !ok {
        bail!("the link check missed a broken link or anchor: {found:#?}");
    }
    eprintln!("docs: control: a missing file and a missing anchor are rejected");
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

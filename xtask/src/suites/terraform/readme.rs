//! Keeps each module README's inputs/outputs tables in step with `variables.tf` and
//! `outputs.tf`. The tables live between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->`;
//! `CONDUIT_TF_README_WRITE=1 cargo xtask test --only terraform` rewrites them.

use super::layout::{read, MODULES};
use anyhow::{bail, Result};
use std::path::Path;

const BEGIN: &str = "<!-- BEGIN_TF_DOCS -->";
const END: &str = "<!-- END_TF_DOCS -->";

#[derive(Debug, PartialEq)]
pub struct Block {
    pub name: String,
    pub attrs: Vec<(String, String)>,
}

impl Block {
    fn get(&self, key: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

pub fn check(source: &Path) -> Result<String> {
    let write = std::env::var_os("CONDUIT_TF_README_WRITE").is_some_and(|v| v == "1");
    let mut problems = Vec::new();
    let mut rows = 0;
    for m in MODULES {
        let dir = source.join("modules").join(m);
        let variables = parse_blocks(&read(&dir.join("variables.tf"))?, "variable");
        let outputs = parse_blocks(&read(&dir.join("outputs.tf"))?, "output");
        for b in variables.iter().chain(&outputs) {
            if b.get("description").is_none_or(|d| d.len() < 3) {
                problems.push(format!("modules/{m}: `{}` has no description", b.name));
            }
        }
        rows += variables.len() + outputs.len();
        let expected = render(&variables, &outputs);
        let readme_path = dir.join("README.md");
        let readme = read(&readme_path)?;
        let (Some(start), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
            problems.push(format!(
                "modules/{m}/README.md lacks the {BEGIN} ... {END} markers"
            ));
            continue;
        };
        let current = &readme[start..end + END.len()];
        if current != expected {
            if write {
                let updated = format!(
                    "{}{}{}",
                    &readme[..start],
                    expected,
                    &readme[end + END.len()..]
                );
                std::fs::write(&readme_path, updated)?;
                eprintln!("   rewrote the tables of modules/{m}/README.md");
            } else {
                problems.push(format!(
                    "modules/{m}/README.md inputs/outputs tables are out of date with variables.tf/outputs.tf \
                     (regenerate: CONDUIT_TF_README_WRITE=1 cargo xtask test --only terraform)"
                ));
            }
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(format!(
        "{} module READMEs match their {rows} inputs and outputs",
        MODULES.len()
    ))
}

/// Top-level `<kind> "<name>" { ... }` blocks with their top-level attributes, values kept as
/// HCL source with whitespace collapsed.
pub fn parse_blocks(text: &str, kind: &str) -> Vec<Block> {
    let prefix = format!("{kind} \"");
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(rest) = lines[i].strip_prefix(&prefix) else {
            i += 1;
            continue;
        };
        let name = rest.split('"').next().unwrap_or_default().to_string();
        let mut attrs = Vec::new();
        i += 1;
        while i < lines.len() && lines[i] != "}" {
            let line = lines[i];
            // Attributes sit at two spaces; nested blocks (validation) are skipped whole.
            let top = line.starts_with("  ") && !line.starts_with("   ");
            let is_attr = top && line.contains(" = ");
            if is_attr {
                let (key, value) = line.trim().split_once('=').unwrap();
                let mut value = value.trim().to_string();
                while depth(&value) > 0 && i + 1 < lines.len() {
                    i += 1;
                    value.push(' ');
                    value.push_str(lines[i].trim());
                }
                attrs.push((key.trim().to_string(), collapse(&value)));
            } else if line.trim_end().ends_with('{') {
                let mut d = 1;
                while d > 0 && i + 1 < lines.len() {
                    i += 1;
                    d += depth(lines[i]);
                }
            }
            i += 1;
        }
        blocks.push(Block { name, attrs });
        i += 1;
    }
    blocks
}

/// Net bracket depth of `s`, ignoring brackets inside string literals.
fn depth(s: &str) -> i32 {
    let mut d = 0;
    let mut in_str = false;
    let mut escaped = false;
    for c in s.chars() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' | '[' | '(' => d += 1,
            '}' | ']' | ')' => d -= 1,
            _ => {}
        }
    }
    d
}

fn collapse(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    joined
        .replace("[ ", "[")
        .replace(" ]", "]")
        .replace(", ]", "]")
        .replace(",]", "]")
}

/// The HCL string literal's content.
fn unquote(s: &str) -> String {
    let inner = s
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s);
    inner.replace("\\\"", "\"").replace("\\\\", "\\")
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

pub fn render(variables: &[Block], outputs: &[Block]) -> String {
    let mut s = String::new();
    s.push_str(BEGIN);
    s.push_str("\n## Inputs\n\n| Name | Description | Type | Default | Required |\n|------|-------------|------|---------|:--------:|\n");
    for v in variables {
        let description = unquote(v.get("description").unwrap_or(""));
        let ty = v.get("type").unwrap_or("any");
        let (default, required) = match v.get("default") {
            Some(d) => (format!("`{}`", cell(d)), "no"),
            None => ("n/a".to_string(), "yes"),
        };
        s.push_str(&format!(
            "| `{}` | {} | `{}` | {} | {} |\n",
            v.name,
            cell(&description),
            cell(ty),
            default,
            required
        ));
    }
    s.push_str("\n## Outputs\n\n| Name | Description |\n|------|-------------|\n");
    for o in outputs {
        let description = unquote(o.get("description").unwrap_or(""));
        s.push_str(&format!("| `{}` | {} |\n", o.name, cell(&description)));
    }
    s.push_str(END);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const VARS: &str = r#"variable "name" {
  description = "Name \"prefix\" | pipe."
  type        = string

  validation {
    condition     = length(var.name) > 0
    error_message = "x"
  }
}

variable "list" {
  description = "A list."
  type        = list(string)
  default = [
    "a",
    "b",
  ]
}
"#;

    #[test]
    fn parses_variables_with_nested_blocks_and_multiline_defaults() {
        let blocks = parse_blocks(VARS, "variable");
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].name, "name");
        assert_eq!(blocks[0].get("default"), None);
        assert_eq!(blocks[0].get("condition"), None);
        assert_eq!(blocks[1].get("default"), Some("[\"a\", \"b\"]"));
        assert_eq!(blocks[1].get("type"), Some("list(string)"));
    }

    #[test]
    fn renders_required_and_optional_rows() {
        let blocks = parse_blocks(VARS, "variable");
        let out = render(&blocks, &[]);
        assert!(out.contains("| `name` | Name \"prefix\" \\| pipe. | `string` | n/a | yes |"));
        assert!(out.contains("| `list` | A list. | `list(string)` | `[\"a\", \"b\"]` | no |"));
    }
}

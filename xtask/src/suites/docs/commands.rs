//! The command policy of the docs: every shell command in `README.md` and `docs/**/*.md` is
//! either one the test command runs, or its code block says what it needs that this machine
//! does not have.
//!
//! - Shell blocks are fenced with `sh`, `bash`, `shell` or `console`. An untagged block that
//!   starts a line with a known program is an error (it would escape the check).
//! - A block says what it needs with a comment line `# needs: AWS, a cluster` (any of
//!   [`NEEDS`]), or by sitting right under a heading `With <need>` (README's "With Nix").
//! - Each command's program is looked up in [`PROGRAMS`]: `tested` commands are run by
//!   `cargo xtask test` (the table names where); `local` ones run on this machine with the
//!   README's prerequisites but are not part of the test command (they are listed in the
//!   suite's output); `neutral` ones need nothing (cd, jq, …); everything else needs the named
//!   requirement, which the block must declare. An unknown program is an error: add it to the
//!   table with what it needs.

use crate::util::root;
use anyhow::{bail, ensure, Result};
use std::path::{Path, PathBuf};

/// What a block may say it needs.
pub const NEEDS: &[&str] = &[
    "AWS",
    "a cluster",
    "Nix",
    "Docker",
    "a registry",
    "GitHub",
    "a running stack",
    "a network connection",
];

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// Run by `cargo xtask test`; the string says where.
    Tested(&'static str),
    /// Runs here, outside the test command; the string says why it is not in it.
    Local(&'static str),
    Neutral,
    Needs(&'static str),
}

/// Commands by prefix (the longest matching prefix wins).
pub const PROGRAMS: &[(&str, Kind)] = &[
    ("cargo xtask test", Kind::Tested("the test command itself")),
    ("node docs/diagrams/render.mjs", Kind::Tested("the docs suite")),
    ("check-jsonschema --builtin-schema vendor.compose-spec compose.yaml", Kind::Tested("the docs suite")),
    ("terraform fmt", Kind::Tested("the terraform suite")),
    ("terraform validate", Kind::Tested("the terraform suite")),
    ("terraform test", Kind::Tested("the terraform suite")),
    ("cargo xtask dev", Kind::Local(
            "runs until Ctrl-C; the web suite starts the same stack (xtask/src/stack.rs) on free ports and drives it in Chromium",
        )),
    ("cargo xtask bench", Kind::Local("a load test of about a minute, too slow and noisy for the test command")),
    ("cargo xtask dist", Kind::Local("a release build, which the nix suite's build graph and CI's release workflow cover")),
    ("cargo xtask cluster-vars", Kind::Local(
            "needs a real environment's `terraform output -json`; the terraform suite runs its generator and check on the emulator's outputs",
        )),
    ("cargo xtask repro", Kind::Local("two release builds, too slow for the test command; CI's release workflow runs the Nix equivalent")),
    ("cd", Kind::Neutral),
    ("cp .env.example .env", Kind::Neutral),
    ("openssl rand", Kind::Neutral),
    ("jq", Kind::Neutral),
    ("sha256sum", Kind::Neutral),
    ("base64", Kind::Neutral),
    ("git", Kind::Neutral),
    ("terraform", Kind::Needs("AWS")),
    ("terraform providers", Kind::Needs("a network connection")),
    ("aws", Kind::Needs("AWS")),
    ("kubectl", Kind::Needs("a cluster")),
    ("flux", Kind::Needs("a cluster")),
    ("amtool", Kind::Needs("a cluster")),
    ("helm", Kind::Needs("a cluster")),
    ("nix", Kind::Needs("Nix")),
    ("./result", Kind::Needs("Nix")),
    ("docker", Kind::Needs("Docker")),
    ("curl", Kind::Needs("a running stack")),
    ("skopeo", Kind::Needs("a registry")),
    ("cosign", Kind::Needs("a registry")),
    ("gh", Kind::Needs("GitHub")),
];

pub fn classify(command: &str) -> Option<Kind> {
    PROGRAMS
        .iter()
        .filter(|(prefix, _)| {
            command == *prefix
                || command.strip_prefix(prefix).is_some_and(|rest| {
                    rest.starts_with([' ', '\t']) || prefix.ends_with(['/', ' '])
                })
        })
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(_, kind)| *kind)
}

#[derive(Debug)]
pub struct Block {
    pub file: PathBuf,
    pub line: usize,
    pub info: String,
    pub body: Vec<String>,
    /// The heading the block sits right under (only blank lines between), if any.
    pub heading: Option<String>,
}

pub fn blocks(file: &Path, text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = vec![];
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        if let Some(info) = t.strip_prefix("```").or_else(|| t.strip_prefix("~~~")) {
            let fence = &t[..3];
            let start = i;
            let mut body = vec![];
            i += 1;
            while i < lines.len() && !lines[i].trim_start().starts_with(fence) {
                body.push(lines[i].to_string());
                i += 1;
            }
            let heading = lines[..start]
                .iter()
                .rev()
                .find(|l| !l.trim().is_empty())
                .filter(|l| l.starts_with('#'))
                .map(|l| l.trim_start_matches('#').trim().to_string());
            out.push(Block {
                file: file.to_path_buf(),
                line: start + 1,
                info: info.split_whitespace().next().unwrap_or("").to_lowercase(),
                body,
                heading,
            });
        }
        i += 1;
    }
    out
}

/// The commands of a shell block: continuation lines joined, comments and prompts removed,
/// split at `&&`, `||`, `;` and `|`, leading variable assignments dropped (a `$(…)` in one
/// counts as a command of its own).
pub fn commands(body: &[String]) -> Vec<String> {
    let mut joined: Vec<String> = vec![];
    let mut cont = false;
    for raw in body {
        let line = raw.trim();
        let line = line.strip_prefix("$ ").unwrap_or(line);
        if !cont && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        let (text, more) = match line.strip_suffix('\\') {
            Some(t) => (t.trim_end().to_string(), true),
            None => (line.to_string(), false),
        };
        if cont {
            let last = joined.last_mut().expect("a continued line");
            last.push(' ');
            last.push_str(&text);
        } else {
            joined.push(text);
        }
        cont = more;
    }
    let mut out = vec![];
    for line in joined {
        let line = strip_comment(&line);
        for part in split_unquoted(&line) {
            let mut words: Vec<&str> = part.split_whitespace().collect();
            while let Some(w) = words.first() {
                if is_assignment(w) {
                    if let Some(i) = w.find("$(") {
                        let inner = w[i + 2..].to_string();
                        let rest = words[1..].join(" ");
                        out.push(
                            format!("{inner} {rest}")
                                .trim_end_matches(')')
                                .trim()
                                .to_string(),
                        );
                        words.clear();
                        break;
                    }
                    words.remove(0);
                } else {
                    break;
                }
            }
            if !words.is_empty() {
                out.push(words.join(" "));
            }
        }
    }
    out
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    })
}

fn strip_comment(line: &str) -> String {
    let (mut single, mut double) = (false, false);
    let chars: Vec<char> = line.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && (i == 0 || chars[i - 1].is_whitespace()) => {
                return chars[..i].iter().collect::<String>().trim_end().to_string();
            }
            _ => {}
        }
    }
    line.to_string()
}

fn split_unquoted(line: &str) -> Vec<String> {
    let (mut single, mut double, mut depth) = (false, false, 0i32);
    let mut parts = vec![];
    let mut cur = String::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '(' if !single && !double => depth += 1,
            ')' if !single && !double => depth -= 1,
            _ => {}
        }
        let free = !single && !double && depth == 0;
        if free && (c == '|' || c == ';' || (c == '&' && chars.get(i + 1) == Some(&'&'))) {
            parts.push(std::mem::take(&mut cur));
            if chars.get(i + 1) == Some(&c) {
                i += 1;
            }
        } else {
            cur.push(c);
        }
        i += 1;
    }
    parts.push(cur);
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// What a block declares it needs.
pub fn declared(block: &Block) -> Result<Vec<&'static str>, String> {
    let mut out = vec![];
    for line in &block.body {
        if let Some(list) = line.trim().strip_prefix("# needs:") {
            for item in list.split(',').map(str::trim) {
                match NEEDS.iter().find(|n| **n == item) {
                    Some(n) => out.push(*n),
                    None => return Err(format!("unknown need {item:?} (one of {NEEDS:?})")),
                }
            }
        }
    }
    if let Some(h) = &block.heading {
        if let Some(n) = NEEDS.iter().find(|n| h == &format!("With {n}")) {
            out.push(*n);
        }
    }
    Ok(out)
}

const SHELL: &[&str] = &["sh", "bash", "shell", "console"];

/// Unmarked commands in sections that another change is rewriting right now: reported as
/// warnings, not errors, until that change lands. (file, command prefix, why)
const PENDING: &[(&str, &str, &str)] = &[];

/// Every violation in `blocks`, and the `local` commands found.
pub fn check(blocks: &[Block]) -> (Vec<String>, Vec<String>, usize) {
    let mut problems = vec![];
    let mut local = vec![];
    let mut count = 0;
    for b in blocks {
        let at = format!("{}:{}", b.file.display(), b.line);
        if !SHELL.contains(&b.info.as_str()) {
            if b.info.is_empty() {
                for line in &b.body {
                    let first = line.trim().trim_start_matches("$ ");
                    let known = matches!(classify(first), Some(k) if k != Kind::Neutral);
                    if known && !first.starts_with('|') {
                        problems.push(format!(
                            "{at}: an untagged block runs `{first}`: fence it with ```sh"
                        ));
                        break;
                    }
                }
            }
            continue;
        }
        let needs = match declared(b) {
            Ok(n) => n,
            Err(e) => {
                problems.push(format!("{at}: {e}"));
                continue;
            }
        };
        for c in commands(&b.body) {
            count += 1;
            match classify(&c) {
                None => problems.push(format!(
                    "{at}: `{c}`: unknown program; add it to docs/commands.rs with what it needs"
                )),
                Some(Kind::Tested(_)) | Some(Kind::Neutral) => {}
                Some(Kind::Local(why)) => local.push(format!("{at}: `{c}`: {why}")),
                Some(Kind::Needs(n)) if needs.contains(&n) => {}
                Some(Kind::Needs(n)) => {
                    let file = b.file.to_string_lossy();
                    match PENDING
                        .iter()
                        .find(|(f, p, _)| file == *f && c.starts_with(p))
                    {
                        Some((_, _, why)) => local.push(format!("{at}: `{c}` (PENDING: {why})")),
                        None => problems.push(format!(
                            "{at}: `{c}` needs {n}: say so in its block (`# needs: {n}`)"
                        )),
                    }
                }
            }
        }
    }
    (problems, local, count)
}

/// The needs a page declares in its banner: a line `> Needs: AWS, a cluster. …` (the list ends
/// at the first full stop).
pub fn banner(text: &str) -> Result<Vec<&'static str>, String> {
    let Some(line) = text.lines().find_map(|l| l.strip_prefix("> Needs: ")) else {
        return Ok(vec![]);
    };
    let list = line.split('.').next().unwrap_or("");
    list.split(',')
        .map(str::trim)
        .map(|item| {
            NEEDS
                .iter()
                .find(|n| **n == item)
                .copied()
                .ok_or_else(|| format!("banner: unknown need {item:?} (one of {NEEDS:?})"))
        })
        .collect()
}

/// Inline code spans outside fenced blocks that are commands needing something: at least two
/// words, the first a program [`classify`] says needs X. Returns (line, span, X).
pub fn inline_needs(text: &str) -> Vec<(usize, String, &'static str)> {
    let mut out = vec![];
    for (n, line) in super::prose_lines(text) {
        for span in line.split('`').skip(1).step_by(2) {
            if span.split_whitespace().count() < 2 {
                continue;
            }
            for c in commands(&[span.to_string()]) {
                if let Some(Kind::Needs(need)) = classify(&c) {
                    out.push((n, span.to_string(), need));
                }
            }
        }
    }
    out
}

/// Problems of one page: inline commands whose needs neither its banner nor the banner of its
/// directory's README.md declares.
pub fn inline_problems(file: &str, text: &str, dir_banner: &[&'static str]) -> Vec<String> {
    let declared = match banner(text) {
        Ok(d) => d,
        Err(e) => return vec![format!("{file}: {e}")],
    };
    let mut out = vec![];
    let mut reported = vec![];
    for (line, span, need) in inline_needs(text) {
        if declared.contains(&need) || dir_banner.contains(&need) || reported.contains(&need) {
            continue;
        }
        reported.push(need);
        out.push(format!(
            "{file}:{line}: `{span}` needs {need}: declare it in the page's banner \
             (`> Needs: {need}. …` under the title)"
        ));
    }
    out
}

/// Suites named after `cargo xtask test` (`--only X`, repeated) that are not in `known`.
pub fn unknown_suites(text: &str, known: &[&str]) -> Vec<String> {
    let mut out = vec![];
    let mut rest = text;
    while let Some(i) = rest.find("cargo xtask test") {
        rest = &rest[i + "cargo xtask test".len()..];
        let mut words = rest.split_whitespace().peekable();
        while words.peek() == Some(&"--only") {
            words.next();
            if let Some(name) = words.next() {
                let name = name.trim_end_matches(|c: char| !c.is_ascii_alphanumeric());
                if !name.starts_with('<') && !known.contains(&name) {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

pub fn markdown_files() -> Result<Vec<PathBuf>> {
    let mut files = vec![root().join("README.md")];
    let mut stack = vec![root().join("docs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

pub fn run() -> Result<()> {
    let mut all = vec![];
    let files = markdown_files()?;
    for f in &files {
        let rel = f.strip_prefix(root()).unwrap_or(f).to_path_buf();
        all.extend(blocks(&rel, &std::fs::read_to_string(f)?));
    }
    let (problems, local, count) = check(&all);
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    eprintln!(
        "docs: {count} commands in {} shell blocks of {} files: each tested or marked",
        all.iter()
            .filter(|b| SHELL.contains(&b.info.as_str()))
            .count(),
        files.len()
    );
    for l in &local {
        eprintln!("docs: not in the test command: {l}");
    }
    for (file, prefix, _) in PENDING {
        if !local
            .iter()
            .any(|l| l.starts_with(&format!("{file}:")) && l.contains(&format!("`{prefix}")))
        {
            eprintln!("docs: note: the PENDING exception for `{prefix}` in {file} matches nothing any more; remove it");
        }
    }

    // `cargo xtask test --only <suite>` anywhere in the docs names a suite that exists.
    let mut suites: Vec<&str> = crate::suites::ALL.iter().map(|s| s.name).collect();
    suites.push("rust");
    let mut named = 0;
    for f in &files {
        let text = std::fs::read_to_string(f)?;
        let bad = unknown_suites(&text, &suites);
        named += text.matches("--only ").count();
        if !bad.is_empty() {
            bail!(
                "{}: `cargo xtask test --only` names suites that do not exist: {bad:?} (known: {suites:?})",
                f.strip_prefix(root()).unwrap_or(f).display()
            );
        }
    }
    ensure!(
        unknown_suites("run `cargo xtask test --only docs --only nope`", &suites) == ["nope"],
        "the suite-name check missed an unknown suite"
    );
    eprintln!("docs: {named} `--only <suite>` mentions name existing suites");

    // Inline commands: the page (or its directory's README.md) declares what they need.
    let mut inline = 0;
    let mut problems = vec![];
    for f in &files {
        let text = std::fs::read_to_string(f)?;
        let readme = f.with_file_name("README.md");
        let dir_banner =
            if readme != *f && readme.starts_with(root().join("docs")) && readme.is_file() {
                banner(&std::fs::read_to_string(&readme)?).unwrap_or_default()
            } else {
                vec![]
            };
        inline += inline_needs(&text).len();
        let rel = f.strip_prefix(root()).unwrap_or(f).display().to_string();
        problems.extend(inline_problems(&rel, &text, &dir_banner));
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    let unmarked = "# T\n\nRun `kubectl -n conduit get pods` and `nix build .#api`.\n";
    let marked = "# T\n\n> Needs: a cluster, Nix. Live commands.\n\nRun `kubectl -n conduit get pods` and `nix build .#api`.\n";
    ensure!(
        inline_problems("t.md", unmarked, &[]).len() == 2
            && inline_problems("t.md", marked, &[]).is_empty()
            && inline_problems("t.md", unmarked, &["a cluster", "Nix"]).is_empty(),
        "the inline command check does not tell marked from unmarked pages"
    );
    eprintln!("docs: {inline} inline commands, each page declares what they need");

    // Negative control: an unmarked AWS command, a wrong marker, an unknown program and an
    // untagged block with a command must each be reported.
    let control = "```sh\naws s3 ls\n```\n\n```sh\n# needs: Nix\nkubectl get pods\n```\n\n\
                   ```bash\nfrobnicate --all\n```\n\n```\nflux get all\n```\n\n\
                   ```sh\n# needs: a cluster\nkubectl get pods  # fine\ncargo xtask test --only docs\n```\n";
    let (found, _, _) = check(&blocks(Path::new("control.md"), control));
    let expect = [
        "control.md:1: `aws s3 ls` needs AWS",
        "control.md:5: `kubectl get pods` needs a cluster",
        "control.md:10: `frobnicate --all`: unknown program",
        "control.md:14: an untagged block runs `flux get all`",
    ];
    for e in expect {
        if !found.iter().any(|f| f.starts_with(e)) {
            bail!("the command policy missed {e:?}; it reported {found:#?}");
        }
    }
    if found.len() != expect.len() {
        bail!("the command policy reported more than expected: {found:#?}");
    }
    eprintln!("docs: control: unmarked, mismarked, unknown and untagged commands are rejected");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_pipelines_assignments_and_continuations() {
        let body: Vec<String> = [
            "# a comment",
            "DIGEST=$(skopeo inspect --format '{{.Digest}}' x)",
            "nix build .#api-image && ./result | docker load   # load it",
            "cosign verify x \\",
            "  --certificate-oidc-issuer \"$ISSUER\" | jq -r '.a | .b'",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            commands(&body),
            vec![
                "skopeo inspect --format '{{.Digest}}' x",
                "nix build .#api-image",
                "./result",
                "docker load",
                "cosign verify x --certificate-oidc-issuer \"$ISSUER\"",
                "jq -r '.a | .b'",
            ]
        );
    }

    #[test]
    fn the_longest_prefix_wins() {
        assert_eq!(
            classify("terraform fmt -check"),
            Some(Kind::Tested("the terraform suite"))
        );
        assert_eq!(classify("terraform apply"), Some(Kind::Needs("AWS")));
        assert_eq!(classify("terraformer"), None);
    }
}

//! The `docs` suite: the documentation and the Docker Compose path, offline. Each check runs a
//! maintained tool where there is one, and then shows it a fixture (under `docs/` beside this
//! file) that it must reject: the diagrams (`docs/diagrams/render.mjs`: mermaid in Chromium);
//! compose.yaml against the Compose specification and our policy (check-jsonschema); what
//! compose.yaml shares with Cargo.toml, the Nix images, the programs and `.env.example`; the
//! variables of docs/configuration.md against both binaries' `--help` (clap's `[env: …]`); the
//! command convention of the docs (`docs/needs.toml`); and every relative link, anchor and
//! alert `runbook_url` (lychee, offline, with fragments).

use crate::util::{cmd, output, require, root};
use anyhow::{ensure, Context, Result};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const VENV_HINT: &str = "run .ci/run (it installs .ci/requirements.txt into target/ci-venv)";
/// Where the alerts' `runbook_url`s point: this repository's default branch.
const REPO_BLOB: &str = "https://github.com/conduit-platform/conduit/blob/main/";

/// A file of this suite's own (configuration and fixtures).
fn own(name: &str) -> PathBuf {
    root().join("xtask/src/suites/docs").join(name)
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

type Check = fn() -> Result<()>;

pub fn run() -> Result<()> {
    let started = Instant::now();
    let checks: [(&str, Check); 6] = [
        ("diagrams render and are current", diagrams),
        ("compose.yaml: Compose spec and policy", compose_schemas),
        ("compose.yaml agrees with the other layers", compose_layers),
        ("configuration.md matches --help", configuration),
        ("commands say what they need", commands),
        ("links, anchors and runbook_urls resolve", links),
    ];
    for (what, check) in checks {
        let t = Instant::now();
        check().with_context(|| format!("docs: {what}"))?;
        eprintln!("docs: {what}: ok ({:.1?})", t.elapsed());
    }
    eprintln!("docs: all checks passed in {:.1?}", started.elapsed());
    Ok(())
}

/// Runs `c` on the repository, then shows it `fixture`, which it must reject.
fn passes_and_rejects(c: impl Fn(&[&Path]) -> Command, fixture: &str) -> Result<()> {
    eprint!("{}", output(&mut c(&[]))?);
    let fixture = own(fixture);
    super::rejects(&mut c(&[&fixture]), &fixture)
}

fn diagrams() -> Result<()> {
    let node = require("node", "install Node.js (Debian: nodejs), then `npm ci`")?;
    let render = |fixture: &[&Path]| {
        let mut c = cmd(&node);
        c.arg("docs/diagrams/render.mjs");
        if let Some(doc) = fixture.first() {
            c.arg(format!("--dir={}", own("fixtures/diagrams").display()));
            c.arg(format!("--doc={}", doc.display()));
        }
        c
    };
    passes_and_rejects(render, "fixtures/diagrams.md")
}

fn compose_schemas() -> Result<()> {
    let policy = own("compose-policy.schema.yaml");
    let policy = ["--schemafile", policy.to_str().context("UTF-8")?];
    let spec = ["--builtin-schema", "vendor.compose-spec"];
    check_compose(&spec, "compose-misspelt.yaml")?;
    check_compose(&policy, "compose-insecure.yaml")
}

/// check-jsonschema with `schema` on compose.yaml, then on `fixtures/<fixture>`.
fn check_compose(schema: &[&str], fixture: &str) -> Result<()> {
    let tool = require("check-jsonschema", VENV_HINT)?;
    let check = |fixture: &[&Path]| {
        let mut c = cmd(&tool);
        let file = fixture.first().map_or(Path::new("compose.yaml"), |f| f);
        c.args(schema).arg(file);
        c
    };
    passes_and_rejects(check, &format!("fixtures/{fixture}"))
}

/// The problems of a compose.yaml `text` against the crate `version`, the images' `uid`, the
/// variables the programs `read` and `.env.example`.
fn layer_problems(text: &str, version: &str, uid: &str, read: &[&str], env: &str) -> Vec<String> {
    let mut p = std::collections::BTreeSet::new();
    for (image, n) in [("api", 2), ("web", 1)] {
        if text.matches(&format!(":-{image}:{version}}}")).count() != n {
            p.insert(format!("{image}: the image is not {image}:{version}"));
        }
    }
    if text.matches(&format!("user: \"{uid}:{uid}\"")).count() != 3 {
        p.insert(format!("migrate, api and web must run as {uid}:{uid}"));
    }
    let compose: serde_yaml::Value = serde_yaml::from_str(text).unwrap_or_default();
    for svc in ["migrate", "api", "web"] {
        let env = compose["services"][svc]["environment"].as_mapping();
        let keys = env.into_iter().flat_map(|e| e.keys());
        for k in keys.filter_map(|k| k.as_str()) {
            if k != "RUST_LOG" && !read.contains(&k) {
                p.insert(format!("{svc}: no program reads {k}"));
            }
        }
    }
    // `${NAME:?…}` is required from .env, which .env.example shows with a placeholder.
    for name in text.split("${").filter_map(|t| Some(t.split_once(":?")?.0)) {
        let placeholder = format!("\n{name}=change-me");
        if name.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !env.contains(&placeholder) {
            p.insert(format!(".env.example lacks {name}=change-me…"));
        }
    }
    p.into_iter().collect()
}

fn compose_layers() -> Result<()> {
    let file = |p: &str| read(&root().join(p));
    let (text, env) = (file("compose.yaml")?, file(".env.example")?);
    let manifest: toml::Table = file("Cargo.toml")?.parse()?;
    let version = manifest["package"]["version"].as_str();
    let version = version.context("no version")?;
    let images = file("nix/images.nix")?;
    let uid = images.lines().find_map(|l| l.trim().strip_prefix("uid = "));
    let uid = uid.and_then(|u| u.strip_suffix(';'));
    let uid = uid.context("no `uid = …;` in images.nix")?;
    // The variables the programs read: the upper-case string literals of src/ and web/src/.
    let names = r#""(CONDUIT|OTEL)_[A-Z0-9_]+"|"(DATABASE|REDIS)_URL""#;
    let found = output(cmd("git").args(["grep", "-hoE", names, "--", "src", "web/src"]))?;
    let read: Vec<&str> = found.lines().map(|l| l.trim_matches('"')).collect();
    let problems = layer_problems(&text, version, uid, &read, &env);
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    let ignored = output(cmd("git").args(["check-ignore", "--no-index", ".env"]));
    ensure!(ignored.is_ok(), ".env is not git-ignored");
    // Control: another version and user, a misspelt variable and one .env.example lacks.
    let text = text.replace(" CONDUIT_LISTEN:", " CONDUIT_LISTN:");
    let text = text.replace("${POSTGRES", "${PG");
    let found = layer_problems(&text, "9.9.9", "0", &read, &env);
    ensure!(found.len() == 5, "a variant passed: {found:#?}");
    eprintln!("docs: control: two tags, a user and two variables are rejected");
    Ok(())
}

/// What the commands on a line need (split at `&&`, `||`, `;`, `|` and `$(`, without comments
/// and leading variable assignments), by the longest prefix in `needs.toml` that matches.
fn line_needs<'a>(line: &str, needs: &'a toml::Table) -> Vec<&'a str> {
    let line = line.trim().trim_start_matches("$ ");
    let line = line.split(" #").next().unwrap_or_default();
    let mut found = vec![];
    for command in line.split(['|', ';', '&']).flat_map(|c| c.split("$(")) {
        let words = command.split_whitespace().skip_while(|w| w.contains('='));
        let command = words.collect::<Vec<_>>().join(" ") + " ";
        let matching = |(p, _): &(&String, _)| command.starts_with(&format!("{p} "));
        let prefix = needs.iter().filter(matching).max_by_key(|(p, _)| p.len());
        let need = prefix.and_then(|(_, n)| n.as_str());
        found.extend(need.filter(|n| !n.is_empty()));
    }
    found
}

/// The violations of the convention in one page, whose banner (with its directory README's) is
/// `banner`.
fn command_problems(file: &str, text: &str, banner: &str, needs: &toml::Table) -> Vec<String> {
    let mut suites: Vec<&str> = crate::suites::ALL.iter().map(|s| s.name).collect();
    suites.push("rust");
    let (mut p, mut fence, mut heading, mut declared) = (vec![], None, "", String::new());
    for (n, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let mut problem = |what: String| p.push(format!("{file}:{}: {what}", n + 1));
        if let Some(info) = t.strip_prefix("```") {
            (fence, declared) = (fence.xor(Some(info.trim())), heading.to_string());
            continue;
        }
        let shell = matches!(fence, Some("sh" | "bash" | "shell" | "console"));
        if shell {
            declared += t.strip_prefix("# needs:").unwrap_or_default();
        }
        for need in fence.map(|_| line_needs(line, needs)).unwrap_or_default() {
            if fence == Some("") {
                problem(format!("an untagged block runs `{t}`: fence it with ```sh"));
            } else if shell && !declared.contains(need) {
                problem(format!("`{t}` needs {need}: say `# needs: {need}`"));
            }
        }
        if fence.is_none() && !t.is_empty() {
            let title = t.strip_prefix('#');
            let title = title.map(|h| h.trim_start_matches(['#', ' ']));
            heading = title.and_then(|h| h.strip_prefix("With ")).unwrap_or("");
            let spans = line.split('`').skip(1).step_by(2);
            for span in spans.filter(|s| s.contains(' ')) {
                for need in line_needs(span, needs) {
                    if !banner.contains(need) {
                        problem(format!("`{span}` needs {need}: add it to the banner"));
                    }
                }
            }
        }
        for rest in line.split("--only ").skip(1) {
            let name = rest.split(|c: char| !c.is_ascii_alphanumeric()).next();
            if let Some(name) = name.filter(|n| !n.is_empty() && !suites.contains(n)) {
                problem(format!("`--only {name}`: no such suite"));
            }
        }
    }
    p
}

fn banner(text: &str) -> Option<&str> {
    text.lines().find_map(|l| l.strip_prefix("> Needs: "))
}

fn commands() -> Result<()> {
    let needs: toml::Table = read(&own("needs.toml"))?.parse()?;
    let pages = ["ls-files", "-co", "--exclude-standard", "README.md"];
    let pages = output(cmd("git").args(pages).arg("docs/*.md"))?;
    let mut problems = vec![];
    for page in pages.lines().map(Path::new) {
        let text = read(&root().join(page))?;
        // A page in a directory under docs/ shares the banner of the directory's README.
        let readme = page.with_file_name("README.md");
        let shared = match readme.starts_with("docs") && readme != page {
            true => read(&root().join(readme))?,
            false => String::new(),
        };
        let banners = [banner(&text), banner(&shared)].map(Option::unwrap_or_default);
        let file = page.display().to_string();
        problems.extend(command_problems(&file, &text, &banners.concat(), &needs));
    }
    ensure!(problems.is_empty(), "{}", problems.join("\n"));
    let n = pages.lines().count();
    eprintln!("docs: {n} pages: their commands say what they need");
    let fixture = read(&own("fixtures/commands.md"))?;
    let found = command_problems("fixtures/commands.md", &fixture, "", &needs);
    let expected = fixture.matches("expect: ").count();
    ensure!(found.len() == expected && expected > 0, "{found:#?}");
    eprintln!("docs: control: fixtures/commands.md: {expected} commands rejected");
    Ok(())
}

fn links() -> Result<()> {
    let lychee = require("lychee", VENV_HINT)?;
    let repo = ["README.md", "docs/**/*.md", "kustomize/**/*.yaml"];
    let remap = format!("{REPO_BLOB} file://{}/", root().display());
    let check = |fixture: &[&Path]| {
        let mut c = cmd(&lychee);
        c.args(["--offline", "--include-fragments", "--no-progress"]);
        c.args(["--remap", &remap]);
        match fixture.first() {
            Some(f) => c.arg(f),
            None => c.args(repo),
        };
        c
    };
    passes_and_rejects(check, "fixtures/links.md")
}

/// The variables a `--help` text names: clap's `[env: NAME=…]` annotations.
fn help_variables(help: &str) -> BTreeSet<&str> {
    let names = help.split("[env: ").skip(1);
    names.filter_map(|r| r.split(['=', ']']).next()).collect()
}

/// The service variables in the first column of the table under `## {heading}` (`RUST_LOG`,
/// read by the logging library and not an option, is left out).
fn documented_variables<'a>(doc: &'a str, heading: &str) -> BTreeSet<&'a str> {
    let section = doc.split("\n## ").find(|s| s.starts_with(heading));
    let rows = section.unwrap_or_default().lines();
    let cells = rows.filter_map(|l| l.strip_prefix("| ")?.split(" | ").next());
    let names = cells.flat_map(|cell| cell.split('`').skip(1).step_by(2));
    let upper = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_';
    let variable = |n: &&str| !n.is_empty() && *n != "RUST_LOG" && n.chars().all(upper);
    names.filter(variable).collect()
}

/// Differences between a section's table and a binary's `--help`, as messages.
fn disagreements(doc: &str, heading: &str, help: &str) -> Vec<String> {
    let (table, help) = (documented_variables(doc, heading), help_variables(help));
    let w = format!("the table under \"{heading}\"");
    let in_help = help.difference(&table).map(|n| format!("`{n}` not in {w}"));
    let in_table = table
        .difference(&help)
        .map(|n| format!("`{n}` of {w}: no --help"));
    in_help.chain(in_table).collect()
}

fn configuration() -> Result<()> {
    let mut api = crate::util::cargo("run -q --locked -p conduit-api -- --help");
    let api = output(&mut api)?;
    // The web server builds only as a Perseus engine (as `cargo xtask dist` builds it).
    let web = output(crate::web::half("engine", "run -q")?.args(["--", "--help"]))?;
    let doc = read(&root().join("docs/configuration.md"))?;
    let mut problems = vec![];
    for (heading, help) in [("The API", &api), ("The web server", &web)] {
        let n = help_variables(help).len();
        ensure!(n > 3, "\"{heading}\": no variables in --help:\n{help}");
        problems.extend(disagreements(&doc, heading, help));
        eprintln!("docs: {heading}: {n} variables in --help");
    }
    let problems = problems.join("; ");
    ensure!(problems.is_empty(), "docs/configuration.md: {problems}");
    // Controls: a variable missing from the table, and one missing from --help.
    let without = doc.replace("| `CONDUIT_JWT_SECRET` |", "| the key |");
    let fewer = api.replace("[env: CONDUIT_WORKERS", "[");
    let found = [(&without, &api), (&doc, &fewer)].map(|(d, h)| disagreements(d, "The API", h));
    let rejected = found.iter().all(|f| f.len() == 1);
    ensure!(rejected, "a control passed: {found:?}");
    eprintln!("docs: control: a variable missing from the table or --help is rejected");
    Ok(())
}

//! Runs every script a flake check runs (`nix/checks/*.sh`) outside Nix, in a directory laid
//! out like the Nix build sandbox, so a script that could never pass in the sandbox fails
//! here first:
//!
//! - `$src` is a copy of the check's filtered source (the git-tracked files of the
//!   directories its `# source:` line names), read-only;
//! - the working directory is a fresh, empty, writable build directory (also `TMPDIR` and
//!   `NIX_BUILD_TOP`); `$out` does not exist yet and must exist afterwards;
//! - `HOME=/homeless-shelter`, which does not exist; the environment is otherwise empty;
//! - no network: a network namespace of its own with only loopback (needs root);
//! - as root, the script runs as the unprivileged user 65534, like Nix's build users, so
//!   the read-only source is really read-only;
//! - the tools named on its `# tools:` line come from PATH (a `python3:<module>` entry is a
//!   Python module). A script whose tools are missing here is skipped with a line naming them.
//!
//! Before the real scripts, fixture scripts that break each rule must fail (self-test).

use crate::util::{output, root};
use anyhow::{bail, Context, Result};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// Numeric user and group the scripts run as when xtask runs as root.
const BUILD_USER: &str = "65534";

#[derive(Debug, PartialEq)]
pub enum Tool {
    Command(String),
    PythonModule(String),
}

#[derive(Debug, PartialEq)]
pub struct Header {
    pub tools: Vec<Tool>,
    /// Repository directories the check's source holds.
    pub sources: Vec<String>,
}

/// Reads the `# tools:` and `# source:` lines of a script.
pub fn parse_header(text: &str) -> Result<Header> {
    let mut tools = None;
    let mut sources = Vec::new();
    for line in text
        .lines()
        .take_while(|l| l.starts_with('#') || l.is_empty())
    {
        if let Some(list) = line.strip_prefix("# tools:") {
            tools = Some(
                list.split_whitespace()
                    .map(|t| match t.strip_prefix("python3:") {
                        Some(module) => Tool::PythonModule(module.to_string()),
                        None => Tool::Command(t.to_string()),
                    })
                    .collect(),
            );
        } else if let Some(list) = line.strip_prefix("# source:") {
            sources.extend(list.split_whitespace().map(str::to_string));
        }
    }
    let tools = tools.context("no `# tools:` line in the header comment")?;
    if sources
        .iter()
        .any(|s| s.starts_with('/') || s.split('/').any(|p| p == ".."))
    {
        bail!("`# source:` names a path outside the repository: {sources:?}");
    }
    Ok(Header { tools, sources })
}

/// Extra directories searched for tools, after PATH: PostgreSQL's server binaries, which
/// Debian keeps off PATH (the flake puts nixpkgs' postgresql_15 on it).
fn extra_tool_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs.reverse();
    dirs
}

fn find_tool(name: &str, path: &[PathBuf]) -> bool {
    path.iter().any(|d| d.join(name).is_file())
}

fn missing_tools(header: &Header, path: &[PathBuf]) -> Vec<String> {
    header
        .tools
        .iter()
        .filter_map(|t| match t {
            Tool::Command(c) if !find_tool(c, path) => Some(c.clone()),
            Tool::PythonModule(m) => {
                let ok = Command::new("python3")
                    .args(["-c", &format!("import {m}")])
                    .output()
                    .is_ok_and(|o| o.status.success());
                (!ok).then(|| format!("python3 module {m}"))
            }
            Tool::Command(_) => None,
        })
        .collect()
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|u| u.trim() == "0")
}

/// How close to the Nix sandbox this machine lets the harness get.
#[derive(Clone, Copy, PartialEq)]
pub enum Isolation {
    /// Root: the build user 65534, and a loopback-only network namespace when `netns`.
    Root { netns: bool },
    /// Not root: the caller's user and network (read-only files are read-only all the same).
    User,
}

impl Isolation {
    pub fn detect() -> Self {
        if !is_root() {
            return Isolation::User;
        }
        let netns = Command::new("unshare")
            .args(["--net", "--", "sh", "-c", "ip link set lo up"])
            .output()
            .is_ok_and(|o| o.status.success());
        Isolation::Root { netns }
    }
}

/// Stand-ins for a tool nixpkgs provides but this machine lacks, used only when the real
/// tool is missing and the stand-in's own tool is present, and always announced:
/// (tool, tool the stand-in runs, the stand-in script). kubectl embeds kustomize, and the
/// checks only ever call `kustomize build`.
const STAND_INS: &[(&str, &str, &str)] = &[(
    "kustomize",
    "kubectl",
    "#!/bin/sh\n[ \"$1\" = build ] || { echo \"kustomize stand-in: only 'kustomize build' is supported\" >&2; exit 2; }\nshift\nexec kubectl kustomize \"$@\"\n",
)];

/// Writes the stand-ins this machine needs into `dir`; returns the ones written.
fn write_stand_ins(dir: &Path, path: &[PathBuf]) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for (tool, runs, text) in STAND_INS {
        if !find_tool(tool, path) && find_tool(runs, path) {
            std::fs::create_dir_all(dir)?;
            let file = dir.join(tool);
            std::fs::write(&file, text)?;
            output(Command::new("chmod").args(["-R", "a+rx"]).arg(dir))?;
            written.push(format!("`{tool}` is a stand-in running `{runs}`"));
        }
    }
    Ok(written)
}

/// One prepared sandbox-like directory.
pub struct Sandbox {
    pub dir: PathBuf,
    pub src: PathBuf,
    pub build: PathBuf,
    pub out: PathBuf,
    script: PathBuf,
    isolation: Isolation,
}

impl Sandbox {
    /// Lays out `dir`: the script, the read-only source, the build and output directories.
    pub fn new(
        dir: &Path,
        script_text: &str,
        sources: &[String],
        isolation: Isolation,
    ) -> Result<Self> {
        if dir.exists() {
            make_writable(dir)?;
            std::fs::remove_dir_all(dir)?;
        }
        let src = dir.join("src");
        let build = dir.join("build");
        let outputs = dir.join("outputs");
        for d in [&src, &build, &outputs] {
            std::fs::create_dir_all(d)?;
        }
        let script = dir.join("check.sh");
        std::fs::write(&script, script_text)?;
        copy_tracked(&root(), sources, &src)?;
        make_read_only(&src)?;
        if isolation != Isolation::User {
            for d in [dir, &src] {
                chmod(d, "a+rx")?;
            }
            chmod(&script, "a+r")?;
            let owner = format!("{BUILD_USER}:{BUILD_USER}");
            for d in [&build, &outputs] {
                output(Command::new("chown").arg(&owner).arg(d))?;
            }
        }
        Ok(Sandbox {
            out: outputs.join("out"),
            dir: dir.to_path_buf(),
            src,
            build,
            script,
            isolation,
        })
    }

    /// Runs `bash <script>` (or `bash -c <driver> <script>`) with `env` added to the
    /// sandbox environment. Returns the combined output; an error when the script fails or
    /// leaves no `$out`.
    pub fn run(
        &self,
        path: &[PathBuf],
        env: &[(String, OsString)],
        driver: Option<&str>,
    ) -> Result<String> {
        let path = std::env::join_paths(path)?;
        let mut inner: Vec<OsString> = vec!["env".into(), "-i".into()];
        let mut set = |k: &str, v: &std::ffi::OsStr| {
            let mut kv = OsString::from(format!("{k}="));
            kv.push(v);
            inner.push(kv);
        };
        set("PATH", &path);
        set("HOME", "/homeless-shelter".as_ref());
        for k in ["TMPDIR", "TMP", "TEMP", "TEMPDIR", "NIX_BUILD_TOP"] {
            set(k, self.build.as_os_str());
        }
        set("src", self.src.as_os_str());
        set("out", self.out.as_os_str());
        for (k, v) in env {
            set(k, v);
        }
        inner.push("bash".into());
        if let Some(d) = driver {
            // `bash -c DRIVER SCRIPT`: the driver finds the script in `$0`.
            inner.extend(["-c".into(), d.into()]);
        }
        inner.push(self.script.clone().into());

        let drop_to_build_user = [
            "setpriv".into(),
            format!("--reuid={BUILD_USER}").into(),
            format!("--regid={BUILD_USER}").into(),
            "--clear-groups".into(),
            "--".into(),
        ];
        let mut c = match self.isolation {
            // A network namespace with only loopback, then the build user.
            Isolation::Root { netns: true } => {
                let mut c = Command::new("unshare");
                c.args([
                    "--net",
                    "--",
                    "sh",
                    "-c",
                    "ip link set lo up && exec \"$@\"",
                    "sandbox",
                ]);
                c.args(drop_to_build_user.iter().chain(&inner));
                c
            }
            Isolation::Root { netns: false } => {
                let mut c = Command::new("setpriv");
                c.args(drop_to_build_user[1..].iter().chain(&inner));
                c
            }
            Isolation::User => {
                let mut c = Command::new(&inner[0]);
                c.args(&inner[1..]);
                c
            }
        };
        c.current_dir(&self.build)
            .stdin(std::process::Stdio::null());
        let out = c.output().context("starting the sandboxed script")?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            // Warnings and errors first (tools often print the cause long before the end).
            let key: Vec<&str> = text
                .lines()
                .filter(|l| {
                    ["WARNING", "Error", "error:", "FAILED", "No such"]
                        .iter()
                        .any(|k| l.contains(k))
                })
                .take(10)
                .collect();
            bail!(
                "failed with {}:\n{}\n    ... last lines:\n{}",
                out.status,
                tail(&key.join("\n"), 10),
                tail(&text, 25)
            );
        }
        if std::fs::symlink_metadata(&self.out).is_err() {
            bail!("succeeded but created no $out:\n{}", tail(&text, 20));
        }
        Ok(text)
    }

    pub fn remove(&self) {
        let _ = make_writable(&self.dir);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(n);
    lines[start..]
        .iter()
        .map(|l| format!("    | {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn chmod(path: &Path, mode: &str) -> Result<()> {
    output(Command::new("chmod").arg(mode).arg(path))?;
    Ok(())
}

fn make_read_only(dir: &Path) -> Result<()> {
    output(Command::new("chmod").args(["-R", "a-w,a+rX"]).arg(dir))?;
    Ok(())
}

fn make_writable(dir: &Path) -> Result<()> {
    output(Command::new("chmod").args(["-R", "u+w"]).arg(dir))?;
    Ok(())
}

/// Copies the git-tracked files under `dirs` (like the flake's `lib.fileset` subtrees, which
/// only ever see tracked files) from `root` into `to`.
fn copy_tracked(root: &Path, dirs: &[String], to: &Path) -> Result<()> {
    if dirs.is_empty() {
        return Ok(());
    }
    let listed = output(
        Command::new("git")
            .current_dir(root)
            // Tracked files only: a flake in a git repository sees nothing else.
            .args(["ls-files", "-z", "--cached", "--"])
            .args(dirs),
    )?;
    for rel in listed.split('\0').filter(|r| !r.is_empty()) {
        let from = root.join(rel);
        if !from.is_file() {
            continue; // deleted in the work tree
        }
        let target = to.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(&from, &target).with_context(|| format!("copying {rel}"))?;
    }
    Ok(())
}

/// What a script gets besides the common contract, the way its derivation provides it.
enum Extra {
    Env(Vec<(String, OsString)>, Option<String>),
    Skip(String),
}

/// The local Terraform provider mirror: `TF_PROVIDER_MIRROR`, or a directory below `/opt`
/// or in Terraform's system plugin directories that holds `registry.terraform.io/`.
fn extra_for(name: &str, sandbox: &Sandbox, fixtures: &Path) -> Result<Extra> {
    Ok(match name {
        // In Nix the providers are plugins built by nixpkgs; here the local filesystem mirror.
        "terraform" => match crate::suites::terraform::mirror::discover().ok() {
            None => Extra::Skip(
                "no Terraform provider mirror here (set TF_PROVIDER_MIRROR)".to_string(),
            ),
            Some(mirror) => {
                let config = sandbox.dir.join("terraform.tfrc");
                std::fs::write(
                    &config,
                    format!(
                        "provider_installation {{\n  filesystem_mirror {{\n    path = \"{}\"\n  }}\n}}\n",
                        mirror.display()
                    ),
                )?;
                chmod(&config, "a+r")?;
                Extra::Env(
                    vec![
                        ("TF_CLI_CONFIG_FILE".into(), config.into()),
                        (
                            "TF_PLUGIN_CACHE_DIR".into(),
                            sandbox.build.join("plugin-cache").into(),
                        ),
                    ],
                    // The cache directory must exist before the first init.
                    Some("mkdir -p \"$TF_PLUGIN_CACHE_DIR\" && exec bash \"$0\"".to_string()),
                )
            }
        },
        // Sourced by checks.nextest's preCheck/postCheck: start, use, stop.
        "test-services" => Extra::Env(
            vec![],
            Some(
                r#"set -euo pipefail
                . "$0"
                startTestServices
                pg_isready -d "$DATABASE_URL"
                redis-cli -u "$REDIS_URL" ping | grep -q PONG
                pg="$DATABASE_URL" redis="$REDIS_URL"
                stopTestServices
                if pg_isready -q -d "$pg"; then
                  echo "PostgreSQL still answers after stopTestServices" >&2; exit 1
                fi
                if redis-cli -u "$redis" ping >/dev/null 2>&1; then
                  echo "Redis still answers after stopTestServices" >&2; exit 1
                fi
                touch "$out""#
                    .to_string(),
            ),
        ),
        // The images come from Nix; here small image tarballs in the same layout.
        "images-no-shell" => {
            let stream = |image: &str| -> Result<OsString> {
                let script = sandbox.dir.join(format!("stream-{image}"));
                std::fs::write(
                    &script,
                    format!(
                        "#!/bin/sh\nexec cat '{}'\n",
                        fixtures.join(format!("{image}.tar")).display()
                    ),
                )?;
                chmod(&script, "a+rx")?;
                Ok(script.into())
            };
            let scanner = sandbox.dir.join("image-scan.py");
            std::fs::copy(root().join("nix/image-scan.py"), &scanner)?;
            chmod(&scanner, "a+r")?;
            Extra::Env(
                vec![
                    ("scanner".into(), scanner.into()),
                    ("apiImage".into(), stream("api")?),
                    ("webImage".into(), stream("web")?),
                    ("shellControlImage".into(), stream("shell-control")?),
                ],
                None,
            )
        }
        _ => Extra::Env(vec![], None),
    })
}

/// The scripts under `nix/checks/`, sorted.
pub fn scripts(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root.join("nix/checks"))
        .context("reading nix/checks")?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    out.sort();
    Ok(out)
}

/// Every script is run by a derivation, and no check keeps its shell text inline.
pub fn check_wiring(root: &Path, scripts: &[PathBuf]) -> Result<()> {
    let checks = std::fs::read_to_string(root.join("nix/checks.nix"))?;
    let mut nix_text = String::new();
    for entry in std::fs::read_dir(root.join("nix"))? {
        let p = entry?.path();
        if p.extension().is_some_and(|e| e == "nix") {
            nix_text.push_str(&std::fs::read_to_string(&p)?);
        }
    }
    for s in scripts {
        let name = s.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if !nix_text.contains(&format!("checks/{name}")) {
            bail!("nix/checks/{name} is run by no derivation under nix/");
        }
    }
    let inline = checks.matches("runCommand").count();
    if inline != 1 {
        bail!(
            "nix/checks.nix calls runCommand {inline} times: every check's script lives in \
             nix/checks/<name>.sh and runs through the one helper, so that this suite runs it too"
        );
    }
    Ok(())
}

/// Fixture scripts, each breaking one rule of the sandbox: every one must fail.
pub const SELF_TEST: &[(&str, &str)] = &[
    (
        "writes into $src",
        "# tools: bash\n# source: nix\nset -eu\ntouch \"$src/nix/new\"\ntouch \"$out\"\n",
    ),
    (
        "writes to $HOME",
        "# tools: bash\nset -eu\nmkdir -p \"$HOME/.cache\"\ntouch \"$out\"\n",
    ),
    ("creates no $out", "# tools: bash\nset -eu\ntrue\n"),
    (
        "reaches past loopback",
        "# tools: python3\nset -eu\npython3 -c 'import socket; socket.create_connection((\"1.1.1.1\", 53), timeout=3)'\ntouch \"$out\"\n",
    ),
    (
        "reads a file git does not track",
        "# tools: bash\n# source: nix\nset -eu\ncat \"$src/nix/.untracked-fixture\"\ntouch \"$out\"\n",
    ),
    (
        "relies on the caller's environment",
        "# tools: bash\nset -eu\ntest -n \"${CARGO:-}${CARGO_HOME:-}${RUSTUP_TOOLCHAIN:-}\"\ntouch \"$out\"\n",
    ),
];

/// A script that follows the rules: it must pass.
pub const SELF_TEST_GOOD: &str =
    "# tools: bash\n# source: nix\nset -eu\ntest -f \"$src/nix/checks.nix\"\necho ok > scratch\ncp scratch \"$out\"\n";

pub fn run(root: &Path) -> Result<()> {
    // Inside a Nix build (checks.nix-lint runs this suite) the checks are derivations of
    // their own, and the source is no git checkout to lay out from.
    // (`nix develop` sets NIX_BUILD_TOP as well, but also IN_NIX_SHELL.)
    if std::env::var_os("NIX_BUILD_TOP").is_some() && std::env::var_os("IN_NIX_SHELL").is_none() {
        eprintln!(
            "  SKIPPED: inside a Nix build, where each of these scripts is a check of its own"
        );
        return Ok(());
    }
    let in_git = Command::new("git")
        .current_dir(root)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !in_git {
        eprintln!(
            "  SKIPPED: {} is not a git checkout (the flake, and this harness, see git-tracked files only)",
            root.display()
        );
        return Ok(());
    }
    let mut path: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    path.extend(extra_tool_dirs());
    let base = std::env::temp_dir().join(format!("conduit-nix-checks-{}", std::process::id()));
    std::fs::create_dir_all(&base)?;
    chmod(&base, "a+rx")?;
    let result = run_in(root, &base, &path);
    let _ = make_writable(&base);
    let _ = std::fs::remove_dir_all(&base);
    result
}

fn run_in(root: &Path, base: &Path, path: &[PathBuf]) -> Result<()> {
    let isolation = Isolation::detect();
    let stand_ins = base.join("stand-ins");
    let announced = write_stand_ins(&stand_ins, path)?;
    let mut path = path.to_vec();
    if !announced.is_empty() {
        path.push(stand_ins);
        eprintln!(
            "  note: {} (nixpkgs provides the real tool in Nix)",
            announced.join("; ")
        );
    }
    let path = &path[..];
    match isolation {
        Isolation::Root { netns: true } => {}
        Isolation::Root { netns: false } => eprintln!(
            "  note: no network namespace here (unshare --net or ip failed): the scripts keep the network"
        ),
        Isolation::User => eprintln!(
            "  note: not root, so the scripts run as this user and keep the network (a network namespace needs root)"
        ),
    }
    // Self-test: the sandbox rejects each broken fixture and accepts the good one.
    let untracked = root.join("nix/.untracked-fixture");
    std::fs::write(&untracked, "not tracked by git\n")?;
    let self_test = (|| -> Result<()> {
        for (what, text) in SELF_TEST {
            if *what == "reaches past loopback" && isolation != (Isolation::Root { netns: true }) {
                continue;
            }
            let header = parse_header(text)?;
            let sb = Sandbox::new(&base.join("self-test"), text, &header.sources, isolation)?;
            let verdict = sb.run(path, &[], None);
            sb.remove();
            if verdict.is_ok() {
                bail!("sandbox self-test: a script that {what} passed");
            }
        }
        let header = parse_header(SELF_TEST_GOOD)?;
        let sb = Sandbox::new(
            &base.join("self-test"),
            SELF_TEST_GOOD,
            &header.sources,
            isolation,
        )?;
        let verdict = sb.run(path, &[], None);
        sb.remove();
        verdict.context("sandbox self-test: the well-behaved fixture script failed")?;
        Ok(())
    })();
    let _ = std::fs::remove_file(&untracked);
    self_test?;
    eprintln!(
        "  self-test: {} rule-breaking fixture scripts rejected, the good one passes",
        SELF_TEST.len()
    );

    let scripts = scripts(root)?;
    check_wiring(root, &scripts)?;
    // The same lint nixpkgs' writeShellApplication runs on its scripts.
    if find_tool("shellcheck", path) {
        let out = Command::new("shellcheck")
            .args(["-s", "bash"])
            .args(&scripts)
            .output()
            .context("running shellcheck")?;
        if !out.status.success() {
            bail!(
                "shellcheck rejects nix/checks/:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        eprintln!("  shellcheck: {} scripts clean", scripts.len());
    } else {
        eprintln!("  SKIPPED shellcheck of nix/checks/*.sh: shellcheck is not on PATH here");
    }
    let fixtures = base.join("fixtures");
    std::fs::create_dir_all(&fixtures)?;
    output(
        Command::new("python3")
            .arg(root.join("nix/tests/fake_images.py"))
            .arg(&fixtures),
    )
    .context("writing the fixture images")?;
    output(Command::new("chmod").args(["-R", "a+rX"]).arg(&fixtures))?;

    let (mut ran, mut skipped, mut failed) = (0, Vec::new(), Vec::new());
    for script in &scripts {
        let name = script
            .file_stem()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let text = std::fs::read_to_string(script)?;
        let header = parse_header(&text).with_context(|| format!("nix/checks/{name}.sh"))?;
        let missing = missing_tools(&header, path);
        if !missing.is_empty() {
            let line = format!("{name}: needs {} (not on PATH here)", missing.join(", "));
            eprintln!("  SKIPPED {line}");
            skipped.push(line);
            continue;
        }
        let sb = Sandbox::new(&base.join(&name), &text, &header.sources, isolation)?;
        let (env, driver) = match extra_for(&name, &sb, &fixtures)? {
            Extra::Skip(why) => {
                eprintln!("  SKIPPED {name}: {why}");
                skipped.push(format!("{name}: {why}"));
                sb.remove();
                continue;
            }
            Extra::Env(env, driver) => (env, driver),
        };
        let started = Instant::now();
        match sb.run(path, &env, driver.as_deref()) {
            Ok(_) => {
                ran += 1;
                eprintln!("  {name}: ok ({:.1} s)", started.elapsed().as_secs_f64());
            }
            Err(e) => {
                eprintln!("  {name}: FAILED {e:#}");
                failed.push(name.clone());
            }
        }
        sb.remove();
    }
    if !failed.is_empty() {
        bail!(
            "flake check scripts that fail in a sandbox-like directory: {}",
            failed.join(", ")
        );
    }
    eprintln!(
        "  {ran} of {} check scripts ran and passed; {} skipped",
        scripts.len(),
        skipped.len()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_header() {
        let h = parse_header("# what\n# tools: promtool python3:yaml\n# source: kustomize terraform\nset -e\n# tools: late\n").unwrap();
        assert_eq!(
            h.tools,
            vec![
                Tool::Command("promtool".into()),
                Tool::PythonModule("yaml".into())
            ]
        );
        assert_eq!(h.sources, vec!["kustomize", "terraform"]);
    }

    #[test]
    fn rejects_headers_without_tools_or_with_outside_sources() {
        assert!(parse_header("# no tools line\nset -e\n").is_err());
        assert!(parse_header("# tools: bash\n# source: ../shared\n").is_err());
        assert!(parse_header("# tools: bash\n# source: /etc\n").is_err());
    }

    #[test]
    fn every_script_in_the_repository_has_a_header() {
        for s in scripts(&root()).unwrap() {
            let text = std::fs::read_to_string(&s).unwrap();
            parse_header(&text).unwrap_or_else(|e| panic!("{}: {e}", s.display()));
        }
    }

    #[test]
    fn wiring_rejects_inline_checks_and_unused_scripts() {
        let dir = std::env::temp_dir().join(format!("conduit-wiring-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("nix/checks")).unwrap();
        let script = dir.join("nix/checks/a.sh");
        std::fs::write(&script, "# tools: bash\n").unwrap();
        std::fs::write(
            dir.join("nix/checks.nix"),
            "runCommand x {} ''bash ${./checks/a.sh}''",
        )
        .unwrap();
        check_wiring(&dir, std::slice::from_ref(&script)).unwrap();
        std::fs::write(
            dir.join("nix/checks.nix"),
            "runCommand x {} ''bash ${./checks/a.sh}'' runCommand y {} ''echo inline''",
        )
        .unwrap();
        assert!(check_wiring(&dir, std::slice::from_ref(&script)).is_err());
        std::fs::write(dir.join("nix/checks.nix"), "runCommand x {} ''true''").unwrap();
        assert!(check_wiring(&dir, &[script]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Small process and path helpers shared by every xtask command.

use anyhow::{ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// Cargo's target directory (`CARGO_TARGET_DIR` when set).
pub fn target_dir() -> PathBuf {
    let dir = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from);
    dir.unwrap_or_else(|| root().join("target"))
}

/// A command that runs in the workspace root.
pub fn cmd(program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root());
    c
}

/// `cargo` with the space-separated `args`, in the workspace root.
pub fn cargo(args: &str) -> Command {
    let mut c = cmd("cargo");
    c.args(args.split_whitespace());
    c
}

/// Runs a command to completion, echoing it first; a non-zero exit is an error.
pub fn exec(c: &mut Command) -> Result<()> {
    let shown = display(c);
    eprintln!("$ {shown}");
    let status = c.status();
    let status = status.with_context(|| format!("could not start `{shown}`"))?;
    ensure!(status.success(), "`{shown}` failed with {status}");
    Ok(())
}

/// Runs a command and returns its stdout; a non-zero exit is an error that includes stderr.
pub fn output(c: &mut Command) -> Result<String> {
    let (out, shown) = (c.output(), display(c));
    let out = out.with_context(|| format!("could not start `{shown}`"))?;
    let (status, stderr) = (out.status, String::from_utf8_lossy(&out.stderr));
    ensure!(status.success(), "`{shown}` failed, {status}:\n{stderr}");
    Ok(String::from_utf8(out.stdout)?)
}

/// The first executable called `name` on `PATH`.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    let mut candidates = std::env::split_paths(&path).map(|d| d.join(name));
    candidates.find(|p| p.is_file())
}

/// Like [`which`], but an error that says what to install.
pub fn require(name: &str, hint: &str) -> Result<PathBuf> {
    which(name).with_context(|| format!("`{name}` is not on PATH: {hint}"))
}

fn display(c: &Command) -> String {
    let words = std::iter::once(c.get_program()).chain(c.get_args());
    let words: Vec<_> = words.map(|s| s.to_string_lossy()).collect();
    words.join(" ")
}

/// Puts the project-local tool installs (`.ci/run` makes them) in front of `PATH`, so that
/// `cargo xtask test` finds the same pinned linters and scanners CI uses.
pub fn add_local_tools_to_path() {
    let local = ["node_modules/.bin", "target/ci-venv/bin"].map(|d| root().join(d));
    let current = std::env::var_os("PATH").unwrap_or_default();
    let dirs = local.into_iter().filter(|d| d.is_dir());
    let dirs = dirs.chain(std::env::split_paths(&current));
    if let Ok(joined) = std::env::join_paths(dirs) {
        std::env::set_var("PATH", joined);
    }
}

/// A minimal HTTP/1.1 exchange with a server on `addr` (`host:port`): status and body. Enough
/// for readiness probes, seeding and scrapes without an HTTP client library in xtask.
pub fn http(addr: &str, method: &str, path: &str, body: Option<&str>) -> Result<(u16, String)> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
    let (body, json) = (body.unwrap_or(""), "Content-Type: application/json");
    let length = body.len();
    let head = format!("Host: {addr}\r\nConnection: close\r\n{json}\r\nContent-Length: {length}");
    write!(stream, "{method} {path} HTTP/1.1\r\n{head}\r\n\r\n{body}")?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let response = String::from_utf8_lossy(&raw);
    let status = response.split_whitespace().nth(1).map(str::parse);
    let (_, body) = response.split_once("\r\n\r\n").unwrap_or_default();
    Ok((status.context("no HTTP status line")??, body.to_string()))
}

/// Copies the directory tree `from` into `to`, leaving out entries whose name `skip` accepts.
pub fn copy_tree(from: &Path, to: &Path, skip: &dyn Fn(&str) -> bool) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if skip(&name) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target, skip)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .with_context(|| format!("cannot copy {}", entry.path().display()))?;
        }
    }
    Ok(())
}

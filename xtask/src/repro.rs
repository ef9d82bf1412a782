//! `cargo xtask repro`: the release binary does not depend on where it was built.
//!
//! Exports the committed tree (`git archive HEAD`) into two checkouts at different paths
//! (different names and depths), builds the release binary in each with its own target
//! directory, and compares the SHA-256 of the results. The build maps every path that could
//! leak into the binary to a fixed name: the checkout (`--remap-path-prefix` for Rust,
//! `-ffile-prefix-map` for C code that `cc` compiles) and the cargo home with the registry
//! sources. `SOURCE_DATE_EPOCH` is the commit time. This is the same recipe the Nix build
//! uses (nix/packages.nix); `nix build .#api-image --rebuild` is the check with Nix.
//!
//! Slow (two full release builds): not part of `cargo xtask test`.
//! `CONDUIT_REPRO_PACKAGE` / `CONDUIT_REPRO_BIN` pick another binary (default conduit-api);
//! `CONDUIT_REPRO_KEEP=1` keeps the two checkouts; `CONDUIT_REPRO_NO_REMAP=1` drops the
//! remapping (the control experiment: it should then fail).

use crate::util::{cmd, exec, output};
use anyhow::{ensure, Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

pub fn run() -> Result<()> {
    let started = Instant::now();
    let var = |name: &str| std::env::var(name).ok();
    let package = var("CONDUIT_REPRO_PACKAGE").unwrap_or_else(|| "conduit-api".into());
    let bin = var("CONDUIT_REPRO_BIN").unwrap_or_else(|| package.clone());
    let git = |args: &[&str]| output(cmd("git").args(args)).map(|s| s.trim().to_owned());
    let head = git(&["rev-parse", "HEAD"])?;
    let epoch = git(&["log", "-1", "--format=%ct", "HEAD"])?;
    if !git(&["status", "--porcelain", "--untracked-files=no"])?.is_empty() {
        eprintln!("repro: note: uncommitted changes are not part of the build (it builds HEAD)");
    }
    let base = std::env::temp_dir().join(format!("conduit-repro-{}", std::process::id()));
    // Different names and depths, so any leaked path would change the bytes.
    let checkouts = [base.join("a"), base.join("second-checkout/nested/conduit")];
    let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo"));
    let cargo_home = std::env::var_os("CARGO_HOME").map(PathBuf::from).or(home);
    let cargo_home = cargo_home.context("neither CARGO_HOME nor HOME is set")?;
    let build = |dir: &PathBuf| build(dir, &head, &epoch, (&package, &bin), &cargo_home);
    let hashes: Result<Vec<String>> = checkouts.iter().map(build).collect();
    match var("CONDUIT_REPRO_KEEP") {
        Some(_) => eprintln!("repro: kept {}", base.display()),
        None => drop(std::fs::remove_dir_all(&base)),
    }
    let hashes = hashes?;
    println!("repro: {bin} at {}", &head[..12]);
    for (dir, hash) in checkouts.iter().zip(&hashes) {
        println!("  {hash}  built in {}", dir.display());
    }
    let same = hashes[0] == hashes[1];
    ensure!(
        same,
        "repro: the builds differ: the build depends on its path"
    );
    let (hash, secs) = (&hashes[0], started.elapsed().as_secs_f64());
    println!("repro: identical SHA-256 {hash} ({secs:.0} s for both builds)");
    Ok(())
}

/// Exports `tree` into `dir`, builds `bin` there and returns its SHA-256.
fn build(
    dir: &Path,
    tree: &str,
    epoch: &str,
    (package, bin): (&str, &str),
    home: &Path,
) -> Result<String> {
    // `git archive <tree> | tar -x -C dir`: the committed tree only, no build artefacts.
    std::fs::create_dir_all(dir)?;
    let mut archive = cmd("git");
    archive.args(["archive", "--format=tar", tree]);
    let archive = archive.stdout(Stdio::piped()).spawn()?.stdout;
    let archive = archive.context("git archive")?;
    exec(Command::new("tar").arg("-xC").arg(dir).stdin(archive))?;

    let t = Instant::now();
    let (d, h) = (dir.display(), home.display());
    let args = format!("build --release --locked -p {package} --bin {bin}");
    let mut cargo = crate::util::cargo(&args);
    cargo.current_dir(dir).env("SOURCE_DATE_EPOCH", epoch);
    cargo.env("CARGO_INCREMENTAL", "0");
    // The checkout's own target directory, whatever the caller's environment says.
    cargo.env_remove("CARGO_TARGET_DIR");
    cargo.env_remove("CARGO_BUILD_TARGET_DIR");
    cargo.env_remove("CARGO_ENCODED_RUSTFLAGS");
    // The control experiment (`CONDUIT_REPRO_NO_REMAP`): what leaks without the remapping.
    if std::env::var_os("CONDUIT_REPRO_NO_REMAP").is_none() {
        let rustflags = format!("--remap-path-prefix={d}=/conduit --remap-path-prefix={h}=/cargo");
        cargo.env("RUSTFLAGS", rustflags);
        let cflags = format!("-ffile-prefix-map={d}=/conduit -ffile-prefix-map={h}=/cargo");
        cargo.env("CFLAGS", &cflags).env("CXXFLAGS", &cflags);
    }
    exec(&mut cargo)?;
    let binary = dir.join("target/release").join(bin);
    let bytes = std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
    // The remapping must leave no trace of where the build ran.
    for leak in [dir, home] {
        let needle = leak.to_string_lossy();
        let found = bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
        let (b, l) = (binary.display(), leak.display());
        ensure!(!found, "{b} contains the build path {l}");
    }
    let hash = format!("{:x}", Sha256::digest(&bytes));
    eprintln!("repro: {hash} after {:.0} s", t.elapsed().as_secs_f64());
    Ok(hash)
}

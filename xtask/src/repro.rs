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
//! `CONDUIT_REPRO_KEEP=1` keeps the two checkouts; `CONDUIT_REPRO_WORKTREE=1` builds the
//! working tree instead of HEAD; `CONDUIT_REPRO_NO_REMAP=1` drops the remapping (the control
//! experiment: it should then fail).

use crate::util::{cmd, exec, output};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub fn run() -> Result<()> {
    let started = Instant::now();
    let package = std::env::var("CONDUIT_REPRO_PACKAGE").unwrap_or_else(|_| "conduit-api".into());
    let bin = std::env::var("CONDUIT_REPRO_BIN").unwrap_or_else(|_| package.clone());

    let head = output(cmd("git").args(["rev-parse", "HEAD"]))?
        .trim()
        .to_string();
    let epoch = output(cmd("git").args(["log", "-1", "--format=%ct", "HEAD"]))?
        .trim()
        .to_string();
    // `CONDUIT_REPRO_WORKTREE=1`: build the working tree (tracked and untracked files, as
    // `git add -A` would see them) through a throwaway index, leaving the real one alone.
    let tree = if std::env::var_os("CONDUIT_REPRO_WORKTREE").is_some() {
        let index =
            std::env::temp_dir().join(format!("conduit-repro-index-{}", std::process::id()));
        let tree = (|| {
            exec(
                cmd("git")
                    .args(["read-tree", "HEAD"])
                    .env("GIT_INDEX_FILE", &index),
            )?;
            exec(cmd("git").args(["add", "-A"]).env("GIT_INDEX_FILE", &index))?;
            output(cmd("git").arg("write-tree").env("GIT_INDEX_FILE", &index))
        })();
        let _ = std::fs::remove_file(&index);
        let tree = tree?.trim().to_string();
        eprintln!("repro: building the working tree (tree {})", &tree[..12]);
        tree
    } else {
        if !output(cmd("git").args(["status", "--porcelain", "--untracked-files=no"]))?
            .trim()
            .is_empty()
        {
            eprintln!(
                "repro: note: uncommitted changes are not part of the build (it builds HEAD)"
            );
        }
        head.clone()
    };

    let base = std::env::temp_dir().join(format!("conduit-repro-{}", std::process::id()));
    // Different names and depths, so any leaked path would change the bytes.
    let checkouts = [
        base.join("a"),
        base.join("second-checkout").join("nested").join("conduit"),
    ];
    let result = build_both(&checkouts, &tree, &epoch, &package, &bin);
    if std::env::var_os("CONDUIT_REPRO_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&base);
    } else {
        eprintln!("repro: kept {}", base.display());
    }
    let hashes = result?;

    let secs = started.elapsed().as_secs_f64();
    println!("repro: {bin} at {}", &tree[..12]);
    for (dir, hash) in checkouts.iter().zip(&hashes) {
        println!("  {hash}  built in {}", dir.display());
    }
    if hashes[0] != hashes[1] {
        bail!("repro: the two builds differ: the release build depends on its build path");
    }
    println!(
        "repro: identical SHA-256 {} ({:.0} s for both builds)",
        hashes[0], secs
    );
    Ok(())
}

fn build_both(
    checkouts: &[PathBuf; 2],
    tree: &str,
    epoch: &str,
    package: &str,
    bin: &str,
) -> Result<Vec<String>> {
    let cargo_home = cargo_home()?;
    let mut hashes = Vec::new();
    for dir in checkouts {
        std::fs::create_dir_all(dir)?;
        export(tree, dir)?;
        let t = Instant::now();
        eprintln!("repro: building {bin} in {}", dir.display());
        let mut build = Command::new("cargo");
        build
            .current_dir(dir)
            .args([
                "build",
                "--release",
                "--locked",
                "--package",
                package,
                "--bin",
                bin,
            ])
            // The checkout's own target directory, whatever the caller's environment says.
            .env_remove("CARGO_TARGET_DIR")
            .env_remove("CARGO_BUILD_TARGET_DIR")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env("CARGO_INCREMENTAL", "0")
            .env("SOURCE_DATE_EPOCH", epoch)
            .env("RUSTFLAGS", rustflags(dir, &cargo_home))
            .env("CFLAGS", cflags(dir, &cargo_home))
            .env("CXXFLAGS", cflags(dir, &cargo_home));
        if std::env::var_os("CONDUIT_REPRO_NO_REMAP").is_some() {
            // The control experiment: what leaks without the remapping.
            build
                .env_remove("RUSTFLAGS")
                .env_remove("CFLAGS")
                .env_remove("CXXFLAGS");
        }
        exec(&mut build)?;
        let binary = dir.join("target/release").join(bin);
        // The remapping must leave no trace of where the build ran.
        let bytes =
            std::fs::read(&binary).with_context(|| format!("reading {}", binary.display()))?;
        for leak in [dir.as_path(), cargo_home.as_path()] {
            if contains(&bytes, leak.to_string_lossy().as_bytes()) {
                bail!(
                    "{} contains the build path {}",
                    binary.display(),
                    leak.display()
                );
            }
        }
        let hash = sha256(&binary)?;
        eprintln!("repro: {hash} after {:.0} s", t.elapsed().as_secs_f64());
        hashes.push(hash);
    }
    Ok(hashes)
}

/// The build flags that remove the build location from the output.
pub fn rustflags(checkout: &Path, cargo_home: &Path) -> String {
    format!(
        "--remap-path-prefix={}=/conduit --remap-path-prefix={}=/cargo",
        checkout.display(),
        cargo_home.display()
    )
}

pub fn cflags(checkout: &Path, cargo_home: &Path) -> String {
    format!(
        "-ffile-prefix-map={}=/conduit -ffile-prefix-map={}=/cargo",
        checkout.display(),
        cargo_home.display()
    )
}

fn cargo_home() -> Result<PathBuf> {
    if let Some(h) = std::env::var_os("CARGO_HOME") {
        return Ok(PathBuf::from(h));
    }
    let home = std::env::var_os("HOME").context("neither CARGO_HOME nor HOME is set")?;
    Ok(PathBuf::from(home).join(".cargo"))
}

/// `git archive <tree> | tar -x -C dir`: the committed tree only, no build artefacts.
fn export(tree: &str, dir: &Path) -> Result<()> {
    let archive = cmd("git")
        .args(["archive", "--format=tar", tree])
        .output()
        .context("git archive")?;
    if !archive.status.success() {
        bail!(
            "git archive failed: {}",
            String::from_utf8_lossy(&archive.stderr)
        );
    }
    let mut tar = Command::new("tar")
        .args(["-x", "-C"])
        .arg(dir)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("tar")?;
    std::io::Write::write_all(tar.stdin.as_mut().context("tar stdin")?, &archive.stdout)?;
    drop(tar.stdin.take());
    if !tar.wait()?.success() {
        bail!("tar -x into {} failed", dir.display());
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn sha256(path: &Path) -> Result<String> {
    let out = output(Command::new("sha256sum").arg(path))
        .with_context(|| format!("hashing {}", path.display()))?;
    Ok(out
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_map_both_locations() {
        let f = rustflags(Path::new("/tmp/x/a"), Path::new("/home/u/.cargo"));
        assert_eq!(
            f,
            "--remap-path-prefix=/tmp/x/a=/conduit --remap-path-prefix=/home/u/.cargo=/cargo"
        );
        assert!(cflags(Path::new("/w"), Path::new("/c")).contains("-ffile-prefix-map=/w=/conduit"));
        assert!(contains(b"xx/tmp/a/src/main.rsyy", b"/tmp/a/"));
        assert!(!contains(b"/conduit/src/main.rs", b"/tmp/a/"));
    }
}

//! Hashes of files and directory trees, and unpacking a `.tar.gz` safely.

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn file_sha256(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).with_context(|| format!("reading {}", path.display()))?;
    Ok(hex(&h.finalize()))
}

/// The tree hash of `dir`: the SHA-256 of the `sha256sum` listing (`<hash>  <path>\n`) of every
/// regular file, sorted by path bytes, paths relative to `dir` with `/`. Top-level entries named
/// in `exclude` are left out. The same value as
/// `cd DIR && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum`.
/// A symbolic link anywhere is an error: a link could point outside the verified tree.
pub fn tree_hash(dir: &Path, exclude: &[String]) -> Result<(String, usize)> {
    let mut files = Vec::new();
    walk(dir, dir, exclude, &mut files)?;
    files.sort();
    let mut listing = Sha256::new();
    for (rel, path) in &files {
        listing.update(file_sha256(path)?.as_bytes());
        listing.update(b"  ");
        listing.update(rel.as_bytes());
        listing.update(b"\n");
    }
    Ok((hex(&listing.finalize()), files.len()))
}

fn walk(
    root: &Path,
    dir: &Path,
    exclude: &[String],
    out: &mut Vec<(String, PathBuf)>,
) -> Result<()> {
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry?;
        let path = entry.path();
        let rel = path
            .strip_prefix(root)?
            .to_str()
            .with_context(|| format!("{} is not UTF-8", path.display()))?
            .to_owned();
        if dir == root && exclude.contains(&rel) {
            continue;
        }
        let ty = entry.file_type()?;
        if ty.is_symlink() {
            bail!("{} is a symbolic link", path.display());
        } else if ty.is_dir() {
            walk(root, &path, exclude, out)?;
        } else if ty.is_file() {
            out.push((rel, path));
        }
    }
    Ok(())
}

/// Unpacks the `.tar.gz` at `archive` into `dest`, dropping the first path component (the
/// `<repo>-<rev>/` or `<chart>/` directory archives wrap their content in), and returns that
/// component's name. Only regular files and directories are accepted; a link, a device or a
/// path that climbs out of `dest` is an error.
pub fn unpack_tar_gz(archive: &Path, dest: &Path) -> Result<Option<String>> {
    let file = std::fs::File::open(archive)?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    std::fs::create_dir_all(dest)?;
    let mut wrapper = None;
    for entry in tar.entries().context("reading the archive")? {
        let mut entry = entry.context("reading the archive")?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let path = entry.path()?.into_owned();
        let mut parts = path.components();
        // The wrapping directory.
        if let Some(Component::Normal(first)) = parts.next() {
            wrapper.get_or_insert_with(|| first.to_string_lossy().into_owned());
        }
        let mut rel = PathBuf::new();
        for c in parts {
            match c {
                Component::Normal(p) => rel.push(p),
                Component::CurDir => {}
                _ => bail!("archive entry {} leaves the directory", path.display()),
            }
        }
        if rel.as_os_str().is_empty() {
            continue;
        }
        let target = dest.join(&rel);
        if kind.is_dir() {
            std::fs::create_dir_all(&target)?;
        } else if kind.is_file() {
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let mut out = std::fs::File::create(&target)
                .with_context(|| format!("writing {}", target.display()))?;
            std::io::copy(&mut entry, &mut out)?;
        } else {
            bail!(
                "archive entry {} is a {kind:?}, not a file or directory",
                path.display()
            );
        }
    }
    Ok(wrapper)
}

/// In the Helm chart unpacked at `chart` (it has a `Chart.yaml`), every dependency packed as
/// `charts/<name>-<version>.tgz` is unpacked to `charts/<name>/` and the `.tgz` removed, at
/// every depth. Helm's loader reads both forms, but the value checks of the kustomize suite
/// read a subchart's `Chart.yaml` and `values.yaml` from `charts/*/`, the layout of the offline
/// copies. The nested archives come out of the verified download and are unpacked with the
/// same rules (no links, nothing outside the directory).
pub fn unpack_subcharts(chart: &Path) -> Result<()> {
    let charts = chart.join("charts");
    if !chart.join("Chart.yaml").is_file() || !charts.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&charts)
        .with_context(|| format!("reading {}", charts.display()))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    entries.sort();
    for path in &entries {
        if path.extension().is_some_and(|e| e == "tgz") && path.is_file() {
            let tmp = charts.join(".unpacking");
            if tmp.exists() {
                std::fs::remove_dir_all(&tmp)?;
            }
            let name = unpack_tar_gz(path, &tmp)
                .with_context(|| format!("unpacking the subchart {}", path.display()))?
                .with_context(|| format!("{} is empty", path.display()))?;
            let dest = charts.join(&name);
            if dest.exists() {
                bail!(
                    "{} unpacks to charts/{name}/, which is already there",
                    path.display()
                );
            }
            std::fs::rename(&tmp, &dest)?;
            std::fs::remove_file(path)?;
        }
    }
    for entry in std::fs::read_dir(&charts)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            unpack_subcharts(&entry.path())?;
        }
    }
    Ok(())
}

//! Hashes of files and directory trees, and unpacking a `.tar.gz` safely.

use anyhow::{bail, ensure, Context, Result};
use sha2::{Digest, Sha256};
use std::path::{Component, Path, PathBuf};

pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

pub fn file_sha256(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).with_context(|| format!("reading {}", path.display()))?;
    Ok(format!("{:x}", h.finalize()))
}

/// The tree hash of `dir`: the SHA-256 of the `sha256sum` listing (`<hash>  <path>\n`) of every
/// regular file, sorted by path bytes, paths relative to `dir`; top-level entries named in
/// `exclude` left out. The same value as
/// `cd DIR && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum | sha256sum`.
/// A symbolic link anywhere is an error: it could point outside the verified tree.
pub fn tree_hash(dir: &Path, exclude: &[String]) -> Result<(String, usize)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let (entry, path) = entry.map(|e| (e.file_type(), e.path()))?;
            let rel = path.strip_prefix(dir)?.to_str().context("not UTF-8")?;
            match entry? {
                _ if d == dir && exclude.iter().any(|e| e == rel) => {}
                t if t.is_symlink() => bail!("{} is a symbolic link", path.display()),
                t if t.is_dir() => pending.push(path),
                t if t.is_file() => files.push((rel.to_owned(), path)),
                _ => {}
            }
        }
    }
    files.sort();
    let mut listing = Sha256::new();
    for (rel, path) in &files {
        listing.update(format!("{}  {rel}\n", file_sha256(path)?));
    }
    Ok((format!("{:x}", listing.finalize()), files.len()))
}

/// Unpacks a `.tar.gz` into `dest`, dropping the first path component (the `<repo>-<rev>/` or
/// `<chart>/` directory archives wrap their content in), and returns that component. Only
/// regular files and directories are accepted; a link, a device or a path that climbs out of
/// `dest` is an error.
pub fn unpack_tar_gz(archive: &[u8], dest: &Path) -> Result<Option<String>> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(archive));
    std::fs::create_dir_all(dest)?;
    let mut wrapper = None;
    for entry in tar.entries().context("reading the archive")? {
        let mut entry = entry.context("reading the archive")?;
        let kind = entry.header().entry_type();
        if kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let path = entry.path()?.into_owned();
        let shown = path.display();
        let mut parts = path.components();
        if let Some(Component::Normal(first)) = parts.next() {
            wrapper.get_or_insert_with(|| first.to_string_lossy().into_owned());
        }
        let rel: PathBuf = parts.filter(|c| *c != Component::CurDir).collect();
        let climbs = rel.components().any(|c| !matches!(c, Component::Normal(_)));
        ensure!(!climbs, "archive entry {shown} leaves the directory");
        let target = dest.join(&rel);
        if rel.as_os_str().is_empty() || kind.is_dir() {
            std::fs::create_dir_all(&target)?;
        } else if kind.is_file() {
            std::fs::create_dir_all(target.parent().context("a parent")?)?;
            let mut out = std::fs::File::create(&target)?;
            std::io::copy(&mut entry, &mut out)?;
        } else {
            bail!("entry {shown} is a {kind:?}, not a file or a directory");
        }
    }
    Ok(wrapper)
}

/// In the Helm chart unpacked at `chart` (it has a `Chart.yaml`), every dependency packed as
/// `charts/<name>-<version>.tgz` is unpacked to `charts/<name>/` and the `.tgz` removed, at
/// every depth: the layout of the offline copies, whose `charts/*/values.yaml` the kustomize
/// suite reads. The nested archives come out of the verified download.
pub fn unpack_subcharts(chart: &Path) -> Result<()> {
    let charts = chart.join("charts");
    if !chart.join("Chart.yaml").is_file() || !charts.is_dir() {
        return Ok(());
    }
    let entries = std::fs::read_dir(&charts)?.map(|e| e.map(|e| e.path()));
    let mut entries = entries.collect::<Result<Vec<_>, _>>()?;
    entries.sort();
    let packed = |p: &&PathBuf| p.extension().is_some_and(|e| e == "tgz");
    for path in entries.iter().filter(packed) {
        let tmp = charts.join(".unpacking");
        let _ = std::fs::remove_dir_all(&tmp);
        let shown = path.display();
        let name = unpack_tar_gz(&std::fs::read(path)?, &tmp);
        let name = name.with_context(|| format!("unpacking the subchart {shown}"))?;
        let name = name.with_context(|| format!("{shown} is empty"))?;
        let taken = charts.join(&name).exists();
        ensure!(!taken, "{shown} unpacks onto charts/{name}/");
        std::fs::rename(&tmp, charts.join(&name))?;
        std::fs::remove_file(path)?;
    }
    for entry in std::fs::read_dir(&charts)? {
        let path = entry?.path();
        if path.is_dir() {
            unpack_subcharts(&path)?;
        }
    }
    Ok(())
}

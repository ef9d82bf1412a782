//! Binary and image-input sizes. The OCI images (nix/images.nix) hold the service's runtime
//! closure plus CA certificates and tzdata; without Nix or Docker here, the image input is
//! approximated by the stripped binary, the shared libraries it loads (`ldd`), the CA bundle
//! and the zoneinfo tree of this machine, plus the web server's served files.

use anyhow::Result;
use std::path::{Path, PathBuf};

const CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";
const ZONEINFO: &str = "/usr/share/zoneinfo";

pub fn report(api_bin: &Path, web_dir: Option<&Path>) -> Result<()> {
    println!(
        "\n{:<12} {:>10} {:>10} {:>10} {:>12}  (MB; image input = stripped binary + shared libraries + CA bundle + tzdata [+ served files])",
        "binary", "as built", "stripped", "libraries", "image input"
    );
    let extras = tree_size(Path::new(CA_BUNDLE)) + tree_size(Path::new(ZONEINFO));
    let mut bins = vec![(api_bin.to_path_buf(), 0)];
    if let Some(dir) = web_dir {
        let served = tree_size(dir) - file_size(&dir.join("conduit-web"));
        bins.push((dir.join("conduit-web"), served));
    }
    for (bin, served) in bins {
        if !bin.exists() {
            continue;
        }
        let stripped = stripped_size(&bin)?;
        let libs: u64 = shared_libraries(&bin).iter().map(|l| file_size(l)).sum();
        let name = bin
            .file_name()
            .map_or("?".into(), |n| n.to_string_lossy().into_owned());
        println!(
            "{name:<12} {:>10} {:>10} {:>10} {:>12}",
            mb(file_size(&bin)),
            mb(stripped),
            mb(libs),
            mb(stripped + libs + extras + served)
        );
    }
    Ok(())
}

fn mb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}

fn file_size(p: &Path) -> u64 {
    std::fs::metadata(p).map_or(0, |m| m.len())
}

/// Size after `strip` of a copy (the binary itself is left alone).
fn stripped_size(bin: &Path) -> Result<u64> {
    let copy = crate::util::target_dir().join(format!("bench-strip-{}", std::process::id()));
    crate::util::output(
        std::process::Command::new("strip")
            .arg("-o")
            .arg(&copy)
            .arg(bin),
    )?;
    let size = file_size(&copy);
    std::fs::remove_file(&copy)?;
    Ok(size)
}

/// Resolved paths of the shared libraries `ldd` lists (the dynamic loader included).
fn shared_libraries(bin: &Path) -> Vec<PathBuf> {
    let out = crate::util::output(std::process::Command::new("ldd").arg(bin)).unwrap_or_default();
    out.lines()
        .filter_map(|l| {
            let path = match l.split_once("=>") {
                Some((_, rest)) => rest.split_whitespace().next()?,
                None => l.split_whitespace().next()?,
            };
            std::fs::canonicalize(path).ok()
        })
        .collect()
}

/// Bytes of regular files under `p` (symbolic links not followed).
fn tree_size(p: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(p) else {
        return 0;
    };
    if meta.is_dir() {
        std::fs::read_dir(p)
            .map(|d| d.flatten().map(|e| tree_size(&e.path())).sum())
            .unwrap_or(0)
    } else if meta.is_file() {
        meta.len()
    } else {
        0
    }
}

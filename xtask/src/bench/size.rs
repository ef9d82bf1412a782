//! Binary and image-input sizes. The OCI images (nix/images.nix) hold the service's runtime
//! closure plus CA certificates and tzdata; without Nix or Docker here, the image input is
//! approximated by the stripped binary, the shared libraries it loads (`ldd`), the CA bundle
//! and the zoneinfo tree of this machine, plus the web server's served files.

use anyhow::Result;
use std::path::Path;
use std::process::Command;

pub fn report(api_bin: &Path, web_dir: Option<&Path>) -> Result<()> {
    println!(
        "\n{:<12} {:>10} {:>10} {:>10} {:>12}  (MB; image input = stripped binary + shared libraries + CA bundle + tzdata [+ served files])",
        "binary", "as built", "stripped", "libraries", "image input"
    );
    let extras = size(Path::new("/etc/ssl/certs/ca-certificates.crt"))
        + size(Path::new("/usr/share/zoneinfo"));
    let mut bins = vec![(api_bin.to_path_buf(), 0)];
    if let Some(dir) = web_dir {
        let web = dir.join("conduit-web");
        bins.push((web.clone(), size(dir) - size(&web)));
    }
    for (bin, served) in bins.into_iter().filter(|(bin, _)| bin.exists()) {
        // `strip` a copy: the binary itself is left alone.
        let copy = crate::util::target_dir().join(format!("bench-strip-{}", std::process::id()));
        crate::util::output(Command::new("strip").arg("-o").arg(&copy).arg(&bin))?;
        let stripped = size(&copy);
        std::fs::remove_file(&copy)?;
        let libs = shared_libraries(&bin);
        let name = bin.file_name().map_or("?".into(), |n| n.to_string_lossy());
        let mb = |bytes: u64| format!("{:.1}", bytes as f64 / 1e6);
        println!(
            "{name:<12} {:>10} {:>10} {:>10} {:>12}",
            mb(size(&bin)),
            mb(stripped),
            mb(libs),
            mb(stripped + libs + extras + served)
        );
    }
    Ok(())
}

/// Bytes of the shared libraries `ldd` lists (the dynamic loader included), resolved.
fn shared_libraries(bin: &Path) -> u64 {
    let out = crate::util::output(Command::new("ldd").arg(bin)).unwrap_or_default();
    let path = |l: &str| match l.split_once("=>") {
        Some((_, rest)) => rest.split_whitespace().next().map(str::to_string),
        None => l.split_whitespace().next().map(str::to_string),
    };
    let libs = out
        .lines()
        .filter_map(|l| std::fs::canonicalize(path(l)?).ok());
    libs.map(|l| size(&l)).sum()
}

/// Bytes of the regular files at or under `p` (symbolic links not followed).
fn size(p: &Path) -> u64 {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => {
            std::fs::read_dir(p).map_or(0, |d| d.flatten().map(|e| size(&e.path())).sum())
        }
        Ok(m) if m.is_file() => m.len(),
        _ => 0,
    }
}

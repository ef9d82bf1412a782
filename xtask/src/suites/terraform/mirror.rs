//! Finds the local provider filesystem mirror: `TF_PROVIDER_MIRROR` first, then well-known
//! plugin directories, then a bounded search of the file system. Nothing is hard-coded in the
//! repository, and the mirror must hold the AWS provider this configuration pins.

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Provider every configuration needs, as `<namespace>/<type>` under `registry.terraform.io`.
const PROVIDER: &str = "hashicorp/aws";
/// The mirror must hold a 5.x release of at least this minor version (`~> 5.100`).
const MIN_MINOR: u32 = 100;

pub fn discover() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("TF_PROVIDER_MIRROR") {
        let dir = PathBuf::from(dir);
        if holds_provider(&dir) {
            return Ok(dir);
        }
        bail!(
            "TF_PROVIDER_MIRROR={} does not contain registry.terraform.io/{PROVIDER} 5.{MIN_MINOR}+",
            dir.display()
        );
    }

    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(home) = &home {
        candidates.push(home.join(".terraform.d/plugins"));
        candidates.push(home.join(".local/share/terraform/plugins"));
    }
    for dir in [
        "/usr/share/terraform/plugins",
        "/usr/local/share/terraform/plugins",
        "/usr/local/share/terraform",
        "/opt/terraform/plugins",
    ] {
        candidates.push(PathBuf::from(dir));
    }
    // Any directory directly below /opt that is itself a mirror.
    if let Ok(entries) = std::fs::read_dir("/opt") {
        let mut more: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        more.sort();
        candidates.extend(more);
    }
    if let Some(found) = candidates.into_iter().find(|c| holds_provider(c)) {
        return Ok(found);
    }

    // Bounded search: `find / -maxdepth 5 -type d -name registry.terraform.io`.
    let out = Command::new("find")
        .args([
            "/",
            "-maxdepth",
            "5",
            "-type",
            "d",
            "-name",
            "registry.terraform.io",
            "-not",
            "-path",
            "/proc/*",
        ])
        .output();
    if let Ok(out) = out {
        let text = String::from_utf8_lossy(&out.stdout);
        let mut hits: Vec<PathBuf> = text
            .lines()
            .filter_map(|l| Path::new(l).parent().map(Path::to_path_buf))
            .filter(|p| !p.components().any(|c| c.as_os_str() == ".terraform"))
            .filter(|p| holds_provider(p))
            .collect();
        hits.sort();
        if let Some(first) = hits.into_iter().next() {
            return Ok(first);
        }
    }
    bail!(
        "no Terraform provider mirror with registry.terraform.io/{PROVIDER} 5.{MIN_MINOR}+ found; \
         set TF_PROVIDER_MIRROR to the directory that contains registry.terraform.io \
         (create one with `terraform providers mirror <dir>` on a connected machine)"
    )
}

/// Whether `dir/registry.terraform.io/hashicorp/aws/<5.x>/` exists with x >= MIN_MINOR
/// (unpacked directories or packed zip archives).
fn holds_provider(dir: &Path) -> bool {
    let provider = dir.join("registry.terraform.io").join(PROVIDER);
    let Ok(entries) = std::fs::read_dir(&provider) else {
        return false;
    };
    entries.filter_map(|e| e.ok()).any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        // Unpacked layout: <version>/<os_arch>/...; packed layout: terraform-provider-aws_<version>_<os>_<arch>.zip
        let version = name
            .strip_prefix("terraform-provider-aws_")
            .and_then(|rest| rest.split('_').next())
            .unwrap_or(&name)
            .to_string();
        version_ok(&version)
    })
}

fn version_ok(version: &str) -> bool {
    let mut parts = version.split('.');
    matches!(
        (parts.next(), parts.next().and_then(|m| m.parse::<u32>().ok())),
        (Some("5"), Some(minor)) if minor >= MIN_MINOR
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_5_100_and_later() {
        assert!(version_ok("5.100.0"));
        assert!(version_ok("5.101.2"));
        assert!(!version_ok("5.99.1"));
        assert!(!version_ok("6.0.0"));
        assert!(!version_ok("junk"));
    }

    #[test]
    fn recognises_an_unpacked_mirror() {
        let dir = std::env::temp_dir().join(format!("tf-mirror-test-{}", std::process::id()));
        let leaf = dir.join("registry.terraform.io/hashicorp/aws/5.100.0/linux_amd64");
        std::fs::create_dir_all(&leaf).unwrap();
        assert!(holds_provider(&dir));
        assert!(!holds_provider(&leaf));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

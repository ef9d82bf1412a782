//! Finds the local provider filesystem mirror: `TF_PROVIDER_MIRROR` first, then Terraform's
//! plugin directories and the directories directly below `/opt` (`.ci/run` sets the variable
//! on a machine without one). It must hold hashicorp/aws 5.x, x >= 100 (`~> 5.100`).

use anyhow::{bail, Result};
use std::path::{Path, PathBuf};

pub fn discover() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("TF_PROVIDER_MIRROR").map(PathBuf::from) {
        if holds_provider(&dir) {
            return Ok(dir);
        }
        bail!(
            "TF_PROVIDER_MIRROR={} does not hold registry.terraform.io/hashicorp/aws 5.100+",
            dir.display()
        );
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let mut candidates = vec![
        home.join(".terraform.d/plugins"),
        home.join(".local/share/terraform/plugins"),
    ];
    candidates.extend(
        [
            "/usr/share/terraform/plugins",
            "/usr/local/share/terraform/plugins",
        ]
        .map(PathBuf::from),
    );
    let mut opt: Vec<PathBuf> = std::fs::read_dir("/opt")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    opt.sort();
    candidates.extend(opt);
    match candidates.into_iter().find(|c| holds_provider(c)) {
        Some(found) => Ok(found),
        None => bail!("no Terraform provider mirror with registry.terraform.io/hashicorp/aws 5.100+ found; set TF_PROVIDER_MIRROR (`terraform providers mirror <dir>` creates one)"),
    }
}

/// `dir/registry.terraform.io/hashicorp/aws/` holds a 5.100+ release, unpacked (`<version>/`)
/// or packed (`terraform-provider-aws_<version>_<os>_<arch>.zip`).
fn holds_provider(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir.join("registry.terraform.io/hashicorp/aws")) else {
        return false;
    };
    entries.flatten().any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        let version = name
            .strip_prefix("terraform-provider-aws_")
            .unwrap_or(&name);
        let mut parts = version.split(['.', '_']);
        parts.next() == Some("5")
            && parts
                .next()
                .and_then(|m| m.parse::<u32>().ok())
                .is_some_and(|m| m >= 100)
    })
}

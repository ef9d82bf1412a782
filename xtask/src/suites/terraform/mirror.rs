//! Finds the local provider filesystem mirror: `TF_PROVIDER_MIRROR` first, then a directory
//! directly below `/opt`, then `~/.terraform.d/plugins` (`.ci/run` sets the variable on a
//! machine without either). It must hold hashicorp/aws 5.x, x >= 100 (`~> 5.100`).

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
    let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".terraform.d/plugins"));
    let opt = std::fs::read_dir("/opt").into_iter().flatten().flatten();
    let mut candidates: Vec<PathBuf> = opt.map(|e| e.path()).collect();
    candidates.sort();
    candidates.extend(home);
    match candidates.into_iter().find(|c| holds_provider(c)) {
        Some(found) => Ok(found),
        None => bail!("no Terraform provider mirror with registry.terraform.io/hashicorp/aws 5.100+ found; set TF_PROVIDER_MIRROR (`terraform providers mirror <dir>` creates one)"),
    }
}

/// `dir/registry.terraform.io/hashicorp/aws/` holds a 5.100+ release, unpacked (`<version>/`)
/// or packed (`terraform-provider-aws_<version>_<os>_<arch>.zip`).
fn holds_provider(dir: &Path) -> bool {
    let provider = std::fs::read_dir(dir.join("registry.terraform.io/hashicorp/aws"));
    provider.into_iter().flatten().flatten().any(|e| {
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

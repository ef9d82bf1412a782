//! `cargo xtask dev` (not written yet).

use anyhow::Result;

pub fn run() -> Result<()> {
    anyhow::bail!("dev: not written yet")
}

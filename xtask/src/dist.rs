//! `cargo xtask dist` (not written yet).

use anyhow::Result;

pub fn run() -> Result<()> {
    anyhow::bail!("dist: not written yet")
}

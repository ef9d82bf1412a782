//! `cargo xtask repro` (not written yet).

use anyhow::Result;

pub fn run() -> Result<()> {
    anyhow::bail!("repro: not written yet")
}

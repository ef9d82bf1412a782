//! `cargo xtask bench` (written with the API).

use anyhow::Result;

#[derive(clap::Args)]
pub struct Args {}

pub fn run(_args: Args) -> Result<()> {
    anyhow::bail!("bench: not written yet")
}

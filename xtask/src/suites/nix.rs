//! The `nix` suite (not written yet).

use anyhow::Result;

pub fn run() -> Result<()> {
    eprintln!("nix: no checks yet");
    Ok(())
}

//! The `terraform` suite (not written yet).

use anyhow::Result;

pub fn run() -> Result<()> {
    eprintln!("terraform: no checks yet");
    Ok(())
}

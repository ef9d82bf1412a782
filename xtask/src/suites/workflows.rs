//! The `workflows` suite (not written yet).

use anyhow::Result;

pub fn run() -> Result<()> {
    eprintln!("workflows: no checks yet");
    Ok(())
}

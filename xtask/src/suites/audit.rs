//! The `audit` suite (not written yet).

use anyhow::Result;

pub fn run() -> Result<()> {
    eprintln!("audit: no checks yet");
    Ok(())
}

//! The `observability` suite (not written yet).

use anyhow::Result;

pub fn run() -> Result<()> {
    eprintln!("observability: no checks yet");
    Ok(())
}

//! `cargo xtask test`: the README's test command.

use crate::suites;
use crate::util::{cmd, exec};
use anyhow::{bail, Result};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Run only these suites (`rust` or a name from `--list`); repeatable.
    #[arg(long = "only")]
    only: Vec<String>,
    /// List the suites and exit.
    #[arg(long)]
    list: bool,
}

pub fn run(args: Args) -> Result<()> {
    if args.list {
        println!("rust\tfmt, clippy -D warnings, every Rust test");
        for s in suites::ALL {
            println!("{}\t{}", s.name, s.about);
        }
        return Ok(());
    }
    for name in &args.only {
        if name != "rust" && !suites::ALL.iter().any(|s| s.name == name) {
            bail!("unknown suite `{name}` (see `cargo xtask test --list`)");
        }
    }
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);

    let mut timings = Vec::new();
    if wanted("rust") {
        let t = Instant::now();
        rust()?;
        timings.push(("rust", t.elapsed()));
    }
    for suite in suites::ALL.iter().filter(|s| wanted(s.name)) {
        eprintln!("\n== suite {} ==", suite.name);
        let t = Instant::now();
        (suite.run)()?;
        timings.push((suite.name, t.elapsed()));
    }
    eprintln!("\nall checks passed:");
    for (name, d) in timings {
        eprintln!("  {name:<10} {:>6.1}s", d.as_secs_f64());
    }
    Ok(())
}

fn rust() -> Result<()> {
    exec(cmd("cargo").args(["fmt", "--all", "--check"]))?;
    exec(cmd("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    if crate::util::which("cargo-nextest").is_some() {
        exec(cmd("cargo").args([
            "nextest",
            "run",
            "--workspace",
            "--locked",
            "--no-fail-fast",
        ]))?;
        // nextest does not run doctests.
        exec(cmd("cargo").args(["test", "--workspace", "--locked", "--doc"]))
    } else {
        exec(cmd("cargo").args(["test", "--workspace", "--locked", "--no-fail-fast"]))
    }
}

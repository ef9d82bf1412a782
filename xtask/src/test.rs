//! `cargo xtask test`: the README's test command.

use crate::suites;
use crate::util::{cargo, exec, which};
use anyhow::{bail, Context, Result};
use conduit_testkit::{Postgres, Redis};
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
    // The API's contract test reads the pinned RealWorld contract: resolved (and verified)
    // first, so a machine without it fails here with one line instead of after the build.
    let contract = crate::inputs::path("realworld-openapi")?;
    exec(&mut cargo("fmt --all --check"))?;
    // conduit-web builds only as a Perseus engine or client (`--cfg engine|client`): the web
    // suite lints and tests both halves.
    let workspace = "--workspace --exclude conduit-web --locked";
    exec(&mut cargo(&format!(
        "clippy {workspace} --all-targets -- -D warnings"
    )))?;
    // The shared types must keep compiling for the browser.
    exec(&mut cargo(
        "check --locked -p conduit-types --target wasm32-unknown-unknown",
    ))?;

    // One PostgreSQL and one Redis for every test process (nextest runs each test in its own
    // process); each test still gets its own database. Servers that the caller already
    // configured through DATABASE_URL / REDIS_URL are used as they are.
    let postgres = match std::env::var_os("DATABASE_URL") {
        Some(_) => None,
        None => Some(Postgres::start_temporary().context("starting PostgreSQL for the tests")?),
    };
    let redis = match (std::env::var_os("REDIS_URL"), which("redis-server")) {
        (None, Some(_)) => Some(Redis::start_temporary().context("starting Redis for the tests")?),
        _ => None,
    };
    let nextest = which("cargo-nextest").is_some();
    let mut test = match nextest {
        true => cargo(&format!("nextest run {workspace} --no-fail-fast")),
        false => cargo(&format!("test {workspace} --no-fail-fast")),
    };
    test.env("CONDUIT_REALWORLD_OPENAPI", &contract);
    if let Some(pg) = &postgres {
        test.env("DATABASE_URL", pg.url("postgres"));
    }
    if let Some(r) = &redis {
        test.env("REDIS_URL", r.url());
    }
    exec(&mut test)?;
    // nextest does not run doctests.
    match nextest {
        true => exec(&mut cargo(&format!("test {workspace} --doc"))),
        false => Ok(()),
    }
}

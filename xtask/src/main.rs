//! Developer and CI commands: `cargo xtask <command>`. One place for every workflow, so the
//! README, CI and the Nix checks all run the same steps.

mod bench;
mod dev;
mod dist;
mod inputs;
mod repro;
mod stack;
mod suites;
mod test;
mod util;
mod web;

use anyhow::Result;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Conduit developer commands")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the whole app locally (throwaway PostgreSQL and Redis under target/ unless configured).
    Dev,
    /// Format check, clippy, every Rust test, then every offline suite (see `--suite`).
    Test(test::Args),
    /// Seed a realistic data set and measure the API under a fixed, bounded load.
    Bench(bench::Args),
    /// Build the release artefacts into target/dist/ (both, or only `api` or `web`).
    Dist {
        #[arg(value_parser = ["api", "web"])]
        only: Option<String>,
    },
    /// Build the release binaries twice in different paths and compare their SHA-256.
    Repro,
    /// Resolve pinned inputs (xtask/inputs.toml) and print their verified paths; `--list`.
    Input(inputs::Args),
    /// Write kustomize/clusters/<env>/cluster-vars.yaml from `terraform output -json`.
    ClusterVars {
        #[arg(long, value_parser = ["staging", "production"])]
        env: String,
        /// A file holding `terraform -chdir=terraform/envs/<env> output -json`.
        #[arg(long)]
        outputs: std::path::PathBuf,
        /// Print the result instead of writing the file.
        #[arg(long)]
        stdout: bool,
    },
}

fn main() -> Result<()> {
    util::add_local_tools_to_path();
    match Cli::parse().command {
        Cmd::Dev => dev::run(),
        Cmd::Test(args) => test::run(args),
        Cmd::Bench(args) => bench::run(args),
        Cmd::Dist { only } => dist::run(only.as_deref()),
        Cmd::Repro => repro::run(),
        Cmd::Input(args) => inputs::run(args),
        Cmd::ClusterVars {
            env,
            outputs,
            stdout,
        } => suites::terraform::cluster_vars::command(&env, &outputs, stdout),
    }
}

//! The `terraform` suite: everything under `terraform/`, offline, each check a maintained tool's
//! configured in `terraform/` (see its README, "Tests"): `terraform fmt`; semgrep with the layout
//! rules of `terraform/semgrep/` (after `semgrep --test` has shown each rule reporting its
//! fixture); init + validate + `terraform test` of every module, environment and bootstrap
//! against the provider mirror; checkov. In the background, the staging composition is applied to
//! a fresh moto_server, checked against the other layers by `terraform test` in
//! `terraform/checks` (each check with fixtures it must reject), re-planned (must be empty) and
//! destroyed. State, data directories and copies live under `target/terraform-suite/`.

pub mod cluster_vars;
mod emulator;
pub(crate) mod mirror;

use crate::util::{require, root};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The suite must stay within this on two cores; exceeding it is reported.
const BUDGET: Duration = Duration::from_secs(6 * 60);

pub fn run() -> Result<()> {
    let started = Instant::now();
    let tf = Terraform::prepare()?;
    let semgrep = require("semgrep", "pip install -r .ci/requirements.txt (semgrep)")?;
    let src = &tf.source;
    step("fmt -check -recursive", || {
        tf.run(src, "fmt", &["fmt", "-check", "-recursive", "-diff"])
    })?;
    // semgrep with metrics and the version check (a network call that stalls offline) off.
    let sg = |args: &[&str]| {
        let mut c = Command::new(&semgrep);
        c.env("SEMGREP_ENABLE_VERSION_CHECK", "0").current_dir(src);
        captured(c.args(args).args(["--metrics=off", "--quiet"]))
    };
    step("semgrep: layout rules report their fixtures", || {
        sg(&["--test", "semgrep"])
    })?;
    let scan = "scan --error --config semgrep/layout.yaml --exclude semgrep";
    step("semgrep: layout rules over terraform/", || {
        sg(&scan.split(' ').collect::<Vec<_>>())
    })?;
    // Terraform's plugin cache is not safe for concurrent installs: fill it once, before the
    // parallel inits only link from it.
    let kms = tf.copy.join("modules/kms");
    step("provider plugin cache warm-up", || {
        tf.run(&kms, "warm-up", &["init", "-backend=false"])
    })?;
    // The emulator run waits on the provider's polling most of the time, so it runs beside
    // validate, test and checkov.
    let (emulator, foreground) = std::thread::scope(|s| {
        let emulator = s.spawn(|| {
            let result = emulator::run(&tf);
            eprintln!("\n-- terraform: emulator (staging)\n   {result:?}");
            result
        });
        let foreground = step("init + validate + test of every root", || tf.validate_all())
            .and_then(|_| {
                step("checkov (terraform)", || {
                    let args = ["--framework", "terraform", "--skip-path", "semgrep"];
                    crate::suites::kustomize::checkov(&args, src, &tf.work)
                })
            });
        (emulator.join(), foreground)
    });
    foreground?;
    emulator.map_err(|_| anyhow::anyhow!("the emulator thread panicked"))??;
    let total = started.elapsed();
    let over = if total > BUDGET { ", OVER BUDGET" } else { "" };
    eprintln!("\nterraform suite: {total:.0?} (budget {BUDGET:?}){over}");
    Ok(())
}

fn step(name: &str, f: impl FnOnce() -> Result<String>) -> Result<()> {
    let t = Instant::now();
    let out = f().with_context(|| format!("terraform suite step `{name}` failed"))?;
    let last = out.lines().rev().find(|l| !l.trim().is_empty());
    let last = last.unwrap_or("ok").trim();
    eprintln!(
        "\n-- terraform: {name}\n   ok ({:.1?}): {last}",
        t.elapsed()
    );
    Ok(())
}

/// Runs a command, capturing its output; a failure carries both streams.
pub fn captured(c: &mut Command) -> Result<String> {
    let out = c.output().with_context(|| format!("cannot start {c:?}"))?;
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("{c:?} failed ({}):\n{text}", out.status);
    }
    Ok(text.into_owned())
}

/// `terraform/` (read only), `target/terraform-suite/`, the copy of `terraform/` there where init,
/// validate and test run, and the binary.
pub struct Terraform {
    pub source: PathBuf,
    pub work: PathBuf,
    pub copy: PathBuf,
    binary: PathBuf,
}

impl Terraform {
    fn prepare() -> Result<Self> {
        let hint = "install Terraform >= 1.11 (see terraform/README.md)";
        let binary = require("terraform", hint)?;
        let mirror = mirror::discover()?;
        eprintln!("terraform: provider mirror {}", mirror.display());
        let (source, work) = (
            root().join("terraform"),
            root().join("target/terraform-suite"),
        );
        if work.exists() {
            std::fs::remove_dir_all(&work).context("cannot clean target/terraform-suite")?;
        }
        std::fs::create_dir_all(work.join("plugin-cache"))?;
        // Providers come from the local mirror only.
        let mirror = mirror.display().to_string().replace('\\', "/");
        let only = "clude = [\"registry.terraform.io/*/*\"]";
        let config = format!("provider_installation {{\n  filesystem_mirror {{\n    path = \"{mirror}\"\n    in{only}\n  }}\n  direct {{\n    ex{only}\n  }}\n}}\n");
        std::fs::write(work.join("terraform.tfrc"), config)?;
        let copy = work.join("src");
        copy_tree(&source, &copy)?;
        Ok(Terraform {
            source,
            work,
            copy,
            binary,
        })
    }

    /// `terraform` in `dir` with the suite's CLI configuration, a data directory of its own
    /// (`data_name`) and no ambient AWS or Terraform settings (only PATH and HOME pass).
    pub fn command(&self, dir: &Path, data_name: &str) -> Command {
        let mut c = Command::new(&self.binary);
        c.env_clear().current_dir(dir);
        for key in ["PATH", "HOME"] {
            c.envs(std::env::var_os(key).map(|v| (key, v)));
        }
        let work = |p: &str| self.work.join(p);
        c.env("TF_CLI_CONFIG_FILE", work("terraform.tfrc"))
            .env("TF_PLUGIN_CACHE_DIR", work("plugin-cache"))
            .env("TF_DATA_DIR", work("data").join(data_name))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("AWS_CONFIG_FILE", work("no-aws-config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", work("no-aws-credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true");
        c
    }

    /// `terraform <args> -no-color` in `dir`, captured (see [`Terraform::command`]).
    pub fn run(&self, dir: &Path, data_name: &str, args: &[&str]) -> Result<String> {
        captured(self.command(dir, data_name).args(args).arg("-no-color"))
    }

    /// init + validate + test of every module, environment and bootstrap root, on two workers;
    /// fails with every failure at the end.
    fn validate_all(&self) -> Result<String> {
        let mut queue = vec!["bootstrap".to_string()];
        for group in ["modules", "envs"] {
            for e in std::fs::read_dir(self.source.join(group))? {
                queue.push(format!("{group}/{}", e?.file_name().to_string_lossy()));
            }
        }
        let (roots, queue) = (queue.len(), Mutex::new(queue));
        let (failures, passed) = (Mutex::new(Vec::new()), Mutex::new(0));
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    while let Some(rel) = queue.lock().unwrap().pop() {
                        match self.validate(&rel) {
                            Ok(n) => *passed.lock().unwrap() += n,
                            Err(e) => failures.lock().unwrap().push(format!("{rel}: {e:#}")),
                        }
                    }
                });
            }
        });
        let failures = failures.into_inner().unwrap();
        if !failures.is_empty() {
            bail!(
                "{} root(s) failed:\n{}",
                failures.len(),
                failures.join("\n")
            );
        }
        let passed = passed.into_inner().unwrap();
        Ok(format!("{roots} roots valid; {passed} run blocks passed"))
    }

    fn validate(&self, rel: &str) -> Result<usize> {
        let (dir, data) = (self.copy.join(rel), rel.replace('/', "-"));
        // Applied roots commit their lock file: read-only, init fails unless it already lists the
        // provider and its checksums.
        let applied = !rel.starts_with("modules/");
        let init = ["init", "-backend=false", "-input=false"];
        let lock = if applied {
            "-lockfile=readonly"
        } else {
            "-upgrade=false"
        };
        if let Err(e) = self.run(&dir, &data, &[&init[..], &[lock]].concat()) {
            // The emulator's concurrent init can race on the plugin cache; the provider is then
            // there, so one retry settles it.
            if !format!("{e:#}").contains("Failed to install provider") {
                return Err(e);
            }
            self.run(&dir, &data, &[&init[..], &[lock]].concat())?;
        }
        self.run(&dir, &data, &["validate"])?;
        let out = self.run(&dir, &data, &["test"])?;
        // `Success! 7 passed, 0 failed.`
        let passed = out.lines().find_map(|l| l.strip_prefix("Success! "));
        match passed.and_then(|l| l.split(' ').next()?.parse().ok()) {
            Some(n) if n > 0 => Ok(n),
            _ => bail!("terraform test ran no run block (every root has tests/):\n{out}"),
        }
    }
}

/// Copies a Terraform tree without local state, provider caches or override files.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    crate::util::copy_tree(from, to, &|name| {
        name == ".terraform" || name.contains(".tfstate") || name.ends_with("override.tf")
    })
}

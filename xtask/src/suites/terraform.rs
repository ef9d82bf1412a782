//! The `terraform` suite: everything under `terraform/`, offline.
//!
//! 0. Self-tests: each guard below rejects its fixture (a Load Balancer Controller policy without
//!    listener tags or SetRulePriorities, cluster-vars with a wrong VPC_CIDR, an environment root
//!    with its own resources).
//! 1. `terraform fmt -check -recursive` on the source tree.
//! 2. Layout rules (module files, environments as thin roots over `modules/platform`, backend and
//!    tags, contract outputs)
//!    and the README inputs/outputs tables against `variables.tf`/`outputs.tf`.
//! 3. `terraform init -backend=false` + `validate` for every module and environment, against the
//!    provider filesystem mirror; the environments with `-lockfile=readonly` so the committed
//!    `.terraform.lock.hcl` must already be right.
//! 4. `terraform test` (mock provider) for every directory that has `tests/`.
//! 5. checkov with zero failed checks, and every inline skip carrying a reason.
//! 6. apply, a second plan that must be empty, and destroy of the staging composition against a
//!    fresh `moto_server` on loopback (in a background thread while 3 to 5 run); between apply and
//!    destroy, the applied Load Balancer Controller policy is compared with the upstream one and
//!    the committed cluster-vars with the `cluster_vars` output.
//!
//! All Terraform state, data directories and copies live under `target/terraform-suite/`; the
//! source tree is only read.

mod alb_ports;
mod checkov;
pub mod cluster_vars;
mod emulator;
mod layout;
mod lb_policy;
mod log_filters;
pub(crate) mod mirror;
mod readme;

use crate::util::{require, root};
use anyhow::{bail, Context, Result};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The suite must stay within this on two cores; it is printed, and exceeding it is reported.
const BUDGET: Duration = Duration::from_secs(6 * 60);
/// `terraform test` and `validate` run at most this many processes at once.
const WORKERS: usize = 2;

pub fn run() -> Result<()> {
    let started = Instant::now();
    let tf = Terraform::prepare()?;
    let mut timings: Vec<(String, Duration)> = Vec::new();

    step(
        &mut timings,
        "self-tests of the guards (rejecting fixtures)",
        || {
            let lb = lb_policy::self_test(&tf.lb_reference)?;
            let vars = cluster_vars::self_test(&tf.kustomize)?;
            let layout = layout::self_test()?;
            let ports = alb_ports::self_test(&tf.kustomize)?;
            let filters = log_filters::self_test(&tf.kustomize)?;
            Ok(format!("{lb}; {vars}; {layout}; {ports}; {filters}"))
        },
    )?;
    step(&mut timings, "fmt -check -recursive", || tf.fmt_check())?;
    step(&mut timings, "layout and contract", || {
        layout::check(&tf.source)
    })?;
    step(&mut timings, "README inputs/outputs tables", || {
        readme::check(&tf.source)
    })?;

    // Terraform's plugin cache is not safe for concurrent installs: two `init`s filling an
    // empty cache at once can leave one of them linked to a half-written provider. Fill it
    // once here; the parallel inits below then only link from it.
    step(&mut timings, "provider plugin cache warm-up", || {
        tf.warm_plugin_cache()
    })?;

    // The emulator run spends most of its time in the provider's polling waits, so it runs
    // beside validate, test (which keep to WORKERS terraform processes) and checkov.
    eprintln!("\n-- terraform: moto apply / re-plan / destroy (staging), in the background");
    let (emulator, validated, tested, scanned) = std::thread::scope(|s| {
        let emulator = s.spawn(|| {
            let t = Instant::now();
            let r = emulator::run(&tf);
            (r, t.elapsed())
        });
        let mut foreground = Vec::new();
        let validated = step(&mut foreground, "init + validate (offline mirror)", || {
            tf.validate_all()
        });
        let tested = validated.as_ref().ok().map(|_| {
            step(&mut foreground, "terraform test (mock provider)", || {
                tf.test_all()
            })
        });
        let scanned = step(&mut foreground, "checkov", || checkov::run(&tf.source));
        let emulator = emulator.join().expect("the emulator thread panicked");
        timings.extend(foreground);
        (emulator, validated, tested, scanned)
    });
    if let Err(e) = &emulator.0 {
        eprintln!("\n-- terraform: moto apply / re-plan / destroy (staging) FAILED:\n{e:#}");
    }
    validated?;
    tested.transpose()?;
    scanned?;
    let (result, elapsed) = emulator;
    let summary = result.context("terraform suite step `moto apply / re-plan / destroy` failed")?;
    eprintln!("\n-- terraform: moto apply / re-plan / destroy (staging)");
    eprintln!("   ok ({:.1}s): {summary}", elapsed.as_secs_f64());
    timings.push(("moto apply / re-plan / destroy (parallel)".into(), elapsed));

    let total = started.elapsed();
    eprintln!("\nterraform suite timings:");
    for (name, d) in &timings {
        eprintln!("  {name:<44} {:>6.1}s", d.as_secs_f64());
    }
    eprintln!(
        "  {:<44} {:>6.1}s (budget {}s)",
        "total (wall clock)",
        total.as_secs_f64(),
        BUDGET.as_secs()
    );
    if total > BUDGET {
        eprintln!(
            "WARNING: the terraform suite took {:.0}s, over its {}s budget",
            total.as_secs_f64(),
            BUDGET.as_secs()
        );
    }
    Ok(())
}

fn step(
    timings: &mut Vec<(String, Duration)>,
    name: &str,
    f: impl FnOnce() -> Result<String>,
) -> Result<()> {
    eprintln!("\n-- terraform: {name}");
    let t = Instant::now();
    let summary = f().with_context(|| format!("terraform suite step `{name}` failed"))?;
    let elapsed = t.elapsed();
    eprintln!("   ok ({:.1}s): {summary}", elapsed.as_secs_f64());
    timings.push((name.to_string(), elapsed));
    Ok(())
}

/// Paths and environment shared by every Terraform invocation of the suite.
pub struct Terraform {
    /// `terraform/` in the checkout (read only).
    pub source: PathBuf,
    /// `target/terraform-suite/`.
    pub work: PathBuf,
    /// A fresh copy of `terraform/` where init, validate and test run.
    pub copy: PathBuf,
    pub binary: PathBuf,
    /// `kustomize/` in the checkout (read only): the cluster-vars Terraform must agree with.
    pub kustomize: PathBuf,
    /// The upstream Load Balancer Controller policy the applied one must cover.
    pub lb_reference: serde_json::Value,
    cli_config: PathBuf,
    plugin_cache: PathBuf,
}

impl Terraform {
    fn prepare() -> Result<Self> {
        let binary = require(
            "terraform",
            "install Terraform >= 1.11 (see terraform/README.md)",
        )?;
        let version = crate::util::output(Command::new(&binary).arg("version"))?;
        eprintln!(
            "terraform: {}",
            version.lines().next().unwrap_or("unknown version")
        );
        let mirror = mirror::discover()?;
        eprintln!("terraform: provider mirror {}", mirror.display());

        let lb_reference = lb_policy::read_reference()?;
        let source = root().join("terraform");
        let work = root().join("target").join("terraform-suite");
        if work.exists() {
            std::fs::remove_dir_all(&work)
                .with_context(|| format!("cannot clean {}", work.display()))?;
        }
        std::fs::create_dir_all(&work)?;
        let plugin_cache = work.join("plugin-cache");
        std::fs::create_dir_all(&plugin_cache)?;
        let cli_config = work.join("terraform.tfrc");
        std::fs::write(&cli_config, cli_config_text(&mirror))?;
        let copy = work.join("src");
        copy_tree(&source, &copy)?;
        Ok(Terraform {
            source,
            work,
            copy,
            binary,
            kustomize: root().join("kustomize"),
            lb_reference,
            cli_config,
            plugin_cache,
        })
    }

    /// `terraform` in `dir` with the suite's CLI configuration, a data directory of its own
    /// (`data_name`) and no ambient AWS configuration.
    pub fn command(&self, dir: &Path, data_name: &str) -> Command {
        let mut c = Command::new(&self.binary);
        c.current_dir(dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_PLUGIN_CACHE_DIR", &self.plugin_cache)
            .env("TF_DATA_DIR", self.work.join("data").join(data_name))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("AWS_CONFIG_FILE", self.work.join("no-aws-config"))
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.work.join("no-aws-credentials"),
            )
            .env("AWS_EC2_METADATA_DISABLED", "true");
        for var in [
            "AWS_PROFILE",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_ENDPOINT_URL",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "TF_LOG",
            "TF_WORKSPACE",
        ] {
            c.env_remove(var);
        }
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("TF_VAR_") {
                c.env_remove(key);
            }
        }
        c
    }

    fn fmt_check(&self) -> Result<String> {
        let out = self
            .command(&self.source, "fmt")
            .args(["fmt", "-check", "-recursive", "-diff", "-no-color"])
            .output()?;
        if !out.status.success() {
            bail!(
                "files are not `terraform fmt`-formatted (run `terraform fmt -recursive terraform`):\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok("every .tf and .tftest.hcl file is canonically formatted".into())
    }

    /// Module, environment and bootstrap directories, relative to `terraform/`.
    pub fn roots(&self) -> Result<Vec<String>> {
        let mut dirs = Vec::new();
        for group in ["modules", "envs"] {
            let mut names: Vec<String> = std::fs::read_dir(self.source.join(group))
                .with_context(|| format!("terraform/{group} is missing"))?
                .filter_map(|e| e.ok())
                .filter(|e| e.path().is_dir())
                .map(|e| format!("{group}/{}", e.file_name().to_string_lossy()))
                .collect();
            names.sort();
            dirs.extend(names);
        }
        if self.source.join("bootstrap").is_dir() {
            dirs.push("bootstrap".to_string());
        }
        Ok(dirs)
    }

    fn warm_plugin_cache(&self) -> Result<String> {
        let first = self
            .roots()?
            .into_iter()
            .find(|r| r.starts_with("modules/"))
            .context("no Terraform module to initialise")?;
        captured(
            self.command(&self.copy.join(&first), "plugin-cache-warm-up")
                .args(["init", "-backend=false", "-input=false", "-no-color"]),
            &first,
        )?;
        Ok(format!(
            "provider installed once into the plugin cache (via {first})"
        ))
    }

    fn validate_all(&self) -> Result<String> {
        let roots = self.roots()?;
        let jobs: Vec<Job> = roots
            .iter()
            .map(|rel| {
                let rel = rel.clone();
                let job: Job = Box::new(move || self.validate(&rel));
                job
            })
            .collect();
        let n = jobs.len();
        run_parallel(jobs)?;
        Ok(format!("{n} root modules initialised offline and valid"))
    }

    fn validate(&self, rel: &str) -> Result<String> {
        let dir = self.copy.join(rel);
        let data = rel.replace('/', "-");
        // Root modules that are applied (environments, bootstrap) commit their lock file.
        let is_env = rel.starts_with("envs/") || rel == "bootstrap";
        let mut init = self.command(&dir, &data);
        init.args(["init", "-backend=false", "-input=false", "-no-color"]);
        if is_env {
            // The committed lock file must already list the provider and its checksum.
            init.arg("-lockfile=readonly");
        }
        if let Err(e) = captured(&mut init, rel) {
            // A concurrent init (the emulator's) can race on the plugin cache directory; the
            // provider is then already there, so one retry settles it.
            if !format!("{e:#}").contains("Failed to install provider") {
                return Err(e);
            }
            let mut again = self.command(&dir, &data);
            again.args(init.get_args().collect::<Vec<_>>());
            captured(&mut again, rel)?;
        }
        captured(
            self.command(&dir, &data).args(["validate", "-no-color"]),
            rel,
        )?;
        if is_env {
            let committed = std::fs::read(self.source.join(rel).join(".terraform.lock.hcl"))
                .with_context(|| format!("{rel}/.terraform.lock.hcl is not committed"))?;
            let after = std::fs::read(dir.join(".terraform.lock.hcl"))?;
            if committed != after {
                bail!("{rel}: terraform init changed .terraform.lock.hcl");
            }
        }
        Ok(format!("{rel}: valid"))
    }

    fn test_all(&self) -> Result<String> {
        let with_tests: Vec<String> = self
            .roots()?
            .into_iter()
            .filter(|rel| self.source.join(rel).join("tests").is_dir())
            .collect();
        let totals = Mutex::new((0usize, 0usize));
        let jobs: Vec<Job> = with_tests
            .iter()
            .map(|rel| {
                let rel = rel.clone();
                let totals = &totals;
                let job: Job = Box::new(move || {
                    let dir = self.copy.join(&rel);
                    let data = rel.replace('/', "-");
                    let out =
                        captured(self.command(&dir, &data).args(["test", "-no-color"]), &rel)?;
                    let (passed, files) = count_tests(&out).with_context(|| {
                        format!("{rel}: cannot find the test summary in:\n{out}")
                    })?;
                    if passed == 0 {
                        bail!("{rel}: terraform test ran no run blocks");
                    }
                    let mut t = totals.lock().unwrap();
                    t.0 += passed;
                    t.1 += files;
                    Ok(format!(
                        "{rel}: {passed} run blocks passed in {files} files"
                    ))
                });
                job
            })
            .collect();
        run_parallel(jobs)?;
        let (passed, files) = *totals.lock().unwrap();
        Ok(format!(
            "{passed} run blocks in {files} test files over {} modules passed",
            with_tests.len()
        ))
    }
}

fn cli_config_text(mirror: &Path) -> String {
    let path = mirror.display().to_string().replace('\\', "/");
    format!(
        r#"# Generated by `cargo xtask test --only terraform`: providers come from the local mirror only.
provider_installation {{
  filesystem_mirror {{
    path    = "{path}"
    include = ["registry.terraform.io/*/*"]
  }}
  direct {{
    exclude = ["registry.terraform.io/*/*"]
  }}
}}
"#
    )
}

/// Copies `from` to `to`, leaving out anything Terraform generates locally.
/// Copies a Terraform tree without local state, provider caches or override files.
pub fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    crate::util::copy_tree(from, to, &|name| {
        name == ".terraform"
            || name.contains(".tfstate")
            || name.ends_with("_override.tf")
            || name == "override.tf"
    })
}

/// Runs a command, capturing its output; a failure carries both streams.
pub fn captured(c: &mut Command, label: &str) -> Result<String> {
    let out = c
        .output()
        .with_context(|| format!("{label}: could not start {:?}", c.get_program()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        let args: Vec<_> = c.get_args().map(|a| a.to_string_lossy()).collect();
        bail!(
            "{label}: `terraform {}` failed ({}):\n{text}",
            args.join(" "),
            out.status
        );
    }
    Ok(text)
}

/// `Success! 7 passed, 0 failed.` plus the number of `... pass` file lines.
fn count_tests(out: &str) -> Option<(usize, usize)> {
    let line = out.lines().find(|l| l.starts_with("Success!"))?;
    let passed = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse::<usize>().ok())?;
    let files = out
        .lines()
        .filter(|l| l.contains(".tftest.hcl") && l.trim_end().ends_with("pass"))
        .count();
    Some((passed, files))
}

type Job<'a> = Box<dyn FnOnce() -> Result<String> + Send + 'a>;

/// Runs the jobs on `WORKERS` threads, printing each result as it finishes; fails with every
/// failure once all are done.
fn run_parallel(jobs: Vec<Job<'_>>) -> Result<()> {
    let queue = Mutex::new(jobs.into_iter().collect::<VecDeque<_>>());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let job = queue.lock().unwrap().pop_front();
                let Some(job) = job else { break };
                match job() {
                    Ok(msg) => eprintln!("   {msg}"),
                    Err(e) => {
                        eprintln!("   FAILED: {e:#}");
                        failures.lock().unwrap().push(format!("{e:#}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    if !failures.is_empty() {
        bail!("{} job(s) failed:\n{}", failures.len(), failures.join("\n"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_terraform_test_summary() {
        let out = "tests/a.tftest.hcl... in progress\n  run \"x\"... pass\ntests/a.tftest.hcl... tearing down\ntests/a.tftest.hcl... pass\n\nSuccess! 3 passed, 0 failed.\n";
        assert_eq!(count_tests(out), Some((3, 1)));
        assert_eq!(count_tests("Failure! 1 passed, 1 failed."), None);
    }

    #[test]
    fn cli_config_pins_the_mirror() {
        let text = cli_config_text(Path::new("/m"));
        assert!(text.contains("path    = \"/m\""));
        assert!(text.contains("exclude = [\"registry.terraform.io/*/*\"]"));
    }
}

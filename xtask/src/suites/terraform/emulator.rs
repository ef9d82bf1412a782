//! apply → cross-layer checks → second plan (must be empty) → destroy of the staging composition
//! against a fresh `moto_server` on a free loopback port.
//!
//! Everything emulator-specific is generated for this run only, under `target/terraform-suite/`:
//! a fixtures root (state bucket and Route 53 zone), an `emulator_override.tf` with the provider
//! endpoints and `skip_*` flags, and a `-backend-config` file pointing the committed S3 backend
//! (with its native lock file) at moto. `terraform/checks/emulator.tfvars` switches off the few
//! APIs moto cannot model.

use super::{captured, copy_tree, Terraform};
use crate::util::require;
use anyhow::{bail, Context, Result};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The switches for what moto cannot model (relative to the staging root).
const VAR_FILE: &str = "-var-file=../../checks/emulator.tfvars";
const STATE_BUCKET: &str = "conduit-staging-tfstate-emulator";
/// AWS services the staging composition calls.
const SERVICES: &str = "acm cloudtrail cloudwatch configservice ec2 ecr eks elasticache events \
    guardduty iam kms logs rds route53 s3 secretsmanager securityhub sns sts wafv2";
/// Settings of this run only: dummy credentials, no account or region look-ups.
const SKIP: &str = "access_key                  = \"testing\"\nsecret_key                  = \"testing\"\nskip_credentials_validation = true\nskip_requesting_account_id  = true\nskip_metadata_api_check     = true\nskip_region_validation      = true\n";

pub fn run(tf: &Terraform) -> Result<String> {
    let moto = require("moto_server", "pip install -r .ci/requirements.txt (moto)")?;
    let dir = tf.work.join("emulator");
    let (fixtures, tree) = (dir.join("fixtures"), dir.join("src"));
    std::fs::create_dir_all(&fixtures)?;
    let server = Moto::start(&moto, &dir.join("moto.log"))?;
    let endpoint = format!("http://127.0.0.1:{}", server.1);
    let services = SERVICES.split_whitespace();
    let endpoints: String = services
        .map(|s| format!("{s} = \"{endpoint}\"\n"))
        .collect();
    // Few retries: moto answers "not found" with a retryable 404.
    let provider = format!("provider \"aws\" {{\n{SKIP}s3_use_path_style = true\nmax_retries = 2\nendpoints {{\n{endpoints}}}\n}}\n");

    // 1. The fixtures the environment expects (FIXTURES).
    std::fs::write(fixtures.join("emulator_override.tf"), &provider)?;
    std::fs::write(fixtures.join("main.tf"), FIXTURES)?;
    let fx = |args: &[&str]| tf.run(&fixtures, "emulator-fixtures", args);
    fx(&["init"])?;
    fx(&["apply", "-auto-approve"])?;
    let zone_id = fx(&["output", "-raw", "zone_id"])?;

    // 2. A copy of the tree with the run-only files beside the committed staging root.
    copy_tree(&tf.source, &tree)?;
    let staging = tree.join("envs/staging");
    std::fs::write(staging.join("emulator_override.tf"), &provider)?;
    let backend = format!("bucket = \"{STATE_BUCKET}\"\n{SKIP}use_path_style = true\nskip_s3_checksum = true\nendpoints = {{ s3 = \"{endpoint}\" }}\n");
    std::fs::write(staging.join("emulator.s3.tfbackend"), backend)?;
    let zone = format!("-var=route53_zone_id={}", zone_id.trim());
    let vars = [VAR_FILE, "-var=domain_name=conduit.test", &zone];
    let run = |args: &[&str]| tf.run(&staging, "emulator-staging", args);

    let t = Instant::now();
    run(&[
        "init",
        "-lockfile=readonly",
        "-backend-config=emulator.s3.tfbackend",
    ])?;
    let apply = run(&[&["apply", "-auto-approve"], &vars[..]].concat())?;
    std::fs::write(dir.join("apply.log"), &apply)?;
    let added = summary_number(&apply, "Apply complete! Resources: ")?;
    eprintln!(
        "   emulator: {added} resources applied ({:.0?})",
        t.elapsed()
    );

    // 3. The applied state against the other layers: terraform/checks, each check with fixtures.
    std::fs::write(dir.join("outputs.json"), run(&["output", "-json"])?)?;
    std::fs::write(dir.join("show.json"), run(&["show", "-json"])?)?;
    let mut checks = tf.command(&tree.join("checks"), "emulator-checks");
    checks.env("TF_VAR_show_json", dir.join("show.json"));
    checks.env("TF_VAR_outputs_json", dir.join("outputs.json"));
    checks.env(
        "TF_VAR_lb_reference",
        crate::inputs::path("alb-controller-iam-policy")?,
    );
    checks.env(
        "TF_VAR_kustomize_dir",
        crate::util::root().join("kustomize"),
    );
    let checks = captured(checks.args(["test", "-no-color"]))?;
    let checks = checks.lines().rev().find(|l| !l.trim().is_empty());
    let checks = checks.unwrap_or_default();
    eprintln!("   emulator: terraform test of terraform/checks: {checks}");
    // The state went through the committed S3 backend (with its lock file) into moto.
    let local = tf.work.join("data/emulator-staging/terraform.tfstate");
    let local = std::fs::read_to_string(local).unwrap_or_default();
    if !local.contains("\"type\": \"s3\"") || staging.join("terraform.tfstate").exists() {
        bail!("the state was not stored through the S3 backend");
    }

    // 4. The second plan must be empty: exit code 0 with -detailed-exitcode.
    run(&[&["plan", "-detailed-exitcode"], &vars[..]].concat())
        .context("the plan after apply is not empty (exit code 2) or failed")?;

    // 5. Destroy, and nothing may be left in the state.
    let destroy = run(&[&["destroy", "-auto-approve"], &vars[..]].concat())?;
    let destroyed = summary_number(&destroy, "Destroy complete! Resources: ")?;
    let left = captured(
        tf.command(&staging, "emulator-staging")
            .args(["state", "list"]),
    )?;
    if !left.trim().is_empty() || destroyed != added {
        bail!("created {added} resources but destroyed {destroyed}; left:\n{left}");
    }
    Ok(format!(
        "{added} resources applied, checks passed, re-plan empty, all destroyed ({:.0?})",
        t.elapsed()
    ))
}

/// What the environment expects to exist already: the state bucket and a DNS zone.
const FIXTURES: &str = r#"provider "aws" { region = "eu-west-1" }
resource "aws_s3_bucket" "state" { bucket = "conduit-staging-tfstate-emulator" }
resource "aws_route53_zone" "this" { name = "conduit.test" }
output "zone_id" { value = aws_route53_zone.this.zone_id }
"#;

/// `Apply complete! Resources: 12 added, ...` / `Destroy complete! Resources: 12 destroyed.`
fn summary_number(text: &str, prefix: &str) -> Result<usize> {
    let rest = text.lines().find_map(|l| l.strip_prefix(prefix));
    let n = rest.and_then(|r| r.split(' ').next()?.parse().ok());
    n.with_context(|| format!("no `{prefix}` summary in:\n{text}"))
}

/// A moto_server child process, killed when dropped (also on failure paths).
struct Moto(Child, u16);

impl Moto {
    fn start(binary: &Path, log: &Path) -> Result<Moto> {
        let port = conduit_testkit::free_port()?;
        let log = std::fs::File::create(log)?;
        let child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_ACM_VALIDATION_WAIT", "1")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut moto = Moto(child, port);
        let deadline = Instant::now() + Duration::from_secs(60);
        while crate::util::http(&format!("127.0.0.1:{port}"), "GET", "/moto-api/", None).is_err() {
            if moto.0.try_wait()?.is_some() || Instant::now() > deadline {
                bail!("moto_server exited or did not answer within 60s (see moto.log)");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        Ok(moto)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

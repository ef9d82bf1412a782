//! apply → second plan (must be empty) → destroy of the staging composition against a fresh
//! `moto_server` on a free loopback port.
//!
//! Everything emulator-specific is generated for this run only, under `target/terraform-suite/`:
//! a fixtures root (state bucket and Route 53 zone), an `emulator_override.tf` with the provider
//! endpoints and `skip_*` flags, a `-backend-config` file pointing the committed S3 backend
//! (with its native lock file) at moto, and a tfvars file with the switches for the few APIs
//! moto cannot model (listed in the module READMEs and covered by the mocked tests instead).

use super::{
    alb_ports, captured, cluster_vars, copy_tree, layout::CONTRACT_OUTPUTS, lb_policy, log_filters,
    Terraform,
};
use crate::util::which;
use anyhow::{bail, Context, Result};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const REGION: &str = "eu-west-1";
const STATE_BUCKET: &str = "conduit-staging-tfstate-emulator";
const ZONE: &str = "conduit.test";
/// The controller's inline policy in the applied staging composition.
const LB_POLICY_ADDRESS: &str =
    "module.platform.module.iam.aws_iam_role_policy.irsa[\"lb_controller\"]";

/// AWS services the staging composition calls.
const SERVICES: &[&str] = &[
    "acm",
    "cloudtrail",
    "cloudwatch",
    "configservice",
    "ec2",
    "ecr",
    "eks",
    "elasticache",
    "events",
    "guardduty",
    "iam",
    "kms",
    "logs",
    "rds",
    "route53",
    "s3",
    "secretsmanager",
    "securityhub",
    "sns",
    "sts",
    "wafv2",
];

/// Variables that switch off exactly what moto cannot model (see the module READMEs).
const EMULATOR_VARS: &str = r#"# moto gaps (measured with moto 5.2): EKS add-ons and access entries answer 404; the cluster
# does not return access_config/upgrade_policy and invents node-group attributes (perpetual
# replacement); KMS rotation periods, RDS Performance Insights, parameter-group parameters and CA
# changes are not modelled; the Redis replication group cannot be read back, its subnet group not
# deleted and parameter groups not created; CloudWatch Logs query definitions are not implemented;
# Security Hub's UpdateSecurityHubConfiguration answers 500, GuardDuty Runtime Monitoring cannot be
# read back and the managed policy AWS_ConfigRole does not exist (Slack IDs stay null: no Chatbot).
# Secrets skip the recovery window so a re-run is clean.
emulator_gaps = {
  eks_addons                           = true
  eks_access_entries                   = true
  eks_node_group                       = true
  eks_access_config_and_upgrade_policy = true
  kms_rotation_period                  = true
  db_parameter_group                   = true
  redis_replication_group              = true
  logs_query_definitions               = true
  security_hub                         = true
  guardduty_runtime_monitoring         = true
  config_managed_policy                = true
}
db_performance_insights     = false
db_ca_cert_identifier       = null
secret_recovery_window_days          = 0
"#;

pub fn run(tf: &Terraform) -> Result<String> {
    let moto = which("moto_server")
        .or_else(|| std::env::var_os("MOTO_SERVER").map(PathBuf::from))
        .context(
            "`moto_server` is not on PATH: install moto[server] from .ci/requirements.txt into target/ci-venv",
        )?;
    let dir = tf.work.join("emulator");
    std::fs::create_dir_all(&dir)?;
    let server = Moto::start(&moto, &dir.join("moto.log"))?;
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    eprintln!("   emulator: moto_server {} on {endpoint}", moto.display());

    // 1. Fixtures the environment expects to exist already: the state bucket and a DNS zone.
    let fixtures = dir.join("fixtures");
    std::fs::create_dir_all(&fixtures)?;
    std::fs::write(fixtures.join("main.tf"), fixtures_tf())?;
    std::fs::write(
        fixtures.join("emulator_override.tf"),
        provider_override(&endpoint),
    )?;
    captured(
        tf.command(&fixtures, "emulator-fixtures")
            .args(["init", "-input=false", "-no-color"]),
        "emulator fixtures",
    )?;
    captured(
        tf.command(&fixtures, "emulator-fixtures").args([
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
        ]),
        "emulator fixtures",
    )?;
    let zone_id = captured(
        tf.command(&fixtures, "emulator-fixtures")
            .args(["output", "-raw", "zone_id"]),
        "emulator fixtures",
    )?
    .trim()
    .to_string();

    // 2. A copy of the tree with the run-only files beside the committed staging root.
    let tree = dir.join("src");
    copy_tree(&tf.source, &tree)?;
    let staging = tree.join("envs").join("staging");
    std::fs::write(
        staging.join("emulator_override.tf"),
        provider_override(&endpoint),
    )?;
    std::fs::write(
        staging.join("emulator.s3.tfbackend"),
        backend_config(&endpoint),
    )?;
    std::fs::write(
        staging.join("emulator.tfvars"),
        format!("{EMULATOR_VARS}domain_name     = \"{ZONE}\"\nroute53_zone_id = \"{zone_id}\"\n"),
    )?;
    let tfc = |args: &[&str]| {
        let mut c = tf.command(&staging, "emulator-staging");
        c.args(args);
        c
    };
    let var_file = "-var-file=emulator.tfvars";

    let t = Instant::now();
    captured(
        &mut tfc(&[
            "init",
            "-input=false",
            "-no-color",
            "-lockfile=readonly",
            "-backend-config=emulator.s3.tfbackend",
        ]),
        "emulator init",
    )?;

    let apply = captured(
        &mut tfc(&[
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            var_file,
        ]),
        "emulator apply",
    )?;
    std::fs::write(dir.join("apply.log"), &apply)?;
    let added = summary_number(&apply, "Apply complete! Resources: ", " added")
        .context("apply printed no summary")?;
    eprintln!(
        "   emulator apply: {added} resources created in {:.0}s",
        t.elapsed().as_secs_f64()
    );

    let outputs = captured(&mut tfc(&["output", "-json"]), "emulator output")?;
    check_outputs(&outputs)?;
    std::fs::write(dir.join("outputs.json"), &outputs)?;
    let outputs_json: serde_json::Value = serde_json::from_str(&outputs)?;
    let vars = cluster_vars::check_committed(&tf.kustomize, &outputs_json)?;
    eprintln!("   emulator outputs: {vars}");

    // The Load Balancer Controller's policy as applied, against the upstream policy.
    let show = captured(&mut tfc(&["show", "-json", "-no-color"]), "emulator show")?;
    let show: serde_json::Value = serde_json::from_str(&show).context("terraform show -json")?;
    let policy = lb_policy::resource_values(&show, LB_POLICY_ADDRESS)
        .and_then(|v| v["policy"].as_str())
        .with_context(|| format!("{LB_POLICY_ADDRESS} is not in the applied state"))?;
    let policy: serde_json::Value = serde_json::from_str(policy)?;
    let omitted =
        lb_policy::omissions(&std::fs::read_to_string(tf.source.join(lb_policy::SOURCE))?)?;
    let lb = lb_policy::check(&policy, &tf.lb_reference, &omitted)?;
    eprintln!("   emulator: Load Balancer Controller policy: {lb}");
    let ports = alb_ports::check(
        &alb_ports::ingress_listen_ports(&tf.kustomize)?,
        &alb_ports::admitted(&show)?,
    )?;
    eprintln!("   emulator: {ports}");
    let filters = log_filters::check(
        &log_filters::applied_patterns(&show),
        &log_filters::app_containers(&tf.kustomize)?,
    )?;
    eprintln!("   emulator: {filters}");
    // The state went through the committed S3 backend (with its lock file) into moto.
    let pulled = captured(&mut tfc(&["state", "pull"]), "emulator state pull")?;
    let state: serde_json::Value = serde_json::from_str(&pulled).context("terraform state pull")?;
    let in_state = state["resources"].as_array().map_or(0, Vec::len);
    let backend = std::fs::read_to_string(
        tf.work
            .join("data")
            .join("emulator-staging")
            .join("terraform.tfstate"),
    )
    .unwrap_or_default();
    if in_state == 0
        || !backend.contains("\"type\": \"s3\"")
        || staging.join("terraform.tfstate").exists()
    {
        bail!("the state was not stored through the S3 backend");
    }

    // 3. The second plan must be empty: exit code 0 with -detailed-exitcode.
    let t = Instant::now();
    let plan = tfc(&[
        "plan",
        "-detailed-exitcode",
        "-input=false",
        "-no-color",
        var_file,
    ])
    .output()?;
    let plan_text = format!(
        "{}{}",
        String::from_utf8_lossy(&plan.stdout),
        String::from_utf8_lossy(&plan.stderr)
    );
    match plan.status.code() {
        Some(0) => eprintln!(
            "   emulator re-plan: no changes ({:.0}s)",
            t.elapsed().as_secs_f64()
        ),
        Some(2) => bail!("the plan after apply is not empty:\n{plan_text}"),
        _ => bail!("the plan after apply failed:\n{plan_text}"),
    }

    // 4. Destroy, and nothing may be left in the state.
    let t = Instant::now();
    let destroy = captured(
        &mut tfc(&[
            "destroy",
            "-auto-approve",
            "-input=false",
            "-no-color",
            var_file,
        ]),
        "emulator destroy",
    )?;
    std::fs::write(dir.join("destroy.log"), &destroy)?;
    let destroyed = summary_number(&destroy, "Destroy complete! Resources: ", " destroyed")
        .context("destroy printed no summary")?;
    let left = captured(&mut tfc(&["state", "list"]), "emulator state list")?;
    if !left.trim().is_empty() {
        bail!("resources left in the state after destroy:\n{left}");
    }
    if destroyed != added {
        bail!("created {added} resources but destroyed {destroyed}");
    }
    eprintln!(
        "   emulator destroy: {destroyed} resources removed in {:.0}s",
        t.elapsed().as_secs_f64()
    );
    drop(server);
    Ok(format!(
        "staging composition: {added} resources applied, re-plan empty, {destroyed} destroyed; state and lock file in moto S3"
    ))
}

fn fixtures_tf() -> String {
    format!(
        r#"terraform {{
  required_providers {{
    aws = {{
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }}
  }}
}}

provider "aws" {{
  region = "{REGION}"
}}

resource "aws_s3_bucket" "state" {{
  bucket = "{STATE_BUCKET}"
}}

resource "aws_route53_zone" "this" {{
  name          = "{ZONE}"
  force_destroy = true
}}

output "zone_id" {{
  value = aws_route53_zone.this.zone_id
}}
"#
    )
}

/// The provider settings of this run only: every service at moto, dummy credentials, no
/// account or region look-ups, few retries (moto answers "not found" with a retryable 404).
fn provider_override(endpoint: &str) -> String {
    let mut s = String::from(
        "# Generated for one emulator run; never committed.\nprovider \"aws\" {\n  access_key                  = \"testing\"\n  secret_key                  = \"testing\"\n  skip_credentials_validation = true\n  skip_requesting_account_id  = true\n  skip_metadata_api_check     = true\n  skip_region_validation      = true\n  s3_use_path_style           = true\n  max_retries                 = 2\n\n  endpoints {\n",
    );
    for svc in SERVICES {
        s.push_str(&format!("    {svc} = \"{endpoint}\"\n"));
    }
    s.push_str("  }\n}\n");
    s
}

/// Completes the committed partial S3 backend (key, encrypt, use_lockfile stay as committed).
fn backend_config(endpoint: &str) -> String {
    format!(
        r#"bucket                      = "{STATE_BUCKET}"
access_key                  = "testing"
secret_key                  = "testing"
use_path_style              = true
skip_credentials_validation = true
skip_requesting_account_id  = true
skip_metadata_api_check     = true
skip_region_validation      = true
skip_s3_checksum            = true
endpoints = {{
  s3 = "{endpoint}"
}}
"#
    )
}

fn summary_number(text: &str, prefix: &str, suffix: &str) -> Option<usize> {
    let line = text.lines().find(|l| l.starts_with(prefix))?;
    let rest = &line[prefix.len()..];
    let n = rest.split(suffix).next()?;
    // "Apply complete! Resources: 12 added, 0 changed, 0 destroyed."
    n.split(',').next()?.trim().parse().ok()
}

/// Every contract output exists; those moto models must be non-empty.
fn check_outputs(json: &str) -> Result<()> {
    let v: serde_json::Value = serde_json::from_str(json).context("terraform output -json")?;
    let may_be_empty = ["redis_endpoint"];
    let mut problems = Vec::new();
    for name in CONTRACT_OUTPUTS {
        match v.get(*name).and_then(|o| o.get("value")) {
            None => problems.push(format!("output `{name}` is missing")),
            Some(value) => {
                let empty = match value {
                    serde_json::Value::String(s) => s.is_empty(),
                    serde_json::Value::Object(m) => m.is_empty(),
                    serde_json::Value::Array(a) => a.is_empty(),
                    serde_json::Value::Null => true,
                    _ => false,
                };
                if empty && !may_be_empty.contains(name) {
                    problems.push(format!("output `{name}` is empty"));
                }
            }
        }
    }
    let repos = &v["ecr_repository_urls"]["value"];
    if repos.get("api").is_none() || repos.get("web").is_none() {
        problems.push("ecr_repository_urls must have `api` and `web`".into());
    }
    let logs = &v["log_group_names"]["value"];
    for kind in ["application", "host", "dataplane", "cluster"] {
        let expected = format!("/aws/eks/conduit-staging/{kind}");
        if logs.get(kind).and_then(|x| x.as_str()) != Some(expected.as_str()) {
            problems.push(format!("log_group_names.{kind} must be {expected}"));
        }
    }
    if !problems.is_empty() {
        bail!("outputs after apply:\n  {}", problems.join("\n  "));
    }
    Ok(())
}

fn http_status(port: u16, method: &str, path: &str) -> Result<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )?;
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf)?;
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("unexpected HTTP answer: {head}"))
}

/// A moto_server child process, killed when dropped (also on failure paths).
struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    fn start(binary: &Path, log: &Path) -> Result<Moto> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log_file = std::fs::File::create(log)?;
        let child = Command::new(binary)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
            .env("MOTO_ACM_VALIDATION_WAIT", "1")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", REGION)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone()?)
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let mut moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = moto.child.try_wait()? {
                let text = std::fs::read_to_string(log).unwrap_or_default();
                bail!("moto_server exited early ({status}):\n{text}");
            }
            if http_status(port, "GET", "/moto-api/").is_ok() {
                return Ok(moto);
            }
            if Instant::now() > deadline {
                bail!("moto_server did not answer on port {port} within 60s");
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_apply_and_destroy_summaries() {
        let apply = "x\nApply complete! Resources: 142 added, 0 changed, 0 destroyed.\n";
        assert_eq!(
            summary_number(apply, "Apply complete! Resources: ", " added"),
            Some(142)
        );
        let destroy = "Destroy complete! Resources: 142 destroyed.\n";
        assert_eq!(
            summary_number(destroy, "Destroy complete! Resources: ", " destroyed"),
            Some(142)
        );
    }

    #[test]
    fn override_points_every_service_at_the_endpoint() {
        let text = provider_override("http://127.0.0.1:1");
        for svc in SERVICES {
            assert!(text.contains(&format!("    {svc} = \"http://127.0.0.1:1\"")));
        }
        assert!(text.contains("skip_requesting_account_id  = true"));
    }

    #[test]
    fn output_check_rejects_missing_and_empty_outputs() {
        assert!(check_outputs("{}").is_err());
    }
}

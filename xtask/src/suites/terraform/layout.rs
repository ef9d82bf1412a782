//! Structural rules of `terraform/` that Terraform itself does not enforce.

use anyhow::{bail, Context, Result};
use std::path::Path;

pub const MODULES: &[&str] = &[
    "network",
    "kms",
    "eks",
    "rds",
    "elasticache",
    "ecr",
    "secrets",
    "iam",
    "observability",
    "edge",
    "security",
];
pub const ENVS: &[&str] = &["staging", "production"];

/// Outputs other parts of the platform read from every environment (shared contract).
pub const CONTRACT_OUTPUTS: &[&str] = &[
    "region",
    "cluster_name",
    "cluster_endpoint",
    "vpc_id",
    "ecr_repository_urls",
    "api_irsa_role_arn",
    "lb_controller_role_arn",
    "external_secrets_role_arn",
    "fluent_bit_role_arn",
    "ebs_csi_role_arn",
    "grafana_cloudwatch_role_arn",
    "flux_image_reflector_role_arn",
    "github_actions_release_role_arn",
    "github_actions_plan_role_arn",
    "github_actions_apply_role_arn",
    "acm_certificate_arn",
    "waf_acl_arn",
    "alb_security_group_id",
    "db_endpoint",
    "db_master_secret_arn",
    "redis_endpoint",
    "jwt_secret_arn",
    "redis_auth_secret_arn",
    "log_group_names",
];

/// Files every environment shares byte for byte; environment differences go to settings.tf.
const SHARED_ENV_FILES: &[&str] = &["main.tf", "outputs.tf", "variables.tf"];

pub fn check(source: &Path) -> Result<String> {
    let mut problems = Vec::new();
    for m in MODULES {
        let dir = source.join("modules").join(m);
        for f in [
            "main.tf",
            "variables.tf",
            "outputs.tf",
            "versions.tf",
            "README.md",
        ] {
            if !dir.join(f).is_file() {
                problems.push(format!("modules/{m}/{f} is missing"));
            }
        }
        let versions = read(&dir.join("versions.tf")).unwrap_or_default();
        if !versions.contains("\"~> 5.100\"") {
            problems.push(format!(
                "modules/{m}/versions.tf must pin hashicorp/aws \"~> 5.100\""
            ));
        }
        let tests = test_files(&dir.join("tests"));
        if tests.is_empty() {
            problems.push(format!("modules/{m}/tests has no .tftest.hcl file"));
        }
        for t in &tests {
            check_test_file(t, &mut problems);
        }
    }

    for e in ENVS {
        let dir = source.join("envs").join(e);
        for t in &test_files(&dir.join("tests")) {
            check_test_file(t, &mut problems);
        }
        let versions = read(&dir.join("versions.tf")).unwrap_or_default();
        for needle in [
            "backend \"s3\"",
            "use_lockfile = true",
            "encrypt      = true",
            "default_tags",
            "\"~> 5.100\"",
        ] {
            if !versions.contains(needle) {
                problems.push(format!("envs/{e}/versions.tf lacks `{needle}`"));
            }
        }
        match read(&dir.join(".terraform.lock.hcl")) {
            Ok(lock)
                if lock.contains("registry.terraform.io/hashicorp/aws") && lock.contains("h1:") => {
            }
            _ => problems.push(format!(
                "envs/{e}/.terraform.lock.hcl must be committed with the AWS provider's checksums"
            )),
        }
        if !read(&dir.join("settings.tf"))
            .unwrap_or_default()
            .contains(&format!("environment = \"{e}\""))
        {
            problems.push(format!(
                "envs/{e}/settings.tf must set environment = \"{e}\""
            ));
        }
        let outputs = read(&dir.join("outputs.tf")).unwrap_or_default();
        let declared = block_names(&outputs, "output");
        for o in CONTRACT_OUTPUTS {
            if !declared.iter().any(|d| d == o) {
                problems.push(format!("envs/{e}/outputs.tf lacks contract output `{o}`"));
            }
        }
    }
    let bootstrap = source.join("bootstrap");
    if !bootstrap.join(".terraform.lock.hcl").is_file() {
        problems.push("bootstrap/.terraform.lock.hcl must be committed".into());
    }
    if test_files(&bootstrap.join("tests")).is_empty() {
        problems.push("bootstrap/tests has no .tftest.hcl file".into());
    }
    for t in &test_files(&bootstrap.join("tests")) {
        check_test_file(t, &mut problems);
    }

    for f in SHARED_ENV_FILES {
        let a = read(&source.join("envs/staging").join(f)).unwrap_or_default();
        let b = read(&source.join("envs/production").join(f)).unwrap_or_default();
        if a != b {
            problems.push(format!(
                "envs/staging/{f} and envs/production/{f} differ; put environment differences in settings.tf"
            ));
        }
    }

    // Emulator settings and machine paths never reach committed configuration.
    let mut files = Vec::new();
    walk(source, &mut files)?;
    for f in &files {
        let name = f
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let rel = f.strip_prefix(source).unwrap_or(f).display().to_string();
        if name.ends_with("_override.tf") || name == "override.tf" {
            problems.push(format!("{rel}: override files must not be committed"));
            continue;
        }
        if !name.ends_with(".tf") {
            continue;
        }
        let text = read(f)?;
        for needle in [
            "skip_credentials_validation",
            "skip_requesting_account_id",
            "endpoints {",
            "access_key",
            "secret_key",
            "localhost",
            "127.0.0.1",
        ] {
            if text.contains(needle) {
                problems.push(format!(
                    "{rel}: contains `{needle}` (emulator or credential setting)"
                ));
            }
        }
    }

    if !problems.is_empty() {
        bail!("layout problems:\n  {}", problems.join("\n  "));
    }
    Ok(format!(
        "{} modules with tests and READMEs; {} environments share main/outputs/variables, S3 backend with lock file, default_tags, {} contract outputs",
        MODULES.len(),
        ENVS.len(),
        CONTRACT_OUTPUTS.len()
    ))
}

/// Tests run offline: a mock provider, or the real provider planning without credentials and
/// without any endpoint (no API call can succeed, so none may be needed).
fn check_test_file(path: &Path, problems: &mut Vec<String>) {
    let text = read(path).unwrap_or_default();
    let mocked = text.contains("mock_provider \"aws\"");
    let offline = text.contains("skip_credentials_validation = true")
        && text.contains("skip_requesting_account_id  = true")
        && !text.contains("endpoints");
    if !mocked && !offline {
        problems.push(format!(
            "{}: tests must use mock_provider \"aws\" or an offline provider block",
            path.display()
        ));
    }
    if !text.contains("expect_failures") && path.to_string_lossy().contains("/modules/") {
        problems.push(format!(
            "{}: module tests must cover variable validations with expect_failures",
            path.display()
        ));
    }
}

/// Names of top-level `<kind> "<name>" {` blocks.
pub fn block_names(text: &str, kind: &str) -> Vec<String> {
    let prefix = format!("{kind} \"");
    text.lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_string)
        .collect()
}

pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn test_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.to_string_lossy().ends_with(".tftest.hcl"))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

pub fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            if entry.file_name() != ".terraform" {
                walk(&path, out)?;
            }
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_top_level_block_names() {
        let text = "output \"a\" {\n  value = 1\n}\n\n  output \"nested\" {}\noutput \"b\" {}\n";
        assert_eq!(block_names(text, "output"), vec!["a", "b"]);
    }
}

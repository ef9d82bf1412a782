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
    "platform",
];
pub const ENVS: &[&str] = &["staging", "production"];

/// End of EKS standard support by Kubernetes minor version (14 months after the EKS release;
/// Amazon EKS User Guide, "Understand the Kubernetes version lifecycle on EKS", release calendar).
/// After that date `upgrade_policy { support_type = "STANDARD" }` makes EKS upgrade the cluster
/// on its own schedule; add a row when a new version is adopted.
pub const EKS_STANDARD_SUPPORT_END: &[(&str, &str)] = &[
    ("1.32", "2026-03-23"),
    ("1.33", "2026-07-29"),
    ("1.34", "2026-12-02"),
    ("1.35", "2027-03-27"),
];

/// Outputs other parts of the platform read from every environment (shared contract).
pub const CONTRACT_OUTPUTS: &[&str] = &[
    "region",
    "cluster_name",
    "cluster_endpoint",
    "vpc_id",
    "vpc_cidr",
    "cluster_vars",
    "ecr_registry",
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

    let platform_outputs = block_names(
        &read(&source.join("modules/platform/outputs.tf")).unwrap_or_default(),
        "output",
    );
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
        check_thin_root(
            e,
            &read(&dir.join("main.tf")).unwrap_or_default(),
            &mut problems,
        );
        if let Err(err) = eks_in_standard_support(
            &read(&dir.join("settings.tf")).unwrap_or_default(),
            &today(),
        ) {
            problems.push(format!("envs/{e}/settings.tf: {err:#}"));
        }
        let outputs = read(&dir.join("outputs.tf")).unwrap_or_default();
        let declared = block_names(&outputs, "output");
        for o in &platform_outputs {
            if !declared.contains(o) {
                problems.push(format!(
                    "envs/{e}/outputs.tf does not pass through the platform output `{o}`"
                ));
            }
        }
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
        "{} modules with tests and READMEs; {} environments are thin roots over modules/platform, S3 backend with lock file, default_tags, {} contract outputs",
        MODULES.len(),
        ENVS.len(),
        CONTRACT_OUTPUTS.len()
    ))
}

/// An environment is one `module "platform"` call: no resources, data sources or other modules of
/// its own, so the composition cannot drift between environments.
fn check_thin_root(env: &str, main_tf: &str, problems: &mut Vec<String>) {
    let modules = block_names(main_tf, "module");
    if modules != ["platform"] || !main_tf.contains("source = \"../../modules/platform\"") {
        problems.push(format!(
            "envs/{env}/main.tf must call exactly one module, \"platform\" (source ../../modules/platform); found {modules:?}"
        ));
    }
    for kind in ["resource", "data"] {
        if !block_names(main_tf, kind).is_empty() {
            problems.push(format!(
                "envs/{env}/main.tf declares a {kind} block; the composition belongs in modules/platform"
            ));
        }
    }
}

/// The thin-root rule rejects its fixture: an environment with a module and a resource of its own.
pub fn self_test() -> Result<String> {
    let fat = "module \"platform\" {\n  source = \"../../modules/platform\"\n}\n\nmodule \"rds\" {\n  source = \"../../modules/rds\"\n}\n\nresource \"aws_s3_bucket\" \"extra\" {}\n";
    let mut problems = Vec::new();
    check_thin_root("staging", fat, &mut problems);
    if problems.len() != 2 {
        bail!("self-test: an environment with its own module and resource gave {problems:?}");
    }
    let old = "  settings = {\n    kubernetes_version       = \"1.32\"\n";
    if eks_in_standard_support(old, "2026-12-06").is_ok() {
        bail!("self-test: Kubernetes 1.32 on 2026-12-06 (after its standard support) was accepted");
    }
    Ok("an environment root with its own module and resource, and EKS 1.32 after 2026-03-23, are rejected".into())
}

/// `kubernetes_version` in an environment's settings is in EKS standard support on `today`
/// (`YYYY-MM-DD`).
pub fn eks_in_standard_support(settings_tf: &str, today: &str) -> Result<String> {
    let version = settings_tf
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("kubernetes_version")?
                .trim()
                .strip_prefix('=')
                .map(|v| v.trim().trim_matches('"').to_string())
        })
        .context("no kubernetes_version setting")?;
    let Some((_, end)) = EKS_STANDARD_SUPPORT_END.iter().find(|(v, _)| *v == version) else {
        bail!("Kubernetes {version} is not in the EKS release calendar of the suite (EKS_STANDARD_SUPPORT_END)");
    };
    if today >= *end {
        bail!("Kubernetes {version} left EKS standard support on {end}; move to a newer version");
    }
    Ok(format!(
        "Kubernetes {version} (standard support until {end})"
    ))
}

/// Today's UTC date as `YYYY-MM-DD` (civil-from-days, H. Hinnant's algorithm).
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_date((secs / 86_400) as i64)
}

fn civil_date(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
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
    fn an_environment_with_its_own_resources_is_rejected() {
        let thin = "module \"platform\" {\n  source = \"../../modules/platform\"\n}\n";
        let mut problems = Vec::new();
        check_thin_root("staging", thin, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let fat = format!("{thin}module \"network\" {{\n  source = \"../../modules/network\"\n}}\nresource \"aws_s3_bucket\" \"x\" {{}}\n");
        check_thin_root("staging", &fat, &mut problems);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    #[test]
    fn dates_and_support_windows() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_793), "2026-12-06");
        let s = "kubernetes_version = \"1.35\"";
        assert!(eks_in_standard_support(s, "2026-12-06").is_ok());
        assert!(eks_in_standard_support(s, "2027-03-27").is_err());
        assert!(eks_in_standard_support("kubernetes_version = \"1.99\"", "2026-12-06").is_err());
    }

    #[test]
    fn finds_top_level_block_names() {
        let text = "output \"a\" {\n  value = 1\n}\n\n  output \"nested\" {}\noutput \"b\" {}\n";
        assert_eq!(block_names(text, "output"), vec!["a", "b"]);
    }
}

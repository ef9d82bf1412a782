//! The release path, checked by behaviour where the files allow it (issue 17, items 4, 5, 6, 11):
//!
//! * **release ref**: release.yml's own `release-ref` script runs in a scratch git repository: a
//!   tag on a commit of main releases `X.Y.Z`, a tag on a commit off main and a malformed tag
//!   fail, a push to main yields a tag the staging ImagePolicy selects; `publish` needs it and
//!   every gate;
//! * **environments**: `publish` runs in `production` for tags and `staging` for main, takes the
//!   registry, region and role only from environment-scoped variables, and its guard step (run
//!   here) refuses a registry other than the one the environment's cluster watches; each
//!   cluster's Flux ImageRepositories are `${ECR_REGISTRY}/<image>` for exactly the images
//!   released and the repositories Terraform creates, in the cluster's own account and region;
//! * **Flux loop**: every ImageUpdateAutomation that pushes to a branch release.yml runs on has
//!   its update path in release.yml's `paths-ignore`, and no workflow release.yml calls as a gate
//!   also runs on its own for the same push;
//! * **attestations**: the storage record's permission (or `create-storage-record: false`), SLSA
//!   provenance for the index and every platform digest, the CycloneDX SBOM attested to each.

use super::TempDir;
use crate::util::root;
use anyhow::{Context, Result};
use serde_yaml::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

/// The one expression that picks the environment (and `DEPLOY_ENV`) of the publish job.
pub const ENVIRONMENT_EXPR: &str = "${{ github.ref_type == 'tag' && 'production' || 'staging' }}";
/// Which event each environment releases from: (environment, ref type, ref name).
const RELEASES: &[(&str, &str, &str)] = &[
    ("staging", "branch", "main"),
    ("production", "tag", "v1.2.3"),
];

// --- YAML helpers ------------------------------------------------------------------------------

pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(*k))
}

pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

/// A string or a list of strings, as GitHub accepts in many places.
pub fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Sequence(s)) => s
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => vec![],
    }
}

pub fn jobs(wf: &Value) -> Vec<(String, &Value)> {
    wf.get("jobs")
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v)))
                .collect()
        })
        .unwrap_or_default()
}

pub fn steps(job: &Value) -> Vec<&Value> {
    job.get("steps")
        .and_then(Value::as_sequence)
        .map(|s| s.iter().collect())
        .unwrap_or_default()
}

/// The action a step uses, without `@ref`.
pub fn action(step: &Value) -> &str {
    let uses = str_at(step, &["uses"]).unwrap_or_default();
    uses.split('@').next().unwrap_or(uses)
}

pub fn run(step: &Value) -> &str {
    str_at(step, &["run"]).unwrap_or_default()
}

/// A value of `with:` as text (YAML booleans and numbers included).
pub fn with(step: &Value, key: &str) -> Option<String> {
    match get(step, &["with", key])? {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn parse(name: &str, text: &str) -> Result<Value> {
    serde_yaml::from_str(text).with_context(|| format!("{name} is not YAML"))
}

/// Every document of a multi-document YAML file.
pub fn parse_all(name: &str, text: &str) -> Result<Vec<Value>> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in text.lines().chain(std::iter::once("---")) {
        if line.trim_end() == "---" {
            if !current.trim().is_empty() {
                docs.push(parse(name, &current)?);
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    Ok(docs)
}

/// Runs a `run:` script as GitHub's default shell does (`bash --noprofile --norc -eo pipefail`),
/// in `dir` with `env`; returns (success, the `GITHUB_OUTPUT` lines, stdout + stderr).
pub fn run_script(
    script: &str,
    dir: &Path,
    env: &[(&str, String)],
) -> Result<(bool, BTreeMap<String, String>, String)> {
    let out_file = dir.join(".github-output");
    std::fs::write(&out_file, "")?;
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("GITHUB_OUTPUT", &out_file)
        .env("GITHUB_STEP_SUMMARY", dir.join(".github-summary"))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .context("starting bash")?;
    let outputs = std::fs::read_to_string(&out_file)?
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), outputs, log))
}

// --- The repository's files --------------------------------------------------------------------

/// What the checks read: the workflows by file name and each cluster's Flux files.
#[derive(Clone)]
pub struct Delivery {
    pub workflows: BTreeMap<String, Value>,
    pub clusters: BTreeMap<String, Cluster>,
    /// Terraform `repositories` of each environment's ECR module.
    pub ecr_repositories: BTreeMap<String, BTreeSet<String>>,
}

#[derive(Clone)]
pub struct Cluster {
    pub vars: BTreeMap<String, String>,
    /// The documents of `kustomize/clusters/<env>/image-automation/*.yaml`.
    pub automation: Vec<Value>,
}

impl Cluster {
    pub fn kind(&self, kind: &str) -> Vec<&Value> {
        self.automation
            .iter()
            .filter(|d| str_at(d, &["kind"]) == Some(kind))
            .collect()
    }
}

impl Delivery {
    pub fn load() -> Result<Self> {
        let mut workflows = BTreeMap::new();
        for f in super::yaml_files(&root().join(".github/workflows"))? {
            let name = f
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            workflows.insert(name.clone(), parse(&name, &std::fs::read_to_string(&f)?)?);
        }
        let mut clusters = BTreeMap::new();
        let mut ecr_repositories = BTreeMap::new();
        for (env, _, _) in RELEASES {
            let dir = root().join("kustomize/clusters").join(env);
            let vars_doc = parse(
                "cluster-vars.yaml",
                &std::fs::read_to_string(dir.join("cluster-vars.yaml"))
                    .with_context(|| format!("reading {env}'s cluster-vars.yaml"))?,
            )?;
            let vars = get(&vars_doc, &["data"])
                .and_then(Value::as_mapping)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            let mut automation = Vec::new();
            for f in super::yaml_files(&dir.join("image-automation"))? {
                automation.extend(parse_all(
                    &f.display().to_string(),
                    &std::fs::read_to_string(&f)?,
                )?);
            }
            clusters.insert(env.to_string(), Cluster { vars, automation });
            // Both environments instantiate the one composition, which names the repositories.
            let main_tf = root().join("terraform/modules/platform/main.tf");
            let text = std::fs::read_to_string(&main_tf)
                .with_context(|| format!("reading {}", main_tf.display()))?;
            ecr_repositories.insert(env.to_string(), hcl_string_list(&text, "repositories"));
        }
        Ok(Self {
            workflows,
            clusters,
            ecr_repositories,
        })
    }

    pub fn workflow(&self, name: &str) -> Option<&Value> {
        self.workflows.get(name)
    }

    /// A copy with one workflow's text replaced (for the self-test fixtures).
    pub fn with_workflow(&self, name: &str, text: &str) -> Result<Self> {
        let mut copy = self.clone();
        copy.workflows.insert(name.to_owned(), parse(name, text)?);
        Ok(copy)
    }
}

/// `name = ["a", "b"]` on one line of HCL.
fn hcl_string_list(text: &str, name: &str) -> BTreeSet<String> {
    text.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix(name))
        .filter_map(|l| l.trim_start().strip_prefix('='))
        .flat_map(|l| {
            l.trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_owned())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The jobs of release.yml that publish (they assume the AWS release role).
fn publish_jobs(release: &Value) -> Vec<(String, &Value)> {
    jobs(release)
        .into_iter()
        .filter(|(_, j)| {
            steps(j)
                .iter()
                .any(|s| action(s) == "aws-actions/configure-aws-credentials")
        })
        .collect()
}

fn image_matrix(job: &Value) -> BTreeSet<String> {
    strings(get(job, &["strategy", "matrix", "image"]))
        .into_iter()
        .collect()
}

// --- Release ref (item 4) ----------------------------------------------------------------------

fn git(dir: &Path, args: &[&str]) -> Result<String> {
    let out = Command::new("git")
        .args([
            "-c",
            "user.name=fixture",
            "-c",
            "user.email=fixture@example.invalid",
        ])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .context("starting git")?;
    anyhow::ensure!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Does a Flux `filterTags.pattern` (Go RE2; Python's `re` reads the same `(?P<name>…)` syntax
/// used here) select `tag`?
fn pattern_selects(pattern: &str, tag: &str) -> Result<bool> {
    let status = Command::new("python3")
        .args([
            "-c",
            "import re, sys; sys.exit(0 if re.search(sys.argv[1], sys.argv[2]) else 1)",
            pattern,
            tag,
        ])
        .status()
        .context("starting python3")?;
    Ok(status.success())
}

pub fn release_ref_problems(d: &Delivery) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let Some(release) = d.workflow("release.yml") else {
        return Ok(vec!["no .github/workflows/release.yml".into()]);
    };
    let Some(step) = get(release, &["jobs", "release-ref"]).and_then(|j| {
        steps(j)
            .into_iter()
            .find(|s| str_at(s, &["id"]) == Some("ref"))
    }) else {
        return Ok(vec![
            "release.yml: no job `release-ref` with a step `id: ref` (ancestry check and image tag)"
                .into(),
        ]);
    };
    for (name, job) in publish_jobs(release) {
        let needs: BTreeSet<String> = strings(job.get("needs")).into_iter().collect();
        for gate in ["release-ref", "ci", "security", "build"] {
            if !needs.contains(gate) {
                problems.push(format!("release.yml: `{name}` does not need `{gate}`"));
            }
        }
    }

    // A scratch repository: main has A and B, a side branch has C off A.
    let tmp = TempDir::new("release-ref")?;
    let dir = &tmp.0;
    git(dir, &["init", "-q"])?;
    git(dir, &["commit", "-q", "--allow-empty", "-m", "A"])?;
    let a = git(dir, &["rev-parse", "HEAD"])?;
    git(dir, &["commit", "-q", "--allow-empty", "-m", "B"])?;
    let b = git(dir, &["rev-parse", "HEAD"])?;
    git(dir, &["update-ref", "refs/remotes/origin/main", &b])?;
    git(dir, &["checkout", "-q", "-b", "side", &a])?;
    git(
        dir,
        &["commit", "-q", "--allow-empty", "-m", "C (never reviewed)"],
    )?;
    let c = git(dir, &["rev-parse", "HEAD"])?;

    let script = run(step);
    let attempt = |ref_type: &str, ref_name: &str, sha: &str| {
        run_script(
            script,
            dir,
            &[
                ("REF_TYPE", ref_type.to_owned()),
                ("REF_NAME", ref_name.to_owned()),
                ("SHA", sha.to_owned()),
            ],
        )
    };

    let (ok, out, log) = attempt("tag", "v1.2.3", &b)?;
    if !ok || out.get("tag").map(String::as_str) != Some("1.2.3") {
        problems.push(format!(
            "release-ref: tag v1.2.3 on a commit of main should release 1.2.3, got {out:?}: {log}"
        ));
    }
    let (ok, _, _) = attempt("tag", "v1.2.3", &c)?;
    if ok {
        problems.push(
            "release-ref: a tag on a commit that is not on main was released (no ancestry check)"
                .into(),
        );
    }
    let (ok, _, _) = attempt("tag", "v1.2", &b)?;
    if ok {
        problems.push("release-ref: the malformed tag v1.2 was released".into());
    }
    let (ok, out, log) = attempt("branch", "main", &b)?;
    let main_tag = out.get("tag").cloned().unwrap_or_default();
    if !ok || main_tag.is_empty() {
        problems.push(format!(
            "release-ref: a push to main produced no tag: {log}"
        ));
    } else if let Some(staging) = d.clusters.get("staging") {
        for policy in staging.kind("ImagePolicy") {
            let name = str_at(policy, &["metadata", "name"]).unwrap_or("?");
            match str_at(policy, &["spec", "filterTags", "pattern"]) {
                Some(p) if pattern_selects(p, &main_tag)? => {}
                Some(p) => problems.push(format!(
                    "staging ImagePolicy {name}: pattern {p} does not select {main_tag}, the tag a push to main publishes"
                )),
                None => problems.push(format!(
                    "staging ImagePolicy {name}: no filterTags pattern for main-<ts>-<sha> tags"
                )),
            }
        }
    }
    if let Some(production) = d.clusters.get("production") {
        for policy in production.kind("ImagePolicy") {
            if get(policy, &["spec", "policy", "semver"]).is_none() {
                problems.push(format!(
                    "production ImagePolicy {}: not a semver policy, but releases are tagged X.Y.Z",
                    str_at(policy, &["metadata", "name"]).unwrap_or("?")
                ));
            }
        }
    }
    Ok(problems)
}

// --- Environments and registries (item 6) ------------------------------------------------------

pub fn environment_problems(d: &Delivery) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let Some(release) = d.workflow("release.yml") else {
        return Ok(vec!["no .github/workflows/release.yml".into()]);
    };
    let push = get(release, &["on", "push"]);
    let branches = strings(push.and_then(|p| p.get("branches")));
    let tags = strings(push.and_then(|p| p.get("tags")));
    if !branches.iter().any(|b| b == "main") || !tags.iter().any(|t| t.starts_with('v')) {
        problems.push(format!(
            "release.yml: runs on push to {branches:?} and tags {tags:?}; expected main and v* tags"
        ));
    }

    let publish = publish_jobs(release);
    if publish.is_empty() {
        problems.push("release.yml: no job assumes the AWS release role".into());
    }
    let mut released = BTreeSet::new();
    for (name, job) in &publish {
        let at = format!("release.yml: job `{name}`");
        let environment =
            str_at(job, &["environment"]).or_else(|| str_at(job, &["environment", "name"]));
        if environment != Some(ENVIRONMENT_EXPR) {
            problems.push(format!(
                "{at}: environment is {environment:?}; it must be `{ENVIRONMENT_EXPR}` (tags: production, main: staging)"
            ));
        }
        if str_at(job, &["env", "DEPLOY_ENV"]) != Some(ENVIRONMENT_EXPR) {
            problems.push(format!(
                "{at}: env DEPLOY_ENV must be the environment's expression"
            ));
        }
        if str_at(job, &["env", "ECR_REGISTRY"]) != Some("${{ vars.ECR_REGISTRY }}") {
            problems.push(format!(
                "{at}: ECR_REGISTRY must come from the environment's variable `vars.ECR_REGISTRY`"
            ));
        }
        for step in steps(job) {
            if action(step) == "aws-actions/configure-aws-credentials" {
                if with(step, "role-to-assume").as_deref()
                    != Some("${{ vars.AWS_RELEASE_ROLE_ARN }}")
                {
                    problems.push(format!(
                        "{at}: role-to-assume must be `vars.AWS_RELEASE_ROLE_ARN`"
                    ));
                }
                if with(step, "aws-region").as_deref() != Some("${{ vars.AWS_REGION }}") {
                    problems.push(format!("{at}: aws-region must be `vars.AWS_REGION`"));
                }
            }
        }
        if !steps(job).iter().any(|s| {
            run(s).contains("\"$ECR_REGISTRY/$IMAGE\"")
                || run(s).contains("repo=\"$ECR_REGISTRY/$IMAGE\"")
        }) {
            problems.push(format!("{at}: no step pushes to \"$ECR_REGISTRY/$IMAGE\""));
        }
        released.extend(image_matrix(job));
        problems.extend(registry_guard_problems(&at, job, d)?);
    }
    // Configuration variables read outside an environment would be the repository's, shared by
    // both environments.
    for (name, job) in jobs(release) {
        let text = serde_yaml::to_string(job).unwrap_or_default();
        if text.contains("vars.") && job.get("environment").is_none() {
            problems.push(format!(
                "release.yml: job `{name}` reads configuration variables without an environment"
            ));
        }
    }

    for (env, _, _) in RELEASES {
        let Some(cluster) = d.clusters.get(*env) else {
            problems.push(format!("no kustomize/clusters/{env}"));
            continue;
        };
        let at = format!("kustomize/clusters/{env}");
        let registry = cluster
            .vars
            .get("ECR_REGISTRY")
            .cloned()
            .unwrap_or_default();
        let own = format!(
            "{}.dkr.ecr.{}.amazonaws.com",
            cluster
                .vars
                .get("AWS_ACCOUNT_ID")
                .map(String::as_str)
                .unwrap_or("?"),
            cluster
                .vars
                .get("AWS_REGION")
                .map(String::as_str)
                .unwrap_or("?")
        );
        if registry != own {
            problems.push(format!(
                "{at}/cluster-vars.yaml: ECR_REGISTRY {registry:?} is not the cluster's own account and region ({own})"
            ));
        }
        let mut watched = BTreeSet::new();
        for repo in cluster.kind("ImageRepository") {
            let name = str_at(repo, &["metadata", "name"]).unwrap_or("?");
            let image = str_at(repo, &["spec", "image"]).unwrap_or_default();
            match image.strip_prefix("${ECR_REGISTRY}/") {
                Some(img) => {
                    watched.insert(img.to_owned());
                }
                None => problems.push(format!(
                    "{at}/image-automation: ImageRepository {name} watches {image:?}, not ${{ECR_REGISTRY}}/<image> of this environment's registry"
                )),
            }
            if str_at(repo, &["spec", "provider"]) != Some("aws") {
                problems.push(format!(
                    "{at}/image-automation: ImageRepository {name} has no `provider: aws`"
                ));
            }
        }
        if watched != released {
            problems.push(format!(
                "{at}/image-automation: ImageRepositories watch {watched:?}, release.yml publishes {released:?}"
            ));
        }
        let created = d.ecr_repositories.get(*env).cloned().unwrap_or_default();
        if created != released {
            problems.push(format!(
                "terraform/modules/platform ({env}): ECR repositories {created:?}, release.yml publishes {released:?}"
            ));
        }
    }
    Ok(problems)
}

/// Runs the publish job's guard step against copies of the clusters' vars: the environment's own
/// registry passes, any other fails.
fn registry_guard_problems(at: &str, job: &Value, d: &Delivery) -> Result<Vec<String>> {
    let Some(guard) = steps(job)
        .into_iter()
        .find(|s| run(s).contains("kustomize/clusters/$DEPLOY_ENV/cluster-vars.yaml"))
    else {
        return Ok(vec![format!(
            "{at}: no step compares ECR_REGISTRY with kustomize/clusters/$DEPLOY_ENV/cluster-vars.yaml"
        )]);
    };
    let mut problems = Vec::new();
    let tmp = TempDir::new("registry-guard")?;
    for (env, _, _) in RELEASES {
        let src = root()
            .join("kustomize/clusters")
            .join(env)
            .join("cluster-vars.yaml");
        tmp.write(
            &format!("kustomize/clusters/{env}/cluster-vars.yaml"),
            &std::fs::read_to_string(src)?,
        )?;
    }
    for (env, _, _) in RELEASES {
        let own = d
            .clusters
            .get(*env)
            .and_then(|c| c.vars.get("ECR_REGISTRY"))
            .cloned()
            .unwrap_or_default();
        let base = |registry: &str| {
            vec![
                ("DEPLOY_ENV", env.to_string()),
                ("ECR_REGISTRY", registry.to_owned()),
                ("AWS_REGION", "eu-west-1".to_owned()),
                ("ROLE", "arn:aws:iam::000000000000:role/fixture".to_owned()),
            ]
        };
        let (ok, _, log) = run_script(run(guard), &tmp.0, &base(&own))?;
        if !ok {
            problems.push(format!(
                "{at}: the registry guard rejects {env}'s own registry {own}: {log}"
            ));
        }
        let (ok, _, _) = run_script(
            run(guard),
            &tmp.0,
            &base("999999999999.dkr.ecr.us-east-1.amazonaws.com"),
        )?;
        if ok {
            problems.push(format!(
                "{at}: the registry guard lets {env} push to a registry its cluster does not watch"
            ));
        }
        let (ok, _, _) = run_script(run(guard), &tmp.0, &base(""))?;
        if ok {
            problems.push(format!(
                "{at}: the registry guard passes with no ECR_REGISTRY for {env}"
            ));
        }
    }
    Ok(problems)
}

// --- The Flux loop (item 5) ----------------------------------------------------------------------

fn covered_by(patterns: &[String], path: &str) -> bool {
    patterns.iter().any(|p| {
        p.strip_suffix("/**")
            .is_some_and(|dir| path == dir || path.starts_with(&format!("{dir}/")))
    })
}

pub fn flux_loop_problems(d: &Delivery) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(release) = d.workflow("release.yml") else {
        return vec!["no .github/workflows/release.yml".into()];
    };
    let push = get(release, &["on", "push"]);
    let branches = strings(push.and_then(|p| p.get("branches")));
    let ignored = strings(push.and_then(|p| p.get("paths-ignore")));
    let mut automations = 0;
    for (env, cluster) in &d.clusters {
        for auto in cluster.kind("ImageUpdateAutomation") {
            automations += 1;
            let branch = str_at(auto, &["spec", "git", "push", "branch"])
                .or_else(|| str_at(auto, &["spec", "git", "checkout", "ref", "branch"]))
                .unwrap_or_default();
            let path = str_at(auto, &["spec", "update", "path"])
                .unwrap_or_default()
                .trim_start_matches("./")
                .trim_end_matches('/');
            if branches.iter().any(|b| b == branch) && !covered_by(&ignored, path) {
                problems.push(format!(
                    "{env}: Flux commits image tags to {branch} under {path}, and release.yml runs on that push and publishes a new tag Flux commits again (add `{path}/**` to release.yml's paths-ignore)"
                ));
            }
        }
    }
    if automations == 0 {
        problems.push(
            "no ImageUpdateAutomation found under kustomize/clusters/*/image-automation".into(),
        );
    }
    // A workflow release.yml calls as a gate must not also run on its own for the same push.
    for (job, value) in jobs(release) {
        let Some(called) =
            str_at(value, &["uses"]).and_then(|u| u.strip_prefix("./.github/workflows/"))
        else {
            continue;
        };
        let Some(wf) = d.workflow(called) else {
            problems.push(format!(
                "release.yml: job `{job}` calls {called}, which does not exist"
            ));
            continue;
        };
        let own = strings(get(wf, &["on", "push", "branches"]));
        if let Some(b) = own.iter().find(|b| branches.contains(b)) {
            problems.push(format!(
                "{called} runs on push to {b} and again as release.yml's gate `{job}`: one change runs it twice"
            ));
        }
    }
    problems
}

// --- Attestations (item 11) ----------------------------------------------------------------------

pub fn attestation_problems(d: &Delivery) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(release) = d.workflow("release.yml") else {
        return vec!["no .github/workflows/release.yml".into()];
    };
    let archs: Vec<String> = get(
        release,
        &["jobs", "build", "strategy", "matrix", "platform"],
    )
    .and_then(Value::as_sequence)
    .map(|s| {
        s.iter()
            .filter_map(|p| str_at(p, &["arch"]))
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default();
    if archs.is_empty() {
        problems.push("release.yml: the build matrix names no platform architectures".into());
    }
    for (name, job) in publish_jobs(release) {
        let at = format!("release.yml: job `{name}`");
        let perm = |scope: &str| str_at(job, &["permissions", scope]) == Some("write");
        let attest: Vec<&Value> = steps(job)
            .into_iter()
            .filter(|s| action(s).starts_with("actions/attest"))
            .collect();
        let storage_off = !attest.is_empty()
            && attest
                .iter()
                .all(|s| with(s, "create-storage-record").as_deref() == Some("false"));
        if !attest.is_empty() && !storage_off && !perm("artifact-metadata") {
            problems.push(format!(
                "{at}: actions/attest creates a storage record for pushed images: grant `artifact-metadata: write` or set `create-storage-record: false`"
            ));
        }
        for scope in ["id-token", "attestations"] {
            if !perm(scope) {
                problems.push(format!("{at}: attestations need `{scope}: write`"));
            }
        }
        let mut wanted: Vec<String> = vec!["${{ steps.push.outputs.digest }}".into()];
        wanted.extend(
            archs
                .iter()
                .map(|a| format!("${{{{ steps.push.outputs.digest_{a} }}}}")),
        );
        let provenance: BTreeSet<String> = attest
            .iter()
            .filter(|s| with(s, "push-to-registry").as_deref() == Some("true"))
            .filter_map(|s| with(s, "subject-digest"))
            .collect();
        for w in &wanted {
            if !provenance.contains(w) {
                problems.push(format!(
                    "{at}: no SLSA provenance pushed for the digest {w}"
                ));
            }
        }
        let sbom = steps(job)
            .into_iter()
            .find(|s| run(s).contains("cosign attest") && run(s).contains("--type cyclonedx"));
        match sbom {
            None => problems.push(format!(
                "{at}: no CycloneDX SBOM attestation (cosign attest --type cyclonedx)"
            )),
            Some(s) => {
                let env: BTreeSet<&str> = get(s, &["env"])
                    .and_then(Value::as_mapping)
                    .map(|m| m.values().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for w in &wanted {
                    if !env.contains(w.as_str()) {
                        problems.push(format!(
                            "{at}: the SBOM attestation step does not attest the digest {w}"
                        ));
                    }
                }
            }
        }
        if !steps(job)
            .iter()
            .any(|s| run(s).contains("cosign sign") && run(s).contains("--recursive"))
        {
            problems.push(format!(
                "{at}: cosign must sign the index and every platform manifest (--recursive)"
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_ignore_covers_a_directory_and_below_only() {
        let ignored = vec!["kustomize/apps/conduit/staging/**".to_owned()];
        assert!(covered_by(&ignored, "kustomize/apps/conduit/staging"));
        assert!(covered_by(
            &ignored,
            "kustomize/apps/conduit/staging/migrate"
        ));
        assert!(!covered_by(&ignored, "kustomize/apps/conduit/staging-two"));
        assert!(!covered_by(&ignored, "kustomize/apps/conduit/production"));
    }

    #[test]
    fn hcl_lists_and_multi_document_yaml() {
        let tf = "module \"ecr\" {\n  repositories = [\"api\", \"web\"]\n}\n";
        let want: BTreeSet<String> = ["api", "web"].map(str::to_owned).into();
        assert_eq!(hcl_string_list(tf, "repositories"), want);
        let docs = parse_all("x", "a: 1\n---\nb: 2\n---\n").expect("two YAML documents");
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn scripts_see_env_and_write_outputs() {
        let tmp = TempDir::new("unit-run").expect("temp dir");
        let (ok, out, _) = run_script(
            "echo \"x=$V\" >> \"$GITHUB_OUTPUT\"",
            &tmp.0,
            &[("V", "1".into())],
        )
        .expect("bash runs");
        assert!(ok);
        assert_eq!(out.get("x").map(String::as_str), Some("1"));
        let (ok, _, _) = run_script("false; echo never", &tmp.0, &[]).expect("bash runs");
        assert!(!ok, "-e must stop at the first failing command");
    }
}

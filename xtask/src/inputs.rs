//! External inputs of the test command (reference data: the RealWorld contract, CRD schemas,
//! the advisory database, Helm charts, …), each declared once in `xtask/inputs.toml` with its
//! version, URL, SHA-256 and licence, and resolved by name to a verified path:
//!
//! 1. the offline directory — `CONDUIT_OFFLINE_DIR`, else `CONDUIT_SHARED_DIR`, else `../shared`
//!    beside the checkout when it exists — when it holds the input;
//! 2. else the cache (`CONDUIT_INPUTS_CACHE`, default `target/inputs/`), filled by
//! 3. downloading the pinned URL on first use.
//!
//! Every source is checked against the pinned hash before its path is handed out; a mismatch is
//! an error and nothing is used (no fallback to another source). An input that is neither in
//! the offline directory nor downloadable is one error line naming the input, its URL and the
//! variable.
//!
//! Call sites: `inputs::path("realworld-openapi")?` for a declared input, or
//! `inputs::locate("helm-charts/fluent-bit-0.58.1/values.yaml")?` for a path under the offline
//! directory's layout (the input whose `local` is a prefix of it is resolved first).

mod manifest;
#[cfg(test)]
mod tests;
mod verify;

pub use manifest::{Input, Kind};

use anyhow::{bail, ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

pub const OFFLINE_VAR: &str = "CONDUIT_OFFLINE_DIR";
pub const SHARED_VAR: &str = "CONDUIT_SHARED_DIR";
pub const CACHE_VAR: &str = "CONDUIT_INPUTS_CACHE";

/// Downloads larger than this are refused (the largest input, a chart, is ~1 MiB packed).
const MAX_DOWNLOAD: u64 = 256 << 20;

/// Where an offline directory came from, for the messages.
#[derive(Debug, Clone)]
pub struct OfflineDir {
    pub path: PathBuf,
    pub named_by: String,
}

pub struct Resolver {
    inputs: Vec<Input>,
    offline: Option<OfflineDir>,
    cache: PathBuf,
    timeout: Duration,
}

impl Resolver {
    pub fn new(inputs: Vec<Input>, offline: Option<OfflineDir>, cache: PathBuf) -> Self {
        Self {
            inputs,
            offline,
            cache,
            timeout: Duration::from_secs(60),
        }
    }

    /// The manifest and the directories the environment names.
    pub fn from_env() -> Result<Self> {
        let manifest = crate::util::root().join("xtask/inputs.toml");
        let inputs = manifest::parse(
            &std::fs::read_to_string(&manifest)
                .with_context(|| format!("reading {}", manifest.display()))?,
        )?;
        let cache = std::env::var_os(CACHE_VAR)
            .map(PathBuf::from)
            .unwrap_or_else(|| crate::util::target_dir().join("inputs"));
        Ok(Self::new(inputs, offline_dir_from_env(), cache))
    }

    pub fn inputs(&self) -> &[Input] {
        &self.inputs
    }

    pub fn input(&self, name: &str) -> Result<&Input> {
        self.inputs
            .iter()
            .find(|i| i.name == name)
            .with_context(|| format!("no input `{name}` is declared in xtask/inputs.toml"))
    }

    /// The verified path of input `name` (a file or a directory, by its kind).
    pub fn resolve(&self, name: &str) -> Result<PathBuf> {
        let input = self.input(name)?;
        if let Some(local) = self.local_copy(input) {
            return self
                .use_local(input, &local)
                .with_context(|| format!("input {name}: the local copy {}", local.display()));
        }
        if let Kind::Mirror { url } = &input.kind {
            bail!(
                "input {name} ({}): {}; online, `terraform init` installs the provider from {url} itself; offline, put a filesystem mirror at {} in {OFFLINE_VAR}, or name one with TF_PROVIDER_MIRROR",
                input.about,
                self.looked_for(input),
                input.local
            );
        }
        let cached = self
            .cache
            .join(format!("{}-{}", input.name, input.pin_id()));
        if cached.exists() {
            return self
                .use_cached(input, &cached)
                .with_context(|| format!("input {name}: the cached copy {}", cached.display()));
        }
        self.download(input, &cached).map_err(|e| {
            anyhow::anyhow!(
                "input {name} ({}): {}, and downloading {} failed: {e:#}. Set {OFFLINE_VAR} to a directory holding {}, or allow the download.",
                input.about,
                self.looked_for(input),
                input.url(),
                input.local
            )
        })
    }

    /// Where the input was looked for before the cache and the network, for messages.
    fn looked_for(&self, input: &Input) -> String {
        match &self.offline {
            Some(o) => format!(
                "{} is not in {} ({}, named by {})",
                input.local,
                o.path.display(),
                if o.path.is_dir() { "a directory" } else { "missing" },
                o.named_by
            ),
            None => format!(
                "no offline directory ({OFFLINE_VAR} is unset and there is no ../shared beside the checkout)"
            ),
        }
    }

    /// `rel` in the offline directory's layout (`helm-charts/<chart>/values.yaml`): the input
    /// whose `local` path is `rel` or a parent of it is resolved, and the rest joined on.
    pub fn locate(&self, rel: &str) -> Result<PathBuf> {
        let rel = rel.trim_end_matches('/');
        let input = self
            .inputs
            .iter()
            .filter(|i| rel == i.local || rel.starts_with(&format!("{}/", i.local)))
            .max_by_key(|i| i.local.len())
            .with_context(|| {
                format!("no input in xtask/inputs.toml covers `{rel}`: declare it there (name, version, URL, SHA-256, licence)")
            })?;
        let base = self.resolve(&input.name)?;
        let rest = rel[input.local.len()..].trim_start_matches('/');
        let path = if rest.is_empty() {
            base
        } else {
            base.join(rest)
        };
        ensure!(
            path.exists(),
            "{} is not part of input {}",
            path.display(),
            input.name
        );
        Ok(path)
    }

    fn local_copy(&self, input: &Input) -> Option<PathBuf> {
        let dir = self.offline.as_ref()?;
        let p = dir.path.join(&input.local);
        p.exists().then_some(p)
    }

    fn use_local(&self, input: &Input, local: &Path) -> Result<PathBuf> {
        match &input.kind {
            Kind::File { sha256, .. } => {
                expect_hash(local, sha256, &verify::file_sha256(local)?)?;
                Ok(local.to_path_buf())
            }
            Kind::Archive { tree, exclude, .. } => {
                let tree = tree.as_deref().context("no `tree` pinned")?;
                let (found, _) = verify::tree_hash(local, exclude)?;
                expect_hash(local, tree, &found)?;
                Ok(local.to_path_buf())
            }
            Kind::Files { files, .. } => {
                // Only the pinned files, copied after each is checked.
                let dest = self
                    .cache
                    .join(format!("{}-{}", input.name, input.pin_id()));
                let tmp = temp_beside(&dest)?;
                for (rel, sha256) in files {
                    let from = local.join(rel);
                    expect_hash(&from, sha256, &verify::file_sha256(&from)?)?;
                    let to = tmp.join(rel);
                    std::fs::create_dir_all(to.parent().context("no parent")?)?;
                    std::fs::copy(&from, &to)?;
                }
                replace_dir(&tmp, &dest)?;
                Ok(dest)
            }
            // Terraform checks the providers against the committed lock files.
            Kind::Mirror { .. } => Ok(local.to_path_buf()),
        }
    }

    fn use_cached(&self, input: &Input, cached: &Path) -> Result<PathBuf> {
        match &input.kind {
            Kind::File { sha256, .. } => {
                let file = cached.join(file_name(input)?);
                expect_hash(&file, sha256, &verify::file_sha256(&file)?)?;
                Ok(file)
            }
            Kind::Archive { exclude, .. } => {
                // The tree was recorded when the verified download was unpacked.
                let marker = tree_marker(cached);
                let recorded = std::fs::read_to_string(&marker)
                    .with_context(|| format!("reading {}", marker.display()))?;
                let (found, _) = verify::tree_hash(cached, exclude)?;
                expect_hash(cached, recorded.trim(), &found)?;
                Ok(cached.to_path_buf())
            }
            Kind::Files { files, .. } => {
                for (rel, sha256) in files {
                    let f = cached.join(rel);
                    expect_hash(&f, sha256, &verify::file_sha256(&f)?)?;
                }
                Ok(cached.to_path_buf())
            }
            Kind::Mirror { .. } => bail!("a mirror is never cached"),
        }
    }

    fn download(&self, input: &Input, dest: &Path) -> Result<PathBuf> {
        let tmp = temp_beside(dest)?;
        let result = self.download_into(input, &tmp, dest);
        if tmp.exists() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        result
    }

    fn download_into(&self, input: &Input, tmp: &Path, dest: &Path) -> Result<PathBuf> {
        match &input.kind {
            Kind::File { url, sha256 } => {
                let name = file_name(input)?;
                let bytes = self.fetch(url)?;
                expect_hash(Path::new(url), sha256, &verify::sha256_hex(&bytes))?;
                std::fs::write(tmp.join(&name), &bytes)?;
                replace_dir(tmp, dest)?;
                Ok(dest.join(name))
            }
            Kind::Archive {
                url,
                sha256,
                tree,
                exclude,
                local_only,
            } => {
                ensure!(
                    !local_only,
                    "no digest of the download is pinned in xtask/inputs.toml, so only a local copy can be used"
                );
                let bytes = self.fetch(url)?;
                if let Some(sha256) = sha256 {
                    expect_hash(Path::new(url), sha256, &verify::sha256_hex(&bytes))?;
                }
                let archive = tmp.with_extension("tar.gz");
                std::fs::write(&archive, &bytes)?;
                let unpacked = verify::unpack_tar_gz(&archive, tmp);
                let _ = std::fs::remove_file(&archive);
                unpacked?;
                // A Helm chart package: its dependencies as directories, like the local copies.
                verify::unpack_subcharts(tmp)?;
                let (found, _) = verify::tree_hash(tmp, exclude)?;
                if sha256.is_none() {
                    let tree = tree.as_deref().context("no `tree` pinned")?;
                    expect_hash(Path::new(url), tree, &found)?;
                }
                replace_dir(tmp, dest)?;
                std::fs::write(tree_marker(dest), &found)?;
                Ok(dest.to_path_buf())
            }
            Kind::Files { base_url, files } => {
                for (rel, sha256) in files {
                    let url = format!("{base_url}{rel}");
                    let bytes = self.fetch(&url).with_context(|| format!("GET {url}"))?;
                    expect_hash(Path::new(&url), sha256, &verify::sha256_hex(&bytes))?;
                    let to = tmp.join(rel);
                    std::fs::create_dir_all(to.parent().context("no parent")?)?;
                    std::fs::write(to, bytes)?;
                }
                replace_dir(tmp, dest)?;
                Ok(dest.to_path_buf())
            }
            Kind::Mirror { .. } => bail!("a mirror is never downloaded"),
        }
    }

    fn fetch(&self, url: &str) -> Result<Vec<u8>> {
        use std::io::Read;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(self.timeout))
            .user_agent(concat!("conduit-xtask/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let response = agent.get(url).call().map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut bytes = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(MAX_DOWNLOAD + 1)
            .read_to_end(&mut bytes)?;
        ensure!(
            (bytes.len() as u64) <= MAX_DOWNLOAD,
            "larger than {MAX_DOWNLOAD} bytes"
        );
        Ok(bytes)
    }
}

fn expect_hash(what: &Path, expected: &str, found: &str) -> Result<()> {
    if expected != found {
        bail!(
            "SHA-256 mismatch for {}: pinned {expected}, found {found}; not used",
            what.display()
        );
    }
    Ok(())
}

fn file_name(input: &Input) -> Result<String> {
    Path::new(&input.local)
        .file_name()
        .and_then(|n| n.to_str())
        .map(str::to_owned)
        .context("`local` has no file name")
}

fn tree_marker(dir: &Path) -> PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(".tree");
    PathBuf::from(name)
}

/// A fresh, empty directory next to `dest` (same file system, so the rename is atomic).
fn temp_beside(dest: &Path) -> Result<PathBuf> {
    let parent = dest.parent().context("no parent directory")?;
    std::fs::create_dir_all(parent)
        .with_context(|| format!("creating the cache {}", parent.display()))?;
    let tmp = parent.join(format!(
        ".tmp-{}-{}",
        dest.file_name().and_then(|n| n.to_str()).unwrap_or("input"),
        std::process::id()
    ));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    std::fs::create_dir_all(&tmp)?;
    Ok(tmp)
}

/// Moves the finished `tmp` to `dest`, so a half-written entry is never in the cache.
fn replace_dir(tmp: &Path, dest: &Path) -> Result<()> {
    if dest.exists() {
        std::fs::remove_dir_all(dest)?;
    }
    std::fs::rename(tmp, dest)
        .with_context(|| format!("moving {} to {}", tmp.display(), dest.display()))
}

/// `CONDUIT_OFFLINE_DIR`, else `CONDUIT_SHARED_DIR` (its older name), else `../shared` beside
/// the checkout when that directory exists (the development setup this project grew up in).
pub fn offline_dir_from_env() -> Option<OfflineDir> {
    for var in [OFFLINE_VAR, SHARED_VAR] {
        if let Some(dir) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return Some(OfflineDir {
                path: PathBuf::from(dir),
                named_by: var.to_owned(),
            });
        }
    }
    let beside = crate::util::root().join("..").join("shared");
    beside.is_dir().then(|| OfflineDir {
        path: std::fs::canonicalize(&beside).unwrap_or(beside),
        named_by: "the default ../shared beside the checkout".to_owned(),
    })
}

fn global() -> Result<&'static Mutex<Resolver>> {
    static RESOLVER: OnceLock<Mutex<Resolver>> = OnceLock::new();
    if let Some(r) = RESOLVER.get() {
        return Ok(r);
    }
    let r = Resolver::from_env()?;
    Ok(RESOLVER.get_or_init(|| Mutex::new(r)))
}

/// The verified path of the input `name` declared in `xtask/inputs.toml`.
pub fn path(name: &str) -> Result<PathBuf> {
    let r = global()?
        .lock()
        .map_err(|_| anyhow::anyhow!("input resolver poisoned"))?;
    r.resolve(name)
}

/// Every pinned Helm chart (inputs named `helm-chart-*`), verified, as one directory of
/// `<chart>-<version>` links under `out`: the layout the chart renderers read.
pub fn helm_charts(out: &Path) -> Result<PathBuf> {
    let r = global()?
        .lock()
        .map_err(|_| anyhow::anyhow!("input resolver poisoned"))?;
    if out.exists() {
        std::fs::remove_dir_all(out).with_context(|| format!("cleaning {}", out.display()))?;
    }
    std::fs::create_dir_all(out)?;
    for input in r
        .inputs()
        .iter()
        .filter(|i| i.name.starts_with("helm-chart-"))
    {
        let dir = r.resolve(&input.name)?;
        let chart = input.name.trim_start_matches("helm-chart-");
        let link = out.join(format!("{chart}-{}", input.version));
        std::os::unix::fs::symlink(&dir, &link)
            .with_context(|| format!("linking {}", link.display()))?;
    }
    Ok(out.to_path_buf())
}

/// A path in the offline directory's layout (`reference/global-bundle.pem`,
/// `helm-charts/<chart>-<version>/…`), verified through the input that covers it. This is what
/// `util::shared_dir().join(rel)` becomes.
#[allow(dead_code)] // the conversion target of the readers of helm-charts/ and reference/
pub fn locate(rel: &str) -> Result<PathBuf> {
    let r = global()?
        .lock()
        .map_err(|_| anyhow::anyhow!("input resolver poisoned"))?;
    r.locate(rel)
}

/// `cargo xtask input`: resolve and print inputs, list them, or hash a file or directory.
#[derive(clap::Args)]
pub struct Args {
    /// Inputs to resolve (fetch and verify); their paths are printed, one a line.
    names: Vec<String>,
    /// List the declared inputs.
    #[arg(long)]
    list: bool,
    /// Print the SHA-256 of a file, or the tree hash of a directory (for a new pin).
    #[arg(long, value_name = "PATH")]
    hash: Option<PathBuf>,
    /// With --hash: top-level entries of the directory to leave out.
    #[arg(long, requires = "hash")]
    exclude: Vec<String>,
}

pub fn run(args: Args) -> Result<()> {
    if let Some(p) = &args.hash {
        let h = if p.is_dir() {
            verify::tree_hash(p, &args.exclude)?.0
        } else {
            verify::file_sha256(p)?
        };
        println!("{h}");
        return Ok(());
    }
    let r = Resolver::from_env()?;
    if args.list || args.names.is_empty() {
        for i in r.inputs() {
            println!(
                "{}\t{}\t{}\t{}\t{}",
                i.name, i.version, i.licence, i.about, i.source
            );
        }
        return Ok(());
    }
    for name in &args.names {
        println!("{}", r.resolve(name)?.display());
    }
    Ok(())
}

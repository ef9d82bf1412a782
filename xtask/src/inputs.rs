//! External inputs of the test command (reference data: the RealWorld contract, CRD schemas,
//! the advisory database, Helm charts, …), each declared once in `xtask/inputs.toml` with its
//! version, URL, SHA-256 and licence, and resolved by name (`inputs::path("advisory-db")?`) to
//! a verified path, from the first of:
//!
//! 1. the offline directory (`CONDUIT_OFFLINE_DIR`, else `CONDUIT_SHARED_DIR`, else `../shared`
//!    beside the checkout when it exists), when it holds the input;
//! 2. the cache (`CONDUIT_INPUTS_CACHE`, default `target/inputs/`), filled by
//! 3. downloading the pinned URL on first use.
//!
//! Every source is checked against the pinned hash before its path is handed out; a mismatch is
//! an error (no fallback to another source). An input found nowhere is one error line naming
//! it, its URL and the variable to set.

#[cfg(test)]
mod tests;
mod verify;

use anyhow::{bail, ensure, Context, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use verify::{file_sha256, sha256_hex, tree_hash};

pub const OFFLINE_VAR: &str = "CONDUIT_OFFLINE_DIR";
const SHARED_VAR: &str = "CONDUIT_SHARED_DIR";
const CACHE_VAR: &str = "CONDUIT_INPUTS_CACHE";
/// Downloads larger than this are refused (the largest input, a chart, is ~1 MiB packed).
const MAX_DOWNLOAD: u64 = 256 << 20;

/// One `[[input]]` of `xtask/inputs.toml` (its header explains the kinds and keys).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    pub name: String,
    /// `file`, `archive` (a .tar.gz), `files` (a set under `base_url`) or `mirror` (a Terraform
    /// provider mirror, offline only: Terraform checks it against the lock files).
    kind: String,
    pub about: String,
    pub version: String,
    pub source: String,
    pub licence: String,
    /// The path under the offline directory.
    local: String,
    url: Option<String>,
    base_url: Option<String>,
    sha256: Option<String>,
    tree: Option<String>,
    #[serde(default)]
    exclude: Vec<String>,
    /// No digest of the download is pinned: only a local copy can be used.
    #[serde(default)]
    local_only: bool,
    #[serde(default)]
    files: BTreeMap<String, String>,
}

impl Input {
    fn url(&self) -> &str {
        let url = self.url.as_ref().or(self.base_url.as_ref());
        url.map_or("", String::as_str)
    }

    /// A short id of the pins, so that a new pin gets a new cache entry.
    fn pin_id(&self) -> String {
        let pins = format!("{:?}{:?}{:?}", self.sha256, self.tree, self.files);
        sha256_hex(pins.as_bytes())[..16].to_owned()
    }

    fn check(&self) -> Result<()> {
        let pins = self.sha256.iter().chain(&self.tree);
        for h in pins.chain(self.files.values()) {
            let hex = h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
            ensure!(h.len() == 64 && hex, "`{h}`: not 64 hex digits");
        }
        let inside = |p: &String| !p.starts_with('/') && !p.split('/').any(|c| c == "..");
        let mut paths = self.files.keys().chain([&self.local]);
        ensure!(paths.all(inside), "a path leaves its directory");
        let complete = match self.kind.as_str() {
            "file" => self.url.is_some() && self.sha256.is_some(),
            "archive" => self.url.is_some() && self.tree.is_some(),
            "files" => self.base_url.as_ref().is_some_and(|u| u.ends_with('/')),
            "mirror" => self.url.is_some(),
            other => bail!("unknown kind `{other}`"),
        };
        ensure!(complete, "a `{}` input lacks its url or pins", self.kind);
        Ok(())
    }
}

pub fn parse(text: &str) -> Result<Vec<Input>> {
    #[derive(Deserialize)]
    struct Manifest {
        input: Vec<Input>,
    }
    let manifest = toml::from_str::<Manifest>(text);
    let inputs = manifest.context("xtask/inputs.toml")?.input;
    for (i, input) in inputs.iter().enumerate() {
        let name = &input.name;
        let checked = input.check();
        checked.with_context(|| format!("xtask/inputs.toml: input {name}"))?;
        let twice = inputs[..i].iter().any(|o| &o.name == name);
        ensure!(!twice, "xtask/inputs.toml: input {name} is declared twice");
    }
    Ok(inputs)
}

pub struct Resolver {
    inputs: Vec<Input>,
    /// The offline directory and the variable (or default) that named it.
    offline: Option<(PathBuf, String)>,
    cache: PathBuf,
    /// Downloads a URL (over HTTPS; the tests serve from memory).
    fetch: fn(&str) -> Result<Vec<u8>>,
}

impl Resolver {
    /// The manifest and the directories the environment names.
    pub fn from_env() -> Result<Self> {
        let root = crate::util::root();
        let var = |v: &str| std::env::var_os(v).filter(|v| !v.is_empty());
        let named = [OFFLINE_VAR, SHARED_VAR].map(|v| Some((var(v)?.into(), v.to_owned())));
        // The development setup this project grew up in: `../shared` beside the checkout.
        let beside = std::fs::canonicalize(root.join("../shared")).ok();
        let beside = beside.filter(|d| d.is_dir());
        let beside = beside.map(|d| (d, "the default".into()));
        let text = std::fs::read_to_string(root.join("xtask/inputs.toml"))?;
        let default = || crate::util::target_dir().join("inputs");
        let cache = var(CACHE_VAR).map_or_else(default, PathBuf::from);
        let offline = named.into_iter().flatten().next().or(beside);
        let (inputs, fetch) = (parse(&text)?, fetch);
        Ok(Self {
            inputs,
            offline,
            cache,
            fetch,
        })
    }

    /// The verified path of input `name` (a file or a directory, by its kind).
    pub fn resolve(&self, name: &str) -> Result<PathBuf> {
        let input = self.inputs.iter().find(|i| i.name == name);
        let input = input.with_context(|| format!("no input `{name}` in xtask/inputs.toml"))?;
        let (about, url, local) = (&input.about, input.url(), &input.local);
        let (dir, by) = self.offline.clone().unwrap_or_default();
        let cached = self.cache.join(format!("{name}-{}", input.pin_id()));
        if !by.is_empty() && dir.join(local).exists() {
            let copy = dir.join(local);
            let read = |rel: &str| Ok(std::fs::read(copy.join(rel))?);
            let verified = match input.kind.as_str() {
                // Only the pinned files, each copied into the cache after it is checked.
                "files" => self.fill(input, &cached, read),
                _ => verify(input, &copy, input.tree.as_deref()).map(|()| copy.clone()),
            };
            return verified.with_context(|| format!("input {name}: {}", copy.display()));
        }
        let looked = match by.is_empty() {
            true => format!("{OFFLINE_VAR} is unset and there is no ../shared"),
            false => format!("{local} is not in {} (named by {by})", dir.display()),
        };
        ensure!(
            input.kind != "mirror",
            "input {name} ({about}): {looked}; online, `terraform init` installs it from {url}; \
             offline, put a filesystem mirror there or name one with TF_PROVIDER_MIRROR"
        );
        if cached.exists() {
            // An archive's tree was recorded when its verified download was unpacked.
            let tree = std::fs::read_to_string(format!("{}.tree", cached.display()));
            let entry = file_name(input).map_or(cached.clone(), |f| cached.join(f));
            let verified = verify(input, &entry, tree.ok().as_deref());
            let verified = verified.with_context(|| format!("input {name}: the cache"));
            return verified.map(|()| entry);
        }
        let download = |rel: &str| (self.fetch)(&format!("{url}{rel}"));
        self.fill(input, &cached, download).map_err(|e| {
            anyhow::anyhow!(
                "input {name} ({about}): {looked}, and downloading {url} failed: {e:#}. Set \
                 {OFFLINE_VAR} to a directory holding {local}, or allow the download."
            )
        })
    }

    /// Fills the cache entry `dest` from `get` (the bytes of a file of the input by its path
    /// under the base, "" for the whole input), checking every byte against the pins first.
    fn fill(
        &self,
        input: &Input,
        dest: &Path,
        get: impl Fn(&str) -> Result<Vec<u8>>,
    ) -> Result<PathBuf> {
        let tmp = dest.with_file_name(format!(".tmp-{}-{}", input.name, std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        let filled = fill_into(input, &tmp, get).and_then(|entry| {
            let _ = std::fs::remove_dir_all(dest);
            std::fs::rename(&tmp, dest)?;
            Ok(entry.map_or(dest.to_path_buf(), |e| dest.join(e)))
        });
        let _ = std::fs::remove_dir_all(&tmp);
        if let Ok(tree) = tree_hash(dest, &input.exclude).map(|t| t.0) {
            std::fs::write(format!("{}.tree", dest.display()), tree)?;
        }
        filled
    }
}

/// Writes the input into the fresh directory `tmp` from `get`; returns the file it is, if one.
fn fill_into<'a>(
    input: &'a Input,
    tmp: &Path,
    get: impl Fn(&str) -> Result<Vec<u8>>,
) -> Result<Option<&'a str>> {
    let url = input.url();
    match input.kind.as_str() {
        "file" => {
            let bytes = get("")?;
            expect(url, input.sha256.as_deref(), &sha256_hex(&bytes))?;
            std::fs::write(tmp.join(file_name(input)?), &bytes)?;
            return Ok(Some(file_name(input)?));
        }
        "archive" => {
            // No digest of the download is pinned: only a local copy can be used.
            ensure!(!input.local_only, "a local-only input");
            let bytes = get("")?;
            if input.sha256.is_some() {
                expect(url, input.sha256.as_deref(), &sha256_hex(&bytes))?;
            }
            verify::unpack_tar_gz(&bytes, tmp)?;
            // A Helm chart package: its dependencies as directories, like the local copies.
            verify::unpack_subcharts(tmp)?;
            if input.sha256.is_none() {
                let tree = tree_hash(tmp, &input.exclude)?.0;
                expect(url, input.tree.as_deref(), &tree)?;
            }
        }
        _ => {
            for (rel, sha256) in &input.files {
                let bytes = get(rel).with_context(|| format!("{url}{rel}"))?;
                expect(&format!("{url}{rel}"), Some(sha256), &sha256_hex(&bytes))?;
                std::fs::create_dir_all(tmp.join(rel).parent().context("a parent")?)?;
                std::fs::write(tmp.join(rel), bytes)?;
            }
        }
    }
    Ok(None)
}

/// Checks a local copy or a cache entry against the pins: a file's SHA-256, an archive's
/// `tree`, every file of a set. (A mirror is checked by Terraform against the lock files.)
fn verify(input: &Input, path: &Path, tree: Option<&str>) -> Result<()> {
    let shown = path.display().to_string();
    match input.kind.as_str() {
        "file" => expect(&shown, input.sha256.as_deref(), &file_sha256(path)?),
        "archive" => expect(&shown, tree, &tree_hash(path, &input.exclude)?.0),
        "files" => input.files.iter().try_for_each(|(rel, sha256)| {
            let (file, shown) = (path.join(rel), format!("{shown}/{rel}"));
            expect(&shown, Some(sha256), &file_sha256(&file)?)
        }),
        _ => Ok(()),
    }
}

fn fetch(url: &str) -> Result<Vec<u8>> {
    use std::{io::Read, time::Duration};
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_global(Some(Duration::from_secs(60)))
        .user_agent(concat!("conduit-xtask/", env!("CARGO_PKG_VERSION")));
    let agent: ureq::Agent = config.build().into();
    let response = agent.get(url).call().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut bytes = Vec::new();
    let mut body = response.into_body().into_reader().take(MAX_DOWNLOAD + 1);
    body.read_to_end(&mut bytes)?;
    let size = bytes.len() as u64;
    ensure!(size <= MAX_DOWNLOAD, "larger than {MAX_DOWNLOAD} bytes");
    Ok(bytes)
}

fn expect(what: &str, pinned: Option<&str>, found: &str) -> Result<()> {
    let pinned = pinned.context("no hash pinned")?;
    let mismatch = format!("SHA-256 mismatch for {what}: pinned {pinned}, found {found}");
    ensure!(pinned == found, mismatch);
    Ok(())
}

fn file_name(input: &Input) -> Result<&str> {
    let name = Path::new(&input.local).file_name().and_then(|n| n.to_str());
    name.filter(|_| input.kind == "file").context("not a file")
}

fn global() -> Result<&'static Resolver> {
    static RESOLVER: OnceLock<Resolver> = OnceLock::new();
    match RESOLVER.get() {
        Some(r) => Ok(r),
        None => Resolver::from_env().map(|r| RESOLVER.get_or_init(|| r)),
    }
}

/// The verified path of the input `name` declared in `xtask/inputs.toml`.
pub fn path(name: &str) -> Result<PathBuf> {
    // One resolution at a time: two threads must not fill the same cache entry.
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock().ok().context("an input resolution panicked")?;
    global()?.resolve(name)
}

/// Every pinned Helm chart (inputs named `helm-chart-*`), verified, as one directory of
/// `<chart>-<version>` links under `out`: the layout the chart renderers read.
pub fn helm_charts(out: &Path) -> Result<PathBuf> {
    let _ = std::fs::remove_dir_all(out);
    std::fs::create_dir_all(out)?;
    for input in global()?.inputs.iter() {
        if let Some(chart) = input.name.strip_prefix("helm-chart-") {
            let link = out.join(format!("{chart}-{}", input.version));
            let linked = std::os::unix::fs::symlink(path(&input.name)?, &link);
            linked.with_context(|| format!("linking {}", link.display()))?;
        }
    }
    Ok(out.to_path_buf())
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
        let hash = match p.is_dir() {
            true => tree_hash(p, &args.exclude)?.0,
            false => file_sha256(p)?,
        };
        println!("{hash}");
        return Ok(());
    }
    let r = Resolver::from_env()?;
    let list = args.list || args.names.is_empty();
    for i in r.inputs.iter().filter(|_| list) {
        let (name, version, licence) = (&i.name, &i.version, &i.licence);
        println!("{name}\t{version}\t{licence}\t{}\t{}", i.about, i.source);
    }
    for name in &args.names {
        println!("{}", r.resolve(name)?.display());
    }
    Ok(())
}

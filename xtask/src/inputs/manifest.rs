//! `xtask/inputs.toml`: the declaration of every external input, parsed and checked.

use anyhow::{bail, ensure, Context, Result};
use std::collections::BTreeMap;

/// How an input is fetched and verified (see the header of `xtask/inputs.toml`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// One file: `url`, `sha256`.
    File { url: String, sha256: String },
    /// A `.tar.gz` unpacked into a directory: `url`, `sha256` (archive digest) and/or `tree`.
    Archive {
        url: String,
        sha256: Option<String>,
        tree: Option<String>,
        exclude: Vec<String>,
        /// No digest of the download is pinned: only a local copy can be used.
        local_only: bool,
    },
    /// A set of files under `base_url`, each with its hash.
    Files {
        base_url: String,
        files: BTreeMap<String, String>,
    },
    /// A Terraform filesystem mirror: taken from the offline directory only; Terraform checks the
    /// providers in it against the committed lock files.
    Mirror { url: String },
}

#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub about: String,
    pub version: String,
    pub source: String,
    pub licence: String,
    /// The path under the offline directory.
    pub local: String,
    pub kind: Kind,
}

impl Input {
    /// The URL the input is downloaded from (for files: the base URL).
    pub fn url(&self) -> &str {
        match &self.kind {
            Kind::File { url, .. } | Kind::Archive { url, .. } | Kind::Mirror { url } => url,
            Kind::Files { base_url, .. } => base_url,
        }
    }

    /// A short stable id of the pins, so that a new pin gets a new cache entry.
    pub fn pin_id(&self) -> String {
        let pins = match &self.kind {
            Kind::File { sha256, .. } => sha256.clone(),
            Kind::Archive { sha256, tree, .. } => format!("{sha256:?}{tree:?}"),
            Kind::Files { files, .. } => format!("{files:?}"),
            Kind::Mirror { .. } => self.version.clone(),
        };
        super::verify::sha256_hex(pins.as_bytes())[..16].to_owned()
    }
}

pub fn parse(text: &str) -> Result<Vec<Input>> {
    let table: toml::Table = toml::from_str(text).context("xtask/inputs.toml is not TOML")?;
    let entries = table
        .get("input")
        .and_then(toml::Value::as_array)
        .context("xtask/inputs.toml has no [[input]] entries")?;
    let mut inputs: Vec<Input> = Vec::new();
    for entry in entries {
        let t = entry.as_table().context("an [[input]] is not a table")?;
        let input = parse_one(t).with_context(|| {
            format!(
                "xtask/inputs.toml: input {}",
                t.get("name").and_then(toml::Value::as_str).unwrap_or("?")
            )
        })?;
        ensure!(
            !inputs.iter().any(|i| i.name == input.name),
            "xtask/inputs.toml: input {} is declared twice",
            input.name
        );
        inputs.push(input);
    }
    Ok(inputs)
}

const KEYS: &[&str] = &[
    "name",
    "kind",
    "about",
    "version",
    "source",
    "licence",
    "local",
    "url",
    "base_url",
    "sha256",
    "tree",
    "exclude",
    "local_only",
    "files",
];

fn parse_one(t: &toml::Table) -> Result<Input> {
    for key in t.keys() {
        ensure!(KEYS.contains(&key.as_str()), "unknown key `{key}`");
    }
    let s = |key: &str| -> Result<String> {
        t.get(key)
            .and_then(toml::Value::as_str)
            .map(str::to_owned)
            .with_context(|| format!("`{key}` is missing or not a string"))
    };
    let opt = |key: &str| -> Result<Option<String>> {
        match t.get(key) {
            None => Ok(None),
            Some(v) => Ok(Some(
                v.as_str()
                    .with_context(|| format!("`{key}` is not a string"))?
                    .to_owned(),
            )),
        }
    };
    let hash = |key: &str, v: Option<String>| -> Result<Option<String>> {
        if let Some(h) = &v {
            ensure!(
                h.len() == 64
                    && h.bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
                "`{key}` must be 64 lower-case hex digits"
            );
        }
        Ok(v)
    };
    let local = s("local")?;
    ensure!(
        !local.is_empty() && !local.starts_with('/') && !local.split('/').any(|c| c == ".."),
        "`local` must be a relative path inside the offline directory"
    );
    let kind = match s("kind")?.as_str() {
        "file" => Kind::File {
            url: s("url")?,
            sha256: hash("sha256", Some(s("sha256")?))?.unwrap_or_default(),
        },
        "archive" => {
            let sha256 = hash("sha256", opt("sha256")?)?;
            let tree = hash("tree", opt("tree")?)?;
            let local_only = t
                .get("local_only")
                .map(|v| v.as_bool().context("`local_only` is not a boolean"))
                .transpose()?
                .unwrap_or(false);
            ensure!(
                tree.is_some(),
                "an archive needs `tree` (the hash its local copy is checked against)"
            );
            let exclude = match t.get("exclude") {
                None => Vec::new(),
                Some(v) => v
                    .as_array()
                    .context("`exclude` is not an array")?
                    .iter()
                    .map(|e| {
                        e.as_str()
                            .map(str::to_owned)
                            .context("`exclude` holds a non-string")
                    })
                    .collect::<Result<_>>()?,
            };
            Kind::Archive {
                url: s("url")?,
                sha256,
                tree,
                exclude,
                local_only,
            }
        }
        "files" => {
            let table = t
                .get("files")
                .and_then(toml::Value::as_table)
                .context("`files` is missing or not a table")?;
            let mut files = BTreeMap::new();
            for (path, h) in table {
                ensure!(
                    !path.starts_with('/') && !path.split('/').any(|c| c == ".." || c.is_empty()),
                    "file `{path}` must be a plain relative path"
                );
                let h = h
                    .as_str()
                    .with_context(|| format!("the hash of `{path}` is not a string"))?;
                files.insert(
                    path.clone(),
                    hash(path, Some(h.to_owned()))?.unwrap_or_default(),
                );
            }
            ensure!(!files.is_empty(), "`files` is empty");
            let base_url = s("base_url")?;
            ensure!(base_url.ends_with('/'), "`base_url` must end with `/`");
            Kind::Files { base_url, files }
        }
        "mirror" => Kind::Mirror { url: s("url")? },
        other => bail!("unknown kind `{other}`"),
    };
    Ok(Input {
        name: s("name")?,
        about: s("about")?,
        version: s("version")?,
        source: s("source")?,
        licence: s("licence")?,
        local,
        kind,
    })
}

//! The `nix` suite: the flake cannot be built on machines without a Nix store and binary cache,
//! so this checks everything that can be checked without one, each check first shown failing
//! on a fixture:
//!
//! 1. every `.nix` file parses and is formatted by alejandra (the library, the release the
//!    flake's formatter is built from);
//! 2. nix/tests/lint.sh: deadnix finds no unused binding; with Nix, every file parses with
//!    `nix-instantiate --parse` and flake.lock matches flake.nix (`nix flake metadata`);
//! 3. flake.lock follows a nixpkgs release, pins what the `nix-pins` input (crane's tested
//!    lock) pins, and builds the formatter from the commit of xtask's alejandra;
//! 4. every name and argument used from a pinned input is in nix/pinned-api.toml (`api`);
//! 5. .cargo/audit.toml (crane's checks.audit) ignores what deny.toml ignores;
//! 6. the image scanner behind checks.images-no-shell passes its tests;
//! 7. with a nixpkgs `lib/` at hand (`CONDUIT_NIXPKGS_LIB`), the flake is evaluated with
//!    stand-ins (nix/tests/eval.sh);
//! 8. every nix/checks/*.sh runs in a sandbox-like directory (nix/tests/run-checks.sh).

mod api;

use crate::util::{cmd, output, root};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::path::Path;

/// The commit each alejandra crate release was published from (its `.cargo_vcs_info.json`).
const ALEJANDRA_COMMITS: &[(&str, &str)] = &[("3.1.0", "ba275e5364df495a55a3384f36704236d5c63013")]; // pragma: allowlist secret (a git commit id)
/// Our pins that must equal the shared, tested lock: `our node:its node`.
const SHARED_PINS: &str =
    "nixpkgs:nixpkgs-latest-release crane:crane rust-overlay:rust-overlay advisory-db:advisory-db";

/// What Nix cannot tell from flake.lock alone; `shared` is the tested lock, when available.
fn lock_problems(lock: &Value, shared: Option<&Value>) -> Vec<String> {
    let mut problems = Vec::new();
    let nixpkgs = lock["nodes"]["nixpkgs"]["original"]["ref"].as_str();
    let nixpkgs = nixpkgs.unwrap_or_default();
    let release = nixpkgs.strip_prefix("nixos-").is_some_and(|v| {
        v.len() == 5 && v.as_bytes()[2] == b'.' && v.replace('.', "").parse::<u16>().is_ok()
    });
    if lock["version"] != 7 || !release {
        problems.push(format!(
            "flake.lock: version 7 following a nixpkgs release (nixos-YY.MM), not {nixpkgs:?}"
        ));
    }
    let version = alejandra::version::VERSION;
    let commit = ALEJANDRA_COMMITS
        .iter()
        .find(|c| c.0 == version)
        .map(|c| c.1);
    if lock["nodes"]["alejandra-src"]["locked"]["rev"].as_str() != commit {
        let why = format!("alejandra {version}'s commit {commit:?}");
        problems.push(format!("the flake's formatter must be built from {why}"));
    }
    let pins = SHARED_PINS.split(' ').filter_map(|p| p.split_once(':'));
    for (ours, theirs) in pins {
        let Some(shared) = shared else { break };
        let a = &lock["nodes"][ours]["locked"];
        let b = &shared["nodes"][theirs]["locked"];
        let pin = format!("the shared tested pin `{theirs}` is {b}");
        if a != b {
            problems.push(format!("flake.lock `{ours}` is {a}, {pin}"));
        }
    }
    problems
}

/// The advisory ids an `[advisories] ignore` list names (plain ids or `{ id, reason }`).
fn ignored(toml_text: &str) -> Result<Vec<String>> {
    let doc: Value = toml::from_str(toml_text)?;
    let ids = doc["advisories"]["ignore"].as_array().into_iter().flatten();
    let mut ids: Vec<String> = ids
        .filter_map(|i| Some(i.as_str().or(i["id"].as_str())?.into()))
        .collect();
    ids.sort();
    Ok(ids)
}

pub fn run() -> Result<()> {
    let root = root();
    let read = |p: &str| std::fs::read_to_string(root.join(p)).with_context(|| p.to_owned());
    let files = nix_files(&root, &root)?;
    let sources = files.iter().map(|p| Ok((p, read(p)?)));
    let sources: Vec<(&String, String)> = sources.collect::<Result<_>>()?;
    if sources.len() < 5 {
        bail!("expected flake.nix and nix/*.nix, found only {files:?}");
    }
    let version = alejandra::version::VERSION;
    eprintln!("nix: alejandra {version} parse and format check");
    let formatted = |p: &str, s: &str| match alejandra::format::in_memory(p.into(), s.into()) {
        (alejandra::format::Status::Error(e), _) => Err(anyhow::anyhow!("{p}: {e}")),
        (_, formatted) => Ok(formatted == s),
    };
    if formatted("f.nix", "{a = ;}").is_ok() || formatted("f.nix", "{a=1;}")? {
        bail!("alejandra self-test: a parse error or an unformatted file passed");
    }
    for (path, src) in &sources {
        if !formatted(path, src)? {
            bail!("{path} is not alejandra-formatted (run `nix fmt`)");
        }
    }
    script("nix/tests/lint.sh", &files)?;

    eprintln!("nix: flake.lock against the tested pins and the formatter");
    let lock: Value = serde_json::from_str(&read("flake.lock")?)?;
    // The Nix sandbox has neither the offline directory nor the network: there,
    // CONDUIT_ALLOW_MISSING_SHARED skips the comparison with the tested pins, loudly.
    let shared: Option<Value> = match crate::inputs::path("nix-pins") {
        Ok(path) => Some(serde_json::from_str(&std::fs::read_to_string(path)?)?),
        Err(e) if std::env::var_os("CONDUIT_ALLOW_MISSING_SHARED").is_some() => {
            eprintln!("  SKIPPED the tested pins (CONDUIT_ALLOW_MISSING_SHARED is set): {e:#}");
            None
        }
        Err(e) => return Err(e),
    };
    let mut moved = lock.clone();
    moved["nodes"]["nixpkgs"]["original"]["ref"] = json!("nixos-unstable");
    moved["nodes"]["alejandra-src"]["locked"]["rev"] = json!("0".repeat(40));
    moved["nodes"]["crane"]["locked"]["rev"] = json!("0".repeat(40));
    if lock_problems(&moved, shared.as_ref()).len() != 2 + usize::from(shared.is_some()) {
        bail!("self-test: a lock on nixos-unstable with moved crane and alejandra pins passed");
    }
    let mut problems = lock_problems(&lock, shared.as_ref());

    eprintln!("nix: names used from pinned inputs against nix/pinned-api.toml");
    let api = api::Api::load(&read("nix/pinned-api.toml")?, &lock)?;
    let fixtures: toml::Table = toml::from_str(&read("nix/tests/pinned-api-rejects.toml")?)?;
    for fixture in fixtures["rejects"].as_array().into_iter().flatten() {
        let nix = fixture[0].as_str().unwrap_or_default();
        let name = fixture[1].as_str().unwrap_or("?");
        if !api::check(&api, "fixture.nix", nix)
            .iter()
            .any(|p| p.contains(name))
        {
            bail!("pinned-API self-test: `{nix}` passed");
        }
    }
    problems.extend(sources.iter().flat_map(|(p, src)| api::check(&api, p, src)));

    eprintln!("nix: .cargo/audit.toml (checks.audit) ignores what deny.toml ignores");
    let deny = ignored(&read("deny.toml")?)?;
    let audit = ignored(&read(".cargo/audit.toml").unwrap_or_default())?;
    if deny != audit || ignored("[advisories]\nignore = [\"RUSTSEC-0000-0000\"]")? == deny {
        problems.push(format!(
            "deny.toml ignores {deny:?}, .cargo/audit.toml {audit:?}: keep them identical"
        ));
    }
    if !problems.is_empty() {
        bail!("nix:\n  {}", problems.join("\n  "));
    }
    for (file, _) in sources.iter().filter(|s| s.1.contains("lib.fakeHash")) {
        eprintln!("nix: NOTE {file} has placeholder hashes (lib.fakeHash): the first Nix build prints the real ones");
    }
    eprintln!("nix: image scanner tests (python3 nix/tests/image_scan_test.py)");
    output(cmd("python3").arg("nix/tests/image_scan_test.py")).context("image scanner tests")?;

    // In Nix the Terraform providers are plugins nixpkgs builds; here the local mirror, if any.
    let mirror = crate::suites::terraform::mirror::discover().unwrap_or_default();
    script("nix/tests/eval.sh", &[])?;
    script("nix/tests/run-checks.sh", &[mirror.display().to_string()])?;
    eprintln!("nix: ok ({} files)", sources.len());
    Ok(())
}

/// Runs one of the suite's shell scripts (nix/tests/), its report on stderr.
fn script(path: &str, args: &[String]) -> Result<()> {
    let mut bash = cmd("bash");
    bash.arg(path).args(args).stdout(std::io::stderr());
    if !bash.status()?.success() {
        bail!("{path} failed");
    }
    Ok(())
}

/// Every `.nix` file of the repository, relative to it (not build outputs, not dependencies).
fn nix_files(root: &Path, dir: &Path) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let skip = ["target", "node_modules", ".git", ".terraform", "result"];
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let build_output = skip.contains(&name.as_str()) || name.starts_with("result-");
        if entry.file_type()?.is_dir() && !build_output {
            out.extend(nix_files(root, &entry.path())?);
        } else if name.ends_with(".nix") {
            out.push(entry.path().strip_prefix(root)?.display().to_string());
        }
    }
    out.sort();
    Ok(out)
}

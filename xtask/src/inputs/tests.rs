//! The resolver with downloads served from memory: verification, cache hit, tampered copies
//! rejected, the offline directory preferred, and the one-line error of a missing input.

use super::verify::{sha256_hex, tree_hash};
use super::*;
use std::cell::{Cell, RefCell};

thread_local! {
    /// What the test's "network" serves (URL → body), and how many requests it answered.
    static SERVED: RefCell<BTreeMap<String, Vec<u8>>> = RefCell::default();
    static HITS: Cell<usize> = Cell::default();
}

fn serve(files: &[(&str, &[u8])]) {
    let url = |u| format!("https://x{u}");
    let files = files.iter().map(|(u, b)| (url(u), b.to_vec()));
    SERVED.with(|s| s.borrow_mut().extend(files));
}

fn served(url: &str) -> Result<Vec<u8>> {
    HITS.with(|h| h.set(h.get() + 1));
    let body = SERVED.with(|s| s.borrow().get(url).cloned());
    body.context("404 Not Found")
}

/// A manifest of one input `it` of `kind` with the extra keys `pins`.
fn manifest(kind: &str, pins: &str) -> String {
    let head = "[[input]]\nname = \"it\"\nabout = \"a test input\"\nversion = \"1\"";
    format!("{head}\nsource = \"test\"\nlicence = \"MIT\"\nkind = \"{kind}\"\n{pins}\n")
}

/// A resolver of that manifest with its own empty cache directory.
fn resolver(kind: &str, pins: &str, offline: Option<&Path>) -> (Resolver, tempfile::TempDir) {
    let cache = tempfile::tempdir().expect("temp dir");
    let r = Resolver {
        inputs: parse(&manifest(kind, pins)).expect("parses"),
        offline: offline.map(|p| (p.to_path_buf(), OFFLINE_VAR.to_owned())),
        cache: cache.path().to_path_buf(),
        fetch: served,
    };
    (r, cache)
}

fn file(path: &str) -> String {
    let sha = sha256_hex(b"c");
    format!("url = \"https://x{path}\"\nsha256 = \"{sha}\"\nlocal = \"spec/c.yml\"")
}

fn err(r: &Resolver) -> String {
    format!("{:#}", r.resolve("it").expect_err("must fail"))
}

/// Writes `body` to `rel` under `dir`, making its directories.
fn put(dir: &Path, rel: &str, body: &[u8]) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, body).expect("write");
}

fn empty(dir: &Path) -> bool {
    std::fs::read_dir(dir).expect("read").next().is_none()
}

#[test]
fn a_file_is_taken_offline_or_downloaded_verified_cached_and_checked_on_every_use() {
    let offline = tempfile::tempdir().expect("temp dir");
    put(offline.path(), "spec/c.yml", b"c");
    let (r, _cache) = resolver("file", &file("/c.yml"), Some(offline.path()));
    let local = offline.path().join("spec/c.yml");
    assert_eq!(r.resolve("it").expect("local"), local);
    put(offline.path(), "spec/c.yml", b"changed");
    assert!(err(&r).contains("SHA-256 mismatch"));
    assert_eq!(HITS.with(Cell::get), 0, "no fallback to the network");
    // Nowhere (nothing served yet): a one-line error.
    let nowhere = offline.path().join("none");
    let (r, _cache) = resolver("file", &file("/c.yml"), Some(&nowhere));
    let e = err(&r);
    assert!(!e.contains('\n'), "one line: {e}");
    for part in ["input it", "https://x/c.yml", "404", OFFLINE_VAR] {
        assert!(e.contains(part), "`{part}` missing from: {e}");
    }
    serve(&[("/c.yml", b"c"), ("/bad.yml", b"tampered")]);
    let (r, _cache) = resolver("file", &file("/c.yml"), None);
    let path = r.resolve("it").expect("downloaded");
    assert_eq!(std::fs::read(&path).expect("read"), b"c");
    assert_eq!(r.resolve("it").expect("cached"), path);
    assert_eq!(HITS.with(Cell::get), 2, "a cache hit makes no request");
    std::fs::write(&path, "tampered").expect("tamper");
    assert!(err(&r).contains("SHA-256 mismatch"));
    let (r, cache) = resolver("file", &file("/bad.yml"), None);
    assert!(err(&r).contains("SHA-256 mismatch") && empty(cache.path()));
}

fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut tar = tar::Builder::new(flate2::write::GzEncoder::new(vec![], Default::default()));
    for (path, body) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        tar.append_data(&mut h, path, *body).expect("append");
    }
    tar.into_inner().expect("tar").finish().expect("gzip")
}

#[test]
fn an_archive_is_checked_by_its_tree_locally_and_after_download() {
    let files: &[(&str, &[u8])] = &[("db-1/a/RUSTSEC-1.md", b"one"), ("db-1/README.md", b"r")];
    let offline = tempfile::tempdir().expect("temp dir");
    for (p, body) in files {
        put(offline.path(), &p.replacen("db-1", "db", 1), body);
    }
    put(offline.path(), "db/SNAPSHOT", b"abc");
    let (tree, count) = tree_hash(&offline.path().join("db"), &["SNAPSHOT".into()]).expect("tree");
    assert_eq!(count, 2, "SNAPSHOT is left out");
    serve(&[("/db.tar.gz", &tar_gz(files))]);
    let pins = "url = \"https://x/db.tar.gz\"\nlocal = \"db\"\nexclude = [\"SNAPSHOT\"]";
    let pins = format!("{pins}\ntree = \"{tree}\"");
    let (r, _cache) = resolver("archive", &pins, None);
    let dir = r.resolve("it").expect("downloaded");
    let one = std::fs::read(dir.join("a/RUSTSEC-1.md")).expect("read");
    assert_eq!(one, b"one");
    r.resolve("it").expect("cached");
    assert_eq!(HITS.with(Cell::get), 1);
    std::fs::write(dir.join("README.md"), "changed").expect("tamper");
    assert!(err(&r).contains("SHA-256 mismatch"), "cache checked on use");
    let (r, _cache) = resolver("archive", &pins, Some(offline.path()));
    assert_eq!(r.resolve("it").expect("local"), offline.path().join("db"));
    put(offline.path(), "db/a/RUSTSEC-2.md", b"new");
    assert!(r.resolve("it").is_err(), "an extra file changes the tree");
    // A wrong package digest: nothing is unpacked or cached.
    let pins = format!("{pins}\nsha256 = \"{}\"", sha256_hex(b"another archive"));
    let (r, cache) = resolver("archive", &pins, None);
    assert!(err(&r).contains("SHA-256 mismatch") && empty(cache.path()));
}

#[test]
fn a_file_set_and_a_chart_package_hold_exactly_the_pinned_files() {
    serve(&[("/s/g/a.json", b"{}")]);
    let pin = format!("\"g/a.json\" = \"{}\"", sha256_hex(b"{}"));
    let pins = format!("base_url = \"https://x/s/\"\nlocal = \"s\"\nfiles = {{ {pin} }}");
    let offline = tempfile::tempdir().expect("temp dir");
    put(offline.path(), "s/g/a.json", b"{}");
    put(offline.path(), "s/g/b.json", b"{}");
    let (r, _cache) = resolver("files", &pins, Some(offline.path()));
    let dir = r.resolve("it").expect("local");
    assert!(dir.join("g/a.json").is_file() && !dir.join("g/b.json").exists());
    let (r, _cache) = resolver("files", &pins, None);
    let dir = r.resolve("it").expect("downloaded");
    assert!(dir.join("g/a.json").is_file());
    assert_eq!(HITS.with(Cell::get), 1);
    let leaf = tar_gz(&[("leaf/Chart.yaml", b"x"), ("leaf/values.yaml", b"a: 1\n")]);
    // A chart `name` whose charts/ holds `dependency` packed as `packed`.
    let chart = |name: &str, packed: &str, dependency: &[u8]| {
        let dep = format!("{name}/charts/{packed}");
        tar_gz(&[(&format!("{name}/Chart.yaml"), b"x"), (&dep, dependency)])
    };
    let sub = chart("sub", "leaf-0.1.0.tgz", &leaf);
    let app = chart("app", "sub-2.0.0.tgz", &sub);
    let broken = chart("app", "sub-2.0.0.tgz", b"no gzip");
    serve(&[("/app.tgz", &app), ("/broken.tgz", &broken)]);
    let pins = |file: &str, body: &[u8]| {
        let sha = sha256_hex(body);
        format!("url = \"https://x/{file}\"\nsha256 = \"{sha}\"\ntree = \"{sha}\"\nlocal = \"c\"")
    };
    let (r, _cache) = resolver("archive", &pins("app.tgz", &app), None);
    let dir = r.resolve("it").expect("downloaded");
    let values = dir.join("charts/sub/charts/leaf/values.yaml");
    assert_eq!(std::fs::read(values).expect("read"), b"a: 1\n");
    assert!(!dir.join("charts/sub-2.0.0.tgz").exists());
    r.resolve("it").expect("cached, by its recorded tree");
    assert_eq!(
        HITS.with(Cell::get),
        2,
        "the file set's download and the chart's"
    );
    let (r, cache) = resolver("archive", &pins("broken.tgz", &broken), None);
    let e = err(&r);
    assert!(e.contains("sub-2.0.0.tgz") && empty(cache.path()), "{e}");
}

#[test]
fn the_manifest_declares_every_input_with_its_pins() {
    let path = crate::util::root().join("xtask/inputs.toml");
    let inputs = parse(&std::fs::read_to_string(path).expect("read")).expect("parses");
    for name in "realworld-openapi crd-schemas advisory-db nix-pins".split(' ') {
        assert!(inputs.iter().any(|i| i.name == name), "{name} missing");
    }
    for i in &inputs {
        assert!(i.url().starts_with("https://"), "{}: https only", i.name);
        // A chart package is not the file set of the unpacked local copy, so a download can
        // only be checked by the package digest: a chart without one is local-only.
        let chart = i.name.starts_with("helm-chart-");
        let digest = i.sha256.is_some() != i.local_only;
        assert!(!chart || digest, "{}: no digest", i.name);
    }
    // A typo in a key is an error, not an ignored pin; so is a malformed hash.
    let good = manifest("file", &file("/c.yml"));
    assert!(parse(&good).is_ok());
    assert!(parse(&good.replace("sha256", "sha265")).is_err());
    assert!(parse(&good.replace("sha256 = \"", "sha256 = \"A")).is_err());
}

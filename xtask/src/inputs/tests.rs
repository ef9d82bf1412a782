//! The resolver against a loopback HTTP server started by each test: download, verification,
//! cache hit, tampered files rejected, the local directory preferred, and the one-line error
//! when an input is nowhere.

use super::manifest::parse;
use super::verify::{sha256_hex, tree_hash};
use super::*;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Serves `files` (path → body) over HTTP/1.1 on a free loopback port and counts requests.
struct Server {
    base: String,
    hits: Arc<AtomicUsize>,
    files: Arc<Mutex<HashMap<String, Vec<u8>>>>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let hits = Arc::new(AtomicUsize::new(0));
        let files: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
        let (h, f) = (hits.clone(), files.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut line = String::new();
                let _ = reader.read_line(&mut line);
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                h.fetch_add(1, Ordering::SeqCst);
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let body = f.lock().expect("files").get(&path).cloned();
                let (status, body) = match body {
                    Some(b) => ("200 OK", b),
                    None => ("404 Not Found", b"not found".to_vec()),
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(&body);
            }
        });
        Server { base, hits, files }
    }

    fn serve(&self, path: &str, body: &[u8]) {
        self.files
            .lock()
            .expect("files")
            .insert(path.to_owned(), body.to_vec());
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

fn temp(label: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("conduit-inputs-{label}-"))
        .tempdir()
        .expect("temp dir")
}

const CONTRACT: &[u8] = b"openapi: 3.1.0\ninfo: {title: contract}\n";

fn file_manifest(base: &str, sha256: &str) -> String {
    format!(
        r#"
[[input]]
name = "contract"
kind = "file"
about = "a contract"
version = "1"
source = "test"
url = "{base}/contract.yml"
sha256 = "{sha256}"
licence = "MIT"
local = "spec/contract.yml"
"#
    )
}

fn resolver(manifest: &str, offline: Option<&Path>, cache: &Path) -> Resolver {
    Resolver::new(
        parse(manifest).expect("manifest parses"),
        offline.map(|p| OfflineDir {
            path: p.to_path_buf(),
            named_by: OFFLINE_VAR.to_owned(),
        }),
        cache.to_path_buf(),
    )
}

#[test]
fn a_file_is_downloaded_verified_and_then_taken_from_the_cache() {
    let server = Server::start();
    server.serve("/contract.yml", CONTRACT);
    let cache = temp("cache");
    let r = resolver(
        &file_manifest(&server.base, &sha256_hex(CONTRACT)),
        None,
        cache.path(),
    );
    let first = r.resolve("contract").expect("downloaded");
    assert_eq!(std::fs::read(&first).expect("read"), CONTRACT);
    assert_eq!(server.hits(), 1);
    let second = r.resolve("contract").expect("cached");
    assert_eq!(first, second);
    assert_eq!(server.hits(), 1, "a cache hit makes no request");
}

#[test]
fn a_download_with_the_wrong_hash_is_rejected_and_not_cached() {
    let server = Server::start();
    server.serve("/contract.yml", b"tampered");
    let cache = temp("cache");
    let r = resolver(
        &file_manifest(&server.base, &sha256_hex(CONTRACT)),
        None,
        cache.path(),
    );
    let err = format!("{:#}", r.resolve("contract").expect_err("must fail"));
    assert!(err.contains("SHA-256 mismatch"), "{err}");
    assert!(
        std::fs::read_dir(cache.path())
            .expect("cache")
            .next()
            .is_none(),
        "nothing may stay in the cache"
    );
}

#[test]
fn a_tampered_cache_entry_is_rejected() {
    let server = Server::start();
    server.serve("/contract.yml", CONTRACT);
    let cache = temp("cache");
    let r = resolver(
        &file_manifest(&server.base, &sha256_hex(CONTRACT)),
        None,
        cache.path(),
    );
    let path = r.resolve("contract").expect("downloaded");
    std::fs::write(&path, b"openapi: 3.1.0\ninfo: {title: evil}\n").expect("tamper");
    let err = format!("{:#}", r.resolve("contract").expect_err("must fail"));
    assert!(
        err.contains("cached copy") && err.contains("SHA-256 mismatch"),
        "{err}"
    );
}

#[test]
fn the_local_directory_is_preferred_and_verified() {
    let server = Server::start();
    server.serve("/contract.yml", CONTRACT);
    let (offline, cache) = (temp("offline"), temp("cache"));
    std::fs::create_dir_all(offline.path().join("spec")).expect("mkdir");
    let local = offline.path().join("spec/contract.yml");
    std::fs::write(&local, CONTRACT).expect("write");
    let manifest = file_manifest(&server.base, &sha256_hex(CONTRACT));
    let r = resolver(&manifest, Some(offline.path()), cache.path());
    assert_eq!(r.resolve("contract").expect("local"), local);
    assert_eq!(server.hits(), 0, "the local copy wins over the network");

    // A local copy with the wrong hash is an error, not a reason to download.
    std::fs::write(&local, b"edited").expect("write");
    let err = format!("{:#}", r.resolve("contract").expect_err("must fail"));
    assert!(
        err.contains("local copy") && err.contains("SHA-256 mismatch"),
        "{err}"
    );
    assert_eq!(server.hits(), 0);
}

#[test]
fn an_input_that_is_nowhere_is_one_error_naming_it_its_url_and_the_variable() {
    // A port that was free a moment ago: nothing answers there.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let cache = temp("cache");
    let nowhere = cache.path().join("no-such-dir");
    let r = resolver(
        &file_manifest(&base, &sha256_hex(CONTRACT)),
        Some(&nowhere),
        cache.path(),
    );
    let err = format!("{:#}", r.resolve("contract").expect_err("must fail"));
    assert!(!err.contains('\n'), "one line: {err}");
    for part in [
        "input contract",
        &format!("{base}/contract.yml"),
        OFFLINE_VAR,
    ] {
        assert!(err.contains(part), "`{part}` missing from: {err}");
    }
}

fn tar_gz(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (path, body) in entries {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, path, *body).expect("append");
    }
    b.into_inner().expect("tar").finish().expect("gzip")
}

fn archive_manifest(base: &str, sha256: Option<&str>, tree: &str) -> String {
    let sha = sha256.map_or(String::new(), |s| format!("sha256 = \"{s}\"\n"));
    format!(
        r#"
[[input]]
name = "db"
kind = "archive"
about = "a database"
version = "1"
source = "test"
url = "{base}/db.tar.gz"
{sha}tree = "{tree}"
exclude = ["SNAPSHOT"]
licence = "CC0-1.0"
local = "db"
"#
    )
}

#[test]
fn an_archive_is_unpacked_checked_by_its_tree_and_cached() {
    let files: &[(&str, &[u8])] = &[
        ("db-abc/crates/a/RUSTSEC-1.md", b"one"),
        ("db-abc/README.md", b"readme"),
    ];
    // The tree of the same files in a local directory (plus an excluded SNAPSHOT).
    let offline = temp("offline");
    for (p, body) in files {
        let p = offline.path().join(p.replacen("db-abc", "db", 1));
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }
    std::fs::write(offline.path().join("db/SNAPSHOT"), "abc").expect("write");
    let (tree, count) = tree_hash(&offline.path().join("db"), &["SNAPSHOT".into()]).expect("tree");
    assert_eq!(count, 2);

    let server = Server::start();
    server.serve("/db.tar.gz", &tar_gz(files));
    let cache = temp("cache");
    let r = resolver(
        &archive_manifest(&server.base, None, &tree),
        None,
        cache.path(),
    );
    let dir = r.resolve("db").expect("downloaded");
    assert_eq!(
        std::fs::read(dir.join("crates/a/RUSTSEC-1.md")).expect("read"),
        b"one"
    );
    r.resolve("db").expect("cached");
    assert_eq!(server.hits(), 1);

    // The cache is checked again on every use.
    std::fs::write(dir.join("README.md"), "changed").expect("tamper");
    let err = format!("{:#}", r.resolve("db").expect_err("must fail"));
    assert!(err.contains("SHA-256 mismatch"), "{err}");

    // The local copy is preferred, checked by the same tree (SNAPSHOT left out).
    let r = resolver(
        &archive_manifest(&server.base, None, &tree),
        Some(offline.path()),
        cache.path(),
    );
    assert_eq!(r.resolve("db").expect("local"), offline.path().join("db"));
    std::fs::write(offline.path().join("db/crates/a/RUSTSEC-2.md"), "new").expect("write");
    assert!(r.resolve("db").is_err(), "an extra file changes the tree");
}

#[test]
fn an_archive_with_the_wrong_digest_is_not_unpacked() {
    let server = Server::start();
    server.serve("/db.tar.gz", &tar_gz(&[("db-abc/evil", b"x")]));
    let cache = temp("cache");
    let pinned = sha256_hex(b"the real archive");
    let r = resolver(
        &archive_manifest(&server.base, Some(&pinned), &pinned),
        None,
        cache.path(),
    );
    let err = format!("{:#}", r.resolve("db").expect_err("must fail"));
    assert!(err.contains("SHA-256 mismatch"), "{err}");
    assert!(std::fs::read_dir(cache.path())
        .expect("cache")
        .next()
        .is_none());
}

#[test]
fn a_file_set_holds_exactly_the_pinned_files() {
    let server = Server::start();
    server.serve("/schemas/g/a_v1.json", b"{}");
    let manifest = format!(
        r#"
[[input]]
name = "schemas"
kind = "files"
about = "schemas"
version = "1"
source = "test"
base_url = "{}/schemas/"
licence = "MIT"
local = "schemas"
files = {{ "g/a_v1.json" = "{}" }}
"#,
        server.base,
        sha256_hex(b"{}")
    );
    let offline = temp("offline");
    std::fs::create_dir_all(offline.path().join("schemas/g")).expect("mkdir");
    std::fs::write(offline.path().join("schemas/g/a_v1.json"), "{}").expect("write");
    std::fs::write(offline.path().join("schemas/g/b_v1.json"), "{}").expect("write");
    let cache = temp("cache");
    let dir = resolver(&manifest, Some(offline.path()), cache.path())
        .resolve("schemas")
        .expect("local");
    assert!(dir.join("g/a_v1.json").is_file());
    assert!(!dir.join("g/b_v1.json").exists(), "unpinned files stay out");
    assert_eq!(server.hits(), 0);

    let cache = temp("cache2");
    let dir = resolver(&manifest, None, cache.path())
        .resolve("schemas")
        .expect("downloaded");
    assert!(dir.join("g/a_v1.json").is_file());
    assert_eq!(server.hits(), 1);
}

#[test]
fn locate_maps_a_shared_path_to_its_input() {
    let offline = temp("offline");
    std::fs::create_dir_all(offline.path().join("spec")).expect("mkdir");
    std::fs::write(offline.path().join("spec/contract.yml"), CONTRACT).expect("write");
    let cache = temp("cache");
    let r = resolver(
        &file_manifest("http://127.0.0.1:9", &sha256_hex(CONTRACT)),
        Some(offline.path()),
        cache.path(),
    );
    assert_eq!(
        r.locate("spec/contract.yml").expect("located"),
        offline.path().join("spec/contract.yml")
    );
    let err = format!("{:#}", r.locate("spec/other.yml").expect_err("undeclared"));
    assert!(err.contains("no input"), "{err}");
}

#[test]
fn the_manifest_declares_every_input_with_its_pins() {
    let text = std::fs::read_to_string(crate::util::root().join("xtask/inputs.toml"))
        .expect("xtask/inputs.toml");
    let inputs = parse(&text).expect("parses");
    for name in [
        "realworld-openapi",
        "crd-schemas",
        "advisory-db",
        "nix-pins",
        "alb-controller-iam-policy",
        "rds-ca-bundle",
        "helm-chart-kube-prometheus-stack",
        "terraform-provider-mirror",
    ] {
        assert!(inputs.iter().any(|i| i.name == name), "{name} missing");
    }
    for i in &inputs {
        assert!(i.url().starts_with("https://"), "{}: https only", i.name);
        // A chart package is not the same file set as the unpacked local copy, so a download
        // can only be checked by the package digest: a chart without one is local-only.
        if let (
            true,
            Kind::Archive {
                sha256, local_only, ..
            },
        ) = (i.name.starts_with("helm-chart-"), &i.kind)
        {
            assert!(
                sha256.is_some() != *local_only,
                "{}: pin the package digest (`sha256`) or mark it `local_only`",
                i.name
            );
        }
    }
    // A typo in a key is an error, not an ignored pin.
    let bad = file_manifest("https://x", &sha256_hex(b"x")).replace("sha256 =", "sha265 =");
    assert!(parse(&bad).is_err());
}

fn chart_manifest(base: &str, sha256: &str) -> String {
    format!(
        r#"
[[input]]
name = "helm-chart-app"
kind = "archive"
about = "a chart"
version = "1.0.0"
source = "test"
url = "{base}/app-1.0.0.tgz"
sha256 = "{sha256}"
tree = "{sha256}"
licence = "Apache-2.0"
local = "helm-charts/app-1.0.0"
"#
    )
}

#[test]
fn a_chart_package_has_its_packed_dependencies_unpacked_at_every_depth() {
    // app depends on sub, which depends on leaf; helm dependency build leaves them packed.
    let leaf = tar_gz(&[
        ("leaf/Chart.yaml", b"name: leaf\n"),
        ("leaf/values.yaml", b"a: 1\n"),
    ]);
    let sub = tar_gz(&[
        ("sub/Chart.yaml", b"name: sub\n"),
        ("sub/charts/leaf-0.1.0.tgz", &leaf),
    ]);
    let app = tar_gz(&[
        ("app/Chart.yaml", b"name: app\n"),
        ("app/charts/sub-2.0.0.tgz", &sub),
        ("app/charts/local/Chart.yaml", b"name: local\n"),
    ]);
    let server = Server::start();
    server.serve("/app-1.0.0.tgz", &app);
    let cache = temp("cache");
    let r = resolver(
        &chart_manifest(&server.base, &sha256_hex(&app)),
        None,
        cache.path(),
    );
    let dir = r.resolve("helm-chart-app").expect("downloaded");
    assert!(dir.join("charts/local/Chart.yaml").is_file());
    assert!(dir.join("charts/sub/Chart.yaml").is_file());
    assert_eq!(
        std::fs::read(dir.join("charts/sub/charts/leaf/values.yaml")).expect("read"),
        b"a: 1\n"
    );
    assert!(!dir.join("charts/sub-2.0.0.tgz").exists());
    assert!(!dir.join("charts/sub/charts/leaf-0.1.0.tgz").exists());
    // The cache entry is the unpacked form, checked by the tree recorded for it.
    r.resolve("helm-chart-app").expect("cached");
    assert_eq!(server.hits(), 1);
}

#[test]
fn a_chart_package_with_a_broken_dependency_is_not_cached() {
    let app = tar_gz(&[
        ("app/Chart.yaml", b"name: app\n"),
        ("app/charts/sub-2.0.0.tgz", b"not a gzip stream"),
    ]);
    let server = Server::start();
    server.serve("/app-1.0.0.tgz", &app);
    let cache = temp("cache");
    let r = resolver(
        &chart_manifest(&server.base, &sha256_hex(&app)),
        None,
        cache.path(),
    );
    let err = format!("{:#}", r.resolve("helm-chart-app").expect_err("must fail"));
    assert!(err.contains("sub-2.0.0.tgz"), "{err}");
    assert!(std::fs::read_dir(cache.path())
        .expect("cache")
        .next()
        .is_none());
}

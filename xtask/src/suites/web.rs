//! The frontend: builds it (engine + size-optimised client), then drives it in Debian's
//! Chromium through playwright-core (`web/tests/e2e.mjs`) against the real stack:
//! PostgreSQL, Redis, the API and the web server on free loopback ports. Afterwards it checks
//! what the run left behind: the web server's metrics, trace ids continued from web to API,
//! and no password in either server's log.

use crate::stack::{http_get, Options, Stack};
use crate::util::{cargo, cmd, exec, root, target_dir, which};
use anyhow::{ensure, Context, Result};
use std::path::PathBuf;

pub fn run() -> Result<()> {
    crate::web::lint_and_unit_test()?;
    let out = target_dir().join("web-test");
    crate::web::build(crate::web::Engine::Debug, &out.join("app"))?;
    exec(&mut cargo("build --locked --bin conduit-api"))?;
    let logs = out.join("logs");
    let stack = Stack::start(Options {
        web_dir: out.join("app"),
        api_bin: target_dir().join("debug/conduit-api"),
        log_dir: Some(&logs),
        ..Default::default()
    })?;
    let chromium = chromium()?;
    let shots = out.join("screenshots");
    exec(
        cmd("node")
            .arg(root().join("web/tests/e2e.mjs"))
            .env("BASE_URL", &stack.web_url)
            .env("CHROMIUM", &chromium)
            .env("SCREENSHOT_DIR", &shots),
    )
    .with_context(|| format!("browser tests failed; server logs in {}", logs.display()))?;

    no_http2(&stack.web_url)?;
    // The /api forward reaches only the API's /api/…: dot segments that a URL parser would
    // resolve to the API's other endpoints (here /healthz, which would answer 200) are refused.
    let web = &stack.web_url;
    for (path, want) in [
        ("/api/../healthz", 404),
        ("/api/%2e%2e/healthz", 404),
        ("/api/%2E%2E/healthz", 404),
        ("/api/tags", 200),
    ] {
        let (status, _) = http_get(&format!("{web}{path}"))?;
        ensure!(
            status == want,
            "GET {path} through the web server: {status}, not {want}"
        );
    }
    let (status, metrics) = http_get(&format!("{}/metrics", stack.web_admin))?;
    ensure!(status == 200, "web /metrics answered {status}");
    for series in [
        "http_server_request_duration_seconds_bucket{",
        "http_server_active_requests{",
        "conduit_web_render_duration_seconds_bucket{",
        "conduit_web_api_call_duration_seconds_bucket{",
        "conduit_web_build_info{",
        "process_resident_memory_bytes",
        "http_route=\"/article/{slug}\"",
        "template=\"article\"",
        "operation=\"get_article\"",
    ] {
        ensure!(metrics.contains(series), "the web /metrics has no {series}");
    }
    if which("promtool").is_some() {
        let file = out.join("web-metrics.txt");
        std::fs::write(&file, &metrics)?;
        let scrape = std::fs::File::open(&file)?;
        exec(cmd("promtool").args(["check", "metrics"]).stdin(scrape))?;
    }
    drop(stack);

    let web_log = std::fs::read_to_string(logs.join("web.log"))?;
    let api_log = std::fs::read_to_string(logs.join("api.log"))?;
    // The browser tests' password and e-mail domain.
    for secret in ["e2e-Correct-Horse-Battery-Staple", "@example.test"] {
        let logged = web_log.contains(secret) || api_log.contains(secret);
        ensure!(!logged, "a server logged {secret}");
    }
    // Every page request's trace continues into the API: some trace id of a rendered page
    // must appear in the API's log.
    let continued = web_log
        .lines()
        .filter(|l| l.contains("\"route\":\"/article/{slug}\""))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["trace_id"].as_str().map(str::to_string))
        .any(|id| api_log.contains(&id));
    ensure!(
        continued,
        "no trace id of a rendered article page reached the API's log"
    );
    eprintln!("web: metrics present, trace context continued web → API, no secrets in logs");
    eprintln!("web: screenshots in {}", shots.display());
    Ok(())
}

/// Debian's Chromium (`CHROMIUM` overrides); never a browser download.
fn chromium() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("CHROMIUM") {
        return Ok(PathBuf::from(p));
    }
    ["chromium", "chromium-browser"]
        .iter()
        .find_map(|n| which(n))
        .context("Chromium not found: install Debian's `chromium` package (.ci/apt-packages.txt)")
}

/// The web server must not speak HTTP/2 (see the RUSTSEC-2026-0258 exception in deny.toml):
/// an h2c prior-knowledge preface plus SETTINGS gets an HTTP/1 error or a closed connection,
/// never an HTTP/2 frame.
fn no_http2(web_url: &str) -> Result<()> {
    use std::io::{Read, Write};
    let host = web_url.trim_start_matches("http://");
    let mut s = std::net::TcpStream::connect(host)?;
    s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")?;
    let mut answer = Vec::new();
    let _ = s.read_to_end(&mut answer);
    let first = String::from_utf8_lossy(&answer[..answer.len().min(40)]);
    let http1 = answer.is_empty() || answer.starts_with(b"HTTP/1.");
    ensure!(
        http1,
        "the web server answered an HTTP/2 preface with {first:?}"
    );
    eprintln!("web: HTTP/2 prior knowledge refused ({first:?})");
    Ok(())
}

//! The `/metrics` scrape after real traffic: names, labels, route templates, and every metric
//! the alert rules and dashboards use.

use super::drive_traffic;
use crate::helpers::*;
use reqwest::StatusCode;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

async fn scrape(app: &TestApp) -> String {
    let res = app
        .http
        .get(format!("{}/metrics", app.admin_address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    res.text().await.unwrap()
}

/// The value of the first sample whose line starts with `prefix` (name and labels).
fn sample(scrape: &str, prefix: &str) -> f64 {
    scrape
        .lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no sample {prefix} in:\n{scrape}"))
}

fn monitoring_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("kustomize/apps/conduit/base/monitoring")
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path.file_name().is_some_and(|n| n == "conduit-web.json") {
            // The web server's dashboard: its metrics are not the API's (the observability
            // suite checks them against the web server's catalogue).
            continue;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml" | "json")
        ) {
            out.push(path);
        }
    }
}

/// Metric names of this service that a text uses: identifiers with the service's prefixes,
/// not recording-rule names (which contain a colon).
fn metric_names(text: &str) -> BTreeSet<String> {
    const PREFIXES: [&str; 4] = ["http_server_", "db_client_", "conduit_", "process_"];
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|t| !t.contains(':') && PREFIXES.iter().any(|p| t.starts_with(p)))
        .map(str::to_string)
        .collect()
}

/// `promtool check metrics` on the scrape when promtool is installed (required when
/// `CONDUIT_REQUIRE_PROMTOOL=1`, as the observability suite sets it).
fn promtool_check_metrics(scrape: &str) {
    let required = std::env::var("CONDUIT_REQUIRE_PROMTOOL").is_ok_and(|v| v == "1");
    let mut child = match std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) if !required => {
            eprintln!("promtool not available ({e}): skipping `promtool check metrics`");
            return;
        }
        Err(e) => panic!("promtool is required: {e}"),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(scrape.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn the_scrape_has_the_http_db_business_and_process_metrics() {
    let app = spawn_app().await;
    let before = scrape(&app).await;
    for zero in [
        "conduit_users_registered_total",
        "conduit_logins_failed_total",
        "conduit_ratelimit_rejections_total",
        "conduit_redis_fallback_active",
        "conduit_redis_command_duration_seconds_bucket",
        "conduit_cache_requests_total",
        "conduit_db_errors_total",
        "db_client_connections_max",
        "conduit_build_info",
        "process_start_time_seconds",
    ] {
        assert!(
            before.contains(zero),
            "{zero} is missing before any traffic"
        );
    }
    let registered_before = sample(&before, "conduit_users_registered_total");
    let failed_before = sample(&before, "conduit_logins_failed_total");
    drive_traffic(&app).await;
    let text = scrape(&app).await;

    // Route templates, never raw paths; method and status code as labels.
    let slug_bucket = text
        .lines()
        .find(|l| {
            l.starts_with("http_server_request_duration_seconds_bucket{")
                && l.contains(r#"http_route="/api/articles/{slug}""#)
                && l.contains(r#"http_request_method="GET""#)
                && l.contains(r#"http_response_status_code="200""#)
                && l.contains(r#"le="+Inf""#)
        })
        .unwrap_or_else(|| panic!("no GET /api/articles/{{slug}} 200 histogram in:\n{text}"));
    assert!(
        slug_bucket
            .rsplit(' ')
            .next()
            .unwrap()
            .parse::<f64>()
            .unwrap()
            >= 3.0,
        "{slug_bucket}"
    );
    assert!(!text.contains("watching-the-watchers"), "a raw path leaked");
    assert!(!text.contains("route-obs-raw-path"), "a raw path leaked");
    assert!(text.contains(r#"http_route="unmatched""#));
    assert!(text.contains(r#"http_route="/api/users/login""#));
    // The semantic conventions' buckets, 5 ms to 10 s.
    for le in ["0.005", "10"] {
        assert!(
            text.contains(&format!(r#"le="{le}"}}"#)),
            "bucket {le} missing"
        );
    }
    assert!(text.contains("http_server_active_requests{"));

    // Business counters moved (other tests in this process may add more).
    assert!(sample(&text, "conduit_users_registered_total") >= registered_before + 2.0);
    assert!(sample(&text, "conduit_logins_failed_total") >= failed_before + 1.0);
    assert!(sample(&text, "conduit_articles_published_total") >= 1.0);
    assert!(sample(&text, "conduit_comments_posted_total") >= 1.0);

    // The pool of this app (size 8) is part of the process total.
    assert!(sample(&text, "db_client_connections_max{") >= 8.0);
    assert!(text.contains(r#"db_client_connections_state="idle""#));
    assert!(text.contains("db_client_connections_pending_requests{"));

    // Build and process.
    assert!(text.contains(r#"conduit_build_info{revision="#));
    assert!(text.contains(&format!(r#"version="{}""#, env!("CARGO_PKG_VERSION"))));
    assert!(sample(&text, "process_resident_memory_bytes") > 1e6);
    assert!(sample(&text, "process_open_fds") > 3.0);
    // The prometheus crate's process collector counts whole seconds of CPU.
    assert!(sample(&text, "process_cpu_seconds_total") >= 0.0);
    let started = sample(&text, "process_start_time_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(started <= now && started > now - 86_400.0, "{started}");

    // Every metric the alert rules, their tests and the dashboards use exists.
    let mut files = Vec::new();
    files_under(&monitoring_dir(), &mut files);
    let mut used = BTreeSet::new();
    for f in &files {
        used.extend(metric_names(&std::fs::read_to_string(f).unwrap()));
    }
    for must in [
        "http_server_request_duration_seconds_bucket",
        "http_server_request_duration_seconds_count",
        "db_client_connections_usage",
        "conduit_redis_fallback_active",
        "conduit_logins_failed_total",
    ] {
        assert!(
            used.contains(must),
            "the monitoring artefacts do not use {must}: {used:?}"
        );
    }
    let scraped = metric_names(&text);
    let missing: Vec<_> = used.difference(&scraped).collect();
    assert!(
        missing.is_empty(),
        "used by rules/dashboards but not in the scrape: {missing:?}"
    );

    if let Ok(path) = std::env::var("CONDUIT_SCRAPE_OUT") {
        std::fs::write(&path, &text).unwrap();
    }
    promtool_check_metrics(&text);
}

#[test]
fn metric_names_skip_recording_rules_and_labels() {
    let names = metric_names(
        r#"sum(rate(http_server_request_duration_seconds_count{http_route="/x"}[5m])) / conduit:http_requests:rate5m and conduit_build_info"#,
    );
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        [
            "conduit_build_info",
            "http_server_request_duration_seconds_count"
        ]
    );
}

//! Observability, by concern: the `/metrics` scrape after real traffic ([`metrics`]), the JSON
//! request logs ([`logs`]) and the OTLP trace export ([`traces`]). This module holds what they
//! share: the process-wide log capture and traffic through every kind of route.

mod logs;
mod metrics;
mod traces;

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// Everything logged by this test process from the first call on (the subscriber is global,
/// so tests running at the same time are captured too). `helpers::spawn_app_on` may call it so
/// that every test's logs are captured. With `CONDUIT_TEST_LOG_FILE` set, the lines are also
/// appended to that file, which the observability suite scans after the whole API test run.
pub fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let file = std::env::var_os("CONDUIT_TEST_LOG_FILE").map(|path| {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .unwrap_or_else(|e| panic!("CONDUIT_TEST_LOG_FILE {path:?}: {e}"));
            Arc::new(Mutex::new(f))
        });
        let (sink, file_sink) = (buf.clone(), file.clone());
        let subscriber = conduit_api::telemetry::subscriber(
            tracing_subscriber::EnvFilter::new("info"),
            move || Sink(sink.clone(), file_sink.clone()),
        );
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the test process");
        buf
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>, Option<Arc<Mutex<std::fs::File>>>);

impl Write for Sink {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        if let Some(f) = &self.1 {
            f.lock().unwrap().write_all(data)?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(super) fn log_lines(buf: &Arc<Mutex<Vec<u8>>>) -> Vec<Value> {
    let text = String::from_utf8(buf.lock().unwrap().clone()).expect("logs are UTF-8");
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// Traffic through every kind of route: sign-up, login (good and bad), articles, comments,
/// profiles, errors. Returns the secrets that must never reach the logs.
pub(super) async fn drive_traffic(app: &TestApp) -> Vec<String> {
    let mut secrets = Vec::new();
    let jake = app.register("obsjake").await;
    let jane = app.register("obsjane").await;
    secrets.extend([
        jake.clone(),
        jane.clone(),
        "password-obsjake".into(),
        "password-obsjane".into(),
        "obsjake@example.com".into(),
        "obsjane@example.com".into(),
    ]);
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "obsjake@example.com", "password": "password-obsjake"}}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    secrets.push(login.body["user"]["token"].as_str().unwrap().to_string());
    let failed = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "obsjake@example.com", "password": "wrong-horse-battery"}}),
        )
        .await;
    assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    secrets.push("wrong-horse-battery".into());
    // A duplicate sign-up (a unique violation in PostgreSQL) must not log the address.
    let dup = app
        .post(
            "/api/users",
            None,
            json!({"user": {"username": "obsother", "email": "obsjake@example.com", "password": "password-dup1"}}),
        )
        .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    secrets.push("password-dup1".into());
    // Malformed bodies carrying a password.
    let bad = app
        .http
        .post(format!("{}/api/users/login", app.address))
        .header("content-type", "application/json")
        .body(r#"{"user": {"email": "obsmal@example.com", "password": "password-malformed""#)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    secrets.extend(["obsmal@example.com".into(), "password-malformed".into()]);
    let slug = app.article(&jake, "Watching the watchers", &["ops"]).await;
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/api/articles/{slug}"), Some(&jane))
                .await
                .status,
            StatusCode::OK
        );
    }
    let comment = app
        .post(
            &format!("/api/articles/{slug}/comments"),
            Some(&jane),
            json!({"comment": {"body": "Who watches them?"}}),
        )
        .await;
    assert_eq!(comment.status, StatusCode::OK, "{}", comment.body);
    assert_eq!(
        app.post("/api/profiles/obsjake/follow", Some(&jane), json!({}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.get("/api/articles", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/api/tags", None).await.status, StatusCode::OK);
    assert_eq!(
        app.get("/api/user", Some("not-a-valid-token")).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/no/such/route-obs-raw-path", None).await.status,
        StatusCode::NOT_FOUND
    );
    let updated = app
        .put(
            "/api/user",
            Some(&jake),
            json!({"user": {"email": "obsjake-new@example.com", "password": "password-new-obsjake"}}),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    // A password change revokes the sessions: last, with the new token kept as a secret too.
    if let Some(t) = updated.body["user"]["token"].as_str() {
        secrets.push(t.to_string());
    }
    secrets.extend([
        "obsjake-new@example.com".into(),
        "password-new-obsjake".into(),
    ]);
    secrets
}

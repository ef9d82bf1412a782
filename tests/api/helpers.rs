//! Spawns the real API on a free port against a fresh database, and speaks HTTP to it.

use conduit_api::config::Settings;
use conduit_api::startup::Application;
use conduit_testkit::{shared_postgres, TestDatabase};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::HashMap;

pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256!";

pub struct TestApp {
    pub address: String,
    pub admin_address: String,
    pub http: reqwest::Client,
    /// OTLP trace export when the overrides configure it, as `main` starts it (flushed on drop).
    pub traces: Option<conduit_api::telemetry::Traces>,
    /// Kept so the database lives as long as the app (dropped with it).
    pub _db: TestDatabase,
}

/// A response: status, headers and the JSON body (`Value::Null` when the body is not JSON).
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

/// The template is named after the migrations, so changed migrations build a new one.
fn template_name() -> String {
    use std::hash::{Hash, Hasher};
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for f in files {
        std::fs::read(&f).expect("migration").hash(&mut h);
    }
    format!("conduit_template_{:x}", h.finish())
}

pub async fn fresh_database() -> TestDatabase {
    shared_postgres()
        .expect("PostgreSQL for tests")
        .fresh_database(&template_name(), |url| async move {
            let settings = settings_for(&url, &[]);
            conduit_api::db::migrate(&conduit_api::db::pool(&settings.database)?).await
        })
        .await
        .expect("a fresh database")
}

pub fn settings_for(database_url: &str, overrides: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", database_url),
        ("CONDUIT_LISTEN", "127.0.0.1:0"),
        ("CONDUIT_ADMIN_LISTEN", "127.0.0.1:0"),
        ("CONDUIT_JWT_SECRET", JWT_SECRET),
        ("CONDUIT_WORKERS", "2"),
        ("CONDUIT_DB_POOL_SIZE", "8"),
        ("CONDUIT_MIGRATE_ON_START", "false"),
        ("CONDUIT_SHUTDOWN_TIMEOUT_SECS", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in overrides {
        vars.insert(k.to_string(), v.to_string());
    }
    Settings::from_lookup(|k| vars.get(k).cloned()).expect("valid test settings")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

pub async fn spawn_app_with(overrides: &[(&str, &str)]) -> TestApp {
    let db = fresh_database().await;
    spawn_app_on(db, overrides).await
}

pub async fn spawn_app_on(db: TestDatabase, overrides: &[(&str, &str)]) -> TestApp {
    // Every test's logs go to the capture that the log-hygiene test scans.
    crate::observability::captured_logs();
    let settings = settings_for(&db.url, overrides);
    let traces = conduit_api::telemetry::start_traces(settings.traces.as_ref())
        .expect("trace export starts");
    let app = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let admin_address = format!("http://127.0.0.1:{}", app.admin_port());
    tokio::spawn(app.run_until_stopped());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // A hung request is a failure, not a hung test run.
        .timeout(std::time::Duration::from_secs(15))
        .build()
        .expect("client");
    TestApp {
        address,
        admin_address,
        http,
        traces,
        _db: db,
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Res {
        self.request_with(method, path, token, body, &[]).await
    }

    /// [`TestApp::request`] with extra request headers (cookies, origins, request ids…).
    pub async fn request_with(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Res {
        let mut req = self
            .http
            .request(method, format!("{}{}", self.address, path));
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(t) = token {
            req = req.header("Authorization", format!("Token {t}"));
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Res {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.request(Method::POST, path, token, Some(body)).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.request(Method::PUT, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Res {
        self.request(Method::DELETE, path, token, None).await
    }

    /// Registers `name` (email `name@example.com`, password `password-<name>`) and returns its token.
    pub async fn register(&self, name: &str) -> String {
        let res = self
            .post(
                "/api/users",
                None,
                json!({"user": {"username": name, "email": format!("{name}@example.com"), "password": format!("password-{name}")}}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        res.body["user"]["token"]
            .as_str()
            .expect("token")
            .to_string()
    }

    /// Creates an article and returns its slug.
    pub async fn article(&self, token: &str, title: &str, tags: &[&str]) -> String {
        let res = self
            .post(
                "/api/articles",
                Some(token),
                json!({"article": {"title": title, "description": "about it", "body": "the body", "tagList": tags}}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        res.body["article"]["slug"]
            .as_str()
            .expect("slug")
            .to_string()
    }
}

/// The field names of a spec error body, e.g. `["email", "username"]`.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_object()
        .unwrap_or_else(|| panic!("not an error body: {body}"))
        .keys()
        .cloned()
        .collect()
}

pub fn is_timestamp(v: &Value) -> bool {
    let s = v.as_str().unwrap_or_default();
    // 2026-01-02T03:04:05.678Z
    s.len() == 24
        && s.as_bytes()[10] == b'T'
        && s.ends_with('Z')
        && s.as_bytes()[19] == b'.'
        && time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
}

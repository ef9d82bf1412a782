//! Spawns the real API on a free port against a fresh database, and speaks HTTP to it.
//!
//! Every JSON response that passes through [`TestApp::request_with`] is decoded into the
//! `conduit-types` DTO that the web client decodes it into (see [`contract_dto`]), and must
//! round-trip through it unchanged: a field the API adds, renames, drops or retypes without
//! changing the shared types fails the test that made the request.

use conduit_api::config::Settings;
use conduit_api::startup::Application;
use conduit_testkit::{shared_postgres, TestDatabase};
use conduit_types::{
    ArticleResponse, CommentResponse, ErrorResponse, MultipleArticlesResponse,
    MultipleCommentsResponse, ProfileResponse, TagsResponse, UserResponse,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
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

impl Res {
    /// The body as the DTO `T` of `conduit-types`, checked to round-trip unchanged.
    pub fn dto<T: DeserializeOwned + Serialize>(&self) -> T {
        decode_exactly(&self.body).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// `body` decoded into `T`, when `T` serialises back to exactly `body`: otherwise the API and
/// the client disagree about the shape (a missing, extra, renamed or retyped field).
pub fn decode_exactly<T: DeserializeOwned + Serialize>(body: &Value) -> Result<T, String> {
    let name = std::any::type_name::<T>();
    let typed: T = serde_json::from_value(body.clone())
        .map_err(|e| format!("drift: the body does not decode into {name}: {e}\n{body}"))?;
    let back = serde_json::to_value(&typed).map_err(|e| format!("{name}: {e}"))?;
    if &back != body {
        return Err(format!(
            "drift: the body does not round-trip through {name}\n  sent:    {body}\n  decoded: {back}"
        ));
    }
    Ok(typed)
}

/// Checks that a body is the expected DTO.
pub type BodyCheck = fn(&Value) -> Result<(), String>;

/// The `conduit-types` DTO of a response of the API, by method, route and status, as a check
/// of the body; `None` for responses outside the RealWorld API (probes, docs) or without one.
pub fn contract_dto(method: &Method, path: &str, status: StatusCode) -> Option<BodyCheck> {
    fn check<T: DeserializeOwned + Serialize>(body: &Value) -> Result<(), String> {
        decode_exactly::<T>(body).map(|_| ())
    }
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if segments.first() != Some(&"api") || segments.get(1) == Some(&"docs") {
        return None;
    }
    if path == "/api/openapi.json" {
        return None;
    }
    if status.is_client_error() || status.is_server_error() {
        return Some(check::<ErrorResponse>);
    }
    if !status.is_success() {
        return None;
    }
    let m = method.as_str();
    Some(match (m, &segments[1..]) {
        ("POST", ["users"]) | ("POST", ["users", "login"]) => check::<UserResponse>,
        ("GET" | "PUT", ["user"]) => check::<UserResponse>,
        ("GET", ["profiles", _]) | ("POST" | "DELETE", ["profiles", _, "follow"]) => {
            check::<ProfileResponse>
        }
        ("GET", ["articles"]) | ("GET", ["articles", "feed"]) => check::<MultipleArticlesResponse>,
        ("POST", ["articles"]) | ("GET" | "PUT", ["articles", _]) => check::<ArticleResponse>,
        ("POST" | "DELETE", ["articles", _, "favorite"]) => check::<ArticleResponse>,
        ("GET", ["articles", _, "comments"]) => check::<MultipleCommentsResponse>,
        ("POST", ["articles", _, "comments"]) => check::<CommentResponse>,
        ("GET", ["tags"]) => check::<TagsResponse>,
        _ => return None,
    })
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
            .request(method.clone(), format!("{}{}", self.address, path));
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
        if let (Some(check), false) = (contract_dto(&method, path, status), body.is_null()) {
            if let Err(e) = check(&body) {
                panic!("{method} {path} → {status}: {e}");
            }
        }
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
        res.dto::<UserResponse>().user.token
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
        res.dto::<ArticleResponse>().article.slug
    }
}

/// The field names of a spec error body, e.g. `["email", "username"]`.
pub fn error_fields(body: &Value) -> Vec<String> {
    decode_exactly::<ErrorResponse>(body)
        .unwrap_or_else(|e| panic!("not an error body: {e}"))
        .errors
        .into_keys()
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

/// The typed helpers must reject a body that drifted from the shared types.
#[cfg(test)]
mod drift {
    use super::*;

    fn profile() -> Value {
        json!({"profile": {"username": "jake", "bio": null, "image": null, "following": false}})
    }

    #[test]
    fn a_body_that_matches_the_shared_types_decodes() {
        let p: ProfileResponse = decode_exactly(&profile()).unwrap();
        assert_eq!(p.profile.username, "jake");
    }

    #[test]
    fn extra_missing_renamed_and_retyped_fields_are_drift() {
        let mut extra = profile();
        extra["profile"]["email"] = json!("jake@example.com");
        let mut missing = profile();
        missing["profile"]
            .as_object_mut()
            .unwrap()
            .remove("following");
        let mut renamed = profile();
        renamed["profile"]
            .as_object_mut()
            .unwrap()
            .remove("following");
        renamed["profile"]["isFollowing"] = json!(false);
        let mut retyped = profile();
        retyped["profile"]["following"] = json!("no");
        for body in [extra, missing, renamed, retyped] {
            let e = decode_exactly::<ProfileResponse>(&body).unwrap_err();
            assert!(e.starts_with("drift"), "{e}");
        }
    }

    #[test]
    fn responses_are_matched_to_their_dto() {
        let get = Method::GET;
        assert!(contract_dto(&get, "/api/articles?limit=1", StatusCode::OK).is_some());
        assert!(contract_dto(&get, "/api/tags", StatusCode::OK).is_some());
        assert!(contract_dto(
            &Method::POST,
            "/api/users",
            StatusCode::UNPROCESSABLE_ENTITY
        )
        .is_some());
        assert!(contract_dto(&get, "/healthz", StatusCode::OK).is_none());
        let check = contract_dto(&get, "/api/profiles/jake", StatusCode::OK).unwrap();
        assert!(check(&profile()).is_ok());
        assert!(check(&json!({"user": {}})).is_err());
    }
}

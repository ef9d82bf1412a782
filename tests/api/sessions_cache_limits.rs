//! Sessions, cache and rate limits, in Redis and in-process, and what happens when Redis fails.

use crate::helpers::*;
use conduit_testkit::{shared_redis, Redis};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// An app on the shared Redis, with keys of its own so parallel tests never meet.
async fn spawn_with_redis(extra: &[(&str, &str)]) -> TestApp {
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    let url = shared_redis().expect("Redis for tests").to_string();
    let mut vars = vec![
        ("REDIS_URL", url.as_str()),
        ("CONDUIT_REDIS_KEY_PREFIX", prefix.as_str()),
    ];
    vars.extend_from_slice(extra);
    spawn_app_with(&vars).await
}

async fn login(app: &TestApp, name: &str) -> String {
    let res = app
        .post("/api/users/login", None, json!({"user": {"email": format!("{name}@example.com"), "password": format!("password-{name}")}}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.body["user"]["token"].as_str().unwrap().to_string()
}

async fn sessions_are_revocable(app: TestApp) {
    let first = app.register("jake").await;
    let second = login(&app, "jake").await;
    let third = login(&app, "jake").await;
    assert_ne!(first, second);

    // Logout ends exactly the current session.
    assert_eq!(
        app.post("/api/users/logout", Some(&first), json!({}))
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/user", Some(&first)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/user", Some(&second)).await.status,
        StatusCode::OK
    );

    // A new password ends every session; the request that changed it gets a new token.
    let changed = app
        .put(
            "/api/user",
            Some(&second),
            json!({"user": {"password": "another-password"}}),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let fresh = changed.body["user"]["token"].as_str().unwrap().to_string();
    assert_ne!(fresh, second);
    for stale in [&second, &third] {
        assert_eq!(
            app.get("/api/user", Some(stale)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        app.get("/api/user", Some(&fresh)).await.status,
        StatusCode::OK
    );

    // Revoke-all ends every session, on every device.
    let other = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "jake@example.com", "password": "another-password"}}),
        )
        .await
        .body["user"]["token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        app.delete("/api/user/sessions", Some(&fresh)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        app.get("/api/user", Some(&fresh)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/api/user", Some(&other)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/api/users/logout", None, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn sessions_are_revocable_in_redis() {
    sessions_are_revocable(spawn_with_redis(&[]).await).await;
}

#[tokio::test]
async fn sessions_are_revocable_in_process() {
    sessions_are_revocable(spawn_app().await).await;
}

#[tokio::test]
async fn redis_sessions_expire_with_the_token() {
    let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
    let url = shared_redis().unwrap().to_string();
    let app = spawn_app_with(&[
        ("REDIS_URL", &url),
        ("CONDUIT_REDIS_KEY_PREFIX", &prefix),
        ("CONDUIT_JWT_TTL_SECS", "120"),
    ])
    .await;
    app.register("jake").await;
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:v1:session:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    let ttl: i64 = redis::cmd("TTL")
        .arg(&keys[0])
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        (100..=120).contains(&ttl),
        "session TTL {ttl} must follow the token lifetime"
    );
}

fn cookie<'a>(res: &'a Res, name: &str) -> &'a str {
    res.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string()
}

#[tokio::test]
async fn browser_sessions_use_http_only_cookies_and_csrf_for_unsafe_requests() {
    let app = spawn_with_redis(&[]).await;
    let res = app
        .post("/api/users", None, json!({"user": {"username": "jake", "email": "jake@example.com", "password": "password-jake"}}))
        .await;
    let session = cookie(&res, "conduit_session");
    let csrf = cookie(&res, "conduit_csrf");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(session.contains(flag), "{session}");
    }
    assert!(!session.contains("Secure"), "not behind TLS: {session}");
    assert!(
        !csrf.contains("HttpOnly"),
        "pages must read the CSRF cookie: {csrf}"
    );
    let cookies = format!(
        "conduit_session={}; conduit_csrf={}",
        cookie_value(session),
        cookie_value(csrf)
    );
    let url = |p: &str| format!("{}{p}", app.address);

    let me = app
        .http
        .get(url("/api/user"))
        .header("Cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(
        me.status(),
        StatusCode::OK,
        "safe requests need no CSRF token"
    );
    let body = json!({"article": {"title": "By cookie", "description": "d", "body": "b"}});
    let no_csrf = app
        .http
        .post(url("/api/articles"))
        .header("Cookie", &cookies)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), StatusCode::FORBIDDEN);
    let wrong = app
        .http
        .post(url("/api/articles"))
        .header("Cookie", &cookies)
        .header("X-CSRF-Token", "0".repeat(64))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let ok = app
        .http
        .post(url("/api/articles"))
        .header("Cookie", &cookies)
        .header("X-CSRF-Token", cookie_value(csrf))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);
    // Header authentication keeps working exactly as the spec says, without CSRF tokens.
    let token = res.body["user"]["token"].as_str().unwrap();
    let by_header = app
        .post(
            "/api/articles",
            Some(token),
            json!({"article": {"title": "By header", "description": "d", "body": "b"}}),
        )
        .await;
    assert_eq!(by_header.status, StatusCode::CREATED);

    let out = app
        .http
        .post(url("/api/users/logout"))
        .header("Cookie", &cookies)
        .header("X-CSRF-Token", cookie_value(csrf))
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let cleared: Vec<String> = out
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cleared
            .iter()
            .any(|c| c.starts_with("conduit_session=;") && c.contains("Max-Age=0")),
        "{cleared:?}"
    );
    let after = app
        .http
        .get(url("/api/user"))
        .header("Cookie", &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);

    let tls = spawn_app_with(&[("CONDUIT_BEHIND_TLS", "true")]).await;
    let res = tls
        .post("/api/users", None, json!({"user": {"username": "jane", "email": "jane@example.com", "password": "password-jane"}}))
        .await;
    assert!(cookie(&res, "conduit_session").contains("Secure"));
}

async fn anonymous_reads_are_cached_and_writes_invalidate(app: TestApp) {
    let jake = app.register("jake").await;
    let jane = app.register("jane").await;
    let slug = app.article(&jake, "Cached", &["one"]).await;
    let path = format!("/api/articles/{slug}");
    assert_eq!(app.get(&path, None).await.headers["x-cache"], "miss");
    let hit = app.get(&path, None).await;
    assert_eq!(hit.headers["x-cache"], "hit");
    assert_eq!(hit.body["article"]["favoritesCount"], 0);
    assert_eq!(
        app.get("/api/tags", None).await.body["tags"],
        json!(["one"])
    );
    assert_eq!(
        app.get("/api/articles?limit=5", None).await.body["articlesCount"],
        1
    );

    // Every kind of write is visible to the very next read.
    app.put(
        &path,
        Some(&jake),
        json!({"article": {"body": "edited", "tagList": ["two"]}}),
    )
    .await;
    assert_eq!(app.get(&path, None).await.body["article"]["body"], "edited");
    assert_eq!(
        app.get("/api/tags", None).await.body["tags"],
        json!(["two"])
    );
    app.post(&format!("{path}/favorite"), Some(&jane), json!({}))
        .await;
    assert_eq!(
        app.get(&path, None).await.body["article"]["favoritesCount"],
        1
    );
    assert_eq!(
        app.get("/api/articles?limit=5", None).await.body["articles"][0]["favoritesCount"],
        1
    );
    app.put(
        "/api/user",
        Some(&jake),
        json!({"user": {"bio": "new bio"}}),
    )
    .await;
    assert_eq!(
        app.get(&path, None).await.body["article"]["author"]["bio"],
        "new bio"
    );
    app.article(&jane, "Second", &[]).await;
    assert_eq!(
        app.get("/api/articles?limit=5", None).await.body["articlesCount"],
        2
    );

    // Per-user fields never come from the anonymous entry, and signed-in reads bypass it.
    let as_jane = app.get(&path, Some(&jane)).await;
    assert_eq!(as_jane.body["article"]["favorited"], true);
    assert!(as_jane.headers.get("x-cache").is_none());
    app.post("/api/profiles/jake/follow", Some(&jane), json!({}))
        .await;
    assert_eq!(
        app.get(&path, Some(&jane)).await.body["article"]["author"]["following"],
        true
    );
    assert_eq!(
        app.get(&path, None).await.body["article"]["author"]["following"],
        false
    );
    assert_eq!(
        app.get(&path, Some(&jake)).await.body["article"]["favorited"],
        false
    );

    app.delete(&path, Some(&jake)).await;
    assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn redis_cache_invalidates_precisely() {
    anonymous_reads_are_cached_and_writes_invalidate(spawn_with_redis(&[]).await).await;
}

#[tokio::test]
async fn in_process_cache_invalidates_precisely() {
    anonymous_reads_are_cached_and_writes_invalidate(spawn_app().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reader_never_sees_an_acknowledged_write_go_stale() {
    let app = spawn_with_redis(&[]).await;
    let jake = app.register("jake").await;
    let slug = app.article(&jake, "Racing", &[]).await;
    let path = format!("/api/articles/{slug}");
    let reader = {
        let (http, url) = (app.http.clone(), format!("{}{path}", app.address));
        tokio::spawn(async move {
            for _ in 0..200 {
                let _ = http.get(&url).send().await;
            }
        })
    };
    for i in 0..30 {
        let body = format!("version {i}");
        let res = app
            .put(&path, Some(&jake), json!({"article": {"body": body}}))
            .await;
        assert_eq!(res.status, StatusCode::OK);
        let read = app.get(&path, None).await;
        assert_eq!(
            read.body["article"]["body"], body,
            "stale read after write {i}"
        );
    }
    reader.await.unwrap();
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_and_reset() {
    let app = spawn_with_redis(&[
        ("CONDUIT_RATE_LIMIT_LOGIN_PER_ACCOUNT", "3/2"),
        ("CONDUIT_RATE_LIMIT_REGISTER_PER_IP", "2/60"),
    ])
    .await;
    app.register("jake").await;
    app.register("jane").await;
    let third = app.post("/api/users", None, json!({"user": {"username": "bob", "email": "bob@example.com", "password": "password-bob"}})).await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        third.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert!(third.body["errors"]["body"].is_array());

    let attempt = |password: &'static str| {
        app.post(
            "/api/users/login",
            None,
            json!({"user": {"email": "jake@example.com", "password": password}}),
        )
    };
    for _ in 0..3 {
        assert_eq!(
            attempt("wrong-password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = attempt("password-jake").await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits"
    );
    let wait: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&wait));
    // Another account is not affected.
    assert_eq!(
        app.post(
            "/api/users/login",
            None,
            json!({"user": {"email": "jane@example.com", "password": "password-jane"}})
        )
        .await
        .status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        attempt("password-jake").await.status,
        StatusCode::OK,
        "the window resets"
    );
}

#[tokio::test]
async fn writes_per_user_are_limited_in_process_too() {
    let app = spawn_app_with(&[("CONDUIT_RATE_LIMIT_WRITES_PER_USER", "2/60")]).await;
    let jake = app.register("jake").await;
    app.article(&jake, "One", &[]).await;
    app.article(&jake, "Two", &[]).await;
    let third = app
        .post(
            "/api/articles",
            Some(&jake),
            json!({"article": {"title": "Three", "description": "d", "body": "b"}}),
        )
        .await;
    assert_eq!(third.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        app.get("/api/articles", None).await.body["articlesCount"],
        2,
        "the limited write changed nothing"
    );
}

/// Redis stops mid-test: anonymous reads keep working from PostgreSQL, signed-in requests
/// fail closed with a fast 503 (never a 500, never a revoked token accepted), readiness is
/// unaffected; Redis comes back: everything works again without restarting the API.
#[tokio::test(flavor = "multi_thread")]
async fn a_redis_outage_degrades_gracefully_and_recovers() {
    let mut redis_server = Redis::start_temporary().unwrap();
    let url = redis_server.url();
    let app = spawn_app_with(&[("REDIS_URL", &url), ("CONDUIT_REDIS_TIMEOUT_MS", "200")]).await;
    let jake = app.register("jake").await;
    let slug = app.article(&jake, "Survives", &[]).await;
    assert_eq!(app.get("/statusz", None).await.body["redis"], "ok");

    redis_server.pause();
    let timed = |res_status: StatusCode, started: Instant, what: &str| {
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{what} took {:?}",
            started.elapsed()
        );
        assert_ne!(res_status, StatusCode::INTERNAL_SERVER_ERROR, "{what}");
    };
    for path in [
        "/api/articles",
        &format!("/api/articles/{slug}"),
        "/api/tags",
    ] {
        let t = Instant::now();
        let res = app.get(path, None).await;
        timed(res.status, t, path);
        assert_eq!(res.status, StatusCode::OK, "{path}: {}", res.body);
    }
    let t = Instant::now();
    let me = app.get("/api/user", Some(&jake)).await;
    timed(me.status, t, "GET /api/user");
    assert_eq!(me.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(me.body["errors"].is_object());
    let t = Instant::now();
    let write = app
        .post(
            "/api/articles",
            Some(&jake),
            json!({"article": {"title": "t", "description": "d", "body": "b"}}),
        )
        .await;
    timed(write.status, t, "POST /api/articles");
    assert_eq!(write.status, StatusCode::SERVICE_UNAVAILABLE);
    let t = Instant::now();
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "jake@example.com", "password": "password-jake"}}),
        )
        .await;
    timed(login.status, t, "login");
    assert_eq!(
        login.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "no session can be created: {}",
        login.body
    );
    assert_eq!(
        app.get("/readyz", None).await.status,
        StatusCode::OK,
        "readiness follows PostgreSQL only"
    );
    assert_ne!(app.get("/statusz", None).await.body["redis"], "ok");

    redis_server.resume().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let token = loop {
        let res = app
            .post(
                "/api/users/login",
                None,
                json!({"user": {"email": "jake@example.com", "password": "password-jake"}}),
            )
            .await;
        if res.status == StatusCode::OK {
            break res.body["user"]["token"].as_str().unwrap().to_string();
        }
        assert!(
            Instant::now() < deadline,
            "no recovery: {} {}",
            res.status,
            res.body
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        app.get("/api/user", Some(&token)).await.status,
        StatusCode::OK
    );
    let created = app
        .post(
            "/api/articles",
            Some(&token),
            json!({"article": {"title": "After", "description": "d", "body": "b"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(app.get("/statusz", None).await.body["redis"], "ok");
    let list: Value = app.get("/api/articles", None).await.body;
    assert_eq!(
        list["articlesCount"], 2,
        "every acknowledged write is there"
    );
}

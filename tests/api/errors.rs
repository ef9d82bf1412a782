use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn malformed_bodies_are_422_json_never_plain_text() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let url = format!("{}/api/articles", app.address);
    let send = |body: &'static str, content_type: &'static str| {
        app.http
            .post(&url)
            .header("Authorization", format!("Token {jake}"))
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    for (body, ct) in [
        ("{not json", "application/json"),
        ("{\"article\": {\"title\": 1}}", "application/json"),
        ("[]", "application/json"),
        (
            "{\"article\": {\"title\": \"t\", \"description\": \"d\", \"body\": \"b\"}}",
            "text/plain",
        ),
        ("", "application/json"),
    ] {
        let res = send(body, ct).await.unwrap();
        assert_eq!(
            res.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body} as {ct}"
        );
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let v: serde_json::Value = res.json().await.unwrap();
        assert!(v["errors"]["body"].is_array(), "{v}");
    }
    assert_eq!(
        app.get("/api/articles", None).await.body["articlesCount"],
        0,
        "nothing was created"
    );
}

#[tokio::test]
async fn oversized_bodies_are_413_json() {
    let app = spawn_app_with(&[("CONDUIT_MAX_BODY_BYTES", "4096")]).await;
    let jake = app.register("jake").await;
    let big = "x".repeat(8 * 1024);
    let res = app
        .post(
            "/api/articles",
            Some(&jake),
            json!({"article": {"title": "t", "description": "d", "body": big}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error_fields(&res.body), ["body"]);
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let app = spawn_app().await;
    let missing = app.get("/api/nope", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.body["errors"]["route"][0], "not found");
    let root = app.get("/", None).await;
    assert_eq!(root.status, StatusCode::NOT_FOUND);
    let wrong_method = app.request(Method::PATCH, "/api/tags", None, None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        wrong_method.body["errors"]["method"].is_array(),
        "{}",
        wrong_method.body
    );
}

/// PostgreSQL text cannot hold U+0000: a NUL anywhere is refused before the database sees it.
#[tokio::test]
async fn nul_characters_are_refused_not_a_500() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let query = app.get("/api/articles?tag=a%00b", None).await;
    assert_eq!(query.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&query.body), ["query"]);
    let path = app.get("/api/articles/a%00b", None).await;
    assert_eq!(path.status, StatusCode::NOT_FOUND);
    let body = app
        .post(
            "/api/articles",
            Some(&jake),
            json!({"article": {"title": "t\u{0}", "description": "d", "body": "b", "tagList": ["x\u{0}"]}}),
        )
        .await;
    assert_eq!(body.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&body.body), ["tagList", "title"]);
}

/// RFC 9110 §15.5.6: a 405 carries `Allow` with the methods the resource serves, on every
/// resource, in the spec's JSON error shape.
#[tokio::test]
async fn a_wrong_method_is_a_405_that_lists_the_allowed_ones() {
    let app = spawn_app().await;
    for (path, allow) in [
        ("/api/tags", "GET"),
        ("/api/users", "POST"),
        ("/api/user", "GET, PUT"),
        ("/api/user/sessions", "DELETE"),
        ("/api/profiles/jake/follow", "POST, DELETE"),
        ("/api/articles", "GET, POST"),
        ("/api/articles/feed", "GET"),
        ("/api/articles/a-slug", "GET, PUT, DELETE"),
        ("/api/articles/a-slug/comments/1", "DELETE"),
        ("/healthz", "GET"),
    ] {
        for method in [Method::PATCH, Method::TRACE, Method::HEAD] {
            let res = app.request(method.clone(), path, None, None).await;
            assert_eq!(
                res.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            assert_eq!(res.headers["allow"], allow, "{method} {path}");
            if method != Method::HEAD {
                assert_eq!(
                    res.body["errors"]["method"][0], "is not allowed on this route",
                    "{method} {path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_response_carries_security_headers_and_a_request_id() {
    let app = spawn_app().await;
    for path in ["/api/tags", "/api/nope", "/healthz"] {
        let res = app.get(path, None).await;
        assert_eq!(res.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(res.headers["x-frame-options"], "DENY");
        assert_eq!(res.headers["referrer-policy"], "no-referrer");
        assert!(res.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'"));
        assert!(
            res.headers.get("strict-transport-security").is_none(),
            "no HSTS unless behind TLS"
        );
        assert_eq!(res.headers["x-request-id"].len(), 36);
    }
    let app_ref = &app;
    let get_tags_with = |header: &'static str, value: &'static str| async move {
        app_ref
            .request_with(Method::GET, "/api/tags", None, None, &[(header, value)])
            .await
    };
    let echoed = get_tags_with("x-request-id", "abc-123").await;
    assert_eq!(echoed.headers["x-request-id"], "abc-123");
    let unsafe_id = get_tags_with("x-request-id", "a\"b").await;
    assert_ne!(unsafe_id.headers["x-request-id"], "a\"b");
    // No CORS unless origins are configured.
    let cors = get_tags_with("Origin", "https://evil.example").await;
    assert!(cors.headers.get("access-control-allow-origin").is_none());

    let tls = spawn_app_with(&[("CONDUIT_BEHIND_TLS", "true")]).await;
    let res = tls.get("/api/tags", None).await;
    assert!(res.headers["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app_with(&[("CONDUIT_CORS_ALLOWED_ORIGINS", "https://conduit.example")]).await;
    let preflight = app
        .request_with(
            Method::OPTIONS,
            "/api/articles",
            None,
            None,
            &[
                ("Origin", "https://conduit.example"),
                ("Access-Control-Request-Method", "POST"),
                (
                    "Access-Control-Request-Headers",
                    "authorization,content-type",
                ),
            ],
        )
        .await;
    assert!(preflight.status.is_success());
    assert_eq!(
        preflight.headers["access-control-allow-origin"],
        "https://conduit.example"
    );
    let other = app
        .request_with(
            Method::GET,
            "/api/tags",
            None,
            None,
            &[("Origin", "https://evil.example")],
        )
        .await;
    assert!(other.headers.get("access-control-allow-origin").is_none());
}

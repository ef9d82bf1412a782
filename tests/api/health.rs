use crate::helpers::*;
use conduit_testkit::Postgres;
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn probes_and_metrics() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body["database"], "ok");
    // Metrics live on the admin listener only.
    let metrics = app
        .http
        .get(format!("{}/metrics", app.admin_address))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(metrics.text().await.unwrap().contains("conduit_build_info"));
    assert_eq!(
        app.get("/metrics", None).await.status,
        StatusCode::NOT_FOUND
    );
}

/// A dead database gives fast 503s, never hung requests, and the API recovers on its own.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_outage_is_a_fast_503_and_recovers() {
    let mut pg = Postgres::start_temporary().unwrap();
    let admin = pg.url("postgres");
    let (client, conn) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    client
        .batch_execute("CREATE DATABASE conduit")
        .await
        .unwrap();
    drop(client);
    let url = pg.url("conduit");
    let settings = settings_for(
        &url,
        &[
            ("CONDUIT_MIGRATE_ON_START", "true"),
            ("CONDUIT_DB_POOL_TIMEOUT_MS", "500"),
            ("CONDUIT_DB_CONNECT_TIMEOUT_MS", "500"),
        ],
    );
    let server = conduit_api::startup::Application::build(settings)
        .await
        .unwrap();
    let base = format!("http://127.0.0.1:{}", server.port());
    tokio::spawn(server.run_until_stopped());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let token = {
        let r = http
            .post(format!("{base}/api/users"))
            .json(&json!({"user": {"username": "jake", "email": "jake@example.com", "password": "password-jake"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        r.json::<serde_json::Value>().await.unwrap()["user"]["token"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let created = http
        .post(format!("{base}/api/articles"))
        .header("Authorization", format!("Token {token}"))
        .json(&json!({"article": {"title": "Durable", "description": "d", "body": "b"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);

    pg.pause();
    for path in ["/readyz", "/api/articles", "/api/tags"] {
        let started = Instant::now();
        let res = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path} took {:?}",
            started.elapsed()
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body.is_object());
    }
    assert_eq!(
        http.get(format!("{base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "liveness stays up"
    );

    pg.resume().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let res = http
            .get(format!("{base}/api/articles/durable"))
            .send()
            .await
            .unwrap();
        if res.status() == StatusCode::OK {
            break;
        }
        assert!(Instant::now() < deadline, "no recovery: {}", res.status());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        http.get(format!("{base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

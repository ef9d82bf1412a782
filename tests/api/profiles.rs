use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn profiles_show_following_relative_to_the_viewer() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let jane = app.register("jane").await;
    let anon = app.get("/api/profiles/jane", None).await;
    assert_eq!(anon.status, StatusCode::OK);
    assert_eq!(
        anon.body,
        json!({"profile": {"username": "jane", "bio": null, "image": null, "following": false}})
    );

    let followed = app
        .post("/api/profiles/jane/follow", Some(&jake), json!({}))
        .await;
    assert_eq!(followed.status, StatusCode::OK);
    assert_eq!(followed.body["profile"]["following"], true);
    // Idempotent.
    assert_eq!(
        app.post("/api/profiles/jane/follow", Some(&jake), json!({}))
            .await
            .body["profile"]["following"],
        true
    );
    assert_eq!(
        app.get("/api/profiles/jane", Some(&jake)).await.body["profile"]["following"],
        true
    );
    // Following is one-way and per viewer.
    assert_eq!(
        app.get("/api/profiles/jake", Some(&jane)).await.body["profile"]["following"],
        false
    );
    assert_eq!(
        app.get("/api/profiles/jane", None).await.body["profile"]["following"],
        false
    );

    let unfollowed = app.delete("/api/profiles/jane/follow", Some(&jake)).await;
    assert_eq!(unfollowed.status, StatusCode::OK);
    assert_eq!(unfollowed.body["profile"]["following"], false);
    assert_eq!(
        app.get("/api/profiles/jane", Some(&jake)).await.body["profile"]["following"],
        false
    );
}

#[tokio::test]
async fn profile_errors() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let missing = app.get("/api/profiles/nobody", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(error_fields(&missing.body), ["profile"]);
    assert_eq!(
        app.post("/api/profiles/nobody/follow", Some(&jake), json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post("/api/profiles/jake/follow", None, json!({}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let me = app
        .post("/api/profiles/jake/follow", Some(&jake), json!({}))
        .await;
    assert_eq!(me.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get("/api/profiles/jake", Some("garbage")).await.status,
        StatusCode::UNAUTHORIZED
    );
}

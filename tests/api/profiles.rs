use crate::helpers::*;
use conduit_types::ProfileResponse;
use reqwest::StatusCode;
use serde_json::json;

/// `following` of a profile response, read through the shared type.
fn following(res: &Res) -> bool {
    res.dto::<ProfileResponse>().profile.following
}

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
    assert!(following(&followed));
    // Idempotent.
    let again = app
        .post("/api/profiles/jane/follow", Some(&jake), json!({}))
        .await;
    assert!(following(&again));
    assert!(following(&app.get("/api/profiles/jane", Some(&jake)).await));
    // Following is one-way and per viewer.
    assert!(!following(
        &app.get("/api/profiles/jake", Some(&jane)).await
    ));
    assert!(!following(&app.get("/api/profiles/jane", None).await));

    let unfollowed = app.delete("/api/profiles/jane/follow", Some(&jake)).await;
    assert_eq!(unfollowed.status, StatusCode::OK);
    assert!(!following(&unfollowed));
    assert!(!following(
        &app.get("/api/profiles/jane", Some(&jake)).await
    ));
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

use crate::helpers::*;
use conduit_types::UserResponse;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn register_returns_201_and_the_user_with_a_working_token() {
    let app = spawn_app().await;
    let res = app
        .post("/api/users", None, json!({"user": {"username": "jake", "email": "jake@example.com", "password": "jakejake"}}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert!(res.body["user"].get("password").is_none());
    let user = res.dto::<UserResponse>().user;
    assert_eq!(user.username, "jake");
    assert_eq!(user.email, "jake@example.com");
    assert_eq!(user.bio, None);
    assert_eq!(user.image, None);
    let token = user.token.as_str();
    let me = app.get("/api/user", Some(token)).await;
    assert_eq!(me.status, StatusCode::OK);
    let me = me.dto::<UserResponse>().user;
    assert_eq!(me.username, "jake");
    assert_eq!(me.token, token);
}

#[tokio::test]
async fn a_taken_username_or_email_is_a_422_naming_the_field() {
    let app = spawn_app().await;
    app.register("jake").await;
    let dup_name = app
        .post("/api/users", None, json!({"user": {"username": "jake", "email": "other@example.com", "password": "12345678"}}))
        .await;
    assert_eq!(dup_name.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        dup_name.body["errors"]["username"][0],
        "has already been taken"
    );
    // Emails are compared case-insensitively.
    let dup_mail = app
        .post("/api/users", None, json!({"user": {"username": "jane", "email": "JAKE@example.com", "password": "12345678"}}))
        .await;
    assert_eq!(dup_mail.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&dup_mail.body), ["email"]);
}

#[tokio::test]
async fn invalid_registrations_list_every_problem() {
    let app = spawn_app().await;
    let res = app
        .post(
            "/api/users",
            None,
            json!({"user": {"username": " ", "email": "nope", "password": "short"}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&res.body), ["email", "password", "username"]);
    let missing = app
        .post("/api/users", None, json!({"user": {"username": "x"}}))
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(missing.body["errors"]["body"][0]
        .as_str()
        .unwrap()
        .contains("missing field"));
    // Nothing was created by the failures.
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "nope", "password": "short"}}),
        )
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn login_accepts_the_right_password_only() {
    let app = spawn_app().await;
    app.register("jake").await;
    let ok = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "Jake@Example.com", "password": "password-jake"}}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let user = ok.dto::<UserResponse>().user;
    assert_eq!(user.username, "jake");
    assert!(user.token.len() > 20);
    for (email, password) in [
        ("jake@example.com", "wrong-password"),
        ("nobody@example.com", "password-jake"),
    ] {
        let res = app
            .post(
                "/api/users/login",
                None,
                json!({"user": {"email": email, "password": password}}),
            )
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
        assert!(res.body["errors"].is_object());
    }
    let blank = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "", "password": ""}}),
        )
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&blank.body), ["email", "password"]);
}

#[tokio::test]
async fn the_current_user_needs_a_valid_token() {
    let app = spawn_app().await;
    let token = app.register("jake").await;
    let none = app.get("/api/user", None).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers["www-authenticate"], "Token");
    assert!(none.body["errors"]["token"].is_array());
    assert_eq!(
        app.get("/api/user", Some("not-a-jwt")).await.status,
        StatusCode::UNAUTHORIZED
    );
    let mut tampered = token.clone();
    tampered.replace_range(tampered.len() - 3.., "abc");
    assert_eq!(
        app.get("/api/user", Some(&tampered)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let wrong_scheme = app
        .http
        .get(format!("{}/api/user", app.address))
        .header("Authorization", format!("Basic {token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_scheme.status(), StatusCode::UNAUTHORIZED);
    // A token signed with another key (another deployment) is rejected.
    let other = spawn_app_with(&[(
        "CONDUIT_JWT_SECRET",
        "a-completely-different-secret-of-length-42",
    )])
    .await;
    let foreign = other.register("jake").await;
    assert_eq!(
        app.get("/api/user", Some(&foreign)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn updating_the_user_changes_only_what_is_sent() {
    let app = spawn_app().await;
    let token = app.register("jake").await;
    let res = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"bio": "I like dragons", "image": "https://img.example/j.png"}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let user = res.dto::<UserResponse>().user;
    assert_eq!(user.bio.as_deref(), Some("I like dragons"));
    assert_eq!(user.image.as_deref(), Some("https://img.example/j.png"));
    assert_eq!(user.username, "jake");
    let cleared = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"image": null, "bio": ""}}),
        )
        .await;
    let user = cleared.dto::<UserResponse>().user;
    assert_eq!(user.image, None);
    assert_eq!(user.bio, None);
    let renamed = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"username": "jacob", "password": "new-password"}}),
        )
        .await;
    assert_eq!(renamed.dto::<UserResponse>().user.username, "jacob");
    let login = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "jake@example.com", "password": "new-password"}}),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let old = app
        .post(
            "/api/users/login",
            None,
            json!({"user": {"email": "jake@example.com", "password": "password-jake"}}),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn updating_to_a_taken_name_or_a_bad_value_is_a_422_and_changes_nothing() {
    let app = spawn_app().await;
    app.register("jane").await;
    let token = app.register("jake").await;
    let res = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"username": "jane", "bio": "x"}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.body["errors"]["username"][0], "has already been taken");
    let bad = app
        .put(
            "/api/user",
            Some(&token),
            json!({"user": {"image": "javascript:alert(1)", "email": "x"}}),
        )
        .await;
    assert_eq!(error_fields(&bad.body), ["email", "image"]);
    let me = app.get("/api/user", Some(&token)).await;
    let me = me.dto::<UserResponse>().user;
    assert_eq!(me.username, "jake");
    assert_eq!(me.bio, None);
    assert_eq!(
        app.put("/api/user", None, json!({"user": {}})).await.status,
        StatusCode::UNAUTHORIZED
    );
}

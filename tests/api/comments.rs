use crate::helpers::*;
use conduit_types::{CommentResponse, MultipleCommentsResponse};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn comments_are_added_listed_newest_first_and_deleted_by_their_author() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let jane = app.register("jane").await;
    let slug = app.article(&jake, "Discuss", &[]).await;
    let path = format!("/api/articles/{slug}/comments");

    let first = app
        .post(&path, Some(&jane), json!({"comment": {"body": "First!"}}))
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let c = &first.body["comment"];
    assert_eq!(c["body"], "First!");
    assert_eq!(c["author"]["username"], "jane");
    assert!(c["id"].is_i64() && is_timestamp(&c["createdAt"]) && is_timestamp(&c["updatedAt"]));
    let second = app
        .post(&path, Some(&jake), json!({"comment": {"body": "Second"}}))
        .await;

    app.post("/api/profiles/jane/follow", Some(&jake), json!({}))
        .await;
    let list = app.get(&path, Some(&jake)).await;
    assert_eq!(list.status, StatusCode::OK);
    let comments = list.dto::<MultipleCommentsResponse>().comments;
    assert_eq!(comments.len(), 2);
    assert_eq!(comments[0].body, "Second");
    assert!(comments[1].author.following);
    assert!(
        !app.get(&path, None)
            .await
            .dto::<MultipleCommentsResponse>()
            .comments[1]
            .author
            .following
    );

    let first_id = first.dto::<CommentResponse>().comment.id;
    let second_id = second.dto::<CommentResponse>().comment.id;
    let forbidden = app.delete(&format!("{path}/{first_id}"), Some(&jake)).await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let deleted = app.delete(&format!("{path}/{first_id}"), Some(&jane)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.delete(&format!("{path}/{first_id}"), Some(&jane))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let remaining = app
        .get(&path, None)
        .await
        .dto::<MultipleCommentsResponse>()
        .comments;
    assert_eq!(remaining.len(), 1);
    assert_eq!(remaining[0].id, second_id);
}

#[tokio::test]
async fn comment_errors() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let slug = app.article(&jake, "Discuss", &[]).await;
    let other = app.article(&jake, "Other", &[]).await;
    let path = format!("/api/articles/{slug}/comments");
    assert_eq!(
        app.post(&path, None, json!({"comment": {"body": "x"}}))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let blank = app
        .post(&path, Some(&jake), json!({"comment": {"body": "  "}}))
        .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&blank.body), ["body"]);
    assert_eq!(
        app.get("/api/articles/missing/comments", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(
            "/api/articles/missing/comments",
            Some(&jake),
            json!({"comment": {"body": "x"}})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("{path}/not-a-number"), Some(&jake))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // A comment id must belong to the article in the path.
    let c = app
        .post(&path, Some(&jake), json!({"comment": {"body": "x"}}))
        .await
        .body["comment"]["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        app.delete(&format!("/api/articles/{other}/comments/{c}"), Some(&jake))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("{path}/{c}"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

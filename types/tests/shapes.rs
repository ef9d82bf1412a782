//! The wire format of the shared types, checked against the RealWorld contract.

use conduit_types::*;
use serde_json::json;

#[test]
fn update_user_tells_absent_from_null() {
    let absent: UpdateUser = serde_json::from_value(json!({"bio": "hi"})).unwrap();
    assert_eq!(absent.bio, Some(Some("hi".into())));
    assert_eq!(absent.image, None);
    let cleared: UpdateUser = serde_json::from_value(json!({"image": null})).unwrap();
    assert_eq!(cleared.image, Some(None));
}

#[test]
fn article_list_items_use_camel_case_and_have_no_body() {
    let item = ArticleSummary {
        slug: "s".into(),
        title: "t".into(),
        description: "d".into(),
        tag_list: vec!["a".into()],
        created_at: "2026-01-02T03:04:05.678Z".into(),
        updated_at: "2026-01-02T03:04:05.678Z".into(),
        favorited: false,
        favorites_count: 2,
        author: Profile {
            username: "u".into(),
            bio: None,
            image: None,
            following: true,
        },
    };
    let v = serde_json::to_value(MultipleArticlesResponse {
        articles: vec![item],
        articles_count: 1,
    })
    .unwrap();
    assert_eq!(v["articlesCount"], 1);
    let a = &v["articles"][0];
    assert_eq!(a["tagList"], json!(["a"]));
    assert_eq!(a["favoritesCount"], 2);
    assert!(a.get("body").is_none());
    assert_eq!(a["author"]["image"], serde_json::Value::Null);
}

#[test]
fn new_article_tags_default_to_empty() {
    let a: NewArticle =
        serde_json::from_value(json!({"title": "t", "description": "d", "body": "b"})).unwrap();
    assert!(a.tag_list.is_empty());
}

#[test]
fn error_body_shape() {
    let e = ErrorResponse::single("email", "has already been taken");
    assert_eq!(
        serde_json::to_value(e).unwrap(),
        json!({"errors": {"email": ["has already been taken"]}})
    );
}

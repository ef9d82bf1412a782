use crate::helpers::*;
use conduit_types::MultipleArticlesResponse;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The slugs of a list, read through the shared type.
fn slugs(body: &Value) -> Vec<String> {
    decode_exactly::<MultipleArticlesResponse>(body)
        .unwrap_or_else(|e| panic!("{e}"))
        .articles
        .into_iter()
        .map(|a| a.slug)
        .collect()
}

#[tokio::test]
async fn create_returns_201_and_the_whole_article() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let res = app
        .post(
            "/api/articles",
            Some(&jake),
            json!({"article": {"title": "How to train your dragon", "description": "Ever wonder how?",
                   "body": "You have to believe", "tagList": ["training", " dragons ", "training"]}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let a = &res.body["article"];
    assert_eq!(a["slug"], "how-to-train-your-dragon");
    assert_eq!(a["title"], "How to train your dragon");
    assert_eq!(a["body"], "You have to believe");
    assert_eq!(a["tagList"], json!(["dragons", "training"]));
    assert_eq!(a["favorited"], false);
    assert_eq!(a["favoritesCount"], 0);
    assert_eq!(
        a["author"],
        json!({"username": "jake", "bio": null, "image": null, "following": false})
    );
    assert!(
        is_timestamp(&a["createdAt"]) && is_timestamp(&a["updatedAt"]),
        "{a}"
    );

    let fetched = app
        .get("/api/articles/how-to-train-your-dragon", None)
        .await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(&fetched.body["article"], a);
}

#[tokio::test]
async fn create_validates_and_needs_auth() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let res = app
        .post(
            "/api/articles",
            Some(&jake),
            json!({"article": {"title": " ", "description": "", "body": "b"}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_fields(&res.body), ["description", "title"]);
    let unauth = app
        .post(
            "/api/articles",
            None,
            json!({"article": {"title": "t", "description": "d", "body": "b"}}),
        )
        .await;
    assert_eq!(unauth.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/articles", None).await.body["articlesCount"],
        0
    );
}

#[tokio::test]
async fn same_titles_get_distinct_slugs_even_when_created_concurrently() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let creates = (0..12).map(|_| {
        app.post(
            "/api/articles",
            Some(&jake),
            json!({"article": {"title": "Same Title", "description": "d", "body": "b"}}),
        )
    });
    let results = futures_util::future::join_all(creates).await;
    let mut slugs: Vec<String> = results
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            r.body["article"]["slug"].as_str().unwrap().to_string()
        })
        .collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), 12);
    assert!(slugs.contains(&"same-title".to_string()));
    assert!(slugs.iter().all(|s| s.starts_with("same-title")));
    assert_eq!(
        app.get("/api/articles?limit=100", None).await.body["articlesCount"],
        12
    );
}

#[tokio::test]
async fn unicode_titles_make_working_slugs() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let slug = app
        .article(&jake, "Ünïcödé Straße — 東京 🚀", &["日本"])
        .await;
    assert_eq!(slug, "ünïcödé-straße-東京");
    let encoded: String = url_escape(&slug);
    let res = app.get(&format!("/api/articles/{encoded}"), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["article"]["title"], "Ünïcödé Straße — 東京 🚀");
    let by_tag = app
        .get(&format!("/api/articles?tag={}", url_escape("日本")), None)
        .await;
    assert_eq!(slugs(&by_tag.body), [slug]);
}

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn lists_are_newest_first_paginated_and_count_all_matches() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    for i in 0..5 {
        app.article(&jake, &format!("Article {i}"), &[]).await;
    }
    let all = app.get("/api/articles", None).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["articlesCount"], 5);
    assert_eq!(
        slugs(&all.body),
        [
            "article-4",
            "article-3",
            "article-2",
            "article-1",
            "article-0"
        ]
    );
    assert!(
        all.body["articles"][0].get("body").is_none(),
        "lists carry no body"
    );

    let page = app.get("/api/articles?limit=2&offset=1", None).await;
    assert_eq!(slugs(&page.body), ["article-3", "article-2"]);
    assert_eq!(page.body["articlesCount"], 5);
    let last = app.get("/api/articles?limit=2&offset=4", None).await;
    assert_eq!(slugs(&last.body), ["article-0"]);
    let beyond = app.get("/api/articles?offset=50", None).await;
    assert_eq!(beyond.status, StatusCode::OK);
    assert!(slugs(&beyond.body).is_empty());
    assert_eq!(beyond.body["articlesCount"], 5);

    for bad in [
        "limit=0",
        "limit=101",
        "limit=abc",
        "offset=-1",
        "sort=title",
        "limit=1&limit=2",
    ] {
        let res = app.get(&format!("/api/articles?{bad}"), None).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            res.body
        );
        assert!(res.body["errors"].is_object(), "{bad}");
    }
}

#[tokio::test]
async fn filters_by_tag_author_and_favorited_combine() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let jane = app.register("jane").await;
    let a = app.article(&jake, "Jake rust", &["rust"]).await;
    let b = app.article(&jake, "Jake nix", &["nix"]).await;
    let c = app.article(&jane, "Jane rust", &["rust", "nix"]).await;
    app.post(
        &format!("/api/articles/{a}/favorite"),
        Some(&jane),
        json!({}),
    )
    .await;
    app.post(
        &format!("/api/articles/{c}/favorite"),
        Some(&jane),
        json!({}),
    )
    .await;

    let q = |query: &'static str| {
        let app = &app;
        async move {
            let r = app.get(&format!("/api/articles?{query}"), None).await;
            assert_eq!(r.status, StatusCode::OK, "{query}");
            let mut s = slugs(&r.body);
            s.sort();
            assert_eq!(r.body["articlesCount"], s.len(), "{query}");
            s
        }
    };
    assert_eq!(q("tag=rust").await, sorted(&[&a, &c]));
    assert_eq!(q("author=jake").await, sorted(&[&a, &b]));
    assert_eq!(q("favorited=jane").await, sorted(&[&a, &c]));
    assert_eq!(q("tag=nix&author=jake").await, sorted(&[&b]));
    assert_eq!(
        q("tag=rust&favorited=jane&author=jane").await,
        sorted(&[&c])
    );
    assert!(q("author=nobody").await.is_empty());
    assert!(q("tag=missing").await.is_empty());
    assert!(q("favorited=jake").await.is_empty());
}

fn sorted(s: &[&String]) -> Vec<String> {
    let mut v: Vec<String> = s.iter().map(|x| x.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn the_feed_follows_follows() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let jane = app.register("jane").await;
    let bob = app.register("bob").await;
    let janes = app.article(&jane, "By Jane", &[]).await;
    app.article(&bob, "By Bob", &[]).await;
    app.article(&jake, "By Jake", &[]).await;

    assert_eq!(
        app.get("/api/articles/feed", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let empty = app.get("/api/articles/feed", Some(&jake)).await;
    assert_eq!(empty.body, json!({"articles": [], "articlesCount": 0}));

    app.post("/api/profiles/jane/follow", Some(&jake), json!({}))
        .await;
    let feed = app.get("/api/articles/feed", Some(&jake)).await;
    assert_eq!(slugs(&feed.body), [janes]);
    assert_eq!(feed.body["articlesCount"], 1);
    assert_eq!(feed.body["articles"][0]["author"]["following"], true);
    assert_eq!(
        app.get("/api/articles/feed?limit=0", Some(&jake))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    app.delete("/api/profiles/jane/follow", Some(&jake)).await;
    assert_eq!(
        app.get("/api/articles/feed", Some(&jake)).await.body["articlesCount"],
        0
    );
}

#[tokio::test]
async fn favourites_count_every_user_and_flag_only_the_viewer() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let jane = app.register("jane").await;
    let bob = app.register("bob").await;
    let slug = app.article(&jake, "Popular", &[]).await;
    let path = format!("/api/articles/{slug}/favorite");

    let r = app.post(&path, Some(&jane), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (
            r.body["article"]["favorited"].clone(),
            r.body["article"]["favoritesCount"].clone()
        ),
        (json!(true), json!(1))
    );
    let r = app.post(&path, Some(&bob), json!({})).await;
    assert_eq!(r.body["article"]["favoritesCount"], 2);
    // Idempotent.
    assert_eq!(
        app.post(&path, Some(&bob), json!({})).await.body["article"]["favoritesCount"],
        2
    );

    let as_jake = app.get(&format!("/api/articles/{slug}"), Some(&jake)).await;
    assert_eq!(as_jake.body["article"]["favorited"], false);
    assert_eq!(as_jake.body["article"]["favoritesCount"], 2);
    let list_as_jane = app.get("/api/articles", Some(&jane)).await;
    assert_eq!(list_as_jane.body["articles"][0]["favorited"], true);
    assert_eq!(
        app.get("/api/articles", None).await.body["articles"][0]["favorited"],
        false
    );

    let r = app.delete(&path, Some(&jane)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (
            r.body["article"]["favorited"].clone(),
            r.body["article"]["favoritesCount"].clone()
        ),
        (json!(false), json!(1))
    );
    assert_eq!(
        app.post(&path, None, json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.post("/api/articles/missing/favorite", Some(&jane), json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn only_the_author_updates_and_a_new_title_moves_the_slug() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let jane = app.register("jane").await;
    let slug = app.article(&jake, "Old title", &["a"]).await;
    let created = app.get(&format!("/api/articles/{slug}"), None).await.body["article"].clone();

    let forbidden = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&jane),
            json!({"article": {"body": "hacked"}}),
        )
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    assert!(forbidden.body["errors"].is_object());
    assert_eq!(
        app.put(
            "/api/articles/missing",
            Some(&jake),
            json!({"article": {"body": "x"}})
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.put(
            &format!("/api/articles/{slug}"),
            None,
            json!({"article": {}})
        )
        .await
        .status,
        StatusCode::UNAUTHORIZED
    );

    let body_only = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&jake),
            json!({"article": {"body": "new body"}}),
        )
        .await;
    assert_eq!(body_only.status, StatusCode::OK);
    assert_eq!(body_only.body["article"]["slug"], "old-title");
    assert_eq!(body_only.body["article"]["title"], "Old title");
    assert_eq!(body_only.body["article"]["body"], "new body");
    assert_eq!(body_only.body["article"]["createdAt"], created["createdAt"]);
    assert_ne!(body_only.body["article"]["updatedAt"], created["updatedAt"]);

    let retitled = app
        .put(
            &format!("/api/articles/{slug}"),
            Some(&jake),
            json!({"article": {"title": "New title", "tagList": ["b"]}}),
        )
        .await;
    assert_eq!(retitled.body["article"]["slug"], "new-title");
    assert_eq!(retitled.body["article"]["tagList"], json!(["b"]));
    assert_eq!(
        app.get("/api/articles/old-title", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/articles/new-title", None).await.body["article"]["body"],
        "new body"
    );

    // Retitling onto a taken slug gets a suffix instead of an error.
    app.article(&jake, "Taken", &[]).await;
    let clash = app
        .put(
            "/api/articles/new-title",
            Some(&jake),
            json!({"article": {"title": "Taken"}}),
        )
        .await;
    assert_eq!(clash.status, StatusCode::OK);
    assert!(clash.body["article"]["slug"]
        .as_str()
        .unwrap()
        .starts_with("taken-"));
    let invalid = app
        .put(
            "/api/articles/taken",
            Some(&jake),
            json!({"article": {"title": ""}}),
        )
        .await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn only_the_author_deletes() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    let jane = app.register("jane").await;
    let slug = app.article(&jake, "Doomed", &["gone"]).await;
    app.post(
        &format!("/api/articles/{slug}/comments"),
        Some(&jane),
        json!({"comment": {"body": "hi"}}),
    )
    .await;
    assert_eq!(
        app.delete(&format!("/api/articles/{slug}"), Some(&jane))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.delete(&format!("/api/articles/{slug}"), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let res = app
        .delete(&format!("/api/articles/{slug}"), Some(&jake))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/api/articles/{slug}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.delete(&format!("/api/articles/{slug}"), Some(&jake))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/api/tags", None).await.body, json!({"tags": []}));
}

#[tokio::test]
async fn tags_in_use_most_popular_first() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    assert_eq!(app.get("/api/tags", None).await.body, json!({"tags": []}));
    app.article(&jake, "One", &["rust", "nix"]).await;
    app.article(&jake, "Two", &["rust"]).await;
    let three = app.article(&jake, "Three", &["aws", "rust", "nix"]).await;
    let tags = app.get("/api/tags", None).await;
    assert_eq!(tags.status, StatusCode::OK);
    assert_eq!(tags.body, json!({"tags": ["rust", "nix", "aws"]}));

    // The counts follow a change of an article's tags and its deletion; ties go by name.
    let update = json!({"article": {"tagList": ["aws", "go"]}});
    let res = app
        .put(&format!("/api/articles/{three}"), Some(&jake), update)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let body = app.get("/api/tags", None).await.body;
    assert_eq!(body, json!({"tags": ["rust", "aws", "go", "nix"]}));
    let res = app
        .delete(&format!("/api/articles/{three}"), Some(&jake))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let body = app.get("/api/tags", None).await.body;
    assert_eq!(body, json!({"tags": ["rust", "nix"]}));
}

#[tokio::test]
async fn writers_sharing_tags_do_not_deadlock() {
    let app = spawn_app().await;
    let jake = app.register("jake").await;
    // Tags named in opposite orders by concurrent writers: their use counts are locked in one
    // order, so every write succeeds (a deadlock would abort one of them).
    let writes = (0..8).map(|i| {
        let tags: &[&str] = if i % 2 == 0 { &["a", "b", "c"] } else { &["c", "b", "a"] };
        let body = json!({"article": {"title": format!("Race {i}"), "description": "d", "body": "b", "tagList": tags}});
        app.post("/api/articles", Some(&jake), body)
    });
    for res in futures_util::future::join_all(writes).await {
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    let body = app.get("/api/tags", None).await.body;
    assert_eq!(body, json!({"tags": ["a", "b", "c"]}));
}

//! `/articles`, `/articles/feed`, `/articles/{slug}` and favourites.

use crate::auth::{AuthUser, MaybeAuthUser};
use crate::cache::Lookup;
use crate::db::articles::{self, ArticleChanges, Filter, NewArticle};
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::validation::Problems;
use actix_web::{web, HttpResponse};
use conduit_types::{
    ArticleResponse, ErrorResponse, MultipleArticlesResponse, NewArticleRequest,
    UpdateArticleRequest,
};
use serde::Deserialize;

pub const MAX_LIMIT: i64 = 100;

/// Query of the article lists. Unknown parameters are rejected (422), not ignored.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Filter by tag
    tag: Option<String>,
    /// Filter by author (username)
    author: Option<String>,
    /// Filter by favorites of a user (username)
    favorited: Option<String>,
    /// The number of items to skip before starting to collect the result set.
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// The numbers of items to return.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
}

/// `limit` (1..=100, default 20) and `offset` (default 0).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// The number of items to skip before starting to collect the result set.
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// The numbers of items to return.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
}

/// Validated `(limit, offset)`.
fn page_bounds(limit: Option<i64>, offset: Option<i64>) -> ApiResult<(i64, i64)> {
    {
        let limit = limit.unwrap_or(20);
        let offset = offset.unwrap_or(0);
        let mut p = Problems::default();
        if !(1..=MAX_LIMIT).contains(&limit) {
            p.add("limit", format!("must be between 1 and {MAX_LIMIT}"));
        }
        if offset < 0 {
            p.add("offset", "must not be negative");
        }
        p.into_result()?;
        Ok((limit, offset))
    }
}

/// Most recent articles globally, filtered by tag, author or favouriting user.
#[utoipa::path(get, path = "/articles", tag = "Articles", operation_id = "GetArticles",
    params(ListQuery),
    responses(
        (status = 200, description = "Multiple articles", body = MultipleArticlesResponse),
        (status = 401, description = "Invalid token", body = ErrorResponse),
        (status = 422, description = "Invalid query", body = ErrorResponse),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    q: web::Query<ListQuery>,
) -> ApiResult<HttpResponse> {
    let (limit, offset) = page_bounds(q.limit, q.offset)?;
    let filter = Filter {
        tag: q.tag.as_deref(),
        author: q.author.as_deref(),
        favorited_by: q.favorited.as_deref(),
        followed_by: None,
    };
    let load = || async {
        let client = state.pool.get().await?;
        let (articles, articles_count) =
            articles::list(&client, &filter, user.id(), limit, offset).await?;
        to_json(&MultipleArticlesResponse {
            articles,
            articles_count,
        })
    };
    if user.0.is_some() {
        return Ok(json_body(load().await?.into(), None));
    }
    // The key encodes every filter unambiguously (a JSON array of the values).
    let key = serde_json::to_string(&(&q.tag, &q.author, &q.favorited, limit, offset))
        .map_err(|e| ApiError::Internal(e.into()))?;
    let (body, lookup) = state
        .cache
        .get_or_load("articles", &format!("list:{key}"), load)
        .await?;
    Ok(json_body(body, Some(lookup)))
}

fn to_json<T: serde::Serialize>(value: &T) -> ApiResult<String> {
    serde_json::to_string(value).map_err(|e| ApiError::Internal(e.into()))
}

/// A JSON response from already-serialised bytes; `X-Cache` tells hits from misses.
pub fn json_body(body: std::sync::Arc<str>, lookup: Option<Lookup>) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.content_type("application/json");
    if let Some(l) = lookup {
        res.insert_header((
            "x-cache",
            match l {
                Lookup::Hit => "hit",
                Lookup::Miss => "miss",
                Lookup::Bypass => "bypass",
            },
        ));
    }
    res.body(body.to_string())
}

/// Most recent articles by authors the signed-in user follows.
#[utoipa::path(get, path = "/articles/feed", tag = "Articles", operation_id = "GetArticlesFeed",
    security(("Token" = [])), params(Page),
    responses(
        (status = 200, description = "Multiple articles", body = MultipleArticlesResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 422, description = "Invalid query", body = ErrorResponse),
    ))]
pub async fn feed(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<Page>,
) -> ApiResult<web::Json<MultipleArticlesResponse>> {
    let (limit, offset) = page_bounds(q.limit, q.offset)?;
    let filter = Filter {
        followed_by: Some(user.id),
        ..Filter::default()
    };
    let client = state.pool.get().await?;
    let (articles, articles_count) =
        articles::list(&client, &filter, Some(user.id), limit, offset).await?;
    Ok(web::Json(MultipleArticlesResponse {
        articles,
        articles_count,
    }))
}

/// One article.
#[utoipa::path(get, path = "/articles/{slug}", tag = "Articles", operation_id = "GetArticle",
    params(("slug" = String, Path, description = "Slug of the article to get")),
    responses(
        (status = 200, description = "Single article", body = ArticleResponse),
        (status = 401, description = "Invalid token", body = ErrorResponse),
        (status = 404, description = "No such article", body = ErrorResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    slug: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let load = || async {
        let client = state.pool.get().await?;
        to_json(&ArticleResponse {
            article: articles::get(&client, &slug, user.id()).await?,
        })
    };
    if user.0.is_some() {
        return Ok(json_body(load().await?.into(), None));
    }
    let (body, lookup) = state
        .cache
        .get_or_load("articles", &format!("slug:{slug}"), load)
        .await?;
    Ok(json_body(body, Some(lookup)))
}

/// Create an article; its slug comes from the title and is unique.
#[utoipa::path(post, path = "/articles", tag = "Articles", operation_id = "CreateArticle",
    security(("Token" = [])), request_body = NewArticleRequest,
    responses(
        (status = 201, description = "Single article", body = ArticleResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 422, description = "Invalid fields", body = ErrorResponse),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<NewArticleRequest>,
) -> ApiResult<HttpResponse> {
    let a = body.into_inner().article;
    let mut p = Problems::default();
    let title = p.text("title", &a.title, 200);
    let description = p.text("description", &a.description, 1000);
    let body_text = p.text("body", &a.body, 100_000);
    let tags = p.tags(&a.tag_list);
    p.into_result()?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let slug = articles::insert(
        &tx,
        user.id,
        &NewArticle {
            title,
            description,
            body: body_text,
            tags: &tags,
        },
    )
    .await?;
    let article = articles::get(&tx, &slug, Some(user.id)).await?;
    tx.commit().await?;
    state.cache.invalidate().await;
    tracing::info!(user_id = user.id, "article published");
    crate::metrics::article_published();
    Ok(HttpResponse::Created().json(ArticleResponse { article }))
}

/// Update your article. A new title gives it a new slug.
#[utoipa::path(put, path = "/articles/{slug}", tag = "Articles", operation_id = "UpdateArticle",
    security(("Token" = [])), request_body = UpdateArticleRequest,
    params(("slug" = String, Path, description = "Slug of the article to update")),
    responses(
        (status = 200, description = "Single article", body = ArticleResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 403, description = "Not the author", body = ErrorResponse),
        (status = 404, description = "No such article", body = ErrorResponse),
        (status = 422, description = "Invalid fields", body = ErrorResponse),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
    body: web::Json<UpdateArticleRequest>,
) -> ApiResult<web::Json<ArticleResponse>> {
    let a = body.into_inner().article;
    let mut p = Problems::default();
    let title = a.title.as_deref().map(|t| p.text("title", t, 200));
    let description = a
        .description
        .as_deref()
        .map(|d| p.text("description", d, 1000));
    let body_text = a.body.as_deref().map(|b| p.text("body", b, 100_000));
    let tags = a.tag_list.as_deref().map(|t| p.tags(t));
    p.into_result()?;
    let mut client = state.pool.get().await?;
    let mut tx = client.transaction().await?;
    let (id, author) = articles::find(&tx, &slug).await?;
    if author != user.id {
        return Err(ApiError::Forbidden);
    }
    let changes = ArticleChanges {
        title,
        description,
        body: body_text,
        tags: tags.as_deref(),
    };
    let new_slug = articles::update(&mut tx, id, &slug, &changes).await?;
    let article = articles::get(&tx, &new_slug, Some(user.id)).await?;
    tx.commit().await?;
    state.cache.invalidate().await;
    Ok(web::Json(ArticleResponse { article }))
}

/// Delete your article (and its comments and favourites).
#[utoipa::path(delete, path = "/articles/{slug}", tag = "Articles", operation_id = "DeleteArticle",
    security(("Token" = [])),
    params(("slug" = String, Path, description = "Slug of the article to delete")),
    responses(
        (status = 204, description = "No content"),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 403, description = "Not the author", body = ErrorResponse),
        (status = 404, description = "No such article", body = ErrorResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let client = state.pool.get().await?;
    let (id, author) = articles::find(&client, &slug).await?;
    if author != user.id {
        return Err(ApiError::Forbidden);
    }
    articles::delete(&client, id).await?;
    state.cache.invalidate().await;
    Ok(HttpResponse::NoContent().finish())
}

/// Favourite an article (idempotent).
#[utoipa::path(post, path = "/articles/{slug}/favorite", tag = "Favorites", operation_id = "CreateArticleFavorite",
    security(("Token" = [])),
    params(("slug" = String, Path, description = "Slug of the article that you want to favorite")),
    responses(
        (status = 200, description = "Single article", body = ArticleResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 404, description = "No such article", body = ErrorResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn favorite(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
) -> ApiResult<web::Json<ArticleResponse>> {
    set_favorite(&state, &user, &slug, true).await
}

/// Unfavourite an article (idempotent).
#[utoipa::path(delete, path = "/articles/{slug}/favorite", tag = "Favorites", operation_id = "DeleteArticleFavorite",
    security(("Token" = [])),
    params(("slug" = String, Path, description = "Slug of the article that you want to unfavorite")),
    responses(
        (status = 200, description = "Single article", body = ArticleResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 404, description = "No such article", body = ErrorResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn unfavorite(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
) -> ApiResult<web::Json<ArticleResponse>> {
    set_favorite(&state, &user, &slug, false).await
}

async fn set_favorite(
    state: &AppState,
    user: &AuthUser,
    slug: &str,
    on: bool,
) -> ApiResult<web::Json<ArticleResponse>> {
    let client = state.pool.get().await?;
    let (id, _) = articles::find(&client, slug).await?;
    articles::set_favorite(&client, user.id, id, on).await?;
    state.cache.invalidate().await;
    let article = articles::get(&client, slug, Some(user.id)).await?;
    Ok(web::Json(ArticleResponse { article }))
}

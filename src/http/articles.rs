//! `/articles`, `/articles/feed`, `/articles/{slug}` and favourites.

use super::allowed_methods::resource;
use super::{profile, timestamp, ApiError, ApiResult, AppState, AuthUser, MaybeAuthUser};
use crate::cache::Lookup;
use crate::db::articles::{self, ArticleChanges, ArticleRow, Filter, NewArticle};
use crate::domain::{ArticleBody, Description, Page, Problems, Slug, Tag, Title, UserId};
use actix_web::{web, HttpResponse};
use conduit_types::{
    Article, ArticleResponse, ArticleSummary, ErrorResponse, MultipleArticlesResponse,
    NewArticleRequest, UpdateArticleRequest,
};
use serde::Deserialize;

/// This resource's routes (under `/api`); `feed` comes before `{slug}` so it is not taken
/// for one.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/articles/feed").get(feed))
        .service(resource("/articles").get(list).post(create))
        .service(
            resource("/articles/{slug}")
                .get(get)
                .put(update)
                .delete(delete),
        )
        .service(
            resource("/articles/{slug}/favorite")
                .post(favorite)
                .delete(unfavorite),
        );
}

/// This resource's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(feed, list, create, get, update, delete, favorite, unfavorite))]
pub struct Paths;

/// The `{slug}` of a path: one that cannot name an article is not found.
pub(super) fn slug(raw: &str) -> ApiResult<Slug> {
    Slug::parse(raw).ok_or(ApiError::NotFound("article"))
}

fn summary(row: ArticleRow) -> ArticleSummary {
    ArticleSummary {
        slug: row.slug,
        title: row.title,
        description: row.description,
        tag_list: row.tag_list,
        created_at: timestamp(row.created_at),
        updated_at: timestamp(row.updated_at),
        favorited: row.favorited,
        favorites_count: row.favorites_count,
        author: profile(row.author),
    }
}

fn article(row: ArticleRow) -> Article {
    Article {
        slug: row.slug,
        title: row.title,
        description: row.description,
        body: row.body.unwrap_or_default(),
        tag_list: row.tag_list,
        created_at: timestamp(row.created_at),
        updated_at: timestamp(row.updated_at),
        favorited: row.favorited,
        favorites_count: row.favorites_count,
        author: profile(row.author),
    }
}

/// Query of the article lists. Unknown parameters are rejected (422), not ignored.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Filter by tag
    #[param(pattern = r"^[^\x00]*$")]
    tag: Option<String>,
    /// Filter by author (username)
    #[param(pattern = r"^[^\x00]*$")]
    author: Option<String>,
    /// Filter by favorites of a user (username)
    #[param(pattern = r"^[^\x00]*$")]
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
pub struct PageQuery {
    /// The number of items to skip before starting to collect the result set.
    #[param(minimum = 0)]
    offset: Option<i64>,
    /// The numbers of items to return.
    #[param(minimum = 1, maximum = 100, default = 20)]
    limit: Option<i64>,
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
    let page = Page::parse(q.limit, q.offset)?;
    let filter = Filter {
        tag: q.tag.as_deref(),
        author: q.author.as_deref(),
        favorited_by: q.favorited.as_deref(),
        followed_by: None,
    };
    let load = || async {
        let client = state.pool.get().await?;
        let (rows, articles_count) = articles::list(&client, &filter, user.id(), page).await?;
        to_json(&MultipleArticlesResponse {
            articles: rows.into_iter().map(summary).collect(),
            articles_count,
        })
    };
    if user.0.is_some() {
        return Ok(json_body(load().await?.into(), None));
    }
    // The key encodes every filter unambiguously (a JSON array of the values).
    let key =
        serde_json::to_string(&(&q.tag, &q.author, &q.favorited, page.limit(), page.offset()))
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
pub fn json_body(body: bytes::Bytes, lookup: Option<Lookup>) -> HttpResponse {
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
    res.body(body)
}

/// Most recent articles by authors the signed-in user follows.
#[utoipa::path(get, path = "/articles/feed", tag = "Articles", operation_id = "GetArticlesFeed",
    security(("Token" = [])), params(PageQuery),
    responses(
        (status = 200, description = "Multiple articles", body = MultipleArticlesResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 422, description = "Invalid query", body = ErrorResponse),
    ))]
pub async fn feed(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<PageQuery>,
) -> ApiResult<web::Json<MultipleArticlesResponse>> {
    let page = Page::parse(q.limit, q.offset)?;
    let filter = Filter {
        followed_by: Some(user.id),
        ..Filter::default()
    };
    let client = state.pool.get().await?;
    let (rows, articles_count) = articles::list(&client, &filter, Some(user.id), page).await?;
    Ok(web::Json(MultipleArticlesResponse {
        articles: rows.into_iter().map(summary).collect(),
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
    let slug = self::slug(&slug)?;
    let load = || async {
        let client = state.pool.get().await?;
        to_json(&ArticleResponse {
            article: article(articles::get(&client, &slug, user.id()).await?),
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
    let parsed = (
        p.check("title", Title::parse(&a.title)),
        p.check("description", Description::parse(&a.description)),
        p.check("body", ArticleBody::parse(&a.body)),
        p.check("tagList", Tag::parse_list(&a.tag_list)),
    );
    let (title, description, body_text, tags) = p.finish(parsed)?;
    let mut client = state.pool.get().await?;
    let tx = client.transaction().await?;
    let new = NewArticle {
        author: user.id,
        title: &title,
        description: &description,
        body: &body_text,
        tags: &tags,
    };
    let slug = articles::insert(&tx, &new).await?;
    let article = article(articles::get(&tx, &slug, Some(user.id)).await?);
    tx.commit().await?;
    state.cache.invalidate().await;
    tracing::info!(user_id = user.id.get(), "article published");
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
    let parsed = (
        p.optional("title", a.title.as_deref().map(Title::parse)),
        p.optional(
            "description",
            a.description.as_deref().map(Description::parse),
        ),
        p.optional("body", a.body.as_deref().map(ArticleBody::parse)),
        p.optional("tagList", a.tag_list.as_deref().map(Tag::parse_list)),
    );
    let (title, description, body_text, tags) = p.finish(parsed)?;
    let slug = self::slug(&slug)?;
    let mut client = state.pool.get().await?;
    let mut tx = client.transaction().await?;
    let (id, author) = articles::find(&tx, &slug).await?;
    if author != user.id {
        return Err(ApiError::Forbidden);
    }
    let changes = ArticleChanges {
        title: title.as_ref(),
        description: description.as_ref(),
        body: body_text.as_ref(),
        tags: tags.as_deref(),
    };
    let new_slug = articles::update(&mut tx, id, &slug, &changes).await?;
    let article = article(articles::get(&tx, &new_slug, Some(user.id)).await?);
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
    let slug = self::slug(&slug)?;
    let mut client = state.pool.get().await?;
    let (id, author) = articles::find(&client, &slug).await?;
    if author != user.id {
        return Err(ApiError::Forbidden);
    }
    let tx = client.transaction().await?;
    articles::delete(&tx, id).await?;
    tx.commit().await?;
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
    set_favorite(&state, user.id, &self::slug(&slug)?, true).await
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
    set_favorite(&state, user.id, &self::slug(&slug)?, false).await
}

async fn set_favorite(
    state: &AppState,
    user: UserId,
    slug: &Slug,
    on: bool,
) -> ApiResult<web::Json<ArticleResponse>> {
    let client = state.pool.get().await?;
    let (id, _) = articles::find(&client, slug).await?;
    articles::set_favorite(&client, user, id, on).await?;
    state.cache.invalidate().await;
    let article = article(articles::get(&client, slug, Some(user)).await?);
    Ok(web::Json(ArticleResponse { article }))
}

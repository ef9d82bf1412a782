//! `/articles/{slug}/comments`.

use crate::auth::{AuthUser, MaybeAuthUser};
use crate::db::{articles, comments};
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::validation::Problems;
use actix_web::{web, HttpResponse};
use conduit_types::{CommentResponse, ErrorResponse, MultipleCommentsResponse, NewCommentRequest};

/// Comments of an article, newest first.
#[utoipa::path(get, path = "/articles/{slug}/comments", tag = "Comments", operation_id = "GetArticleComments",
    params(("slug" = String, Path, description = "Slug of the article that you want to get comments for")),
    responses(
        (status = 200, description = "Multiple comments", body = MultipleCommentsResponse),
        (status = 401, description = "Invalid token", body = ErrorResponse),
        (status = 404, description = "No such article", body = ErrorResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    slug: web::Path<String>,
) -> ApiResult<web::Json<MultipleCommentsResponse>> {
    let client = state.pool.get().await?;
    let (article_id, _) = articles::find(&client, &slug).await?;
    let comments = comments::list(&client, article_id, user.id()).await?;
    Ok(web::Json(MultipleCommentsResponse { comments }))
}

/// Comment on an article.
#[utoipa::path(post, path = "/articles/{slug}/comments", tag = "Comments", operation_id = "CreateArticleComment",
    security(("Token" = [])), request_body = NewCommentRequest,
    params(("slug" = String, Path, description = "Slug of the article that you want to create a comment for")),
    responses(
        (status = 200, description = "Single comment", body = CommentResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 404, description = "No such article", body = ErrorResponse),
        (status = 422, description = "Invalid comment", body = ErrorResponse),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    user: AuthUser,
    slug: web::Path<String>,
    body: web::Json<NewCommentRequest>,
) -> ApiResult<HttpResponse> {
    let c = body.into_inner().comment;
    let mut p = Problems::default();
    let text = p.text("body", &c.body, 10_000);
    p.into_result()?;
    let client = state.pool.get().await?;
    let (article_id, _) = articles::find(&client, &slug).await?;
    let comment = comments::insert(&client, article_id, user.id, text).await?;
    tracing::info!(user_id = user.id, "comment posted");
    crate::metrics::comment_posted();
    Ok(HttpResponse::Ok().json(CommentResponse { comment }))
}

/// Delete your comment.
#[utoipa::path(delete, path = "/articles/{slug}/comments/{id}", tag = "Comments", operation_id = "DeleteArticleComment",
    security(("Token" = [])),
    params(
        ("slug" = String, Path, description = "Slug of the article that you want to delete a comment for"),
        ("id" = i64, Path, description = "ID of the comment you want to delete"),
    ),
    responses(
        (status = 204, description = "No content"),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 403, description = "Not the author", body = ErrorResponse),
        (status = 404, description = "No such article or comment", body = ErrorResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound("comment"))?;
    let client = state.pool.get().await?;
    let (article_id, _) = articles::find(&client, &slug).await?;
    comments::delete(&client, article_id, id, user.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

//! `/articles/{slug}/comments`.

use super::allowed_methods::resource;
use super::articles::slug as parse_slug;
use super::{profile, timestamp, ApiError, ApiResult, AppState, AuthUser, MaybeAuthUser};
use crate::db::comments::CommentRow;
use crate::db::{articles, comments};
use crate::domain::{CommentBody, CommentId, Problems};
use actix_web::{web, HttpResponse};
use conduit_types::{
    Comment, CommentResponse, ErrorResponse, MultipleCommentsResponse, NewCommentRequest,
};

/// This resource's routes (under `/api`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/articles/{slug}/comments").get(list).post(create))
        .service(resource("/articles/{slug}/comments/{id}").delete(delete));
}

/// This resource's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, delete))]
pub struct Paths;

fn comment(row: CommentRow) -> Comment {
    Comment {
        id: row.id.get(),
        created_at: timestamp(row.created_at),
        updated_at: timestamp(row.updated_at),
        body: row.body,
        author: profile(row.author),
    }
}

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
    let slug = parse_slug(&slug)?;
    let client = state.pool.get().await?;
    let (article_id, _) = articles::find(&client, &slug).await?;
    let rows = comments::list(&client, article_id, user.id()).await?;
    Ok(web::Json(MultipleCommentsResponse {
        comments: rows.into_iter().map(comment).collect(),
    }))
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
    let parsed = (p.check("body", CommentBody::parse(&c.body)),);
    let (text,) = p.finish(parsed)?;
    let slug = parse_slug(&slug)?;
    let client = state.pool.get().await?;
    let (article_id, _) = articles::find(&client, &slug).await?;
    let row = comments::insert(&client, article_id, user.id, &text).await?;
    tracing::info!(user_id = user.id.get(), "comment posted");
    crate::metrics::comment_posted();
    Ok(HttpResponse::Ok().json(CommentResponse {
        comment: comment(row),
    }))
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
    let (slug_raw, id) = path.into_inner();
    let id = CommentId::parse(&id).ok_or(ApiError::NotFound("comment"))?;
    let slug = parse_slug(&slug_raw)?;
    let client = state.pool.get().await?;
    let (article_id, _) = articles::find(&client, &slug).await?;
    if comments::author(&client, article_id, id).await? != user.id {
        return Err(ApiError::Forbidden);
    }
    comments::delete(&client, id).await?;
    Ok(HttpResponse::NoContent().finish())
}

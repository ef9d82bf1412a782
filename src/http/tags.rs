//! `/tags`.

use super::allowed_methods::resource;
use super::{ApiError, ApiResult, AppState};
use crate::db::tags;
use actix_web::{web, HttpResponse};
use conduit_types::{ErrorResponse, TagsResponse};

/// This resource's routes (under `/api`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/tags").get(list));
}

/// This resource's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list))]
pub struct Paths;

/// Tags in use, most used first.
#[utoipa::path(get, path = "/tags", tag = "Tags", operation_id = "GetTags",
    responses(
        (status = 200, description = "Tags", body = TagsResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn list(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let load = || async {
        let client = state.pool.get().await?;
        let tags = TagsResponse {
            tags: tags::in_use(&client).await?,
        };
        serde_json::to_string(&tags).map_err(|e| ApiError::Internal(e.into()))
    };
    let (body, lookup) = state.cache.get_or_load("tags", "all", load).await?;
    Ok(super::articles::json_body(body, Some(lookup)))
}

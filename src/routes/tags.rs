//! `/tags`.

use crate::db::tags;
use crate::error::ApiResult;
use crate::startup::AppState;
use actix_web::web;
use conduit_types::{ErrorResponse, TagsResponse};

/// Tags in use, most used first.
#[utoipa::path(get, path = "/tags", tag = "Tags", operation_id = "GetTags",
    responses(
        (status = 200, description = "Tags", body = TagsResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn list(state: web::Data<AppState>) -> ApiResult<web::Json<TagsResponse>> {
    let client = state.pool.get().await?;
    Ok(web::Json(TagsResponse {
        tags: tags::in_use(&client).await?,
    }))
}

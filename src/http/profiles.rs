//! `/profiles/{username}` and following.

use super::allowed_methods::resource;
use super::{profile, ApiResult, AppState, AuthUser, MaybeAuthUser};
use crate::db::profiles;
use crate::domain::Username;
use actix_web::web;
use conduit_types::{ErrorResponse, ProfileResponse};

/// This resource's routes (under `/api`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/profiles/{username}").get(get))
        .service(
            resource("/profiles/{username}/follow")
                .post(follow)
                .delete(unfollow),
        );
}

/// This resource's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(get, follow, unfollow))]
pub struct Paths;

/// A profile; `following` is relative to the signed-in user.
#[utoipa::path(get, path = "/profiles/{username}", tag = "Profile", operation_id = "GetProfileByUsername",
    params(("username" = String, Path, description = "Username of the profile to get")),
    responses(
        (status = 200, description = "Profile", body = ProfileResponse),
        (status = 401, description = "Invalid token", body = ErrorResponse),
        (status = 404, description = "No such profile", body = ErrorResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    user: MaybeAuthUser,
    username: web::Path<String>,
) -> ApiResult<web::Json<ProfileResponse>> {
    let client = state.pool.get().await?;
    let (_, row) = profiles::get(&client, &Username::lookup(&username), user.id()).await?;
    Ok(web::Json(ProfileResponse {
        profile: profile(row),
    }))
}

/// Follow a user (idempotent).
#[utoipa::path(post, path = "/profiles/{username}/follow", tag = "Profile", operation_id = "FollowUserByUsername",
    security(("Token" = [])),
    params(("username" = String, Path, description = "Username of the profile you want to follow")),
    responses(
        (status = 200, description = "Profile", body = ProfileResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 404, description = "No such profile", body = ErrorResponse),
        (status = 422, description = "Following yourself", body = ErrorResponse),
    ))]
pub async fn follow(
    state: web::Data<AppState>,
    user: AuthUser,
    username: web::Path<String>,
) -> ApiResult<web::Json<ProfileResponse>> {
    let client = state.pool.get().await?;
    let row = profiles::follow(&client, user.id, &Username::lookup(&username)).await?;
    Ok(web::Json(ProfileResponse {
        profile: profile(row),
    }))
}

/// Unfollow a user (idempotent).
#[utoipa::path(delete, path = "/profiles/{username}/follow", tag = "Profile", operation_id = "UnfollowUserByUsername",
    security(("Token" = [])),
    params(("username" = String, Path, description = "Username of the profile you want to unfollow")),
    responses(
        (status = 200, description = "Profile", body = ProfileResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 404, description = "No such profile", body = ErrorResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn unfollow(
    state: web::Data<AppState>,
    user: AuthUser,
    username: web::Path<String>,
) -> ApiResult<web::Json<ProfileResponse>> {
    let client = state.pool.get().await?;
    let row = profiles::unfollow(&client, user.id, &Username::lookup(&username)).await?;
    Ok(web::Json(ProfileResponse {
        profile: profile(row),
    }))
}

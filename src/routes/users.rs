//! `/users`, `/users/login`, `/user`.

use crate::auth::{password, AuthUser};
use crate::db::users::{self, UserChanges, UserRow};
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::validation::Problems;
use actix_web::{web, HttpResponse};
use conduit_types::{
    ErrorResponse, LoginUserRequest, NewUserRequest, UpdateUserRequest, User, UserResponse,
};

fn user_response(row: UserRow, token: String) -> UserResponse {
    UserResponse {
        user: User {
            email: row.email,
            token,
            username: row.username,
            bio: row.bio,
            image: row.image,
        },
    }
}

/// Register a new user. A taken username or email is a 422 with the field named.
#[utoipa::path(post, path = "/users", tag = "User and Authentication", operation_id = "CreateUser",
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "User", body = UserResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 422, description = "Invalid or taken fields", body = ErrorResponse),
    ))]
pub async fn register(
    state: web::Data<AppState>,
    body: web::Json<NewUserRequest>,
) -> ApiResult<HttpResponse> {
    let new = body.into_inner().user;
    let mut p = Problems::default();
    let username = p.username(&new.username).to_string();
    let email = p.email(&new.email).to_string();
    p.password(&new.password);
    p.into_result()?;
    let hash = password::hash(new.password).await?;
    let client = state.pool.get().await?;
    let row = users::insert(&client, &username, &email, &hash).await?;
    let token = state.jwt.issue(row.id)?;
    tracing::info!(user_id = row.id, "user registered");
    Ok(HttpResponse::Created().json(user_response(row, token)))
}

/// Log in with email and password.
#[utoipa::path(post, path = "/users/login", tag = "User and Authentication", operation_id = "Login",
    request_body = LoginUserRequest,
    responses(
        (status = 200, description = "User", body = UserResponse),
        (status = 401, description = "Wrong email or password", body = ErrorResponse),
        (status = 422, description = "Invalid request", body = ErrorResponse),
    ))]
pub async fn login(
    state: web::Data<AppState>,
    body: web::Json<LoginUserRequest>,
) -> ApiResult<web::Json<UserResponse>> {
    let creds = body.into_inner().user;
    let mut p = Problems::default();
    let email = p.text("email", &creds.email, 254).to_string();
    if creds.password.is_empty() {
        p.add("password", "can't be blank");
    } else if creds.password.chars().count() > crate::validation::MAX_PASSWORD_CHARS {
        return Err(ApiError::InvalidCredentials);
    }
    p.into_result()?;
    let row = {
        let client = state.pool.get().await?;
        users::find_by_email(&client, &email).await?
    };
    let (stored, row) = match row {
        Some(r) => (Some(r.password_hash.clone()), Some(r)),
        None => (None, None),
    };
    if !password::verify(creds.password, stored).await? {
        tracing::info!("login failed");
        return Err(ApiError::InvalidCredentials);
    }
    let row = row.ok_or(ApiError::InvalidCredentials)?;
    let token = state.jwt.issue(row.id)?;
    Ok(web::Json(user_response(row, token)))
}

/// The signed-in user.
#[utoipa::path(get, path = "/user", tag = "User and Authentication", operation_id = "GetCurrentUser",
    security(("Token" = [])),
    responses(
        (status = 200, description = "User", body = UserResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 422, description = "Unexpected error", body = ErrorResponse),
    ))]
pub async fn current(
    state: web::Data<AppState>,
    auth: AuthUser,
) -> ApiResult<web::Json<UserResponse>> {
    let client = state.pool.get().await?;
    let row = users::find_by_id(&client, auth.id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(web::Json(user_response(row, auth.token)))
}

/// Update the signed-in user; `bio` and `image` may be set to `null` or `""` to clear them.
#[utoipa::path(put, path = "/user", tag = "User and Authentication", operation_id = "UpdateCurrentUser",
    security(("Token" = [])), request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "User", body = UserResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 422, description = "Invalid or taken fields", body = ErrorResponse),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    auth: AuthUser,
    body: web::Json<UpdateUserRequest>,
) -> ApiResult<web::Json<UserResponse>> {
    let u = body.into_inner().user;
    let mut p = Problems::default();
    let username = u.username.as_deref().map(|v| p.username(v).to_string());
    let email = u.email.as_deref().map(|v| p.email(v).to_string());
    if let Some(pw) = &u.password {
        p.password(pw);
    }
    let bio = u
        .bio
        .as_ref()
        .map(|b| p.bio(b.as_deref()).map(str::to_string));
    let image = u
        .image
        .as_ref()
        .map(|i| p.image(i.as_deref()).map(str::to_string));
    p.into_result()?;
    let password_hash = match u.password {
        Some(pw) => Some(password::hash(pw).await?),
        None => None,
    };
    let changes = UserChanges {
        username: username.as_deref(),
        email: email.as_deref(),
        password_hash: password_hash.as_deref(),
        bio: bio.as_ref().map(|b| b.as_deref()),
        image: image.as_ref().map(|i| i.as_deref()),
    };
    let client = state.pool.get().await?;
    let row = users::update(&client, auth.id, &changes).await?;
    Ok(web::Json(user_response(row, auth.token)))
}

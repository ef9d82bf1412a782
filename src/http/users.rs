//! `/users`, `/users/login`, `/user`.

use crate::auth::cookies;
use crate::auth::{password, AuthUser};
use crate::db::users::{self, UserChanges, UserRow};
use crate::error::{ApiError, ApiResult};
use crate::startup::AppState;
use crate::validation::Problems;
use actix_web::{web, HttpRequest, HttpResponse};
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

/// The client's address: the peer, or behind the load balancer (when configured to trust
/// it) the last `X-Forwarded-For` hop, which the load balancer itself appended.
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    let forwarded = trust_forwarded_for
        .then(|| {
            req.headers()
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .rsplit(',')
                .next()
                .map(|s| s.trim().to_string())
        })
        .flatten()
        .filter(|s| !s.is_empty());
    forwarded.unwrap_or_else(|| {
        req.peer_addr()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    })
}

fn user_agent(req: &HttpRequest) -> &str {
    req.headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Starts a session for `row` and answers with the user, its token, and the browser cookies.
async fn signed_in(
    state: &AppState,
    req: &HttpRequest,
    row: UserRow,
    mut res: actix_web::HttpResponseBuilder,
) -> ApiResult<HttpResponse> {
    let session_id = state.sessions.create(row.id, user_agent(req)).await?;
    let token = state.jwt.issue(row.id, &session_id)?;
    cookies::set(&mut res, &token, state.jwt.ttl_secs(), state.behind_tls);
    Ok(res.json(user_response(row, token)))
}

/// Register a new user. A taken username or email is a 422 with the field named.
#[utoipa::path(post, path = "/users", tag = "User and Authentication", operation_id = "CreateUser",
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "User; also sets the `conduit_session` and `conduit_csrf` cookies", body = UserResponse),
        (status = 413, description = "Body too large", body = ErrorResponse),
        (status = 422, description = "Invalid or taken fields", body = ErrorResponse),
        (status = 429, description = "Too many registrations from this address", body = ErrorResponse),
    ))]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<NewUserRequest>,
) -> ApiResult<HttpResponse> {
    let ip = client_ip(&req, state.trust_forwarded_for);
    state
        .limiter
        .hit("register-ip", &ip, state.rate_limits.register_per_ip)
        .await?;
    let new = body.into_inner().user;
    let mut p = Problems::default();
    let username = p.username(&new.username).to_string();
    let email = p.email(&new.email).to_string();
    p.password(&new.password);
    p.into_result()?;
    let hash = password::hash(new.password).await?;
    let client = state.pool.get().await?;
    let row = users::insert(&client, &username, &email, &hash).await?;
    drop(client);
    tracing::info!(user_id = row.id, "user registered");
    crate::metrics::user_registered();
    signed_in(&state, &req, row, HttpResponse::Created()).await
}

/// Log in with email and password.
#[utoipa::path(post, path = "/users/login", tag = "User and Authentication", operation_id = "Login",
    request_body = LoginUserRequest,
    responses(
        (status = 200, description = "User; also sets the `conduit_session` and `conduit_csrf` cookies", body = UserResponse),
        (status = 401, description = "Wrong email or password", body = ErrorResponse),
        (status = 422, description = "Invalid request", body = ErrorResponse),
        (status = 429, description = "Too many attempts for this address or account", body = ErrorResponse),
    ))]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginUserRequest>,
) -> ApiResult<HttpResponse> {
    let creds = body.into_inner().user;
    let ip = client_ip(&req, state.trust_forwarded_for);
    state
        .limiter
        .hit("login-ip", &ip, state.rate_limits.login_per_ip)
        .await?;
    let account = crate::ratelimit::account_key(&creds.email);
    state
        .limiter
        .hit(
            "login-account",
            &account,
            state.rate_limits.login_per_account,
        )
        .await?;
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
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    if !password::verify(creds.password, stored).await? {
        tracing::info!("login failed");
        crate::metrics::login_failed();
        return Err(ApiError::InvalidCredentials);
    }
    let row = row.ok_or(ApiError::InvalidCredentials)?;
    signed_in(&state, &req, row, HttpResponse::Ok()).await
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
/// A new password ends every session and returns a new token.
#[utoipa::path(put, path = "/user", tag = "User and Authentication", operation_id = "UpdateCurrentUser",
    security(("Token" = [])), request_body = UpdateUserRequest,
    responses(
        (status = 200, description = "User", body = UserResponse),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
        (status = 422, description = "Invalid or taken fields", body = ErrorResponse),
    ))]
pub async fn update(
    state: web::Data<AppState>,
    req: HttpRequest,
    auth: AuthUser,
    body: web::Json<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
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
    drop(client);
    // Authors are embedded in cached articles.
    state.cache.invalidate().await;
    if password_hash.is_some() {
        // A new password ends every session, this one included; this request gets a new one.
        state.sessions.delete_all(auth.id).await?;
        return signed_in(&state, &req, row, HttpResponse::Ok()).await;
    }
    Ok(HttpResponse::Ok().json(user_response(row, auth.token)))
}

/// End the current session (an extension to the RealWorld spec). Clears the cookies.
#[utoipa::path(post, path = "/users/logout", tag = "User and Authentication", operation_id = "Logout",
    security(("Token" = [])),
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
    ))]
pub async fn logout(state: web::Data<AppState>, auth: AuthUser) -> ApiResult<HttpResponse> {
    state.sessions.delete(&auth.session_id).await?;
    let mut res = HttpResponse::NoContent();
    cookies::clear(&mut res, state.behind_tls);
    Ok(res.finish())
}

/// End every session of the signed-in user, on every device (an extension to the spec).
#[utoipa::path(delete, path = "/user/sessions", tag = "User and Authentication", operation_id = "RevokeAllSessions",
    security(("Token" = [])),
    responses(
        (status = 204, description = "Every session revoked"),
        (status = 401, description = "Unauthorized", body = ErrorResponse),
    ))]
pub async fn revoke_all(state: web::Data<AppState>, auth: AuthUser) -> ApiResult<HttpResponse> {
    state.sessions.delete_all(auth.id).await?;
    let mut res = HttpResponse::NoContent();
    cookies::clear(&mut res, state.behind_tls);
    Ok(res.finish())
}

//! `/users`, `/users/login`, `/user`.

use super::allowed_methods::resource;
use super::{cookies, ApiError, ApiResult, AppState, AuthUser};
use crate::auth::password;
use crate::db::users::{self, NewUser, UserChanges, UserRow};
use crate::domain::{Bio, Email, ImageUrl, Password, Problems, Username};
use actix_web::{web, HttpRequest, HttpResponse};
use conduit_types::{
    ErrorResponse, LoginUserRequest, NewUserRequest, UpdateUserRequest, User, UserResponse,
};

/// This resource's routes (under `/api`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/users").post(register))
        .service(resource("/users/login").post(login))
        .service(resource("/users/logout").post(logout))
        .service(resource("/user/sessions").delete(revoke_all))
        .service(resource("/user").get(current).put(update));
}

/// This resource's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(login, register, current, update, logout, revoke_all))]
pub struct Paths;

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
    let session_id = state.sessions.create(row.id.get(), user_agent(req)).await?;
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
    let parsed = (
        p.check("username", Username::parse(&new.username)),
        p.check("email", Email::parse(&new.email)),
        p.check("password", Password::parse(new.password)),
    );
    let (username, email, password) = p.finish(parsed)?;
    let password_hash = password::hash(password).await?;
    let client = state.pool.get().await?;
    let new = NewUser {
        username: &username,
        email: &email,
        password_hash: &password_hash,
    };
    let row = users::insert(&client, &new).await?;
    drop(client);
    tracing::info!(user_id = row.id.get(), "user registered");
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
    let parsed = (
        p.check("email", Email::parse_for_login(&creds.email)),
        p.check("password", Password::parse_for_login(creds.password)),
    );
    let (email, password) = p.finish(parsed)?;
    // Longer than any password can be: no account has it.
    let password = password.ok_or(ApiError::InvalidCredentials)?;
    let row = {
        let client = state.pool.get().await?;
        users::find_by_email(&client, &email).await?
    };
    let stored = row.as_ref().map(|r| r.password_hash.clone());
    if !password::verify(password, stored).await? {
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
    let parsed = (
        p.optional("username", u.username.as_deref().map(Username::parse)),
        p.optional("email", u.email.as_deref().map(Email::parse)),
        p.optional("password", u.password.map(Password::parse)),
        p.optional("bio", u.bio.as_ref().map(|b| Bio::parse(b.as_deref()))),
        p.optional(
            "image",
            u.image.as_ref().map(|i| ImageUrl::parse(i.as_deref())),
        ),
    );
    let (username, email, password, bio, image) = p.finish(parsed)?;
    let password_hash = match password {
        Some(pw) => Some(password::hash(pw).await?),
        None => None,
    };
    let changes = UserChanges {
        username: username.as_ref(),
        email: email.as_ref(),
        password_hash: password_hash.as_deref(),
        bio: bio.as_ref().map(Option::as_ref),
        image: image.as_ref().map(Option::as_ref),
    };
    let client = state.pool.get().await?;
    // The account is gone: the token names nobody.
    let row = users::update(&client, auth.id, &changes)
        .await
        .map_err(|e| match e {
            crate::db::DbError::NotFound(_) => ApiError::Unauthorized,
            e => e.into(),
        })?;
    drop(client);
    // Authors are embedded in cached articles.
    state.cache.invalidate().await;
    if password_hash.is_some() {
        // A new password ends every session, this one included; this request gets a new one.
        state.sessions.delete_all(auth.id.get()).await?;
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
    state.sessions.delete_all(auth.id.get()).await?;
    let mut res = HttpResponse::NoContent();
    cookies::clear(&mut res, state.behind_tls);
    Ok(res.finish())
}

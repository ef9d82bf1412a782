//! Authentication extractors: `Authorization: Token <jwt>` (the spec's way) or, for the
//! browser, the HttpOnly `conduit_session` cookie with a double-submit CSRF token.

use super::cookies::{CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE};
use super::{ApiError, AppState};
use crate::domain::UserId;
use actix_web::http::{header, Method};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// A signed-in user with a live session; extracting it fails with 401 when the token is
/// missing, invalid, expired or revoked, and with 503 when sessions cannot be checked.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: UserId,
    pub session_id: String,
    pub token: String,
}

/// An optional user: no credentials means anonymous, bad ones are still a 401.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl MaybeAuthUser {
    pub fn id(&self) -> Option<UserId> {
        self.0.as_ref().map(|u| u.id)
    }
}

enum Credential {
    Header(String),
    Cookie(String),
}

fn credential(req: &HttpRequest) -> Result<Option<Credential>, ApiError> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let value = value.to_str().map_err(|_| ApiError::Unauthorized)?;
        let (scheme, token) = value.trim().split_once(' ').ok_or(ApiError::Unauthorized)?;
        if !(scheme.eq_ignore_ascii_case("Token") || scheme.eq_ignore_ascii_case("Bearer")) {
            return Err(ApiError::Unauthorized);
        }
        return Ok(Some(Credential::Header(token.trim().to_string())));
    }
    Ok(req
        .cookie(SESSION_COOKIE)
        .map(|c| Credential::Cookie(c.value().to_string())))
}

/// A cookie is sent by the browser whatever page asks: unsafe requests must also prove
/// they come from our own pages by echoing the CSRF cookie in a header.
fn check_csrf(req: &HttpRequest) -> Result<(), ApiError> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let cookie = req.cookie(CSRF_COOKIE).ok_or(ApiError::Csrf)?;
    let header = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or(ApiError::Csrf)?;
    let (a, b) = (cookie.value().as_bytes(), header.as_bytes());
    // Constant-time comparison.
    if a.is_empty()
        || a.len() != b.len()
        || a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) != 0
    {
        return Err(ApiError::Csrf);
    }
    Ok(())
}

async fn authenticate(req: HttpRequest) -> Result<Option<AuthUser>, ApiError> {
    let Some(cred) = credential(&req)? else {
        return Ok(None);
    };
    let token = match cred {
        Credential::Header(t) => t,
        Credential::Cookie(t) => {
            check_csrf(&req)?;
            t
        }
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
    let (id, session_id) = state.jwt.verify(&token).ok_or(ApiError::Unauthorized)?;
    let session = state
        .sessions
        .get(&session_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if session.user_id != id.get() {
        return Err(ApiError::Unauthorized);
    }
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        state
            .limiter
            .hit("writes", &id.to_string(), state.rate_limits.writes_per_user)
            .await?;
    }
    Ok(Some(AuthUser {
        id,
        session_id,
        token,
    }))
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await?.ok_or(ApiError::Unauthorized) })
    }
}

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(req).await.map(MaybeAuthUser) })
    }
}

//! `Authorization: Token <jwt>` extractors.

use crate::error::ApiError;
use crate::startup::AppState;
use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use std::future::{ready, Ready};

/// A signed-in user; extracting it fails with 401 when the token is missing or invalid.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub token: String,
}

/// An optional user: no `Authorization` header means anonymous, a bad one is still a 401.
#[derive(Debug, Clone)]
pub struct MaybeAuthUser(pub Option<AuthUser>);

impl MaybeAuthUser {
    pub fn id(&self) -> Option<i64> {
        self.0.as_ref().map(|u| u.id)
    }
}

fn authenticate(req: &HttpRequest) -> Result<Option<AuthUser>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::Unauthorized)?;
    let (scheme, token) = value.trim().split_once(' ').ok_or(ApiError::Unauthorized)?;
    if !(scheme.eq_ignore_ascii_case("Token") || scheme.eq_ignore_ascii_case("Bearer")) {
        return Err(ApiError::Unauthorized);
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no app state")))?;
    let token = token.trim();
    let id = state.jwt.verify(token).ok_or(ApiError::Unauthorized)?;
    Ok(Some(AuthUser {
        id,
        token: token.to_string(),
    }))
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).and_then(|u| u.ok_or(ApiError::Unauthorized)))
    }
}

impl FromRequest for MaybeAuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(MaybeAuthUser))
    }
}

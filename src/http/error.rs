//! One error type for every handler, mapped to the spec's JSON error body in one place;
//! the errors of the layers below (database, domain, Redis, rate limits) convert into it.

use crate::db::DbError;
use crate::domain::FieldErrors;
use crate::kv::KvError;
use crate::ratelimit::Limited;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use conduit_types::ErrorResponse;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No token, or one that is invalid or expired.
    #[error("authentication required")]
    Unauthorized,
    /// Wrong email or password.
    #[error("invalid credentials")]
    InvalidCredentials,
    #[error("forbidden")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Field-level problems (`{"errors": {"title": ["can't be blank"]}}`).
    #[error("validation failed")]
    Validation(BTreeMap<String, Vec<String>>),
    /// Over a rate limit: retry after this many seconds.
    #[error("too many requests")]
    TooManyRequests(u64),
    /// A cookie-authenticated unsafe request without the matching CSRF token.
    #[error("missing or invalid CSRF token")]
    Csrf,
    #[error("request body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// A dependency (the database) is down or saturated: retry later.
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        let mut map = BTreeMap::new();
        map.insert(field.to_string(), vec![message.into()]);
        ApiError::Validation(map)
    }

    fn body(&self) -> ErrorResponse {
        match self {
            ApiError::Unauthorized => {
                ErrorResponse::single("token", "is missing, invalid or expired")
            }
            ApiError::InvalidCredentials => {
                ErrorResponse::single("email or password", "is invalid")
            }
            ApiError::Forbidden => ErrorResponse::single("body", "you are not allowed to do this"),
            ApiError::NotFound(what) => ErrorResponse::single(*what, "not found"),
            ApiError::Validation(errors) => ErrorResponse {
                errors: errors.clone(),
            },
            ApiError::PayloadTooLarge(limit) => {
                ErrorResponse::single("body", format!("must be at most {limit} bytes"))
            }
            ApiError::TooManyRequests(secs) => {
                ErrorResponse::single("body", format!("too many requests, retry in {secs} s"))
            }
            ApiError::Csrf => ErrorResponse::single(
                "csrf",
                "X-CSRF-Token header must match the conduit_csrf cookie",
            ),
            ApiError::Unavailable(_) => {
                ErrorResponse::single("body", "service temporarily unavailable, try again")
            }
            ApiError::Internal(_) => ErrorResponse::single("body", "internal error"),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden | ApiError::Csrf => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            // The cause chain goes to the log, never to the client.
            ApiError::Internal(e) => tracing::error!(error = %format!("{e:#}"), "request failed"),
            ApiError::Unavailable(e) => {
                tracing::warn!(error = %format!("{e:#}"), "dependency unavailable")
            }
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthorized => {
                res.insert_header((header::WWW_AUTHENTICATE, "Token"));
            }
            ApiError::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            ApiError::TooManyRequests(secs) => {
                res.insert_header((header::RETRY_AFTER, secs.to_string()));
            }
            _ => {}
        }
        res.json(self.body())
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound(what) => ApiError::NotFound(what),
            DbError::Invalid(fields) => ApiError::Validation(fields.into_map()),
            DbError::Unavailable(e) => ApiError::Unavailable(e),
            DbError::Other(e) => ApiError::Internal(e),
        }
    }
}

/// Handlers take connections and open transactions themselves: the database layer decides
/// what a failure means.
impl From<deadpool_postgres::PoolError> for ApiError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        DbError::from(e).into()
    }
}

impl From<tokio_postgres::Error> for ApiError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::from(e).into()
    }
}

impl From<FieldErrors> for ApiError {
    fn from(e: FieldErrors) -> Self {
        ApiError::Validation(e.into_map())
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(e: anyhow::Error) -> Self {
        ApiError::Internal(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<KvError> for ApiError {
    fn from(e: KvError) -> Self {
        // Sessions fail closed: without Redis we cannot tell a revoked token from a live one.
        ApiError::Unavailable(e.into())
    }
}

impl From<Limited> for ApiError {
    fn from(l: Limited) -> Self {
        ApiError::TooManyRequests(l.0)
    }
}

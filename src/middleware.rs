//! Cross-cutting HTTP behaviour: telemetry (request ids, logs, metrics, traces), security
//! headers, NUL characters refused, JSON errors for responses that actix itself produces (404).

use crate::http::{ApiError, AppState};
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{web, ResponseError};

use conduit_observability::http::{observe, Options};
pub use conduit_observability::http::{RequestId, REQUEST_ID};

const TELEMETRY: Options = Options {
    classify: None,
    unlogged: &[],
};

/// The outermost middleware: request id, trace context, HTTP metrics and the request log line
/// (shared with the web server), plus the count of requests the database failed.
pub async fn telemetry(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let res = observe(&TELEMETRY, req, next).await?;
    match res
        .response()
        .error()
        .and_then(|e| e.as_error::<ApiError>())
    {
        Some(ApiError::Unavailable(_)) => crate::metrics::db_error("unavailable"),
        Some(ApiError::Internal(_)) => crate::metrics::db_error("internal"),
        _ => {}
    }
    Ok(res)
}

/// The Swagger UI needs its own scripts, styles and data-URI images; the JSON API needs nothing.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
const DOCS_CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let docs = req.path().starts_with("/api/docs");
    let hsts = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.behind_tls);
    let mut res = next.call(req).await?;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs { DOCS_CSP } else { API_CSP }),
    );
    h.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if !docs && !h.contains_key(header::CACHE_CONTROL) {
        // Responses may be personal (favorited, following): no shared caching.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    Ok(res)
}

/// PostgreSQL text cannot hold U+0000, so no slug, username or filter ever contains one: a NUL
/// (`%00`) in the path is a 404 and in the query a 422, before any handler sends it to the
/// database (where it would be a 500). Bodies are checked field by field (`validation`).
pub async fn refuse_nul(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let refusal = if req.path().contains("%00") {
        Some(ApiError::NotFound("route"))
    } else if req.query_string().contains("%00") {
        Some(ApiError::invalid(
            "query",
            "must not contain NUL characters",
        ))
    } else {
        None
    };
    match refusal {
        Some(e) => Ok(req.into_response(e.error_response()).map_into_right_body()),
        None => Ok(next.call(req).await?.map_into_left_body()),
    }
}

/// Rewrites a bodiless 404 that actix produced itself into the spec's JSON error body. (A
/// wrong method never reaches here: `http::allowed_methods` answers it, with `Allow`.)
pub fn json_error_body<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    if res.headers().contains_key(header::CONTENT_TYPE) {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let error = conduit_types::ErrorResponse::single("route", "not found");
    let (req, _) = res.into_parts();
    let mut body = actix_web::HttpResponse::build(status).json(error);
    body.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let res = ServiceResponse::new(req, body).map_into_right_body::<B>();
    Ok(ErrorHandlerResponse::Response(
        res.map_body(|_, b: EitherBody<B, BoxBody>| b),
    ))
}

/// Unknown paths anywhere.
pub async fn not_found() -> actix_web::HttpResponse {
    ApiError::NotFound("route").error_response()
}

/// Maps actix's JSON extractor errors: too large → 413, everything else → 422, all JSON.
pub fn json_config(limit: usize) -> web::JsonConfig {
    use actix_web::error::JsonPayloadError as E;
    web::JsonConfig::default()
        .limit(limit)
        .error_handler(move |err, _req| {
            let api = match &err {
                E::Overflow { .. } | E::OverflowKnownLength { .. } => {
                    ApiError::PayloadTooLarge(limit)
                }
                E::ContentType => {
                    ApiError::invalid("body", "Content-Type must be application/json")
                }
                E::Deserialize(e) if e.is_data() => {
                    ApiError::invalid("body", format!("invalid fields: {e}"))
                }
                E::Deserialize(_) => ApiError::invalid("body", "is not valid JSON"),
                _ => ApiError::invalid("body", "could not be read"),
            };
            actix_web::error::InternalError::from_response(err, api.error_response()).into()
        })
}

pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let api = ApiError::invalid("query", err.to_string());
        actix_web::error::InternalError::from_response(err, api.error_response()).into()
    })
}

pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        actix_web::error::InternalError::from_response(
            err,
            ApiError::NotFound("route").error_response(),
        )
        .into()
    })
}

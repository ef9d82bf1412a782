//! Cross-cutting HTTP behaviour: request ids and logs, security headers, JSON errors for
//! responses that actix itself produces (404).

use crate::http::{ApiError, AppState};
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{ErrorHandlerResponse, Next};
use actix_web::{web, HttpMessage, ResponseError};
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of this request: the caller's `X-Request-Id` when it is sane, otherwise a new one.
#[derive(Clone)]
pub struct RequestId(pub String);

fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// One log line per request: id, method, route template (never the raw path or query, which
/// may carry personal data), status and latency. Everything logged inside the handler
/// carries the request id through the span.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = req.method().to_string();
    let span = tracing::info_span!("request", request_id = %id);
    let started = Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| "unmatched".into());
    let status = res.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(method, route, status, latency_ms, "request");
        } else {
            tracing::info!(method, route, status, latency_ms, "request");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
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
/// wrong method never reaches here: `routes::allowed_methods` answers it, with `Allow`.)
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

//! The one request middleware of both services: request id, W3C trace context, a server
//! span, the HTTP RED metrics with the route template (never the raw path) and one
//! access-log line per request.

use crate::metrics;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use opentelemetry::trace::TraceContextExt;
use std::time::Instant;
use tracing::field::{display, Empty};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The id of this request (request extension): the caller's `X-Request-Id` when it is sane,
/// otherwise a new one. Sent back in the response.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

pub struct Options {
    /// The route of a path, for catch-all routing (the web server's pages); `None`: the
    /// pattern of the actix route that matched (`/api/articles/{slug}`), else `unmatched`.
    pub classify: Option<fn(&str) -> &'static str>,
    /// Routes without an access-log line (probes), still measured and traced.
    pub unlogged: &'static [&'static str],
}

fn request_id(req: &ServiceRequest) -> String {
    let sane = |v: &&str| v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let given = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok());
    let given = given.filter(|v| (1..=64).contains(&v.len()) && sane(v));
    given.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string)
}

/// Known methods keep their name; anything else is `_OTHER` (bounded cardinality).
pub fn method_label(m: &Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE",
    ];
    KNOWN
        .into_iter()
        .find(|k| *k == m.as_str())
        .unwrap_or("_OTHER")
}

/// Decrements the in-flight gauge even when the client goes away mid-request.
struct Active(&'static str);

impl Drop for Active {
    fn drop(&mut self) {
        metrics::http().active.with_label_values(&[self.0]).dec();
    }
}

/// The middleware; wrap it outermost: `from_fn(|r, n| observe(&OPTIONS, r, n))`.
pub async fn observe<B: MessageBody>(
    options: &Options,
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let id = request_id(&req);
    req.extensions_mut().insert(RequestId(id.clone()));
    let method = method_label(req.method());
    let span = tracing::info_span!(
        "HTTP",
        otel.kind = "server",
        otel.status_code = Empty,
        http.request.method = method,
        http.route = Empty,
        http.response.status_code = Empty,
        request_id = %id,
        trace_id = Empty,
        span_id = Empty,
    );
    // The caller's trace continues here (an invalid or missing header starts a new one). The
    // span reaches OpenTelemetry only while spans are exported: otherwise the ids are made here.
    let parent = crate::traces::extract(req.headers());
    let exported = crate::traces::active();
    let cx = if exported {
        let _ = span.set_parent(parent);
        span.context()
    } else {
        crate::traces::local(parent)
    };
    let ids = cx.span().span_context().clone();
    span.record("trace_id", display(ids.trace_id()));
    span.record("span_id", display(ids.span_id()));
    // Calls this request makes to other services (the web server's API calls) continue it.
    for (name, value) in crate::traces::inject(&cx) {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_str(&value)) {
            req.headers_mut().insert(n, v);
        }
    }
    let classified = options.classify.map(|classify| classify(req.path()));
    let http = metrics::http();
    http.active.with_label_values(&[method]).inc();
    let (active, started) = (Active(method), Instant::now());
    let mut result = next.call(req).instrument(span.clone()).await;
    let elapsed = started.elapsed().as_secs_f64();
    drop(active);
    let status = match &result {
        Ok(res) => res.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    let status = status.as_u16();
    let matched = result.as_ref().ok().filter(|_| classified.is_none());
    let route = matched.and_then(|res| res.request().match_pattern());
    let route = route.unwrap_or_else(|| classified.unwrap_or("unmatched").to_string());
    let labels = [method, &route, &status.to_string()];
    http.duration.with_label_values(&labels).observe(elapsed);
    // Started above (for its ids): the name is set on the OpenTelemetry span itself.
    if exported {
        cx.span().update_name(format!("{method} {route}"));
    }
    span.record("http.route", route.as_str());
    span.record("http.response.status_code", i64::from(status));
    if status >= 500 {
        span.record("otel.status_code", "error");
    }
    if !options.unlogged.contains(&route.as_str()) {
        let latency_ms = elapsed * 1000.0;
        let _entered = span.enter();
        if status >= 500 {
            tracing::warn!(method, route, status, latency_ms, "request");
        } else {
            tracing::info!(method, route, status, latency_ms, "request");
        }
    }
    if let (Ok(res), Ok(v)) = (&mut result, HeaderValue::from_str(&id)) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    result
}

//! The web server's metrics (admin listener `/metrics`) and its per-request log line.
//!
//! Same conventions as the API: `http_server_request_duration_seconds` by route template,
//! `http_server_active_requests`, plus `conduit_web_render_duration_seconds` (server-side
//! rendering per template, API calls included), `conduit_web_api_call_duration_seconds`
//! (each API call SSR makes, by operation and status), process metrics and
//! `conduit_web_build_info`.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpResponse;
use opentelemetry::metrics::{Histogram, MeterProvider, UpDownCounter};
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use prometheus::{Encoder, Registry};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// Templates whose render series exist from the first scrape.
pub const TEMPLATES: [&str; 7] = [
    "index", "login", "register", "settings", "editor", "article", "profile",
];

pub struct Metrics {
    registry: Registry,
    _provider: SdkMeterProvider,
    http_duration: Histogram<f64>,
    http_active: UpDownCounter<i64>,
    render_duration: Histogram<f64>,
    api_duration: Histogram<f64>,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

pub fn global() -> &'static Metrics {
    METRICS.get_or_init(|| Metrics::new().expect("metrics registry"))
}

impl Metrics {
    fn new() -> Result<Self, Box<dyn std::error::Error>> {
        let registry = Registry::new();
        registry.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))?;
        let build = prometheus::IntGaugeVec::new(
            prometheus::Opts::new(
                "conduit_web_build_info",
                "Version and git revision of this build (always 1).",
            ),
            &["version", "revision"],
        )?;
        registry.register(Box::new(build.clone()))?;
        build
            .with_label_values(&[
                env!("CARGO_PKG_VERSION"),
                option_env!("CONDUIT_GIT_REVISION").unwrap_or("unknown"),
            ])
            .set(1);
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .without_target_info()
            .scope_info_enabled(false)
            .build()?;
        let provider = SdkMeterProvider::builder().with_reader(exporter).build();
        let meter = provider.meter("conduit-web");
        let histogram = |name: &'static str, description: &'static str| {
            meter
                .f64_histogram(name)
                .with_description(description)
                .with_unit("s")
                .with_boundaries(BUCKETS.to_vec())
                .build()
        };
        let m = Self {
            http_duration: histogram("http.server.request.duration", "Duration of HTTP server requests."),
            render_duration: histogram(
                "conduit.web.render.duration",
                "Server-side rendering of a page (initial load or state for client navigation), by template; includes its API calls.",
            ),
            api_duration: histogram(
                "conduit.web.api_call.duration",
                "API calls made while rendering, by operation and HTTP status (0: unreachable).",
            ),
            http_active: meter
                .i64_up_down_counter("http.server.active_requests")
                .with_description("Number of active HTTP server requests.")
                .with_unit("{request}")
                .build(),
            registry,
            _provider: provider,
        };
        m.http_active
            .add(0, &[KeyValue::new("http.request.method", "GET")]);
        for t in TEMPLATES {
            m.render_duration
                .record(0.0, &[KeyValue::new("template", t)]);
        }
        Ok(m)
    }
}

/// `GET /metrics` on the admin listener.
pub async fn scrape() -> HttpResponse {
    let mut out = Vec::new();
    let _ = prometheus::TextEncoder::new().encode(&global().registry.gather(), &mut out);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(out)
}

pub fn api_call(operation: &'static str, status: u16, elapsed: Duration) {
    global().api_duration.record(
        elapsed.as_secs_f64(),
        &[
            KeyValue::new("operation", operation),
            KeyValue::new("http.response.status_code", i64::from(status)),
        ],
    );
}

/// The route template of a path, for bounded label values, and the page template it
/// renders (if any). Perseus' catch-all matches everything, so this mirrors its routes.
pub fn classify(path: &str) -> (&'static str, Option<&'static str>) {
    let page = |route, template| (route, Some(template));
    let path = path.strip_prefix("/.perseus/page/").map_or(path, |rest| {
        // `/.perseus/page/{locale}/{path}.json`: state for client-side navigation.
        rest.split_once('/').map_or("", |(_, p)| p)
    });
    let trimmed = path.trim_start_matches('/').trim_end_matches(".json");
    let first = trimmed.split('/').next().unwrap_or("");
    let deeper = trimmed.contains('/');
    match (first, deeper) {
        ("", _) | ("index", false) => page("/", "index"),
        ("login", false) => page("/login", "login"),
        ("register", false) => page("/register", "register"),
        ("settings", false) => page("/settings", "settings"),
        ("editor", false) => page("/editor", "editor"),
        ("editor", true) => page("/editor/{slug}", "editor"),
        ("article", true) => page("/article/{slug}", "article"),
        ("profile", true) if trimmed.ends_with("/favorites") => {
            page("/profile/{username}/favorites", "profile")
        }
        ("profile", true) => page("/profile/{username}", "profile"),
        ("healthz", false) => ("/healthz", None),
        ("readyz", false) => ("/readyz", None),
        ("api", _) => ("/api/{tail}", None),
        (".perseus", _) => ("/.perseus/{asset}", None),
        _ => ("unmatched", None),
    }
}

/// Decrements the in-flight gauge even when the client goes away mid-request.
struct Active(KeyValue);

impl Drop for Active {
    fn drop(&mut self) {
        global().http_active.add(-1, std::slice::from_ref(&self.0));
    }
}

/// W3C trace context (the caller's `traceparent`, or a new trace that the API calls then
/// continue), metrics, and one JSON log line per request.
pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let m = global();
    let traceparent = req
        .headers()
        .get("traceparent")
        .and_then(|v| v.to_str().ok())
        .filter(|v| valid_traceparent(v))
        .map(str::to_string)
        .unwrap_or_else(new_traceparent);
    if let Ok(v) = HeaderValue::from_str(&traceparent) {
        req.headers_mut()
            .insert(HeaderName::from_static("traceparent"), v);
    }
    let trace_id = traceparent.get(3..35).unwrap_or("").to_string();
    let method = req.method().to_string();
    let method_label = match method.as_str() {
        "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" => method.clone(),
        _ => "_OTHER".to_string(),
    };
    let method_kv = KeyValue::new("http.request.method", method_label);
    let (route, template) = classify(req.path());
    m.http_active.add(1, std::slice::from_ref(&method_kv));
    let active = Active(method_kv.clone());
    let started = Instant::now();
    let result = next.call(req).await;
    let elapsed = started.elapsed();
    drop(active);
    let status = match &result {
        Ok(res) => res.status().as_u16(),
        Err(e) => e.as_response_error().status_code().as_u16(),
    };
    m.http_duration.record(
        elapsed.as_secs_f64(),
        &[
            method_kv,
            KeyValue::new("http.route", route),
            KeyValue::new("http.response.status_code", i64::from(status)),
        ],
    );
    if let Some(t) = template {
        m.render_duration
            .record(elapsed.as_secs_f64(), &[KeyValue::new("template", t)]);
    }
    if route != "/healthz" && route != "/readyz" {
        tracing::info!(
            trace_id = %trace_id,
            method = %method,
            route,
            status,
            latency_ms = elapsed.as_secs_f64() * 1000.0,
            "request"
        );
    }
    result
}

fn valid_traceparent(v: &str) -> bool {
    let parts: Vec<&str> = v.split('-').collect();
    parts.len() == 4
        && parts[0] == "00"
        && parts[1].len() == 32
        && parts[2].len() == 16
        && parts[3].len() == 2
        && parts.iter().all(|p| {
            p.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        })
        && parts[1].bytes().any(|b| b != b'0')
        && parts[2].bytes().any(|b| b != b'0')
}

fn new_traceparent() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    format!(
        "00-{:032x}-{:016x}-01",
        rng.gen::<u128>() | 1,
        rng.gen::<u64>() | 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_templates_not_raw_paths() {
        assert_eq!(classify("/"), ("/", Some("index")));
        assert_eq!(
            classify("/article/some-slug"),
            ("/article/{slug}", Some("article"))
        );
        assert_eq!(
            classify("/profile/jake/favorites"),
            ("/profile/{username}/favorites", Some("profile"))
        );
        assert_eq!(
            classify("/.perseus/page/xx-XX/article/a.json"),
            ("/article/{slug}", Some("article"))
        );
        assert_eq!(
            classify("/.perseus/bundle.wasm"),
            ("/.perseus/{asset}", None)
        );
        assert_eq!(classify("/api/articles"), ("/api/{tail}", None));
        assert_eq!(classify("/wp-admin/x"), ("unmatched", None));
    }

    #[test]
    fn only_well_formed_traceparents_are_continued() {
        assert!(valid_traceparent(
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent(
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent(
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"
        ));
        assert!(!valid_traceparent("garbage"));
        assert!(valid_traceparent(&new_traceparent()));
    }
}

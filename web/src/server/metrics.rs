//! The web server's metrics and request telemetry: the shared middleware of
//! `conduit_observability` (request id, trace context continued into the API calls, HTTP
//! metrics with route templates, one JSON log line) plus `conduit_web_render_duration_seconds`
//! (server-side rendering per template, API calls included),
//! `conduit_web_api_call_duration_seconds` (each API call SSR makes, by operation and
//! status) and `conduit_web_build_info`. Served on the admin listener.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use conduit_observability::http::{observe, Options};
use conduit_observability::metrics::{self as shared, HTTP_BUCKETS};
use prometheus::HistogramVec;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Templates whose render series exist from the first scrape.
pub const TEMPLATES: [&str; 7] = [
    "index", "login", "register", "settings", "editor", "article", "profile",
];

pub struct Metrics {
    render_duration: HistogramVec,
    api_duration: HistogramVec,
}

pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        shared::build_info(
            "conduit_web_build_info",
            &[],
            env!("CARGO_PKG_VERSION"),
            option_env!("CONDUIT_GIT_REVISION"),
        );
        let m = Metrics {
            render_duration: shared::histogram(
                "conduit_web_render_duration_seconds",
                "Server-side rendering of a page (initial load or state for client navigation), by template; includes its API calls.",
                &["template"],
                &HTTP_BUCKETS,
            ),
            api_duration: shared::histogram(
                "conduit_web_api_call_duration_seconds",
                "API calls made while rendering, by operation and HTTP status (0: unreachable).",
                &["operation", "http_response_status_code"],
                &HTTP_BUCKETS,
            ),
        };
        for t in TEMPLATES {
            m.render_duration.with_label_values(&[t]);
        }
        m
    })
}

pub fn api_call(operation: &'static str, status: u16, elapsed: Duration) {
    global()
        .api_duration
        .with_label_values(&[operation, &status.to_string()])
        .observe(elapsed.as_secs_f64());
}

/// Probes are measured but not logged.
const TELEMETRY: Options = Options {
    classify: Some(route),
    unlogged: &["/healthz", "/readyz"],
};

fn route(path: &str) -> &'static str {
    classify(path).0
}

/// The shared request telemetry, and the render time of pages.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let template = classify(req.path()).1;
    let started = Instant::now();
    let result = observe(&TELEMETRY, req, next).await;
    if let Some(t) = template {
        global()
            .render_duration
            .with_label_values(&[t])
            .observe(started.elapsed().as_secs_f64());
    }
    result
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
}

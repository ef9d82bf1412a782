//! Prometheus metrics in the `prometheus` crate's default registry (which carries its process
//! collector on Linux): build info, the semantic conventions' HTTP server metrics (recorded by
//! [`crate::http`]) and the services' own, served on the admin listener, never the public one.

use actix_web::{dev::Server, web, App, HttpResponse, HttpServer};
use prometheus::core::Collector;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts};
use std::sync::{Mutex, MutexGuard, OnceLock};

/// Request duration buckets (seconds): 5 ms … 10 s, the semantic conventions' advice.
pub const HTTP_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// Run before each scrape (see [`before_scrape`]).
fn hooks() -> MutexGuard<'static, Vec<Box<dyn Fn() + Send + Sync>>> {
    static HOOKS: Mutex<Vec<Box<dyn Fn() + Send + Sync>>> = Mutex::new(Vec::new());
    HOOKS.lock().unwrap_or_else(|p| p.into_inner())
}

/// Registers `collector` in the default registry and returns it (a clone shares the series).
pub fn register<C: Collector + Clone + 'static>(collector: prometheus::Result<C>) -> C {
    let collector = collector.expect("a valid metric definition");
    if let Err(e) = prometheus::register(Box::new(collector.clone())) {
        tracing::warn!(error = %e, "registering a metric");
    }
    collector
}

/// A histogram of seconds with `buckets`.
pub fn histogram(name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> HistogramVec {
    let opts = HistogramOpts::new(name, help).buckets(buckets.to_vec());
    register(HistogramVec::new(opts, labels))
}

/// A counter with `labels`.
pub fn counter(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(IntCounterVec::new(Opts::new(name, help), labels))
}

/// A gauge with `labels`.
pub fn gauge(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    register(IntGaugeVec::new(Opts::new(name, help), labels))
}

/// `name{labels…, version, revision} 1`; the revision is `CONDUIT_GIT_REVISION` at build time.
pub fn build_info(name: &str, labels: &[(&str, &str)], version: &str, revision: Option<&str>) {
    let revision = revision.filter(|r| !r.is_empty()).unwrap_or("unknown");
    let all = labels
        .iter()
        .copied()
        .chain([("version", version), ("revision", revision)]);
    let (names, values): (Vec<&str>, Vec<&str>) = all.unzip();
    let help = "Build information: version and git revision; always 1.";
    gauge(name, help, &names).with_label_values(&values).set(1);
}

/// `f` runs before each scrape (gauges read from elsewhere, such as a connection pool).
pub fn before_scrape(f: impl Fn() + Send + Sync + 'static) {
    hooks().push(Box::new(f));
}

/// The HTTP server metrics of the semantic conventions.
pub(crate) struct Http {
    pub duration: HistogramVec,
    pub active: IntGaugeVec,
}

pub(crate) fn http() -> &'static Http {
    static HTTP: OnceLock<Http> = OnceLock::new();
    HTTP.get_or_init(|| {
        let labels = [
            "http_request_method",
            "http_route",
            "http_response_status_code",
        ];
        let duration = histogram(
            "http_server_request_duration_seconds",
            "Duration of HTTP server requests.",
            &labels,
            &HTTP_BUCKETS,
        );
        let help = "Number of active HTTP server requests.";
        let active = gauge("http_server_active_requests", help, &labels[..1]);
        // The series alerts read exists from the first scrape.
        let _ = active.with_label_values(&["GET"]);
        Http { duration, active }
    })
}

/// The Prometheus text exposition of every metric.
pub fn render() -> String {
    http();
    hooks().iter().for_each(|hook| hook());
    let mut out = Vec::new();
    if let Err(e) = prometheus::TextEncoder::new().encode(&prometheus::gather(), &mut out) {
        tracing::warn!(error = %e, "encoding metrics");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The admin listener: `/metrics` (text format 0.0.4) and `/healthz`, one worker.
pub fn admin_server(listener: std::net::TcpListener) -> std::io::Result<Server> {
    http();
    let app = || {
        let healthz = || async { HttpResponse::Ok().body("ok") };
        App::new()
            .route("/metrics", web::get().to(scrape))
            .route("/healthz", web::get().to(healthz))
    };
    Ok(HttpServer::new(app)
        .listen(listener)?
        .workers(1)
        .disable_signals()
        .run())
}

async fn scrape() -> HttpResponse {
    // Reading /proc and encoding is quick, but blocking file reads stay off the event loop.
    let body = web::block(render).await.unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

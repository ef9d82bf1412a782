//! Metrics: OpenTelemetry instruments exported in the Prometheus text format on the admin
//! listener (`/metrics`, see [`crate::admin`]), never on the public one.
//!
//! One set of instruments per process ([`global`]): the HTTP server metrics of the
//! OpenTelemetry semantic conventions (recorded by [`http_middleware`]), the PostgreSQL pool
//! ([`observe_pool`]), business counters and the Redis/cache/rate-limit metrics (plain
//! functions that the code at those places calls), process metrics read from `/proc` at each
//! scrape, and `conduit_build_info`. Every series that can start at zero is created at zero, so
//! alert rules and dashboards find it from the first scrape. The catalogue is in
//! `docs/observability.md`.

// nosemgrep: conduit.layers.infrastructure-knows-no-http -- the request middleware below moves to the HTTP layer (issue 19, "obs")
use crate::http::ApiError;
use crate::telemetry::TraceContext;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use opentelemetry::metrics::{Counter, Histogram, MeterProvider, ObservableGauge, UpDownCounter};
use opentelemetry::KeyValue;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use prometheus::{Encoder, HistogramOpts, HistogramVec, IntGaugeVec, Opts, Registry};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// Request duration buckets (seconds): 5 ms … 10 s, the semantic conventions' advice.
pub const HTTP_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// Redis answers in well under a millisecond when healthy.
const REDIS_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Pool name label of the `db_client_connections_*` series.
pub const POOL_NAME: &str = "conduit";
/// Caches whose hit/miss series exist from the start (others appear on first use).
pub const KNOWN_CACHES: [&str; 2] = ["articles", "tags"];
/// Redis commands whose duration series exist from the start.
pub const KNOWN_REDIS_COMMANDS: [&str; 6] = ["get", "set", "del", "incr", "expire", "ping"];

type PoolStatus = Box<dyn Fn() -> Option<deadpool_postgres::Status> + Send + Sync>;

/// Every instrument of the process and the registry `/metrics` renders.
pub struct Metrics {
    registry: Registry,
    _provider: SdkMeterProvider,
    http_duration: Histogram<f64>,
    http_active: UpDownCounter<i64>,
    db_operation_duration: Histogram<f64>,
    db_errors: Counter<u64>,
    users_registered: Counter<u64>,
    articles_published: Counter<u64>,
    comments_posted: Counter<u64>,
    logins_failed: Counter<u64>,
    cache_requests: Counter<u64>,
    ratelimit_rejections: Counter<u64>,
    redis_errors: Counter<u64>,
    redis_duration: HistogramVec,
    redis_fallback: Arc<AtomicI64>,
    pools: Arc<Mutex<Vec<PoolStatus>>>,
    process: Process,
    _observers: Vec<ObservableGauge<i64>>,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// The process-wide instruments, created on first use.
pub fn global() -> &'static Metrics {
    METRICS.get_or_init(|| Metrics::new().expect("metrics registry"))
}

impl Metrics {
    fn new() -> anyhow::Result<Self> {
        let registry = Registry::new();
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .without_target_info()
            .scope_info_enabled(false)
            .build()?;
        let provider = SdkMeterProvider::builder().with_reader(exporter).build();
        let meter = provider.meter("conduit-api");

        let http_duration = meter
            .f64_histogram("http.server.request.duration")
            .with_description("Duration of HTTP server requests.")
            .with_unit("s")
            .with_boundaries(HTTP_BUCKETS.to_vec())
            .build();
        let http_active = meter
            .i64_up_down_counter("http.server.active_requests")
            .with_description("Number of active HTTP server requests.")
            .with_unit("{request}")
            .build();
        let db_operation_duration = meter
            .f64_histogram("db.client.operation.duration")
            .with_description("Duration of database client operations, by statement name.")
            .with_unit("s")
            .with_boundaries(HTTP_BUCKETS.to_vec())
            .build();
        let counter = |name: &'static str, description: &'static str| {
            meter
                .u64_counter(name)
                .with_description(description)
                .build()
        };
        let db_errors = counter(
            "conduit.db.errors",
            "Requests that failed because of the database, by kind (unavailable: pool timeout, refused or lost connection; internal: any other database error).",
        );
        let users_registered = counter("conduit.users.registered", "Users registered.");
        let articles_published = counter("conduit.articles.published", "Articles published.");
        let comments_posted = counter("conduit.comments.posted", "Comments posted.");
        let logins_failed = counter(
            "conduit.logins.failed",
            "Login attempts rejected for a wrong email or password.",
        );
        let cache_requests = counter(
            "conduit.cache.requests",
            "Cache lookups, by cache and result (hit, miss).",
        );
        let ratelimit_rejections = counter(
            "conduit.ratelimit.rejections",
            "Requests rejected by the rate limiter (429).",
        );
        let redis_errors = counter(
            "conduit.redis.errors",
            "Redis commands that failed (connection or command error).",
        );

        let pools: Arc<Mutex<Vec<PoolStatus>>> = Arc::default();
        let statuses = {
            let pools = pools.clone();
            move || -> Option<deadpool_postgres::Status> {
                let mut pools = pools.lock().ok()?;
                let mut total: Option<deadpool_postgres::Status> = None;
                pools.retain(|status| match status() {
                    Some(s) => {
                        total = Some(match total {
                            None => s,
                            Some(t) => deadpool_postgres::Status {
                                max_size: t.max_size + s.max_size,
                                size: t.size + s.size,
                                available: t.available + s.available,
                                waiting: t.waiting + s.waiting,
                            },
                        });
                        true
                    }
                    None => false,
                });
                total
            }
        };
        let statuses = Arc::new(statuses);
        let pool_attr = KeyValue::new("db.client.connections.pool.name", POOL_NAME);
        let usage = {
            let (statuses, pool_attr) = (statuses.clone(), pool_attr.clone());
            meter
                .i64_observable_gauge("db.client.connections.usage")
                .with_description("Connections in the pool, by state (idle, used).")
                .with_unit("{connection}")
                .with_callback(move |o| {
                    let s = statuses().unwrap_or(EMPTY_POOL);
                    let idle = s.available as i64;
                    let used = (s.size as i64 - idle).max(0);
                    for (state, value) in [("idle", idle), ("used", used)] {
                        o.observe(
                            value,
                            &[
                                pool_attr.clone(),
                                KeyValue::new("db.client.connections.state", state),
                            ],
                        );
                    }
                })
                .build()
        };
        let max = {
            let (statuses, pool_attr) = (statuses.clone(), pool_attr.clone());
            meter
                .i64_observable_gauge("db.client.connections.max")
                .with_description("Maximum number of connections the pool opens.")
                .with_unit("{connection}")
                .with_callback(move |o| {
                    let s = statuses().unwrap_or(EMPTY_POOL);
                    o.observe(s.max_size as i64, std::slice::from_ref(&pool_attr));
                })
                .build()
        };
        let pending = {
            let (statuses, pool_attr) = (statuses.clone(), pool_attr.clone());
            meter
                .i64_observable_gauge("db.client.connections.pending_requests")
                .with_description("Requests waiting for a connection from the pool.")
                .with_unit("{request}")
                .with_callback(move |o| {
                    let s = statuses().unwrap_or(EMPTY_POOL);
                    o.observe(s.waiting as i64, std::slice::from_ref(&pool_attr));
                })
                .build()
        };
        let redis_fallback = Arc::new(AtomicI64::new(0));
        let fallback = {
            let redis_fallback = redis_fallback.clone();
            meter
                .i64_observable_gauge("conduit.redis.fallback_active")
                .with_description(
                    "1 while Redis is unreachable and sessions, cache and rate limits run in their degraded in-process mode.",
                )
                .with_callback(move |o| o.observe(redis_fallback.load(Ordering::Relaxed), &[]))
                .build()
        };

        // Plain Prometheus collectors: a histogram whose series exist before the first
        // observation, the build info, and the process metrics.
        let redis_duration = HistogramVec::new(
            HistogramOpts::new(
                "conduit_redis_command_duration_seconds",
                "Duration of Redis commands, by command.",
            )
            .buckets(REDIS_BUCKETS.to_vec()),
            &["command"],
        )?;
        registry.register(Box::new(redis_duration.clone()))?;
        let build_info = IntGaugeVec::new(
            Opts::new(
                "conduit_build_info",
                "Build information: version and git revision; always 1.",
            ),
            &["service", "version", "revision"],
        )?;
        build_info
            .with_label_values(&["conduit-api", env!("CARGO_PKG_VERSION"), revision()])
            .set(1);
        registry.register(Box::new(build_info))?;
        let process = Process::register(&registry)?;

        let m = Self {
            registry,
            _provider: provider,
            http_duration,
            http_active,
            db_operation_duration,
            db_errors,
            users_registered,
            articles_published,
            comments_posted,
            logins_failed,
            cache_requests,
            ratelimit_rejections,
            redis_errors,
            redis_duration,
            redis_fallback,
            pools,
            process,
            _observers: vec![usage, max, pending, fallback],
        };
        m.zero();
        Ok(m)
    }

    /// Creates the series that alerts and dashboards read at zero.
    fn zero(&self) {
        self.http_active
            .add(0, &[KeyValue::new("http.request.method", "GET")]);
        for kind in ["unavailable", "internal"] {
            self.db_errors.add(0, &[KeyValue::new("kind", kind)]);
        }
        for c in [
            &self.users_registered,
            &self.articles_published,
            &self.comments_posted,
            &self.logins_failed,
            &self.ratelimit_rejections,
            &self.redis_errors,
        ] {
            c.add(0, &[]);
        }
        for cache in KNOWN_CACHES {
            for result in ["hit", "miss"] {
                self.cache_requests.add(
                    0,
                    &[
                        KeyValue::new("cache", cache),
                        KeyValue::new("result", result),
                    ],
                );
            }
        }
        for command in KNOWN_REDIS_COMMANDS {
            let _ = self.redis_duration.with_label_values(&[command]);
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        self.process.refresh();
        let mut out = Vec::new();
        if let Err(e) = prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "encoding metrics");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

const EMPTY_POOL: deadpool_postgres::Status = deadpool_postgres::Status {
    max_size: 0,
    size: 0,
    available: 0,
    waiting: 0,
};

/// The git revision baked in at build time (`CONDUIT_GIT_REVISION`), or `unknown`.
fn revision() -> &'static str {
    match option_env!("CONDUIT_GIT_REVISION") {
        Some(r) if !r.is_empty() => r,
        _ => "unknown",
    }
}

/// Reports this pool in `db_client_connections_*` (summed over the pools of the process). The
/// pool is held weakly: metrics never keep connections open.
pub fn observe_pool(pool: &deadpool_postgres::Pool) {
    let weak = pool.weak();
    if let Ok(mut pools) = global().pools.lock() {
        pools.push(Box::new(move || weak.upgrade().map(|p| p.status())));
    }
}

/// A database statement finished (`statement`: a fixed name such as `articles_list`, never SQL).
pub fn db_operation(statement: &'static str, elapsed: Duration) {
    global().db_operation_duration.record(
        elapsed.as_secs_f64(),
        &[KeyValue::new("db.operation.name", statement)],
    );
}

pub fn user_registered() {
    global().users_registered.add(1, &[]);
}

pub fn article_published() {
    global().articles_published.add(1, &[]);
}

pub fn comment_posted() {
    global().comments_posted.add(1, &[]);
}

pub fn login_failed() {
    global().logins_failed.add(1, &[]);
}

/// A cache lookup: `cache` is a fixed name (see [`KNOWN_CACHES`]), never a key.
pub fn cache_lookup(cache: &'static str, hit: bool) {
    global().cache_requests.add(
        1,
        &[
            KeyValue::new("cache", cache),
            KeyValue::new("result", if hit { "hit" } else { "miss" }),
        ],
    );
}

/// The rate limiter answered 429.
pub fn ratelimit_rejected() {
    global().ratelimit_rejections.add(1, &[]);
}

/// A Redis command finished (`command`: lower-case command name such as `get`).
pub fn redis_command(command: &str, elapsed: Duration, ok: bool) {
    let m = global();
    m.redis_duration
        .with_label_values(&[command])
        .observe(elapsed.as_secs_f64());
    if !ok {
        m.redis_errors.add(1, &[]);
    }
}

/// Redis became unreachable (`true`) and the degraded in-process mode took over, or is back.
pub fn set_redis_fallback(active: bool) {
    global()
        .redis_fallback
        .store(i64::from(active), Ordering::Relaxed);
}

/// Known methods keep their name; anything else is `_OTHER` (bounded cardinality).
fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "_OTHER",
    }
}

/// Decrements the in-flight gauge even when the client goes away mid-request.
struct Active(KeyValue);

impl Drop for Active {
    fn drop(&mut self) {
        global().http_active.add(-1, std::slice::from_ref(&self.0));
    }
}

/// The outermost middleware: W3C trace context (the caller's `traceparent`, or a new trace)
/// as a span around everything logged for the request, and the HTTP server metrics with
/// the route template (`/api/articles/{slug}`), never the raw path.
pub async fn http_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let m = global();
    let trace = TraceContext::from_headers(req.headers());
    let span = tracing::info_span!(
        "http",
        trace_id = %trace.trace_id,
        span_id = %trace.span_id,
    );
    req.extensions_mut().insert(trace);
    let method = KeyValue::new("http.request.method", method_label(req.method()));
    m.http_active.add(1, std::slice::from_ref(&method));
    let active = Active(method.clone());
    let started = Instant::now();
    let result = next.call(req).instrument(span).await;
    let elapsed = started.elapsed().as_secs_f64();
    let (route, status) = match &result {
        Ok(res) => {
            if let Some(e) = res
                .response()
                .error()
                .and_then(|e| e.as_error::<ApiError>())
            {
                let kind = match e {
                    ApiError::Unavailable(_) => Some("unavailable"),
                    ApiError::Internal(_) => Some("internal"),
                    _ => None,
                };
                if let Some(kind) = kind {
                    m.db_errors.add(1, &[KeyValue::new("kind", kind)]);
                }
            }
            (
                res.request()
                    .match_pattern()
                    .unwrap_or_else(|| "unmatched".into()),
                res.status().as_u16(),
            )
        }
        Err(e) => (
            "unmatched".to_string(),
            e.as_response_error().status_code().as_u16(),
        ),
    };
    m.http_duration.record(
        elapsed,
        &[
            method,
            KeyValue::new("http.route", route),
            KeyValue::new("http.response.status_code", i64::from(status)),
        ],
    );
    drop(active);
    result
}

/// Process metrics in the names every Prometheus client library uses, read from `/proc`
/// at each scrape (Linux only; elsewhere they stay at zero).
struct Process {
    cpu: prometheus::Counter,
    rss: prometheus::Gauge,
    vsize: prometheus::Gauge,
    open_fds: prometheus::Gauge,
    max_fds: prometheus::Gauge,
    threads: prometheus::Gauge,
    start: prometheus::Gauge,
}

/// The kernel reports CPU times in USER_HZ clock ticks, 100 on every Linux architecture.
const USER_HZ: f64 = 100.0;

impl Process {
    fn register(registry: &Registry) -> prometheus::Result<Self> {
        let gauge = |name: &str, help: &str| -> prometheus::Result<prometheus::Gauge> {
            let g = prometheus::Gauge::new(name, help)?;
            registry.register(Box::new(g.clone()))?;
            Ok(g)
        };
        let cpu = prometheus::Counter::new(
            "process_cpu_seconds_total",
            "Total user and system CPU time spent in seconds.",
        )?;
        registry.register(Box::new(cpu.clone()))?;
        let p = Self {
            cpu,
            rss: gauge(
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
            )?,
            vsize: gauge(
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
            )?,
            open_fds: gauge("process_open_fds", "Number of open file descriptors.")?,
            max_fds: gauge(
                "process_max_fds",
                "Maximum number of open file descriptors.",
            )?,
            threads: gauge("process_threads", "Number of OS threads in the process.")?,
            start: gauge(
                "process_start_time_seconds",
                "Start time of the process since unix epoch in seconds.",
            )?,
        };
        p.start.set(start_time().unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64())
        }));
        Ok(p)
    }

    fn refresh(&self) {
        if let Some(stat) = self_stat() {
            // Fields after the command name: state is [0], utime [11], stime [12].
            let ticks: f64 = [11, 12]
                .iter()
                .filter_map(|&i| stat.get(i).and_then(|v| v.parse::<f64>().ok()))
                .sum();
            let delta = ticks / USER_HZ - self.cpu.get();
            if delta > 0.0 {
                self.cpu.inc_by(delta);
            }
        }
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            for line in status.lines() {
                let mut parts = line.split_whitespace();
                let key = parts.next().unwrap_or_default();
                let value: f64 = parts.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
                match key {
                    "VmRSS:" => self.rss.set(value * 1024.0),
                    "VmSize:" => self.vsize.set(value * 1024.0),
                    "Threads:" => self.threads.set(value),
                    _ => {}
                }
            }
        }
        if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
            self.open_fds.set(dir.count() as f64);
        }
        if let Ok(limits) = std::fs::read_to_string("/proc/self/limits") {
            if let Some(soft) = limits
                .lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l["Max open files".len()..].split_whitespace().next())
                .and_then(|v| v.parse::<f64>().ok())
            {
                self.max_fds.set(soft);
            }
        }
    }
}

/// `/proc/self/stat` split after the command name (which may contain spaces).
fn self_stat() -> Option<Vec<String>> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Boot time plus the process start in ticks since boot.
fn start_time() -> Option<f64> {
    let ticks: f64 = self_stat()?.get(19)?.parse().ok()?;
    let btime: f64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    Some(btime + ticks / USER_HZ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_set_are_other() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"PROPFIND").unwrap()),
            "_OTHER"
        );
    }

    #[test]
    fn the_scrape_names_follow_the_conventions() {
        let text = global().render();
        for name in [
            "conduit_build_info{",
            "conduit_users_registered_total 0",
            "conduit_cache_requests_total{cache=\"tags\",result=\"hit\"} 0",
            "conduit_redis_command_duration_seconds_bucket{command=\"get\",le=\"0.001\"} 0",
            "conduit_redis_fallback_active 0",
            "process_cpu_seconds_total ",
            "process_resident_memory_bytes ",
            "process_open_fds ",
            "process_start_time_seconds ",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
        let rss: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("process_resident_memory_bytes "))
            .and_then(|v| v.parse().ok())
            .unwrap();
        assert!(rss > 1e6, "RSS {rss} is implausible");
    }
}

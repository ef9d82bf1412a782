//! The API's own metrics, in the shared Prometheus registry (see `conduit_observability`,
//! which also records the HTTP server, process and build metrics): database statements and
//! pool, business counters, cache, rate limiter and Redis. Every series that can start at
//! zero exists from the first scrape, so alert rules and dashboards find it. The catalogue is
//! in `docs/observability.md`.

use conduit_observability::metrics::{build_info, counter, gauge, histogram, HTTP_BUCKETS};
use prometheus::{HistogramVec, IntCounter, IntCounterVec, IntGauge};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Redis answers in well under a millisecond when healthy.
const REDIS_BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];
/// Pool name label of the `db_client_connections_*` series.
const POOL_NAME: &str = "conduit";
/// Caches whose hit/miss series exist from the start (others appear on first use).
const KNOWN_CACHES: [&str; 2] = ["articles", "tags"];
/// Redis commands whose duration series exist from the start.
const KNOWN_REDIS_COMMANDS: [&str; 6] = ["get", "set", "del", "incr", "expire", "ping"];

type PoolStatus = Box<dyn Fn() -> Option<deadpool_postgres::Status> + Send + Sync>;

pub struct Metrics {
    db_operation_duration: HistogramVec,
    db_errors: IntCounterVec,
    users_registered: IntCounter,
    articles_published: IntCounter,
    comments_posted: IntCounter,
    logins_failed: IntCounter,
    cache_requests: IntCounterVec,
    ratelimit_rejections: IntCounter,
    redis_errors: IntCounter,
    redis_duration: HistogramVec,
    redis_fallback: IntGauge,
    pools: Mutex<Vec<PoolStatus>>,
}

/// A counter without labels (its one series exists, at zero, from the start).
fn total(name: &str, help: &str) -> IntCounter {
    counter(name, help, &[]).with_label_values::<&str>(&[])
}

/// The process-wide instruments, created (at zero) on first use.
pub fn global() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let m = Metrics {
            db_operation_duration: histogram(
                "db_client_operation_duration_seconds",
                "Duration of database client operations, by statement name.",
                &["db_operation_name"],
                &HTTP_BUCKETS,
            ),
            db_errors: counter(
                "conduit_db_errors_total",
                "Requests that failed because of the database, by kind (unavailable: pool timeout, refused or lost connection; internal: any other database error).",
                &["kind"],
            ),
            users_registered: total("conduit_users_registered_total", "Users registered."),
            articles_published: total("conduit_articles_published_total", "Articles published."),
            comments_posted: total("conduit_comments_posted_total", "Comments posted."),
            logins_failed: total(
                "conduit_logins_failed_total",
                "Login attempts rejected for a wrong email or password.",
            ),
            cache_requests: counter(
                "conduit_cache_requests_total",
                "Cache lookups, by cache and result (hit, miss).",
                &["cache", "result"],
            ),
            ratelimit_rejections: total(
                "conduit_ratelimit_rejections_total",
                "Requests rejected by the rate limiter (429).",
            ),
            redis_errors: total(
                "conduit_redis_errors_total",
                "Redis commands that failed (connection or command error).",
            ),
            redis_duration: histogram(
                "conduit_redis_command_duration_seconds",
                "Duration of Redis commands, by command.",
                &["command"],
                &REDIS_BUCKETS,
            ),
            redis_fallback: gauge(
                "conduit_redis_fallback_active",
                "1 while Redis is unreachable and sessions, cache and rate limits run in their degraded in-process mode.",
                &[],
            ).with_label_values::<&str>(&[]),
            pools: Mutex::default(),
        };
        // The labelled series that alerts and dashboards read exist at zero too.
        for kind in ["unavailable", "internal"] {
            m.db_errors.with_label_values(&[kind]);
        }
        for (cache, result) in KNOWN_CACHES.iter().flat_map(|c| [(c, "hit"), (c, "miss")]) {
            m.cache_requests.with_label_values(&[cache, result]);
        }
        for command in KNOWN_REDIS_COMMANDS {
            m.redis_duration.with_label_values(&[command]);
        }
        let (version, revision) = (env!("CARGO_PKG_VERSION"), option_env!("CONDUIT_GIT_REVISION"));
        build_info("conduit_build_info", &[("service", "conduit-api")], version, revision);
        observe_pools();
        m
    })
}

/// `db_client_connections_*`, summed over the pools of the process, read at each scrape.
fn observe_pools() {
    let labels = [
        "db_client_connections_pool_name",
        "db_client_connections_state",
    ];
    let help = "Connections in the pool, by state (idle, used).";
    let usage = gauge("db_client_connections_usage", help, &labels);
    let [idle_now, used_now] = ["idle", "used"].map(|s| usage.with_label_values(&[POOL_NAME, s]));
    let help = "Maximum number of connections the pool opens.";
    let max = gauge("db_client_connections_max", help, &labels[..1]);
    let help = "Requests waiting for a connection from the pool.";
    let pending = gauge("db_client_connections_pending_requests", help, &labels[..1]);
    let [max, pending] = [max, pending].map(|g| g.with_label_values(&[POOL_NAME]));
    conduit_observability::metrics::before_scrape(move || {
        let mut sums = [0usize; 4]; // max size, size, idle, waiting
        if let Ok(mut pools) = global().pools.lock() {
            pools.retain(|status| {
                let counts = status().map(|s| [s.max_size, s.size, s.available, s.waiting]);
                counts
                    .map(|c| sums.iter_mut().zip(c).for_each(|(sum, n)| *sum += n))
                    .is_some()
            });
        }
        let [max_size, size, idle, waiting] = sums.map(|n| n as i64);
        idle_now.set(idle);
        used_now.set((size - idle).max(0));
        max.set(max_size);
        pending.set(waiting);
    });
}

/// Reports this pool in `db_client_connections_*`. Held weakly: metrics never keep
/// connections open.
pub fn observe_pool(pool: &deadpool_postgres::Pool) {
    let weak = pool.weak();
    if let Ok(mut pools) = global().pools.lock() {
        pools.push(Box::new(move || weak.upgrade().map(|p| p.status())));
    }
}

/// A database statement finished (`statement`: a fixed name such as `articles_list`, never SQL).
pub fn db_operation(statement: &'static str, elapsed: Duration) {
    let histogram = &global().db_operation_duration;
    histogram
        .with_label_values(&[statement])
        .observe(elapsed.as_secs_f64());
}

/// A request failed because of the database (`unavailable` or `internal`).
pub fn db_error(kind: &'static str) {
    global().db_errors.with_label_values(&[kind]).inc();
}

pub fn user_registered() {
    global().users_registered.inc();
}

pub fn article_published() {
    global().articles_published.inc();
}

pub fn comment_posted() {
    global().comments_posted.inc();
}

pub fn login_failed() {
    global().logins_failed.inc();
}

/// A cache lookup: `cache` is a fixed name (see [`KNOWN_CACHES`]), never a key.
pub fn cache_lookup(cache: &'static str, hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    global()
        .cache_requests
        .with_label_values(&[cache, result])
        .inc();
}

/// The rate limiter answered 429.
pub fn ratelimit_rejected() {
    global().ratelimit_rejections.inc();
}

/// A Redis command finished (`command`: lower-case command name such as `get`).
pub fn redis_command(command: &str, elapsed: Duration, ok: bool) {
    let m = global();
    m.redis_duration
        .with_label_values(&[command])
        .observe(elapsed.as_secs_f64());
    if !ok {
        m.redis_errors.inc();
    }
}

/// Redis became unreachable (`true`) and the degraded in-process mode took over, or is back.
pub fn set_redis_fallback(active: bool) {
    global().redis_fallback.set(i64::from(active));
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_scrape_names_follow_the_conventions() {
        super::global();
        let text = conduit_observability::metrics::render();
        for name in [
            "conduit_build_info{",
            "conduit_users_registered_total 0",
            "conduit_cache_requests_total{cache=\"tags\",result=\"hit\"} 0",
            "conduit_redis_command_duration_seconds_bucket{command=\"get\",le=\"0.001\"} 0",
            "conduit_redis_fallback_active 0",
            "db_client_connections_max{db_client_connections_pool_name=\"conduit\"} ",
            "process_cpu_seconds_total ",
            "process_resident_memory_bytes ",
            "process_open_fds ",
            "process_start_time_seconds ",
        ] {
            assert!(text.contains(name), "{name} missing from:\n{text}");
        }
    }
}

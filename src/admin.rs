//! The admin listener (`CONDUIT_ADMIN_LISTEN`, default 127.0.0.1:9464): operational
//! endpoints that never go through the public load balancer.

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

static STARTED: OnceLock<f64> = OnceLock::new();

pub fn server(listener: TcpListener, _production: bool) -> std::io::Result<Server> {
    STARTED.get_or_init(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    });
    Ok(HttpServer::new(|| {
        App::new()
            .route("/metrics", web::get().to(metrics))
            .route("/healthz", web::get().to(healthz))
    })
    .listen(listener)?
    .workers(1)
    .disable_signals()
    .run())
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().body("ok")
}

/// Prometheus text format: build information and process start time.
async fn metrics() -> HttpResponse {
    let body = format!(
        "# HELP conduit_build_info Build information.\n# TYPE conduit_build_info gauge\n\
         conduit_build_info{{service=\"conduit-api\",version=\"{}\"}} 1\n\
         # HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n\
         # TYPE process_start_time_seconds gauge\nprocess_start_time_seconds {}\n",
        env!("CARGO_PKG_VERSION"),
        STARTED.get().copied().unwrap_or_default()
    );
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

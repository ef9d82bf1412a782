//! The admin listener (`CONDUIT_ADMIN_LISTEN`, default 127.0.0.1:9464): operational
//! endpoints that never go through the public load balancer.

use actix_web::dev::Server;
use actix_web::{web, App, HttpResponse, HttpServer};
use std::net::TcpListener;

pub fn server(listener: TcpListener) -> std::io::Result<Server> {
    // Create the instruments now: the first scrape already shows every zero series.
    crate::metrics::global();
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

/// Prometheus text exposition format 0.0.4 of every metric (see [`crate::metrics`]).
async fn metrics() -> HttpResponse {
    // Reading /proc and encoding is quick, but blocking file reads stay off the event loop.
    let body = web::block(|| crate::metrics::global().render())
        .await
        .unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(body)
}

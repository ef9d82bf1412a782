//! The admin listener (`CONDUIT_ADMIN_LISTEN`, default 127.0.0.1:9464): `/metrics` and
//! `/healthz`, never through the public load balancer (served by `conduit_observability`).

use actix_web::dev::Server;
use std::net::TcpListener;

pub fn server(listener: TcpListener) -> std::io::Result<Server> {
    // Create the instruments now: the first scrape already shows every zero series.
    crate::metrics::global();
    conduit_observability::metrics::admin_server(listener)
}

//! Probes, outside `/api`: `/healthz` (the process is up) and `/readyz` (it can serve).

use super::AppState;
use actix_web::{web, HttpResponse};
use serde_json::json;
use std::time::Duration;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// Ready when PostgreSQL answers within a second; otherwise 503 so the load balancer
/// stops sending traffic here until it does.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let check = async {
        let client = state.pool.get().await?;
        client.simple_query("SELECT 1").await?;
        anyhow::Ok(())
    };
    match tokio::time::timeout(Duration::from_secs(1), check).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({"status": "ok", "database": "ok"})),
        Ok(Err(e)) => {
            tracing::warn!(error = %format!("{e:#}"), "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({"status": "unavailable", "database": "unreachable"}))
        }
        Err(_) => HttpResponse::ServiceUnavailable()
            .json(json!({"status": "unavailable", "database": "timeout"})),
    }
}

/// Dependency status for operators: PostgreSQL and Redis. Unlike `/readyz`, a Redis outage
/// shows here without taking the pod out of the load balancer.
pub async fn statusz(state: web::Data<AppState>) -> HttpResponse {
    let database = async {
        let client = state.pool.get().await?;
        client.simple_query("SELECT 1").await?;
        anyhow::Ok(())
    };
    let database = match tokio::time::timeout(Duration::from_secs(1), database).await {
        Ok(Ok(())) => "ok",
        _ => "unavailable",
    };
    let redis = match &state.redis {
        None => "not configured (in-process sessions, cache and rate limits)",
        Some(kv) => match kv.ping().await {
            Ok(()) => "ok",
            Err(_) => "unavailable (anonymous reads bypass the cache; signed-in requests get 503)",
        },
    };
    HttpResponse::Ok().json(json!({"database": database, "redis": redis}))
}

// Fixture for `semgrep --test` (which applies every rule to this file, whatever its
// `paths`): each `ruleid:` line must be reported, each `ok:` line must not. The `ruleid`
// lines are the edges of the import circles the crate had before it was layered.

// --- config.rs: config ↔ telemetry, config → ratelimit -------------------------------------
// ruleid: conduit.layers.config-is-a-leaf, conduit.layers.domain-imports-only-config
use crate::telemetry::TracesConfig;
// ok: conduit.layers.config-is-a-leaf
use std::time::Duration;

pub struct Settings {
    // ruleid: conduit.layers.config-is-a-leaf, conduit.layers.domain-imports-only-config
    pub rate_limits: crate::ratelimit::Rules,
    // ok: conduit.layers.config-is-a-leaf
    pub shutdown_timeout: Duration,
}

// --- domain/: only configuration -------------------------------------------------------------
// ok: conduit.layers.domain-imports-only-config
use super::text::bounded;
// ruleid: conduit.layers.domain-imports-only-config, conduit.layers.config-is-a-leaf
use crate::db::DbError;

// ruleid: conduit.layers.domain-imports-only-config
fn column(r: &tokio_postgres::Row) -> String {
    r.get("username")
}

// --- db/: the circle error → kv/ratelimit → metrics → error ran through `db → error` -------
// ruleid: conduit.layers.db-knows-no-http, conduit.layers.infrastructure-knows-no-http, conduit.layers.config-is-a-leaf, conduit.layers.domain-imports-only-config
use crate::error::{is_unique_violation, ApiError, ApiResult};
// ok: conduit.layers.db-knows-no-http
use super::error::{DbError, DbResult};

// ruleid: conduit.layers.db-knows-no-http, conduit.layers.domain-imports-only-config
fn summary(r: &Row) -> conduit_types::ArticleSummary {
    todo()
}

// ruleid: conduit.layers.db-knows-no-http, conduit.layers.only-http-knows-actix, conduit.layers.domain-imports-only-config
fn status() -> actix_web::http::StatusCode {
    todo()
}

// --- infrastructure: no HTTP ----------------------------------------------------------------
// ruleid: conduit.layers.infrastructure-knows-no-http, conduit.layers.db-knows-no-http, conduit.layers.config-is-a-leaf, conduit.layers.domain-imports-only-config
use crate::http::ApiError;

async fn hash(password: String) {
    // ruleid: conduit.layers.only-http-knows-actix, conduit.layers.db-knows-no-http, conduit.layers.domain-imports-only-config
    let a = actix_web::web::block(move || argon2(password)).await;
    // ok: conduit.layers.only-http-knows-actix
    let b = tokio::task::spawn_blocking(move || argon2(password)).await;
}

// --- startup ↔ routes/middleware/auth through `startup::AppState` ----------------------------
// ruleid: conduit.layers.nothing-imports-startup, conduit.layers.db-knows-no-http, conduit.layers.infrastructure-knows-no-http, conduit.layers.config-is-a-leaf, conduit.layers.domain-imports-only-config
use crate::startup::AppState;
// ok: conduit.layers.nothing-imports-startup
use super::{ApiError, ApiResult, AppState};

// ok: conduit.layers.infrastructure-knows-no-http, conduit.layers.config-is-a-leaf
//! The request extractors that read credentials are in [`crate::http`].

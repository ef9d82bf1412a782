//! The HTTP layer: the shared state of handlers, one module per resource (its handlers, its
//! routes and its OpenAPI paths), the extractors, and the one mapping of errors to the
//! spec's JSON body. Only this layer (with `startup`, `middleware` and `admin` above it)
//! knows actix and status codes; it turns domain and database values into the shared
//! `conduit-types` DTOs.

pub mod allowed_methods;
pub mod articles;
pub mod comments;
mod cookies;
pub mod error;
mod extractors;
pub mod health;
pub mod openapi;
pub mod profiles;
pub mod swagger_assets;
pub mod tags;
pub mod users;

pub use error::{ApiError, ApiResult};
pub use extractors::{AuthUser, MaybeAuthUser};

use crate::auth::jwt::Jwt;
use crate::cache::Cache;
use crate::db::profiles::ProfileRow;
use crate::kv::Kv;
use crate::ratelimit::{RateLimiter, Rules};
use crate::sessions::Sessions;
use actix_web::web;
use conduit_types::Profile;
use deadpool_postgres::Pool;
use std::sync::Arc;
use time::OffsetDateTime;

/// What handlers share.
pub struct AppState {
    pub pool: Pool,
    pub jwt: Jwt,
    pub behind_tls: bool,
    pub trust_forwarded_for: bool,
    pub redis: Option<Arc<Kv>>,
    pub sessions: Sessions,
    pub cache: Cache,
    pub limiter: RateLimiter,
    pub rate_limits: Rules,
}

/// The RealWorld API under `/api`. Every path is an [`allowed_methods::resource`], so a known
/// path with the wrong method is a 405 with `Allow`, not a 404; `articles` registers `feed` before `{slug}`.
pub fn api(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api")
            .configure(users::routes)
            .configure(profiles::routes)
            .configure(articles::routes)
            .configure(comments::routes)
            .configure(tags::routes),
    );
}

/// RFC 3339 in UTC with exactly three fractional digits: `2026-01-02T03:04:05.678Z`.
fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

fn profile(row: ProfileRow) -> Profile {
    Profile {
        username: row.username,
        bio: row.bio,
        image: row.image,
        following: row.following,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        let t = time::macros::datetime!(2026-01-02 03:04:05.678901 +02:00);
        assert_eq!(timestamp(t), "2026-01-02T01:04:05.678Z");
        assert_eq!(
            timestamp(time::macros::datetime!(2026-01-02 03:04:05 UTC)),
            "2026-01-02T03:04:05.000Z"
        );
    }
}

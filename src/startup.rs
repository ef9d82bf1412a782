//! Builds the application: pool, migrations, the public server and the admin server.

use crate::auth::jwt::Jwt;
use crate::cache::Cache;
use crate::config::Settings;
use crate::http::allowed_methods::resource;
use crate::http::{self, AppState};
use crate::kv::Kv;
use crate::ratelimit::RateLimiter;
use crate::sessions::Sessions;
use crate::{admin, db, middleware as mw};
use actix_web::dev::Server;
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, Compress, Condition, ErrorHandlers};
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use std::sync::Arc;
use utoipa_swagger_ui::SwaggerUi;

/// Where the OpenAPI document is served: Swagger UI loads it, and so does the ZAP API scan
/// in security.yml.
const OPENAPI_JSON: &str = "/api/openapi.json";

pub struct Application {
    port: u16,
    admin_port: u16,
    server: Server,
    admin: Server,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        if settings.jwt.ephemeral {
            tracing::warn!(
                "CONDUIT_JWT_SECRET is not set: using a random key for this process only. \
                 Tokens stop working on restart and differ between replicas. Never do this in production."
            );
        }
        let pool = db::pool(&settings.database)?;
        if settings.migrate_on_start {
            db::migrate(&pool).await?;
        }
        let redis = match &settings.redis.url {
            Some(url) => Some(Arc::new(Kv::new(
                url,
                &settings.redis.key_prefix,
                settings.redis.timeout,
            )?)),
            None => {
                tracing::warn!(
                    "REDIS_URL is not set: sessions, cache and rate limits live in this process. \
                     Fine for one instance; run Redis for more than one."
                );
                None
            }
        };
        let sessions = match &redis {
            Some(kv) => Sessions::redis(kv.clone(), settings.jwt.ttl),
            None => Sessions::memory(settings.jwt.ttl),
        };
        let state = web::Data::new(AppState {
            pool,
            jwt: Jwt::new(&settings.jwt),
            behind_tls: settings.behind_tls,
            trust_forwarded_for: settings.trust_forwarded_for,
            cache: Cache::new(
                redis.clone(),
                settings.redis.cache_ttl,
                settings.redis.cache_enabled,
            ),
            limiter: RateLimiter::new(redis.clone()),
            rate_limits: settings.rate_limits.clone(),
            sessions,
            redis,
        });
        crate::metrics::observe_pool(&state.pool);
        let listener = TcpListener::bind(settings.listen)?;
        let admin_listener = TcpListener::bind(settings.admin_listen)?;
        let port = listener.local_addr()?.port();
        let admin_port = admin_listener.local_addr()?.port();
        // Serialised once and shared by the workers (a Bytes clone counts a reference): the
        // OpenApi value is about 1 MB of heap, and SwaggerUi::url kept one clone per worker.
        let openapi_json = web::Bytes::from(serde_json::to_vec(&http::openapi::document())?);
        let cors_origins = settings.cors_allowed_origins.clone();
        let max_body = settings.max_body_bytes;
        let server = HttpServer::new(move || {
            let cors = cors_origins.iter().fold(
                actix_cors::Cors::default()
                    .allowed_methods(["GET", "POST", "PUT", "DELETE"])
                    .allowed_headers([
                        actix_web::http::header::AUTHORIZATION,
                        actix_web::http::header::CONTENT_TYPE,
                    ])
                    .max_age(3600),
                |cors, origin| cors.allowed_origin(origin),
            );
            App::new()
                .app_data(state.clone())
                .app_data(mw::json_config(max_body))
                .app_data(web::PayloadConfig::new(max_body))
                .app_data(mw::query_config())
                .app_data(mw::path_config())
                .wrap(ErrorHandlers::new().handler(StatusCode::NOT_FOUND, mw::json_error_body))
                .wrap(Condition::new(!cors_origins.is_empty(), cors))
                .wrap(Compress::default())
                .wrap(from_fn(mw::refuse_nul))
                .wrap(from_fn(mw::security_headers))
                .wrap(from_fn(mw::telemetry))
                .service(resource("/healthz").get(http::health::healthz))
                .service(resource("/readyz").get(http::health::readyz))
                .service(resource("/statusz").get(http::health::statusz))
                .service(resource(OPENAPI_JSON).get({
                    let json = openapi_json.clone();
                    move || http::openapi::serve(json.clone())
                }))
                .service(http::swagger_assets::resources("/api/docs").collect::<Vec<_>>())
                .service(
                    SwaggerUi::new("/api/docs/{_:.*}")
                        .config(utoipa_swagger_ui::Config::new([OPENAPI_JSON])),
                )
                .configure(http::api)
                .default_service(web::to(mw::not_found))
        })
        .listen(listener)?
        .workers(settings.workers)
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        .run();
        let admin = admin::server(admin_listener)?;
        tracing::info!(port, admin_port, environment = ?settings.environment, "listening");
        Ok(Self {
            port,
            admin_port,
            server,
            admin,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn admin_port(&self) -> u16 {
        self.admin_port
    }

    /// Serves until SIGTERM/SIGINT, then stops accepting and drains in-flight requests
    /// within `CONDUIT_SHUTDOWN_TIMEOUT_SECS`.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let admin_handle = self.admin.handle();
        // A server only runs while it is polled: the admin listener gets its own task.
        let admin = tokio::spawn(self.admin);
        let result = self.server.await;
        admin_handle.stop(true).await;
        let _ = admin.await;
        result
    }
}

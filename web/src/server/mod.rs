//! The web server: actix-web with our routes registered before Perseus' catch-all.
//!
//! - `/healthz` (process up), `/readyz` (the API answers), `/api/*` forwarded to the API so a
//!   browser in local development sees one origin (in a cluster the ALB sends `/api` to the
//!   API directly and this route is never hit);
//! - every response passes [`security::headers`] (CSP with per-response script hashes, the
//!   inline-state escaping that closes Perseus' `</script>` hole, security headers) and
//!   [`metrics::middleware`] (HTTP metrics, one JSON log line, W3C trace context);
//! - `/metrics` on the separate admin listener.

pub mod config;
pub mod metrics;
mod proxy;
pub mod security;

use actix_web::{web, App, HttpResponse, HttpServer};
use perseus::i18n::TranslationsManager;
use perseus::server::ServerOptions;
use perseus::stores::MutableStore;
use perseus::turbine::Turbine;

/// Engine-only settings of the app: the mutable store goes to a temp dir because the
/// container's root filesystem is read-only.
pub fn configure_app<G: perseus::prelude::Html>(
    app: perseus::prelude::PerseusApp<G>,
) -> perseus::prelude::PerseusApp<G> {
    let dir = std::env::temp_dir().join("conduit-web-store");
    let _ = std::fs::create_dir_all(&dir);
    app.mutable_store(perseus::stores::FsMutableStore::new(
        dir.to_string_lossy().into_owned(),
    ))
}

/// Perseus' server function: runs until SIGTERM/SIGINT, then drains for up to 10 s.
pub async fn serve<M: MutableStore + 'static, T: TranslationsManager + 'static>(
    turbine: &'static Turbine<M, T>,
    opts: ServerOptions,
    _perseus_host_port: (String, u16),
) {
    config::init_logging();
    if let Err(e) = run(turbine, opts).await {
        tracing::error!(error = %e, "conduit-web stopped");
        std::process::exit(1);
    }
}

async fn run<M: MutableStore + 'static, T: TranslationsManager + 'static>(
    turbine: &'static Turbine<M, T>,
    opts: ServerOptions,
) -> Result<(), String> {
    let cfg = config::Config::from_env()?;
    crate::api::server::init(&cfg.api_url)?;
    let proxy = web::Data::new(proxy::Proxy::new(&cfg.api_url)?);
    metrics::global();

    let admin = HttpServer::new(|| App::new().route("/metrics", web::get().to(metrics::scrape)))
        .workers(1)
        .disable_signals()
        .bind(&cfg.admin_listen)
        .map_err(|e| format!("binding the admin listener {}: {e}", cfg.admin_listen))?
        .run();
    let admin_handle = admin.handle();
    tokio::spawn(admin);

    let server = HttpServer::new(move || {
        let opts = opts.clone();
        App::new()
            .wrap(actix_web::middleware::from_fn(security::headers))
            .wrap(actix_web::middleware::Compress::default())
            .wrap(actix_web::middleware::from_fn(metrics::middleware))
            .app_data(proxy.clone())
            .app_data(web::PayloadConfig::new(proxy::MAX_BODY))
            .route(
                "/healthz",
                web::get().to(|| async { HttpResponse::Ok().body("ok") }),
            )
            .route("/readyz", web::get().to(proxy::readyz))
            .service(web::resource("/api/{tail:.*}").to(proxy::forward))
            // Perseus' configurer is async but awaits nothing: it resolves at once.
            .configure(futures::executor::block_on(perseus_actix_web::configurer(
                turbine, opts,
            )))
    })
    .shutdown_timeout(10)
    .bind(&cfg.listen)
    .map_err(|e| format!("binding {}: {e}", cfg.listen))?;
    tracing::info!(listen = %cfg.listen, admin = %cfg.admin_listen, api = %cfg.api_url, "conduit-web listening");
    let result = server.run().await.map_err(|e| e.to_string());
    admin_handle.stop(true).await;
    result
}

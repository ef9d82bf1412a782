//! The web server: actix-web with our routes registered before Perseus' catch-all.
//!
//! - `/healthz` (process up), `/readyz` (the API answers), `/api/*` forwarded to the API so a
//!   browser in local development sees one origin (in a cluster the ALB sends `/api` to the
//!   API directly and this route is never hit);
//! - every response passes [`security::headers`] (CSP with per-response script hashes, the
//!   inline-state escaping that closes Perseus' `</script>` hole, security headers) and
//!   [`metrics::middleware`] (the shared request telemetry: HTTP metrics, one JSON log line,
//!   W3C trace context continued into the API calls);
//! - `/metrics` and `/healthz` on the separate admin listener (shared with the API).

pub mod config;
pub mod metrics;
mod pages;
mod proxy;
pub mod security;

use actix_web::{web, App, HttpResponse, HttpServer};
use perseus::i18n::TranslationsManager;
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

/// Runs the engine: the `build` operation (`PERSEUS_ENGINE_OPERATION=build`, used by
/// `cargo xtask dist`) or, by default, the server until SIGTERM/SIGINT (10 s to drain).
/// Returns the process exit code.
pub fn main<F>(app: F) -> i32
where
    F: Fn() -> perseus::prelude::PerseusApp<sycamore::web::SsrNode>,
{
    // `--help` and `--version` answer here; every setting is also read from its variable.
    let args = <config::WebArgs as clap::Parser>::parse();
    config::init_logging();
    if let Err(e) = config::enter_app_root(args.web_root.as_deref()) {
        tracing::error!(error = %e, "conduit-web cannot start");
        return 2;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "starting the async runtime");
            return 1;
        }
    };
    rt.block_on(async {
        let mut turbine = match Turbine::try_from(app()) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "the Perseus app is invalid");
                return 1;
            }
        };
        if std::env::var("PERSEUS_ENGINE_OPERATION").as_deref() == Ok("build") {
            return match turbine.build().await {
                Ok(()) => 0,
                Err(e) => {
                    tracing::error!(error = %e, "the engine's build operation failed");
                    1
                }
            };
        }
        if let Err(e) = turbine.populate_after_build().await {
            tracing::error!(error = %e, "dist/ is missing or stale: run `cargo xtask dist`");
            return 2;
        }
        // The server runs until the process ends; Perseus' server integration wants a
        // 'static turbine, as its own engine does.
        let turbine: &'static _ = Box::leak(Box::new(turbine));
        match run(turbine, &args).await {
            Ok(()) => 0,
            Err(e) => {
                tracing::error!(error = %e, "conduit-web stopped");
                1
            }
        }
    })
}

async fn run<M: MutableStore + 'static, T: TranslationsManager + 'static>(
    turbine: &'static Turbine<M, T>,
    args: &config::WebArgs,
) -> Result<(), String> {
    let cfg = config::Config::from_args(args)?;
    security::set_behind_tls(cfg.common.behind_tls);
    // OTLP export when OTEL_EXPORTER_OTLP_ENDPOINT is set; dropped (flushed) when serving ends.
    let _traces =
        conduit_observability::traces::start(cfg.common.traces.as_ref(), env!("CARGO_PKG_VERSION"))
            .map_err(|e| format!("trace export: {e:#}"))?;
    crate::api::server::init(&cfg.api_url)?;
    let proxy = web::Data::new(proxy::Proxy::new(&cfg.api_url)?);
    metrics::global();

    let admin = std::net::TcpListener::bind(&cfg.admin_listen)
        .and_then(conduit_observability::metrics::admin_server)
        .map_err(|e| format!("binding the admin listener {}: {e}", cfg.admin_listen))?;
    let admin_handle = admin.handle();
    tokio::spawn(admin);

    let server = HttpServer::new(move || {
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
            .configure(|cfg| pages::configure(turbine, cfg))
    })
    .shutdown_timeout(10)
    .bind(&cfg.listen)
    .map_err(|e| format!("binding {}: {e}", cfg.listen))?;
    tracing::info!(listen = %cfg.listen, admin = %cfg.admin_listen, api = %cfg.api_url, "conduit-web listening");
    let result = server.run().await.map_err(|e| e.to_string());
    admin_handle.stop(true).await;
    result
}

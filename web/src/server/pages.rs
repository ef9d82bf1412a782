//! Perseus on actix-web: the files and endpoints Perseus' browser side asks for, and the
//! catch-all that renders a page on its first load. Registered after our own routes.
//!
//! Our own instead of the `perseus-actix-web` crate: that crate depends on Perseus with its
//! default features, which minify every rendered page (a fifth of this server's CPU under the
//! bench's load, by `perf`) and turn on actix-web's default features (brotli, zstd, HTTP/2).
//! The routes and `Turbine` calls are those of perseus-actix-web 0.4.2 (`src/lib.rs`) for the
//! Perseus version pinned in Cargo.toml; a Perseus upgrade re-reads them there.

use actix_files::{Files, NamedFile};
use actix_web::{web, HttpRequest, HttpResponse};
use perseus::i18n::TranslationsManager;
use perseus::path::{PathMaybeWithLocale, PathWithoutLocale};
use perseus::stores::MutableStore;
use perseus::turbine::{ApiResponse, SubsequentLoadQueryParams, Turbine};

/// Where `cargo xtask dist` puts the client's bundles (wasm-bindgen's `--out-name` is
/// `perseus_engine`); the working directory is the app root (see `config::enter_app_root`).
const PKG: &str = "dist/pkg";

pub fn configure<M: MutableStore + 'static, T: TranslationsManager + 'static>(
    turbine: &'static Turbine<M, T>,
    cfg: &mut web::ServiceConfig,
) {
    let bundles = [
        ("/.perseus/bundle.js", "perseus_engine.js"),
        ("/.perseus/bundle.wasm", "perseus_engine_bg.wasm"),
        // Only for browsers without WebAssembly; never built here, so a 404.
        ("/.perseus/bundle.wasm.js", "perseus_engine_bg.wasm.js"),
    ];
    for (route, file) in bundles {
        let file = format!("{PKG}/{file}");
        cfg.route(
            route,
            web::get().to(move || NamedFile::open_async(file.clone())),
        );
    }
    cfg.service(Files::new("/.perseus/snippets", format!("{PKG}/snippets")));
    if turbine.static_dir.exists() {
        cfg.service(Files::new("/.perseus/static", &turbine.static_dir));
    }
    cfg.route(
        "/.perseus/translations/{locale}",
        web::get().to(move |req: HttpRequest| async move {
            let locale = req.match_info().query("locale");
            respond(turbine.get_translations(locale).await)
        }),
    );
    // The state of a page the browser navigates to (`.json` is part of `filename`).
    let subsequent = move |req: HttpRequest, query: web::Query<SubsequentLoadQueryParams>| async move {
        let SubsequentLoadQueryParams {
            entity_name,
            was_incremental_match,
        } = query.into_inner();
        let path = PathWithoutLocale(req.match_info().query("filename").to_string());
        let locale = req.match_info().query("locale").to_string();
        respond(match request(&req) {
            Ok(r) => {
                let (name, incremental) = (entity_name, was_incremental_match);
                turbine
                    .get_subsequent_load(path, locale, name, incremental, r)
                    .await
            }
            Err(e) => bad_request(&e),
        })
    };
    cfg.route(
        "/.perseus/page/{locale}/{filename:.*}",
        web::get().to(subsequent),
    );
    cfg.route(
        "{route:.*}",
        web::get().to(move |req: HttpRequest| async move {
            let path = PathMaybeWithLocale(req.path().to_string());
            respond(match request(&req) {
                Ok(r) => turbine.get_initial_load(path, r).await,
                Err(e) => bad_request(&e),
            })
        }),
    );
}

/// The request as Perseus sees it: method, URI, version and headers; no body (a page is named
/// by its URI alone).
fn request(req: &HttpRequest) -> Result<perseus::Request, String> {
    let mut builder = perseus::Request::builder()
        .method(req.method())
        .uri(req.uri())
        .version(req.version());
    for (name, value) in req.headers() {
        builder = builder.header(name, value);
    }
    builder.body(()).map_err(|e| e.to_string())
}

fn bad_request(reason: &str) -> ApiResponse {
    ApiResponse::err(perseus::http::StatusCode::BAD_REQUEST, reason)
}

fn respond(res: ApiResponse) -> HttpResponse<String> {
    let mut out = HttpResponse::with_body(res.status, res.body);
    // Iterating a `HeaderMap` yields each name once, before all its values.
    let mut name = None;
    for (next, value) in res.headers {
        name = next.or(name);
        if let Some(name) = &name {
            out.headers_mut().append(name.clone(), value);
        }
    }
    out
}

//! Conduit's web frontend. One crate, two builds: the engine (`--cfg engine`) renders pages on
//! the server at request time and serves them through actix-web; the client (`--cfg client`,
//! wasm32) hydrates them and takes over navigation. `cargo xtask dist` builds both.

#[cfg(not(any(engine, client)))]
compile_error!(
    "conduit-web is built as a Perseus engine (`--cfg engine`) or client (`--cfg client`): use `cargo xtask dist` or `cargo xtask test --only web`"
);

mod api;
mod components;
mod error_views;
#[cfg(engine)]
mod markdown;
#[cfg(engine)]
mod server;
mod state;
mod templates;

use perseus::prelude::*;

/// The engine's allocator. A page render allocates and frees thousands of small objects
/// (Sycamore nodes, JSON values, strings) and several page-sized strings; under glibc's
/// malloc that was about a third of the server's CPU time (`malloc`, `_int_free`,
/// `malloc_consolidate` at the top of `perf record` under load), and the same binary with
/// another allocator preloaded used a quarter less CPU per page (docs/benchmark.md).
/// Usage as documented in purpleprotocol/mimalloc_rust@abcd2be6171e89190f8087fcaccf001d8bd5bc96
/// README.md ("Usage"); the browser half keeps Rust's wasm allocator.
#[cfg(engine)]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The browser entry point: hydrate the server-rendered page and take over navigation.
#[cfg(client)]
pub fn main() -> perseus::client::ClientReturn {
    perseus::client::run_client(app);
    Ok(())
}

/// The server entry point (see `server::main`): `PERSEUS_ENGINE_OPERATION=build` writes the
/// render configuration at build time; anything else serves.
#[cfg(engine)]
fn main() {
    std::process::exit(server::main(app));
}

pub fn app<G: Html>() -> PerseusApp<G> {
    let app = PerseusApp::new()
        .template(templates::home::get_template())
        .template(templates::auth::login_template())
        .template(templates::auth::register_template())
        .template(templates::settings::get_template())
        .template(templates::editor::get_template())
        .template(templates::article::get_template())
        .template(templates::profile::get_template())
        .error_views(error_views::get_error_views())
        .index_view(|cx| {
            sycamore::view! { cx,
                html(lang = "en") {
                    head {
                        meta(charset = "utf-8")
                        meta(name = "viewport", content = "width=device-width, initial-scale=1")
                        meta(name = "color-scheme", content = "light")
                        link(rel = "icon", href = "/.perseus/static/favicon.svg", type = "image/svg+xml")
                        link(rel = "stylesheet", href = "/.perseus/static/style.css")
                    }
                    body {
                        PerseusRoot()
                    }
                }
            }
        });
    #[cfg(engine)]
    let app = server::configure_app(app);
    app
}

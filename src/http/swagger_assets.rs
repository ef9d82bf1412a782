//! Swagger UI's three large assets, embedded gzipped: the bundle, the standalone preset and the
//! CSS are 1.8 MB as utoipa-swagger-ui embeds them, 0.5 MB gzipped (`build.rs` compresses them
//! from the same vendored archive). `.cargo/swagger-ui-overwrite` empties utoipa-swagger-ui's
//! own copies; these routes are registered before its service, which keeps serving the small
//! files (the page, the initializer with our configuration, the icons).

use super::allowed_methods::{resource, Resource};
use actix_web::http::header::{self, AcceptEncoding, Encoding, Header};
use actix_web::{HttpRequest, HttpResponse};
use std::io::Read;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    gzipped: &'static [u8],
}

/// The files `build.rs` writes (keep the two lists in step).
static ASSETS: [Asset; 3] = [
    Asset {
        name: "swagger-ui-bundle.js",
        content_type: "text/javascript; charset=utf-8",
        gzipped: include_bytes!(concat!(env!("OUT_DIR"), "/swagger-ui-bundle.js.gz")),
    },
    Asset {
        name: "swagger-ui-standalone-preset.js",
        content_type: "text/javascript; charset=utf-8",
        gzipped: include_bytes!(concat!(
            env!("OUT_DIR"),
            "/swagger-ui-standalone-preset.js.gz"
        )),
    },
    Asset {
        name: "swagger-ui.css",
        content_type: "text/css; charset=utf-8",
        gzipped: include_bytes!(concat!(env!("OUT_DIR"), "/swagger-ui.css.gz")),
    },
];

/// One GET resource per asset under `docs` (Swagger UI's path, e.g. `/api/docs`).
pub fn resources(docs: &str) -> impl Iterator<Item = Resource> + '_ {
    ASSETS.iter().map(move |asset| {
        resource(&format!("{docs}/{}", asset.name))
            .get(move |req: HttpRequest| async move { serve(&req, asset) })
    })
}

/// Gzip as stored when the client accepts it (every browser does); otherwise decompressed
/// here. The Compress middleware leaves a response that has a Content-Encoding alone
/// (`should_encode` in actix/actix-web@88d7742dae62672d9771666a75a0360e3d63c906
/// actix-http/src/encoding/encoder.rs, actix-http 3.20.0).
fn serve(req: &HttpRequest, asset: &Asset) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    res.content_type(asset.content_type)
        .insert_header((header::VARY, "accept-encoding"));
    if accepts_gzip(req) {
        return res
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(asset.gzipped);
    }
    let mut plain = Vec::new();
    match flate2::read::GzDecoder::new(asset.gzipped).read_to_end(&mut plain) {
        Ok(_) => res.body(plain),
        Err(e) => {
            tracing::error!(error = %e, asset = asset.name, "embedded Swagger UI asset is corrupt");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// `negotiate` answers identity when the header is absent (RFC 9110 §12.5.3; actix/actix-web@
/// 9ed549db1490ca93837593dc2917b04bb30c2115 actix-web/src/http/header/accept_encoding.rs).
fn accepts_gzip(req: &HttpRequest) -> bool {
    let Ok(accept) = AcceptEncoding::parse(req) else {
        return false;
    };
    let offered = [Encoding::gzip(), Encoding::identity()];
    accept.negotiate(offered.iter()) == Some(Encoding::gzip())
}

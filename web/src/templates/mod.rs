//! One module per route (frontend-routing.md): the page's state, how the engine loads it at
//! request time, and its view.

pub mod article;
pub mod auth;
pub mod editor;
pub mod home;
pub mod profile;
pub mod settings;

/// For templates whose every page renders at request time (`/article/{slug}`, …): nothing is
/// built ahead, and incremental generation sends every path under the template to its
/// request-state function.
#[perseus::prelude::engine_only_fn]
pub async fn no_prebuilt_paths() -> perseus::prelude::BuildPaths {
    perseus::prelude::BuildPaths {
        paths: Vec::new(),
        extra: ().into(),
    }
}

/// `?page=N` of a list page: 1 to 10 000, else 1.
#[cfg(engine)]
pub fn page_param(req: &perseus::Request) -> i64 {
    query_param(req, "page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=10_000).contains(p))
        .unwrap_or(1)
}

/// The part of an incremental path after the template name: at request time Perseus passes
/// `article/how-to` for `/article/how-to`. `None` when the path is not under `template`.
#[cfg(engine)]
pub fn path_tail<'a>(path: &'a str, template: &str) -> Option<&'a str> {
    let rest = path.trim_matches('/').strip_prefix(template)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

/// A query parameter of the page's URL, percent-decoded.
#[cfg(engine)]
pub fn query_param(req: &perseus::Request, name: &str) -> Option<String> {
    req.uri().query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| decode(v))
    })
}

#[cfg(engine)]
fn decode(s: &str) -> String {
    fn hex(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push(hi * 16 + lo);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Request-state pages depend on the visitor's cookie: never cache them anywhere. Stateless
/// (`set_headers`, not `set_headers_with_state`), so Perseus does not decode the page state
/// once more per request just to call it.
#[perseus::prelude::engine_only_fn]
pub fn private_headers(_cx: sycamore::prelude::Scope) -> perseus::http::HeaderMap {
    let mut h = perseus::http::HeaderMap::new();
    h.insert(
        perseus::http::header::CACHE_CONTROL,
        perseus::http::HeaderValue::from_static("private, no-store"),
    );
    h
}

#[cfg(all(test, engine))]
mod tests {
    use super::*;

    #[test]
    fn paths_lose_their_template_prefix() {
        assert_eq!(path_tail("article/how-to", "article"), Some("how-to"));
        assert_eq!(path_tail("/article/how-to/", "article"), Some("how-to"));
        assert_eq!(path_tail("article-x", "article"), None);
        assert_eq!(path_tail("how-to", "article"), None);
        assert_eq!(
            path_tail("profile/jake/favorites", "profile"),
            Some("jake/favorites")
        );
        assert_eq!(path_tail("editor", "editor"), Some(""));
    }

    #[test]
    fn query_params_are_decoded() {
        let req = perseus::Request::builder()
            .uri("/?tag=rust%20lang&page=2&x")
            .body(())
            .unwrap();
        assert_eq!(query_param(&req, "tag").as_deref(), Some("rust lang"));
        assert_eq!(query_param(&req, "page").as_deref(), Some("2"));
        assert_eq!(query_param(&req, "x").as_deref(), Some(""));
        assert_eq!(query_param(&req, "nope"), None);
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%C3%BC+x"), "ü x");
        assert_eq!(decode("%ü"), "%ü");
    }
}

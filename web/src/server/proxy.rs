//! `/api/*` forwarded to the API (local development: one origin for the browser) and the
//! readiness check that the API answers.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use std::time::Duration;

/// Larger than the API's own limit, so the API's 413 is what clients see.
pub const MAX_BODY: usize = 256 * 1024;

pub struct Proxy {
    http: reqwest::Client,
    base: String,
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) and ones the client library sets itself.
const SKIP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
];

impl Proxy {
    pub fn new(base: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(1))
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }
}

pub async fn forward(req: HttpRequest, body: web::Bytes, proxy: web::Data<Proxy>) -> HttpResponse {
    let path_and_query = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/api");
    let Ok(method) = reqwest::Method::from_bytes(req.method().as_str().as_bytes()) else {
        return HttpResponse::MethodNotAllowed().finish();
    };
    // Only the API's `/api/…` is reachable: the URL parser resolves `..` and `%2e%2e`, so
    // check the path it will actually request.
    let url = match reqwest::Url::parse(&format!("{}{path_and_query}", proxy.base)) {
        Ok(u) if u.path().starts_with("/api/") => u,
        _ => return HttpResponse::NotFound().finish(),
    };
    let mut out = proxy.http.request(method, url);
    for (name, value) in req.headers() {
        if !SKIP.contains(&name.as_str()) && name.as_str() != "content-length" {
            out = out.header(name.as_str(), value.as_bytes());
        }
    }
    let res = match out.body(body).send().await {
        Ok(res) => res,
        Err(e) => {
            tracing::warn!(error = %e, "the API is unreachable");
            return HttpResponse::BadGateway()
                .content_type("application/json")
                .body(r#"{"errors":{"body":["the API is unreachable"]}}"#);
        }
    };
    let mut back = HttpResponse::build(
        StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY),
    );
    for (name, value) in res.headers() {
        if !SKIP.contains(&name.as_str()) && name.as_str() != "content-length" {
            back.append_header((name.as_str(), value.as_bytes()));
        }
    }
    match res.bytes().await {
        Ok(bytes) => back.body(bytes),
        Err(_) => HttpResponse::BadGateway().finish(),
    }
}

/// Ready when the API answers its liveness probe: without it no page can render.
pub async fn readyz(proxy: web::Data<Proxy>) -> HttpResponse {
    let probe = proxy
        .http
        .get(format!("{}/healthz", proxy.base))
        .timeout(Duration::from_secs(1))
        .send()
        .await;
    match probe {
        Ok(r) if r.status().is_success() => HttpResponse::Ok().body("ready"),
        _ => HttpResponse::ServiceUnavailable().body("the API is not answering"),
    }
}

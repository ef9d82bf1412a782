//! The browser's API client: same-origin `fetch` to `/api`, the session travelling in the
//! HttpOnly cookie and unsafe methods carrying the CSRF double-submit header.

use super::Failure;
use serde::{de::DeserializeOwned, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlDocument, RequestCredentials, RequestInit, Response};

const CSRF_COOKIE: &str = "conduit_csrf";
const CSRF_HEADER: &str = "X-CSRF-Token";

fn csrf_token() -> Option<String> {
    let doc = web_sys::window()?
        .document()?
        .dyn_into::<HtmlDocument>()
        .ok()?;
    let cookies = doc.cookie().ok()?;
    cookies
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == CSRF_COOKIE)
        .map(|(_, v)| v.to_string())
}

fn js_err(e: JsValue) -> Failure {
    Failure::network(
        e.as_string()
            .unwrap_or_else(|| "the network request failed".to_string()),
    )
}

async fn send_raw(
    method: &str,
    path: &str,
    body: Option<String>,
) -> Result<(u16, String), Failure> {
    let window = web_sys::window().ok_or_else(|| Failure::network("no window"))?;
    let init = RequestInit::new();
    init.set_method(method);
    init.set_credentials(RequestCredentials::SameOrigin);
    let headers = web_sys::Headers::new().map_err(js_err)?;
    headers.set("Accept", "application/json").map_err(js_err)?;
    if let Some(b) = body {
        headers
            .set("Content-Type", "application/json")
            .map_err(js_err)?;
        init.set_body(&JsValue::from_str(&b));
    }
    if method != "GET" {
        if let Some(t) = csrf_token() {
            headers.set(CSRF_HEADER, &t).map_err(js_err)?;
        }
    }
    init.set_headers(&headers);
    let url = format!("/api{path}");
    let res: Response = JsFuture::from(window.fetch_with_str_and_init(&url, &init))
        .await
        .map_err(js_err)?
        .dyn_into()
        .map_err(js_err)?;
    let text = JsFuture::from(res.text().map_err(js_err)?)
        .await
        .map_err(js_err)?
        .as_string()
        .unwrap_or_default();
    Ok((res.status(), text))
}

/// Sends `body` as JSON and decodes the JSON answer.
pub async fn send<B: Serialize, T: DeserializeOwned>(
    method: &str,
    path: &str,
    body: Option<&B>,
) -> Result<T, Failure> {
    let body = match body {
        Some(b) => Some(serde_json::to_string(b).map_err(|e| Failure::network(e.to_string()))?),
        None => None,
    };
    let (status, text) = send_raw(method, path, body).await?;
    if (200..300).contains(&status) {
        serde_json::from_str(&text).map_err(|e| Failure::network(e.to_string()))
    } else {
        Err(Failure::from_body(status, &text))
    }
}

/// For calls whose answer has no body worth reading (204s).
pub async fn send_empty(method: &str, path: &str) -> Result<(), Failure> {
    let (status, text) = send_raw(method, path, None).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(Failure::from_body(status, &text))
    }
}

/// A full page load: used after the session changes so every part of the page
/// (header included) is rendered again for the new visitor.
pub fn reload_to(path: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(path);
    }
}

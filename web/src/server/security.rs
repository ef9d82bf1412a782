//! Security headers on every response, and two fixes to every HTML page Perseus renders:
//!
//! 1. Perseus 0.4.2 embeds page state in inline `<script>`s as JS template literals and
//!    escapes only `` ` ``, `\` and `${` (`escape_page_data`), so a `</script>` or `<!--` in
//!    user data (an article title, a comment) ends the script early: stored XSS. We re-lex
//!    each inline script and write every `<` inside a template literal as `\x3C`, which the
//!    literal evaluates back to `<`: the state is unchanged, the HTML parser never sees a tag.
//! 2. Those scripts differ per page, so the Content-Security-Policy lists the SHA-256 of
//!    each one (no `'unsafe-inline'`); `'wasm-unsafe-eval'` lets the bundle compile.

use actix_web::body::{self, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use base64::Engine;
use sha2::{Digest, Sha256};

/// Pages larger than this are refused rather than buffered (real pages are far smaller).
const MAX_PAGE: usize = 4 * 1024 * 1024;

static BEHIND_TLS: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Behind TLS (the ALB), every response carries HSTS. Set once at start-up.
pub fn set_behind_tls(on: bool) {
    let _ = BEHIND_TLS.set(on);
}

pub async fn headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?.map_into_boxed_body();
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let path = res.request().path();
    let is_api = path.starts_with("/api/");
    // Page state for client-side navigation carries the visitor's data, like the pages.
    let is_private = is_html || path.starts_with("/.perseus/page/");
    let (req, res) = res.into_parts();
    let (mut head, body) = res.into_parts();
    let mut script_hashes = Vec::new();
    let body = if is_html {
        match body::to_bytes_limited(body, MAX_PAGE).await {
            Ok(Ok(bytes)) => {
                let html = String::from_utf8_lossy(&bytes);
                let (safe, hashes) = harden_inline_scripts(&html);
                script_hashes = hashes;
                BoxBody::new(safe)
            }
            _ => return Err(actix_web::error::ErrorInternalServerError("page too large")),
        }
    } else {
        body
    };
    let h = head.headers_mut();
    let mut set = |name: HeaderName, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            if !h.contains_key(&name) {
                h.insert(name, v);
            }
        }
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "strict-origin-when-cross-origin");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    if BEHIND_TLS.get().copied().unwrap_or(false) {
        set(
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    if !is_api {
        set(
            header::CONTENT_SECURITY_POLICY,
            &content_security_policy(&script_hashes),
        );
    }
    if is_private {
        // Pages depend on the visitor's session: never store them in a shared cache.
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    if is_html {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        h.remove(header::CONTENT_LENGTH);
    }
    Ok(ServiceResponse::new(req, head.set_body(body)))
}

pub fn content_security_policy(script_hashes: &[String]) -> String {
    let mut script_src = String::from("'self' 'wasm-unsafe-eval'");
    for h in script_hashes {
        script_src.push_str(" 'sha256-");
        script_src.push_str(h);
        script_src.push('\'');
    }
    format!(
        "default-src 'self'; script-src {script_src}; style-src 'self'; \
         style-src-attr 'unsafe-inline'; img-src 'self' https: http: data:; connect-src 'self'; \
         font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
         frame-ancestors 'none'"
    )
}

/// Escapes `<` inside the template literals of every inline script and returns the page
/// with the SHA-256 (base64) of each inline script's final text.
///
/// This runs on every page (the home page is ~20 KB, half of it page state), so it works on
/// bytes: it jumps from one `<` to the next (`str::find` with a `char` uses `memchr`) and
/// copies unchanged runs whole. Every byte it looks for is ASCII, so a slice boundary can
/// never fall inside a multi-byte UTF-8 character.
pub fn harden_inline_scripts(html: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(html.len() + 256);
    let mut hashes = Vec::new();
    let mut rest = html;
    while let Some(start) = find_script_open(rest) {
        let Some(open_len) = rest[start..].find('>') else {
            break;
        };
        let body_start = start + open_len + 1;
        let tag = &rest[start..body_start];
        out.push_str(&rest[..body_start]);
        let script_start = out.len();
        let consumed = lex_script(&rest[body_start..], &mut out);
        if !tag.contains(" src=") {
            hashes.push(
                base64::engine::general_purpose::STANDARD
                    .encode(Sha256::digest(&out.as_bytes()[script_start..])),
            );
        }
        rest = &rest[body_start + consumed..];
        // `rest` now starts at `</script` (or is empty): copy the closing tag.
        match rest.find('>') {
            Some(end) if starts_with_ascii_ci(rest, "</script") => {
                out.push_str(&rest[..=end]);
                rest = &rest[end + 1..];
            }
            _ => {}
        }
    }
    out.push_str(rest);
    (out, hashes)
}

/// Appends the script text up to its real `</script` (one not inside a template literal) to
/// `out`, with `<` in template literals written as `\x3C`; returns the bytes of `s` consumed.
fn lex_script(s: &str, out: &mut String) -> usize {
    let bytes = s.as_bytes();
    let mut in_template = false;
    // `s[copied..i]` is still to be copied unchanged.
    let (mut copied, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            // An escape inside a literal: the next character is data whatever it is (a
            // multi-byte one has no ASCII bytes, so skipping only its first byte is safe).
            b'\\' if in_template => i += 2,
            b'`' => {
                in_template = !in_template;
                i += 1;
            }
            b'<' if in_template => {
                out.push_str(&s[copied..i]);
                out.push_str("\\x3C");
                i += 1;
                copied = i;
            }
            b'<' if starts_with_ascii_ci(&s[i..], "</script") => {
                out.push_str(&s[copied..i]);
                return i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&s[copied..]);
    s.len()
}

/// Whether `s` begins with `prefix`, ignoring ASCII case (HTML tag names).
fn starts_with_ascii_ci(s: &str, prefix: &str) -> bool {
    s.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// The byte offset of the next `<script` (any case) in `html`.
fn find_script_open(html: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(at) = html[from..].find('<') {
        let at = from + at;
        if starts_with_ascii_ci(&html[at..], "<script") {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_endings_inside_state_are_neutralised() {
        let page = "<html><head><script type=\"module\">window.__PERSEUS_GLOBAL_STATE = `{\"t\":\"</script><img src=x onerror=alert(1)><!--\"}`;</script>\
                    <script>window.__PERSEUS_INITIAL_STATE = `{\"a\":\"\\\\\\` </SCRIPT>\"}`;</script></head><body><p>&lt;b&gt;</p></body></html>";
        let (safe, hashes) = harden_inline_scripts(page);
        assert_eq!(hashes.len(), 2);
        assert!(!safe.contains("</script><img"), "{safe}");
        assert!(!safe.contains("<!--"), "{safe}");
        assert!(
            safe.contains(r"\x3C/script>\x3Cimg src=x onerror=alert(1)>\x3C!--"),
            "{safe}"
        );
        // An escaped backtick does not end the literal; the upper-case end tag inside it is
        // still data.
        assert!(safe.contains(r"\\\` \x3C/SCRIPT>"), "{safe}");
        // Exactly the two real script elements remain, and the body is untouched.
        assert_eq!(safe.matches("</script>").count(), 2);
        assert!(safe.ends_with("<body><p>&lt;b&gt;</p></body></html>"));
    }

    #[test]
    fn hashes_are_of_the_final_script_text() {
        let (safe, hashes) =
            harden_inline_scripts("<script>//</script><script src=\"/x.js\"></script>");
        assert_eq!(safe, "<script>//</script><script src=\"/x.js\"></script>");
        assert_eq!(
            hashes,
            vec!["osIzlpH8SPvRT7MHKS3/PiEiJxLZJAgQdC198MbXTfs=".to_string()]
        );
    }

    #[test]
    fn the_policy_never_allows_inline_scripts_wholesale() {
        let csp = content_security_policy(&["abc=".into()]);
        assert!(csp.contains("script-src 'self' 'wasm-unsafe-eval' 'sha256-abc='"));
        assert!(!csp.contains("script-src 'unsafe-inline'"));
        assert!(csp.contains("frame-ancestors 'none'"));
    }
}

//! The browser session: an HttpOnly cookie with the token, and a readable CSRF cookie that
//! pages echo in the `X-CSRF-Token` header on unsafe requests (double submit).

use actix_web::cookie::{time::Duration, Cookie, SameSite};
use actix_web::HttpResponseBuilder;

pub(crate) const SESSION_COOKIE: &str = "conduit_session";
pub(crate) const CSRF_COOKIE: &str = "conduit_csrf";
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// Sets both cookies for a new session.
pub fn set(res: &mut HttpResponseBuilder, token: &str, ttl_secs: u64, secure: bool) {
    let max_age = Duration::seconds(ttl_secs as i64);
    res.cookie(
        Cookie::build(SESSION_COOKIE, token.to_string())
            .http_only(true)
            .secure(secure)
            .same_site(SameSite::Lax)
            .path("/")
            .max_age(max_age)
            .finish(),
    );
    res.cookie(
        Cookie::build(CSRF_COOKIE, crate::sessions::new_id())
            .http_only(false)
            .secure(secure)
            .same_site(SameSite::Lax)
            .path("/")
            .max_age(max_age)
            .finish(),
    );
}

/// Expires both cookies.
pub fn clear(res: &mut HttpResponseBuilder, secure: bool) {
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        let mut c = Cookie::build(name, "")
            .path("/")
            .secure(secure)
            .same_site(SameSite::Lax)
            .http_only(name == SESSION_COOKIE)
            .finish();
        c.make_removal();
        res.cookie(c);
    }
}

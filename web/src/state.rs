//! Data every page state carries: who is signed in. Page states are plain serde structs
//! (Perseus "unreactive" state); interactive bits keep their own signals.

use serde::{Deserialize, Serialize};

/// The signed-in user as the header and the author-only controls need them. Never the
/// token: the browser's session lives in an HttpOnly cookie that scripts cannot read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Viewer {
    pub username: String,
    pub image: Option<String>,
}

impl Viewer {
    pub fn is(viewer: &Option<Viewer>, username: &str) -> bool {
        viewer.as_ref().is_some_and(|v| v.username == username)
    }
}

/// "January 2, 2026" from the API's RFC 3339 timestamps, the same on server and client.
pub fn format_date(rfc3339: &str) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut parts = rfc3339.get(..10).unwrap_or("").split('-');
    let (Some(y), Some(m), Some(d)) = (parts.next(), parts.next(), parts.next()) else {
        return rfc3339.to_string();
    };
    match (m.parse::<usize>(), d.parse::<u32>()) {
        (Ok(m @ 1..=12), Ok(d)) => format!("{} {d}, {y}", MONTHS[m - 1]),
        _ => rfc3339.to_string(),
    }
}

/// Avatar URL or the bundled placeholder. The API only stores http(s) URLs (the CSP allows
/// both for images); anything else, `//host` included, is replaced.
pub fn avatar(image: &Option<String>) -> String {
    match image {
        Some(url)
            if url.starts_with("https://")
                || url.starts_with("http://")
                || (url.starts_with('/') && !url.starts_with("//")) =>
        {
            url.clone()
        }
        _ => "/.perseus/static/avatar.svg".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_like_the_reference_app() {
        assert_eq!(format_date("2026-01-02T03:04:05.678Z"), "January 2, 2026");
        assert_eq!(format_date("2026-12-31T00:00:00Z"), "December 31, 2026");
        assert_eq!(format_date("garbage"), "garbage");
        assert_eq!(format_date("2026-13-01T00:00:00Z"), "2026-13-01T00:00:00Z");
    }

    #[test]
    fn avatars_only_come_from_https_or_our_origin() {
        assert_eq!(avatar(&None), "/.perseus/static/avatar.svg");
        assert_eq!(
            avatar(&Some("javascript:alert(1)".into())),
            "/.perseus/static/avatar.svg"
        );
        assert_eq!(
            avatar(&Some("data:image/png;base64,xx".into())),
            "/.perseus/static/avatar.svg"
        );
        assert_eq!(
            avatar(&Some("//x/a.png".into())),
            "/.perseus/static/avatar.svg"
        );
        assert_eq!(avatar(&Some("https://x/a.png".into())), "https://x/a.png");
    }
}

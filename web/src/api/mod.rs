//! Talking to the Conduit API. The engine calls it over HTTP at `CONDUIT_API_URL` with the
//! visitor's session cookie (`server.rs`); the browser calls `/api` on its own origin with the
//! CSRF header (`browser.rs`). Both speak the shared `conduit-types`.

#[cfg(client)]
pub mod browser;
#[cfg(engine)]
pub mod server;

use serde::{Deserialize, Serialize};

/// A failed call, as pages show it: the API's `{"errors": {field: [messages]}}` flattened
/// to "field message" lines, or one line for transport failures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub status: u16,
    pub messages: Vec<String>,
}

impl Failure {
    pub fn from_body(status: u16, body: &str) -> Self {
        let messages = match serde_json::from_str::<conduit_types::ErrorResponse>(body) {
            Ok(e) if !e.errors.is_empty() => e
                .errors
                .into_iter()
                .flat_map(|(field, msgs)| {
                    msgs.into_iter().map(move |m| {
                        if field == "body" {
                            m
                        } else {
                            format!("{field} {m}")
                        }
                    })
                })
                .collect(),
            _ => vec![match status {
                401 => "please sign in again".to_string(),
                429 => "too many requests, try again in a moment".to_string(),
                _ => format!("the server answered {status}"),
            }],
        };
        Self { status, messages }
    }

    pub fn network(message: impl Into<String>) -> Self {
        Self {
            status: 0,
            messages: vec![message.into()],
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.messages.join("; "), self.status)
    }
}

impl std::error::Error for Failure {}

/// `?tag=…&author=…&favorited=…&limit=…&offset=…` with values percent-encoded.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(k);
        out.push('=');
        out.push_str(&encode(v));
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_become_readable_lines() {
        let f = Failure::from_body(
            422,
            r#"{"errors":{"email":["has already been taken"],"body":["can't be empty"]}}"#,
        );
        assert_eq!(
            f.messages,
            vec!["can't be empty", "email has already been taken"]
        );
        let f = Failure::from_body(502, "<html>bad gateway</html>");
        assert_eq!(f.messages, vec!["the server answered 502"]);
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            query(&[("tag", "a b&c"), ("offset", "10")]),
            "?tag=a%20b%26c&offset=10"
        );
        assert_eq!(encode("ü/é"), "%C3%BC%2F%C3%A9");
    }
}

//! Input rules, collected per field so one response lists every problem at once.

use crate::error::ApiError;
use std::collections::BTreeMap;

pub const MIN_PASSWORD_CHARS: usize = 8;
/// Hashing cost grows with length: bound it.
pub const MAX_PASSWORD_CHARS: usize = 256;

#[derive(Default)]
pub struct Problems(BTreeMap<String, Vec<String>>);

impl Problems {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_default()
            .push(message.into());
    }

    pub fn into_result(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::Validation(self.0))
        }
    }

    /// Non-blank and at most `max` characters; returns the trimmed value.
    pub fn text<'a>(&mut self, field: &str, value: &'a str, max: usize) -> &'a str {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.add(field, "can't be blank");
        } else if trimmed.chars().count() > max {
            self.add(field, format!("is too long (maximum is {max} characters)"));
        }
        trimmed
    }

    pub fn username<'a>(&mut self, value: &'a str) -> &'a str {
        let v = self.text("username", value, 64);
        if !v.is_empty()
            && !v
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            self.add(
                "username",
                "may only contain letters, digits, '_', '-' and '.'",
            );
        } else if !v.is_empty() && v.chars().all(|c| c == '.') {
            // `.` and `..` would be path segments in /profiles/{username} URLs.
            self.add("username", "must contain a letter or digit");
        }
        v
    }

    pub fn email<'a>(&mut self, value: &'a str) -> &'a str {
        let v = self.text("email", value, 254);
        let valid = match v.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !v.chars().any(char::is_whitespace)
            }
            None => false,
        };
        if !v.is_empty() && !valid {
            self.add("email", "is invalid");
        }
        v
    }

    pub fn password(&mut self, value: &str) {
        let n = value.chars().count();
        if n < MIN_PASSWORD_CHARS {
            self.add(
                "password",
                format!("is too short (minimum is {MIN_PASSWORD_CHARS} characters)"),
            );
        } else if n > MAX_PASSWORD_CHARS {
            self.add(
                "password",
                format!("is too long (maximum is {MAX_PASSWORD_CHARS} characters)"),
            );
        }
    }

    /// An optional image URL: blank clears it, otherwise it must be http(s).
    pub fn image<'a>(&mut self, value: Option<&'a str>) -> Option<&'a str> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        if !(v.starts_with("https://") || v.starts_with("http://"))
            || v.len() > 2048
            || v.chars().any(char::is_whitespace)
        {
            self.add("image", "must be an http(s) URL");
        }
        Some(v)
    }

    /// An optional bio: blank clears it.
    pub fn bio<'a>(&mut self, value: Option<&'a str>) -> Option<&'a str> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        if v.chars().count() > 2000 {
            self.add("bio", "is too long (maximum is 2000 characters)");
        }
        Some(v)
    }

    /// Trimmed, de-duplicated (first occurrence wins) and bounded tags.
    pub fn tags(&mut self, tags: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for tag in tags {
            let t = tag.trim();
            if t.is_empty() {
                self.add("tagList", "tags can't be blank");
            } else if t.chars().count() > 64 {
                self.add("tagList", "tags are at most 64 characters");
            } else if !out.iter().any(|o| o == t) {
                out.push(t.to_string());
            }
        }
        if out.len() > 20 {
            self.add("tagList", "at most 20 tags");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(f: impl FnOnce(&mut Problems)) -> Vec<String> {
        let mut p = Problems::default();
        f(&mut p);
        match p.into_result() {
            Ok(()) => vec![],
            Err(ApiError::Validation(m)) => m
                .into_iter()
                .map(|(k, v)| format!("{k}: {}", v.join(", ")))
                .collect(),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn rules() {
        assert!(errors(|p| {
            p.email("jake@example.com");
            p.username("jake_1.x");
            p.password("12345678");
        })
        .is_empty());
        assert_eq!(
            errors(|p| {
                p.email("jake@");
            }),
            ["email: is invalid"]
        );
        assert_eq!(
            errors(|p| {
                p.email("a b@c.de");
            }),
            ["email: is invalid"]
        );
        assert_eq!(
            errors(|p| {
                p.username("   ");
            }),
            ["username: can't be blank"]
        );
        assert_eq!(
            errors(|p| {
                p.username("a b");
            })
            .len(),
            1
        );
        for dots in [".", "..", "..."] {
            assert_eq!(
                errors(|p| {
                    p.username(dots);
                }),
                ["username: must contain a letter or digit"]
            );
        }
        assert!(errors(|p| {
            p.username("j.r.r");
        })
        .is_empty());
        assert_eq!(
            errors(|p| p.password("short")),
            ["password: is too short (minimum is 8 characters)"]
        );
        assert_eq!(
            errors(|p| {
                p.image(Some("javascript:alert(1)"));
            }),
            ["image: must be an http(s) URL"]
        );
        assert_eq!(
            errors(|p| {
                p.text("title", &"x".repeat(201), 200);
            }),
            ["title: is too long (maximum is 200 characters)"]
        );
        let mut p = Problems::default();
        assert_eq!(p.tags(&[" a ".into(), "b".into(), "a".into()]), ["a", "b"]);
    }
}

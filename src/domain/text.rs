//! Bounded free text: titles, descriptions, bodies, comments, bios and image URLs.

/// PostgreSQL text cannot hold U+0000: refused here rather than failing in the database.
pub(super) const NUL: &str = "must not contain NUL characters";

/// Trimmed, non-blank and at most `max` characters.
pub(super) fn bounded(value: &str, max: usize) -> Result<String, Vec<String>> {
    let trimmed = value.trim();
    if trimmed.contains('\0') {
        Err(vec![NUL.into()])
    } else if trimmed.is_empty() {
        Err(vec!["can't be blank".into()])
    } else if trimmed.chars().count() > max {
        Err(vec![format!("is too long (maximum is {max} characters)")])
    } else {
        Ok(trimmed.to_string())
    }
}

/// Declares a non-blank text newtype of at most `$max` characters.
macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_LEN: usize = $max;

            pub fn parse(value: &str) -> Result<Self, Vec<String>> {
                bounded(value, Self::MAX_LEN).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

bounded_text!(
    /// An article's title (its slug derives from it).
    Title, 200
);
bounded_text!(
    /// An article's description.
    Description, 1000
);
bounded_text!(
    /// An article's body (Markdown).
    ArticleBody, 100_000
);
bounded_text!(
    /// A comment's text.
    CommentBody, 10_000
);

/// A profile bio; blank clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bio(String);

impl Bio {
    pub const MAX_LEN: usize = 2000;

    /// `None`, blank or whitespace mean "no bio".
    pub fn parse(value: Option<&str>) -> Result<Option<Self>, Vec<String>> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if v.contains('\0') {
            return Err(vec![NUL.into()]);
        }
        if v.chars().count() > Self::MAX_LEN {
            return Err(vec![format!(
                "is too long (maximum is {} characters)",
                Self::MAX_LEN
            )]);
        }
        Ok(Some(Self(v.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A profile image: an http(s) URL; blank clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

impl ImageUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(value: Option<&str>) -> Result<Option<Self>, Vec<String>> {
        let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if !(v.starts_with("https://") || v.starts_with("http://"))
            || v.len() > Self::MAX_LEN
            || v.chars().any(|c| c.is_whitespace() || c == '\0')
        {
            return Err(vec!["must be an http(s) URL".into()]);
        }
        Ok(Some(Self(v.to_string())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert_eq!(Title::parse("  Hi  ").unwrap().as_str(), "Hi");
        assert_eq!(Title::parse("   ").unwrap_err(), ["can't be blank"]);
        assert_eq!(
            Title::parse(&"x".repeat(201)).unwrap_err(),
            ["is too long (maximum is 200 characters)"]
        );
        assert_eq!(Bio::parse(Some("  ")), Ok(None));
        assert_eq!(ArticleBody::parse("a\0b").unwrap_err(), [NUL]);
        assert_eq!(Bio::parse(Some("\0")).unwrap_err(), [NUL]);
        assert_eq!(
            ImageUrl::parse(Some("javascript:alert(1)")).unwrap_err(),
            ["must be an http(s) URL"]
        );
        assert!(ImageUrl::parse(Some("https://x.test/a.png"))
            .unwrap()
            .is_some());
    }
}

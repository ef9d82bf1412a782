//! Article fields that are not free text: slugs and tags.

/// An article's URL slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    /// A derived slug ([`super::slug::slugify`]) has at most 80 characters, plus `-` and a
    /// six-character suffix when the plain one was taken.
    pub const MAX_LEN: usize = super::slug::MAX_CHARS + 7;

    /// A slug from a URL path: `None` when it cannot name an article (blank or too long).
    pub fn parse(value: &str) -> Option<Self> {
        (!value.is_empty() && value.chars().count() <= Self::MAX_LEN)
            .then(|| Self(value.to_string()))
    }

    /// A slug read back from the database or derived from a title.
    pub(crate) fn trusted(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A tag: trimmed, non-blank, at most [`Tag::MAX_LEN`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag(String);

impl Tag {
    pub const MAX_LEN: usize = 64;
    /// Tags per article.
    pub const MAX_PER_ARTICLE: usize = 20;

    pub fn parse(value: &str) -> Result<Self, String> {
        let t = value.trim();
        if t.contains('\0') {
            Err(super::text::NUL.into())
        } else if t.is_empty() {
            Err("tags can't be blank".into())
        } else if t.chars().count() > Self::MAX_LEN {
            Err(format!("tags are at most {} characters", Self::MAX_LEN))
        } else {
            Ok(Self(t.to_string()))
        }
    }

    /// An article's tags, de-duplicated (first occurrence wins); every bad tag is reported.
    pub fn parse_list(values: &[String]) -> Result<Vec<Self>, Vec<String>> {
        let mut out: Vec<Self> = Vec::new();
        let mut problems = Vec::new();
        for value in values {
            match Self::parse(value) {
                Err(p) => problems.push(p),
                Ok(t) if !out.contains(&t) => out.push(t),
                Ok(_) => {}
            }
        }
        if out.len() > Self::MAX_PER_ARTICLE {
            problems.push(format!("at most {} tags", Self::MAX_PER_ARTICLE));
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(problems)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_slugs() {
        let tags = Tag::parse_list(&[" a ".into(), "b".into(), "a".into()]).unwrap();
        assert_eq!(tags.iter().map(Tag::as_str).collect::<Vec<_>>(), ["a", "b"]);
        assert_eq!(
            Tag::parse_list(&[" ".into(), "x".repeat(65)]).unwrap_err(),
            ["tags can't be blank", "tags are at most 64 characters"]
        );
        let many: Vec<String> = (0..21).map(|i| i.to_string()).collect();
        assert_eq!(Tag::parse_list(&many).unwrap_err(), ["at most 20 tags"]);
        assert!(Slug::parse("").is_none());
        assert!(Slug::parse(&"a".repeat(Slug::MAX_LEN + 1)).is_none());
        assert_eq!(Slug::parse("hello").unwrap().as_str(), "hello");
    }
}

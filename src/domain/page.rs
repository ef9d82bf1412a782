//! A page of a list: `limit` and `offset`.

use super::FieldErrors;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    limit: i64,
    offset: i64,
}

impl Page {
    pub const DEFAULT_LIMIT: i64 = 20;
    pub const MAX_LIMIT: i64 = 100;

    /// `limit` within `1..=MAX_LIMIT` (default 20), `offset` not negative (default 0); both
    /// problems are reported together.
    pub fn parse(limit: Option<i64>, offset: Option<i64>) -> Result<Self, FieldErrors> {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        let offset = offset.unwrap_or(0);
        let mut errors = FieldErrors::default();
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            errors.add(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            );
        }
        if offset < 0 {
            errors.add("offset", "must not be negative");
        }
        if errors.is_empty() {
            Ok(Self { limit, offset })
        } else {
            Err(errors)
        }
    }

    pub fn limit(self) -> i64 {
        self.limit
    }

    pub fn offset(self) -> i64 {
        self.offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(
            Page::parse(None, None).map(|p| (p.limit(), p.offset())),
            Ok((20, 0))
        );
        let e = Page::parse(Some(0), Some(-1)).unwrap_err().into_map();
        assert_eq!(e["limit"], ["must be between 1 and 100"]);
        assert_eq!(e["offset"], ["must not be negative"]);
        assert!(Page::parse(Some(101), None).is_err());
    }
}

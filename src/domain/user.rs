//! Account fields: usernames, email addresses and passwords.

use super::text::bounded;

/// A username: letters, digits, `_`, `-` and `.`, not only dots (it is a URL path segment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn parse(value: &str) -> Result<Self, Vec<String>> {
        let v = value.trim();
        let mut problems = bounded(v, Self::MAX_LEN).err().unwrap_or_default();
        if !v.is_empty()
            && !v
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        {
            problems.push("may only contain letters, digits, '_', '-' and '.'".into());
        } else if !v.is_empty() && v.chars().all(|c| c == '.') {
            // `.` and `..` would be path segments in /profiles/{username} URLs.
            problems.push("must contain a letter or digit".into());
        }
        if problems.is_empty() {
            Ok(Self(v.to_string()))
        } else {
            Err(problems)
        }
    }

    /// A name from a URL path, to look up: any text, since a name that cannot exist is
    /// simply not found.
    pub fn lookup(value: &str) -> Self {
        Self(value.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address: one `@`, a dotted domain, no whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(value: &str) -> Result<Self, Vec<String>> {
        let v = value.trim();
        let mut problems = bounded(v, Self::MAX_LEN).err().unwrap_or_default();
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
            problems.push("is invalid".into());
        }
        if problems.is_empty() {
            Ok(Self(v.to_string()))
        } else {
            Err(problems)
        }
    }

    /// The address given at login: only non-blank and bounded, since a malformed address
    /// simply has no account (and the answer must not tell which rule it broke).
    pub fn parse_for_login(value: &str) -> Result<Self, Vec<String>> {
        bounded(value, Self::MAX_LEN).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: the length is bounded both ways (hashing cost grows with length).
/// `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub const MIN_LEN: usize = 8;
    pub const MAX_LEN: usize = 256;

    pub fn parse(value: String) -> Result<Self, Vec<String>> {
        let n = value.chars().count();
        if n < Self::MIN_LEN {
            Err(vec![format!(
                "is too short (minimum is {} characters)",
                Self::MIN_LEN
            )])
        } else if n > Self::MAX_LEN {
            Err(vec![format!(
                "is too long (maximum is {} characters)",
                Self::MAX_LEN
            )])
        } else {
            Ok(Self(value))
        }
    }

    /// A password given at login, only to be verified: at most [`Self::MAX_LEN`] characters
    /// (`None` beyond that: no account has such a password), and a blank one is a problem.
    pub fn parse_for_login(value: String) -> Result<Option<Self>, Vec<String>> {
        if value.is_empty() {
            Err(vec!["can't be blank".into()])
        } else if value.chars().count() > Self::MAX_LEN {
            Ok(None)
        } else {
            Ok(Some(Self(value)))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_rules() {
        assert!(Email::parse("jake@example.com").is_ok());
        assert!(Username::parse("jake_1.x").is_ok());
        assert!(Password::parse("12345678".into()).is_ok());
        assert_eq!(Email::parse("jake@").unwrap_err(), ["is invalid"]);
        assert_eq!(Email::parse("a b@c.de").unwrap_err(), ["is invalid"]);
        assert_eq!(Username::parse("   ").unwrap_err(), ["can't be blank"]);
        assert_eq!(Username::parse("a b").unwrap_err().len(), 1);
        for dots in [".", "..", "..."] {
            assert_eq!(
                Username::parse(dots).unwrap_err(),
                ["must contain a letter or digit"]
            );
        }
        assert!(Username::parse("j.r.r").is_ok());
        assert_eq!(Username::parse(" jake ").unwrap().as_str(), "jake");
        assert_eq!(
            Password::parse("short".into()).unwrap_err(),
            ["is too short (minimum is 8 characters)"]
        );
        assert_eq!(
            format!("{:?}", Password::parse("secret-secret".into()).unwrap()),
            "Password(<redacted>)"
        );
        assert!(Password::parse_for_login("x".repeat(300))
            .unwrap()
            .is_none());
    }
}

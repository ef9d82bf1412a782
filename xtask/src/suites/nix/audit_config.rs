//! crane's `checks.audit` runs cargo-audit, which reads `.cargo/audit.toml`, not deny.toml:
//! an advisory that deny.toml ignores (with its reason) but audit.toml does not turns the
//! flake check red as soon as the advisory database has it. The two lists must agree.

use anyhow::{bail, Context, Result};
use std::collections::BTreeSet;

/// Advisory ids in deny.toml's `[advisories] ignore` (`{ id = "...", reason = "..." }` or a
/// plain string).
pub fn deny_ignores(deny_toml: &str) -> Result<BTreeSet<String>> {
    let doc: toml::Table = toml::from_str(deny_toml).context("deny.toml is not TOML")?;
    let list = doc
        .get("advisories")
        .and_then(|a| a.get("ignore"))
        .and_then(|i| i.as_array())
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|e| {
            e.as_str()
                .or_else(|| e.get("id").and_then(|i| i.as_str()))
                .map(str::to_string)
                .context("deny.toml: an [advisories] ignore entry without an id")
        })
        .collect()
}

/// Advisory ids in `.cargo/audit.toml`'s `[advisories] ignore`.
pub fn audit_ignores(audit_toml: &str) -> Result<BTreeSet<String>> {
    let doc: toml::Table = toml::from_str(audit_toml).context(".cargo/audit.toml is not TOML")?;
    let list = doc
        .get("advisories")
        .and_then(|a| a.get("ignore"))
        .and_then(|i| i.as_array())
        .cloned()
        .unwrap_or_default();
    list.iter()
        .map(|e| {
            e.as_str()
                .map(str::to_string)
                .context(".cargo/audit.toml: [advisories] ignore holds advisory ids as strings")
        })
        .collect()
}

pub fn compare(deny_toml: &str, audit_toml: Option<&str>) -> Result<usize> {
    let deny = deny_ignores(deny_toml)?;
    let audit = match audit_toml {
        Some(text) => audit_ignores(text)?,
        None if deny.is_empty() => return Ok(0),
        None => bail!(
            "deny.toml ignores {deny:?} but there is no .cargo/audit.toml: checks.audit (cargo-audit) \
             would fail on them; add them there with the same reason"
        ),
    };
    if deny != audit {
        let only_deny: Vec<_> = deny.difference(&audit).collect();
        let only_audit: Vec<_> = audit.difference(&deny).collect();
        bail!(
            "deny.toml and .cargo/audit.toml ignore different advisories: only in deny.toml \
             {only_deny:?}, only in .cargo/audit.toml {only_audit:?}"
        );
    }
    Ok(deny.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DENY: &str = r#"[advisories]
ignore = [{ id = "RUSTSEC-2026-0258", reason = "why" }]"#;

    #[test]
    fn equal_lists_pass() {
        let audit = "[advisories]\nignore = [\"RUSTSEC-2026-0258\"]\n";
        assert_eq!(compare(DENY, Some(audit)).unwrap(), 1);
    }

    #[test]
    fn missing_file_or_entry_fails() {
        assert!(compare(DENY, None).is_err());
        assert!(compare(DENY, Some("[advisories]\nignore = []\n")).is_err());
        assert!(compare(
            DENY,
            Some("[advisories]\nignore = [\"RUSTSEC-2026-0001\"]\n")
        )
        .is_err());
        assert_eq!(compare("[advisories]\n", None).unwrap(), 0);
    }

    #[test]
    fn the_repository_agrees() {
        let root = crate::util::root();
        let deny = std::fs::read_to_string(root.join("deny.toml")).unwrap();
        let audit = std::fs::read_to_string(root.join(".cargo/audit.toml")).ok();
        compare(&deny, audit.as_deref()).unwrap();
    }
}

//! URL slugs derived from titles.

use super::Slug;
use rand::Rng;

pub(super) const MAX_CHARS: usize = 80;
const ATTEMPTS: usize = 8;

/// `How to Train Your Dragon!` → `how-to-train-your-dragon`. Letters and digits of any
/// script are kept (lower-cased); every other run of characters becomes one `-`.
pub fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    for c in title.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_end_matches('-').chars().take(MAX_CHARS).collect();
    let slug = slug.trim_end_matches('-');
    if slug.is_empty() {
        "article".to_string()
    } else {
        slug.to_string()
    }
}

/// The slugs to try for a title, in order: the plain one, then ones with a random suffix.
pub fn candidates(title: &str) -> impl Iterator<Item = Slug> {
    let base = slugify(title);
    (0..ATTEMPTS).map(move |i| {
        Slug::trusted(if i == 0 {
            base.clone()
        } else {
            format!("{base}-{}", suffix())
        })
    })
}

fn suffix() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::thread_rng();
    (0..6)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            slugify("How to Train Your Dragon!"),
            "how-to-train-your-dragon"
        );
        assert_eq!(slugify("  --Rust & Nix -- "), "rust-nix");
        assert_eq!(slugify("Ünïcödé Straße 東京"), "ünïcödé-straße-東京");
        assert_eq!(slugify("!!!"), "article");
        assert_eq!(slugify(&"a ".repeat(100)).chars().count(), 79);
        let c: Vec<String> = candidates("Hello")
            .map(|s| s.as_str().to_string())
            .collect();
        assert_eq!(c[0], "hello");
        assert!(c[1].starts_with("hello-") && c[1].len() == "hello-".len() + 6);
        assert_ne!(c[1], c[2]);
    }
}

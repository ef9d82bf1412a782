//! Article bodies: CommonMark (+ tables, strikethrough) to HTML, then sanitised by ammonia's
//! allow-list (no scripts, no event handlers, no `javascript:` URLs, links get
//! `rel="noopener noreferrer"`). Runs on the engine only; the browser receives the
//! sanitised HTML in the page state, so both sides show exactly the same markup.

use pulldown_cmark::{html, Options, Parser};

pub fn to_safe_html(markdown: &str) -> String {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, Parser::new_ext(markdown, options));
    ammonia::Builder::default()
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn markdown_renders() {
        let html = to_safe_html("# Title\n\nSome *emphasis* and `code`.\n\n- a\n- b\n");
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"));
        assert!(html.contains("<code>code</code>"));
        assert!(html.contains("<li>a</li>"));
    }

    #[test]
    fn scripts_handlers_and_js_urls_are_removed() {
        let html = to_safe_html(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n<a href=\"JaVaScRiPt:alert(1)\">y</a>\n\n</script><!-- c -->",
        );
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("onerror"), "{html}");
        assert!(!lower.contains("javascript:"), "{html}");
        assert!(!lower.contains("<!--"), "{html}");
        assert!(html.contains("<img src=\"x\">"), "{html}");
    }

    #[test]
    fn no_markup_survives_in_attributes() {
        // What the inline-script hardening relies on: sanitised HTML never carries a raw
        // `<script` or `</script`, not even inside an attribute value.
        let html = to_safe_html("![<script>x</script>](https://x/a.png \"</script><!--\")");
        let lower = html.to_lowercase();
        assert!(
            !lower.contains("<script") && !lower.contains("</script"),
            "{html}"
        );
    }

    #[test]
    fn links_cannot_reach_the_opener() {
        let html = to_safe_html("[site](https://example.com)");
        assert!(html.contains("rel=\"noopener noreferrer\""), "{html}");
    }
}

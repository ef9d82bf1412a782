//! Article previews, the tag list and pagination, as the home and profile pages show them.

use crate::state::{avatar, format_date};
use conduit_types::ArticleSummary;
use sycamore::prelude::*;

/// Articles per page on every list.
pub const PAGE_SIZE: i64 = 10;

pub fn tag_list<G: Html>(cx: Scope, tags: &[String], linked: bool) -> View<G> {
    let items = View::new_fragment(
        tags.iter()
            .map(|t| {
                let t = t.clone();
                if linked {
                    let href = format!("/?tag={}", crate::api::encode(&t));
                    view! { cx, li { a(class = "tag-pill tag-default", href = href, rel = "external") { (t) } } }
                } else {
                    view! { cx, li(class = "tag-pill tag-default tag-outline") { (t) } }
                }
            })
            .collect(),
    );
    view! { cx, ul(class = "tag-list") { (items) } }
}

fn preview<G: Html>(cx: Scope, a: &ArticleSummary, signed_in: bool) -> View<G> {
    let profile = format!("/profile/{}", crate::api::encode(&a.author.username));
    let href = format!("/article/{}", crate::api::encode(&a.slug));
    let img = avatar(&a.author.image);
    let author = a.author.username.clone();
    let date = format_date(&a.created_at);
    let title = a.title.clone();
    let description = a.description.clone();
    let fav = super::buttons::favorite_button(
        cx,
        a.slug.clone(),
        create_signal(cx, a.favorited),
        create_signal(cx, a.favorites_count),
        signed_in,
        false,
    );
    let tags = tag_list(cx, &a.tag_list, false);
    let profile2 = profile.clone();
    view! { cx,
        article(class = "article-preview") {
            div(class = "article-meta") {
                a(href = profile) { img(src = img, alt = "") }
                div(class = "info") {
                    a(href = profile2, class = "author") { (author) }
                    span(class = "date") { (date) }
                }
                div(class = "pull-xs-right") { (fav) }
            }
            a(href = href, class = "preview-link") {
                h2 { (title) }
                p { (description) }
                span { "Read more..." }
                (tags)
            }
        }
    }
}

/// The previews, or the empty state.
pub fn article_list<G: Html>(cx: Scope, articles: &[ArticleSummary], signed_in: bool) -> View<G> {
    if articles.is_empty() {
        return view! { cx, p(class = "article-preview empty") { "No articles are here... yet." } };
    }
    View::new_fragment(articles.iter().map(|a| preview(cx, a, signed_in)).collect())
}

/// Page links `1 2 3 …` built by `href(page)`; nothing when everything fits on one page.
pub fn pagination<G: Html>(
    cx: Scope,
    total: i64,
    current: i64,
    href: impl Fn(i64) -> String,
) -> View<G> {
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    if pages <= 1 {
        return view! { cx, };
    }
    let items = View::new_fragment(
        (1..=pages)
            .map(|p| {
                let class = if p == current { "page-item active" } else { "page-item" };
                let link = href(p);
                let current = if p == current { "page" } else { "false" };
                view! { cx, li(class = class) { a(class = "page-link", href = link, rel = "external", aria-current = current) { (p.to_string()) } } }
            })
            .collect(),
    );
    view! { cx, nav(aria-label = "Pages") { ul(class = "pagination") { (items) } } }
}

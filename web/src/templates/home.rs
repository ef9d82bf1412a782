//! `/`: global feed, your feed (signed in), a tag's articles; popular tags; pages.
//! Tabs and pages are plain links with query parameters, so they work without JavaScript.

use crate::components::{articles, layout};
use crate::state::Viewer;
use conduit_types::ArticleSummary;
use perseus::prelude::*;
use serde::{Deserialize, Serialize};
use sycamore::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Feed {
    Global,
    Mine,
    Tag(String),
}

#[derive(Serialize, Deserialize, Clone, UnreactiveState)]
pub struct HomeState {
    viewer: Option<Viewer>,
    feed: Feed,
    page: i64,
    articles: Vec<ArticleSummary>,
    articles_count: i64,
    tags: Vec<String>,
}

fn feed_href(feed: &Feed, page: i64) -> String {
    let mut q: Vec<(&str, String)> = Vec::new();
    match feed {
        Feed::Global => {}
        Feed::Mine => q.push(("feed", "mine".into())),
        Feed::Tag(t) => q.push(("tag", t.clone())),
    }
    if page > 1 {
        q.push(("page", page.to_string()));
    }
    let pairs: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format!("/{}", crate::api::query(&pairs))
}

fn home_page<G: Html>(cx: Scope, state: HomeState) -> View<G> {
    let signed_in = state.viewer.is_some();
    let tab = |label: String, feed: Feed| {
        let active = feed == state.feed;
        let class = if active {
            "nav-link active"
        } else {
            "nav-link"
        };
        let href = feed_href(&feed, 1);
        let current = if active { "page" } else { "false" };
        view! { cx, li(class = "nav-item") { a(class = class, href = href, rel = "external", aria-current = current) { (label) } } }
    };
    let mut tabs = Vec::new();
    if signed_in {
        tabs.push(tab("Your Feed".into(), Feed::Mine));
    }
    tabs.push(tab("Global Feed".into(), Feed::Global));
    if let Feed::Tag(t) = &state.feed {
        tabs.push(tab(format!("# {t}"), state.feed.clone()));
    }
    let tabs = View::new_fragment(tabs);
    let list = articles::article_list(cx, &state.articles, signed_in);
    let feed = state.feed.clone();
    let pages = articles::pagination(cx, state.articles_count, state.page, move |p| {
        feed_href(&feed, p)
    });
    let tags = if state.tags.is_empty() {
        view! { cx, p { "No tags are here... yet." } }
    } else {
        articles::tag_list(cx, &state.tags, true)
    };
    let body = view! { cx,
        div(class = "home-page") {
            (if signed_in { view! { cx, } } else { view! { cx,
                div(class = "banner") {
                    div(class = "container") {
                        h1(class = "logo-font") { "conduit" }
                        p { "A place to share your knowledge." }
                    }
                }
            } })
            div(class = "container page") {
                div(class = "row") {
                    div(class = "col-md-9") {
                        div(class = "feed-toggle") {
                            ul(class = "nav nav-pills outline-active") { (tabs) }
                        }
                        (list)
                        (pages)
                    }
                    div(class = "col-md-3") {
                        aside(class = "sidebar", aria-label = "Popular tags") {
                            p { "Popular Tags" }
                            (tags)
                        }
                    }
                }
            }
        }
    };
    layout::page(cx, &state.viewer, layout::Nav::Home, body)
}

#[engine_only_fn]
fn head(cx: Scope, state: HomeState) -> View<SsrNode> {
    let title = match &state.feed {
        Feed::Tag(t) => format!("#{t} — Conduit"),
        _ => "Home — Conduit".to_string(),
    };
    view! { cx, title { (title) } meta(name = "description", content = "Conduit: a place to share your knowledge.") }
}

#[engine_only_fn]
async fn get_request_state(
    _info: StateGeneratorInfo<()>,
    req: Request,
) -> Result<HomeState, BlamedError<crate::api::Failure>> {
    use crate::api::server::{blame, Caller};
    let caller = Caller::from_request(&req);
    let page = super::page_param(&req);
    let feed = match (
        super::query_param(&req, "tag").filter(|t| !t.is_empty()),
        super::query_param(&req, "feed").as_deref(),
    ) {
        (Some(t), _) => Feed::Tag(t),
        (None, Some("mine")) if caller.signed_in() => Feed::Mine,
        _ => Feed::Global,
    };
    let offset = ((page - 1) * articles::PAGE_SIZE).to_string();
    let limit = articles::PAGE_SIZE.to_string();
    let path = match &feed {
        Feed::Global => format!(
            "/articles{}",
            crate::api::query(&[("limit", &limit), ("offset", &offset)])
        ),
        Feed::Mine => format!(
            "/articles/feed{}",
            crate::api::query(&[("limit", &limit), ("offset", &offset)])
        ),
        Feed::Tag(t) => format!(
            "/articles{}",
            crate::api::query(&[("tag", t), ("limit", &limit), ("offset", &offset)])
        ),
    };
    let (viewer, list, tags) = futures::join!(
        caller.viewer(),
        caller.get::<conduit_types::MultipleArticlesResponse>("list_articles", &path),
        caller.get::<conduit_types::TagsResponse>("list_tags", "/tags"),
    );
    let list = list.map_err(blame)?;
    let feed = if viewer.is_none() && feed == Feed::Mine {
        Feed::Global
    } else {
        feed
    };
    Ok(HomeState {
        viewer,
        feed,
        page,
        articles: list.articles,
        articles_count: list.articles_count,
        // The tag cloud is decoration: the page still renders when it fails.
        tags: tags.map(|t| t.tags).unwrap_or_default(),
    })
}

pub fn get_template<G: Html>() -> Template<G> {
    Template::build("index")
        .view_with_unreactive_state(home_page)
        .head_with_state(head)
        .request_state_fn(get_request_state)
        .set_headers(super::private_headers)
        .build()
}

#[cfg(all(test, engine))]
mod tests {
    use super::{feed_href, home_page, Feed, HomeState, Viewer};

    fn state(viewer: bool, feed: Feed, count: i64) -> HomeState {
        HomeState {
            viewer: viewer.then(|| Viewer {
                username: "jake".into(),
                image: None,
            }),
            feed,
            page: 2,
            articles: Vec::new(),
            articles_count: count,
            tags: vec!["rust".into(), "a b".into()],
        }
    }

    #[test]
    fn tabs_tags_pagination_and_empty_state() {
        let html = sycamore::render_to_string(|cx| {
            home_page(cx, state(false, Feed::Tag("a b".into()), 25))
        });
        assert!(!html.contains("Your Feed"), "signed out: no personal feed");
        assert!(html.contains("# a b"));
        assert!(html.contains("href=\"/?tag=a%20b\""), "{html}");
        assert!(html.contains("href=\"/?tag=a%20b&amp;page=3\""), "{html}");
        assert!(html.contains("No articles are here... yet."));
        let html = sycamore::render_to_string(|cx| home_page(cx, state(true, Feed::Mine, 5)));
        assert!(html.contains("Your Feed"));
        assert!(
            !html.contains("class=\"pagination\""),
            "one page: no pagination"
        );
    }

    #[test]
    fn feed_links_keep_the_filter() {
        assert_eq!(feed_href(&Feed::Global, 1), "/");
        assert_eq!(feed_href(&Feed::Mine, 2), "/?feed=mine&page=2");
        assert_eq!(feed_href(&Feed::Tag("x&y".into()), 1), "/?tag=x%26y");
    }
}

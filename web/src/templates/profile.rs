//! `/profile/{username}` (their articles) and `/profile/{username}/favorites`.

use crate::components::{articles, buttons, layout};
use crate::state::{avatar, Viewer};
use conduit_types::{ArticleSummary, Profile};
use perseus::prelude::*;
use serde::{Deserialize, Serialize};
use sycamore::prelude::*;

#[derive(Serialize, Deserialize, Clone, UnreactiveState)]
pub struct ProfileState {
    viewer: Option<Viewer>,
    profile: Profile,
    favorites: bool,
    page: i64,
    articles: Vec<ArticleSummary>,
    articles_count: i64,
}

fn profile_page<G: Html>(cx: Scope, state: ProfileState) -> View<G> {
    let me = Viewer::is(&state.viewer, &state.profile.username);
    let signed_in = state.viewer.is_some();
    let base = format!("/profile/{}", crate::api::encode(&state.profile.username));
    let img = avatar(&state.profile.image);
    let name = state.profile.username.clone();
    let bio = state.profile.bio.clone().unwrap_or_default();
    let action = if me {
        view! { cx, a(class = "btn btn-sm btn-outline-secondary action-btn", href = "/settings") { "Edit Profile Settings" } }
    } else {
        buttons::follow_button(
            cx,
            state.profile.username.clone(),
            create_signal(cx, state.profile.following),
            signed_in,
        )
    };
    let tab = |label: &'static str, href: String, active: bool| {
        let class = if active {
            "nav-link active"
        } else {
            "nav-link"
        };
        let current = if active { "page" } else { "false" };
        view! { cx, li(class = "nav-item") { a(class = class, href = href, aria-current = current) { (label) } } }
    };
    let tabs = View::new_fragment(vec![
        tab("My Articles", base.clone(), !state.favorites),
        tab(
            "Favorited Articles",
            format!("{base}/favorites"),
            state.favorites,
        ),
    ]);
    let list = articles::article_list(cx, &state.articles, signed_in);
    let list_base = if state.favorites {
        format!("{base}/favorites")
    } else {
        base.clone()
    };
    let pages = articles::pagination(cx, state.articles_count, state.page, move |p| {
        if p > 1 {
            format!("{list_base}?page={p}")
        } else {
            list_base.clone()
        }
    });
    let body = view! { cx,
        div(class = "profile-page") {
            div(class = "user-info") {
                div(class = "container") {
                    div(class = "row") {
                        div(class = "col-xs-12 col-md-10 offset-md-1") {
                            img(src = img, class = "user-img", alt = "")
                            h1 { (name) }
                            p { (bio) }
                            (action)
                        }
                    }
                }
            }
            div(class = "container") {
                div(class = "row") {
                    div(class = "col-xs-12 col-md-10 offset-md-1") {
                        div(class = "articles-toggle") {
                            ul(class = "nav nav-pills outline-active") { (tabs) }
                        }
                        (list)
                        (pages)
                    }
                }
            }
        }
    };
    let nav = if me {
        layout::Nav::MyProfile
    } else {
        layout::Nav::None
    };
    layout::page(cx, &state.viewer, nav, body)
}

#[engine_only_fn]
fn head(cx: Scope, state: ProfileState) -> View<SsrNode> {
    let title = format!("{} — Conduit", state.profile.username);
    view! { cx, title { (title) } }
}

#[engine_only_fn]
async fn get_request_state(
    info: StateGeneratorInfo<()>,
    req: Request,
) -> Result<ProfileState, BlamedError<crate::api::Failure>> {
    use crate::api::server::{blame, Caller};
    let not_found = crate::api::server::not_found;
    let caller = Caller::from_request(&req);
    let tail = super::path_tail(&info.path, "profile").ok_or_else(not_found)?;
    let (username, favorites) = match tail.split_once('/') {
        None => (tail.to_string(), false),
        Some((u, "favorites")) => (u.to_string(), true),
        Some(_) => return Err(not_found()),
    };
    if username.is_empty() {
        return Err(not_found());
    }
    let page = super::page_param(&req);
    let offset = ((page - 1) * articles::PAGE_SIZE).to_string();
    let limit = articles::PAGE_SIZE.to_string();
    let filter = if favorites { "favorited" } else { "author" };
    let list_path = format!(
        "/articles{}",
        crate::api::query(&[(filter, &username), ("limit", &limit), ("offset", &offset)])
    );
    let profile_path = format!("/profiles/{}", crate::api::encode(&username));
    let (viewer, profile, list) = futures::join!(
        caller.viewer(),
        caller.get::<conduit_types::ProfileResponse>("get_profile", &profile_path),
        caller.get::<conduit_types::MultipleArticlesResponse>("list_articles", &list_path),
    );
    let profile = profile.map_err(blame)?.profile;
    let list = list.map_err(blame)?;
    Ok(ProfileState {
        viewer,
        profile,
        favorites,
        page,
        articles: list.articles,
        articles_count: list.articles_count,
    })
}

pub fn get_template<G: Html>() -> Template<G> {
    Template::build("profile")
        .view_with_unreactive_state(profile_page)
        .head_with_state(head)
        .build_paths_fn(super::no_prebuilt_paths)
        .incremental_generation()
        .request_state_fn(get_request_state)
        .set_headers(super::private_headers)
        .build()
}

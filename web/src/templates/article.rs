//! `/article/{slug}`: the article (markdown rendered and sanitised on the server), its
//! author card with follow/favourite or edit/delete, and the comments.

use crate::components::{articles, buttons, errors::error_list, layout, prevent_default};
use crate::state::{avatar, format_date, Viewer};
use conduit_types::{Comment, Profile};
use perseus::prelude::*;
use serde::{Deserialize, Serialize};
use sycamore::prelude::*;

#[derive(Serialize, Deserialize, Clone, UnreactiveState)]
pub struct ArticleState {
    viewer: Option<Viewer>,
    slug: String,
    title: String,
    /// Sanitised HTML of the markdown body.
    body_html: String,
    tags: Vec<String>,
    created_at: String,
    favorited: bool,
    favorites_count: i64,
    author: Profile,
    comments: Vec<Comment>,
}

/// The signals behind the author card's buttons, shared by the card above and below the
/// article so both show the same state after a click.
#[derive(Clone, Copy)]
struct Reactions<'a> {
    following: &'a Signal<bool>,
    favorited: &'a Signal<bool>,
    favorites_count: &'a Signal<i64>,
}

fn meta<'a, G: Html>(cx: Scope<'a>, s: &ArticleState, r: Reactions<'a>) -> View<G> {
    let profile = format!("/profile/{}", crate::api::encode(&s.author.username));
    let img = avatar(&s.author.image);
    let name = s.author.username.clone();
    let date = format_date(&s.created_at);
    let signed_in = s.viewer.is_some();
    let actions = if Viewer::is(&s.viewer, &s.author.username) {
        let edit = format!("/editor/{}", crate::api::encode(&s.slug));
        let slug = s.slug.clone();
        let on_delete = move |_| {
            let _ = &slug;
            #[cfg(client)]
            {
                let slug = slug.clone();
                perseus::prelude::spawn_local_scoped(cx, async move {
                    let path = format!("/articles/{}", crate::api::encode(&slug));
                    if crate::api::browser::send_empty("DELETE", &path)
                        .await
                        .is_ok()
                    {
                        perseus::prelude::navigate("/");
                    }
                });
            }
        };
        view! { cx,
            a(class = "btn btn-sm btn-outline-secondary edit", href = edit) { "Edit Article" }
            " "
            button(type = "button", class = "btn btn-sm btn-outline-danger delete", on:click = on_delete) { "Delete Article" }
        }
    } else {
        let follow = buttons::follow_button(cx, s.author.username.clone(), r.following, signed_in);
        let fav = buttons::favorite_button(
            cx,
            s.slug.clone(),
            r.favorited,
            r.favorites_count,
            signed_in,
            true,
        );
        view! { cx, (follow) " " (fav) }
    };
    let profile2 = profile.clone();
    view! { cx,
        div(class = "article-meta") {
            a(href = profile) { img(src = img, alt = "") }
            div(class = "info") {
                a(href = profile2, class = "author") { (name) }
                span(class = "date") { (date) }
            }
            (actions)
        }
    }
}

fn comments<G: Html>(cx: Scope, s: &ArticleState) -> View<G> {
    let list = create_signal(cx, s.comments.clone());
    let viewer = s.viewer.clone();
    let slug = s.slug.clone();
    let draft = create_signal(cx, String::new());
    let errors = create_signal(cx, Vec::<String>::new());
    let busy = create_signal(cx, false);
    let form = match &viewer {
        None => view! { cx,
            p(class = "sign-in-to-comment") {
                a(href = "/login") { "Sign in" } " or " a(href = "/register") { "sign up" } " to add comments on this article."
            }
        },
        Some(v) => {
            let img = avatar(&v.image);
            let slug = slug.clone();
            let on_submit = move |ev| {
                prevent_default(ev);
                let _ = &slug;
                #[cfg(client)]
                {
                    if *busy.get() || draft.get().trim().is_empty() {
                        return;
                    }
                    busy.set(true);
                    let slug = slug.clone();
                    perseus::prelude::spawn_local_scoped(cx, async move {
                        let req = conduit_types::NewCommentRequest {
                            comment: conduit_types::NewComment {
                                body: draft.get().to_string(),
                            },
                        };
                        let path = format!("/articles/{}/comments", crate::api::encode(&slug));
                        match crate::api::browser::send::<_, conduit_types::CommentResponse>(
                            "POST",
                            &path,
                            Some(&req),
                        )
                        .await
                        {
                            Ok(r) => {
                                list.modify().insert(0, r.comment);
                                draft.set(String::new());
                                errors.set(Vec::new());
                            }
                            Err(f) => errors.set(f.messages),
                        }
                        busy.set(false);
                    });
                }
            };
            view! { cx,
                (error_list(cx, errors))
                form(class = "card comment-form", method = "post", on:submit = on_submit) {
                    div(class = "card-block") {
                        label(for = "comment", class = "visually-hidden") { "Write a comment" }
                        textarea(id = "comment", class = "form-control", placeholder = "Write a comment...", rows = "3", bind:value = draft)
                    }
                    div(class = "card-footer") {
                        img(src = img, class = "comment-author-img", alt = "")
                        button(type = "submit", class = "btn btn-sm btn-primary", disabled = *busy.get()) { "Post Comment" }
                    }
                }
            }
        }
    };
    let cards = View::new_dyn(cx, move || {
        let viewer = viewer.clone();
        let slug = slug.clone();
        View::new_fragment(
            list.get()
                .iter()
                .map(|c| {
                    let id = c.id;
                    let body = c.body.clone();
                    let profile = format!("/profile/{}", crate::api::encode(&c.author.username));
                    let img = avatar(&c.author.image);
                    let name = c.author.username.clone();
                    let date = format_date(&c.created_at);
                    let mine = Viewer::is(&viewer, &c.author.username);
                    let slug = slug.clone();
                    let on_delete = move |_| {
                        let _ = (&slug, id);
                        #[cfg(client)]
                        {
                            let slug = slug.clone();
                            perseus::prelude::spawn_local_scoped(cx, async move {
                                let path = format!("/articles/{}/comments/{id}", crate::api::encode(&slug));
                                if crate::api::browser::send_empty("DELETE", &path).await.is_ok() {
                                    list.modify().retain(|c| c.id != id);
                                }
                            });
                        }
                    };
                    let delete = if mine {
                        view! { cx, button(type = "button", class = "mod-options delete-comment", on:click = on_delete) { "Delete" } }
                    } else {
                        view! { cx, }
                    };
                    let profile2 = profile.clone();
                    view! { cx,
                        div(class = "card comment") {
                            div(class = "card-block") { p(class = "card-text") { (body) } }
                            div(class = "card-footer") {
                                a(href = profile, class = "comment-author") { img(src = img, class = "comment-author-img", alt = "") }
                                " "
                                a(href = profile2, class = "comment-author") { (name) }
                                span(class = "date-posted") { (date) }
                                (delete)
                            }
                        }
                    }
                })
                .collect(),
        )
    });
    view! { cx,
        section(class = "comments", aria-label = "Comments") {
            (form)
            (cards)
        }
    }
}

fn article_page<G: Html>(cx: Scope, state: ArticleState) -> View<G> {
    let title = state.title.clone();
    let body_html = state.body_html.clone();
    let reactions = Reactions {
        following: create_signal(cx, state.author.following),
        favorited: create_signal(cx, state.favorited),
        favorites_count: create_signal(cx, state.favorites_count),
    };
    let top_meta = meta(cx, &state, reactions);
    let bottom_meta = meta(cx, &state, reactions);
    let tags = articles::tag_list(cx, &state.tags, false);
    let comments = comments(cx, &state);
    let body = view! { cx,
        div(class = "article-page") {
            div(class = "banner") {
                div(class = "container") {
                    h1 { (title) }
                    (top_meta)
                }
            }
            div(class = "container page") {
                div(class = "row article-content") {
                    div(class = "col-md-12") {
                        div(class = "article-body", dangerously_set_inner_html = &body_html)
                        (tags)
                    }
                }
                hr()
                div(class = "article-actions") { (bottom_meta) }
                div(class = "row") {
                    div(class = "col-xs-12 col-md-8 offset-md-2") { (comments) }
                }
            }
        }
    };
    layout::page(cx, &state.viewer, layout::Nav::None, body)
}

#[engine_only_fn]
fn head(cx: Scope, state: ArticleState) -> View<SsrNode> {
    let title = format!("{} — Conduit", state.title);
    view! { cx, title { (title) } }
}

#[engine_only_fn]
async fn get_request_state(
    info: StateGeneratorInfo<()>,
    req: Request,
) -> Result<ArticleState, BlamedError<crate::api::Failure>> {
    use crate::api::server::{blame, Caller};
    let caller = Caller::from_request(&req);
    let slug = match super::path_tail(&info.path, "article") {
        Some(s) if !s.is_empty() && !s.contains('/') => s.to_string(),
        _ => return Err(crate::api::server::not_found()),
    };
    let base = format!("/articles/{}", crate::api::encode(&slug));
    let comments_path = format!("{base}/comments");
    let (viewer, article, comments) = futures::join!(
        caller.viewer(),
        caller.get::<conduit_types::ArticleResponse>("get_article", &base),
        caller.get::<conduit_types::MultipleCommentsResponse>("list_comments", &comments_path),
    );
    let a = article.map_err(blame)?.article;
    Ok(ArticleState {
        viewer,
        body_html: crate::markdown::to_safe_html(&a.body),
        slug: a.slug,
        title: a.title,
        tags: a.tag_list,
        created_at: a.created_at,
        favorited: a.favorited,
        favorites_count: a.favorites_count,
        author: a.author,
        comments: comments.map_err(blame)?.comments,
    })
}

pub fn get_template<G: Html>() -> Template<G> {
    Template::build("article")
        .view_with_unreactive_state(article_page)
        .head_with_state(head)
        .build_paths_fn(super::no_prebuilt_paths)
        .incremental_generation()
        .request_state_fn(get_request_state)
        .set_headers(super::private_headers)
        .build()
}

#[cfg(all(test, engine))]
mod tests {
    use super::{article_page, ArticleState, Comment, Profile, Viewer};

    fn state(viewer: Option<&str>) -> ArticleState {
        let author = Profile {
            username: "jake".into(),
            bio: None,
            image: None,
            following: false,
        };
        ArticleState {
            viewer: viewer.map(|v| Viewer {
                username: v.into(),
                image: None,
            }),
            slug: "a-b".into(),
            title: "<b>Title</b>".into(),
            body_html: crate::markdown::to_safe_html("Hello *world*"),
            tags: vec!["rust".into()],
            created_at: "2026-01-02T03:04:05.678Z".into(),
            favorited: false,
            favorites_count: 3,
            author: author.clone(),
            comments: vec![Comment {
                id: 7,
                created_at: "2026-01-02T03:04:05.678Z".into(),
                updated_at: "2026-01-02T03:04:05.678Z".into(),
                body: "<i>hi</i>".into(),
                author: Profile {
                    username: "ann".into(),
                    ..author
                },
            }],
        }
    }

    fn render(s: ArticleState) -> String {
        sycamore::render_to_string(|cx| article_page(cx, s))
    }

    #[test]
    fn renders_the_article_with_user_text_escaped() {
        let html = render(state(None));
        assert!(html.contains("&lt;b>Title&lt;/b>"), "{html}");
        assert!(html.contains("<em>world</em>"), "{html}");
        assert!(html.contains("&lt;i>hi&lt;/i>"), "{html}");
        assert!(html.contains("January 2, 2026"));
        assert!(html.contains("Favorite Article (3)"));
        assert!(html.contains("to add comments on this article"));
        assert!(!html.contains("Delete Article"));
    }

    #[test]
    fn the_author_gets_edit_and_delete_and_only_own_comments_are_deletable() {
        let html = render(state(Some("jake")));
        assert!(html.contains("Edit Article") && html.contains("Delete Article"));
        assert!(
            !html.contains("delete-comment"),
            "jake may not delete ann's comment"
        );
        let html = render(state(Some("ann")));
        assert!(!html.contains("Delete Article"));
        assert!(html.contains("delete-comment"));
        assert!(html.contains("Post Comment"));
    }
}

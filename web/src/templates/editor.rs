//! `/editor` (new article) and `/editor/{slug}` (edit one of yours).

use crate::components::{errors::error_list, layout, prevent_default};
use crate::state::Viewer;
use perseus::prelude::*;
use serde::{Deserialize, Serialize};
use sycamore::prelude::*;

#[derive(Serialize, Deserialize, Clone, UnreactiveState)]
pub struct EditorState {
    viewer: Option<Viewer>,
    /// The article being edited; `None` for a new one.
    slug: Option<String>,
    title: String,
    description: String,
    body: String,
    tags: String,
}

/// "rust, web  ,rust" → ["rust", "web"]: trimmed, empty and repeated tags dropped.
#[cfg_attr(engine, allow(dead_code))] // called by the browser's submit handler
pub fn parse_tags(input: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for t in input.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        if !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
    tags
}

fn editor_page<G: Html>(cx: Scope, state: EditorState) -> View<G> {
    if state.viewer.is_none() {
        let body = view! { cx,
            div(class = "container page") {
                p { a(href = "/login") { "Sign in" } " or " a(href = "/register") { "sign up" } " to write articles." }
            }
        };
        return layout::page(cx, &None, layout::Nav::Editor, body);
    }
    let title = create_signal(cx, state.title.clone());
    let description = create_signal(cx, state.description.clone());
    let body_text = create_signal(cx, state.body.clone());
    let tags = create_signal(cx, state.tags.clone());
    let errors = create_signal(cx, Vec::<String>::new());
    let busy = create_signal(cx, false);
    let slug = state.slug.clone();
    let on_submit = move |ev| {
        prevent_default(ev);
        let _ = &slug;
        #[cfg(client)]
        {
            if *busy.get() {
                return;
            }
            busy.set(true);
            let slug = slug.clone();
            perseus::prelude::spawn_local_scoped(cx, async move {
                use crate::api::browser;
                let tag_list = parse_tags(&tags.get());
                let res = match &slug {
                    None => {
                        let req = conduit_types::NewArticleRequest {
                            article: conduit_types::NewArticle {
                                title: title.get().to_string(),
                                description: description.get().to_string(),
                                body: body_text.get().to_string(),
                                tag_list,
                            },
                        };
                        browser::send::<_, conduit_types::ArticleResponse>(
                            "POST",
                            "/articles",
                            Some(&req),
                        )
                        .await
                    }
                    Some(slug) => {
                        let req = conduit_types::UpdateArticleRequest {
                            article: conduit_types::UpdateArticle {
                                title: Some(title.get().to_string()),
                                description: Some(description.get().to_string()),
                                body: Some(body_text.get().to_string()),
                                tag_list: Some(tag_list),
                            },
                        };
                        let path = format!("/articles/{}", crate::api::encode(slug));
                        browser::send::<_, conduit_types::ArticleResponse>("PUT", &path, Some(&req))
                            .await
                    }
                };
                match res {
                    Ok(r) => perseus::prelude::navigate(&format!(
                        "/article/{}",
                        crate::api::encode(&r.article.slug)
                    )),
                    Err(f) => {
                        errors.set(f.messages);
                        busy.set(false);
                    }
                }
            });
        }
    };
    let heading = if state.slug.is_some() {
        "Edit article"
    } else {
        "New article"
    };
    let body = view! { cx,
        div(class = "editor-page") {
            div(class = "container page") {
                div(class = "row") {
                    div(class = "col-md-10 offset-md-1 col-xs-12") {
                        h1(class = "visually-hidden") { (heading) }
                        (error_list(cx, errors))
                        form(method = "post", on:submit = on_submit) {
                            fieldset(class = "form-group") {
                                label(for = "title", class = "visually-hidden") { "Article Title" }
                                input(id = "title", class = "form-control form-control-lg", type = "text",
                                    placeholder = "Article Title", bind:value = title)
                            }
                            fieldset(class = "form-group") {
                                label(for = "description", class = "visually-hidden") { "What's this article about?" }
                                input(id = "description", class = "form-control", type = "text",
                                    placeholder = "What's this article about?", bind:value = description)
                            }
                            fieldset(class = "form-group") {
                                label(for = "body", class = "visually-hidden") { "Write your article (in markdown)" }
                                textarea(id = "body", class = "form-control", rows = "8",
                                    placeholder = "Write your article (in markdown)", bind:value = body_text)
                            }
                            fieldset(class = "form-group") {
                                label(for = "tags", class = "visually-hidden") { "Tags, separated by commas" }
                                input(id = "tags", class = "form-control", type = "text",
                                    placeholder = "Enter tags, separated by commas", bind:value = tags)
                            }
                            button(type = "submit", class = "btn btn-lg pull-xs-right btn-primary", disabled = *busy.get()) {
                                "Publish Article"
                            }
                        }
                    }
                }
            }
        }
    };
    layout::page(cx, &state.viewer, layout::Nav::Editor, body)
}

#[engine_only_fn]
async fn get_build_paths() -> BuildPaths {
    BuildPaths {
        paths: vec![String::new()],
        extra: ().into(),
    }
}

#[engine_only_fn]
async fn get_request_state(
    info: StateGeneratorInfo<()>,
    req: Request,
) -> Result<EditorState, BlamedError<crate::api::Failure>> {
    use crate::api::server::{blame, Caller};
    let caller = Caller::from_request(&req);
    let slug = super::path_tail(&info.path, "editor")
        .filter(|s| !s.contains('/'))
        .ok_or_else(crate::api::server::not_found)?
        .to_string();
    let viewer = caller.viewer().await;
    let mut state = EditorState {
        viewer,
        slug: None,
        title: String::new(),
        description: String::new(),
        body: String::new(),
        tags: String::new(),
    };
    if slug.is_empty() || state.viewer.is_none() {
        return Ok(state);
    }
    let path = format!("/articles/{}", crate::api::encode(&slug));
    let a = caller
        .get::<conduit_types::ArticleResponse>("get_article", &path)
        .await
        .map_err(blame)?
        .article;
    if !Viewer::is(&state.viewer, &a.author.username) {
        // Only the author edits; to everyone else the page does not exist.
        return Err(crate::api::server::not_found());
    }
    state.slug = Some(a.slug);
    state.title = a.title;
    state.description = a.description;
    state.body = a.body;
    state.tags = a.tag_list.join(", ");
    Ok(state)
}

#[engine_only_fn]
fn head(cx: Scope) -> View<SsrNode> {
    view! { cx, title { "Editor — Conduit" } }
}

pub fn get_template<G: Html>() -> Template<G> {
    Template::build("editor")
        .view_with_unreactive_state(editor_page)
        .head(head)
        .build_paths_fn(get_build_paths)
        .incremental_generation()
        .request_state_fn(get_request_state)
        .set_headers(super::private_headers)
        .build()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tags_are_trimmed_and_deduplicated() {
        assert_eq!(
            super::parse_tags(" rust, web ,, rust,"),
            vec!["rust", "web"]
        );
        assert!(super::parse_tags("  ").is_empty());
    }
}

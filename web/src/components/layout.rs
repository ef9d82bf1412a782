//! The frame of every page: header with the active link marked, the page body, footer.

use crate::state::{avatar, Viewer};
use sycamore::prelude::*;

/// Which header link is the current page.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Home,
    SignIn,
    SignUp,
    Editor,
    Settings,
    MyProfile,
    None,
}

fn link<G: Html>(cx: Scope, href: String, label: View<G>, active: bool) -> View<G> {
    let class = if active {
        "nav-link active"
    } else {
        "nav-link"
    };
    let current = if active { Some("page") } else { None };
    view! { cx,
        li(class = "nav-item") {
            a(class = class, href = href, aria-current = current.unwrap_or("false")) { (label) }
        }
    }
}

/// Header, `body`, footer.
pub fn page<G: Html>(cx: Scope, viewer: &Option<Viewer>, nav: Nav, body: View<G>) -> View<G> {
    // Marks the document with the path of the page the browser has taken over (hydrated or
    // navigated to): the browser tests wait for it before they interact.
    #[cfg(client)]
    on_mount(cx, || {
        let Some(window) = web_sys::window() else {
            return;
        };
        let path = window.location().pathname().unwrap_or_default();
        if let Some(root) = window.document().and_then(|d| d.document_element()) {
            let _ = root.set_attribute("data-hydrated", &path);
        }
    });
    let links = match viewer {
        None => View::new_fragment(vec![
            link(cx, "/".into(), view! { cx, "Home" }, nav == Nav::Home),
            link(
                cx,
                "/login".into(),
                view! { cx, "Sign in" },
                nav == Nav::SignIn,
            ),
            link(
                cx,
                "/register".into(),
                view! { cx, "Sign up" },
                nav == Nav::SignUp,
            ),
        ]),
        Some(v) => {
            let name = v.username.clone();
            let img = avatar(&v.image);
            View::new_fragment(vec![
                link(cx, "/".into(), view! { cx, "Home" }, nav == Nav::Home),
                link(
                    cx,
                    "/editor".into(),
                    view! { cx, "New Article" },
                    nav == Nav::Editor,
                ),
                link(
                    cx,
                    "/settings".into(),
                    view! { cx, "Settings" },
                    nav == Nav::Settings,
                ),
                link(
                    cx,
                    format!("/profile/{}", crate::api::encode(&v.username)),
                    view! { cx, img(class = "user-pic", src = img, alt = "") (name) },
                    nav == Nav::MyProfile,
                ),
            ])
        }
    };
    view! { cx,
        a(class = "skip-link", href = "#main") { "Skip to content" }
        header {
            nav(class = "navbar", aria-label = "Main") {
                div(class = "container") {
                    a(class = "navbar-brand", href = "/") { "conduit" }
                    ul(class = "nav navbar-nav") { (links) }
                }
            }
        }
        main(id = "main") { (body) }
        footer {
            div(class = "container") {
                a(href = "/", class = "logo-font") { "conduit" }
                span(class = "attribution") {
                    "An interactive learning project. Code & design licensed under MIT."
                }
            }
        }
    }
}

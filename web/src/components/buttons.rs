//! Follow and favourite: server-rendered with the current value, live after hydration.
//! Signed-out visitors are sent to sign up, as in the reference app.

use sycamore::prelude::*;

#[cfg(client)]
use crate::api::browser;

/// "♥ 12" / "♥ Favorite Article (12)" toggling `POST/DELETE /articles/{slug}/favorite`.
/// The signals are the caller's, so several buttons for one article stay in step.
pub fn favorite_button<'a, G: Html>(
    cx: Scope<'a>,
    slug: String,
    favorited: &'a Signal<bool>,
    count: &'a Signal<i64>,
    signed_in: bool,
    long: bool,
) -> View<G> {
    let busy = create_signal(cx, false);
    let path = format!("/articles/{}/favorite", crate::api::encode(&slug));
    let on_click = toggle(
        cx,
        path,
        favorited,
        busy,
        signed_in,
        move |r: conduit_types::ArticleResponse| {
            favorited.set(r.article.favorited);
            count.set(r.article.favorites_count);
        },
    );
    view! { cx,
        button(
            type = "button",
            class = if *favorited.get() { "btn btn-sm btn-primary fav" } else { "btn btn-sm btn-outline-primary fav" },
            aria-pressed = if *favorited.get() { "true" } else { "false" },
            disabled = *busy.get(),
            on:click = on_click,
        ) {
            span(aria-hidden = "true") { "♥ " }
            (if long {
                let verb = if *favorited.get() { "Unfavorite Article" } else { "Favorite Article" };
                format!("{verb} ({})", count.get())
            } else {
                count.get().to_string()
            })
        }
    }
}

/// "+ Follow name" / "Unfollow name" toggling `POST/DELETE /profiles/{username}/follow`.
pub fn follow_button<'a, G: Html>(
    cx: Scope<'a>,
    username: String,
    following: &'a Signal<bool>,
    signed_in: bool,
) -> View<G> {
    let busy = create_signal(cx, false);
    let label_name = username.clone();
    let path = format!("/profiles/{}/follow", crate::api::encode(&username));
    let on_click = toggle(
        cx,
        path,
        following,
        busy,
        signed_in,
        move |r: conduit_types::ProfileResponse| following.set(r.profile.following),
    );
    view! { cx,
        button(
            type = "button",
            class = if *following.get() { "btn btn-sm btn-secondary follow" } else { "btn btn-sm btn-outline-secondary follow" },
            aria-pressed = if *following.get() { "true" } else { "false" },
            disabled = *busy.get(),
            on:click = on_click,
        ) {
            (if *following.get() { format!("Unfollow {label_name}") } else { format!("+ Follow {label_name}") })
        }
    }
}

/// The click handler of a two-state button backed by the API: `POST path` switches it on,
/// `DELETE path` off, and `apply` takes the API's answer; one request at a time.
/// Signed-out visitors are sent to sign up.
fn toggle<'a, T, E>(
    cx: Scope<'a>,
    path: String,
    on: &'a Signal<bool>,
    busy: &'a Signal<bool>,
    signed_in: bool,
    apply: impl Fn(T) + Copy + 'a,
) -> impl Fn(E) + 'a
where
    T: serde::de::DeserializeOwned + 'a,
{
    // The handler's body exists only in the browser build; keep the server build warning-free.
    let _ = (&path, on, busy, signed_in, apply, cx);
    move |_| {
        #[cfg(client)]
        {
            if !signed_in {
                browser::reload_to("/register");
                return;
            }
            if *busy.get() {
                return;
            }
            busy.set(true);
            let path = path.clone();
            perseus::prelude::spawn_local_scoped(cx, async move {
                let method = if *on.get() { "DELETE" } else { "POST" };
                if let Ok(r) = browser::send::<(), T>(method, &path, None).await {
                    apply(r);
                }
                busy.set(false);
            });
        }
    }
}

//! `/settings`: picture, username, bio, email, new password; and sign out.

use crate::components::{errors::error_list, layout, prevent_default};
use crate::state::Viewer;
use perseus::prelude::*;
use serde::{Deserialize, Serialize};
use sycamore::prelude::*;

#[derive(Serialize, Deserialize, Clone, UnreactiveState)]
pub struct SettingsState {
    viewer: Option<Viewer>,
    email: String,
    bio: String,
}

fn settings_page<G: Html>(cx: Scope, state: SettingsState) -> View<G> {
    let Some(viewer) = state.viewer.clone() else {
        let body = view! { cx,
            div(class = "container page") {
                p { a(href = "/login") { "Sign in" } " to change your settings." }
            }
        };
        return layout::page(cx, &None, layout::Nav::Settings, body);
    };
    let image = create_signal(cx, viewer.image.clone().unwrap_or_default());
    let username = create_signal(cx, viewer.username.clone());
    let bio = create_signal(cx, state.bio.clone());
    let email = create_signal(cx, state.email.clone());
    let password = create_signal(cx, String::new());
    let errors = create_signal(cx, Vec::<String>::new());
    let busy = create_signal(cx, false);
    let on_submit = move |ev| {
        prevent_default(ev);
        #[cfg(client)]
        {
            if *busy.get() {
                return;
            }
            busy.set(true);
            perseus::prelude::spawn_local_scoped(cx, async move {
                use crate::api::browser;
                let optional = |s: &str| {
                    let s = s.trim().to_string();
                    Some(if s.is_empty() { None } else { Some(s) })
                };
                let body = conduit_types::UpdateUserRequest {
                    user: conduit_types::UpdateUser {
                        email: Some(email.get().trim().to_string()),
                        password: Some(password.get().to_string()).filter(|p| !p.is_empty()),
                        username: Some(username.get().trim().to_string()),
                        bio: optional(&bio.get()),
                        image: optional(&image.get()),
                    },
                };
                match browser::send::<_, conduit_types::UserResponse>("PUT", "/user", Some(&body))
                    .await
                {
                    Ok(r) => browser::reload_to(&format!(
                        "/profile/{}",
                        crate::api::encode(&r.user.username)
                    )),
                    Err(f) => {
                        errors.set(f.messages);
                        busy.set(false);
                    }
                }
            });
        }
    };
    let on_logout = move |_| {
        #[cfg(client)]
        perseus::prelude::spawn_local_scoped(cx, async move {
            use crate::api::browser;
            // Signed out either way: a failure here means the session is already gone.
            let _ = browser::send_empty("POST", "/users/logout").await;
            browser::reload_to("/");
        });
    };
    let body = view! { cx,
        div(class = "settings-page") {
            div(class = "container page") {
                div(class = "row") {
                    div(class = "col-md-6 offset-md-3 col-xs-12") {
                        h1(class = "text-xs-center") { "Your Settings" }
                        (error_list(cx, errors))
                        form(method = "post", on:submit = on_submit) {
                            fieldset(class = "form-group") {
                                label(for = "image") { "URL of profile picture" }
                                input(id = "image", class = "form-control", type = "url", bind:value = image)
                            }
                            fieldset(class = "form-group") {
                                label(for = "username") { "Username" }
                                input(id = "username", class = "form-control form-control-lg", type = "text",
                                    autocomplete = "username", required = true, bind:value = username)
                            }
                            fieldset(class = "form-group") {
                                label(for = "bio") { "Short bio about you" }
                                textarea(id = "bio", class = "form-control form-control-lg", rows = "8", bind:value = bio)
                            }
                            fieldset(class = "form-group") {
                                label(for = "email") { "Email" }
                                input(id = "email", class = "form-control form-control-lg", type = "email",
                                    autocomplete = "email", required = true, bind:value = email)
                            }
                            fieldset(class = "form-group") {
                                label(for = "password") { "New password (leave empty to keep yours)" }
                                input(id = "password", class = "form-control form-control-lg", type = "password",
                                    autocomplete = "new-password", bind:value = password)
                            }
                            button(type = "submit", class = "btn btn-lg btn-primary pull-xs-right", disabled = *busy.get()) {
                                "Update Settings"
                            }
                        }
                        hr()
                        button(type = "button", class = "btn btn-outline-danger logout", on:click = on_logout) {
                            "Or click here to logout."
                        }
                    }
                }
            }
        }
    };
    layout::page(cx, &state.viewer, layout::Nav::Settings, body)
}

#[engine_only_fn]
async fn get_request_state(
    _info: StateGeneratorInfo<()>,
    req: Request,
) -> Result<SettingsState, BlamedError<crate::api::Failure>> {
    let caller = crate::api::server::Caller::from_request(&req);
    if !caller.signed_in() {
        return Ok(SettingsState {
            viewer: None,
            email: String::new(),
            bio: String::new(),
        });
    }
    match caller
        .get::<conduit_types::UserResponse>("current_user", "/user")
        .await
    {
        Ok(r) => Ok(SettingsState {
            viewer: Some(Viewer {
                username: r.user.username,
                image: r.user.image,
            }),
            email: r.user.email,
            bio: r.user.bio.unwrap_or_default(),
        }),
        Err(f) if f.status == 401 => Ok(SettingsState {
            viewer: None,
            email: String::new(),
            bio: String::new(),
        }),
        Err(f) => Err(crate::api::server::blame(f)),
    }
}

#[engine_only_fn]
fn head(cx: Scope) -> View<SsrNode> {
    view! { cx, title { "Settings — Conduit" } }
}

pub fn get_template<G: Html>() -> Template<G> {
    Template::build("settings")
        .view_with_unreactive_state(settings_page)
        .head(head)
        .request_state_fn(get_request_state)
        .set_headers(super::private_headers)
        .build()
}

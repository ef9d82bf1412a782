//! `/login` and `/register`. The API answers with the session cookies; the page then loads
//! `/` afresh so everything renders for the signed-in user. The token in the JSON answer is
//! deliberately ignored: scripts never hold credentials.

use crate::components::{errors::error_list, layout, prevent_default};
use crate::state::Viewer;
use perseus::prelude::*;
use serde::{Deserialize, Serialize};
use sycamore::prelude::*;

#[derive(Serialize, Deserialize, Clone, UnreactiveState)]
pub struct AuthState {
    viewer: Option<Viewer>,
}

fn auth_page<G: Html>(cx: Scope, state: AuthState, register: bool) -> View<G> {
    let username = create_signal(cx, String::new());
    let email = create_signal(cx, String::new());
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
                let res = if register {
                    let body = conduit_types::NewUserRequest {
                        user: conduit_types::NewUser {
                            username: username.get().trim().to_string(),
                            email: email.get().trim().to_string(),
                            password: password.get().to_string(),
                        },
                    };
                    browser::send::<_, conduit_types::UserResponse>("POST", "/users", Some(&body))
                        .await
                } else {
                    let body = conduit_types::LoginUserRequest {
                        user: conduit_types::LoginUser {
                            email: email.get().trim().to_string(),
                            password: password.get().to_string(),
                        },
                    };
                    browser::send::<_, conduit_types::UserResponse>(
                        "POST",
                        "/users/login",
                        Some(&body),
                    )
                    .await
                };
                match res {
                    Ok(_) => browser::reload_to("/"),
                    Err(f) => {
                        errors.set(f.messages);
                        busy.set(false);
                    }
                }
            });
        }
    };
    let (title, other_href, other_label, nav) = if register {
        ("Sign up", "/login", "Have an account?", layout::Nav::SignUp)
    } else {
        (
            "Sign in",
            "/register",
            "Need an account?",
            layout::Nav::SignIn,
        )
    };
    let username_field = if register {
        view! { cx,
            fieldset(class = "form-group") {
                label(for = "username") { "Username" }
                input(id = "username", name = "username", class = "form-control form-control-lg", type = "text",
                    autocomplete = "username", required = true, bind:value = username)
            }
        }
    } else {
        view! { cx, }
    };
    let body = view! { cx,
        div(class = "auth-page") {
            div(class = "container page") {
                div(class = "row") {
                    div(class = "col-md-6 offset-md-3 col-xs-12") {
                        h1(class = "text-xs-center") { (title) }
                        p(class = "text-xs-center") { a(href = other_href) { (other_label) } }
                        (error_list(cx, errors))
                        form(method = "post", on:submit = on_submit) {
                            (username_field)
                            fieldset(class = "form-group") {
                                label(for = "email") { "Email" }
                                input(id = "email", name = "email", class = "form-control form-control-lg", type = "email",
                                    autocomplete = "email", required = true, bind:value = email)
                            }
                            fieldset(class = "form-group") {
                                label(for = "password") { "Password" }
                                input(id = "password", name = "password", class = "form-control form-control-lg", type = "password",
                                    autocomplete = if register { "new-password" } else { "current-password" },
                                    required = true, bind:value = password)
                            }
                            button(type = "submit", class = "btn btn-lg btn-primary pull-xs-right", disabled = *busy.get()) { (title) }
                        }
                    }
                }
            }
        }
    };
    layout::page(cx, &state.viewer, nav, body)
}

fn login_page<G: Html>(cx: Scope, state: AuthState) -> View<G> {
    auth_page(cx, state, false)
}

fn register_page<G: Html>(cx: Scope, state: AuthState) -> View<G> {
    auth_page(cx, state, true)
}

#[engine_only_fn]
async fn get_request_state(
    _info: StateGeneratorInfo<()>,
    req: Request,
) -> Result<AuthState, BlamedError<crate::api::Failure>> {
    let caller = crate::api::server::Caller::from_request(&req);
    Ok(AuthState {
        viewer: caller.viewer().await,
    })
}

#[engine_only_fn]
fn login_head(cx: Scope) -> View<SsrNode> {
    view! { cx, title { "Sign in — Conduit" } }
}

#[engine_only_fn]
fn register_head(cx: Scope) -> View<SsrNode> {
    view! { cx, title { "Sign up — Conduit" } }
}

pub fn login_template<G: Html>() -> Template<G> {
    Template::build("login")
        .view_with_unreactive_state(login_page)
        .head(login_head)
        .request_state_fn(get_request_state)
        .set_headers(super::private_headers)
        .build()
}

pub fn register_template<G: Html>() -> Template<G> {
    Template::build("register")
        .view_with_unreactive_state(register_page)
        .head(register_head)
        .request_state_fn(get_request_state)
        .set_headers(super::private_headers)
        .build()
}

//! What a visitor sees when a page cannot be shown: 404 for missing pages, articles and
//! profiles; a short apology for everything else (the details go to the server log).

use crate::components::layout;
use perseus::errors::ClientError;
use perseus::prelude::*;
use sycamore::prelude::*;

pub fn get_error_views<G: Html>() -> ErrorViews<G> {
    ErrorViews::new(|cx, err, _info, _pos| {
        let (title, text) = match &err {
            ClientError::ServerError { status: 404, .. } => (
                "Page not found",
                "There is nothing here. The article or profile may have been deleted.",
            ),
            ClientError::ServerError { status, .. } if *status < 500 => (
                "Something is wrong with this request",
                "Please check the address and try again.",
            ),
            ClientError::FetchError(_) => (
                "You seem to be offline",
                "The page could not be loaded. Check your connection and try again.",
            ),
            _ => ("Something went wrong", "Please try again in a moment."),
        };
        let body = view! { cx,
            div(class = "container page error-page") {
                h1 { (title) }
                p { (text) }
                p { a(href = "/", rel = "external") { "Back to the home page" } }
            }
        };
        (
            view! { cx, title { (format!("{title} — Conduit")) } },
            layout::page(cx, &None, layout::Nav::None, body),
        )
    })
}

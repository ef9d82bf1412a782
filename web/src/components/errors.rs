//! Validation and request errors shown next to the form that caused them.

use sycamore::prelude::*;

/// A live list of messages; renders nothing while empty.
pub fn error_list<'a, G: Html>(cx: Scope<'a>, messages: &'a Signal<Vec<String>>) -> View<G> {
    view! { cx,
        (if messages.get().is_empty() {
            view! { cx, }
        } else {
            let items = View::new_fragment(
                messages.get().iter().map(|m| {
                    let m = m.clone();
                    view! { cx, li { (m) } }
                }).collect(),
            );
            view! { cx, ul(class = "error-messages", role = "alert") { (items) } }
        })
    }
}

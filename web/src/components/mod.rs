//! Building blocks shared by the pages.

pub mod articles;
pub mod buttons;
pub mod errors;
pub mod layout;

/// Stops a form's native submission (which would reload the page) so the handler can send
/// it with `fetch`. Generic over the node type because pages render on both sides.
pub fn prevent_default<E: 'static>(ev: E) {
    #[cfg(client)]
    if let Some(ev) = (&ev as &dyn std::any::Any).downcast_ref::<web_sys::Event>() {
        ev.prevent_default();
    }
    let _ = ev;
}

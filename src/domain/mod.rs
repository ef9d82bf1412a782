//! Domain types: every input is parsed once, at the boundary, into a type that can only hold
//! a valid value (a private field and `parse`). The HTTP layer collects every field's
//! problems into one 422 ([`Problems`]); the database layer takes these types.
//!
//! This layer imports nothing else of the crate (see `.semgrep/rust-layers.yaml`).

mod article;
mod ids;
mod page;
mod problems;
pub mod slug;
mod text;
mod user;

pub use article::{Slug, Tag};
pub use ids::{ArticleId, CommentId, UserId};
pub use page::Page;
pub use problems::{FieldErrors, Problems};
pub use text::{ArticleBody, Bio, CommentBody, Description, ImageUrl, Title};
pub use user::{Email, Password, Username};

//! Request and response bodies of the Conduit API, shared by the API server and the frontend.
//!
//! The JSON shapes follow the RealWorld API contract exactly: camelCase fields, one envelope
//! per resource (`{"user": …}`, `{"article": …}`) and the error body
//! `{"errors": {"field": ["message"]}}`. This crate has no server dependencies so that it
//! compiles for `wasm32-unknown-unknown`; the `openapi` feature adds utoipa schemas.

mod article;
mod comment;
mod error;
mod object;
mod profile;
mod user;

pub use article::*;
pub use comment::*;
pub use error::*;
pub use profile::*;
pub use user::*;

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

/// `GET /api/tags`
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct TagsResponse {
    pub tags: Vec<String>,
}

//! Authentication: password hashing, JWTs and the request extractors.

pub mod cookies;
mod extractor;
pub mod jwt;
pub mod password;

pub use extractor::{AuthUser, MaybeAuthUser};

//! Authentication: password hashing, JWTs and the request extractors.

mod extractor;
pub mod jwt;
pub mod password;

pub use extractor::{AuthUser, MaybeAuthUser};
